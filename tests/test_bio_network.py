"""Tests of the Brunel network and its population-activity measures (numpy target, small nets)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from brian2 import Hz, ms, mV, second
from numpy.testing import assert_allclose

from neuroact.bio.network import (
    BrunelConfig,
    PopulationActivity,
    check_target,
    mean_field_rate,
    network_job,
    poisson_activity,
    simulate,
    sweep,
)
from neuroact.results import RunFolder


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


def test_summary_and_frame(known):
    row = known.to_frame()
    assert isinstance(row, pd.DataFrame) and len(row) == 1
    for col in (
        "frac_active_10ms",
        "frac_active_50ms",
        "silent_frac",
        "cv_isi",
        "population_sparseness",
        "lifetime_sparseness",
        "synchrony_chi",
    ):
        assert col in row.columns
    assert np.isnan(row["frac_active_200ms"].iloc[0])  # longer than the run


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


def test_mean_field_standard_setting():
    # Brunel (2000): g = 5, eta = 2 with C_E = 1000 sits near 38 Hz
    assert mean_field_rate(BrunelConfig(g=5, eta=2)) == pytest.approx(38, abs=2)
    # external drive at half threshold: the mean-field rate is essentially zero
    assert mean_field_rate(BrunelConfig(g=5, eta=0.5)) < 0.1


@pytest.mark.slow
def test_network_rate_at_standard_setting():
    # Small network keeping C_E = 1000 (so mu and sigma are those of N_E = 10,000)
    cfg = BrunelConfig(
        n_exc=2000,
        c_exc=1000,
        g=5.0,
        eta=2.0,
        duration=0.3 * second,
        transient=0.1 * second,
        target="numpy",
        seed=3,
    )
    act = simulate(cfg)
    theory = mean_field_rate(cfg)
    assert 30 < act.mean_rate_Hz() < 45
    assert act.mean_rate_Hz() == pytest.approx(theory, rel=0.1)
    assert act.meta["n_neurons"] == 2500 and act.n_neurons == 2500


def test_network_silent_without_drive_and_reproducible():
    cfg = BrunelConfig(
        n_exc=200,
        g=5.0,
        eta=0.0,
        duration=0.05 * second,
        transient=0 * ms,
        target="numpy",
        reference_c_exc=1000,
    )
    assert simulate(cfg).n_spikes == 0
    cfg2 = cfg.with_(eta=3.0, seed=7)
    from brian2 import defaultclock

    state, dt = np.random.get_state()[1].copy(), defaultclock.dt  # noqa: NPY002
    a, b = simulate(cfg2), simulate(cfg2)
    # the caller's numpy random state and clock are left as they were
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    assert defaultclock.dt == dt
    assert a.n_spikes > 0
    assert_allclose(a.indices, b.indices)
    assert_allclose(a.times_s, b.times_s)


def test_scaling_keeps_threshold_rate():
    full = BrunelConfig(n_exc=10_000)
    small = BrunelConfig(n_exc=1000, reference_c_exc=1000)
    assert float(full.nu_thr) == pytest.approx(10.0)
    assert float(small.nu_thr) == pytest.approx(float(full.nu_thr))
    assert float(small.J_eff / mV) == pytest.approx(1.0)
    assert (full.n_inh, full.c_ex, full.c_in) == (2500, 1000, 250)


def test_heterogeneity_spreads_rates():
    base = dict(
        n_exc=400,
        g=5.0,
        eta=1.5,
        duration=0.2 * second,
        transient=0.05 * second,
        target="numpy",
        reference_c_exc=1000,
        seed=2,
    )
    homo = simulate(BrunelConfig(**base))
    het = simulate(BrunelConfig(**base, heterogeneity=0.5))
    assert het.rates_Hz().std() > homo.rates_Hz().std()


def test_sweep_resumes(tmp_path):
    base = dict(n_exc=200, reference_c_exc=1000, duration_s=0.05, transient_s=0.0, target="numpy")
    run = RunFolder(tmp_path)
    first = sweep([4.0, 6.0], [0.0], base, run=run, progress=False)
    assert len(first) == 2 and set(first["g"]) == {4.0, 6.0}
    assert len(run.completed_jobs("phase")) == 2
    again = sweep([4.0, 6.0], [0.0], base, run=run, progress=False)
    assert_allclose(again["mean_rate_Hz"], first["mean_rate_Hz"])


# bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, err",
    [
        ({"n_exc": -10}, ValueError),
        ({"n_exc": 2.5}, TypeError),
        ({"g": float("nan")}, ValueError),
        ({"eta": float("inf")}, ValueError),
        ({"eta": -1.0}, ValueError),
        ({"target": "gpu"}, ValueError),
        ({"J": 0.1}, TypeError),
        ({"duration": -1 * second}, ValueError),
        ({"v_reset": 30 * mV}, ValueError),
    ],
)
def test_config_bad_input(kwargs, err):
    with pytest.raises(err):
        BrunelConfig(**kwargs)


def test_activity_bad_input(known):
    with pytest.raises(ValueError, match="longer than the run"):
        known.spike_counts(200 * ms)
    with pytest.raises(TypeError, match="window"):
        known.fraction_active(0.05)
    with pytest.raises(ValueError):
        PopulationActivity(np.array([5]), np.array([0.01]), 4, 0.1)  # index out of range
    with pytest.raises(ValueError):
        PopulationActivity(np.array([0]), np.array([0.2]), 4, 0.1)  # time after the run
    with pytest.raises(ValueError):
        PopulationActivity(np.array([], int), np.array([]), -4, 0.1)
    with pytest.raises(ValueError):
        poisson_activity(10, -1 * Hz, 1 * second)
    with pytest.raises(TypeError):
        poisson_activity(10, 5, 1 * second)
    with pytest.raises(ValueError, match="target"):
        check_target("cuda")
    with pytest.raises(ValueError, match="unknown network_job"):
        network_job(n_exc=200, bogus=1)


@pytest.mark.slow
def test_experiment_tiny_run_writes_summary_and_figures(tmp_path):
    from neuroact.experiments import population_sparsity as exp

    cfg = exp.Config(
        n_exc=400,
        reference_c_exc=1000,
        duration_s=0.2,
        max_duration_s=0.3,
        transient_s=0.05,
        gs=(6.0, 8.0),
        etas=(0.9, 1.2),
        heterogeneities=(0.0,),
        sparse_g=8.0,
        sparse_eta=0.9,
        eta_scan=(0.9, 1.2),
        g_scan=(6.0, 8.0),
        scan_heterogeneities=(0.0,),
        standard_eta=1.2,
        target="numpy",
        raster_neurons=50,
        raster_ms=100.0,
    )
    run = exp.run(cfg, tmp_path, progress=False)
    summary = pd.read_csv(tmp_path / "population_summary.csv")
    for col in exp.SUMMARY_COLUMNS:
        assert col in summary.columns
    assert set(summary["sweep"]) == {"phase", "eta_scan", "g_scan", "showcase"}
    assert (summary["n_neurons"] == 500).all()
    for name in ("band", "energy", "raster", "rates", "population_rate"):
        assert run.has(f"{name}.csv")
    assert len(exp.draw(run)) == 4
    # rerun resumes: no job is simulated again, the table is identical
    again = pd.read_csv(exp.run(cfg, tmp_path, progress=False).path / "population_summary.csv")
    assert_allclose(again["mean_rate_Hz"], summary["mean_rate_Hz"])
