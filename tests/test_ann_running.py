"""Running layer statistics: batch-by-batch sums equal the in-memory definitions; the histogram
percentile of the smooth-unit output view stays within its stated resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from neuroact.ann.activations import get_spec
from neuroact.ann.probes import layer_stats
from neuroact.ann.running import RunningLayerStats, unit_view

BIN = 2.0**-8  # relative width of a histogram bin (module docstring)


def _stream(act: torch.Tensor, unit: str, batch: int = 37, **kwargs) -> RunningLayerStats:
    acc = RunningLayerStats(get_spec(unit), **kwargs)
    for start in range(0, act.shape[0], batch):
        acc.add_input(act[start : start + batch])
        acc.add_output(act[start : start + batch])
    return acc


def _share_near(a: np.ndarray, cut: float) -> float:
    """Share of entries within one bin's width of ``cut``: what the histogram cannot resolve."""
    return float(np.mean(np.abs(a - cut) <= 2 * BIN * cut)) if cut > 0 else 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda g: torch.exp(torch.randn(2000, 50, generator=g) * 4),  # many decades
        lambda g: torch.rand(2000, 50, generator=g),
        lambda g: torch.sigmoid(torch.randn(2000, 50, generator=g) * 30),  # ties at 0 and 1
        lambda g: torch.nn.functional.softplus(torch.randn(1500, 40, generator=g) * 3 - 4),
    ],
)
def test_histogram_percentile_and_output_view_within_one_bin(make):
    act = make(torch.Generator().manual_seed(0))
    a = act.double().abs().numpy()
    acc = _stream(act, "softplus")
    exact_p99 = float(np.percentile(a, 99))
    assert abs(acc.cut() / 0.01 - exact_p99) <= BIN * exact_p99
    ref = layer_stats(act, act, "softplus")
    got = acc.result()
    bound = _share_near(a, 0.01 * exact_p99) + 1e-12
    assert abs(got["frac_zero"] - ref["frac_zero"]) <= bound
    assert abs(got["dead_frac"] - ref["dead_frac"]) <= max(bound, 1 / a.shape[1])


def test_percentile_100_cut_is_exact_and_exact_zero_units_are_exact():
    g = torch.Generator().manual_seed(1)
    act = torch.exp(torch.randn(500, 30, generator=g))
    acc = _stream(act, "sigmoid", percentile=100.0)
    assert acc.cut() == 0.01 * float(act.max())  # the running maximum, no histogram
    ref = layer_stats(act, act, "sigmoid", percentile=100)["frac_zero"]
    bound = _share_near(act.double().numpy(), acc.cut())
    assert abs(acc.result()["frac_zero"] - ref) <= bound
    relu = torch.relu(torch.randn(500, 30, generator=g))
    assert _stream(relu, "relu").result()["frac_zero"] == float((relu == 0).double().mean())


@settings(max_examples=30, deadline=None)
@given(
    samples=st.integers(1, 40),
    units=st.integers(1, 12),
    zeros=st.floats(0, 0.9),
    batch=st.integers(1, 50),
    seed=st.integers(0, 2**16),
)
def test_streamed_sums_equal_the_in_memory_definitions(samples, units, zeros, batch, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, units, generator=g, dtype=torch.float64)
    x[torch.rand(samples, units, generator=g) < zeros] = -1.0  # silent units and samples
    act = torch.relu(x)
    got = _stream(act, "relu", batch=batch).result()
    ref = layer_stats(x, act, "relu")
    for key, value in ref.items():
        if math.isnan(value):
            assert math.isnan(got[key]), key
        else:
            assert_allclose(got[key], value, rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_low_and_high_precision_activations(dtype):
    act = torch.relu(torch.randn(64, 9, generator=torch.Generator().manual_seed(2))).to(dtype)
    got = _stream(act, "tanh").result()
    ref = layer_stats(act, act, "tanh")
    tol = 1e-12 if dtype == torch.float64 else 1e-6  # batches reduced in float32 otherwise
    for key in ("population_sparseness", "lifetime_sparseness", "mean_activation", "dead_frac"):
        assert_allclose(got[key], ref[key], rtol=tol, err_msg=key)


def test_unit_views_of_feature_maps():
    t = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 3, 2, 2)
    assert unit_view(t).shape == (2, 12)
    assert_allclose(unit_view(t, "channel").numpy(), t.flatten(2).mean(2).numpy())
    assert unit_view(torch.ones(5)).shape == (5, 1)
    acc = RunningLayerStats(get_spec("relu"))
    acc.add_output(torch.ones(2, 3))
    with pytest.raises(ValueError, match="gave 4 units per example after 3"):
        acc.add_output(torch.ones(2, 4))
    with pytest.raises(ValueError, match="conv_unit must be one of"):
        RunningLayerStats(get_spec("relu"), conv_unit="pooled")
