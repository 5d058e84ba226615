"""Fit f-I curve families to data: bounded least squares, information criteria, bootstrap.

:func:`fit_curve` fits one family and returns a :class:`FitResult`; :func:`fit_families` fits
several and ranks them (:class:`FamilyComparison`).

Statistics (n points, k fitted parameters, residuals e_i = r_i - f(I_i), weights w_i = 1/sem_i
when ``sem`` is given, else 1):

- RSS = sum (w_i e_i)^2; RMSE = sqrt(mean e_i^2) (unweighted, in Hz);
  R^2 = 1 - sum e_i^2 / sum (r_i - mean r)^2 (unweighted).
- Without ``sem`` the noise variance is unknown and estimated, so it counts as a parameter:
  AIC = n ln(RSS/n) + 2(k+1), BIC = n ln(RSS/n) + (k+1) ln n (Burnham & Anderson 2002, eq. 2.13).
  With ``sem`` the variances are taken as known: AIC = RSS + 2k, BIC = RSS + k ln n (chi^2 form).
- AICc = AIC + 2K(K+1)/(n-K-1) with K the number of counted parameters (k+1 or k).
- RSS is floored at n (1e-10 max|r|)^2 so that exact (noiseless) fits give finite criteria.
- Standard errors from the Jacobian at the optimum: cov = s^2 (J^T J)^-1 (pseudo-inverse of J
  with its columns scaled to unit norm, so that they do not depend on the current unit), with
  s^2 = RSS/(n-k), or s^2 = 1 when ``sem`` is given and ``absolute_sigma=True``
  (:func:`neuroact.compare.lsq.standard_errors`). A parameter of positive range whose standard
  error exceeds its value is named in ``message`` as poorly determined.
- Several starting points, tried in order until the best minimum has been found twice
  (:mod:`neuroact.compare.lsq` gives the rule and why the threshold families need it).
- Bootstrap intervals (``bootstrap=B``): residual bootstrap -- B refits to f(I) + resampled
  residuals, percentile intervals at ``ci_level``. With ``sem`` the standardised residuals
  ``w_i e_i`` are resampled and put back on each point's own scale (``/ w_j``), so a noisy point's
  residual is not lent to a precise one.

With a robust ``loss`` ("soft_l1", "huber", "cauchy", "arctan"; scale ``f_scale`` in Hz) the
parameters are the robust estimates; RSS, R^2 and the criteria are still computed from the
plain squared residuals of that fit, so compare families fitted with the same loss.

Failures are results, not exceptions: NaN or infinite values, fewer points than parameters
plus one, fewer than two distinct currents, all-zero or flat rates, an optimiser error, a fit
worse than ``min_r2`` (too noisy, or the family does not describe the data) all return a
``FitResult`` with ``success=False`` and a ``message`` giving the reason. Bad *arguments*
(unknown family, wrong types or shapes, a current without a usable unit, negative rates
unless ``allow_negative_rates=True``) raise ``ValueError``/``TypeError``.

Units: ``current`` is a float array in ``current_unit`` (default ``"nA"``) or a Brian2
quantity with the dimensions of a current (or a current density), converted to
``current_unit``. ``rate`` is in Hz (or a Brian2 quantity in Hz). Parameters are reported in
those units (see :meth:`Family.param_units`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neuroact.compare.curves import Family, get_family, resolve_families
from neuroact.compare.lsq import solve, standard_errors
from neuroact.compare.units import CURRENT_DENSITY_UNITS, CURRENT_UNITS, as_current, as_rate
from neuroact.vocabulary import canonical

__all__ = [
    "FitResult",
    "FamilyComparison",
    "fit_curve",
    "fit_families",
    "as_current",
    "as_rate",
    "CURRENT_UNITS",
    "CURRENT_DENSITY_UNITS",
]

LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")
CRITERIA = ("aic", "aicc", "bic")


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


def _failed(fam: Family, message: str, n: int, current_unit: str, loss: str) -> FitResult:
    return FitResult(
        family=fam.name,
        success=False,
        message=message,
        params={},
        stderr={},
        param_units=fam.param_units(current_unit),
        current_unit=current_unit,
        n=n,
        k=fam.n_params,
        loss=loss,
    )


def _check_data(i: np.ndarray, r: np.ndarray, sem: np.ndarray | None, k: int) -> str | None:
    """The reason these data cannot be fitted, or None."""
    if i.shape != r.shape:
        raise ValueError(f"current and rate must have the same length; got {i.size} and {r.size}")
    if sem is not None and sem.shape != r.shape:
        raise ValueError(f"sem must have the same length as rate ({r.size}); got {sem.size}")
    bad = ~np.isfinite(i) | ~np.isfinite(r)
    if sem is not None:
        bad |= ~np.isfinite(sem)
    if bad.any():
        return (
            f"{int(bad.sum())} of {i.size} points have NaN or infinite current, rate or sem; "
            "drop them before fitting"
        )
    if sem is not None and np.any(sem < 0):
        return "sem has negative values"
    if i.size < k + 1:
        return f"too few points: {i.size} for {k} parameters (need at least {k + 1})"
    if np.unique(i).size < 2:
        return "fewer than two distinct currents"
    if np.all(r == 0):
        return "all rates are zero: no spikes, threshold and gain are not identifiable"
    if np.ptp(r) <= 1e-12 * max(float(np.max(np.abs(r))), 1e-300):
        return f"flat data: every rate equals {r[0]:g} Hz, no dependence on current to fit"
    return None


def _criteria(rss: float, n: int, k: int, known_var: bool) -> tuple[float, float, float]:
    kk = k if known_var else k + 1
    if known_var:
        aic = rss + 2 * kk
        bic = rss + kk * math.log(n)
    else:
        aic = n * math.log(rss / n) + 2 * kk
        bic = n * math.log(rss / n) + kk * math.log(n)
    aicc = aic + 2 * kk * (kk + 1) / (n - kk - 1) if n - kk - 1 > 0 else math.inf
    return aic, aicc, bic


def poorly_determined(
    names: Sequence[str], values: np.ndarray, stderr: np.ndarray, lower: np.ndarray
) -> list[str]:
    """The parameters of positive range (lower bound >= 0) whose standard error exceeds their
    value: the data hardly constrain them (a softplus whose beta has run to the rectifier
    limit, a refractory time near 0). Parameters of either sign (thresholds) are not judged
    by their relative error, which depends on where the current axis has its zero."""
    return [
        name
        for name, v, se, a in zip(names, values, stderr, lower, strict=True)
        if a >= 0 and np.isfinite(se) and se > abs(v)
    ]


def fit_curve(
    current,
    rate,
    family: str | Family,
    sem=None,
    *,
    loss: str = "linear",
    f_scale: float = 1.0,
    current_unit: str = "nA",
    absolute_sigma: bool = False,
    bootstrap: int = 0,
    ci_level: float = 0.95,
    seed: int | None = 0,
    min_r2: float = 0.5,
    max_nfev: int | None = None,
    sem_floor: float = 0.1,
    allow_negative_rates: bool = False,
) -> FitResult:
    """Fit one curve family to f-I data by bounded (robust) least squares.

    Parameters
    ----------
    current, rate
        The data: currents (array in ``current_unit`` or a Brian2 quantity) and rates (Hz).
        The point order does not matter (points are sorted by current internally).
    family
        A registered family name (see ``neuroact.compare.curves.FAMILIES``) or a ``Family``.
    sem
        Optional standard errors of the rates (Hz); the residuals are weighted by 1/sem.
        SEMs below ``sem_floor`` times the median positive SEM are raised to it (a rate of
        zero measured in every trial has SEM 0, which would otherwise get infinite weight).
    loss, f_scale
        scipy's least-squares loss (``"linear"``, ``"soft_l1"``, ``"huber"``, ``"cauchy"``,
        ``"arctan"``) and its residual scale (Hz, or in SEM units when ``sem`` is given).
    current_unit
        Unit of plain-array currents, and the unit Brian2 quantities are converted to.
    absolute_sigma
        With ``sem``: treat the SEMs as absolute (chi^2 criteria, unscaled covariance).
    bootstrap, ci_level, seed
        Number of residual-bootstrap refits for percentile intervals (0 = none).
    min_r2
        Fits with R^2 below this are marked failed ("too noisy or the wrong family").
    max_nfev
        Cap on function evaluations per start (None: scipy's default).
    sem_floor
        Relative floor of the SEMs (see ``sem``).
    allow_negative_rates
        Accept negative rates (baseline-subtracted data). By default a negative rate raises
        ``ValueError``: it is not a firing rate, and is most often a wrong column.

    Returns
    -------
    FitResult
        ``success=False`` with a ``message`` for data that cannot be fitted.
    """
    fam = get_family(family)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if not (isinstance(bootstrap, (int, np.integer)) and bootstrap >= 0):
        raise ValueError(f"bootstrap must be a non-negative integer; got {bootstrap!r}")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be in (0, 1); got {ci_level!r}")
    if not f_scale > 0:
        raise ValueError(f"f_scale must be positive; got {f_scale!r}")
    i = as_current(current, current_unit)
    r = as_rate(rate)
    s = None if sem is None else as_rate(sem)
    negative = np.isfinite(r) & (r < 0)
    if negative.any() and not allow_negative_rates:
        raise ValueError(
            f"rate has {int(negative.sum())} negative values (min {r[negative].min():g} Hz); "
            "firing rates are >= 0: pass allow_negative_rates=True for baseline-subtracted rates"
        )
    k = fam.n_params
    reason = _check_data(i, r, s, k)
    if reason is not None:
        return _failed(fam, reason, i.size, current_unit, loss)

    # sort by current so guesses and floating-point sums do not depend on the point order
    order = np.argsort(i, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    i_s, r_s = i[order], r[order]
    if s is not None:
        pos = s[s > 0]
        floor = sem_floor * (float(np.median(pos)) if pos.size else 1.0)
        w = 1.0 / np.maximum(s[order], floor)
    else:
        w = np.ones_like(r_s)

    try:
        lo, hi = (np.asarray(b, dtype=float) for b in fam.bounds(i_s, r_s))
        starts = fam.starts(i_s, r_s)
    except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return _failed(fam, f"no initial guess: {exc}", i.size, current_unit, loss)
    solution = solve(fam.func, fam.jac, i_s, r_s, w, lo, hi, starts, loss, f_scale, max_nfev)
    sol = solution.result
    if sol is None:
        why = "; ".join(solution.errors) if solution.errors else "no valid starting point"
        return _failed(fam, f"optimiser failed: {why}", i.size, current_unit, loss)

    p = sol.x
    fitted_s = fam.func(i_s, *p)
    res_s = r_s - fitted_s
    n = i.size
    rss_floor = n * (1e-10 * float(np.max(np.abs(r_s)))) ** 2
    rss = max(float(np.sum((w * res_s) ** 2)), rss_floor)
    ss_tot = float(np.sum((r_s - r_s.mean()) ** 2))
    r2 = 1.0 - float(np.sum(res_s**2)) / ss_tot
    rmse = float(np.sqrt(np.mean(res_s**2)))
    known_var = s is not None and absolute_sigma
    aic, aicc, bic = _criteria(rss, n, k, known_var)

    s2 = 1.0 if known_var else rss / max(n - k, 1)
    stderr = standard_errors(sol.jac, s2)

    # a parameter within 1e-6 of its range (or, unbounded on one side, of its scale) of a bound
    tol = 1e-6 * np.where(np.isfinite(hi - lo), hi - lo, sol.x_scale)
    at_bounds = tuple(
        name
        for name, v, a, b, t in zip(fam.params, p, lo, hi, tol, strict=True)
        if (np.isfinite(a) and v - a <= t) or (np.isfinite(b) and b - v <= t)
    )
    notes = []
    success = bool(sol.status > 0)
    if not success:
        notes.append(f"optimiser did not converge: {sol.message}")
    else:
        notes.append("converged")
    if not np.isfinite(r2) or r2 < min_r2:
        success = False
        notes.append(
            f"poor fit: R^2 = {r2:.3g} < min_r2 = {min_r2:g} (data too noisy, or the family "
            "does not describe them)"
        )
    if at_bounds:
        notes.append(f"parameters at a bound: {', '.join(at_bounds)}")
    if not np.all(np.isfinite(stderr)):
        notes.append("standard errors undefined (parameters not identifiable from these data)")
    loose = poorly_determined(fam.params, p, stderr, lo)
    if loose:
        notes.append(f"poorly determined (standard error above the value): {', '.join(loose)}")

    ci = None
    if bootstrap and success:
        ci = _bootstrap(
            fam,
            i_s,
            fitted_s,
            res_s,
            w,
            lo,
            hi,
            p,
            loss,
            f_scale,
            max_nfev,
            bootstrap,
            ci_level,
            seed,
        )

    return FitResult(
        family=fam.name,
        success=success,
        message="; ".join(notes),
        params={name: float(v) for name, v in zip(fam.params, p, strict=True)},
        stderr={name: float(v) for name, v in zip(fam.params, stderr, strict=True)},
        param_units=fam.param_units(current_unit),
        current_unit=current_unit,
        n=n,
        k=k,
        rss=rss,
        rmse=rmse,
        r2=r2,
        aic=aic,
        aicc=aicc,
        bic=bic,
        residuals=res_s[inverse],
        fitted=fitted_s[inverse],
        ci=ci,
        ci_level=ci_level if ci is not None else None,
        loss=loss,
        nfev=solution.nfev,
        n_starts=solution.n_starts,
        at_bounds=at_bounds,
    )


def _bootstrap(fam, i, fitted, res, w, lo, hi, p, loss, f_scale, max_nfev, b, level, seed):
    rng = np.random.default_rng(seed)
    draws = []
    z = w * res  # standardised residuals: exchangeable across points when sem is known
    for _ in range(b):
        r_b = fitted + rng.choice(z, size=z.size, replace=True) / w
        sol = solve(fam.func, fam.jac, i, r_b, w, lo, hi, [p], loss, f_scale, max_nfev).result
        if sol is not None and sol.status > 0:
            draws.append(sol.x)
    if len(draws) < max(10, b // 2):
        return {name: (math.nan, math.nan) for name in fam.params}
    draws = np.array(draws)
    q = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
    lo_q, hi_q = np.percentile(draws, q, axis=0)
    return {name: (float(a), float(c)) for name, a, c in zip(fam.params, lo_q, hi_q, strict=True)}


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


def fit_families(
    current,
    rate,
    families: Sequence[str | Family] | str | None = None,
    sem=None,
    *,
    criterion: str = "aic",
    **kwargs,
) -> FamilyComparison:
    """Fit several families (default: all registered) and rank them by ``criterion``.

    ``criterion`` is ``"aic"``, ``"aicc"`` or ``"bic"``; other keyword arguments go to
    :func:`fit_curve`. Failed fits are listed after the successful ones.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}")
    fams = resolve_families(families)
    results = [fit_curve(current, rate, f, sem, **kwargs) for f in fams]
    return FamilyComparison(results, criterion)
