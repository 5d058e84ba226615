"""f-I curves: models, one-group runner, analytic oracles (issue 3).

Simulations are short and use Brian2's numpy target, except the one ``compiled`` test.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, ms, mV, nA, second, uA
from numpy.testing import assert_allclose

from neuroact.bio.fi import FICurve, StandaloneFICurve, fi_curve, spike_statistics
from neuroact.bio.neurons import MODELS, get_model, model_names
from neuroact.bio.theory import lif_rate, siegert_rate

UA_CM2 = uA / cm**2


# --- theory ------------------------------------------------------------------------------------
def test_lif_rate_matches_formula_and_threshold():
    current = np.array([0.0, 1.0, 1.5, 2.0, 3.0]) * nA
    rate = lif_rate(current)
    # by hand: R I = 20 mV -> ISI = 2 ms + 10 ms ln(20 / 5)
    assert_allclose(rate[3], 1 / (2e-3 + 10e-3 * np.log(20 / 5)), rtol=1e-12)
    assert_allclose(rate[4], 1 / (2e-3 + 10e-3 * np.log(30 / 15)), rtol=1e-12)
    assert np.all(rate[:3] == 0)  # at and below the 1.5 nA threshold current
    # plain SI floats give the same numbers as quantities
    assert_allclose(lif_rate(np.asarray(current)), rate)
    with pytest.raises(TypeError, match="current"):
        lif_rate(3 * mV)


def test_siegert_limits():
    mu = np.array([16.0, 20.0, 30.0]) * mV
    # small noise -> the deterministic rate (mu = R I)
    assert_allclose(siegert_rate(mu, 0.05 * mV), lif_rate(np.asarray(mu) / 1e7), rtol=2e-3)
    assert_allclose(siegert_rate(mu, 0 * mV), lif_rate(np.asarray(mu) / 1e7))
    # noise lets a subthreshold drive fire, and the rate grows with the noise
    below = siegert_rate(12 * mV, np.array([1.0, 2.0, 5.0]) * mV)
    assert np.all(np.diff(below) > 0) and below[0] > 0
    # far below threshold with little noise: zero to double precision, no overflow
    assert siegert_rate(-20 * mV, 0.5 * mV) == 0.0
    with pytest.raises(ValueError, match="sigma"):
        siegert_rate(10 * mV, -1 * mV)


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
    curve = fi_curve("lif", currents, duration=1 * second, transient=0.1 * second, dt=0.01 * ms)
    expected = lif_rate(currents)
    assert_allclose(expected[:2], low, rtol=1e-9)  # the check reaches down to the 5 Hz limit
    assert_allclose(curve.rate, expected, rtol=0.01)
    assert_allclose(curve.cv_isi, 0.0, atol=1e-6)
    below = fi_curve(
        "lif", np.array([0.0, 1.4]) * nA, duration=0.2 * second, transient=0.1 * second
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
        model, currents, duration=0.6 * second, transient=0.1 * second, trials=300, seed=3
    )
    expected = siegert_rate(currents * model.params["R_m"], sigma_mV * mV)
    assert np.all(expected > 5)
    assert_allclose(curve.rate, expected, rtol=0.03)
    assert np.all(curve.rate_sem / curve.rate < 0.015)


def test_hodgkin_huxley_type_ii_onset():
    # numpy target at dt = 0.025 ms (rates within 1.5% of dt = 0.01 ms, same onset)
    currents = np.array([5.5, 6.0, 6.5, 10.0]) * UA_CM2
    curve = fi_curve("hh", currents, duration=0.3 * second, transient=0.15 * second, dt=0.025 * ms)
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
    curve = fi_curve(model, np.array(currents) * unit, duration=1 * second, transient=0.5 * second)
    firing = curve.rate[curve.rate > 0]
    assert curve.rate[0] == 0 and firing.size >= 2
    assert firing.min() < 10  # continuous (type I) onset
    assert curve.first_rate[-1] >= 2 * curve.rate[-1]  # adaptation at the top current


def test_same_seed_same_numbers_and_numpy_state_untouched():
    model = get_model("noisy_lif", sigma=5 * mV)
    currents = np.array([1.0, 2.0]) * nA
    kw = {"duration": 0.1 * second, "transient": 0.02 * second, "trials": 5}
    np.random.seed(123)  # noqa: NPY002 (the legacy global state Brian2 touches)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = fi_curve(model, currents, seed=7, **kw)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    b = fi_curve(model, currents, seed=7, **kw)
    c = fi_curve(model, currents, seed=8, **kw)
    assert_allclose(a.trial_rates, b.trial_rates, rtol=0, atol=0)
    assert not np.array_equal(a.trial_rates, c.trial_rates)


def test_to_frame_columns():
    curve = fi_curve(
        "lif", np.array([1.0, 2.0]) * nA, duration=0.1 * second, transient=0.05 * second
    )
    assert isinstance(curve, FICurve)
    frame = curve.to_frame()
    for col in [
        "model",
        "current",
        "current_unit",
        "rate_Hz",
        "rate_sem_Hz",
        "first_rate_Hz",
        "cv_isi",
    ]:
        assert col in frame.columns
    assert list(frame["current"]) == [1.0, 2.0] and set(frame["current_unit"]) == {"nA"}


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"currents": np.array([1.0, 2.0])}, TypeError, "currents must carry current units"),
        ({"currents": np.array([1.0]) * mV}, TypeError, "currents .* units of nA"),
        ({"currents": np.array([]) * nA}, ValueError, "currents must be a non-empty"),
        ({"currents": np.array([1.0, np.nan]) * nA}, ValueError, "currents must be finite"),
        ({"duration": 0 * second}, ValueError, "duration must be positive"),
        ({"duration": -1 * second}, ValueError, "duration must be positive"),
        ({"duration": 1.0}, TypeError, "duration must be a Brian2 time"),
        ({"transient": 0.5 * second, "duration": 0.5 * second}, ValueError, "transient"),
        ({"trials": 0}, ValueError, "trials must be an integer >= 1"),
        ({"trials": 1.5}, ValueError, "trials"),
        ({"target": "gpu"}, ValueError, "target must be one of"),
        ({"model": "lif2"}, ValueError, "unknown model 'lif2'"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"model": "lif", "currents": np.array([2.0]) * nA, "duration": 0.1 * second}
    args["transient"] = 0.01 * second
    args.update(kwargs)
    model, currents = args.pop("model"), args.pop("currents")
    with pytest.raises(error, match=match):
        fi_curve(model, currents, **args)


# --- compiled code -----------------------------------------------------------------------------
@pytest.mark.compiled
def test_compiled_targets_match_numpy_and_theory():
    currents = np.array([1.6, 2.0, 4.0]) * nA
    kw = {"duration": 0.3 * second, "transient": 0.05 * second}
    slow = fi_curve("lif", currents, target="numpy", **kw)
    fast = fi_curve("lif", currents, target="cython", **kw)
    assert_allclose(fast.rate, slow.rate, rtol=1e-9)
    assert_allclose(fast.rate, lif_rate(currents), rtol=0.01)
    # cpp_standalone: build once, rerun with new currents without recompiling
    with StandaloneFICurve("lif", 3, **kw) as runner:
        first = runner.run(currents)
        again = runner.run(currents * 1.5)
    assert_allclose(first.rate, slow.rate, rtol=1e-9)
    assert_allclose(again.rate, lif_rate(currents * 1.5), rtol=0.01)
    after = fi_curve("lif", currents, target="numpy", **kw)  # runtime device is back
    assert_allclose(after.rate, slow.rate, rtol=0)


# --- the experiment ----------------------------------------------------------------------------
def test_experiment_writes_the_table_the_comparison_reads(tmp_path):
    from neuroact.experiments import fi_curves

    config = fi_curves.Config(
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
    run = fi_curves.run(config, tmp_path / "run", progress=False)
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
    theory = run.read_table("fi_theory")
    assert_allclose(
        theory[theory["model"] == "lif"]["rate_Hz"], lif_rate(np.linspace(0, 5, 11) * nA)
    )
    assert (run / "fi_curves.png").is_file() and run.has("fi_accuracy.csv")
    assert len(run.completed_jobs("curves")) == 4  # a rerun skips these


def test_unseeded_runs_draw_fresh_noise():
    model = get_model("noisy_lif")
    kw = dict(duration=0.2 * second, transient=0.05 * second, trials=5, seed=None)
    a = fi_curve(model, [1.2, 1.5] * nA, **kw)
    b = fi_curve(model, [1.2, 1.5] * nA, **kw)
    assert not np.array_equal(a.trial_rates, b.trial_rates)
