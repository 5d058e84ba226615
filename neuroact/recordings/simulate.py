"""Simulated current-clamp sweeps: a Brian2 model under a step protocol, recorded like a cell.

:func:`simulate_sweeps` runs a model of :mod:`neuroact.bio.neurons` through the protocol of an
f-I recording (holding at 0, a square step, back to 0) and returns the voltage traces as
:class:`~neuroact.recordings.sweeps.Sweep` objects with Brian2's own spike times beside them.
Models and recorded cells then go through one pipeline (step finding, spike detection,
:func:`~neuroact.recordings.fi.fi_table`), and the spike detectors can be checked against the
simulator's spikes.

How the trace is recorded
-------------------------
The voltage is sampled every time step after the threshold test and before the reset, so the
sample at a spike shows the spike's top rather than the reset value; sample ``k`` is the
voltage at ``t = k dt`` (sample 0 the initial value). Integrate-and-fire models (the models
with a reset: LIF, AdEx, Izhikevich) have no action-potential shape: the sample at each of
their spikes is drawn at ``spike_peak`` (20 mV by default), the usual way to plot them
(Gerstner et al. 2014, *Neuronal Dynamics*, ch. 1.3), instead of the threshold value (LIF) or
the divergence of the exponential term (AdEx). The Hodgkin-Huxley trace is left as simulated.

Brian2 records a spike at the step whose update carried the voltage over the threshold, so a
spike at ``t`` has its threshold crossing between the samples at ``t`` and ``t + dt``.

See Also
--------
neuroact.bio.fi.fi_curve : the f-I curve of a model under constant currents, without traces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from brian2 import Network, StateMonitor, amp, metre, mV, second

from neuroact.bio.fi_core import build_group
from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.runtime import check_seed, check_target, codegen_target, run_to_end, seeded
from neuroact.bio.units import to_si
from neuroact.recordings.sweeps import Sweep

__all__ = ["SimulatedSweeps", "simulate_sweeps"]

_PA_PER_A = 1e12
_MV_PER_V = 1e3


@dataclass(frozen=True)
class SimulatedSweeps:
    """Sweeps of a simulated step protocol and the simulator's own spike times.

    Attributes
    ----------
    sweeps : one :class:`Sweep` per step amplitude (current in pA, voltage in mV).
    spike_times_s : per sweep, Brian2's ``SpikeMonitor`` times (s).
    on_s, off_s : the step's first sample time and the first sample time after it.
    dt_s : the time step, also the sampling interval.
    """

    sweeps: list[Sweep]
    spike_times_s: list[np.ndarray]
    on_s: float
    off_s: float
    dt_s: float


def _amperes_per_unit(model: NeuronModel, area: Any) -> float:
    """Amperes per unit of the model's current: the unit itself, or times the area for a
    current density."""
    unit_si = float(np.asarray(model.current_unit))  # e.g. nA -> 1e-9; uA/cm2 -> 1e-2 A/m2
    if model.current_unit.dim == amp.dim:
        return unit_si
    if area is None:
        raise ValueError(
            f"area is needed for model {model.name!r}: its current is a density "
            f"({model.current_unit_name}); give the membrane area, e.g. 2e-5*cm**2"
        )
    return unit_si * to_si(area, metre**2, "area", positive=True)


def _check_amplitudes(amplitudes: Any, model: NeuronModel) -> np.ndarray:
    """The step amplitudes as a 1-d float array in the model's current unit."""
    if hasattr(amplitudes, "dim"):  # a Brian2 quantity: checked against the model's unit
        si = to_si(amplitudes, model.current_unit, "amplitudes", scalar=False)
        values = np.atleast_1d(si / float(np.asarray(model.current_unit)))
    else:
        try:
            values = np.atleast_1d(np.asarray(amplitudes, dtype=float))
        except (TypeError, ValueError):
            raise TypeError(
                f"amplitudes must be numbers or a Brian2 quantity; got {amplitudes!r}"
            ) from None
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"amplitudes must be a non-empty 1-d array of finite numbers; got {amplitudes!r}"
        )
    return values


