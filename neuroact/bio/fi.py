"""Firing-rate-versus-current (f-I) curves: one NeuronGroup for every current x trial, one run.

Public API
----------
``fi_curve(model, currents, *, duration, transient, trials, seed, dt, target, rate_method)``
    Simulate ``model`` (a name from :mod:`neuroact.bio.neurons` or a ``NeuronModel``) under
    constant currents and return an :class:`FICurve`.
``FICurve``
    Result: per current the steady-state rate, its SEM over trials, the first-interval rate,
    the CV of the inter-spike intervals; ``to_frame()`` gives the tidy table.
``spike_statistics(i, t, n_currents, trials, transient, duration, rate_method)``
    The statistics above from raw spike indices and times (used by every backend).
``StandaloneFICurve``
    The compiled program for a fixed number of currents (built once, kept in the user cache)
    that reruns with new currents and seeds without recompiling.
``fi_spike_trains(model, currents, *, duration, trials, seed, dt, target)``
    The spikes of the same run as ``neo.SpikeTrain`` objects, for Elephant and the rest of the
    Neo ecosystem (needs ``neuroact[recordings]``).
``check_run(dt=..., duration, transient, trials, target, rate_method, seed)``
    Check a run's settings without running it (what ``fi_curve`` does first).
``dt_limited(rate_hz, dt_s)``
    Which rates are limited by the time step (below).

The shared pieces (checks, the group, the statistics, ``FICurve``) live in
:mod:`neuroact.bio.fi_core`, the compiled program in :mod:`neuroact.bio.fi_program`; both are
importable from here.

How the curve is simulated
--------------------------
All ``len(currents) * trials`` neurons live in ONE ``NeuronGroup`` (neuron ``k`` gets current
``k // trials``, trial ``k % trials``) inside an explicit ``brian2.Network``, run once. The
objects have fixed names so that the cython cache is reused between calls. Noise is seeded with
``brian2.seed(seed)``; numpy's global random state is saved and restored around the run so that
calling ``fi_curve`` does not change the caller's random numbers.

Measures (DESIGN.md)
--------------------
- steady-state rate: after the transient. ``rate_method="count"``: spikes in
  [transient, duration) / (duration - transient) (unbiased, quantised: 1/window). ``"isi"``:
  (number of intervals) / (sum of intervals) between the spikes after the transient, which is
  exact for regular (deterministic) firing; a trial with fewer than two such spikes falls back to
  the count. ``"auto"`` (default): ``"isi"`` for deterministic models, ``"count"`` for noisy ones
  (for irregular firing the ISI estimate is biased upwards by the window edges).
  The per-current rate is the mean over trials; ``rate_sem`` is std(ddof=1)/sqrt(trials) (NaN for
  one trial).
- first-interval rate: 1 / (first ISI of the whole run, from the current's onset at t = 0),
  averaged over trials; 0 for a trial with fewer than two spikes.
- CV ISI: std / mean of the intervals after the transient, pooled over trials; NaN with fewer
  than two intervals.

Rates limited by the time step
------------------------------
Spikes happen on the time grid, so an inter-spike interval is resolved to one step ``dt``: a
neuron firing at rate ``r`` has intervals of ``1 / (r dt)`` steps, and one step more or less
changes its rate by ``r dt``. A model without refractoriness (AdEx, Izhikevich, a LIF with
``t_ref = 0``) driven hard enough fires on every step or two, and its "rate" is then ``1/dt``
or ``1/(2 dt)``, a property of the grid rather than of the neuron. The column ``dt_limited``
flags a current whose steady-state or first-interval rate reaches ``1 / (MIN_STEPS_PER_ISI
dt)`` (intervals of fewer than 10 steps: the rate is uncertain by 10% or more), and
``fi_curve`` warns (``UserWarning``) naming the model and the lowest such current. Use a
smaller ``dt`` or give the model a refractory period.

Code-generation targets
-----------------------
``target="auto"`` (default) is ``"cpp_standalone"`` where a C++ compiler and ``make`` exist,
else ``"numpy"``. ``"cpp_standalone"`` runs a compiled program built once for the model's
equations and parameters, the number of neurons (rounded up to one of four sizes per octave;
the extra neurons get no current and are not reported), ``dt`` and the duration, and kept in the
user cache (:mod:`neuroact.bio.standalone`): the first call for such a program builds it
(10-30 s), later calls in any process run it in milliseconds; currents and the seed are its
inputs. ``"numpy"`` and ``"cython"`` use Brian2's runtime device (:mod:`neuroact.bio.runtime`):
no compile step for numpy, but Brian2's per-step overhead (about 27 us a step) dominates a small
group. The targets draw different random numbers for noisy models; on one target the same seed
gives the same spikes. Measured times: ``benchmarks/RESULTS.md``.

See Also
--------
neuroact.bio.neurons : the models.
neuroact.bio.theory.lif_rate, neuroact.bio.theory.siegert_rate : the oracles of the LIF curves.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import Network, Quantity, second

from neuroact.bio.activity import PopulationActivity
from neuroact.bio.fi_core import (
    DEFAULT_DURATION,
    DEFAULT_TRANSIENT,
    FI_TARGETS,
    MIN_STEPS_PER_ISI,
    RATE_METHODS,
    FICurve,
    build_group,
    check_currents,
    check_run,
    curve_from_spikes,
    dt_limited,
    resolve_rate_method,
    spike_statistics,
)
from neuroact.bio.fi_program import (
    StandaloneFICurve,
    build_program,
    program_size,
    program_spec,
    resolve_target,
)
from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.runtime import TARGETS, codegen_target, run_to_end, seeded

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_TRANSIENT",
    "FI_TARGETS",
    "MIN_STEPS_PER_ISI",
    "RATE_METHODS",
    "TARGETS",
    "FICurve",
    "StandaloneFICurve",
    "build_program",
    "check_run",
    "dt_limited",
    "fi_curve",
    "fi_spike_trains",
    "program_size",
    "program_spec",
    "resolve_target",
    "run_group",
    "spike_statistics",
]


def fi_curve(
    model: str | NeuronModel,
    currents: Quantity,
    *,
    duration: Quantity = DEFAULT_DURATION,
    transient: Quantity = DEFAULT_TRANSIENT,
    trials: int = 1,
    seed: int | None = 0,
    dt: Quantity | None = None,
    target: str = "auto",
    rate_method: str = "auto",
) -> FICurve:
    """Simulate the f-I curve of ``model``: ONE NeuronGroup for every current x trial, one run.

    Parameters
    ----------
    model : registry name (``"lif"``, ``"noisy_lif"``, ``"hh"``, ``"adex"``, ``"izhikevich_rs"``,
        ...) or a :class:`~neuroact.bio.neurons.NeuronModel` (e.g. with overridden parameters).
    currents : 1-d Brian2 quantity in the model's current unit (``model.current_unit``),
        switched on at t = 0 and held constant.
    duration : simulated time (> 0).
    transient : time discarded before the steady-state rate is measured (0 <= transient <
        duration).
    trials : independent repetitions per current (>= 1); only differ for noisy models.
    seed : seed for Brian2's random numbers (None: not seeded). Same seed, same numbers.
    dt : integration step; None uses ``model.dt`` (0.01 ms for the registered models, where the
        LIF's threshold-crossing error is <= 0.2% up to 200 Hz).
    target : ``"auto"`` (compiled where a compiler exists), ``"cpp_standalone"``, ``"numpy"`` or
        ``"cython"`` (module docstring).
    rate_method : ``"auto"``, ``"count"`` or ``"isi"`` (module docstring).

    Returns
    -------
    FICurve
    """
    model = get_model(model)
    values = check_currents(currents, model)
    dt = model.dt if dt is None else dt
    duration_s, transient_s, dt_s = check_run(
        dt=dt,
        duration=duration,
        transient=transient,
        trials=trials,
        target=target,
        rate_method=rate_method,
        seed=seed,
    )
    method = resolve_rate_method(rate_method, model)
    target = resolve_target(target)
    if target == "cpp_standalone":
        runner = StandaloneFICurve(
            model,
            len(values),
            duration=duration,
            transient=transient,
            trials=trials,
            dt=dt,
            rate_method=rate_method,
            seed=seed,
        )
        return runner.run(currents)

    start = time.perf_counter()
    i, t = run_group(model, values, trials, dt, duration, seed, target)
    return curve_from_spikes(
        model,
        values,
        i,
        t,
        int(trials),
        duration_s,
        transient_s,
        dt_s,
        seed,
        target,
        method,
        time.perf_counter() - start,
    )


def run_group(
    model: NeuronModel,
    values: np.ndarray,
    trials: int,
    dt: Quantity,
    duration: Quantity,
    seed: int | None,
    target: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Spike indices and times (s) of one run of ``len(values) * trials`` neurons on Brian2's
    runtime device (``target`` ``"numpy"`` or ``"cython"``): neuron ``k`` at current
    ``values[k // trials]`` (in ``model.current_unit``), seeded with ``seed``."""
    with codegen_target(target), seeded(seed):
        group, monitor = build_group(model, len(values) * int(trials), dt)
        group.I = np.repeat(values, trials) * model.current_unit
        run_to_end(Network(group, monitor), duration)
        return np.asarray(monitor.i[:]), np.asarray(monitor.t[:] / second)


def fi_spike_trains(
    model: str | NeuronModel,
    currents: Quantity,
    *,
    duration: Quantity = DEFAULT_DURATION,
    trials: int = 1,
    seed: int | None = 0,
    dt: Quantity | None = None,
    target: str = "numpy",
) -> list:
    """The spike trains of an f-I run, one ``neo.SpikeTrain`` per current x trial.

    The run of :func:`fi_curve` (one NeuronGroup, neuron ``k`` at current ``k // trials``,
    trial ``k % trials``, the current on from t = 0; same seed, same spikes) with its spikes
    kept: train ``k`` holds neuron ``k``'s spike times in s from ``t_start = 0`` to
    ``t_stop = duration``, annotated with ``model``, ``current``, ``current_unit`` and
    ``trial`` (and ``neuron``, see :meth:`PopulationActivity.to_neo`).

    Parameters are those of :func:`fi_curve`; ``target`` is ``"numpy"`` or ``"cython"``.

    Raises
    ------
    ImportError
        Without neo: install ``neuroact[recordings]``.
    """
    model = get_model(model)
    values = check_currents(currents, model)
    dt = model.dt if dt is None else dt
    duration_s, _, _ = check_run(
        dt=dt, duration=duration, transient=0 * second, trials=trials, target=target, seed=seed
    )
    if target == "cpp_standalone":
        raise ValueError("target must be 'numpy' or 'cython' here; got 'cpp_standalone'")
    n = len(values) * int(trials)
    with codegen_target(target), seeded(seed):
        group, monitor = build_group(model, n, dt)
        group.I = np.repeat(values, trials) * model.current_unit
        run_to_end(Network(group, monitor), duration)
        i, t = np.asarray(monitor.i[:]), np.asarray(monitor.t[:] / second)
    activity = PopulationActivity(i, t, n, duration_s, meta={"model": model.name})
    return activity.to_neo(
        annotations={
            "model": [model.name] * n,
            "current": np.repeat(values, trials),
            "current_unit": [model.current_unit_name] * n,
            "trial": np.tile(np.arange(int(trials)), len(values)),
        }
    )
