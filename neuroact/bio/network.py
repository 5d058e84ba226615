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

Heterogeneity and the mechanisms of the band-width study
---------------------------------------------------------
Off by default (the network above); each can be switched on alone or together:

``heterogeneity = s > 0`` (drive)
    each neuron its own external rate ``nu_ext * m_i``, ``m_i`` log-normal with mean 1 and
    log-standard deviation ``s`` (``m_i = exp(s z - s^2 / 2)``, ``z ~ N(0, 1)``).
``theta_sd > 0`` (thresholds)
    each neuron its own threshold ``theta + theta_sd z`` (Gaussian, kept at least 0.5 mV above
    ``v_reset``); ``nu_thr`` and ``eta`` keep referring to the mean ``theta``.
``neuron = "adex"`` (spike-frequency adaptation)
    adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005) written in
    Brunel's frame, ``tau dV/dt = -V + Delta_T exp((V - theta_i) / Delta_T) - w``,
    ``tau_w dw/dt = a V - w``, ``w += b`` at a spike (:func:`neuroact.bio.neurons.
    adaptation_in_voltage`: Brette & Gerstner's regular-spiking cell divided by its leak,
    ``a = 0.133``, ``b = 2.68 mV``, ``tau_w = 144 ms``, ``Delta_T = 2 mV``); the spike is
    detected at ``theta_i + ADEX_PEAK_DELTAS * Delta_T``; Euler integration.
``synapse = "conductance"`` (shunting)
    every input (recurrent and external) moves ``V`` a fixed fraction of the way to its
    reversal potential, ``V += w (E - V)``: the limit of fast conductance transients
    (Richardson & Gerstner 2005), whose inputs shunt the membrane (the effective time constant
    falls as the input rate grows) and whose inhibition weakens near ``E_inh``. ``E_exc = 70
    mV`` and ``E_inh = -10 mV`` above rest (0 and -80 mV for a rest at -70 mV); the jump sizes
    ``w_E = J / (E_exc - V_m)`` and ``w_I = g J / (V_m - E_inh)`` give the current-based PSPs
    at ``V_m = (v_reset + theta) / 2``. The ``k`` external inputs of one step act as one input
    of ``k w_E`` (relative error ``(k w_E)^2 / 2``, below 1e-5 here).

