"""Brunel (2000) sparse balanced network of LIF neurons and the population activity it produces.

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
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from neuroact import sparsity

TARGETS = ("numpy", "cython", "cpp_standalone")
DEFAULT_WINDOWS_MS = (10.0, 20.0, 50.0, 100.0, 200.0)
# Asynchronous-irregular: irregular single neurons (Holt's CV2 of ISIs >= 0.8; CV2 rather than
# the CV because low-rate neurons fire only a few times per run and the CV of a few ISIs is biased
# low) and no population oscillation (Golomb's synchrony chi below AI_MAX_CHI; chi ~ 1/sqrt(N)
# for independent neurons, 1 for full synchrony; Brunel's canonical AI point g=5, eta=2 with
# N_E = 10,000 gives chi = 0.13 in 2 ms bins).
AI_MIN_CV = 0.8
AI_MAX_CHI = 0.2


# ---------------------------------------------------------------------------------------------
# validation helpers


def _finite(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number; got {value!r}") from exc
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {v}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0; got {v}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be >= 0; got {v}")
    return v


def _nanmean(v: np.ndarray) -> float:
    return float(np.nanmean(v)) if np.any(np.isfinite(v)) else float("nan")


def _count(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def _quantity(name: str, value: Any, unit_name: str, *, positive: bool = True) -> float:
    """Check that ``value`` is a Brian2 quantity with the dimensions of ``unit_name``; return SI."""
    import brian2

    unit = getattr(brian2, unit_name)
    if not isinstance(value, brian2.Quantity) or value.dim != unit.dim:
        raise TypeError(
            f"{name} must be a Brian2 quantity in {unit_name} (e.g. 20*{unit_name}); got {value!r}"
        )
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0; got {value!r}")
    return v


def check_target(target: str) -> str:
    """Return ``target`` if it names a supported Brian2 code-generation target."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}")
    return target


def _window_s(window: Any) -> float:
    """A window given as a Brian2 time quantity, returned in seconds."""
    return _quantity("window", window, "second")


# ---------------------------------------------------------------------------------------------
# configuration


def _ms(x):
    import brian2

    return x * brian2.ms


def _mv(x):
    import brian2

    return x * brian2.mV


def _s(x):
    import brian2

    return x * brian2.second


