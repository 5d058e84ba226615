"""Sparsity measures shared by the biological and the artificial side.

Every function takes an activity array of shape ``(samples, units)``: spike counts per time
window for a spiking network (samples = windows), or hidden-layer activations for an artificial
network (samples = examples). The same code measures both, so a number from a Brian2 simulation
and a number from a PyTorch layer mean the same thing.

Definitions (N units, activity ``x >= 0`` where stated)
---------------------------------------------------------
fraction active
    Share of units whose activity exceeds ``threshold`` (strictly), per sample, averaged over
    samples. With spike counts and ``threshold=0`` this is "at least one spike in the window".
fraction zero
    Share of entries with ``|x| <= eps * P_q(|x|)``, where ``P_q`` is the ``q``-th percentile of
    ``|x|`` over the whole array. ``eps=0`` counts exact zeros (rectifier outputs); a small ``eps``
    gives the "output view" for smooth units, whose outputs are never exactly zero.
Treves-Rolls activity ratio (Treves & Rolls 1991; Rolls & Tovee 1995)
    ``a = (mean x)^2 / mean(x^2)``; ``a = 1/N`` for a one-hot vector, ``1`` for a constant one.
normalised sparseness (Vinje & Gallant 2000; Willmore & Tolhurst 2001)
    ``S = (1 - a) / (1 - 1/N)``; ``0`` for a constant vector, ``1`` for a one-hot vector.
Hoyer sparseness (Hoyer 2004)
    ``(sqrt(N) - L1/L2) / (sqrt(N) - 1)``; also ``0`` (dense) to ``1`` (one-hot). Uses ``|x|``.
population sparseness
    A sparseness measure computed across units for each sample, then averaged over samples.
lifetime sparseness
    The same measure computed across samples for each unit, then averaged over units
    (Willmore & Tolhurst 2001).
dead fraction
    Share of units never active (``x <= threshold``) on any sample.

Treves-Rolls and Hoyer are undefined for an all-zero vector (0/0). Such vectors (a silent time
window, a dead unit) are left out of the population and lifetime averages; ``summarize`` reports
how many were left out. If every vector is all-zero the average is ``nan``.

Inputs
------
Anything numpy reads as a 2-D numeric array, and PyTorch tensors as they come out of a network:
on any device, with or without ``requires_grad``, of any float (or integer) dtype. A tensor is
detached and copied to the host as float64, so a tensor and ``tensor.double().numpy()`` give
the same numbers. This module never imports torch: a numpy user does not load it.

See Also
--------
neuroact.ann.probes : these measures on a PyTorch model's layers, batch by batch.
neuroact.bio.activity : these measures on spike counts of a simulated population.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # annotations only: importing this module never loads torch
    import torch
    from numpy.typing import ArrayLike

    Activity = ArrayLike | torch.Tensor

Measure = Literal["treves_rolls", "hoyer"]
_MEASURES = ("treves_rolls", "hoyer")


def as_array(x: Activity, name: str = "x") -> ArrayLike:
    """``x`` itself, or a PyTorch tensor as a float64 numpy array on the host.

    The tensor is detached (``requires_grad`` is allowed) and copied from its device; float16 and
    bfloat16 values are exact in float64. torch is looked up in ``sys.modules`` instead of being
    imported: a tensor can only exist once torch is loaded, and numpy users never load it.
    """
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(x, torch.Tensor):
        return x
    if x.is_complex():
        raise TypeError(f"{name} must be a real-valued tensor; got dtype {x.dtype}")
    return x.detach().to(device="cpu", dtype=torch.float64).numpy()


def _as_activity(x: object, *, name: str = "x", nonnegative: bool = True) -> np.ndarray:
    """Validate an activity array of shape (samples, units) and return it as float64."""
    try:
        arr = np.asarray(as_array(x, name), dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array of shape (samples, units); {exc}") from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (samples, units); got {arr.ndim}-D with shape "
            f"{arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); expected at least one sample and one unit"
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); expected finite values")
    if nonnegative and np.any(arr < 0):
        raise ValueError(
            f"{name} must be non-negative for this measure (rates, spike counts, rectified "
            f"activations); its minimum is {arr.min():g}"
        )
    return arr


def _unit_max(x: np.ndarray, axis: int) -> np.ndarray:
    """Divide each vector by its largest entry: the ratios are scale-free, and squaring tiny
    values (1e-164) must not underflow to zero and change the answer."""
    peak = x.max(axis=axis, keepdims=True)
    return x / np.where(peak > 0, peak, 1.0)


def _check_measure(measure: str) -> None:
    if measure not in _MEASURES:
        raise ValueError(f"measure must be one of {_MEASURES}; got {measure!r}")


def _check_threshold(threshold: float) -> float:
    threshold = float(threshold)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number; got {threshold}")
    return threshold


def treves_rolls(x: Activity, axis: int = 1) -> np.ndarray:
    """Treves-Rolls activity ratio ``a = (mean x)^2 / mean(x^2)`` along ``axis``.

    Parameters
    ----------
    x : array or tensor (samples, units), non-negative
    axis : 1 for across units (one value per sample), 0 for across samples (one per unit).

    Returns
    -------
    a : 1-D array; ``nan`` where the vector is all zero.
    """
    x = _unit_max(_as_activity(x), axis)
    m1 = x.mean(axis=axis)
    m2 = (x**2).mean(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m2 > 0, m1**2 / np.where(m2 > 0, m2, 1.0), np.nan)


def normalised_sparseness(x: Activity, axis: int = 1) -> np.ndarray:
    """Normalised sparseness ``S = (1 - a) / (1 - 1/N)`` along ``axis`` (0 dense, 1 one-hot).

    ``N`` is the length along ``axis``; it must be at least 2.
    """
    x = _as_activity(x)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"x needs at least 2 entries along axis {axis} for sparseness; got {n}")
    return (1.0 - treves_rolls(x, axis)) / (1.0 - 1.0 / n)


def hoyer(x: Activity, axis: int = 1) -> np.ndarray:
    """Hoyer sparseness ``(sqrt(N) - L1/L2) / (sqrt(N) - 1)`` along ``axis``, on ``|x|``.

    Signed input is allowed (the measure uses absolute values). ``nan`` for all-zero vectors.
    """
    x = _unit_max(np.abs(_as_activity(x, nonnegative=False)), axis)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"x needs at least 2 entries along axis {axis} for Hoyer; got {n}")
    l1 = x.sum(axis=axis)
    l2 = np.sqrt((x**2).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(l2 > 0, l1 / np.where(l2 > 0, l2, 1.0), np.nan)
    return (np.sqrt(n) - ratio) / (np.sqrt(n) - 1.0)


def _sparseness(x: np.ndarray, axis: int, measure: str) -> np.ndarray:
    _check_measure(measure)
    return normalised_sparseness(x, axis) if measure == "treves_rolls" else hoyer(x, axis)


def _nanmean(v: np.ndarray) -> float:
    return float(np.nanmean(v)) if np.any(np.isfinite(v)) else float("nan")


def population_sparseness(x: Activity, measure: Measure = "treves_rolls") -> float:
    """Sparseness across units for each sample, averaged over samples (all-zero samples skipped).

    ``measure="treves_rolls"`` uses the normalised sparseness ``S``; ``"hoyer"`` Hoyer's measure.
    """
    return _nanmean(_sparseness(x, 1, measure))


def lifetime_sparseness(x: Activity, measure: Measure = "treves_rolls") -> float:
    """Sparseness across samples for each unit, averaged over units (silent units skipped)."""
    return _nanmean(_sparseness(x, 0, measure))


def active_per_sample(x: Activity, threshold: float = 0.0) -> np.ndarray:
    """Fraction of units with activity ``> threshold`` in each sample (1-D, length samples)."""
    x = _as_activity(x, nonnegative=False)
    return (x > _check_threshold(threshold)).mean(axis=1)


def fraction_active(x: Activity, threshold: float = 0.0) -> float:
    """Share of units with activity ``> threshold``, per sample, averaged over samples.

    For spike counts per window, ``threshold=0`` means "fired at least once in the window". For
    independent Poisson units of rate ``r`` and windows of length ``W`` it is ``1 - exp(-r W)``.
    """
    return float(active_per_sample(x, threshold).mean())


def fraction_zero(x: Activity, eps: float = 0.0, percentile: float = 99.0) -> float:
    """Share of entries with ``|x| <= eps * P(|x|)``, ``P`` the ``percentile`` of ``|x|``.

    ``eps=0`` counts exact zeros. For smooth units (softplus, sigmoid, tanh) choose a small
    ``eps`` such as 0.01 and state it: the "output view" of inactivity.
    """
    x = np.abs(_as_activity(x, nonnegative=False))
    eps = float(eps)
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a finite number >= 0; got {eps}")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100]; got {percentile}")
    cut = eps * np.percentile(x, percentile) if eps > 0 else 0.0
    return float((x <= cut).mean())


def dead_fraction(x: Activity, threshold: float = 0.0) -> float:
    """Share of units never active (activity ``<= threshold`` on every sample)."""
    x = _as_activity(x, nonnegative=False)
    return float((~(x > _check_threshold(threshold)).any(axis=0)).mean())


@dataclass(frozen=True)
class SparsityResult:
    """All sparsity measures of one activity array."""

    n_samples: int
    n_units: int
    threshold: float
    fraction_active: float
    dead_fraction: float
    population_sparseness: float
    lifetime_sparseness: float
    population_hoyer: float
    lifetime_hoyer: float
    silent_samples: int
    silent_units: int

    def to_dict(self) -> dict:
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


def summarize(x: Activity, threshold: float = 0.0) -> SparsityResult:
    """Every measure of this module on one non-negative ``(samples, units)`` array."""
    x = _as_activity(x)
    zero_rows = int((~x.any(axis=1)).sum())
    zero_cols = int((~x.any(axis=0)).sum())
    two = x.shape[1] >= 2, x.shape[0] >= 2
    nan = float("nan")
    return SparsityResult(
        n_samples=x.shape[0],
        n_units=x.shape[1],
        threshold=float(threshold),
        fraction_active=fraction_active(x, threshold),
        dead_fraction=dead_fraction(x, threshold),
        population_sparseness=population_sparseness(x) if two[0] else nan,
        lifetime_sparseness=lifetime_sparseness(x) if two[1] else nan,
        population_hoyer=population_sparseness(x, "hoyer") if two[0] else nan,
        lifetime_hoyer=lifetime_sparseness(x, "hoyer") if two[1] else nan,
        silent_samples=zero_rows,
        silent_units=zero_cols,
    )
