"""Spiking neuron models as small, overridable definitions (equations + named parameters).

Public API
----------
``NeuronModel``            frozen dataclass: Brian2 equations, threshold, reset, refractoriness,
                           integration method, parameters (Brian2 quantities), initial values,
                           the unit of the injected current ``I``, a recommended ``dt``.
``NeuronModel.with_params(**overrides)``  a copy with some parameters replaced (units checked).
``get_model(name, **overrides)``  a model from the registry by name.
``MODELS``                 the registry: name -> NeuronModel.
``model_names()``          the registered names.
``adaptation_in_voltage(model)``  an AdEx model's adaptation as a network of voltage-based
                           neurons needs it (``a / g_L``, ``b / g_L``, ``tau_w``, ``Delta_T``).

Every model reads its input from the parameter ``I`` (one value per neuron), in
``model.current_unit``: amperes for point neurons (LIF, AdEx), a current density
(uA/cm2) for the membrane-patch models (Hodgkin-Huxley, Izhikevich).

Registered models (sources in each definition)
----------------------------------------------
``lif``            leaky integrate-and-fire, Dayan & Abbott (2001) ch. 5: E_L = V_reset = -65 mV,
                   V_th = -50 mV, tau_m = 10 ms, R_m = 10 MOhm, t_ref = 2 ms; exact integration.
``noisy_lif``      the same with white-noise input, tau_m dV/dt = -(V - E_L) + R_m I +
                   sigma sqrt(tau_m) xi (the diffusion approximation); sigma = 2 mV by default;
                   Euler-Maruyama, with a Brownian-bridge threshold test (``bridge = 1``) so
                   that crossings between time steps are not missed.
``hh``             Hodgkin & Huxley (1952) squid axon at 6.3 degC, modern sign convention
                   (rest -65 mV), rate functions as in Dayan & Abbott (2001) ch. 5.6; a Q10 = 3
                   temperature factor (parameter ``celsius``); exponential Euler.
``adex``           adaptive exponential integrate-and-fire, Brette & Gerstner (2005), their
                   regular-spiking parameters (Table 1), spike detected at 20 mV.
``izhikevich_rs``, ``izhikevich_fs``  Izhikevich (2003) regular and fast spiking. The model's
                   dimensionless input is read as a current density with C_m = 1 uF/cm2
                   (1 uA/cm2 / 1 uF/cm2 = 1 mV/ms, the model's unit), so I is in uA/cm2.
``izhikevich_ib``, ``izhikevich_ch``  intrinsically bursting and chattering (same source).

Parameter checks
----------------
Each model states which parameters must be positive (time constants, capacitance, resistance,
slope factors), non-negative (refractory period, noise amplitude, conductances), in [0, 1]
(the bridge switch) and which must lie below which (reset below threshold). A model built or
overridden with an impossible or non-finite value raises a one-line ``ValueError`` naming the
model, the parameter and the value, before anything is simulated.

See Also
--------
neuroact.bio.fi.fi_curve : simulate a model's f-I curve.
neuroact.bio.theory : the analytic rates of the LIF models, read from their parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from brian2 import Quantity, cm, mS, ms, mV, nA, nS, ohm, pF, uA, uF

from neuroact.bio.units import check_choice, show, to_si

__all__ = ["NeuronModel", "MODELS", "RULES", "adaptation_in_voltage", "get_model", "model_names"]

# The rules a parameter can be given, each a test on its SI magnitude.
RULES = {
    "> 0": lambda v: v > 0,
    ">= 0": lambda v: v >= 0,
    "in [0, 1]": lambda v: 0 <= v <= 1,
}


@dataclass(frozen=True)
class NeuronModel:
    """One spiking neuron model for Brian2.

    Attributes
    ----------
    name : registry name (used in tables and figures).
    equations : Brian2 equations; must declare the parameter ``I`` (the injected current).
    threshold, reset : Brian2 threshold condition and reset code.
    params : named constants used by the equations (Brian2 quantities or plain numbers).
    current_unit : the unit currents are given and tabulated in (e.g. ``nA``).
    current_unit_name : its name in tables (e.g. ``"nA"``, ``"uA/cm2"``).
    refractory : Brian2 refractoriness (a duration, a condition string) or None.
    method : Brian2 integration method.
    init : initial values, applied in order (quantities or Brian2 expression strings).
    dt : recommended integration step (the default of ``fi_curve``).
    stochastic : True if the equations contain noise (``xi``).
    adapting : True if the model has spike-frequency adaptation (report first vs steady rate).
    source : the reference the parameters come from.
    every_step : Brian2 code run at the start of every time step, before the state update
        (e.g. remember the previous voltage); empty for none.
    rules : parameter name -> ``"> 0"``, ``">= 0"`` or ``"in [0, 1]"`` (see ``RULES``).
    ordered : pairs ``(low, high)`` of parameters where ``low`` must lie below ``high``
        (reset below threshold).
    """

    name: str
    equations: str
    threshold: str
    reset: str
    params: Mapping[str, Quantity | float]
    current_unit: Quantity
    current_unit_name: str
    refractory: Quantity | str | None = None
    method: str = "euler"
    init: Mapping[str, Quantity | str] = field(default_factory=dict)
    dt: Quantity = field(default_factory=lambda: 0.01 * ms)
    stochastic: bool = False
    adapting: bool = False
    source: str = ""
    every_step: str = ""
    rules: Mapping[str, str] = field(default_factory=dict)
    ordered: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # Read-only views so a shared registry entry cannot be modified by accident.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "init", MappingProxyType(dict(self.init)))
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        self._check()

    def _check(self) -> None:
        """Every parameter finite and within its rule; the ordered pairs in order."""
        what = f"model {self.name!r}"
        si = {}
        for key, value in self.params.items():
            si[key] = to_si(value, value, f"parameter {key} of {what}")
        for key, rule in self.rules.items():
            if key not in si:
                raise ValueError(f"rules of {what} name an unknown parameter {key!r}")
            if not RULES[check_choice(f"rule of parameter {key}", rule, RULES)](si[key]):
                raise ValueError(
                    f"parameter {key} of {what} must be {rule}; got {show(self.params[key])}"
                )
        for low, high in self.ordered:
            if not si[low] < si[high]:
                raise ValueError(
                    f"parameters {low} and {high} of {what}: {low} must lie below {high}; got "
                    f"{low} = {show(self.params[low])}, {high} = {show(self.params[high])}"
                )
        to_si(self.dt, "second", f"dt of {what}", positive=True)

    def with_params(self, **overrides: Quantity | float) -> NeuronModel:
        """A copy with parameters replaced; names must exist and dimensions must match.

        ``get_model("lif").with_params(tau_m=20*ms)``; ``name=`` renames the copy.
        """
        new_name = overrides.pop("name", self.name)
        params = dict(self.params)
        for key, value in overrides.items():
            if key not in params:
                raise ValueError(
                    f"unknown parameter {key!r} for model {self.name!r}; "
                    f"expected one of {sorted(params)}"
                )
            to_si(value, params[key], f"parameter {key} of model {self.name!r}")
            params[key] = value
        return dataclasses.replace(self, name=new_name, params=params)

    def namespace(self) -> dict[str, Quantity | float]:
        """The parameters as a Brian2 namespace (a plain dict)."""
        return dict(self.params)


# --- leaky integrate-and-fire ---------------------------------------------------------------
_LIF_PARAMS = {
    "E_L": -65 * mV,
    "V_reset": -65 * mV,
    "V_th": -50 * mV,
    "tau_m": 10 * ms,
    "R_m": 10e6 * ohm,
    "t_ref": 2 * ms,
}
_LIF_RULES = {"tau_m": "> 0", "R_m": "> 0", "t_ref": ">= 0"}

LIF = NeuronModel(
    name="lif",
    equations="""
    dv/dt = (-(v - E_L) + R_m*I) / tau_m : volt (unless refractory)
    I : amp
    """,
    threshold="v > V_th",
    reset="v = V_reset",
    refractory="t_ref",
    params=_LIF_PARAMS,
    current_unit=nA,
    current_unit_name="nA",
    method="exact",
    init={"v": "E_L"},
    rules=_LIF_RULES,
    ordered=(("V_reset", "V_th"),),
    source="Dayan P, Abbott LF (2001) Theoretical Neuroscience, ch. 5.4",
)

# The Brownian-bridge term catches threshold crossings between two time steps: a path of the
# diffusion (variance rate sigma^2/tau_m) from v_prev to v, both below V_th, crossed V_th in
# between with probability exp(-2 (V_th - v_prev)(V_th - v) / (sigma^2 dt / tau_m)). Without it
# the simulation fires less than the continuous model: up to 8% at 6 Hz for sigma = 2 mV at
# dt = 0.01 ms (Brunel & Hakim 1999's threshold shift of 1.03 sigma sqrt(dt/tau_m)).
# ``bridge = 0`` switches it off; the tiny constant keeps sigma = 0 finite.
NOISY_LIF = NeuronModel(
    name="noisy_lif",
    equations="""
    dv/dt = (-(v - E_L) + R_m*I + sigma*sqrt(tau_m)*xi) / tau_m : volt (unless refractory)
    v_prev : volt
    I : amp
    """,
    threshold=(
        "v > V_th or rand() < bridge*exp(-2*(V_th - v_prev)*(V_th - v)"
        " / (sigma**2*dt/tau_m + (1e-9*mV)**2))"
    ),
    reset="v = V_reset",
    refractory="t_ref",
    every_step="v_prev = v",
    params={**_LIF_PARAMS, "sigma": 2 * mV, "bridge": 1.0},
    current_unit=nA,
    current_unit_name="nA",
    method="euler",
    init={"v": "E_L", "v_prev": "E_L"},
    rules={**_LIF_RULES, "sigma": ">= 0", "bridge": "in [0, 1]"},
    ordered=(("V_reset", "V_th"),),
    stochastic=True,
    source="Dayan & Abbott 2001 ch. 5; diffusion approximation as in Brunel 2000",
)

# --- Hodgkin-Huxley 1952 ----------------------------------------------------------------------
HH = NeuronModel(
    name="hh",
    equations="""
    dv/dt = (g_L*(E_L - v) + g_Na*m**3*h*(E_Na - v) + g_K*n**4*(E_K - v) + I) / C_m : volt
    dm/dt = phi*(alpha_m*(1 - m) - beta_m*m) : 1
    dh/dt = phi*(alpha_h*(1 - h) - beta_h*h) : 1
    dn/dt = phi*(alpha_n*(1 - n) - beta_n*n) : 1
    alpha_m = 1/exprel(-(v + 40*mV)/(10*mV)) / ms : Hz
    beta_m = 4*exp(-(v + 65*mV)/(18*mV)) / ms : Hz
    alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV)) / ms : Hz
    beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV))) / ms : Hz
    alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV)) / ms : Hz
    beta_n = 0.125*exp(-(v + 65*mV)/(80*mV)) / ms : Hz
    phi = 3**((celsius - 6.3)/10) : 1 (constant over dt)
    I : amp/meter**2
    """,
    threshold="v > -20*mV",
    reset="",
    refractory="v > -20*mV",  # one spike per crossing of -20 mV
    params={
        "C_m": 1 * uF / cm**2,
        "g_Na": 120 * mS / cm**2,
        "g_K": 36 * mS / cm**2,
        "g_L": 0.3 * mS / cm**2,
        "E_Na": 50 * mV,
        "E_K": -77 * mV,
        "E_L": -54.387 * mV,
        "celsius": 6.3,
    },
    current_unit=uA / cm**2,
    current_unit_name="uA/cm2",
    method="exponential_euler",
    init={
        "v": -65 * mV,
        "m": "alpha_m/(alpha_m + beta_m)",
        "h": "alpha_h/(alpha_h + beta_h)",
        "n": "alpha_n/(alpha_n + beta_n)",
    },
    rules={"C_m": "> 0", "g_Na": ">= 0", "g_K": ">= 0", "g_L": ">= 0"},
    source="Hodgkin AL, Huxley AF (1952) J Physiol 117:500-544; Dayan & Abbott 2001 ch. 5.6",
)

# --- adaptive exponential integrate-and-fire --------------------------------------------------
ADEX = NeuronModel(
    name="adex",
    equations="""
    dv/dt = (-g_L*(v - E_L) + g_L*Delta_T*exp((v - V_T)/Delta_T) - w + I) / C : volt
    dw/dt = (a*(v - E_L) - w) / tau_w : amp
    I : amp
    """,
    threshold="v > V_peak",
    reset="v = V_r; w += b",
    params={
        "C": 281 * pF,
        "g_L": 30 * nS,
        "E_L": -70.6 * mV,
        "V_T": -50.4 * mV,
        "Delta_T": 2 * mV,
        "tau_w": 144 * ms,
        "a": 4 * nS,
        "b": 0.0805 * nA,
        "V_r": -70.6 * mV,
        "V_peak": 20 * mV,
    },
    current_unit=nA,
    current_unit_name="nA",
    method="euler",
    init={"v": "E_L", "w": 0 * nA},
    rules={"C": "> 0", "g_L": "> 0", "Delta_T": "> 0", "tau_w": "> 0"},
    ordered=(("V_r", "V_peak"), ("V_T", "V_peak")),
    adapting=True,
    source="Brette R, Gerstner W (2005) J Neurophysiol 94:3637-3642, Table 1 (regular spiking)",
)

# --- Izhikevich 2003 --------------------------------------------------------------------------
_IZH_EQS = """
dv/dt = (0.04*v**2/mV + 5*v + 140*mV - u) / ms + I/C_m : volt
du/dt = a*(b*v - u) / ms : volt
I : amp/meter**2
"""


def _izhikevich(
    name: str, a: float, b: float, c: float, d: float, kind: str, adapting: bool = True
) -> NeuronModel:
    return NeuronModel(
        name=name,
        equations=_IZH_EQS,
        threshold="v >= v_peak",
        reset="v = c; u += d",
        params={"a": a, "b": b, "c": c * mV, "d": d * mV, "v_peak": 30 * mV, "C_m": 1 * uF / cm**2},
        current_unit=uA / cm**2,
        current_unit_name="uA/cm2",
        method="euler",
        init={"v": -65 * mV, "u": "b*v"},
        rules={"a": "> 0", "C_m": "> 0"},
        ordered=(("c", "v_peak"),),
        adapting=adapting,
        source=f"Izhikevich EM (2003) IEEE Trans Neural Netw 14:1569-1572 ({kind})",
    )


IZHIKEVICH_RS = _izhikevich("izhikevich_rs", 0.02, 0.2, -65, 8, "regular spiking")
IZHIKEVICH_FS = _izhikevich("izhikevich_fs", 0.1, 0.2, -65, 2, "fast spiking", adapting=False)
IZHIKEVICH_IB = _izhikevich("izhikevich_ib", 0.02, 0.2, -55, 4, "intrinsically bursting")
IZHIKEVICH_CH = _izhikevich("izhikevich_ch", 0.02, 0.2, -50, 2, "chattering")

MODELS: Mapping[str, NeuronModel] = MappingProxyType(
    {
        m.name: m
        for m in (
            LIF,
            NOISY_LIF,
            HH,
            ADEX,
            IZHIKEVICH_RS,
            IZHIKEVICH_FS,
            IZHIKEVICH_IB,
            IZHIKEVICH_CH,
        )
    }
)


def model_names() -> list[str]:
    """The names of the registered models."""
    return list(MODELS)


def get_model(name: str | NeuronModel, **overrides: Quantity | float) -> NeuronModel:
    """The registered model ``name``, with parameters overridden (``get_model("noisy_lif",
    sigma=5*mV)``). A ``NeuronModel`` passes through (with the overrides applied)."""
    if isinstance(name, NeuronModel):
        model = name
    elif isinstance(name, str) and name in MODELS:
        model = MODELS[name]
    else:
        raise ValueError(f"unknown model {name!r}; expected one of {model_names()}")
    return model.with_params(**overrides) if overrides else model


def adaptation_in_voltage(model: str | NeuronModel = "adex") -> dict[str, Quantity | float]:
    """An AdEx model's adaptation in the units of a voltage-based (Brunel-type) network neuron.

    A network whose membrane equation is written in volts (``tau dV/dt = -V + ...``, as in
    Brunel 2000) carries the adaptation current ``w`` as the voltage ``w / g_L`` it drives
    across the leak. Dividing the AdEx equations (Brette & Gerstner 2005) by ``g_L``:

        tau_m dV/dt = -(V - E_L) + Delta_T exp((V - V_T) / Delta_T) - w',
        tau_w dw'/dt = a' (V - E_L) - w',    at a spike: w' += b',

    with ``a' = a / g_L`` (dimensionless) and ``b' = b / g_L`` (volts).

    Parameters
    ----------
    model : an AdEx :class:`NeuronModel` or its registry name (default ``"adex"``, Brette &
        Gerstner's regular-spiking cell: ``a' = 0.133``, ``b' = 2.68 mV``, ``tau_w = 144 ms``,
        ``Delta_T = 2 mV``).

    Returns
    -------
    dict
        ``a`` (float), ``b`` (volts), ``tau_w`` (seconds), ``Delta_T`` (volts), as Brian2
        quantities, and ``source``.
    """
    model = get_model(model)
    missing = {"g_L", "a", "b", "tau_w", "Delta_T"} - set(model.params)
    if missing:
        raise ValueError(
            f"model must be an AdEx model with parameters g_L, a, b, tau_w, Delta_T; "
            f"{model.name!r} lacks {sorted(missing)}"
        )
    p = model.params
    return {
        "a": float(p["a"] / p["g_L"]),
        "b": p["b"] / p["g_L"],
        "tau_w": p["tau_w"],
        "Delta_T": p["Delta_T"],
        "source": model.source,
    }