@dataclass(frozen=True)
class BrunelConfig:
    """Parameters of one Brunel (2000) network simulation (Brian2 quantities where physical).

    Parameters
    ----------
    n_exc : number of excitatory neurons ``N_E``; ``N_I = N_E // 4``.
    g : relative strength of inhibition (inhibitory efficacy ``-g J``).
    eta : external rate in units of ``nu_thr``.
    epsilon : connection probability; ``C_E = round(epsilon N_E)`` unless ``c_exc`` is given.
    c_exc : excitatory in-degree ``C_E`` (overrides ``epsilon``); ``C_I = round(C_E / 4)``.
    reference_c_exc : if given, scale ``J`` by ``reference_c_exc / C_E`` (keeps ``J C_E``).
    J : excitatory efficacy (PSP amplitude), e.g. ``0.1*mV``.
    delay, tau, theta, v_reset, t_ref : as in Brunel (2000).
    heterogeneity : log-standard deviation of the per-neuron external rate multiplier (0 = none).
    duration : analysed simulated time (after ``transient``).
    transient : simulated time discarded at the start.
    dt : integration step.
    seed : seed of connectivity, initial potentials, heterogeneity and Brian2's noise.
    target : ``"numpy"``, ``"cython"`` or ``"cpp_standalone"``.
    threads : OpenMP threads for ``cpp_standalone`` (ignored by the runtime targets).
    """

    n_exc: int = 10_000
    g: float = 5.0
    eta: float = 2.0
    epsilon: float = 0.1
    c_exc: int | None = None
    reference_c_exc: int | None = None
    J: Any = field(default_factory=lambda: _mv(0.1))
    delay: Any = field(default_factory=lambda: _ms(1.5))
    tau: Any = field(default_factory=lambda: _ms(20.0))
    theta: Any = field(default_factory=lambda: _mv(20.0))
    v_reset: Any = field(default_factory=lambda: _mv(10.0))
    t_ref: Any = field(default_factory=lambda: _ms(2.0))
    heterogeneity: float = 0.0
    duration: Any = field(default_factory=lambda: _s(1.0))
    transient: Any = field(default_factory=lambda: _ms(200.0))
    dt: Any = field(default_factory=lambda: _ms(0.1))
    seed: int = 0
    target: str = "cython"
    threads: int = 1

    def __post_init__(self) -> None:
        _count("n_exc", self.n_exc, minimum=4)
        _finite("g", self.g, nonnegative=True)
        _finite("eta", self.eta, nonnegative=True)
        eps = _finite("epsilon", self.epsilon, positive=True)
        if eps > 1:
            raise ValueError(f"epsilon must be a probability in (0, 1]; got {eps}")
        if self.c_exc is not None:
            _count("c_exc", self.c_exc)
        if self.reference_c_exc is not None:
            _count("reference_c_exc", self.reference_c_exc)
        for name in ("J", "theta", "v_reset"):
            _quantity(name, getattr(self, name), "volt", positive=name != "v_reset")
        for name in ("delay", "tau", "t_ref", "duration", "dt"):
            _quantity(name, getattr(self, name), "second")
        _quantity("transient", self.transient, "second", positive=False)
        if float(self.transient) < 0:
            raise ValueError(f"transient must be >= 0; got {self.transient!r}")
        if float(self.delay) < float(self.dt) - 1e-12:
            raise ValueError(f"delay must be at least one step dt={self.dt!r}; got {self.delay!r}")
        if float(self.v_reset) >= float(self.theta):
            raise ValueError(
                f"v_reset must be below theta; got v_reset={self.v_reset!r}, theta={self.theta!r}"
            )
        _finite("heterogeneity", self.heterogeneity, nonnegative=True)
        _count("seed", self.seed, minimum=0)
        check_target(self.target)
        _count("threads", self.threads)
        if self.c_in < 1:
            raise ValueError(
                f"the network is too small for any inhibitory input: C_I = {self.c_in}"
            )

    # derived quantities --------------------------------------------------------------------
    @property
    def n_inh(self) -> int:
        return self.n_exc // 4

    @property
    def n_neurons(self) -> int:
        return self.n_exc + self.n_inh

    @property
    def c_ex(self) -> int:
        """Excitatory in-degree ``C_E``."""
        return (
            int(self.c_exc) if self.c_exc is not None else max(1, round(self.epsilon * self.n_exc))
        )

    @property
    def c_in(self) -> int:
        """Inhibitory in-degree ``C_I = C_E / 4``."""
        return max(1, round(self.c_ex / 4)) if self.n_inh > 0 else 0

    @property
    def J_eff(self):
        """Excitatory efficacy after scaling (``J * reference_c_exc / C_E`` when scaled)."""
        if self.reference_c_exc is None:
            return self.J
        return self.J * (self.reference_c_exc / self.c_ex)

    @property
    def nu_thr(self):
        """``theta / (J C_E tau)``: external rate per input that reaches threshold on average."""
        return self.theta / (self.J_eff * self.c_ex * self.tau)

    @property
    def nu_ext(self):
        return self.eta * self.nu_thr

    def with_(self, **changes: Any) -> BrunelConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def describe(self) -> dict:
        """Plain-number description (for tables and JSON)."""
        return {
            "n_exc": self.n_exc,
            "n_inh": self.n_inh,
            "n_neurons": self.n_neurons,
            "g": float(self.g),
            "eta": float(self.eta),
            "c_exc": self.c_ex,
            "c_inh": self.c_in,
            "J_mV": float(self.J_eff) * 1e3,
            "nu_thr_Hz": float(self.nu_thr),
            "heterogeneity": float(self.heterogeneity),
            "duration_s": float(self.duration),
            "transient_s": float(self.transient),
            "dt_ms": float(self.dt) * 1e3,
            "seed": self.seed,
            "target": self.target,
        }