def _run_protocol(
    model: NeuronModel, values: np.ndarray, durations: list[float], dt: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One neuron per amplitude through (0, step, 0): voltages (mV, sample k at k dt) and
    Brian2's spike indices and times (s)."""
    group, monitor = build_group(model, values.size, dt)  # the f-I runner's group and monitor
    trace = StateMonitor(group, "v", record=True, when="after_thresholds")
    net = Network(group, monitor, trace)
    v0 = np.asarray(group.v / mV, dtype=float).copy()
    for level, duration in zip((0.0, 1.0, 0.0), durations, strict=True):
        group.I = level * values * model.current_unit
        run_to_end(net, duration * second)
    v = np.concatenate([v0[:, None], np.asarray(trace.v / mV, dtype=float)[:, :-1]], axis=1)
    spike_i, spike_t = np.asarray(monitor.i[:]), np.asarray(monitor.t / second)
    return v, spike_i, spike_t


def simulate_sweeps(
    model: str | NeuronModel,
    amplitudes: Any,
    *,
    baseline: Any,
    step: Any,
    tail: Any,
    dt: Any = None,
    area: Any = None,
    spike_peak: Any = None,
    cell_id: str | None = None,
    seed: int | None = 0,
    target: str = "numpy",
) -> SimulatedSweeps:
    """Simulate ``model`` under square current steps and record it like a cell.

    Parameters
    ----------
    model : registry name or :class:`~neuroact.bio.neurons.NeuronModel`.
    amplitudes : 1-d, the step amplitudes in the model's current unit (plain numbers) or a
        Brian2 quantity of that dimension; one sweep each, all simulated in one run.
    baseline, step, tail : Brian2 durations at 0 current, of the step, and after it (> 0).
    dt : time step and sampling interval (default: ``model.dt``).
    area : membrane area (Brian2 quantity) for models whose current is a density
        (Hodgkin-Huxley, Izhikevich): the sweep's current is density x area.
    spike_peak : voltage drawn at each spike of an integrate-and-fire model (default 20 mV).
    cell_id : the sweeps' cell (default: the model's name).
    seed, target : as in :func:`neuroact.bio.fi.fi_curve`.

    Returns
    -------
    SimulatedSweeps
    """
    model = get_model(model)
    values = _check_amplitudes(amplitudes, model)
    dt = model.dt if dt is None else dt
    dt_s = to_si(dt, "second", "dt", positive=True)
    durations = [
        to_si(x, "second", name, positive=True)
        for name, x in (("baseline", baseline), ("step", step), ("tail", tail))
    ]
    peak_mV = 20.0 if spike_peak is None else to_si(spike_peak, "volt", "spike_peak") * _MV_PER_V
    scale = _amperes_per_unit(model, area)
    check_seed(seed)
    check_target(target)
    if target == "cpp_standalone":
        raise ValueError(
            "target must be 'numpy' or 'cython' for simulate_sweeps; got 'cpp_standalone'"
        )
    n = values.size
    with codegen_target(target), seeded(seed):
        v, spike_i, spike_t = _run_protocol(model, values, durations, dt)
    t = np.arange(v.shape[1]) * dt_s
    k_on = int(round(durations[0] / dt_s))
    k_off = k_on + int(round(durations[1] / dt_s))
    spikes = [spike_t[spike_i == k] for k in range(n)]
    if model.reset:
        for k, times in enumerate(spikes):
            after = np.rint(times / dt_s).astype(np.int64) + 1  # the sample after the update
            v[k, after[after < t.size]] = peak_mV
    name = model.name if cell_id is None else cell_id
    sweeps = []
    for k in range(n):
        current = np.zeros(t.size)
        current[k_on:k_off] = values[k] * scale * _PA_PER_A
        sweeps.append(Sweep(name, k, t, v[k], current, source=f"simulated {model.name}"))
    return SimulatedSweeps(sweeps, spikes, float(t[k_on]), float(t[k_off]), dt_s)
