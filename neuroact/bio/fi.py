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

import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from brian2 import Network, NeuronGroup, Quantity, SpikeMonitor, device, prefs, second, set_device
from brian2 import seed as brian_seed

from neuroact.bio import standalone
from neuroact.bio.activity import PopulationActivity
from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.runtime import TARGETS, check_seed, codegen_target, seeded
from neuroact.bio.units import check_choice, check_count, to_column, to_si

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_TRANSIENT",
    "MIN_STEPS_PER_ISI",
    "FICurve",
    "StandaloneFICurve",
    "FI_TARGETS",
    "TARGETS",
    "build_program",
    "check_run",
    "dt_limited",
    "fi_curve",
    "fi_spike_trains",
    "spike_statistics",
]

RATE_METHODS = ("auto", "count", "isi")
FI_TARGETS = ("auto", *TARGETS)
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
    target: str = "auto",
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
    check_choice("target", target, FI_TARGETS)
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


def resolve_target(target: str) -> str:
    """The target ``fi_curve`` runs on: ``"auto"`` is ``"cpp_standalone"`` where a C++ compiler
    and ``make`` exist, else ``"numpy"``; the others pass unchanged (checked)."""
    check_choice("target", target, FI_TARGETS)
    if target == "auto":
        return "cpp_standalone" if standalone.compiler_available() else "numpy"
    return target


def program_size(n: int) -> int:
    """The number of neurons of the program that simulates ``n``: at least 32, else ``n``
    rounded up to one of four sizes per octave (at most 25% more neurons), so that nearby
    sizes share one program."""
    n = check_count("n", n)
    if n <= 32:
        return 32
    step = 2 ** (int(math.log2(n)) - 2)
    return -(-n // step) * step


def program_spec(model: NeuronModel, n: int, dt: Quantity, duration: Quantity) -> dict:
    """Everything the compiled f-I program of ``model`` depends on (its cache key)."""
    return {
        "kind": "fi_curve",
        "n": int(n),
        "dt": dt,
        "duration": duration,
        "compile_args": list(prefs.codegen.cpp.extra_compile_args_gcc),
        "model": {
            "equations": model.equations,
            "threshold": model.threshold,
            "reset": model.reset,
            "refractory": model.refractory,
            "method": model.method,
            "params": dict(model.params),
            "init": dict(model.init),
            "every_step": model.every_step,
            "current_unit": model.current_unit,
        },
    }


def build_program(spec: dict, folder: Path) -> None:
    """Build the f-I program of ``spec`` (:func:`program_spec`) into ``folder``.

    Runs in the builder process of :func:`neuroact.bio.standalone.program` (it switches this
    process's Brian2 device to ``cpp_standalone``): one group of ``spec["n"]`` neurons with its
    current ``I`` as the program's input, a spike monitor as its output, seeds from
    :data:`neuroact.bio.standalone.SEED_CODE`, no OpenMP (one small group gains nothing from
    threads whose barriers cost more than its work).
    """
    set_device("cpp_standalone", directory=str(folder), build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0
    prefs.codegen.cpp.extra_compile_args_gcc = spec["compile_args"]
    m = spec["model"]
    model = NeuronModel(
        name="fi_program",
        equations=m["equations"],
        threshold=m["threshold"],
        reset=m["reset"],
        params=m["params"],
        current_unit=m["current_unit"],
        current_unit_name="",
        refractory=m["refractory"],
        method=m["method"],
        init=m["init"],
        every_step=m["every_step"],
    )
    brian_seed(0)  # Brian2's seeding code, then ours from the environment
    device.insert_code("main", standalone.SEED_CODE)
    group, monitor = _build(model, spec["n"], spec["dt"])
    group.I = 0 * model.current_unit  # replaced by the program's input
    Network(group, monitor).run(spec["duration"], namespace={})
    device.build(directory=str(folder), compile=True, run=False)
    manifest = {
        "inputs": {"I": {"variable": f"{group.name}.I", "dtype": "float64", "size": spec["n"]}},
        "outputs": {
            key: {
                "file": device.get_array_filename(monitor.variables[key]),
                "dtype": np.dtype(monitor.variables[key].dtype).name,
            }
            for key in ("i", "t")
        },
    }
    (Path(folder) / standalone.MANIFEST).write_text(json.dumps(manifest, indent=1))


class StandaloneFICurve:
    """The compiled f-I program for ``n_currents`` x ``trials`` neurons, run with new currents.

    The program is built once for the model, the size (:func:`program_size`), ``dt`` and the
    duration, and kept in ``directory`` (default: the user cache,
    :func:`neuroact.bio.standalone.build_root`); constructing a runner whose program exists
    costs nothing, and ``run`` starts the program with the currents and the seed as inputs
    (no code generation, no compilation, no change to this process's Brian2 device).

    Parameters
    ----------
    model, duration, transient, trials, dt, rate_method, seed : as for :func:`fi_curve`.
    n_currents : number of currents every ``run`` takes (>= 1).
    directory : the cache folder to build in and read from (None: the user cache).
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
        self.rate_method = _resolve_method(rate_method, self.model)
        size = program_size(self.n_currents * self.trials)
        spec = program_spec(self.model, size, dt, duration)
        start = time.perf_counter()
        self.directory = standalone.program(spec, "neuroact.bio.fi:build_program", directory)
        self.build_seconds = time.perf_counter() - start  # about 0 when it was cached
        self._size = size

    def run(self, currents: Quantity, *, seed: int | None | str = "default") -> FICurve:
        """Run the program with new ``currents`` (as many as at construction).

        ``seed`` overrides the runner's seed for this run (None: a fresh one from the system's
        entropy, so unseeded runs differ).
        """
        values = _check_currents(currents, self.model)
        if len(values) != self.n_currents:
            raise ValueError(
                f"currents must have the {self.n_currents} entries this program was built "
                f"for; got {len(values)}"
            )
        seed = self.seed if isinstance(seed, str) and seed == "default" else check_seed(seed)
        used = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        start = time.perf_counter()
        n = self.n_currents * self.trials
        current = np.zeros(self._size)
        current[:n] = np.repeat(values, self.trials) * float(self.model.current_unit)
        out = standalone.run_program(self.directory, {"I": current}, used)
        real = out["i"] < n  # the padding neurons (no current) are not reported
        return _curve(
            self.model,
            values,
            out["i"][real],
            out["t"][real],
            self.trials,
            self.duration_s,
            self.transient_s,
            self.dt_s,
            seed,
            "cpp_standalone",
            self.rate_method,
            time.perf_counter() - start,
        )

    def close(self) -> None:
        """Nothing to release (the program stays in the cache); kept for ``with`` blocks."""

    def __enter__(self) -> StandaloneFICurve:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