def mean_field_rate(cfg: BrunelConfig, *, max_rate_hz: float = 500.0) -> float:
    """Self-consistent stationary rate (Hz) of the network in the diffusion approximation.

    Brunel (2000), eqs. 4-5 and 21: solve ``nu = phi(mu(nu), sigma(nu))`` with the Siegert rate
    ``phi`` (:func:`neuroact.bio.theory.siegert_rate`) and

        mu = C_E J tau (nu_ext + nu (1 - g gamma)),
        sigma^2 = C_E J^2 tau (nu_ext + nu (1 + g^2 gamma)),   gamma = C_I / C_E,

    for the homogeneous network (heterogeneity ignored). The lowest root is returned (bisection
    on ``phi(nu) - nu``); the simulated rate is usually a little lower (finite J and dt, delays).
    """
    from scipy import optimize

    from neuroact.bio.theory import siegert_rate

    J, tau = float(cfg.J_eff), float(cfg.tau)
    ce, gamma = cfg.c_ex, cfg.c_in / cfg.c_ex
    nu_ext = float(cfg.nu_ext)

    def phi(nu: float) -> float:
        mu = ce * J * tau * (nu_ext + nu * (1 - cfg.g * gamma))
        sigma = np.sqrt(ce * J**2 * tau * (nu_ext + nu * (1 + cfg.g**2 * gamma)))
        return float(
            siegert_rate(
                mu,
                sigma,
                tau_m=float(cfg.tau),
                E_L=0.0,
                V_reset=float(cfg.v_reset),
                V_th=float(cfg.theta),
                t_ref=float(cfg.t_ref),
            )
        )

    f = lambda nu: phi(nu) - nu  # noqa: E731
    if f(0.0) <= 0:
        return 0.0
    grid = np.geomspace(1e-9, max_rate_hz, 120)
    vals = [f(x) for x in grid]
    if vals[0] <= 0:
        return float(optimize.brentq(f, 0.0, grid[0]))
    for lo, hi, flo, fhi in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if flo > 0 >= fhi:
            return float(optimize.brentq(f, lo, hi, xtol=1e-6))
    return float("nan")


