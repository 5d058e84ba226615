"""The Brunel network's configuration: every parameter checked at construction.

:class:`BrunelConfig` holds the model's parameters (plain numbers and Brian2 quantities), checks
them when it is made (a bad value raises, naming the parameter, before anything is built) and
derives the in-degrees, the effective coupling and the external rates from them. The model, the
scaling of small networks and the mechanisms of the band-width study are described in
:mod:`neuroact.bio.network`, which builds and simulates the network (and re-exports this
module's names).

See Also
--------
neuroact.bio.network : the simulation.
neuroact.bio.theory.mean_field_rate : the network's rate in the diffusion approximation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from brian2 import (
    Quantity,
    ms,
    mV,
    second,
    volt,
)

from neuroact.bio.neurons import adaptation_in_voltage
from neuroact.bio.runtime import check_target
from neuroact.bio.units import check_choice, check_count, check_number, show, to_column, to_si

__all__ = ["ADEX_PEAK_DELTAS", "NEURONS", "SAMPLERS", "SYNAPSES", "BrunelConfig"]

NEURONS = ("lif", "adex")
SYNAPSES = ("current", "conductance")
SAMPLERS = ("inversion", "brian2")
# The AdEx spike is detected this many slope factors above the neuron's threshold theta_i: the
# exponential has taken over there (it grows e-fold per Delta_T), so the time of detection is
# within a step of the divergence at dt = 0.1 ms.
ADEX_PEAK_DELTAS = 5.0
# Lowest threshold of a heterogeneous neuron, above v_reset (a neuron must be able to reset).
MIN_THRESHOLD_ABOVE_RESET = 0.5 * mV
_RS = adaptation_in_voltage("adex")


@dataclass(frozen=True)
class BrunelConfig:
    """Parameters of one Brunel (2000) network simulation (Brian2 quantities where physical).

    Parameters
    ----------
    n_exc : number of excitatory neurons ``N_E``; ``N_I = N_E // 4``.
    g : relative strength of inhibition (inhibitory efficacy ``-g J``), >= 0.
    eta : external rate in units of ``nu_thr``, >= 0.
    epsilon : connection probability in (0, 1]; gives ``C_E = round(epsilon N_E)`` when
        ``c_exc`` is not given.
    c_exc : excitatory in-degree ``C_E``; None derives it from ``epsilon``. After construction
        it always holds the in-degree used (``C_I = round(C_E / 4)`` is :attr:`c_inh`).
    reference_c_exc : if given, scale ``J`` by ``reference_c_exc / C_E`` (keeps ``J C_E``).
    J : excitatory efficacy (PSP amplitude), e.g. ``0.1*mV``.
    delay, tau, theta, v_reset, t_ref : as in Brunel (2000); ``v_reset`` below ``theta``,
        ``delay`` at least one step ``dt``.
    heterogeneity : log-standard deviation of the per-neuron external rate multiplier (0 = none).
    theta_sd : standard deviation of the per-neuron threshold (0 mV = none).
    neuron : ``"lif"`` or ``"adex"`` (module docstring).
    adex_a, adex_b, adex_tau_w, adex_delta_T : the AdEx neuron's subthreshold adaptation
        (dimensionless), spike-triggered adaptation (volts), adaptation time constant and slope
        factor; used with ``neuron="adex"`` only.
    synapse : ``"current"`` (Brunel's delta currents) or ``"conductance"`` (module docstring).
    E_exc, E_inh : reversal potentials above rest for ``synapse="conductance"``.
    sampler : ``"inversion"`` or ``"brian2"``: how the external Poisson counts are drawn.
    duration : analysed simulated time (after ``transient``).
    transient : simulated time discarded at the start.
    dt : integration step.
    seed : seed of connectivity, initial potentials, heterogeneity and Brian2's noise.
    target : ``"numpy"``, ``"cython"`` or ``"cpp_standalone"`` (:mod:`neuroact.bio.runtime`).
    threads : OpenMP threads for ``cpp_standalone`` (ignored by the runtime targets). A run is
        reproducible for one (seed, threads): each thread draws from its own generator.

    Raises
    ------
    TypeError, ValueError
        On construction, naming the parameter, for a wrong type or unit or an impossible value.
    """

    n_exc: int = 10_000
    g: float = 5.0
    eta: float = 2.0
    epsilon: float = 0.1
    c_exc: int | None = None
    reference_c_exc: int | None = None
    J: Quantity = field(default_factory=lambda: 0.1 * mV)
    delay: Quantity = field(default_factory=lambda: 1.5 * ms)
    tau: Quantity = field(default_factory=lambda: 20.0 * ms)
    theta: Quantity = field(default_factory=lambda: 20.0 * mV)
    v_reset: Quantity = field(default_factory=lambda: 10.0 * mV)
    t_ref: Quantity = field(default_factory=lambda: 2.0 * ms)
    heterogeneity: float = 0.0
    theta_sd: Quantity = field(default_factory=lambda: 0.0 * mV)
    neuron: str = "lif"
    adex_a: float = _RS["a"]
    adex_b: Quantity = field(default_factory=lambda: _RS["b"])
    adex_tau_w: Quantity = field(default_factory=lambda: _RS["tau_w"])
    adex_delta_T: Quantity = field(default_factory=lambda: _RS["Delta_T"])
    synapse: str = "current"
    E_exc: Quantity = field(default_factory=lambda: 70.0 * mV)
    E_inh: Quantity = field(default_factory=lambda: -10.0 * mV)
    sampler: str = "inversion"
    duration: Quantity = field(default_factory=lambda: 1.0 * second)
    transient: Quantity = field(default_factory=lambda: 200.0 * ms)
    dt: Quantity = field(default_factory=lambda: 0.1 * ms)
    seed: int = 0
    target: str = "cython"
    threads: int = 1

    def __post_init__(self) -> None:
        n = check_count("n_exc", self.n_exc, minimum=4)
        check_number("g", self.g, nonnegative=True)
        check_number("eta", self.eta, nonnegative=True)
        eps = check_number("epsilon", self.epsilon, positive=True, upper=1.0)
        # c_exc given, or derived from epsilon (and derived again by with_ when N_E changes)
        object.__setattr__(self, "_c_exc_derived", self.c_exc is None)
        if self.c_exc is None:
            object.__setattr__(self, "c_exc", max(1, round(eps * n)))
        check_count("c_exc", self.c_exc)
        if self.reference_c_exc is not None:
            check_count("reference_c_exc", self.reference_c_exc)
        to_si(self.J, volt, "J", positive=True)
        theta = to_si(self.theta, volt, "theta", positive=True)
        v_reset = to_si(self.v_reset, volt, "v_reset")
        if v_reset >= theta:
            raise ValueError(
                f"v_reset must lie below theta ({show(self.theta)}); got {show(self.v_reset)}"
            )
        for name in ("tau", "duration", "dt"):
            to_si(getattr(self, name), second, name, positive=True)
        to_si(self.t_ref, second, "t_ref", nonnegative=True)
        to_si(self.transient, second, "transient", nonnegative=True)
        if to_si(self.delay, second, "delay") < float(self.dt) - 1e-12:
            raise ValueError(
                f"delay must be at least one step dt ({show(self.dt)}); got {show(self.delay)}"
            )
        check_number("heterogeneity", self.heterogeneity, nonnegative=True)
        to_si(self.theta_sd, volt, "theta_sd", nonnegative=True)
        check_choice("neuron", self.neuron, NEURONS)
        check_number("adex_a", self.adex_a, nonnegative=True)
        to_si(self.adex_b, volt, "adex_b", nonnegative=True)
        to_si(self.adex_tau_w, second, "adex_tau_w", positive=True)
        to_si(self.adex_delta_T, volt, "adex_delta_T", positive=True)
        check_choice("synapse", self.synapse, SYNAPSES)
        v_match = (v_reset + theta) / 2
        if to_si(self.E_exc, volt, "E_exc") <= theta:
            raise ValueError(f"E_exc must lie above theta ({show(self.theta)}); got {self.E_exc}")
        if to_si(self.E_inh, volt, "E_inh") >= v_match:
            raise ValueError(
                f"E_inh must lie below (v_reset + theta) / 2 ({v_match * 1e3:g} mV); got "
                f"{show(self.E_inh)}"
            )
        check_choice("sampler", self.sampler, SAMPLERS)
        check_count("seed", self.seed, minimum=0)
        check_target(self.target)
        check_count("threads", self.threads)

    # derived quantities --------------------------------------------------------------------
    @property
    def n_inh(self) -> int:
        """Number of inhibitory neurons ``N_I = N_E // 4``."""
        return self.n_exc // 4

    @property
    def n_neurons(self) -> int:
        return self.n_exc + self.n_inh

    @property
    def c_inh(self) -> int:
        """Inhibitory in-degree ``C_I = C_E / 4`` (at least 1)."""
        return max(1, round(self.c_exc / 4))

    @property
    def J_eff(self) -> Quantity:
        """Excitatory efficacy after scaling (``J * reference_c_exc / C_E`` when scaled)."""
        if self.reference_c_exc is None:
            return self.J
        return self.J * (self.reference_c_exc / self.c_exc)

    @property
    def nu_thr(self) -> Quantity:
        """``theta / (J C_E tau)``: external rate per input that reaches threshold on average."""
        return self.theta / (self.J_eff * self.c_exc * self.tau)

    @property
    def nu_ext(self) -> Quantity:
        """External rate per input, ``eta nu_thr``."""
        return self.eta * self.nu_thr

    @property
    def external_mean(self) -> float:
        """Mean external input count per neuron and step, ``C_E nu_ext dt`` (homogeneous)."""
        return float(self.c_exc * self.nu_ext * self.dt)

    def with_(self, **changes: Any) -> BrunelConfig:
        """A copy with some fields changed (a derived ``c_exc`` is derived again)."""
        if self._c_exc_derived and "c_exc" not in changes:
            changes["c_exc"] = None
        return replace(self, **changes)

    def describe(self) -> dict:
        """Plain-number description (for tables and JSON; units in the keys)."""
        out = {
            "n_exc": self.n_exc,
            "n_inh": self.n_inh,
            "n_neurons": self.n_neurons,
            "g": float(self.g),
            "eta": float(self.eta),
            "c_exc": self.c_exc,
            "c_inh": self.c_inh,
            "J_mV": to_column("J_mV", self.J_eff),
            "nu_thr_Hz": to_column("nu_thr_Hz", self.nu_thr),
            "heterogeneity": float(self.heterogeneity),
            "theta_sd_mV": to_column("theta_sd_mV", self.theta_sd),
            "neuron": self.neuron,
            "synapse": self.synapse,
            "sampler": self.sampler,
            "duration_s": to_column("duration_s", self.duration),
            "transient_s": to_column("transient_s", self.transient),
            "dt_ms": to_column("dt_ms", self.dt),
            "seed": self.seed,
            "target": self.target,
        }
        if self.neuron == "adex":
            out |= {
                "adex_a": float(self.adex_a),
                "adex_b_mV": to_column("adex_b_mV", self.adex_b),
                "adex_tau_w_ms": to_column("adex_tau_w_ms", self.adex_tau_w),
                "adex_delta_T_mV": to_column("adex_delta_T_mV", self.adex_delta_T),
            }
        return out
