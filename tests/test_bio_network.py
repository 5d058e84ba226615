"""The Brunel network: configuration, simulation, sweeps and the population-sparsity experiment.

Small networks on Brian2's numpy target; the spike-train measures are tested in
``test_bio_activity.py``, the mean-field rate in ``test_bio_theory.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from brian2 import Hz, ms, mV, second
from numpy.testing import assert_allclose

from neuroact.bio.energy import atp_rate
from neuroact.bio.network import BrunelConfig, simulate
from neuroact.bio.theory import mean_field_rate
from neuroact.experiments.population_sparsity import (
    config_dict,
    network_config,
    network_job,
    sweep,
)
from neuroact.results import RunFolder


def test_in_degrees_one_name_derived_or_given():
    cfg = BrunelConfig(n_exc=2000)
    assert (cfg.c_exc, cfg.c_inh) == (200, 50)  # epsilon N_E, C_E / 4
    assert cfg.with_(n_exc=4000).c_exc == 400  # derived again from epsilon
    dense = BrunelConfig(n_exc=2000, c_exc=1000)
    assert dense.with_(n_exc=4000).c_exc == 1000  # given: kept
    assert dense.describe()["c_exc"] == 1000 and dense.describe()["c_inh"] == 250


def test_config_dict_round_trips_through_plain_numbers():
    cfg = BrunelConfig(n_exc=400, g=6.0, eta=0.9, J=0.2 * mV, dt=0.05 * ms, target="numpy")
    plain = config_dict(cfg)
    assert plain["J_mV"] == 0.2 and plain["dt_ms"] == 0.05 and plain["duration_s"] == 1.0
    assert network_config(**plain) == cfg
    assert cfg.describe()["dt_ms"] == 0.05 and cfg.describe()["J_mV"] == 0.2


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
    assert (full.n_inh, full.c_exc, full.c_inh) == (2500, 1000, 250)


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
    "kwargs, err, match",
    [
        ({"n_exc": -10}, ValueError, r"^n_exc must be an integer >= 4; got -10$"),
        ({"n_exc": 2.5}, TypeError, r"^n_exc must be an integer >= 4; got 2\.5$"),
        ({"g": float("nan")}, ValueError, r"^g must be finite; got nan$"),
        ({"eta": float("inf")}, ValueError, r"^eta must be finite; got inf$"),
        ({"eta": -1.0}, ValueError, r"^eta must be >= 0; got -1\.0$"),
        ({"epsilon": 1.5}, ValueError, r"^epsilon must be <= 1; got 1\.5$"),
        ({"c_exc": 0}, ValueError, r"^c_exc must be an integer >= 1; got 0$"),
        ({"target": "gpu"}, ValueError, r"^target must be one of .*; got 'gpu'$"),
        ({"J": 0.1}, TypeError, r"^J must be a Brian2 quantity in V"),
        ({"tau": 0 * ms}, ValueError, r"^tau must be > 0; got 0\. s$"),
        ({"t_ref": -1 * ms}, ValueError, r"^t_ref must be >= 0; got -1\. ms$"),
        ({"duration": -1 * second}, ValueError, r"^duration must be > 0; got -1\. s$"),
        ({"v_reset": 30 * mV}, ValueError, r"^v_reset must lie below theta \(20\. mV\); got 30"),
        ({"delay": 0.05 * ms}, ValueError, r"^delay must be at least one step dt"),
        ({"heterogeneity": -0.1}, ValueError, r"^heterogeneity must be >= 0"),
        ({"seed": -1}, ValueError, r"^seed must be an integer >= 0; got -1$"),
    ],
)
def test_config_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        BrunelConfig(**kwargs)


def test_job_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match=r"^unknown network parameter\(s\) \['bogus'\]"):
        network_job(n_exc=200, bogus=1)
    with pytest.raises(ValueError, match=r"^duration_s must be finite"):
        network_job(n_exc=200, duration_s=float("nan"))
    with pytest.raises(ValueError, match=r"^gs must be >= 0; got -4\.0$"):
        sweep([-4.0], [1.0], {"n_exc": 200})
    with pytest.raises(TypeError, match="cfg must be a BrunelConfig"):
        simulate({"n_exc": 200})


def _tiny_config(**changes):
    from neuroact.experiments import population_sparsity as exp

    settings = dict(
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
        band_conditions=("", "theta_sd_mV=2"),
        band_gs=(8.0,),
        band_max_networks=3,
        band_duration_s=0.1,
        band_max_duration_s=0.2,
    )
    return exp.Config(**(settings | changes))


@pytest.mark.slow
def test_experiment_tiny_run_tables_agree(tmp_path):
    from neuroact.experiments import population_sparsity as exp

    cfg = _tiny_config()
    run = exp.run(cfg, tmp_path, progress=False)
    summary = pd.read_csv(tmp_path / "population_summary.csv")
    assert list(summary.columns[: len(exp.SUMMARY_COLUMNS)]) == list(exp.SUMMARY_COLUMNS)
    assert set(summary["sweep"]) == {"phase", "eta_scan", "g_scan", "showcase"}
    assert (summary["n_neurons"] == 500).all() and (summary["c_exc"] == 40).all()
    # each network ran long enough for 3 spikes per neuron at its mean-field rate (0.2-0.3 s)
    for _, row in summary.iterrows():
        assert row["duration_s"] == exp.job_duration(cfg, row["g"], row["eta"])
    assert (summary["in_band_50ms"] == summary["frac_active_50ms"].between(*exp.BAND)).all()
    assert_allclose(
        summary["atp_per_neuron_per_s"], atp_rate(summary["mean_rate_Hz"].to_numpy() * Hz)
    )
    show = summary[summary["sweep"] == "showcase"].set_index("label")
    rates = run.read_table("rates").groupby("label")["rate_Hz"].mean()
    assert_allclose(rates[show.index], show["mean_rate_Hz"], rtol=1e-12)
    poprate = run.read_table("population_rate").groupby("label")["rate_Hz"].mean()
    assert_allclose(poprate[show.index], show["mean_rate_Hz"], rtol=1e-9)  # 1 ms bins, whole run
    raster = run.read_table("raster")
    assert raster["neuron"].max() < 50 and raster["time_ms"].max() < 100
    energy = run.read_table("energy")
    al = energy[energy["budget"] == "attwell_laughlin_2001"].set_index("label")
    assert_allclose(al["atp_per_neuron_per_s"], show["atp_per_neuron_per_s"][al.index])
    assert_allclose(al["measured_frac_active_50ms"], show["frac_active_50ms"][al.index])
    assert len(exp.draw(run)) == 6  # 4 of the sweeps, 2 of the band search
    band = run.read_table("band_width")
    assert len(band) == 2 and (band["networks"] <= 3).all()
    assert set(run.read_table("band_networks")["g"]) == {8.0}
    # rerun resumes: no job is simulated again, the table is identical
    again = pd.read_csv(exp.run(cfg, tmp_path, progress=False).path / "population_summary.csv")
    assert_allclose(again["mean_rate_Hz"], summary["mean_rate_Hz"], rtol=0)


@pytest.mark.slow
def test_a_two_process_run_gives_the_serial_tables(tmp_path):
    # the networks' seeds are their own, not the process's: the same tables on any number
    from neuroact.experiments import population_sparsity as exp

    cfg = _tiny_config(parts=("sweeps",), duration_s=0.1, max_duration_s=0.2)
    wall = ["build_s", "run_s", "wall_per_sim_s", "cpu_per_sim_s"]
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"workers{workers}"
        exp.run(cfg, out, workers=workers, progress=False, figures=False)
        runs[workers] = {
            p.name: pd.read_csv(p).drop(columns=wall, errors="ignore") for p in out.glob("*.csv")
        }
    assert {"raster.csv", "rates.csv", "population_rate.csv", "energy.csv"} <= set(runs[1])
    assert runs[1].keys() == runs[2].keys()
    for name, table in runs[1].items():
        pd.testing.assert_frame_equal(runs[2][name], table, check_exact=True, obj=name)


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"target": "gpu"}, ValueError, r"^target must be one of"),
        ({"budget": "lennie"}, ValueError, r"^budget must be one of"),
        ({"g_scan": (6.0, -1.0)}, ValueError, r"^g must be >= 0; got -1\.0$"),
        ({"n_exc": 2.5}, TypeError, r"^n_exc must be an integer"),
        ({"transient_s": -0.1}, ValueError, r"^transient must be >= 0"),
        ({"max_duration_s": 0.1}, ValueError, r"^max_duration_s must be >= duration_s"),
        ({"raster_neurons": 0}, ValueError, r"^raster_neurons must be an integer >= 1"),
        ({"eta_scan": ()}, ValueError, r"^eta_scan must not be empty"),
        ({"parts": ("sweeps", "maps")}, ValueError, r"^parts must be a non-empty selection"),
        ({"band_conditions": ("neuron=hh",)}, ValueError, r"^neuron must be one of"),
        ({"band_conditions": ("theta_sd_mV",)}, ValueError, r"must be key=value"),
        ({"band_max_networks": 1}, ValueError, r"^band_max_networks must be an integer >= 2"),
        ({"band_max_duration_s": 0.01}, ValueError, r"^band_max_duration_s must be >="),
        ({"band_gs": ()}, ValueError, r"^band_gs must not be empty"),
    ],
)
def test_experiment_bad_config_fails_before_writing(tmp_path, changes, error, match):
    from neuroact.experiments import population_sparsity as exp

    with pytest.raises(error, match=match):
        exp.run(_tiny_config(**changes), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # no folder, no config.json, no partial table
