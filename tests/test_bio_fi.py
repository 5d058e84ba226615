"""f-I curves: models, the one-group runner against the analytic oracles, the experiment.

Simulations are short and use Brian2's numpy target (``NUMPY``), except the ``compiled`` tests
here and the compiled programs' own tests in ``test_bio_standalone.py``. The oracles themselves
are tested in ``test_bio_theory.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, second, uA
from numpy.testing import assert_allclose

from neuroact.bio.fi import (
    MIN_STEPS_PER_ISI,
    StandaloneFICurve,
    check_run,
    dt_limited,
    fi_curve,
    spike_statistics,
)
from neuroact.bio.neurons import MODELS, get_model, model_names
from neuroact.bio.theory import lif_rate, siegert_rate

UA_CM2 = uA / cm**2
NUMPY = {"target": "numpy"}  # no compile step; the default ("auto") compiles a program


# --- models ------------------------------------------------------------------------------------
def test_registry_and_overrides():
    assert {"lif", "noisy_lif", "hh", "adex", "izhikevich_rs", "izhikevich_fs"} <= set(MODELS)
    with pytest.raises(ValueError, match="unknown model 'nope'.*lif"):
        get_model("nope")
    slow = get_model("lif", tau_m=20 * ms)
    assert slow.params["tau_m"] == 20 * ms and MODELS["lif"].params["tau_m"] == 10 * ms
    with pytest.raises(TypeError, match="tau_m"):
        get_model("lif", tau_m=20 * mV)
    with pytest.raises(ValueError, match="unknown parameter 'tau'"):
        get_model("lif", tau=20 * ms)
    assert model_names() == list(MODELS)


# --- statistics on hand-made spike trains ------------------------------------------------------
def test_spike_statistics_by_hand():
    # 2 currents x 2 trials; neuron k = current k // 2, trial k % 2; window [0.5, 1.0) s
    i = np.array([0, 0, 0, 0, 1, 1, 1, 2])
    t = np.array([0.1, 0.5, 0.6, 0.8, 0.0, 0.25, 0.9, 0.7])
    s = spike_statistics(i, t, 2, 2, transient=0.5, duration=1.0, rate_method="count")
    assert_allclose(s["trial_rates"], [[3 / 0.5, 1 / 0.5], [1 / 0.5, 0.0]])
    assert_allclose(s["rate"], [4.0, 1.0])
    assert_allclose(s["rate_sem"], [np.std([6, 2], ddof=1) / np.sqrt(2), 1.0])
    assert_allclose(s["first_rate"], [(1 / 0.4 + 1 / 0.25) / 2, 0.0])
    assert_allclose(s["cv_isi"][0], np.std([0.1, 0.2], ddof=1) / 0.15)
    assert np.isnan(s["cv_isi"][1])
    assert list(s["n_spikes"]) == [4, 1]
    isi = spike_statistics(i, t, 2, 2, transient=0.5, duration=1.0, rate_method="isi")
    assert_allclose(isi["trial_rates"][0], [2 / 0.3, 1 / 0.5])  # one late spike: count fallback


# --- simulations against the oracles -----------------------------------------------------------
def test_lif_matches_analytic_rate_within_1_percent():
    # The LIF curve is steep at threshold: invert the formula to put points at 6 and 8 Hz.
    low = np.array([6.0, 8.0])
    climb = np.exp((1 / low - 2e-3) / 10e-3)
    near = 1.5 * climb / (climb - 1)  # nA: R I = (V_th - E_L) e^(T/tau) / (e^(T/tau) - 1)
    currents = np.concatenate([near, [1.55, 1.7, 2.0, 3.0, 5.0, 10.0]]) * nA
    curve = fi_curve(
        "lif", currents, duration=1 * second, transient=0.1 * second, dt=0.01 * ms, **NUMPY
    )
    expected = lif_rate(currents)
    assert_allclose(expected[:2], low, rtol=1e-9)  # the check reaches down to the 5 Hz limit
    assert_allclose(curve.rate, expected, rtol=0.01)
    assert_allclose(curve.cv_isi, 0.0, atol=1e-6)
    below = fi_curve(
        "lif", np.array([0.0, 1.4]) * nA, duration=0.2 * second, transient=0.1 * second, **NUMPY
    )
    assert np.all(below.rate == 0)


@pytest.mark.parametrize(
    "sigma_mV, currents_nA", [(2, [1.35, 1.6, 2.0, 3.0]), (5, [1.0, 1.5, 3.0])]
)
def test_noisy_lif_matches_siegert_within_3_percent(sigma_mV, currents_nA):
    # 300 trials x 0.5 s after a 0.1 s transient; at least ~2500 spikes per current
    model = get_model("noisy_lif", sigma=sigma_mV * mV)
    currents = np.array(currents_nA) * nA
    curve = fi_curve(
        model, currents, duration=0.6 * second, transient=0.1 * second, trials=300, seed=3, **NUMPY
    )
    expected = siegert_rate(currents * model.params["R_m"], sigma_mV * mV)
    assert np.all(expected > 5)
    assert_allclose(curve.rate, expected, rtol=0.03)
    assert np.all(curve.rate_sem / curve.rate < 0.015)


def test_hodgkin_huxley_type_ii_onset():
    # numpy target at dt = 0.025 ms (rates within 1.5% of dt = 0.01 ms, same onset)
    currents = np.array([5.5, 6.0, 6.5, 10.0]) * UA_CM2
    curve = fi_curve(
        "hh", currents, duration=0.3 * second, transient=0.15 * second, dt=0.025 * ms, **NUMPY
    )
    assert np.all(curve.rate[:2] == 0)  # no sustained firing below 6.0 uA/cm2
    assert curve.first_rate[1] > 0  # ... though the onset still gives a spike pair
    assert 40 <= curve.rate[2] <= 70  # sustained by 6.5, jumping straight to ~50 Hz
    assert curve.rate[3] > curve.rate[2]


@pytest.mark.parametrize(
    "name, currents",
    [("izhikevich_rs", [3.5, 3.8, 4.0, 15.0]), ("adex", [0.6, 0.65, 0.7, 2.0])],
)
def test_adapting_models_continuous_onset_and_adaptation(name, currents):
    model = get_model(name)
    unit = model.current_unit
    curve = fi_curve(
        model, np.array(currents) * unit, duration=1 * second, transient=0.5 * second, **NUMPY
    )
    firing = curve.rate[curve.rate > 0]
    assert curve.rate[0] == 0 and firing.size >= 2
    assert firing.min() < 10  # continuous (type I) onset
    assert curve.first_rate[-1] >= 2 * curve.rate[-1]  # adaptation at the top current


def test_same_seed_same_numbers_and_numpy_state_untouched():
    model = get_model("noisy_lif", sigma=5 * mV)
    currents = np.array([1.0, 2.0]) * nA
    kw = {"duration": 0.1 * second, "transient": 0.02 * second, "trials": 5, **NUMPY}
    np.random.seed(123)  # noqa: NPY002 (the legacy global state Brian2 touches)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = fi_curve(model, currents, seed=7, **kw)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    b = fi_curve(model, currents, seed=7, **kw)
    c = fi_curve(model, currents, seed=8, **kw)
    assert_allclose(a.trial_rates, b.trial_rates, rtol=0, atol=0)
    assert not np.array_equal(a.trial_rates, c.trial_rates)


def test_to_frame_holds_the_curve_and_its_settings():
    currents = np.array([1.0, 2.0, 3.0]) * nA
    curve = fi_curve("lif", currents, duration=0.2 * second, transient=0.05 * second, **NUMPY)
    frame = curve.to_frame()
    assert list(frame["current"]) == [1.0, 2.0, 3.0] and set(frame["current_unit"]) == {"nA"}
    assert_allclose(frame["rate_Hz"], lif_rate(currents), rtol=0.01)
    assert_allclose(frame["first_rate_Hz"], lif_rate(currents), rtol=0.01)
    # spikes after the transient: the analytic rate times the 150 ms window, within one spike
    assert_allclose(frame["n_spikes"], lif_rate(currents) * 0.15, atol=1)
    assert frame["dt_ms"].tolist() == [0.01] * 3  # the model's dt, 0.01 ms
    assert frame[["duration_s", "transient_s"]].to_numpy().tolist() == [[0.2, 0.05]] * 3
    assert frame["rate_method"].tolist() == ["isi"] * 3  # deterministic model
    assert not frame["dt_limited"].any()


# --- rates limited by the time step --------------------------------------------------------------
def test_dt_limited_criterion_by_hand():
    # intervals shorter than MIN_STEPS_PER_ISI = 10 steps: rate * dt >= 0.1
    assert MIN_STEPS_PER_ISI == 10
    assert dt_limited(np.array([0.0, 999.0, 1000.0, 10_000.0]), 1e-4).tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_a_model_without_refractoriness_fires_every_step_and_is_flagged():
    # LIF with t_ref = 0: at 1000 nA it crosses threshold within one 0.1 ms step, every step
    model = get_model("lif", t_ref=0 * ms)
    currents = np.array([2.0, 1000.0]) * nA
    with pytest.warns(UserWarning, match=r"model 'lif' .* from 1000 nA on .* dt_limited"):
        curve = fi_curve(
            model, currents, duration=0.05 * second, transient=0.01 * second, dt=0.1 * ms, **NUMPY
        )
    assert curve.rate[1] == pytest.approx(1 / 1e-4)  # one spike per step: 1/dt
    assert curve.dt_limited.tolist() == [False, True]
    assert curve.to_frame()["dt_limited"].tolist() == [False, True]
    # the unlimited point still follows the formula (ISI ~ 14 ms = 140 steps)
    assert curve.rate[0] == pytest.approx(float(lif_rate(2 * nA, t_ref=0 * ms)), rel=0.01)


def test_izhikevich_driven_hard_is_flagged():
    model = get_model("izhikevich_rs")
    currents = np.array([10.0, 1e5]) * model.current_unit
    with pytest.warns(UserWarning, match=r"model 'izhikevich_rs' .* from 100000 uA/cm2 on"):
        curve = fi_curve(
            model, currents, duration=0.05 * second, transient=0.01 * second, dt=0.1 * ms, **NUMPY
        )
    assert curve.dt_limited.tolist() == [False, True]
    assert curve.first_rate[1] == pytest.approx(1e4)  # its first interval is a single step


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"currents": np.array([1.0, 2.0])}, TypeError, r"^currents for model 'lif' must be a "),
        ({"currents": np.array([1.0]) * mV}, TypeError, r"^currents for model 'lif' must be in nA"),
        ({"currents": np.array([]) * nA}, ValueError, "currents must be a non-empty"),
        ({"currents": np.array([1.0, np.nan]) * nA}, ValueError, r"currents .* must be finite"),
        ({"duration": 0 * second}, ValueError, r"^duration must be > 0; got 0\. s$"),
        ({"duration": -1 * second}, ValueError, r"^duration must be > 0; got -1\. s$"),
        ({"duration": 1.0}, TypeError, r"^duration must be a Brian2 quantity in s"),
        ({"transient": 0.5 * second, "duration": 0.5 * second}, ValueError, "^transient must"),
        ({"dt": 0 * ms}, ValueError, r"^dt must be > 0"),
        ({"dt": 1 * second}, ValueError, r"^dt must be shorter than the measured window"),
        ({"trials": 0}, ValueError, r"^trials must be an integer >= 1; got 0$"),
        ({"trials": 1.5}, TypeError, r"^trials must be an integer >= 1; got 1\.5$"),
        ({"target": "gpu"}, ValueError, r"^target must be one of .*; got 'gpu'$"),
        ({"rate_method": "mean"}, ValueError, r"^rate_method must be one of"),
        ({"seed": -1}, ValueError, r"^seed must be an integer >= 0; got -1$"),
        ({"model": "lif2"}, ValueError, "unknown model 'lif2'"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"model": "lif", "currents": np.array([2.0]) * nA, "duration": 0.1 * second, **NUMPY}
    args["transient"] = 0.01 * second
    args.update(kwargs)
    model, currents = args.pop("model"), args.pop("currents")
    with pytest.raises(error, match=match):
        fi_curve(model, currents, **args)


def test_check_run_returns_si_settings():
    assert check_run(dt=0.025 * ms, duration=0.6 * second, transient=0.3 * second) == (
        pytest.approx(0.6),
        pytest.approx(0.3),
        pytest.approx(2.5e-5),
    )


# --- compiled code -----------------------------------------------------------------------------
@pytest.mark.compiled
def test_compiled_targets_match_numpy_and_theory(tmp_path):
    currents = np.array([1.6, 2.0, 4.0]) * nA
    kw = {"duration": 0.3 * second, "transient": 0.05 * second}
    slow = fi_curve("lif", currents, target="numpy", **kw)
    fast = fi_curve("lif", currents, target="cython", **kw)
    assert_allclose(fast.rate, slow.rate, rtol=1e-9)
    assert_allclose(fast.rate, lif_rate(currents), rtol=0.01)
    # cpp_standalone: built once, rerun with new currents without recompiling
    with StandaloneFICurve("lif", 3, directory=tmp_path, **kw) as runner:
        first = runner.run(currents)
        again = runner.run(currents * 1.5)
    assert_allclose(first.rate, slow.rate, rtol=1e-9)
    assert_allclose(again.rate, lif_rate(currents * 1.5), rtol=0.01)
    after = fi_curve("lif", currents, target="numpy", **kw)  # the runtime device untouched
    assert_allclose(after.rate, slow.rate, rtol=0)


# --- the experiment ----------------------------------------------------------------------------
def _tiny_config(**changes):
    from neuroact.experiments import fi_curves

    settings = dict(
        models=("lif", "noisy_lif", "izhikevich_fs"),
        noise_mV=(2.0, 5.0),
        n_currents=3,
        duration_s=0.1,
        transient_s=0.05,
        noisy_trials=2,
        dt_ms=0.1,
        target="numpy",
        theory_points=11,
    )
    return fi_curves.Config(**(settings | changes))


def test_experiment_tables_against_the_oracles(tmp_path):
    from neuroact.experiments import fi_curves

    run = fi_curves.run(_tiny_config(), tmp_path / "run", progress=False)
    table = run.read_table("fi_curves")
    assert list(table.columns[:8]) == list(fi_curves.COLUMNS)
    assert len(table) == (1 + 2 + 1) * 3  # model x noise level x current
    assert set(zip(table["model"], table["sigma_mV"], strict=True)) == {
        ("lif", 0.0),
        ("noisy_lif", 2.0),
        ("noisy_lif", 5.0),
        ("izhikevich_fs", 0.0),
    }
    assert set(table[table["model"] == "izhikevich_fs"]["current_unit"]) == {"uA/cm2"}
    assert not table["dt_limited"].any()  # at most ~150 Hz: intervals of 60+ steps of 0.1 ms
    lif = table[table["model"] == "lif"]
    assert lif["current"].tolist() == [0.0, 2.5, 5.0]
    # 0.1 ms steps: the grid delays each spike by less than one step (< 2% at 180 Hz)
    assert_allclose(lif["rate_Hz"], lif_rate(lif["current"].to_numpy() * nA), rtol=0.02)

    theory = run.read_table("fi_theory")
    grid = np.linspace(0, 5, 11)
    assert_allclose(theory[theory["model"] == "lif"]["rate_Hz"], lif_rate(grid * nA))
    # Siegert with mu = R_m I = 10 MOhm x I (0.01 V per nA), sigma = 5 mV, written by hand
    noisy = theory[(theory["model"] == "noisy_lif") & (theory["sigma_mV"] == 5.0)]
    assert_allclose(noisy["rate_Hz"], siegert_rate(grid * 0.01, 5e-3), rtol=1e-12)

    accuracy = run.read_table("fi_accuracy").set_index(["model", "sigma_mV"])
    oracle = lif_rate(lif["current"].to_numpy() * nA)
    ok = oracle > 5
    rel = np.abs(lif["rate_Hz"].to_numpy()[ok] / oracle[ok] - 1)
    assert accuracy.loc[("lif", 0.0), "points_above_5Hz"] == 2
    assert accuracy.loc[("lif", 0.0), "max_rel_error"] == pytest.approx(rel.max(), rel=1e-12)

    summary = run.read_table("fi_summary").set_index(["model", "sigma_mV"])
    row = summary.loc[("lif", 0.0)]
    assert (row["onset_current"], row["last_silent_current"], row["top_current"]) == (2.5, 0, 5)
    assert row["top_rate_Hz"] == pytest.approx(lif["rate_Hz"].iloc[-1], rel=1e-12)
    assert row["adaptation_ratio"] == pytest.approx(1.0, abs=0.02)  # the LIF does not adapt

    assert len(run.completed_jobs("curves")) == 4  # a rerun skips these
    again = fi_curves.run(_tiny_config(), tmp_path / "run", progress=False)
    assert_allclose(again.read_table("fi_curves")["rate_Hz"], table["rate_Hz"], rtol=0)


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"noise_mV": (2.0, -1.0)}, ValueError, r"^noise_mV must be >= 0; got -1\.0$"),
        ({"dt_ms": 0.0}, ValueError, r"^dt_ms must be > 0; got 0\.0$"),
        ({"transient_s": 0.2}, ValueError, r"^transient must be shorter than duration"),
        ({"models": ("lif", "nope")}, ValueError, r"current range .*; got 'nope'$"),
        ({"current_ranges": {"lif": (5.0, 0.0)}, "models": ("lif",)}, ValueError, "low < high"),
        ({"target": "gpu"}, ValueError, r"^target must be one of"),
        ({"n_currents": 0}, ValueError, r"^n_currents must be an integer >= 1; got 0$"),
        ({"noisy_trials": 2.5}, TypeError, r"^noisy_trials must be an integer"),
    ],
)
def test_experiment_bad_config_fails_before_writing(tmp_path, changes, error, match):
    from neuroact.experiments import fi_curves

    with pytest.raises(error, match=match):
        fi_curves.run(_tiny_config(**changes), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # no folder, no config.json, no partial table


def test_unseeded_runs_draw_fresh_noise():
    model = get_model("noisy_lif")
    kw = dict(duration=0.2 * second, transient=0.05 * second, trials=5, seed=None, **NUMPY)
    a = fi_curve(model, [1.2, 1.5] * nA, **kw)
    b = fi_curve(model, [1.2, 1.5] * nA, **kw)
    assert not np.array_equal(a.trial_rates, b.trial_rates)


def test_a_run_stopped_by_ctrl_c_raises_instead_of_returning_a_short_result():
    # Brian2's Ctrl-C handler stops a running network and lets run() return normally; a sweep
    # would save the cut-short run as complete. run_to_end raises instead.
    import brian2
    from brian2 import Network, NetworkOperation, NeuronGroup

    from neuroact.bio.runtime import run_to_end

    group = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1")

    def ctrl_c(t):
        if t >= 5 * ms:
            brian2._int_handler(2, None)  # what pressing Ctrl-C does during a run

    net = Network(group, NetworkOperation(ctrl_c, dt=1 * ms))
    with pytest.raises(KeyboardInterrupt, match="stopped at t = 0.00"):
        run_to_end(net, 20 * ms)
    done = Network(NeuronGroup(1, "dv/dt = -v / (10*ms) : 1"))
    run_to_end(done, 20 * ms)  # a run that finishes passes
    assert float(done.t / second) == pytest.approx(0.02)