# ---------------------------------------------------------------------------------------------
# population activity and its measures


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
        n = _count("n_neurons", self.n_neurons)
        d = _finite("duration_s", self.duration_s, positive=True)
        idx = np.asarray(self.indices)
        t = np.asarray(self.times_s, dtype=float)
        if idx.ndim != 1 or t.ndim != 1 or idx.shape != t.shape:
            raise ValueError(
                "indices and times_s must be 1-D of equal length; got shapes "
                f"{idx.shape}, {t.shape}"
            )
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            if not np.all(idx == np.round(idx)):
                raise TypeError("indices must be integers")
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
        w = _window_s(window)
        return self._counts(w)

    def _counts(self, w: float) -> np.ndarray:
        n_win = int(math.floor(self.duration_s / w + 1e-9))
        if n_win < 1:
            raise ValueError(
                f"window ({w * 1e3:g} ms) is longer than the run ({self.duration_s * 1e3:g} ms)"
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
        return sparsity.fraction_active(self.spike_counts(window))

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
        only a few times per run (see :meth:`cv2_isi`).
        """
        _count("min_spikes", min_spikes, minimum=2)
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
        in the run (the CV of 2-3 ISIs from a Poisson train averages about 0.6).
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
        w = _window_s(bin)
        n_bins = int(math.floor(self.duration_s / w + 1e-9))
        if n_bins < 1:
            raise ValueError(
                f"bin ({w * 1e3:g} ms) is longer than the run ({self.duration_s * 1e3:g} ms)"
            )
        b = np.floor(self.times_s / w + 1e-12).astype(np.int64)
        counts = np.bincount(b[b < n_bins], minlength=n_bins)
        return np.arange(n_bins) * w, counts / (self.n_neurons * w)

    def synchrony_chi(self, bin: Any) -> float:
        """Golomb's synchrony measure on binned spike counts (Golomb 2007, Scholarpedia).

        ``chi^2 = Var_t(mean_i n_i(t)) / mean_i Var_t(n_i(t))``. ``chi ~ 1/sqrt(N)`` for
        independent neurons, 1 for identical spike trains. Silent neurons count with zero
        variance. ``nan`` without spikes.
        """
        w = _window_s(bin)
        n_bins = int(math.floor(self.duration_s / w + 1e-9))
        if n_bins < 2:
            raise ValueError(
                f"bin ({w * 1e3:g} ms) must fit at least twice in the run "
                f"({self.duration_s * 1e3:g} ms)"
            )
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
        """Fano factor (variance / mean) of the population spike count in bins (1 for Poisson)."""
        _, rate = self.population_rate(bin)
        counts = rate * self.n_neurons * _window_s(bin)
        m = counts.mean()
        return float(counts.var() / m) if m > 0 else float("nan")

    # summaries -------------------------------------------------------------------------------
    def summary(
        self,
        windows_ms: Sequence[float] = DEFAULT_WINDOWS_MS,
        sparseness_window_ms: float = 50.0,
        synchrony_bin_ms: float = 2.0,
    ) -> dict:
        """Every measure in one flat dict (plain floats; units in the keys)."""
        import brian2

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
        for w in windows_ms:
            if w / 1e3 <= self.duration_s + 1e-12:
                out[f"frac_active_{w:g}ms"] = self.fraction_active(w * brian2.ms)
            else:
                out[f"frac_active_{w:g}ms"] = float("nan")
        nan = float("nan")
        counts = self._counts(sparseness_window_ms / 1e3)
        cv = self.cv_isi()
        out.update(
            silent_frac=self.silent_fraction(),
            cv_isi=float(np.nanmean(cv)) if np.any(np.isfinite(cv)) else nan,
            cv_isi_n=int(np.isfinite(cv).sum()),
            cv2_isi=_nanmean(self.cv2_isi()),
            population_sparseness=(
                sparsity.population_sparseness(counts) if self.n_neurons >= 2 else nan
            ),
            lifetime_sparseness=(
                sparsity.lifetime_sparseness(counts) if counts.shape[0] >= 2 else nan
            ),
            synchrony_chi=self.synchrony_chi(synchrony_bin_ms * brian2.ms),
            population_fano=self.population_fano(synchrony_bin_ms * brian2.ms),
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

    def spikes_frame(self, max_neurons: int | None = None, t_max_s: float | None = None):
        """Spikes as a tidy table (neuron, time_ms), optionally the first neurons / seconds only."""
        keep = np.ones(self.n_spikes, bool)
        if max_neurons is not None:
            keep &= self.indices < max_neurons
        if t_max_s is not None:
            keep &= self.times_s < t_max_s
        return pd.DataFrame({"neuron": self.indices[keep], "time_ms": self.times_s[keep] * 1e3})


def poisson_activity(n_neurons: int, rate: Any, duration: Any, seed: int = 0) -> PopulationActivity:
    """Independent homogeneous Poisson spike trains (numpy), a reference population.

    ``rate`` may be a scalar or one rate per neuron (Brian2 quantities in Hz).
    """
    import brian2

    n = _count("n_neurons", n_neurons)
    d = _quantity("duration", duration, "second")
    r = np.asarray(rate / brian2.Hz if isinstance(rate, brian2.Quantity) else None, dtype=float)
    if not isinstance(rate, brian2.Quantity) or rate.dim != brian2.Hz.dim:
        raise TypeError(f"rate must be a Brian2 quantity in Hz (e.g. 5*Hz); got {rate!r}")
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError(f"rate must be finite and >= 0; got {rate!r}")
    r = np.broadcast_to(r, (n,))
    rng = np.random.default_rng(seed)
    counts = rng.poisson(r * d)
    idx = np.repeat(np.arange(n), counts)
    t = rng.uniform(0.0, d, size=idx.size)
    order = np.argsort(t, kind="stable")
    return PopulationActivity(idx[order], t[order], n, d, meta={"model": "poisson"})


# ---------------------------------------------------------------------------------------------
# simulation


def _connectivity(cfg: BrunelConfig, rng: np.random.Generator):
    """Fixed in-degree sources for every target, drawn with replacement (as NEST's brunel_delta)."""
    n = cfg.n_neurons
    tgt_e = np.repeat(np.arange(n, dtype=np.int32), cfg.c_ex)
    src_e = rng.integers(0, cfg.n_exc, size=n * cfg.c_ex, dtype=np.int32)
    tgt_i = np.repeat(np.arange(n, dtype=np.int32), cfg.c_in)
    src_i = rng.integers(0, cfg.n_inh, size=n * cfg.c_in, dtype=np.int32)
    return (src_e, tgt_e), (src_i, tgt_i)


def _build(cfg: BrunelConfig):
    """Create every Brian2 object of the network and return them in an explicit Network."""
    import brian2 as b2

    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_neurons
    eqs = """
    dv/dt = -v / tau : volt (unless refractory)
    lam_ext : 1 (constant)
    """
    group = b2.NeuronGroup(
        n,
        eqs,
        threshold="v > theta",
        reset="v = v_reset",
        refractory=cfg.t_ref,
        method="exact",
        namespace={"tau": cfg.tau, "theta": cfg.theta, "v_reset": cfg.v_reset},
        name="brunel_neurons",
    )
    group.v = rng.uniform(float(cfg.v_reset), float(cfg.theta), size=n) * b2.volt
    # External drive: C_E Poisson inputs of rate nu_ext each = one Poisson count per step with
    # mean C_E nu_ext dt (times a log-normal multiplier with mean 1 when heterogeneous).
    mult = np.ones(n)
    if cfg.heterogeneity > 0:
        s = cfg.heterogeneity
        mult = np.exp(s * rng.standard_normal(n) - s**2 / 2)
    group.lam_ext = float(cfg.c_ex * cfg.nu_ext * cfg.dt) * mult
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
    syn_e = b2.Synapses(
        exc,
        group,
        on_pre="v_post += J * int(not_refractory_post)",
        delay=cfg.delay - cfg.dt,
        namespace=ns,
        name="brunel_exc_syn",
    )
    syn_i = b2.Synapses(
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
    spikes = b2.SpikeMonitor(group, name="brunel_spikes")
    net = b2.Network(group, ext, syn_e, syn_i, spikes)
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
    ``wall_per_sim_s`` (run time per simulated second, transient included).
    """
    if not isinstance(cfg, BrunelConfig):
        raise TypeError(f"cfg must be a BrunelConfig; got {type(cfg).__name__}")
    if cfg.target == "cpp_standalone":
        return _simulate_standalone(cfg)
    import brian2 as b2

    # shared with fi.py: set and restore the codegen target; seed Brian2 and restore numpy's
    # global random state, so a simulation leaves the caller's state as it found it
    from neuroact.bio.fi import _codegen_target, _seeded

    total = cfg.transient + cfg.duration
    old_dt = b2.defaultclock.dt
    with _codegen_target(cfg.target), _seeded(cfg.seed):
        try:
            t0 = time.perf_counter()
            net, spikes = _build(cfg)
            b2.defaultclock.dt = cfg.dt
            t1 = time.perf_counter()
            net.run(total, namespace={})
            t2 = time.perf_counter()
        finally:
            b2.defaultclock.dt = old_dt
        i = np.asarray(spikes.i[:], dtype=np.int64)
        t = np.asarray(spikes.t[:] / b2.second, dtype=float)
    meta = cfg.describe() | {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_per_sim_s": (t2 - t1) / float(total),
    }
    return _activity_from(cfg, i, t, meta)


def _simulate_standalone(cfg: BrunelConfig) -> PopulationActivity:
    import brian2 as b2

    total = cfg.transient + cfg.duration
    build_dir = tempfile.mkdtemp(prefix="neuroact_brunel_")
    old_threads = b2.prefs.devices.cpp_standalone.openmp_threads
    b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    try:
        b2.prefs.devices.cpp_standalone.openmp_threads = cfg.threads
        b2.seed(cfg.seed)
        t0 = time.perf_counter()
        b2.defaultclock.dt = cfg.dt
        net, spikes = _build(cfg)
        net.run(total, namespace={})
        t1 = time.perf_counter()
        b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
        t2 = time.perf_counter()
        i = np.asarray(spikes.i[:], dtype=np.int64)
        t = np.asarray(spikes.t[:] / b2.second, dtype=float)
        run_time = float(getattr(b2.device, "_last_run_time", float("nan")) or float("nan"))
    finally:
        b2.device.reinit()
        b2.device.activate()
        b2.set_device("runtime")
        b2.prefs.devices.cpp_standalone.openmp_threads = old_threads
        with contextlib.suppress(OSError):
            import shutil

            shutil.rmtree(build_dir)
    meta = cfg.describe() | {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_per_sim_s": (run_time if math.isfinite(run_time) else t2 - t1) / float(total),
        "threads": cfg.threads,
    }
    return _activity_from(cfg, i, t, meta)


# ---------------------------------------------------------------------------------------------
# sweeps


def network_job(**params: Any) -> dict:
    """Simulate one network from plain-number parameters and return its summary row.

    The job function of :func:`sweep` (module level, so it runs on local processes or a Dask
    cluster). Accepted keys: ``n_exc, g, eta, epsilon, c_exc, reference_c_exc, heterogeneity,
    duration_s, transient_s, seed, target``, plus ``J_mV, dt_ms``.
    """
    import brian2 as b2

    p = dict(params)
    kw: dict[str, Any] = {}
    for key in ("n_exc", "c_exc", "reference_c_exc", "seed", "threads"):
        if p.get(key) is not None:
            kw[key] = int(p.pop(key))
        else:
            p.pop(key, None)
    for key in ("g", "eta", "epsilon", "heterogeneity"):
        if key in p:
            kw[key] = float(p.pop(key))
    if "target" in p:
        kw["target"] = str(p.pop("target"))
    units = {
        "duration_s": ("duration", b2.second),
        "transient_s": ("transient", b2.second),
        "J_mV": ("J", b2.mV),
        "dt_ms": ("dt", b2.ms),
    }
    for key, (name, unit) in units.items():
        if key in p:
            kw[name] = float(p.pop(key)) * unit
    label = p.pop("label", None)
    if p:
        raise ValueError(f"unknown network_job parameter(s): {sorted(p)}")
    act = simulate(BrunelConfig(**kw))
    row = act.to_frame().iloc[0].to_dict()
    if label is not None:
        row["label"] = label
    return row


def job_key(
    g: float, eta: float, heterogeneity: float = 0.0, n_exc: int | None = None, seed: int = 0
) -> str:
    """File-safe key of one sweep point."""
    key = f"g={g:.3f}_eta={eta:.3f}_het={heterogeneity:.2f}_seed={seed}"
    return f"N={n_exc}_" + key if n_exc is not None else key


def sweep(
    gs: Sequence[float],
    etas: Sequence[float],
    base: dict,
    *,
    heterogeneities: Sequence[float] = (0.0,),
    run=None,
    group: str = "phase",
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Simulate every (g, eta, heterogeneity) as an independent job; one summary row each.

    ``base`` holds the other :func:`network_job` parameters (plain numbers). With ``run`` (a
    :class:`neuroact.results.RunFolder`) each result is written as it finishes and a rerun skips
    finished jobs.
    """
    from neuroact.parallel import Job, run_jobs

    for name, values in (("gs", gs), ("etas", etas), ("heterogeneities", heterogeneities)):
        vals = [_finite(name, v, nonnegative=True) for v in values]
        if not vals:
            raise ValueError(f"{name} must not be empty")
    jobs = [
        Job(
            job_key(g, eta, het, base.get("n_exc"), base.get("seed", 0)),
            {**base, "g": float(g), "eta": float(eta), "heterogeneity": float(het)},
        )
        for het in heterogeneities
        for g in gs
        for eta in etas
    ]
    return run_jobs(
        network_job,
        jobs,
        run=run,
        group=group,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="Brunel sweep",
    )


def config_dict(cfg: BrunelConfig) -> dict:
    """The config as plain numbers and strings (for config.json)."""
    return {
        k: (str(v) if not isinstance(v, int | float | str | type(None)) else v)
        for k, v in asdict(cfg).items()
    }


__all__ = [
    "AI_MAX_CHI",
    "AI_MIN_CV",
    "BrunelConfig",
    "DEFAULT_WINDOWS_MS",
    "PopulationActivity",
    "TARGETS",
    "check_target",
    "config_dict",
    "job_key",
    "mean_field_rate",
    "network_job",
    "poisson_activity",
    "simulate",
    "sweep",
]
