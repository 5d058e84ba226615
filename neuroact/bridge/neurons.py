"""The spiking units a converted network runs on: integrate-and-fire (IF) and leaky IF (LIF).

Both are written for the membrane potential ``v`` in units of the firing threshold, measured
from rest: ``v = (V - E_L) / (V_th - E_L)``, threshold at 1, rest and reset at 0.

IF (the converters' unit; Diehl et al. 2015, Rueckauer et al. 2017)
    ``dv/dt = I(t)`` with ``I`` in threshold units per second. A spike when ``v >= 1``, then
    *reset by subtraction* ``v <- v - 1``: the charge above threshold is kept, so over any
    interval the spike count equals the integrated input to within one spike. With constant
    input the rate is exactly ``I`` (spikes per second), capped at one spike per time step.
LIF (the brain's unit; Dayan & Abbott 2001, ch. 5.4)
    ``tau_m dv/dt = -v + I(t)`` (unless refractory), with ``I`` the current in units of the
    threshold current ``I_th = (V_th - E_L) / R_m`` (1.5 nA for the package's LIF). A spike when
    ``v >= 1``, then ``v <- 0`` and ``v`` is held for ``t_ref``. Constant ``I > 1`` gives::

        r(I) = 1 / (t_ref + tau_m ln(I / (I - 1)))

    (:func:`neuroact.bio.theory.lif_rate` with ``R_m = 1``, ``E_L = V_reset = 0``, ``V_th = 1``).
    ``tau_m`` and ``t_ref`` default to the package's LIF (:func:`neuroact.bio.neurons.get_model`,
    ``"lif"``: 10 ms and 2 ms).

Synaptic input to either unit is a jump of ``v`` by the weight at each presynaptic spike
(current-based delta synapses); a refractory LIF neuron ignores it.

See Also
--------
neuroact.bio.neurons : the LIF model in volts and amperes for Brian2.
neuroact.bio.theory.lif_rate : the analytic LIF rate this module's :func:`lif_rate` wraps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from brian2 import second

from neuroact.bio.neurons import get_model
from neuroact.bio.theory import lif_rate as _lif_rate_si

NEURONS = ("if", "lif")


@dataclass(frozen=True)
class Neuron:
    """One spiking unit of a converted network.

    Attributes
    ----------
    kind : ``"if"`` (no leak, reset by subtraction) or ``"lif"`` (leak, reset to rest, refractory).
    tau_m : membrane time constant in seconds (LIF only; ``inf`` for IF).
    t_ref : refractory period in seconds (LIF only; 0 for IF).
    """

    kind: str
    tau_m: float = math.inf
    t_ref: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in NEURONS:
            raise ValueError(f"kind must be one of {list(NEURONS)}; got {self.kind!r}")
        if self.kind == "lif":
            if not (math.isfinite(self.tau_m) and self.tau_m > 0):
                raise ValueError(f"tau_m must be a finite time > 0 s for a LIF; got {self.tau_m}")
            if not (math.isfinite(self.t_ref) and self.t_ref >= 0):
                raise ValueError(f"t_ref must be a finite time >= 0 s; got {self.t_ref}")

    @property
    def leaky(self) -> bool:
        return self.kind == "lif"

    def describe(self) -> dict:
        return {"neuron": self.kind, "tau_m_ms": self.tau_m * 1e3, "t_ref_ms": self.t_ref * 1e3}


def make_neuron(kind: str = "if", *, tau_m: float | None = None, t_ref: float | None = None):
    """An IF unit, or a LIF unit with the package's LIF parameters unless overridden (seconds).

    Examples
    --------
    >>> make_neuron("lif").tau_m, make_neuron("lif").t_ref
    (0.01, 0.002)
    """
    if isinstance(kind, Neuron):
        return kind
    if kind == "if":
        if tau_m is not None or t_ref is not None:
            raise ValueError("tau_m and t_ref belong to the LIF unit; the IF unit has neither")
        return Neuron("if")
    if kind != "lif":
        raise ValueError(f"neuron must be one of {list(NEURONS)} or a Neuron; got {kind!r}")
    params = get_model("lif").params
    tau = float(params["tau_m"] / second) if tau_m is None else float(tau_m)
    ref = float(params["t_ref"] / second) if t_ref is None else float(t_ref)
    return Neuron("lif", tau_m=tau, t_ref=ref)


def lif_rate(current, tau_m: float, t_ref: float) -> np.ndarray:
    """Rate (Hz) of the LIF unit at constant ``current`` in threshold-current units.

    ``r = 1 / (t_ref + tau_m ln(I / (I - 1)))`` for ``I > 1``, else 0 (Dayan & Abbott 2001).
    """
    return _lif_rate_si(
        np.asarray(current, dtype=float),
        R_m=1.0,
        tau_m=tau_m,
        E_L=0.0,
        V_reset=0.0,
        V_th=1.0,
        t_ref=t_ref,
    )


def lif_current(rate: float, tau_m: float, t_ref: float) -> float:
    """The constant current (threshold units) at which the LIF unit fires at ``rate`` Hz.

    The inverse of :func:`lif_rate`: ``I = E / (E - 1)`` with ``E = exp((1/r - t_ref) / tau_m)``,
    for ``0 < rate < 1 / t_ref``.
    """
    rate = float(rate)
    top = math.inf if t_ref == 0 else 1.0 / t_ref
    if not (math.isfinite(rate) and 0 < rate < top):
        raise ValueError(
            f"rate must lie between 0 and 1/t_ref = {top:g} Hz for this LIF unit; got {rate:g} Hz"
        )
    e = math.exp((1.0 / rate - t_ref) / tau_m)
    return e / (e - 1.0)


def rate_at_twice_threshold(tau_m: float, t_ref: float) -> float:
    """``r(2) = 1 / (t_ref + tau_m ln 2)``: the LIF rate the soft-LIF unit's output 1 stands for
    (Hunsberger & Eliasmith 2015's normalisation; :class:`neuroact.ann.activations.SoftLIF`).
    """
    return 1.0 / (t_ref + tau_m * math.log(2.0))
