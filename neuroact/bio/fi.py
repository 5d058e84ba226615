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
    A ``cpp_standalone`` build for a fixed number of currents that reruns with new currents
    without recompiling (``device.run(run_args=...)``).
``fi_spike_trains(model, currents, *, duration, trials, seed, dt, target)``
    The spikes of the same run as ``neo.SpikeTrain`` objects, for Elephant and the rest of the
    Neo ecosystem (needs ``neuroact[recordings]``).
``check_run(dt=..., duration, transient, trials, target, rate_method, seed)``
    Check a run's settings without running it (what ``fi_curve`` does first).
``dt_limited(rate_hz, dt_s)``
    Which rates are limited by the time step (below).

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
``target="numpy"`` (default), ``"cython"`` or ``"cpp_standalone"`` (built once through
:class:`StandaloneFICurve`); see :mod:`neuroact.bio.runtime`.

See Also
--------
neuroact.bio.neurons : the models.
neuroact.bio.theory.lif_rate, neuroact.bio.theory.siegert_rate : the oracles of the LIF curves.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import Network, NeuronGroup, Quantity, SpikeMonitor, prefs, second, set_device
from brian2 import seed as brian_seed
from brian2.devices.device import get_device, reset_device

from neuroact.bio.activity import PopulationActivity
from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.runtime import TARGETS, check_seed, check_target, codegen_target, seeded
from neuroact.bio.units import check_choice, check_count, to_column, to_si

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_TRANSIENT",
    "MIN_STEPS_PER_ISI",
    "FICurve",
    "StandaloneFICurve",
    "TARGETS",
    "check_run",
    "dt_limited",
    "fi_curve",
    "fi_spike_trains",
    "spike_statistics",
]

RATE_METHODS = ("auto", "count", "isi")
DEFAULT_DURATION = 1 * second
DEFAULT_TRANSIENT = 0.2 * second
# An interval of fewer steps than this is too coarsely resolved for its rate (module docstring).
MIN_STEPS_PER_ISI = 10


