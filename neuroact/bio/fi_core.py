"""The pieces every f-I backend shares: checked settings, the group, the measures, the result.

:func:`neuroact.bio.fi.fi_curve` (Brian2's runtime targets) and
:class:`neuroact.bio.fi_program.StandaloneFICurve` (the compiled program) build the same group,
check the same settings and measure the same statistics with the functions here; the
definitions of the measures and of ``dt_limited`` are in :mod:`neuroact.bio.fi`.

See Also
--------
neuroact.bio.fi : the f-I runner and the definitions.
neuroact.bio.fi_program : the compiled program.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from brian2 import NeuronGroup, Quantity, SpikeMonitor, second

from neuroact.bio.neurons import NeuronModel
from neuroact.bio.runtime import TARGETS, check_seed
from neuroact.bio.units import check_choice, check_count, to_column, to_si

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_TRANSIENT",
    "FI_TARGETS",
    "MIN_STEPS_PER_ISI",
    "RATE_METHODS",
    "FICurve",
    "build_group",
    "check_currents",
    "check_run",
    "curve_from_spikes",
    "dt_limited",
    "resolve_rate_method",
    "spike_statistics",
]

RATE_METHODS = ("auto", "count", "isi")
FI_TARGETS = ("auto", *TARGETS)
DEFAULT_DURATION = 1 * second
DEFAULT_TRANSIENT = 0.2 * second
# An interval of fewer steps than this is too coarsely resolved for its rate (neuroact.bio.fi).
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

        See :func:`dt_limited` and :mod:`neuroact.bio.fi`.
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
def check_currents(currents: Quantity, model: NeuronModel) -> np.ndarray:
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
    ``trial_rates`` (currents x trials); definitions in :mod:`neuroact.bio.fi`.
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


def build_group(model: NeuronModel, n: int, dt: Quantity) -> tuple[NeuronGroup, SpikeMonitor]:
    """One group of ``n`` neurons of ``model`` with step ``dt``, and a monitor of its spikes."""
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


def resolve_rate_method(rate_method: str, model: NeuronModel) -> str:
    """``"auto"`` is ``"count"`` for noisy models and ``"isi"`` for deterministic ones."""
    if rate_method == "auto":
        return "count" if model.stochastic else "isi"
    return rate_method


def curve_from_spikes(
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
