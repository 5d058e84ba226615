"""Sparsity measures: exact values on hand-made arrays, properties, Poisson theory, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from neuroact import sparsity as sp

N = 8
ONE_HOT = np.eye(N)[[3]]  # one sample, one active unit
CONSTANT = np.full((1, N), 2.5)
# Two levels: half the units at 1, half at 3. a = (2)^2 / ((1 + 9) / 2) = 0.8.
TWO_LEVEL = np.array([[1.0, 3.0] * (N // 2)])


def test_one_hot_is_maximally_sparse():
    assert_allclose(sp.treves_rolls(ONE_HOT), [1 / N])
    assert_allclose(sp.normalised_sparseness(ONE_HOT), [1.0])
    assert_allclose(sp.hoyer(ONE_HOT), [1.0])
    assert sp.fraction_active(ONE_HOT) == pytest.approx(1 / N)


def test_constant_is_dense():
    assert_allclose(sp.treves_rolls(CONSTANT), [1.0])
    assert_allclose(sp.normalised_sparseness(CONSTANT), [0.0], atol=1e-12)
    assert_allclose(sp.hoyer(CONSTANT), [0.0], atol=1e-12)
    assert sp.fraction_active(CONSTANT) == 1.0
    assert sp.dead_fraction(CONSTANT) == 0.0


def test_two_level_vector_by_hand():
    a = 0.8
    assert_allclose(sp.treves_rolls(TWO_LEVEL), [a])
    assert_allclose(sp.normalised_sparseness(TWO_LEVEL), [(1 - a) / (1 - 1 / N)])
    l1, l2 = 4 * (1 + 3), np.sqrt(4 * (1 + 9))
    assert_allclose(sp.hoyer(TWO_LEVEL), [(np.sqrt(N) - l1 / l2) / (np.sqrt(N) - 1)])
    assert sp.fraction_active(TWO_LEVEL, threshold=2.0) == 0.5


def test_population_and_lifetime_differ_where_they_should():
    # Each sample has exactly one active unit (population: maximally sparse), but unit 0 fires on
    # every sample while the others are silent... use a diagonal: every unit fires once.
    x = np.eye(4)
    assert sp.population_sparseness(x) == pytest.approx(1.0)
    assert sp.lifetime_sparseness(x) == pytest.approx(1.0)
    # All units active on every sample, but with unit-specific levels: population sparseness > 0,
    # each unit is constant over samples, so lifetime sparseness is 0.
    y = np.tile([1.0, 2.0, 3.0, 4.0], (5, 1))
    assert sp.population_sparseness(y) > 0.1
    assert sp.lifetime_sparseness(y) == pytest.approx(0.0, abs=1e-12)


def test_dead_units_and_silent_samples():
    x = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 1.0]])
    assert sp.dead_fraction(x) == pytest.approx(1 / 3)
    res = sp.summarize(x)
    assert res.silent_units == 1 and res.silent_samples == 0
    assert res.to_frame().shape == (1, len(res.to_dict()))
    # The dead unit is skipped in the lifetime average rather than poisoning it with NaN.
    assert np.isfinite(res.lifetime_sparseness)


def test_fraction_zero_views():
    x = np.array([[0.0, 0.0, 0.5, 100.0]])
    assert sp.fraction_zero(x) == 0.5
    # eps relative to the 100th percentile (=100): 0.5 <= 0.01 * 100 counts as zero.
    assert sp.fraction_zero(x, eps=0.01, percentile=100) == 0.75


@pytest.mark.parametrize("rate_hz, window_s", [(1.0, 0.05), (5.0, 0.02), (20.0, 0.1)])
def test_poisson_fraction_active_matches_theory(rate_hz, window_s):
    rng = np.random.default_rng(0)
    counts = rng.poisson(rate_hz * window_s, size=(400, 500))
    expected = 1 - np.exp(-rate_hz * window_s)
    assert sp.fraction_active(counts) == pytest.approx(expected, rel=0.03)


activity = arrays(
    np.float64,
    st.tuples(st.integers(2, 12), st.integers(2, 12)),
    elements=st.floats(0, 1e3, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=60, deadline=None)
@given(activity, st.floats(1e-3, 1e3))
def test_measures_in_unit_interval_and_scale_invariant(x, scale):
    for f in (sp.population_sparseness, sp.lifetime_sparseness):
        for measure in ("treves_rolls", "hoyer"):
            v = f(x, measure)
            if np.isfinite(v):
                assert -1e-9 <= v <= 1 + 1e-9
                assert f(x * scale, measure) == pytest.approx(v, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(activity, st.randoms(use_true_random=False))
def test_unit_permutation_invariance(x, rnd):
    perm = list(range(x.shape[1]))
    rnd.shuffle(perm)
    y = x[:, perm]
    for f in (sp.population_sparseness, sp.lifetime_sparseness, sp.fraction_active):
        a, b = f(x), f(y)
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-12)


@pytest.mark.parametrize(
    "x, match",
    [
        (np.ones(5), "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
        (np.empty((0, 3)), "empty"),
        (np.array([[1.0, np.nan]]), "NaN"),
        (np.array([[1.0, -1.0]]), "non-negative"),
    ],
)
def test_bad_input_names_parameter_and_problem(x, match):
    with pytest.raises(ValueError, match=match) as info:
        sp.population_sparseness(x)
    assert "x" in str(info.value)


def test_bad_measure_and_threshold():
    with pytest.raises(ValueError, match="measure must be one of"):
        sp.population_sparseness(np.ones((2, 2)), measure="gini")
    with pytest.raises(ValueError, match="threshold"):
        sp.fraction_active(np.ones((2, 2)), threshold=float("nan"))
    with pytest.raises(TypeError, match="numeric"):
        sp.fraction_active([["a", "b"]])


# --- PyTorch tensors: the same numbers as numpy, torch never loaded by this module ------------

FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")
ARRAY_FUNCTIONS = (sp.treves_rolls, sp.normalised_sparseness, sp.hoyer, sp.active_per_sample)
SCALAR_FUNCTIONS = (
    sp.population_sparseness,
    lambda x: sp.population_sparseness(x, "hoyer"),
    sp.lifetime_sparseness,
    lambda x: sp.lifetime_sparseness(x, "hoyer"),
    sp.fraction_active,
    lambda x: sp.fraction_active(x, threshold=0.5),
    sp.fraction_zero,
    lambda x: sp.fraction_zero(x, eps=0.01, percentile=90),
    sp.dead_fraction,
)


@settings(max_examples=60, deadline=None)
@given(
    activity,
    st.sampled_from(FLOAT_DTYPES),
    st.booleans(),
    st.floats(0, 0.8),
)
def test_torch_tensors_give_the_numbers_of_their_numpy_values(x, dtype, grad, silent):
    torch = pytest.importorskip("torch")
    x = np.where(np.arange(x.size).reshape(x.shape) % 5 < 5 * silent, 0.0, x)  # exact zeros
    t = torch.tensor(x, dtype=getattr(torch, dtype)).requires_grad_(grad)
    values = t.detach().double().numpy()  # what the tensor holds, rounded to its dtype
    for f in ARRAY_FUNCTIONS:
        np.testing.assert_array_equal(f(t), f(values))
    for f in SCALAR_FUNCTIONS:
        a, b = f(t), f(values)
        assert (np.isnan(a) and np.isnan(b)) or a == b
    for key, a in sp.summarize(t).to_dict().items():
        b = sp.summarize(values).to_dict()[key]
        assert (np.isnan(a) and np.isnan(b)) or a == b, key


def test_integer_spike_count_tensors_and_bad_tensors():
    torch = pytest.importorskip("torch")
    counts = torch.tensor([[0, 2, 1], [0, 0, 3]])
    assert sp.dead_fraction(counts) == pytest.approx(1 / 3)
    assert sp.fraction_active(counts) == 0.5
    with pytest.raises(TypeError, match="x must be a real-valued tensor"):
        sp.fraction_active(torch.ones(2, 2, dtype=torch.complex64))
    with pytest.raises(ValueError, match="non-negative"):
        sp.population_sparseness(-torch.ones(2, 2, requires_grad=True))


def test_numpy_users_never_load_torch():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from neuroact import sparsity as sp; "
        "sp.summarize(np.eye(3)); sp.fraction_zero(np.eye(3), eps=0.1); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