@dataclass(frozen=True)
class FICurve:
    """An f-I curve: per-current statistics of one ``fi_curve`` run.

    Arrays have one entry per current (``trial_rates``: currents x trials). Currents are plain
    floats in ``current_unit``; rates in Hz; times in seconds.
    """

    model: str
    currents: np.ndarray
    current_unit: str
    rate: np.ndarray
    rate_sem: np.ndarray
    first_rate: np.ndarray
    cv_isi: np.ndarray
    trial_rates: np.ndarray
    n_spikes: np.ndarray
    duration_s: float
    transient_s: float
    dt_s: float
    trials: int
    seed: int | None
    target: str
    rate_method: str
    params: dict = field(default_factory=dict)
    wall_seconds: float = float("nan")

    @property
    def dt_limited(self) -> np.ndarray:
        """Per current: is the steady-state or first-interval rate limited by ``dt``?

        See :func:`dt_limited` and the module docstring.
        """
        return dt_limited(np.maximum(self.rate, self.first_rate), self.dt_s)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: model, current, current_unit, rate_Hz, rate_sem_Hz, first_rate_Hz,
        cv_isi, n_spikes, trials, duration_s, transient_s, dt_ms, rate_method, dt_limited."""
        return pd.DataFrame(
            {
                "model": self.model,
                "current": self.currents,
                "current_unit": self.current_unit,
                "rate_Hz": self.rate,
                "rate_sem_Hz": self.rate_sem,
                "first_rate_Hz": self.first_rate,
                "cv_isi": self.cv_isi,
                "n_spikes": self.n_spikes,
                "trials": self.trials,
                "duration_s": self.duration_s,
                "transient_s": self.transient_s,
                "dt_ms": to_column("dt_ms", self.dt_s * second),
                "rate_method": self.rate_method,
                "dt_limited": self.dt_limited,
            }
        )


def dt_limited(rate_hz: np.ndarray, dt_s: float) -> np.ndarray:
    """True where a rate (Hz) has intervals shorter than ``MIN_STEPS_PER_ISI`` steps of ``dt_s``.

    ``rate * dt >= 1 / MIN_STEPS_PER_ISI``: one step more or less per interval would change
    such a rate by 10% or more, and a model that fires on every step reports ``1 / dt``.
    """
    return np.asarray(rate_hz, dtype=float) * dt_s >= 1.0 / MIN_STEPS_PER_ISI


# --- input checks ------------------------------------------------------------------------------
def _check_currents(currents: Quantity, model: NeuronModel) -> np.ndarray:
    """The currents in ``model.current_unit`` as a non-empty 1-d float array."""
    to_si(currents, model.current_unit, f"currents for model {model.name!r}", scalar=False)
    values = np.atleast_1d(np.asarray(currents / model.current_unit, dtype=float))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"currents must be a non-empty 1-d array; got shape {values.shape}")
    return values


def check_run(
    *,
    dt: Quantity,
    duration: Quantity = DEFAULT_DURATION,
    transient: Quantity = DEFAULT_TRANSIENT,
    trials: int = 1,
    target: str = "numpy",
    rate_method: str = "auto",
    seed: int | None = 0,
) -> tuple[float, float, float]:
    """Check the settings of an f-I run (as :func:`fi_curve` takes them) without running it.

    Returns
    -------
    tuple of float
        ``(duration_s, transient_s, dt_s)``.

    Raises
    ------
    TypeError, ValueError
        One line naming the setting, the value given and what is expected.
    """
    duration_s = to_si(duration, second, "duration", positive=True)
    transient_s = to_si(transient, second, "transient", nonnegative=True)
    dt_s = to_si(dt, second, "dt", positive=True)
    if transient_s >= duration_s:
        raise ValueError(f"transient must be shorter than duration ({duration}); got {transient}")
    if dt_s > duration_s - transient_s:
        raise ValueError(
            f"dt must be shorter than the measured window ({duration - transient}); got {dt}"
        )
    check_count("trials", trials)
    check_target(target)
    check_choice("rate_method", rate_method, RATE_METHODS)
    check_seed(seed)
    return duration_s, transient_s, dt_s


# --- statistics --------------------------------------------------------------------------------
def spike_statistics(
    i: np.ndarray,
    t: np.ndarray,
    n_currents: int,
    trials: int,
    transient: float,
    duration: float,
    rate_method: str = "count",
) -> dict[str, np.ndarray]:
    """Per-current rate statistics from spike indices ``i`` and times ``t`` (seconds).

    Neuron ``k`` is current ``k // trials``, trial ``k % trials``. Returns a dict with
    ``rate``, ``rate_sem``, ``first_rate``, ``cv_isi``, ``n_spikes`` (per current) and
    ``trial_rates`` (currents x trials); definitions in the module docstring.
    """
    n = n_currents * trials
    i = np.asarray(i, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    window = duration - transient

    # First interval of the whole run: the first two spikes of each neuron.
    count_all = np.bincount(i, minlength=n)
    start = np.concatenate([[0], np.cumsum(count_all)[:-1]])
    has_two = count_all >= 2
    first_rate = np.zeros(n)
    first_isi = t[start[has_two] + 1] - t[start[has_two]]
    first_rate[has_two] = 1.0 / first_isi

    # Steady state: spikes at or after the transient.
    late = t >= transient
    i_l, t_l = i[late], t[late]
    count = np.bincount(i_l, minlength=n).astype(float)
    same = i_l[1:] == i_l[:-1]
    isi = np.diff(t_l)[same]
    owner = i_l[1:][same]
    n_isi = np.bincount(owner, minlength=n).astype(float)
    sum_isi = np.bincount(owner, weights=isi, minlength=n)
    sum_isi2 = np.bincount(owner, weights=isi**2, minlength=n)

    rates = count / window
    if rate_method == "isi":
        ok = n_isi >= 1
        rates[ok] = n_isi[ok] / sum_isi[ok]

    def per_current(x):
        return x.reshape(n_currents, trials)

    trial_rates = per_current(rates)
    if trials > 1:
        sem = trial_rates.std(axis=1, ddof=1) / np.sqrt(trials)
    else:
        sem = np.full(n_currents, np.nan)
    k = per_current(n_isi).sum(axis=1)
    s1 = per_current(sum_isi).sum(axis=1)
    s2 = per_current(sum_isi2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / k
        var = np.maximum(s2 - k * mean**2, 0.0) / (k - 1)
        cv = np.where(k >= 2, np.sqrt(var) / mean, np.nan)
    return {
        "rate": trial_rates.mean(axis=1),
        "rate_sem": sem,
        "first_rate": per_current(first_rate).mean(axis=1),
        "cv_isi": cv,
        "n_spikes": per_current(count).sum(axis=1).astype(int),
        "trial_rates": trial_rates,
    }


# --- simulation --------------------------------------------------------------------------------
def _build(model: NeuronModel, n: int, dt: Quantity) -> tuple[NeuronGroup, SpikeMonitor]:
    group = NeuronGroup(
        n,
        model.equations,
        threshold=model.threshold,
        reset=model.reset or None,
        refractory=model.refractory if model.refractory is not None else False,
        method=model.method,
        namespace=model.namespace(),
        dt=dt,
        name="fi_neurons",  # fixed names: identical code, so cython's cache is reused
    )
    for var, value in model.init.items():
        # namespace={}: string expressions see only the model's parameters, never our locals
        group.state(var, use_units=True).set_item(slice(None), value, namespace={})
    if model.every_step:
        group.run_regularly(model.every_step, when="start", name="fi_every_step")
    monitor = SpikeMonitor(group, record=True, name="fi_spikes")
    return group, monitor


def _resolve_method(rate_method: str, model: NeuronModel) -> str:
    if rate_method == "auto":
        return "count" if model.stochastic else "isi"
    return rate_method


def fi_curve(
    model: str | NeuronModel,
    currents: Quantity,
    *,
    duration: Quantity = DEFAULT_DURATION,
    transient: Quantity = DEFAULT_TRANSIENT,
    trials: int = 1,
    seed: int | None = 0,
    dt: Quantity | None = None,
    target: str = "numpy",
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
    target : ``"numpy"``, ``"cython"`` or ``"cpp_standalone"`` (module docstring).
    rate_method : ``"auto"``, ``"count"`` or ``"isi"`` (module docstring).

    Returns
    -------
    FICurve
    """
    model = get_model(model)
    values = _check_currents(currents, model)
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
    method = _resolve_method(rate_method, model)
    if target == "cpp_standalone":
        with StandaloneFICurve(
            model,
            len(values),
            duration=duration,
            transient=transient,
            trials=trials,
            dt=dt,
            rate_method=rate_method,
            seed=seed,
        ) as runner:
            return runner.run(currents)

    start = time.perf_counter()
    n = len(values) * int(trials)
    with codegen_target(target), seeded(seed):
        group, monitor = _build(model, n, dt)
        group.I = np.repeat(values, trials) * model.current_unit
        net = Network(group, monitor)
        net.run(duration, namespace={})
        i, t = np.asarray(monitor.i[:]), np.asarray(monitor.t[:] / second)
    return _curve(
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
    values = _check_currents(currents, model)
    dt = model.dt if dt is None else dt
    duration_s, _, _ = check_run(
        dt=dt, duration=duration, transient=0 * second, trials=trials, target=target, seed=seed
    )
    if target == "cpp_standalone":
        raise ValueError("target must be 'numpy' or 'cython' here; got 'cpp_standalone'")
    n = len(values) * int(trials)
    with codegen_target(target), seeded(seed):
        group, monitor = _build(model, n, dt)
        group.I = np.repeat(values, trials) * model.current_unit
        Network(group, monitor).run(duration, namespace={})
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


def _curve(
    model: NeuronModel,
    values,
    i,
    t,
    trials,
    duration_s,
    transient_s,
    dt_s,
    seed,
    target,
    method,
    wall,
) -> FICurve:
    """Spike statistics of one run, packed with its settings; warns of rates limited by dt."""
    stats = spike_statistics(i, t, len(values), trials, transient_s, duration_s, method)
    curve = FICurve(
        model=model.name,
        currents=values,
        current_unit=model.current_unit_name,
        trials=trials,
        duration_s=duration_s,
        transient_s=transient_s,
        dt_s=dt_s,
        seed=seed,
        target=target,
        rate_method=method,
        params={k: str(v) for k, v in model.params.items()},
        wall_seconds=wall,
        **stats,
    )
    limited = curve.dt_limited
    if limited.any():
        k = int(np.argmax(limited))
        warnings.warn(
            f"model {model.name!r} fires with intervals shorter than {MIN_STEPS_PER_ISI} time "
            f"steps from {values[k]:g} {model.current_unit_name} on ({limited.sum()} of "
            f"{limited.size} currents; {max(curve.rate[k], curve.first_rate[k]):.4g} Hz at dt = "
            f"{to_column('dt_ms', dt_s * second):g} ms): these rates are limited by dt and "
            "flagged in dt_limited; use a smaller dt or a refractory period",
            UserWarning,
            stacklevel=3,
        )
    return curve


class StandaloneFICurve:
    """A ``cpp_standalone`` f-I runner built once for ``n_currents`` x ``trials`` neurons.

    ``run(currents)`` reruns the compiled binary with new currents through
    ``device.run(run_args={group.I: ...})`` (Brian2 >= 2.6): no code generation or compilation
    after the first call. The noise seed is compiled in: every rerun uses ``seed``'s noise.
    Brian2's device is process-global: while a runner exists the standalone device is active
    for this process's network builds; ``close()`` (or using it as a
    context manager) switches back to the runtime device.
    """

    def __init__(
        self,
        model: str | NeuronModel,
        n_currents: int,
        *,
        duration: Quantity = DEFAULT_DURATION,
        transient: Quantity = DEFAULT_TRANSIENT,
        trials: int = 1,
        dt: Quantity | None = None,
        directory: str | os.PathLike | None = None,
        rate_method: str = "auto",
        seed: int | None = 0,
        threads: int = 0,
    ):
        self.model = get_model(model)
        dt = self.model.dt if dt is None else dt
        self.duration_s, self.transient_s, self.dt_s = check_run(
            dt=dt,
            duration=duration,
            transient=transient,
            trials=trials,
            target="cpp_standalone",
            rate_method=rate_method,
            seed=seed,
        )
        self.seed = seed
        self.n_currents, self.trials = check_count("n_currents", n_currents), int(trials)
        check_count("threads", threads, minimum=0)
        self.rate_method = _resolve_method(rate_method, self.model)
        self._tmp = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="neuroact_fi_")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.build_seconds = float("nan")

        set_device("cpp_standalone", directory=str(self.directory), build_on_run=False)
        device = get_device()  # the standalone device itself, not the current-device proxy
        device.reinit()
        device.activate(directory=str(self.directory), build_on_run=False)
        if threads:
            prefs.devices.cpp_standalone.openmp_threads = int(threads)
        self._device = device
        start = time.perf_counter()
        if seed is not None:
            brian_seed(int(seed))  # recorded in the standalone code: fixed for every rerun
        self._group, self._monitor = _build(self.model, self.n_currents * self.trials, dt)
        self._group.I = 0 * self.model.current_unit  # overwritten by run_args
        self._net = Network(self._group, self._monitor)
        self._net.run(duration, namespace={})
        device.build(directory=str(self.directory), compile=True, run=False)
        self.build_seconds = time.perf_counter() - start

    def run(self, currents: Quantity) -> FICurve:
        """Rerun the compiled simulation with new ``currents`` (same length as at build)."""
        values = _check_currents(currents, self.model)
        if len(values) != self.n_currents:
            raise ValueError(
                f"currents must have the {self.n_currents} entries this build was made for; "
                f"got {len(values)}"
            )
        start = time.perf_counter()
        run_args = {self._group.I: np.repeat(values, self.trials) * self.model.current_unit}
        self._device.run(run_args=run_args, with_output=False)
        i = np.asarray(self._monitor.i[:])
        t = np.asarray(self._monitor.t[:] / second)
        return _curve(
            self.model,
            values,
            i,
            t,
            self.trials,
            self.duration_s,
            self.transient_s,
            self.dt_s,
            self.seed,
            "cpp_standalone",
            self.rate_method,
            time.perf_counter() - start,
        )

    def close(self) -> None:
        """Switch Brian2 back to the runtime device and remove a temporary build folder."""
        reset_device()
        self._device.reinit()  # forget this build so a later standalone run starts clean
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> StandaloneFICurve:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
