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

import numpy as np

from neuroact.compare.curves import Family, get_family, resolve_families
from neuroact.compare.fit_results import FamilyComparison, FitResult
from neuroact.compare.lsq import solve, standard_errors
from neuroact.compare.units import CURRENT_DENSITY_UNITS, CURRENT_UNITS, as_current, as_rate

__all__ = [
    "FitResult",
    "FamilyComparison",
    "fit_curve",
    "fit_families",
    "fit_statistics",
    "check_fit_options",
    "poorly_determined",
    "as_current",
    "as_rate",
    "CURRENT_UNITS",
    "CURRENT_DENSITY_UNITS",
]

LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")
CRITERIA = ("aic", "aicc", "bic")


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
    check_fit_options(loss, f_scale, bootstrap, ci_level)
    i, r, s = _as_data(current, rate, sem, current_unit, allow_negative_rates)
    reason = _check_data(i, r, s, fam.n_params)
    if reason is not None:
        return _failed(fam, reason, i.size, current_unit, loss)

    # sort by current so guesses and floating-point sums do not depend on the point order
    order = np.argsort(i, kind="stable")
    i_s, r_s = i[order], r[order]
    w = _weights(s, order, sem_floor)
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
    known_var = s is not None and absolute_sigma
    stats = fit_statistics(r_s, res_s, w, fam.n_params, known_var)
    s2 = 1.0 if known_var else stats["rss"] / max(i.size - fam.n_params, 1)
    stderr = standard_errors(sol.jac, s2)
    at_bounds = _at_bounds(fam.params, p, lo, hi, sol.x_scale)
    success, message = _verdict(fam, sol, stats["r2"], min_r2, at_bounds, stderr, lo)
    ci = None
    if bootstrap and success:
        ci = _bootstrap(
            fam, i_s, fitted_s, res_s, w, (lo, hi), p, loss, f_scale, max_nfev, bootstrap,
            ci_level, seed,
        )  # fmt: skip
    inverse = np.argsort(order, kind="stable")  # back to the caller's point order
    return FitResult(
        family=fam.name,
        success=success,
        message=message,
        params={name: float(v) for name, v in zip(fam.params, p, strict=True)},
        stderr={name: float(v) for name, v in zip(fam.params, stderr, strict=True)},
        param_units=fam.param_units(current_unit),
        current_unit=current_unit,
        n=i.size,
        k=fam.n_params,
        **stats,
        residuals=res_s[inverse],
        fitted=fitted_s[inverse],
        ci=ci,
        ci_level=ci_level if ci is not None else None,
        loss=loss,
        nfev=solution.nfev,
        n_starts=solution.n_starts,
        at_bounds=at_bounds,
    )


def check_fit_options(loss: str, f_scale: float, bootstrap: int, ci_level: float) -> None:
    """Raise ``ValueError`` for a loss, loss scale, bootstrap count or interval level that
    :func:`fit_curve` cannot use, naming the argument and the value given."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if not (isinstance(bootstrap, (int, np.integer)) and bootstrap >= 0):
        raise ValueError(f"bootstrap must be a non-negative integer; got {bootstrap!r}")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be in (0, 1); got {ci_level!r}")
    if not f_scale > 0:
        raise ValueError(f"f_scale must be positive; got {f_scale!r}")


def _as_data(current, rate, sem, current_unit: str, allow_negative_rates: bool):
    """Currents in ``current_unit``, rates and SEMs in Hz, as float arrays; negative rates
    refused unless allowed."""
    i = as_current(current, current_unit)
    r = as_rate(rate)
    s = None if sem is None else as_rate(sem)
    negative = np.isfinite(r) & (r < 0)
    if negative.any() and not allow_negative_rates:
        raise ValueError(
            f"rate has {int(negative.sum())} negative values (min {r[negative].min():g} Hz); "
            "firing rates are >= 0: pass allow_negative_rates=True for baseline-subtracted rates"
        )
    return i, r, s


def _weights(sem: np.ndarray | None, order: np.ndarray, sem_floor: float) -> np.ndarray:
    """1/sem in the sorted order, SEMs raised to ``sem_floor`` x their median positive value
    (a rate of zero in every trial has SEM 0); ones without SEMs."""
    if sem is None:
        return np.ones(order.size)
    pos = sem[sem > 0]
    floor = sem_floor * (float(np.median(pos)) if pos.size else 1.0)
    return 1.0 / np.maximum(sem[order], floor)


def fit_statistics(
    rate: np.ndarray, residuals: np.ndarray, weights: np.ndarray, k: int, known_var: bool
) -> dict[str, float]:
    """RSS, RMSE, R^2, AIC, AICc and BIC of a fit with ``k`` parameters (module docstring).

    RSS is weighted and floored at n (1e-10 max|r|)^2; RMSE and R^2 are unweighted.
    """
    n = rate.size
    rss_floor = n * (1e-10 * float(np.max(np.abs(rate)))) ** 2
    rss = max(float(np.sum((weights * residuals) ** 2)), rss_floor)
    ss_tot = float(np.sum((rate - rate.mean()) ** 2))
    aic, aicc, bic = _criteria(rss, n, k, known_var)
    return {
        "rss": rss,
        "rmse": float(np.sqrt(np.mean(residuals**2))),
        "r2": 1.0 - float(np.sum(residuals**2)) / ss_tot,
        "aic": aic,
        "aicc": aicc,
        "bic": bic,
    }


def _at_bounds(names, p, lo, hi, scale) -> tuple[str, ...]:
    """The parameters within 1e-6 of their range (or, unbounded on one side, of their scale)
    of a bound."""
    tol = 1e-6 * np.where(np.isfinite(hi - lo), hi - lo, scale)
    return tuple(
        name
        for name, v, a, b, t in zip(names, p, lo, hi, tol, strict=True)
        if (np.isfinite(a) and v - a <= t) or (np.isfinite(b) and b - v <= t)
    )


def _verdict(fam, sol, r2, min_r2, at_bounds, stderr, lo) -> tuple[bool, str]:
    """Whether the fit succeeded, and its message: convergence, R^2, bounds, standard errors."""
    success = bool(sol.status > 0)
    notes = ["converged" if success else f"optimiser did not converge: {sol.message}"]
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
    loose = poorly_determined(fam.params, sol.x, stderr, lo)
    if loose:
        notes.append(f"poorly determined (standard error above the value): {', '.join(loose)}")
    return success, "; ".join(notes)


def _bootstrap(fam, i, fitted, res, w, bounds, p, loss, f_scale, max_nfev, b, level, seed):
    """Residual-bootstrap percentile intervals of the parameters (module docstring)."""
    lo, hi = bounds
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
