"""The result of a curve fit and the ranking of several: :class:`FitResult`,
:class:`FamilyComparison`.

:func:`neuroact.compare.fit.fit_curve` returns a :class:`FitResult` (parameters, standard
errors, statistics, the fit's message) and :func:`~neuroact.compare.fit.fit_families` a
:class:`FamilyComparison`, which ranks the successful fits by an information criterion and
gives each family its Akaike weight (Burnham & Anderson 2002). The statistics are defined in
:mod:`neuroact.compare.fit`.

See Also
--------
neuroact.compare.measured.CellFits : the fits of many cells in one table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neuroact.compare.curves import get_family
from neuroact.compare.units import as_current
from neuroact.vocabulary import canonical

__all__ = ["FitResult", "FamilyComparison"]


@dataclass
class FitResult:
    """The fit of one family to one f-I curve.

    ``params``/``stderr``/``ci`` map parameter names to values in the units of
    ``param_units``; ``residuals`` and ``fitted`` are in the caller's point order. ``nfev``
    counts the function evaluations over every start tried, ``n_starts`` the starts tried
    (:func:`neuroact.compare.lsq.solve`).
    """

    family: str
    success: bool
    message: str
    params: dict[str, float]
    stderr: dict[str, float]
    param_units: dict[str, str]
    current_unit: str
    n: int
    k: int
    rss: float = math.nan
    rmse: float = math.nan
    r2: float = math.nan
    aic: float = math.nan
    aicc: float = math.nan
    bic: float = math.nan
    residuals: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    fitted: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    ci: dict[str, tuple[float, float]] | None = None
    ci_level: float | None = None
    loss: str = "linear"
    nfev: int = 0
    at_bounds: tuple[str, ...] = ()
    n_starts: int = 0

    def predict(self, current, current_unit: str | None = None) -> np.ndarray:
        """Rate (Hz) of the fitted curve at ``current``.

        NaN where the fit produced no parameters; a fit marked failed only for a poor R^2 (see
        ``message``) still has parameters and predicts with them, so its curve can be shown.
        """
        i = as_current(current, current_unit or self.current_unit)
        if not self.success and not self.params:
            return np.full(i.shape, np.nan)
        fam = get_family(self.family)
        return fam(i, *[self.params[p] for p in fam.params])

    def to_dict(self) -> dict:
        """One flat row: family, success, statistics, parameters, ``stderr_<p>``, CIs."""
        row = {
            "family": self.family,
            "success": self.success,
            "message": self.message,
            "n_points": self.n,
            "n_params": self.k,
            "r2": self.r2,
            "rmse": self.rmse,
            "aic": self.aic,
            "aicc": self.aicc,
            "bic": self.bic,
            "loss": self.loss,
            "current_unit": self.current_unit,
        }
        row.update(self.params)
        row.update({f"stderr_{p}": v for p, v in self.stderr.items()})
        if self.ci is not None:
            row["ci_level"] = self.ci_level
            row.update({f"ci_low_{p}": lo for p, (lo, _) in self.ci.items()})
            row.update({f"ci_high_{p}": hi for p, (_, hi) in self.ci.items()})
        return row

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: value, unit, stderr, CI, plus the fit's statistics."""
        rows = []
        for p, v in self.params.items():
            lo, hi = self.ci[p] if self.ci else (math.nan, math.nan)
            rows.append(
                {
                    "family": self.family,
                    "param": p,
                    "value": v,
                    "unit": self.param_units.get(p, ""),
                    "stderr": self.stderr.get(p, math.nan),
                    "ci_low": lo,
                    "ci_high": hi,
                    "success": self.success,
                    "r2": self.r2,
                    "rmse": self.rmse,
                    "aic": self.aic,
                    "aicc": self.aicc,
                    "bic": self.bic,
                    "message": self.message,
                }
            )
        if not rows:
            rows.append(
                {"family": self.family, "param": None, "success": False, "message": self.message}
            )
        return pd.DataFrame(rows)


@dataclass
class FamilyComparison:
    """Fits of several families to one curve, ranked by an information criterion."""

    results: list[FitResult]
    criterion: str = "aic"

    @property
    def ranked(self) -> list[FitResult]:
        """Successful fits from best (lowest criterion) to worst, then the failed ones."""
        ok = sorted(
            (r for r in self.results if r.success), key=lambda r: getattr(r, self.criterion)
        )
        return ok + [r for r in self.results if not r.success]

    @property
    def best(self) -> FitResult | None:
        """The best successful fit, or None if every family failed."""
        ranked = self.ranked
        return ranked[0] if ranked and ranked[0].success else None

    def __getitem__(self, family: str) -> FitResult:
        """The fit of ``family`` (a key or an alias such as ``"rectifier"``)."""
        for name in (family, canonical(family)):
            for r in self.results:
                if r.family == name:
                    return r
        raise KeyError(family)

    def rows(self) -> list[dict]:
        """One flat dict per family in rank order: ``family``, ``rank``, the fit's statistics and
        parameters (:meth:`FitResult.to_dict`), ``criterion``, ``delta`` and ``weight``.

        ``delta`` is the criterion minus the best one; ``weight`` the Akaike weight
        exp(-delta/2) / sum exp(-delta/2) over successful fits (Burnham & Anderson 2002).
        ``rank`` counts from 1 over successful fits and is NaN for failed ones.
        """
        ranked = self.ranked
        crit = np.array([getattr(r, self.criterion) if r.success else np.nan for r in ranked])
        best = np.nanmin(crit) if np.isfinite(crit).any() else np.nan
        delta = crit - best
        rel = np.where(np.isfinite(delta), np.exp(-0.5 * np.nan_to_num(delta, nan=np.inf)), 0)
        weight = rel / rel.sum() if rel.sum() > 0 else np.full(len(ranked), np.nan)
        rows = []
        for k, (fit, c, d, wt) in enumerate(zip(ranked, crit, delta, weight, strict=True)):
            row = fit.to_dict()
            family = row.pop("family")
            rank = float(k + 1) if np.isfinite(c) else math.nan
            rows.append(
                {"family": family, "rank": rank, **row}
                | {"criterion": self.criterion, "delta": float(d), "weight": float(wt)}
            )
        return rows

    def to_frame(self) -> pd.DataFrame:
        """:meth:`rows` as a table, one row per family in rank order: ``family``, ``rank``, the
        statistics, every family's parameters, then ``criterion``, ``delta`` and ``weight``."""
        frame = pd.DataFrame(self.rows())
        last = ["criterion", "delta", "weight"]
        return frame[[c for c in frame.columns if c not in last] + last]
