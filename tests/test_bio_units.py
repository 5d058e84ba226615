"""Unit and value checks of the biological side, and the parameter rules of the neuron models."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, cm, mS, ms, mV, nA, ohm, pF, prefs, second, uA, uF, us

from neuroact.bio.neurons import MODELS, NeuronModel, get_model
from neuroact.bio.runtime import TARGETS, check_target, codegen_target
from neuroact.bio.units import (
    check_count,
    check_number,
    from_column,
    from_columns,
    to_column,
    to_si,
)


# --- units ---------------------------------------------------------------------------------------
def test_to_si_returns_the_si_magnitude():
    assert to_si(2 * ms, second, "dt") == pytest.approx(2e-3, rel=1e-15)
    assert to_si(3 * nA, "amp", "current") == pytest.approx(3e-9, rel=1e-15)
    assert to_si(1.5e-3, second, "t", plain_si=True) == 1.5e-3
    np.testing.assert_allclose(
        to_si([1, 2] * uA / cm**2, uA / cm**2, "I", scalar=False), [1e-2, 2e-2]
    )
    assert to_si(0.3, 6.3, "celsius") == 0.3  # a dimensionless parameter takes plain numbers


@pytest.mark.parametrize(
    "value, kwargs, error, match",
    [
        (2.0, {}, TypeError, r"^dt must be a Brian2 quantity in ms \(e\.g\. 2\*ms\); got 2\.0$"),
        (2 * mV, {}, TypeError, r"^dt must be in ms .*got 2\. mV$"),
        (np.nan * ms, {}, ValueError, r"^dt must be finite .*got nan s$"),
        (-1 * ms, {"positive": True}, ValueError, r"^dt must be > 0; got -1\. ms$"),
        (-1 * ms, {"nonnegative": True}, ValueError, r"^dt must be >= 0; got -1\. ms$"),
        ([1, 2] * ms, {}, ValueError, r"^dt must be one value; got shape \(2,\)$"),
        ("fast", {"plain_si": True}, TypeError, r"^dt must be a number or array"),
    ],
)
def test_to_si_names_parameter_value_and_expectation(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        to_si(value, ms, "dt", **kwargs)


def test_number_and_count_checks():
    assert check_number("g", 5) == 5.0
    assert check_count("trials", np.int64(3)) == 3
    with pytest.raises(ValueError, match=r"^g must be finite; got nan$"):
        check_number("g", float("nan"))
    with pytest.raises(ValueError, match=r"^epsilon must be <= 1; got 1\.5$"):
        check_number("epsilon", 1.5, upper=1.0)
    with pytest.raises(TypeError, match=r"^g must be a plain number; got 5\. mV$"):
        check_number("g", 5 * mV)
    with pytest.raises(TypeError, match=r"^trials must be an integer >= 1; got 1\.5$"):
        check_count("trials", 1.5)
    with pytest.raises(TypeError, match="trials"):
        check_count("trials", True)
    with pytest.raises(ValueError, match=r"^trials must be an integer >= 1; got 0$"):
        check_count("trials", 0)


def test_columns_round_trip_exactly():
    assert from_column("dt_ms", 0.025) == ("dt", 0.025 * ms)
    assert to_column("dt_ms", 25 * us) == pytest.approx(0.025, rel=1e-15)
    plain = {"duration_s": 0.6, "transient_s": 0.3, "dt_ms": 0.025, "J_mV": 0.1, "n_exc": 200}
    quantities = from_columns(plain)
    assert quantities == {
        "duration": 0.6 * second,
        "transient": 0.3 * second,
        "dt": 0.025 * ms,
        "J": 0.1 * mV,
        "n_exc": 200,
    }
    back = {
        f"{k}_{s}": to_column(f"{k}_{s}", quantities[k]) for k, s in (("dt", "ms"), ("J", "mV"))
    }
    assert back == {"dt_ms": 0.025, "J_mV": 0.1}
    assert to_column("rate_Hz", 4 * Hz) == 4.0
    with pytest.raises(ValueError, match="unit suffix"):
        from_column("duration", 1.0)
    with pytest.raises(TypeError, match=r"^dt must be in ms"):
        to_column("dt_ms", 2 * mV)


# --- the models' parameter rules -----------------------------------------------------------------
@pytest.mark.parametrize(
    "model, overrides, match",
    [
        ("lif", {"tau_m": 0 * ms}, r"parameter tau_m of model 'lif' must be > 0; got 0\. s"),
        ("lif", {"tau_m": -10 * ms}, r"parameter tau_m of model 'lif' must be > 0; got -10\. ms"),
        ("lif", {"R_m": -1e6 * ohm}, r"parameter R_m of model 'lif' must be > 0"),
        ("lif", {"t_ref": -1 * ms}, r"parameter t_ref of model 'lif' must be >= 0"),
        ("lif", {"V_th": -70 * mV}, r"V_reset and V_th of model 'lif': V_reset must lie below"),
        ("lif", {"V_reset": -50 * mV}, r"V_reset must lie below V_th; got V_reset = -50\. mV"),
        ("lif", {"E_L": np.nan * mV}, r"parameter E_L of model 'lif' must be finite"),
        ("noisy_lif", {"sigma": -1 * mV}, r"parameter sigma of model 'noisy_lif' must be >= 0"),
        (
            "noisy_lif",
            {"bridge": 2.0},
            r"parameter bridge of model 'noisy_lif' must be in \[0, 1\]",
        ),
        ("hh", {"C_m": 0 * uF / cm**2}, r"parameter C_m of model 'hh' must be > 0"),
        ("hh", {"g_Na": -1 * mS / cm**2}, r"parameter g_Na of model 'hh' must be >= 0"),
        ("adex", {"C": -281 * pF}, r"parameter C of model 'adex' must be > 0"),
        ("adex", {"tau_w": 0 * ms}, r"parameter tau_w of model 'adex' must be > 0"),
        ("adex", {"Delta_T": 0 * mV}, r"parameter Delta_T of model 'adex' must be > 0"),
        ("adex", {"V_peak": -80 * mV}, r"V_r and V_peak of model 'adex'"),
        ("izhikevich_rs", {"a": -0.02}, r"parameter a of model 'izhikevich_rs' must be > 0"),
        ("izhikevich_rs", {"c": 40 * mV}, r"c and v_peak of model 'izhikevich_rs'"),
    ],
)
def test_impossible_parameters_are_refused_naming_model_and_parameter(model, overrides, match):
    with pytest.raises(ValueError, match=match):
        get_model(model, **overrides)


def test_parameter_units_and_names_are_checked():
    with pytest.raises(TypeError, match=r"parameter tau_m of model 'lif' must be in s"):
        get_model("lif", tau_m=20 * mV)
    with pytest.raises(TypeError, match=r"parameter a of model 'izhikevich_rs' .* plain number"):
        get_model("izhikevich_rs", a=0.02 * ms)
    with pytest.raises(ValueError, match="unknown parameter 'tau' for model 'lif'"):
        get_model("lif", tau=20 * ms)
    # a model built directly is checked the same way
    lif = MODELS["lif"]
    with pytest.raises(ValueError, match="parameter tau_m of model 'mine' must be > 0"):
        NeuronModel(**{**lif.__dict__, "name": "mine", "params": {**lif.params, "tau_m": 0 * ms}})
    with pytest.raises(ValueError, match="dt of model 'mine' must be > 0"):
        NeuronModel(**{**lif.__dict__, "name": "mine", "dt": 0 * ms})


def test_every_registered_model_passes_its_rules_and_declares_some():
    for name, model in MODELS.items():
        assert model.rules, name  # every model says what its parameters must be
        assert get_model(name) is model


# --- run-time settings ---------------------------------------------------------------------------
def test_codegen_target_is_restored():
    old = prefs.codegen.target
    with codegen_target("numpy"):
        assert prefs.codegen.target == "numpy"
    assert prefs.codegen.target == old
    assert TARGETS == ("numpy", "cython", "cpp_standalone")
    with pytest.raises(ValueError, match=r"^target must be one of .*; got 'cuda'$"):
        check_target("cuda")
