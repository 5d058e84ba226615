"""Spike-train measures of a population (numpy only), checked by hand and against Poisson theory."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from brian2 import Hz, ms, second
from numpy.testing import assert_allclose

from neuroact.bio.activity import AI_MAX_CHI, AI_MIN_CV, PopulationActivity, poisson_activity


@pytest.fixture
def known() -> PopulationActivity:
    """4 neurons, 100 ms: regular, irregular, single-spike and silent neuron."""
    spikes = [(0, 5), (0, 15), (0, 25), (1, 5), (1, 20), (1, 60), (2, 55)]
    idx = np.array([s[0] for s in spikes])
    t = np.array([s[1] for s in spikes]) / 1e3
    return PopulationActivity(idx, t, n_neurons=4, duration_s=0.1)


def test_counts_and_fraction_active_by_hand(known):
    counts = known.spike_counts(50 * ms)
    assert_allclose(counts, [[3, 2, 0, 0], [0, 1, 1, 0]])
    assert known.fraction_active(50 * ms) == pytest.approx(0.5)
    # 10 ms windows: active neurons 2, 1, 2, 0, 0, 1, 1, 0, 0, 0 (of 4)
    assert known.fraction_active(10 * ms) == pytest.approx(7 / 40)
    assert known.fraction_active(100 * ms) == pytest.approx(3 / 4)
    assert known.silent_fraction() == pytest.approx(1 / 4)
    assert known.mean_rate_Hz() == pytest.approx(7 / (4 * 0.1))
    assert_allclose(known.rates_Hz(), [30, 30, 10, 0])


def test_sparseness_by_hand(known):
    # window 1: x = [3,2,0,0], a = 1.25^2/3.25, S = (1-a)/(3/4); window 2: [0,1,1,0], S = 2/3
    a1 = 1.25**2 / 3.25
    s_pop = ((1 - a1) / 0.75 + (1 - 0.5) / 0.75) / 2
    assert known.population_sparseness(50 * ms) == pytest.approx(s_pop)
    # per neuron over 2 windows: [3,0] -> 1, [2,1] -> (1-0.9)/0.5, [0,1] -> 1, silent skipped
    assert known.lifetime_sparseness(50 * ms) == pytest.approx((1 + 0.2 + 1) / 3)


def test_cv_isi_by_hand(known):
    cv = known.cv_isi()
    assert cv[0] == pytest.approx(0.0)
    assert cv[1] == pytest.approx(12.5 / 27.5)  # ISIs 15 and 40 ms: std 12.5, mean 27.5
    assert np.isnan(cv[2]) and np.isnan(cv[3])
    assert known.mean_cv_isi() == pytest.approx(12.5 / 27.5 / 2)


def test_cv2_by_hand(known):
    cv2 = known.cv2_isi()
    assert cv2[0] == pytest.approx(0.0)
    assert cv2[1] == pytest.approx(2 * 25 / 55)  # ISIs 15, 40 ms
    assert np.isnan(cv2[2]) and np.isnan(cv2[3])


def test_cv2_unbiased_for_sparse_poisson():
    # 0.3 Hz for 5 s: ~1.5 spikes per neuron; the CV of the few ISIs is biased low, CV2 is not
    act = poisson_activity(20_000, 0.3 * Hz, 5 * second, seed=4)
    assert np.nanmean(act.cv2_isi()) == pytest.approx(1.0, abs=0.05)
    assert act.mean_cv_isi() < 0.75


def test_synchrony_identical_trains_is_one():
    t = np.array([0.01, 0.033, 0.07])
    act = PopulationActivity(np.repeat(np.arange(5), 3), np.tile(t, 5), 5, 0.1)
    assert act.synchrony_chi(2 * ms) == pytest.approx(1.0)


def test_summary_values_by_hand(known):
    row = known.to_frame().iloc[0]
    assert row["n_neurons"] == 4 and row["n_spikes"] == 7 and row["duration_s"] == 0.1
    assert row["mean_rate_Hz"] == pytest.approx(17.5)
    assert row["median_rate_Hz"] == pytest.approx(20.0)  # rates 30, 30, 10, 0
    assert row["rate_sd_Hz"] == pytest.approx(np.std([30, 30, 10, 0]))
    assert row["frac_active_10ms"] == pytest.approx(7 / 40)
    assert row["frac_active_20ms"] == pytest.approx(6 / 20)  # 2, 1, 1, 1, 1 of 4 per window
    assert row["frac_active_50ms"] == pytest.approx(0.5)
    assert row["frac_active_100ms"] == pytest.approx(0.75)
    assert np.isnan(row["frac_active_200ms"])  # longer than the run
    assert row["silent_frac"] == pytest.approx(0.25)
    assert row["cv_isi"] == pytest.approx(12.5 / 27.5 / 2) and row["cv_isi_n"] == 2
    assert row["cv2_isi"] == pytest.approx(25 / 55)  # mean of 0 and 2 * 25 / 55
    assert row["population_sparseness"] == pytest.approx(known.population_sparseness(50 * ms))
    assert row["lifetime_sparseness"] == pytest.approx((1 + 0.2 + 1) / 3)
    assert row["synchrony_chi"] == pytest.approx(known.synchrony_chi(2 * ms))
    assert not row["asynchronous_irregular"]  # CV2 0.45 < AI_MIN_CV
    assert (AI_MIN_CV, AI_MAX_CHI) == (0.8, 0.2)


def test_synchrony_and_fano_by_hand():
    # 2 neurons, 4 bins of 10 ms: counts n0 = [1, 0, 1, 0], n1 = [1, 0, 0, 0]
    act = PopulationActivity(np.array([0, 1, 0]), np.array([0.005, 0.006, 0.025]), 2, 0.04)
    pop = np.array([2, 0, 1, 0]) / 2
    var = (np.var([1, 0, 1, 0]) + np.var([1, 0, 0, 0])) / 2
    assert act.synchrony_chi(10 * ms) == pytest.approx(np.sqrt(pop.var() / var))
    counts = np.array([2, 0, 1, 0])
    assert act.population_fano(10 * ms) == pytest.approx(counts.var() / counts.mean())
    t, rate = act.population_rate(10 * ms)
    assert_allclose(t, [0, 0.01, 0.02, 0.03]) and assert_allclose(rate, counts / (2 * 0.01))


def test_poisson_population_fraction_active_matches_theory():
    rate, n = 5.0, 2000
    act = poisson_activity(n, rate * Hz, 10 * second, seed=1)
    for w_ms in (10, 50, 100):
        expected = 1 - math.exp(-rate * w_ms / 1e3)
        assert act.fraction_active(w_ms * ms) == pytest.approx(expected, rel=0.02)
    assert act.mean_rate_Hz() == pytest.approx(rate, rel=0.02)
    assert act.mean_cv_isi() == pytest.approx(1.0, abs=0.05)
    assert act.synchrony_chi(2 * ms) < 3 / math.sqrt(n)
    assert act.population_fano(2 * ms) == pytest.approx(1.0, abs=0.1)


def test_brian2_poissongroup_fraction_active():
    from brian2 import Network, PoissonGroup, SpikeMonitor, prefs

    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        grp = PoissonGroup(500, 8 * Hz)
        mon = SpikeMonitor(grp)
        Network(grp, mon).run(2 * second)
    finally:
        prefs.codegen.target = old
    act = PopulationActivity(np.asarray(mon.i[:]), np.asarray(mon.t[:] / second), 500, 2.0)
    assert act.fraction_active(20 * ms) == pytest.approx(1 - math.exp(-8 * 0.02), rel=0.05)


def test_activity_bad_input(known):
    with pytest.raises(ValueError, match=r"^window must not be longer than the run \(100 ms\)"):
        known.spike_counts(200 * ms)
    with pytest.raises(TypeError, match=r"^window must be a Brian2 quantity in s"):
        known.fraction_active(0.05)
    with pytest.raises(ValueError, match=r"^bin must be > 0"):
        known.synchrony_chi(0 * ms)
    with pytest.raises(ValueError, match=r"^bin must fit 2 time\(s\) into the run"):
        known.synchrony_chi(80 * ms)
    with pytest.raises(ValueError, match=r"^indices must lie in \[0, 4\); got range \[5, 5\]"):
        PopulationActivity(np.array([5]), np.array([0.01]), 4, 0.1)
    with pytest.raises(ValueError, match=r"^times_s must be finite and in \[0, duration_s"):
        PopulationActivity(np.array([0]), np.array([0.2]), 4, 0.1)
    with pytest.raises(ValueError, match=r"^n_neurons must be an integer >= 1; got -4$"):
        PopulationActivity(np.array([], int), np.array([]), -4, 0.1)
    with pytest.raises(TypeError, match=r"^indices must be integers; got 0\.5"):
        PopulationActivity(np.array([0.5]), np.array([0.01]), 4, 0.1)
    with pytest.raises(ValueError, match=r"^rate must be >= 0; got -1\. Hz$"):
        poisson_activity(10, -1 * Hz, 1 * second)
    with pytest.raises(TypeError, match=r"^rate must be a Brian2 quantity in Hz"):
        poisson_activity(10, 5, 1 * second)
    with pytest.raises(ValueError, match=r"^rate must be one value or one per neuron \(10\)"):
        poisson_activity(10, np.ones(3) * Hz, 1 * second)


def test_importable_without_brian2():
    # the measures are numpy only: importing and using them must not load Brian2 (2 s)
    code = (
        "import sys, numpy as np\n"
        "from neuroact.bio.activity import PopulationActivity\n"
        "a = PopulationActivity(np.array([0, 1]), np.array([0.01, 0.07]), 2, 0.1)\n"
        "assert a.summary()['frac_active_50ms'] == 0.5\n"
        "assert 'brian2' not in sys.modules, 'brian2 was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
