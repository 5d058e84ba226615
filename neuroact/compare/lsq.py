"""Bounded non-linear least squares for the curve fits: starts, stopping rule, standard errors.

:func:`solve` minimises ``sum rho((w_i (f(I_i; p) - r_i))^2)`` within box bounds from a family's
starting points; :func:`standard_errors` turns the Jacobian at the optimum into standard errors.
:func:`neuroact.compare.fit.fit_curve` is the public entry point.

Several starts, and when to stop
--------------------------------
The threshold families (relu, power_law, lif) have many local minima: their slope is kinked or
singular at the threshold, so the cost changes abruptly whenever the threshold crosses a
measured current, and the interval between two currents can hold a minimum of its own. On the
44 measured cells (total current) the first start misses the best of all starts in 31 of the
220 fits (lif 12, power_law 18, relu 1); sigmoid and softplus always reach the same minimum.
So every start may be needed, but a full solve from each costs three times one solve:

1. The first start is solved with scipy's trust-region reflective method (``trf``) within
   the bounds: the fit a plain ``scipy.optimize.curve_fit`` call from that start gives.
2. Each further start is *explored* with MINPACK's Levenberg-Marquardt (``leastsq``) in
   bound-transformed coordinates (:class:`BoxTransform`, the transformation of MINUIT and
   lmfit). MINPACK iterates in compiled code: an iteration costs about 0.4 of a ``trf`` one.
3. An exploration that ends below the incumbent's cost by more than :data:`RTOL` (relative)
   is solved again with ``trf`` from its end point, and that solution becomes the incumbent.
4. **Stopping rule.** An exploration that ends at the incumbent's cost (within
   :data:`RTOL`) has found the same minimum from a second start: the fit counts as converged
   and no further start is tried ("the best minimum found twice", the simplest of the
   stopping rules of Boender & Rinnooy Kan 1987).

The reported solution is always a ``trf`` solution within the bounds. Robust losses (which
MINPACK lacks) solve every start with ``trf``.

What it costs and what it misses, on the 44 cells (``benchmarks/bench_fit.py``): 1.04x the CPU
time of a plain ``curve_fit`` loop from the first starts, against 2.7x for solving every
start with ``trf``; 492 starts tried for 220 fits instead of 616. Of the 31 fits whose first
start misses the best minimum, 20 reach it (3 power-law fits go below it); in 6 lif and 2
power-law fits every exploration returns to the first start's minimum, so the fit stays
there: against solving every start, R^2 is lower in 7 lif fits (at most by 0.0017) and 4
power-law fits (0.0024), higher in 3 power-law fits, and the same elsewhere; the median R^2
of each family is unchanged but for lif (0.98627 to 0.98568, a plain curve_fit's value).
:data:`TRF_STARTS` ``= 2`` solves the second start with ``trf`` too and recovers all but 2
fits of each (1.8x the loop).

References
----------
Boender, C. G. E. & Rinnooy Kan, A. H. G. (1987). Bayesian stopping rules for multistart global
optimization methods. *Mathematical Programming* 37, 59-80.
James, F. & Roos, M. (1975). MINUIT. *Computer Physics Communications* 10, 343-367.
Seber, G. A. F. & Wild, C. J. (1989). *Nonlinear Regression*, ch. 5. Wiley.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeResult, least_squares, leastsq

__all__ = ["RTOL", "BoxTransform", "Solution", "solve", "standard_errors", "start_and_scale"]

# Relative cost difference under which two local solutions count as the same minimum.
RTOL = 1e-6
# Starts solved with trf before the others are explored with MINPACK (module docstring).
TRF_STARTS = 1
SOLVER_ERRORS = (ValueError, np.linalg.LinAlgError, FloatingPointError)

Array = np.ndarray


def start_and_scale(p0: Array, lo: Array, hi: Array) -> tuple[Array, Array]:
    """A start moved strictly inside the bounds, and the step scale of each parameter.

    A parameter bounded on both sides is scaled by the larger of its size and 1e-3 of its
    range; an unbounded one (a gain in Hz/A is 1e-9 of the same gain in Hz/nA) by its own
    size, so that no absolute step ties the fit to one current unit.

    See Also
    --------
    solve : uses it for every start.
    """
    p0 = np.asarray(p0, dtype=float)
    finite = np.isfinite(lo) & np.isfinite(hi)
    size = np.where(np.abs(p0) > 0, np.abs(p0), 1.0)
    width = np.where(finite, hi - lo, size)
    # least_squares needs a start strictly inside the bounds
    p0 = np.clip(p0, lo + 1e-6 * width, hi - 1e-6 * width)
    scale = np.where(finite, np.maximum(np.abs(p0), 1e-3 * width), np.abs(p0))
    return p0, np.where(scale > 0, scale, 1.0)


def standard_errors(jac: Array, s2: float) -> Array:
    """Standard errors sqrt(diag(s^2 (J^T J)^-1)) from the Jacobian J of the weighted residuals.

    The pseudo-inverse comes from the SVD of J D^-1, J with its columns scaled to unit norm
    (D = diag of the column norms): a gain in Hz/A and a threshold in A differ by 1e18 in
    their columns, and the SVD of the unscaled J calls such a well-determined pair
    rank-deficient. NaN where J is not finite, a column is zero (a parameter the residuals do
    not depend on) or J D^-1 is rank-deficient (parameters not identifiable).

    References: the covariance of ``scipy.optimize.curve_fit``; Seber & Wild (1989), ch. 5.
    """
    k = jac.shape[1]
    norms = np.linalg.norm(jac, axis=0) if np.all(np.isfinite(jac)) else np.zeros(k)
    if not np.all(norms > 0):
        return np.full(k, np.nan)
    _, sv, vt = np.linalg.svd(jac / norms, full_matrices=False)
    if np.sum(sv > np.finfo(float).eps * max(jac.shape) * sv[0]) < k:
        return np.full(k, np.nan)
    cov = (vt.T / sv**2) @ vt / np.outer(norms, norms)
    return np.sqrt(np.clip(np.diag(cov) * s2, 0, None))


class BoxTransform:
    """Box bounds removed by a change of variables (James & Roos 1975; lmfit).

    On q = p / scale, with the bounds scaled alike: q = lo + (hi - lo) (sin u + 1) / 2 when
    both bounds are finite, q = lo - 1 + sqrt(u^2 + 1) with only a lower one,
    q = hi + 1 - sqrt(u^2 + 1) with only an upper one, q = u with none. Every real u maps
    inside the bounds, so an unbounded solver can search them.
    """

    def __init__(self, lo: Array, hi: Array, scale: Array) -> None:
        # a few parameters: plain Python floats are several times faster than numpy here
        self.terms = [
            (float(a / c), float(b / c), float(c)) for a, b, c in zip(lo, hi, scale, strict=True)
        ]

    def params(self, u: Array) -> tuple[Array, Array]:
        """The parameters p at u, and the diagonal of dp/du."""
        p, dp = [], []
        for x, (lo, hi, c) in zip(u.tolist(), self.terms, strict=True):
            if lo > -math.inf and hi < math.inf:
                half = (hi - lo) / 2
                p.append(c * (lo + half * (math.sin(x) + 1)))
                dp.append(c * half * math.cos(x))
            elif lo > -math.inf or hi < math.inf:
                sign, edge = (1.0, lo) if lo > -math.inf else (-1.0, hi)
                root = math.sqrt(x * x + 1)
                p.append(c * (edge + sign * (root - 1)))
                dp.append(c * sign * x / root)
            else:
                p.append(c * x)
                dp.append(c)
        return np.array(p), np.array(dp)

    def free(self, p: Array) -> Array:
        """The u that maps to p (p inside the bounds)."""
        u = []
        for x, (lo, hi, c) in zip(p.tolist(), self.terms, strict=True):
            q = x / c
            if lo > -math.inf and hi < math.inf:
                u.append(math.asin(min(1.0, max(-1.0, 2 * (q - lo) / (hi - lo) - 1))))
            elif lo > -math.inf or hi < math.inf:
                edge = lo if lo > -math.inf else hi
                u.append(math.sqrt(max((abs(q - edge) + 1) ** 2 - 1, 0.0)))
            else:
                u.append(q)
        return np.array(u)


@dataclass
class Solution:
    """The best ``trf`` solution (None if every start failed), the work done, the errors."""

    result: OptimizeResult | None
    n_starts: int = 0
    nfev: int = 0
    errors: list[str] = field(default_factory=list)


def _trf(resid, jac, p0, lo, hi, scale, loss, f_scale, max_nfev) -> OptimizeResult:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return least_squares(
            resid,
            p0,
            jac=jac,
            bounds=(lo, hi),
            method="trf",
            loss=loss,
            f_scale=f_scale,
            x_scale=scale,
            max_nfev=max_nfev,
        )


def _explore(resid, jac, p0, lo, hi, scale, max_nfev) -> tuple[Array, float, int]:
    """MINPACK Levenberg-Marquardt from p0 in bound-transformed coordinates: the end point, its
    cost (inf if it failed) and the number of evaluations."""
    box = BoxTransform(lo, hi, scale)

    def free_resid(u):
        return resid(box.params(u)[0])

    def free_jac(u):
        p, dp = box.params(u)
        return jac(p) * dp

    # leastsq: MINPACK called directly, without least_squares' per-evaluation wrappers
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        u, _, info, _, status = leastsq(
            free_resid,
            box.free(p0),
            Dfun=free_jac if callable(jac) else None,
            full_output=True,
            maxfev=max_nfev or 0,
        )
    p = np.clip(box.params(u)[0], lo, hi)
    fun = info["fvec"]
    ok = status in (1, 2, 3, 4) and np.all(np.isfinite(fun)) and np.all(np.isfinite(p))
    return p, 0.5 * float(fun @ fun) if ok else math.inf, int(info["nfev"])


def solve(
    func: Callable[..., Array],
    dfunc: Callable[..., Array] | None,
    current: Array,
    rate: Array,
    weights: Array,
    lo: Array,
    hi: Array,
    starts: Sequence[Array],
    loss: str = "linear",
    f_scale: float = 1.0,
    max_nfev: int | None = None,
) -> Solution:
    """Minimise the weighted residuals ``weights * (func(current, *p) - rate)`` within [lo, hi].

    Parameters
    ----------
    func, dfunc
        The curve ``func(I, *p)`` and its Jacobian ``dfunc(I, *p) -> (n, k)`` (None: finite
        differences).
    current, rate, weights
        The data and the weight of each point (1/sem, or ones).
    lo, hi
        Bounds of the parameters (``-inf``/``inf`` where there is none).
    starts
        Starting points, best first; starts with a non-finite value are skipped.
    loss, f_scale, max_nfev
        As in ``scipy.optimize.least_squares`` (``max_nfev`` per start).

    Returns
    -------
    Solution
        The best ``trf`` solution over the starts tried (module docstring: the stopping rule),
        how many starts were tried, the evaluations spent and the errors met.

    See Also
    --------
    neuroact.compare.fit.fit_curve : the public fit built on it.
    """

    def resid(p):
        return weights * (func(current, *p) - rate)

    jac: str | Callable[[Array], Array] = "2-point"
    if dfunc is not None:

        def jac(p):
            return weights[:, None] * dfunc(current, *p)

    # costs this small relative to the zero curve's are exact fits: equal for the stopping rule
    atol = 1e-12 * 0.5 * float(np.sum((weights * rate) ** 2))
    out = Solution(None)
    for p0 in starts:
        p0 = np.asarray(p0, dtype=float)
        if not np.all(np.isfinite(p0)):
            continue
        p0, scale = start_and_scale(p0, lo, hi)
        out.n_starts += 1
        best = math.inf if out.result is None else float(out.result.cost)
        try:
            if out.n_starts > TRF_STARTS and best < math.inf and loss == "linear":
                p, cost, nfev = _explore(resid, jac, p0, lo, hi, scale, max_nfev)
                out.nfev += nfev
                if abs(cost - best) <= RTOL * best + atol:
                    break  # the same minimum from a second start: converged
                if not cost < best * (1 - RTOL):
                    continue
                p0, scale = start_and_scale(p, lo, hi)
            sol = _trf(resid, jac, p0, lo, hi, scale, loss, f_scale, max_nfev)
        except SOLVER_ERRORS as exc:
            out.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        out.nfev += int(sol.nfev)
        if not np.all(np.isfinite(sol.fun)):
            out.errors.append("non-finite residuals at the solution")
            continue
        sol.x_scale = scale
        if sol.cost < best:
            out.result = sol
        elif abs(sol.cost - best) <= RTOL * best + atol:
            break  # the same minimum from a second start: converged
    return out
