"""The external drive's sampler: exact Poisson counts on every target, same network rates.

Goodness of fit against scipy.stats' Poisson distribution (chi-square over many steps and
neurons, with several means at once), and the Brunel network's rate with the new sampler
against the one with Brian2's ``poisson`` over several seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import NeuronGroup, StateMonitor, defaultclock, ms, prefs, run, second
from brian2 import seed as brian_seed
from scipy import stats

from neuroact.bio import poisson
from neuroact.bio.network import BrunelConfig, simulate
from neuroact.bio.poisson import MAX_SMALL_MEAN, poisson_small, poisson_small_numpy, reseed
from neuroact.stats import welch_difference

MEANS = (0.3, 0.85, 2.0, 6.0, MAX_SMALL_MEAN)


def _chi_square_p(counts: np.ndarray, lam: float) -> float:
    """p-value of the counts against Poisson(lam), bins 0..K-1 and a tail bin (K = lam + 5 sd)."""
    k = int(lam + 5 * np.sqrt(lam) + 2)
    observed = np.bincount(np.minimum(counts, k), minlength=k + 1)
    p = stats.poisson.pmf(np.arange(k), lam)
    expected = np.append(p, 1 - p.sum()) * counts.size
    keep = expected >= 5  # the chi-square approximation needs enough expected counts per bin
    observed = np.append(observed[keep], observed[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    return float(stats.chisquare(observed, expected).pvalue)


@pytest.mark.parametrize("lam", MEANS)
def test_numpy_implementation_follows_the_poisson_distribution(lam):
    np.random.seed(11)  # noqa: NPY002 (the implementation draws from the legacy generator)
    counts = poisson_small_numpy(lam, np.exp(-lam), np.arange(200_000))
    assert counts.dtype == np.int32
    assert _chi_square_p(counts, lam) > 1e-3
    assert counts.mean() == pytest.approx(lam, rel=0.02)
    assert counts.var() == pytest.approx(lam, rel=0.03)


def test_per_draw_means_invert_the_cdf_exactly_and_the_scalar_case():
    # Inversion is exact: the count for uniform u is scipy's Poisson quantile of u, draw by draw
    # (a distributional test on these draws would only say how lucky the seed's uniforms are).
    lam = np.repeat([0.5, 4.0, 9.5], 100_000)
    np.random.seed(5)  # noqa: NPY002
    counts = poisson_small_numpy(lam, np.exp(-lam), np.arange(lam.size))
    np.random.seed(5)  # noqa: NPY002 (the same uniform numbers)
    quantiles = stats.poisson.ppf(np.random.rand(lam.size), lam)  # noqa: NPY002
    np.testing.assert_array_equal(counts, quantiles.astype(np.int32))
    assert isinstance(poisson_small_numpy(1.0, np.exp(-1.0), 0), int)
    assert poisson_small_numpy(0.0, 1.0, np.arange(1000)).sum() == 0  # mean 0: never an input


def _brian_counts() -> np.ndarray:
    """Counts drawn by ``poisson_small`` inside Brian2: 5 groups of 300 neurons x 400 steps."""
    n = 300 * len(MEANS)
    group = NeuronGroup(
        n,
        "lam : 1 (constant)\np0 : 1 (constant)\nk : integer",
        namespace={"poisson_small": poisson_small},
        dt=0.1 * ms,
    )
    group.lam = np.repeat(MEANS, 300)
    group.p0 = np.exp(-np.repeat(MEANS, 300))
    group.run_regularly("k = poisson_small(lam, p0)", dt=0.1 * ms)
    monitor = StateMonitor(group, "k", record=True, dt=0.1 * ms)
    brian_seed(3)
    reseed(3)
    run(40 * ms)
    return np.asarray(monitor.k[:])


def _check_means(counts: np.ndarray) -> None:
    for j, lam in enumerate(MEANS):
        sample = counts[300 * j : 300 * (j + 1)].ravel()
        assert _chi_square_p(sample, lam) > 1e-3, lam
        assert sample.mean() == pytest.approx(lam, rel=0.03)


def test_inside_brian2_on_the_numpy_target():
    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        _check_means(_brian_counts())
    finally:
        prefs.codegen.target = old


@pytest.mark.compiled
def test_inside_brian2_compiled_cython_and_cpp_standalone(tmp_path):
    from brian2 import device, set_device

    old = prefs.codegen.target
    prefs.codegen.target = "cython"
    try:
        _check_means(_brian_counts())
    finally:
        prefs.codegen.target = old
    set_device("cpp_standalone", directory=str(tmp_path / "standalone"))
    try:
        _check_means(_brian_counts())
    finally:
        device.reinit()
        device.activate()
        set_device("runtime")
        defaultclock.dt = 0.1 * ms


def test_same_seed_same_cython_state():
    reseed(4)
    first = poisson._STATE.copy()
    reseed(4)
    assert np.array_equal(first, poisson._STATE) and first.any()
    reseed(5)
    assert not np.array_equal(first, poisson._STATE)


@pytest.mark.slow
def test_network_rates_match_brian2s_sampler_within_the_seed_spread():
    # A small network with the mean input and fluctuations of C_E = 1000 (J scaled), firing a
    # few Hz so that each 0.5 s run counts thousands of spikes; 5 seeds per sampler.
    kw = dict(n_exc=400, reference_c_exc=1000, g=6.0, eta=1.3, target="numpy")
    kw |= dict(duration=0.5 * second, transient=0.1 * second)
    rates = {
        sampler: [
            simulate(BrunelConfig(seed=seed, sampler=sampler, **kw)).mean_rate_Hz()
            for seed in range(5)
        ]
        for sampler in ("inversion", "brian2")
    }
    assert min(rates["inversion"]) > 1  # a network that fires: the comparison means something
    diff = welch_difference(rates["inversion"], rates["brian2"])
    assert diff.has_interval and diff.low < 0 < diff.high, diff.text()
    # and the samplers draw different numbers (not the same stream under two names)
    assert rates["inversion"] != rates["brian2"]