External drive sampler
----------------------
``sampler = "inversion"`` (default) draws the external counts with
:data:`neuroact.bio.poisson.poisson_small` (exact, one uniform number per neuron and step:
several times faster than Brian2's ``poisson``); ``"brian2"`` uses Brian2's ``poisson``, the
sampler of earlier versions. Both draw the same distribution, not the same numbers.

Code-generation targets
-----------------------
``numpy`` (no compile step: tests, tiny networks), ``cython`` (compiled once per code object
and cached; the default for runtime simulations), ``cpp_standalone`` (the whole simulation
compiled to C++ and run in a separate process, optionally with OpenMP threads; see
:mod:`neuroact.bio.runtime` for the threads' wait policy). See
``benchmarks/bench_network.py`` for measured wall time per simulated second.

The configuration, :class:`BrunelConfig`, lives in :mod:`neuroact.bio.network_config`
(importable from here).

See Also
--------
neuroact.bio.activity : the measures of the spikes :func:`simulate` returns.
neuroact.bio.theory.mean_field_rate : the network's rate in the diffusion approximation.
neuroact.experiments.population_sparsity : sweeps over (g, eta) as resumable jobs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    Quantity,
    SpikeMonitor,
    Synapses,
    defaultclock,
    prefs,
    second,
    set_device,
    volt,
)
from brian2 import device as brian_device
from brian2 import seed as brian_seed

from neuroact.bio.activity import PopulationActivity
from neuroact.bio.network_config import (
    ADEX_PEAK_DELTAS,
    MIN_THRESHOLD_ABOVE_RESET,
    NEURONS,
    SAMPLERS,
    SYNAPSES,
    BrunelConfig,
)
from neuroact.bio.poisson import MAX_SMALL_MEAN, poisson_small, reseed
from neuroact.bio.runtime import codegen_target, openmp_environment, run_to_end, seeded
from neuroact.bio.units import check_number, show, to_si

__all__ = ["ADEX_PEAK_DELTAS", "NEURONS", "SAMPLERS", "SYNAPSES", "BrunelConfig", "simulate"]


def _connectivity(cfg: BrunelConfig, rng: np.random.Generator):
    """Fixed in-degree sources for every target, drawn with replacement (as NEST's brunel_delta)."""
    n = cfg.n_neurons
    tgt_e = np.repeat(np.arange(n, dtype=np.int32), cfg.c_exc)
    src_e = rng.integers(0, cfg.n_exc, size=n * cfg.c_exc, dtype=np.int32)
    tgt_i = np.repeat(np.arange(n, dtype=np.int32), cfg.c_inh)
    src_i = rng.integers(0, cfg.n_inh, size=n * cfg.c_inh, dtype=np.int32)
    return (src_e, tgt_e), (src_i, tgt_i)


def _neuron_model(cfg: BrunelConfig) -> dict:
    """Equations, threshold, reset, integration method and namespace of the network's neurons."""
    common = """
    theta_i : volt (constant)
    lam_ext : 1 (constant)
    p0_ext : 1 (constant)
    """
    ns = {"tau": cfg.tau, "v_reset": cfg.v_reset}
    if cfg.neuron == "lif":
        return {
            "model": "dv/dt = -v / tau : volt (unless refractory)" + common,
            "threshold": "v > theta_i",
            "reset": "v = v_reset",
            "method": "exact",
            "namespace": ns,
        }
    eqs = """
    dv/dt = (-v + delta_T * exp((v - theta_i) / delta_T) - w) / tau : volt (unless refractory)
    dw/dt = (a_w * v - w) / tau_w : volt
    """
    ns |= {
        "delta_T": cfg.adex_delta_T,
        "a_w": cfg.adex_a,
        "b_w": cfg.adex_b,
        "tau_w": cfg.adex_tau_w,
        "peak": ADEX_PEAK_DELTAS * cfg.adex_delta_T,
    }
    return {
        "model": eqs + common,
        "threshold": "v > theta_i + peak",
        "reset": "v = v_reset; w += b_w",
        "method": "euler",
        "namespace": ns,
    }


def _synaptic_code(cfg: BrunelConfig) -> tuple[str, str, str, dict]:
    """The external, excitatory and inhibitory updates of ``v`` and their namespace."""
    if cfg.sampler == "inversion" and cfg.external_mean * _max_multiplier(cfg) <= MAX_SMALL_MEAN:
        count = "poisson_small(lam_ext, p0_ext)"
    else:
        count = "poisson(lam_ext)"
    if cfg.synapse == "current":
        ns = {"J": cfg.J_eff, "gJ": cfg.g * cfg.J_eff}
        return (
            f"v += J * {count} * int(not_refractory)",
            "v_post += J * int(not_refractory_post)",
            "v_post -= gJ * int(not_refractory_post)",
            ns | {"poisson_small": poisson_small},
        )
    v_match = (cfg.v_reset + cfg.theta) / 2
    ns = {
        "w_e": float(cfg.J_eff / (cfg.E_exc - v_match)),
        "w_i": float(cfg.g * cfg.J_eff / (v_match - cfg.E_inh)),
        "E_exc": cfg.E_exc,
        "E_inh": cfg.E_inh,
    }
    return (
        f"v += w_e * {count} * (E_exc - v) * int(not_refractory)",
        "v_post += w_e * (E_exc - v_post) * int(not_refractory_post)",
        "v_post += w_i * (E_inh - v_post) * int(not_refractory_post)",
        ns | {"poisson_small": poisson_small},
    )


def _max_multiplier(cfg: BrunelConfig) -> float:
    # the largest log-normal drive multiplier is bounded by 9 sd (probability 1e-19)
    s = cfg.heterogeneity
    return float(np.exp(9 * s - s**2 / 2)) if s > 0 else 1.0


def _build(cfg: BrunelConfig):
    """Create every Brian2 object of the network and return them in an explicit Network."""
    rng = np.random.default_rng(cfg.seed)
    reseed(cfg.seed)  # the Cython sampler's own generator (numpy's global one is left alone)
    n = cfg.n_neurons
    neuron = _neuron_model(cfg)
    external, on_exc, on_inh, ns = _synaptic_code(cfg)
    group = NeuronGroup(n, **neuron, refractory=cfg.t_ref, name="brunel_neurons")
    group.v = rng.uniform(float(cfg.v_reset), float(cfg.theta), size=n) * volt
    # External drive: C_E Poisson inputs of rate nu_ext each = one Poisson count per step with
    # mean C_E nu_ext dt (times a log-normal multiplier with mean 1 when heterogeneous).
    mult = np.ones(n)
    if cfg.heterogeneity > 0:
        s = cfg.heterogeneity
        mult = np.exp(s * rng.standard_normal(n) - s**2 / 2)
    lam = cfg.external_mean * mult
    group.lam_ext = lam
    group.p0_ext = np.exp(-lam)
    group.namespace.update(ns)
    # Inputs are added after the membrane update and before the threshold test of the same
    # step (NEST's iaf_psc_delta order). Brian2's default slot (after the thresholds) would let
    # every input decay for one step first, i.e. J * exp(-dt/tau), which shifts the low-rate
    # regime noticeably (the rate there is steep in the drive).
    ext = group.run_regularly(external, when="before_thresholds", name="brunel_external")
    exc, inh = group[: cfg.n_exc], group[cfg.n_exc :]
    syn_e = Synapses(
        exc, group, on_pre=on_exc, delay=cfg.delay - cfg.dt, namespace=ns, name="brunel_exc_syn"
    )
    syn_i = Synapses(
        inh, group, on_pre=on_inh, delay=cfg.delay - cfg.dt, namespace=ns, name="brunel_inh_syn"
    )
    # A pathway run before the thresholds sees the spikes of the previous step, so one step
    # is taken off the delay to keep the transmission delay at D.
    for syn in (syn_e, syn_i):
        syn.pre.when = "before_thresholds"
    (se, te), (si, ti) = _connectivity(cfg, rng)
    syn_e.connect(i=se, j=te)
    syn_i.connect(i=si, j=ti)
    # Heterogeneous thresholds from a generator of their own, so that switching them on leaves
    # the connectivity, initial potentials and drive of the same seed unchanged.
    theta = np.full(n, float(cfg.theta))
    if float(cfg.theta_sd) > 0:
        z = np.random.default_rng([cfg.seed, 1]).standard_normal(n)
        low = float(cfg.v_reset + MIN_THRESHOLD_ABOVE_RESET)
        theta = np.maximum(theta + float(cfg.theta_sd) * z, low)
    group.theta_i = theta * volt
    spikes = SpikeMonitor(group, name="brunel_spikes")
    net = Network(group, ext, syn_e, syn_i, spikes)
    return net, spikes


def _activity_from(cfg: BrunelConfig, i: np.ndarray, t: np.ndarray, meta: dict, dur: float):
    t0 = float(cfg.transient)
    keep = t >= t0
    t = t[keep] - t0
    i = i[keep]
    inside = t < dur
    return PopulationActivity(i[inside], t[inside], cfg.n_neurons, dur, meta=meta)


def simulate(
    cfg: BrunelConfig,
    *,
    spikes_per_neuron: float | None = None,
    max_duration: Quantity | None = None,
) -> PopulationActivity:
    """Simulate one Brunel network; return the spikes after the transient.

    Parameters
    ----------
    cfg : the network and its run.
    spikes_per_neuron : if given (runtime targets only), keep running in steps of
        ``cfg.duration`` until the neurons have fired this many spikes each on average after
        the transient, or until ``max_duration`` is recorded: a low-rate network then runs long
        enough for its interval statistics, a high-rate one stops early.
    max_duration : the longest recording (after the transient) with ``spikes_per_neuron``;
        default ``4 * cfg.duration``.

    Returns
    -------
    PopulationActivity
        ``meta`` holds :meth:`BrunelConfig.describe` plus ``build_s`` (building the objects and
        connectivity), ``run_s`` (simulation; for ``cpp_standalone`` compile + run) and
        ``wall_per_sim_s`` (run time per simulated second, transient included); its
        ``duration_s`` is the recorded time. Brian2's clock, code-generation target and
        numpy's global random state are left as they were.
    """
    if not isinstance(cfg, BrunelConfig):
        raise TypeError(f"cfg must be a BrunelConfig; got {type(cfg).__name__}")
    limit = _check_extension(cfg, spikes_per_neuron, max_duration)
    if cfg.target == "cpp_standalone":
        return _simulate_standalone(cfg)
    recorded = float(cfg.duration)
    old_dt = defaultclock.dt
    with codegen_target(cfg.target), seeded(cfg.seed):
        try:
            t0 = time.perf_counter()
            net, spikes = _build(cfg)
            defaultclock.dt = cfg.dt
            t1, c1 = time.perf_counter(), time.process_time()
            run_to_end(net, cfg.transient + cfg.duration)
            while spikes_per_neuron is not None and recorded < limit - 1e-9:
                after = int(np.sum(np.asarray(spikes.t[:] / second) >= float(cfg.transient)))
                if after >= spikes_per_neuron * cfg.n_neurons:
                    break
                step = min(float(cfg.duration), limit - recorded)
                run_to_end(net, step * second)
                recorded += step
            t2, c2 = time.perf_counter(), time.process_time()
        finally:
            defaultclock.dt = old_dt
        i = np.asarray(spikes.i[:], dtype=np.int64)
        t = np.asarray(spikes.t[:] / second, dtype=float)
    total = float(cfg.transient) + recorded
    meta = cfg.describe() | {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_per_sim_s": (t2 - t1) / total,
        "cpu_per_sim_s": (c2 - c1) / total,
    }
    return _activity_from(cfg, i, t, meta, recorded)


def _check_extension(cfg, spikes_per_neuron, max_duration) -> float:
    """The longest recording (s) of :func:`simulate`'s extension, its settings checked."""
    if spikes_per_neuron is None:
        return float(cfg.duration)
    check_number("spikes_per_neuron", spikes_per_neuron, positive=True)
    if cfg.target == "cpp_standalone":
        raise ValueError(
            "spikes_per_neuron needs a runtime target ('numpy' or 'cython'); got target "
            "'cpp_standalone'"
        )
    if max_duration is None:
        return 4 * float(cfg.duration)
    limit = to_si(max_duration, second, "max_duration", positive=True)
    if limit < float(cfg.duration):
        raise ValueError(
            f"max_duration must be at least cfg.duration ({show(cfg.duration)}); got "
            f"{show(max_duration)}"
        )
    return limit


def _simulate_standalone(cfg: BrunelConfig) -> PopulationActivity:
    total = cfg.transient + cfg.duration
    build_dir = tempfile.mkdtemp(prefix="neuroact_brunel_")
    old_threads = prefs.devices.cpp_standalone.openmp_threads
    old_env = dict(prefs.devices.cpp_standalone.run_environment_variables)
    set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    try:
        prefs.devices.cpp_standalone.openmp_threads = cfg.threads
        prefs.devices.cpp_standalone.run_environment_variables = old_env | openmp_environment(
            cfg.threads
        )
        brian_seed(cfg.seed)
        t0 = time.perf_counter()
        defaultclock.dt = cfg.dt
        net, spikes = _build(cfg)
        net.run(total, namespace={})
        brian_device.build(directory=build_dir, compile=True, run=False, debug=False)
        t1, c1 = time.perf_counter(), os.times()
        brian_device.run(directory=build_dir, with_output=False)
        t2, c2 = time.perf_counter(), os.times()
        i = np.asarray(spikes.i[:], dtype=np.int64)
        t = np.asarray(spikes.t[:] / second, dtype=float)
        run_time = getattr(brian_device, "_last_run_time", None)
    finally:
        brian_device.reinit()
        brian_device.activate()
        set_device("runtime")
        prefs.devices.cpp_standalone.openmp_threads = old_threads
        prefs.devices.cpp_standalone.run_environment_variables = old_env
        with contextlib.suppress(OSError):
            shutil.rmtree(build_dir)
    # the program's CPU time (os.times reports children only on Unix; 0 elsewhere)
    cpu = (c2.children_user + c2.children_system) - (c1.children_user + c1.children_system)
    meta = cfg.describe() | {
        "build_s": t1 - t0,  # code generation and compilation
        "run_s": t2 - t1,
        # the simulation loop as the program times it (without start-up and writing results)
        "wall_per_sim_s": (run_time if run_time else t2 - t1) / float(total),
        "cpu_per_sim_s": cpu / float(total),  # the whole program
        "threads": cfg.threads,
    }
    return _activity_from(cfg, i, t, meta, float(cfg.duration))
