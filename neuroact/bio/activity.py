"""Spike-train measures of a neuron population: rates, sparseness, irregularity, synchrony.

:class:`PopulationActivity` holds the spikes of ``n_neurons`` neurons over a window (from a
Brunel network, :func:`neuroact.bio.network.simulate`, a Brian2 ``SpikeMonitor`` or a
recording) and measures them with the same definitions as the artificial units
(:mod:`neuroact.sparsity`); :func:`poisson_activity` is the reference population of independent
Poisson neurons, for which every measure is known in closed form.
:meth:`PopulationActivity.to_neo` hands the spikes to the Neo/Elephant ecosystem as
``neo.SpikeTrain`` objects (Elephant's CV, CV2 and Fano factor on them equal the measures here).

Definitions (DESIGN.md)
-----------------------
- fraction active in a window ``W``: share of neurons with at least one spike in the window,
  averaged over the run's whole windows; ``1 - exp(-r W)`` for Poisson neurons of rate ``r``.
- population / lifetime sparseness: normalised Treves-Rolls sparseness of the spike counts per
  window, across neurons / across windows (Willmore & Tolhurst 2001).
- CV of the inter-spike intervals and Holt's CV2 (Holt et al. 1996, J Neurophysiol 75:1806).
- synchrony ``chi`` (Golomb 2007, Scholarpedia 2:1347) and the population Fano factor.
- asynchronous-irregular (Brunel 2000): CV2 >= ``AI_MIN_CV`` and ``chi < AI_MAX_CHI``.

Pure numpy: this module imports without Brian2. Windows and bins are Brian2 time quantities
(``50*ms``), checked by :func:`neuroact.bio.units.to_si`, which loads Brian2 on first use.

See Also
--------
neuroact.sparsity : the measures on a (samples x units) array.
elephant.statistics : the same spike-train statistics on ``neo.SpikeTrain`` objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from neuroact import sparsity
from neuroact.bio.units import check_count, check_number, to_si

__all__ = [
    "AI_MAX_CHI",
    "AI_MIN_CV",
    "DEFAULT_WINDOWS_MS",
    "PopulationActivity",
    "poisson_activity",
]

DEFAULT_WINDOWS_MS = (10.0, 20.0, 50.0, 100.0, 200.0)
# Asynchronous-irregular: irregular single neurons (Holt's CV2 of ISIs >= 0.8; CV2 rather than
# the CV because low-rate neurons fire only a few times per run and the CV of a few ISIs is biased
# low) and no population oscillation (Golomb's synchrony chi below AI_MAX_CHI; chi ~ 1/sqrt(N)
# for independent neurons, 1 for full synchrony; Brunel's canonical AI point g=5, eta=2 with
# N_E = 10,000 gives chi = 0.13 in 2 ms bins).
AI_MIN_CV = 0.8
AI_MAX_CHI = 0.2


def _nanmean(v: np.ndarray) -> float:
    return float(np.nanmean(v)) if np.any(np.isfinite(v)) else float("nan")


_MS_PER_S = 1e3  # table columns and the summary's windows are in ms


def _seconds(window: Any, name: str) -> float:
    """A window or bin given as a Brian2 time quantity, in seconds."""
    return to_si(window, "second", name, positive=True)


@dataclass(frozen=True)
class PopulationActivity:
    """Spikes of ``n_neurons`` neurons over ``duration_s`` seconds, and the measures on them.

    Parameters
    ----------
    indices : neuron index of each spike (0 .. n_neurons-1).
    times_s : spike times in seconds, in ``[0, duration_s)`` (the transient already removed).
    n_neurons : number of neurons (silent ones included).
    duration_s : analysed duration in seconds.
    meta : free-form description (network parameters, wall time).
    """

    indices: np.ndarray
    times_s: np.ndarray
    n_neurons: int
    duration_s: float
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = check_count("n_neurons", self.n_neurons)
        d = check_number("duration_s", self.duration_s, positive=True)
        idx = np.asarray(self.indices)
        t = np.asarray(self.times_s, dtype=float)
        if idx.ndim != 1 or t.ndim != 1 or idx.shape != t.shape:
            raise ValueError(
                "indices and times_s must be 1-D of equal length; got shapes "
                f"{idx.shape}, {t.shape}"
            )
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            if not np.all(idx == np.round(idx)):
                bad = idx[idx != np.round(idx)][0]
                raise TypeError(f"indices must be integers; got {bad:g} among them")
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"indices must lie in [0, {n}); got range [{idx.min()}, {idx.max()}]")
        if t.size and (not np.all(np.isfinite(t)) or t.min() < 0 or t.max() >= d):
            raise ValueError(
                f"times_s must be finite and in [0, duration_s={d}); got range "
                f"[{t.min()}, {t.max()}]"
            )
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "times_s", t)

    # basic quantities ------------------------------------------------------------------------
    @property
    def n_spikes(self) -> int:
        return int(self.indices.size)

    def spike_counts(self, window: Any) -> np.ndarray:
        """Spike counts per window and neuron, shape ``(n_windows, n_neurons)``.

        ``n_windows = floor(duration / window)``; spikes in a last, incomplete window are
        dropped. ``window`` is a Brian2 time (``50*ms``) no longer than the run.
        """
        return self._counts(_seconds(window, "window"))

    def _counts(self, w: float) -> np.ndarray:
        n_win = int(math.floor(self.duration_s / w + 1e-9))
        if n_win < 1:
            raise ValueError(
                f"window must not be longer than the run ({self.duration_s * _MS_PER_S:g} ms); "
                f"got {w * _MS_PER_S:g} ms"
            )
        b = np.floor(self.times_s / w + 1e-12).astype(np.int64)
        keep = b < n_win
        flat = b[keep] * self.n_neurons + self.indices[keep]
        counts = np.bincount(flat, minlength=n_win * self.n_neurons)
        return counts.reshape(n_win, self.n_neurons)

    def spike_counts_total(self) -> np.ndarray:
        """Spikes per neuron over the whole run (length ``n_neurons``)."""
        return np.bincount(self.indices, minlength=self.n_neurons)

    def rates_Hz(self) -> np.ndarray:
        """Firing rate of each neuron over the run (Hz)."""
        return self.spike_counts_total() / self.duration_s

    def mean_rate_Hz(self) -> float:
        return self.n_spikes / (self.n_neurons * self.duration_s)

    # sparsity --------------------------------------------------------------------------------
    def fraction_active(self, window: Any) -> float:
        """Share of neurons with >= 1 spike in a window, averaged over windows.

        Through :func:`neuroact.sparsity.fraction_active` on the spike counts. Independent
        Poisson neurons of rate ``r`` give ``1 - exp(-r W)``.
        """
        return self._fraction_active(_seconds(window, "window"))

    def _fraction_active(self, w: float) -> float:
        return sparsity.fraction_active(self._counts(w))

    def silent_fraction(self) -> float:
        """Share of neurons without a single spike during the whole run."""
        return sparsity.dead_fraction(self.spike_counts_total()[None, :])

    def population_sparseness(self, window: Any) -> float:
        """Normalised Treves-Rolls sparseness across neurons per window, averaged over windows."""
        return sparsity.population_sparseness(self.spike_counts(window))

    def lifetime_sparseness(self, window: Any) -> float:
        """Normalised Treves-Rolls sparseness across windows per neuron, averaged over neurons."""
        return sparsity.lifetime_sparseness(self.spike_counts(window))

    # irregularity and synchrony --------------------------------------------------------------
    def cv_isi(self, min_spikes: int = 3) -> np.ndarray:
        """CV of inter-spike intervals per neuron (std/mean, ``ddof=0``).

        ``nan`` for neurons with fewer than ``min_spikes`` spikes. Biased low when neurons fire
        only a few times per run (see :meth:`cv2_isi`). Equal to Elephant's
        ``elephant.statistics.cv(elephant.statistics.isi(train))`` on :meth:`to_neo`'s trains
        (``scipy.stats.variation``, also ``ddof=0``), which gives 0 rather than nan for a train
        of two spikes. (:func:`neuroact.bio.fi.spike_statistics` pools the intervals of a
        current's trials and uses ``ddof=1``.)
        """
        check_count("min_spikes", min_spikes, minimum=2)
        order = np.lexsort((self.times_s, self.indices))
        idx, t = self.indices[order], self.times_s[order]
        cv = np.full(self.n_neurons, np.nan)
        if idx.size < 2:
            return cv
        same = idx[1:] == idx[:-1]
        isi = np.diff(t)[same]
        owner = idx[1:][same]
        n_isi = np.bincount(owner, minlength=self.n_neurons)
        s1 = np.bincount(owner, weights=isi, minlength=self.n_neurons)
        s2 = np.bincount(owner, weights=isi**2, minlength=self.n_neurons)
        ok = n_isi >= min_spikes - 1
        mean = s1[ok] / n_isi[ok]
        var = np.maximum(s2[ok] / n_isi[ok] - mean**2, 0.0)
        cv[ok] = np.sqrt(var) / mean
        return cv

    def cv2_isi(self) -> np.ndarray:
        """Holt's local irregularity CV2 per neuron (Holt et al. 1996, J Neurophysiol 75:1806).

        ``CV2 = mean_k 2 |I_{k+1} - I_k| / (I_{k+1} + I_k)`` over consecutive ISIs; nan for
        neurons with fewer than 3 spikes. It is 1 for a Poisson process and 0 for a regular
        train, and, unlike the CV, it is not biased low when a neuron fires only a few times
        in the run (the CV of 2-3 ISIs from a Poisson train averages about 0.6). Equal to
        Elephant's ``elephant.statistics.cv2(elephant.statistics.isi(train))``.
        """
        order = np.lexsort((self.times_s, self.indices))
        idx, t = self.indices[order], self.times_s[order]
        out = np.full(self.n_neurons, np.nan)
        if idx.size < 3:
            return out
        isi = np.diff(t)
        same = idx[1:] == idx[:-1]
        # consecutive ISI pairs of the same neuron: spikes k, k+1, k+2 all from one neuron
        pair = same[1:] & same[:-1]
        i1, i2 = isi[:-1][pair], isi[1:][pair]
        owner = idx[2:][pair]
        with np.errstate(invalid="ignore", divide="ignore"):
            local = np.where(i1 + i2 > 0, 2 * np.abs(i2 - i1) / (i1 + i2), 0.0)
        n = np.bincount(owner, minlength=self.n_neurons)
        tot = np.bincount(owner, weights=local, minlength=self.n_neurons)
        ok = n > 0
        out[ok] = tot[ok] / n[ok]
        return out

    def mean_cv_isi(self, min_spikes: int = 3) -> float:
        cv = self.cv_isi(min_spikes)
        return float(np.nanmean(cv)) if np.any(np.isfinite(cv)) else float("nan")

    def population_rate(self, bin: Any) -> tuple[np.ndarray, np.ndarray]:
        """Population rate (Hz per neuron) in bins: returns (bin start times in s, rates)."""
        return self._population_rate(_seconds(bin, "bin"))

    def _n_bins(self, w: float, minimum: int) -> int:
        n_bins = int(math.floor(self.duration_s / w + 1e-9))
        if n_bins < minimum:
            raise ValueError(
                f"bin must fit {minimum} time(s) into the run ({self.duration_s * _MS_PER_S:g} "
                f"ms); got {w * _MS_PER_S:g} ms"
            )
        return n_bins

    def _population_rate(self, w: float) -> tuple[np.ndarray, np.ndarray]:
        n_bins = self._n_bins(w, 1)
        b = np.floor(self.times_s / w + 1e-12).astype(np.int64)
        counts = np.bincount(b[b < n_bins], minlength=n_bins)
        return np.arange(n_bins) * w, counts / (self.n_neurons * w)

    def synchrony_chi(self, bin: Any) -> float:
        """Golomb's synchrony measure on binned spike counts (Golomb 2007, Scholarpedia).

        ``chi^2 = Var_t(mean_i n_i(t)) / mean_i Var_t(n_i(t))``. ``chi ~ 1/sqrt(N)`` for
        independent neurons, 1 for identical spike trains. Silent neurons count with zero
        variance. ``nan`` without spikes.
        """
        return self._synchrony_chi(_seconds(bin, "bin"))

    def _synchrony_chi(self, w: float) -> float:
        n_bins = self._n_bins(w, 2)
        b = np.floor(self.times_s / w + 1e-12).astype(np.int64)
        keep = b < n_bins
        b, idx = b[keep], self.indices[keep]
        pop = np.bincount(b, minlength=n_bins) / self.n_neurons
        # per-neuron variance from the non-zero cells only: E[n^2] - E[n]^2
        cells = np.bincount(b * self.n_neurons + idx)
        cells = cells[cells > 0].astype(float)
        tot = np.bincount(idx, minlength=self.n_neurons) / n_bins
        mean_var = ((cells**2).sum() / n_bins - (tot**2).sum()) / self.n_neurons
        if mean_var <= 0:
            return float("nan")
        return float(np.sqrt(pop.var() / mean_var))

    def population_fano(self, bin: Any) -> float:
        """Fano factor (variance / mean) of the population spike count in bins (1 for Poisson).

        The counts of the run's whole bins ``[k w, (k+1) w)`` (a last, incomplete bin is
        dropped), variance with ``ddof=0``. Elephant's ``elephant.statistics.fanofactor``
        takes one count per spike train (across trials): it gives this value on the trains of
        the pooled population spikes cut at the bin edges (one train per bin).
        """
        return self._population_fano(_seconds(bin, "bin"))

    def _population_fano(self, w: float) -> float:
        _, rate = self._population_rate(w)
        counts = rate * self.n_neurons * w
        m = counts.mean()
        return float(counts.var() / m) if m > 0 else float("nan")

    # summaries -------------------------------------------------------------------------------
    def summary(
        self,
        windows_ms: Sequence[float] = DEFAULT_WINDOWS_MS,
        sparseness_window_ms: float = 50.0,
        synchrony_bin_ms: float = 2.0,
    ) -> dict:
        """Every measure in one flat dict (plain floats; units in the keys).

        Windows longer than the run give NaN for their fraction active.
        """
        rates = self.rates_Hz()
        out: dict[str, Any] = {
            "n_neurons": self.n_neurons,
            "duration_s": self.duration_s,
            "n_spikes": self.n_spikes,
            "mean_rate_Hz": self.mean_rate_Hz(),
            "rate_sd_Hz": float(rates.std()),
            "median_rate_Hz": float(np.median(rates)),
            "rate_p90_Hz": float(np.percentile(rates, 90)),
        }
        nan = float("nan")
        for w_ms in windows_ms:
            w = check_number("windows_ms", w_ms, positive=True) / _MS_PER_S
            fits = w <= self.duration_s + 1e-12
            out[f"frac_active_{w_ms:g}ms"] = self._fraction_active(w) if fits else nan
        sparse_w = check_number("sparseness_window_ms", sparseness_window_ms, positive=True)
        counts = self._counts(sparse_w / _MS_PER_S)
        bin_s = check_number("synchrony_bin_ms", synchrony_bin_ms, positive=True) / _MS_PER_S
        cv = self.cv_isi()
        out.update(
            silent_frac=self.silent_fraction(),
            cv_isi=_nanmean(cv),
            cv_isi_n=int(np.isfinite(cv).sum()),
            cv2_isi=_nanmean(self.cv2_isi()),
            population_sparseness=(
                sparsity.population_sparseness(counts) if self.n_neurons >= 2 else nan
            ),
            lifetime_sparseness=(
                sparsity.lifetime_sparseness(counts) if counts.shape[0] >= 2 else nan
            ),
            synchrony_chi=self._synchrony_chi(bin_s),
            population_fano=self._population_fano(bin_s),
        )
        out["asynchronous_irregular"] = bool(
            np.isfinite(out["cv2_isi"])
            and out["cv2_isi"] >= AI_MIN_CV
            and np.isfinite(out["synchrony_chi"])
            and out["synchrony_chi"] < AI_MAX_CHI
        )
        return out

    def to_frame(self) -> pd.DataFrame:
        """One-row table of :meth:`summary` plus ``meta``."""
        return pd.DataFrame([{**self.meta, **self.summary()}])

    def to_neo(self, annotations: Mapping[str, Sequence[Any]] | None = None) -> list:
        """The spikes as ``neo.SpikeTrain`` objects, one per neuron (silent ones included).

        Train ``k`` holds neuron ``k``'s spike times, sorted, in seconds (``units="s"``), with
        ``t_start = 0 s`` and ``t_stop = duration_s``, its name ``"neuron k"`` and the
        annotation ``neuron=k``. Elephant's measures on them (``elephant.statistics``) equal
        this class's: see :meth:`cv_isi`, :meth:`cv2_isi` and :meth:`population_fano`.

        Parameters
        ----------
        annotations : per-neuron annotations, each a sequence of ``n_neurons`` values
            (numbers or strings), e.g. ``{"population": ["E"] * 800 + ["I"] * 200}``.

        Raises
        ------
        ValueError
            An annotation that has not one value per neuron.
        ImportError
            Without neo: install ``neuroact[recordings]``.
        """
        per_neuron = {}
        for key, values in (annotations or {}).items():
            values = list(values)
            if len(values) != self.n_neurons:
                raise ValueError(
                    f"annotations[{key!r}] must have one value per neuron ({self.n_neurons}); "
                    f"got {len(values)}"
                )
            per_neuron[key] = [v.item() if isinstance(v, np.generic) else v for v in values]
        try:
            import neo  # optional heavy dependency (neuroact[recordings]), loaded on first use
        except ImportError as exc:
            raise ImportError("to_neo needs neo: pip install 'neuroact[recordings]'") from exc
        order = np.lexsort((self.times_s, self.indices))
        idx, t = self.indices[order], self.times_s[order]
        bounds = np.searchsorted(idx, np.arange(self.n_neurons + 1))
        return [
            neo.SpikeTrain(
                t[bounds[k] : bounds[k + 1]],
                units="s",
                t_start=0.0,
                t_stop=self.duration_s,
                name=f"neuron {k}",
                neuron=k,
                **{key: values[k] for key, values in per_neuron.items()},
            )
            for k in range(self.n_neurons)
        ]

    def spikes_frame(self, max_neurons: int | None = None, t_max_s: float | None = None):
        """Spikes as a tidy table (neuron, time_ms), optionally the first neurons / seconds only."""
        keep = np.ones(self.n_spikes, bool)
        if max_neurons is not None:
            keep &= self.indices < max_neurons
        if t_max_s is not None:
            keep &= self.times_s < t_max_s
        return pd.DataFrame(
            {"neuron": self.indices[keep], "time_ms": self.times_s[keep] * _MS_PER_S}
        )


def poisson_activity(n_neurons: int, rate: Any, duration: Any, seed: int = 0) -> PopulationActivity:
    """Independent homogeneous Poisson spike trains (numpy), a reference population.

    Parameters
    ----------
    n_neurons : number of neurons (>= 1).
    rate : Brian2 rate (``5*Hz``), one for all or one per neuron (>= 0).
    duration : Brian2 time (> 0).
    seed : seed of numpy's generator; the same seed gives the same spikes.

    Returns
    -------
    PopulationActivity
        Every measure has a closed form here: fraction active ``1 - exp(-r W)``, CV and CV2 1,
        synchrony ``chi ~ 1/sqrt(N)``, population Fano factor 1.
    """
    n = check_count("n_neurons", n_neurons)
    d = _seconds(duration, "duration")
    r = to_si(rate, "Hz", "rate", nonnegative=True, scalar=False)
    if r.ndim > 1 or r.size not in (1, n):
        raise ValueError(f"rate must be one value or one per neuron ({n}); got shape {r.shape}")
    check_count("seed", seed, minimum=0)
    r = np.broadcast_to(r, (n,))
    rng = np.random.default_rng(seed)
    counts = rng.poisson(r * d)
    idx = np.repeat(np.arange(n), counts)
    t = rng.uniform(0.0, d, size=idx.size)
    order = np.argsort(t, kind="stable")
    return PopulationActivity(idx[order], t[order], n, d, meta={"model": "poisson"})
