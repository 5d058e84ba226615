"""Brunel (2000) sparse balanced network of LIF neurons: its configuration and its simulation.

Model (Brunel 2000, J Comput Neurosci 8:183-208, "model A": E and I neurons identical)
-------------------------------------------------------------------------------------------
``N_E`` excitatory and ``N_I = N_E / 4`` inhibitory leaky integrate-and-fire neurons with
delta-current synapses::

    tau dV/dt = -V + RI(t),    RI(t) = tau sum_j J_j sum_k delta(t - t_j^k - D)

threshold ``theta = 20 mV``, reset ``V_r = 10 mV``, refractory ``t_ref = 2 ms`` (V clamped at
``V_r``; input arriving while refractory is discarded, as in NEST's ``iaf_psc_delta``),
``tau = 20 ms``, delay ``D = 1.5 ms``. Every neuron receives ``C_E = epsilon N_E`` excitatory
and ``C_I = C_E / 4`` inhibitory recurrent connections (fixed in-degree, sources drawn with
replacement as in NEST's ``brunel_delta`` example), with efficacies ``J`` and ``-g J``, and
``C_E`` external excitatory Poisson inputs of rate ``nu_ext = eta nu_thr`` each, where

    nu_thr = theta / (J C_E tau)

is the external rate that brings the mean free membrane potential to threshold. Defaults:
``epsilon = 0.1``, ``J = 0.1 mV`` (``C_E = 1000`` for ``N_E = 10,000``, so ``nu_thr = 10 Hz``).

Scaling to small networks
-------------------------
The mean input is ``mu = C_E J tau (nu_ext + nu_E (1 - g/4))`` and its variance
``sigma^2 = C_E J^2 tau (nu_ext + nu_E (1 + g^2/4))``. Two ways to shrink ``N_E``:

``reference_c_exc = None`` (default)
    ``C_E = epsilon N_E`` and ``J`` as given: a genuinely smaller network, ``nu_thr`` grows.
``reference_c_exc = 1000``
    ``J -> J * 1000 / C_E``, so ``J C_E`` (hence ``nu_thr``, the mean input and the balance
    condition) equals that of the reference network; the fluctuations grow by
    ``sqrt(1000 / C_E)``, which keeps the network in the fluctuation-driven regime.
``c_exc = 1000`` with a small ``N_E``
    keeps both ``mu`` and ``sigma`` of the reference network exactly (dense connectivity
    ``C_E / N_E``; more shared input).

Heterogeneity
-------------
``heterogeneity = s > 0`` gives each neuron its own external rate ``nu_ext * m_i`` with
``m_i`` log-normal, mean 1 and log-standard deviation ``s`` (``m_i = exp(s z - s^2 / 2)``,
``z ~ N(0, 1)``): cortex's sparse regime is not a knife edge, and a spread of excitability
spreads the rates (many almost silent neurons, a few active ones).

Code-generation targets
-----------------------
``numpy`` (no compile step: tests, tiny networks), ``cython`` (compiled once per code object
and cached; the default for runtime simulations), ``cpp_standalone`` (the whole simulation
compiled to C++ and run in a separate process, optionally with OpenMP threads). See
``benchmarks/bench_network.py`` for measured wall time per simulated second.

See Also
--------
neuroact.bio.activity : the measures of the spikes :func:`simulate` returns.
neuroact.bio.theory.mean_field_rate : the network's rate in the diffusion approximation.
neuroact.experiments.population_sparsity : sweeps over (g, eta) as resumable jobs.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    Quantity,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    mV,
    prefs,
    second,
    set_device,
    volt,
)
from brian2 import device as brian_device
from brian2 import seed as brian_seed

from neuroact.bio.activity import PopulationActivity
from neuroact.bio.runtime import check_target, codegen_target, seeded
from neuroact.bio.units import check_count, check_number, show, to_column, to_si

__all__ = ["BrunelConfig", "PopulationActivity", "simulate"]


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
    duration : analysed simulated time (after ``transient``).
    transient : simulated time discarded at the start.
    dt : integration step.
    seed : seed of connectivity, initial potentials, heterogeneity and Brian2's noise.
    target : ``"numpy"``, ``"cython"`` or ``"cpp_standalone"`` (:mod:`neuroact.bio.runtime`).
    threads : OpenMP threads for ``cpp_standalone`` (ignored by the runtime targets).

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
        if to_si(self.v_reset, volt, "v_reset") >= theta:
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

    def with_(self, **changes: Any) -> BrunelConfig:
        """A copy with some fields changed (a derived ``c_exc`` is derived again)."""
        if self._c_exc_derived and "c_exc" not in changes:
            changes["c_exc"] = None
        return replace(self, **changes)

    def describe(self) -> dict:
        """Plain-number description (for tables and JSON; units in the keys)."""
        return {
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
            "duration_s": to_column("duration_s", self.duration),
            "transient_s": to_column("transient_s", self.transient),
            "dt_ms": to_column("dt_ms", self.dt),
            "seed": self.seed,
            "target": self.target,
        }


def _connectivity(cfg: BrunelConfig, rng: np.random.Generator):
    """Fixed in-degree sources for every target, drawn with replacement (as NEST's brunel_delta)."""
    n = cfg.n_neurons
    tgt_e = np.repeat(np.arange(n, dtype=np.int32), cfg.c_exc)
    src_e = rng.integers(0, cfg.n_exc, size=n * cfg.c_exc, dtype=np.int32)
    tgt_i = np.repeat(np.arange(n, dtype=np.int32), cfg.c_inh)
    src_i = rng.integers(0, cfg.n_inh, size=n * cfg.c_inh, dtype=np.int32)
    return (src_e, tgt_e), (src_i, tgt_i)


def _build(cfg: BrunelConfig):
    """Create every Brian2 object of the network and return them in an explicit Network."""
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_neurons
    eqs = """
    dv/dt = -v / tau : volt (unless refractory)
    lam_ext : 1 (constant)
    """
    group = NeuronGroup(
        n,
        eqs,
        threshold="v > theta",
        reset="v = v_reset",
        refractory=cfg.t_ref,
        method="exact",
        namespace={"tau": cfg.tau, "theta": cfg.theta, "v_reset": cfg.v_reset},
        name="brunel_neurons",
    )
    group.v = rng.uniform(float(cfg.v_reset), float(cfg.theta), size=n) * volt
    # External drive: C_E Poisson inputs of rate nu_ext each = one Poisson count per step with
    # mean C_E nu_ext dt (times a log-normal multiplier with mean 1 when heterogeneous).
    mult = np.ones(n)
    if cfg.heterogeneity > 0:
        s = cfg.heterogeneity
        mult = np.exp(s * rng.standard_normal(n) - s**2 / 2)
    group.lam_ext = float(cfg.c_exc * cfg.nu_ext * cfg.dt) * mult
    # Inputs are added after the membrane update and before the threshold test of the same
    # step (NEST's iaf_psc_delta order). Brian2's default slot (after the thresholds) would let
    # every input decay for one step first, i.e. J * exp(-dt/tau), which shifts the low-rate
    # regime noticeably (the rate there is steep in the drive).
    ext = group.run_regularly(
        "v += J * poisson(lam_ext) * int(not_refractory)",
        when="before_thresholds",
        name="brunel_external",
    )
    exc, inh = group[: cfg.n_exc], group[cfg.n_exc :]
    ns = {"J": cfg.J_eff, "gJ": cfg.g * cfg.J_eff}
    group.namespace.update(ns)
    syn_e = Synapses(
        exc,
        group,
        on_pre="v_post += J * int(not_refractory_post)",
        delay=cfg.delay - cfg.dt,
        namespace=ns,
        name="brunel_exc_syn",
    )
    syn_i = Synapses(
        inh,
        group,
        on_pre="v_post -= gJ * int(not_refractory_post)",
        delay=cfg.delay - cfg.dt,
        namespace=ns,
        name="brunel_inh_syn",
    )
    # A pathway run before the thresholds sees the spikes of the previous step, so one step
    # is taken off the delay to keep the transmission delay at D.
    for syn in (syn_e, syn_i):
        syn.pre.when = "before_thresholds"
    (se, te), (si, ti) = _connectivity(cfg, rng)
    syn_e.connect(i=se, j=te)
    syn_i.connect(i=si, j=ti)
    spikes = SpikeMonitor(group, name="brunel_spikes")
    net = Network(group, ext, syn_e, syn_i, spikes)
    return net, spikes


def _activity_from(cfg: BrunelConfig, i: np.ndarray, t: np.ndarray, meta: dict):
    t0 = float(cfg.transient)
    keep = t >= t0
    dur = float(cfg.duration)
    t = t[keep] - t0
    i = i[keep]
    inside = t < dur
    return PopulationActivity(i[inside], t[inside], cfg.n_neurons, dur, meta=meta)


def simulate(cfg: BrunelConfig) -> PopulationActivity:
    """Simulate one Brunel network; return the spikes after the transient.

    ``meta`` of the result holds :meth:`BrunelConfig.describe` plus ``build_s`` (building the
    objects and connectivity), ``run_s`` (simulation; for ``cpp_standalone`` compile + run) and
    ``wall_per_sim_s`` (run time per simulated second, transient included). Brian2's clock,
    code-generation target and numpy's global random state are left as they were.
    """
    if not isinstance(cfg, BrunelConfig):
        raise TypeError(f"cfg must be a BrunelConfig; got {type(cfg).__name__}")
    if cfg.target == "cpp_standalone":
        return _simulate_standalone(cfg)
    total = cfg.transient + cfg.duration
    old_dt = defaultclock.dt
    with codegen_target(cfg.target), seeded(cfg.seed):
        try:
            t0 = time.perf_counter()
            net, spikes = _build(cfg)
            defaultclock.dt = cfg.dt
            t1 = time.perf_counter()
            net.run(total, namespace={})
            t2 = time.perf_counter()
        finally:
            defaultclock.dt = old_dt
        i = np.asarray(spikes.i[:], dtype=np.int64)
        t = np.asarray(spikes.t[:] / second, dtype=float)
    meta = cfg.describe() | {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_per_sim_s": (t2 - t1) / float(total),
    }
    return _activity_from(cfg, i, t, meta)


def _simulate_standalone(cfg: BrunelConfig) -> PopulationActivity:
    total = cfg.transient + cfg.duration
    build_dir = tempfile.mkdtemp(prefix="neuroact_brunel_")
    old_threads = prefs.devices.cpp_standalone.openmp_threads
    set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    try:
        prefs.devices.cpp_standalone.openmp_threads = cfg.threads
        brian_seed(cfg.seed)
        t0 = time.perf_counter()
        defaultclock.dt = cfg.dt
        net, spikes = _build(cfg)
        net.run(total, namespace={})
        t1 = time.perf_counter()
        brian_device.build(directory=build_dir, compile=True, run=True, debug=False)
        t2 = time.perf_counter()
        i = np.asarray(spikes.i[:], dtype=np.int64)
        t = np.asarray(spikes.t[:] / second, dtype=float)
        run_time = getattr(brian_device, "_last_run_time", None)
    finally:
        brian_device.reinit()
        brian_device.activate()
        set_device("runtime")
        prefs.devices.cpp_standalone.openmp_threads = old_threads
        with contextlib.suppress(OSError):
            shutil.rmtree(build_dir)
    meta = cfg.describe() | {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_per_sim_s": (run_time if run_time else t2 - t1) / float(total),
        "threads": cfg.threads,
    }
    return _activity_from(cfg, i, t, meta)
