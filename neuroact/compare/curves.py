"""Curve families for f-I data: named parameters, bounds and data-driven initial guesses.

A *family* is a parametric rate curve r(I; p) with

- ``params``: the parameter names, in the order the function takes them;
- ``units``: the kind of each parameter's unit, written with the placeholders ``{I}`` (the
  current unit the data were declared in, e.g. ``pA``) and ``Hz`` (rates are always in Hz);
- ``bounds(I, r)``: lower and upper bounds, from the data's ranges;
- ``starts(I, r)``: one or more initial guesses, best first, from the data;
- optionally ``jac``: the analytic Jacobian (otherwise finite differences are used).

Families in the registry (``FAMILIES``; add one with :func:`register_family`), under the
canonical keys of :mod:`neuroact.vocabulary` (:func:`get_family` also takes the aliases, e.g.
``rectifier`` for ``relu`` and ``logistic`` for ``sigmoid``):

relu
    r = g * max(0, I - theta). The rectifier (ReLU) with a threshold and a gain.
softplus
    r = (g / beta) * log(1 + exp(beta * (I - theta))). Tends to the rectifier as beta -> inf
    (Dugas et al. 2001; Glorot et al. 2011). Evaluated as ``logaddexp(0, z) / beta``, which
    neither overflows for large z nor loses precision for very negative z.
sigmoid
    r = r_max / (1 + exp(-(I - theta) / s)). The logistic sigmoid: saturating, with
    half-maximum current theta.
power_law
    r = k * max(0, I - theta)^n. The threshold-power-law of Priebe & Ferster's
    (2008) rate models; n = 1 is the rectifier.
lif
    The leaky integrate-and-fire rate with the reset at rest (V_reset = E_L)::

        r = 1 / (t_ref + tau * ln(I / (I - I_th)))   for I > I_th > 0, else 0,

    the Dayan & Abbott (2001, ch. 5) formula
    r = 1 / (t_ref + tau_m ln((R I + E_L - V_reset) / (R I + E_L - V_th))) with V_reset = E_L
    and I_th = (V_th - E_L) / R_m. The current is counted from the current that holds the cell
    at rest (I = 0 at V = E_L), so ``I_th > 0``. ``tau`` and ``t_ref`` are in seconds because
    rates are in Hz; ``I_th`` is in the data's current unit. The rate rises from 0 at I_th with
    a logarithmic singularity in slope and saturates at 1 / t_ref.

All functions take ``I`` as a float array in the caller's current unit and return Hz.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from neuroact.vocabulary import canonical

Array = np.ndarray

# Column names of result tables that a parameter name must not shadow.
RESERVED_NAMES = frozenset(
    {
        "family",
        "success",
        "message",
        "n_points",
        "n_params",
        "r2",
        "rmse",
        "aic",
        "aicc",
        "bic",
        "loss",
        "current_unit",
        "cell_id",
        "rank",
        "criterion",
        "delta",
        "weight",
        "model",
    }
)

__all__ = [
    "FAMILIES",
    "Family",
    "get_family",
    "register_family",
    "family_names",
    "estimate_threshold",
]


@dataclass(frozen=True)
class Family:
    """A parametric f-I curve family.

    Attributes
    ----------
    name
        Registry key (``"softplus"``), a canonical key of :mod:`neuroact.vocabulary` for the
        built-in families.
    params
        Parameter names, in the order ``func(I, *params)`` takes them.
    func
        ``func(I, *params) -> rate`` (vectorised; ``I`` a float array).
    bounds
        ``bounds(I, r) -> (lower, upper)`` arrays of length ``len(params)``.
    starts
        ``starts(I, r) -> list of initial parameter vectors``, best first.
    units
        Unit of each parameter with ``{I}`` standing for the current unit (``"Hz/{I}"``).
    formula
        The formula, for tables and figure legends.
    jac
        Optional analytic Jacobian ``jac(I, *params) -> (n, k)`` array.
    """

    name: str
    params: tuple[str, ...]
    func: Callable[..., Array]
    bounds: Callable[[Array, Array], tuple[Array, Array]]
    starts: Callable[[Array, Array], list[Array]]
    units: tuple[str, ...]
    formula: str
    jac: Callable[..., Array] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        clash = set(self.params) & RESERVED_NAMES
        if clash:
            raise ValueError(
                f"family {self.name!r}: parameter names {sorted(clash)} are reserved for fit "
                "statistics in result tables; rename them"
            )
        if len(self.units) != len(self.params):
            raise ValueError(
                f"family {self.name!r}: units has {len(self.units)} entries, "
                f"params has {len(self.params)}"
            )

    @property
    def n_params(self) -> int:
        return len(self.params)

    def __call__(self, current, *params) -> Array:
        return self.func(np.asarray(current, dtype=float), *params)

    def param_units(self, current_unit: str) -> dict[str, str]:
        """Unit of each parameter for data whose current is in ``current_unit``."""
        return {
            p: u.replace("{I}", current_unit) for p, u in zip(self.params, self.units, strict=True)
        }


FAMILIES: dict[str, Family] = {}


def register_family(family: Family, *, overwrite: bool = False) -> Family:
    """Add ``family`` to the registry (``overwrite=True`` to replace one of the same name).

    See Also
    --------
    get_family : look a family up by its key or an alias.
    """
    if not isinstance(family, Family):
        raise TypeError(f"family must be a Family; got {type(family).__name__}")
    if family.name in FAMILIES and not overwrite:
        raise ValueError(f"a family named {family.name!r} is already registered")
    FAMILIES[family.name] = family
    return family


def get_family(family: str | Family) -> Family:
    """The registered family called ``family`` (a ``Family`` passes through).

    A name is looked up as given first (a user's own family keeps its exact name), then by its
    canonical key (:func:`neuroact.vocabulary.canonical`), so the aliases ``rectifier`` and
    ``logistic`` find ``relu`` and ``sigmoid``.

    Examples
    --------
    >>> get_family("rectifier").name, get_family("Logistic").name
    ('relu', 'sigmoid')
    """
    if isinstance(family, Family):
        return family
    if not isinstance(family, str):
        raise TypeError(f"family must be a name or a Family; got {type(family).__name__}")
    found = FAMILIES.get(family) or FAMILIES.get(canonical(family))
    if found is None:
        raise ValueError(f"unknown family {family!r}; expected one of {list(FAMILIES)}")
    return found


def family_names() -> list[str]:
    """Names of the registered families, in registration order."""
    return list(FAMILIES)


# --- data-driven helpers -------------------------------------------------------------------


def _span(current: Array) -> float:
    span = float(np.ptp(current)) if current.size else 0.0
    return span if span > 0 else max(abs(float(current.max(initial=0.0))), 1.0)


def estimate_threshold(current: Array, rate: Array, frac: float = 0.05) -> float:
    """Threshold guess: midway between the last silent current and the first active one.

    "Active" means a rate above ``frac`` times the maximum rate. Points are sorted by current
    first, so the estimate does not depend on their order. If every point is active, the
    threshold is extrapolated from a straight line through the lower half of the points.
    """
    order = np.argsort(current, kind="stable")
    i, r = current[order], rate[order]
    rmax = float(np.max(r))
    if rmax <= 0:
        return float(np.median(i))
    active = r > frac * rmax
    if not active.any():
        return float(np.median(i))
    first = int(np.argmax(active))
    if first > 0:
        return 0.5 * (i[first - 1] + i[first])
    # every point active: extrapolate a line through the lower half to zero rate
    half = max(2, len(i) // 2)
    slope, intercept = np.polyfit(i[:half], r[:half], 1) if np.ptp(i[:half]) > 0 else (0, 0)
    if slope > 0:
        return float(-intercept / slope)
    return float(i[0] - 0.1 * _span(i))


def _slope_above(current: Array, rate: Array, theta: float) -> float:
    """Least-squares slope of rate on (I - theta) through the origin, points above theta."""
    x = current - theta
    m = x > 0
    if not m.any():
        return max(float(rate.max()), 1e-9) / _span(current)
    g = float(np.sum(x[m] * rate[m]) / np.sum(x[m] ** 2))
    return max(g, 1e-9)


# --- relu (the rectifier) ------------------------------------------------------------------


def relu(current: Array, g: float, theta: float) -> Array:
    """r = g * max(0, I - theta)."""
    return g * np.maximum(current - theta, 0.0)


def _relu_jac(current: Array, g: float, theta: float) -> Array:
    x = current - theta
    on = x > 0
    return np.column_stack([np.where(on, x, 0.0), np.where(on, -g, 0.0)])


def _theta_bounds(current: Array) -> tuple[float, float]:
    span = _span(current)
    return float(current.min() - 2 * span), float(current.max())


def _relu_bounds(current: Array, rate: Array) -> tuple[Array, Array]:
    lo, hi = _theta_bounds(current)
    return np.array([0.0, lo]), np.array([np.inf, hi])


def _relu_starts(current: Array, rate: Array) -> list[Array]:
    th = estimate_threshold(current, rate)
    starts = [np.array([_slope_above(current, rate, th), th])]
    # a second start from a line through the upper half (robust to a curved onset)
    i = np.sort(current)
    upper = current >= np.median(i)
    if np.ptp(current[upper]) > 0:
        slope, icpt = np.polyfit(current[upper], rate[upper], 1)
        if slope > 0:
            starts.append(np.array([slope, -icpt / slope]))
    return starts


# --- softplus ------------------------------------------------------------------------------


def softplus(current: Array, g: float, theta: float, beta: float) -> Array:
    """r = (g / beta) * log(1 + exp(beta * (I - theta))), numerically stable."""
    return (g / beta) * np.logaddexp(0.0, beta * (current - theta))


def _softplus_jac(current: Array, g: float, theta: float, beta: float) -> Array:
    x = current - theta
    sp = np.logaddexp(0.0, beta * x)
    sig = expit(beta * x)
    return np.column_stack([sp / beta, -g * sig, -g * sp / beta**2 + g * sig * x / beta])


def _softplus_bounds(current: Array, rate: Array) -> tuple[Array, Array]:
    lo, hi = _theta_bounds(current)
    span = _span(current)
    return np.array([0.0, lo, 1e-2 / span]), np.array([np.inf, hi, 1e4 / span])


def _softplus_starts(current: Array, rate: Array) -> list[Array]:
    span = _span(current)
    out = []
    for s in _relu_starts(current, rate)[:1]:
        for b in (20.0, 4.0, 100.0):
            out.append(np.array([s[0], s[1], b / span]))
    return out


# --- sigmoid (the logistic curve) ----------------------------------------------------------


def sigmoid(current: Array, r_max: float, theta: float, s: float) -> Array:
    """r = r_max / (1 + exp(-(I - theta) / s))."""
    return r_max * expit((current - theta) / s)


def _sigmoid_jac(current: Array, r_max: float, theta: float, s: float) -> Array:
    z = (current - theta) / s
    sig = expit(z)
    d = r_max * sig * (1 - sig)
    return np.column_stack([sig, -d / s, -d * z / s])


def _sigmoid_bounds(current: Array, rate: Array) -> tuple[Array, Array]:
    span = _span(current)
    rmax = max(float(np.max(np.abs(rate))), 1e-12)
    return (
        np.array([0.0, current.min() - 2 * span, 1e-4 * span]),
        np.array([20 * rmax, current.max() + 2 * span, 10 * span]),
    )


def _sigmoid_starts(current: Array, rate: Array) -> list[Array]:
    span = _span(current)
    rmax = float(np.max(rate))
    order = np.argsort(current, kind="stable")
    i, r = current[order], rate[order]
    half = i[int(np.argmax(r >= 0.5 * rmax))]
    return [
        np.array([1.1 * rmax, half, span / 8]),
        np.array([2.0 * rmax, i[-1], span / 3]),
        np.array([1.0 * rmax, half, span / 40]),
    ]


# --- threshold power law -------------------------------------------------------------------


def power_law(current: Array, k: float, theta: float, n: float) -> Array:
    """r = k * max(0, I - theta)^n."""
    return k * np.maximum(current - theta, 0.0) ** n


def _power_law_jac(current: Array, k: float, theta: float, n: float) -> Array:
    x = current - theta
    on = x > 0
    xs = np.where(on, x, 1.0)
    xn = np.where(on, xs**n, 0.0)
    return np.column_stack(
        [xn, np.where(on, -k * n * xs ** (n - 1), 0.0), np.where(on, k * xn * np.log(xs), 0.0)]
    )


def _power_law_bounds(current: Array, rate: Array) -> tuple[Array, Array]:
    lo, hi = _theta_bounds(current)
    return np.array([0.0, lo, 0.1]), np.array([np.inf, hi, 5.0])


def _power_law_starts(current: Array, rate: Array) -> list[Array]:
    th = estimate_threshold(current, rate)
    span = _span(current)
    rmax = max(float(np.max(rate)), 1e-12)
    top = max(float(current.max() - th), 1e-3 * span)
    return [np.array([rmax / top**n, th, n]) for n in (1.0, 0.5, 2.0)]


# --- leaky integrate-and-fire --------------------------------------------------------------


def lif(current: Array, tau: float, t_ref: float, i_th: float) -> Array:
    """r = 1 / (t_ref + tau * ln(I / (I - I_th))) for I > I_th, else 0 (seconds -> Hz)."""
    on = current > i_th
    safe = np.where(on, current, 2.0 * abs(i_th) + 1.0)
    # log1p form: ln(I/(I-I_th)) = log1p(I_th / (I - I_th)), accurate far above threshold
    log_term = np.log1p(i_th / (safe - i_th))
    return np.where(on, 1.0 / (t_ref + tau * log_term), 0.0)


def _lif_jac(current: Array, tau: float, t_ref: float, i_th: float) -> Array:
    on = current > i_th
    safe = np.where(on, current, 2.0 * abs(i_th) + 1.0)
    log_term = np.log1p(i_th / (safe - i_th))
    period = t_ref + tau * log_term
    inv2 = np.where(on, 1.0 / period**2, 0.0)
    # d ln(I/(I-I_th)) / d I_th = 1/(I - I_th)
    return np.column_stack([-log_term * inv2, -inv2, -tau / (safe - i_th) * inv2])


def _lif_bounds(current: Array, rate: Array) -> tuple[Array, Array]:
    imax = float(current.max())
    tiny = 1e-9 * max(abs(imax), 1e-12)
    return np.array([1e-6, 0.0, tiny]), np.array([10.0, 1.0, max(imax, 2 * tiny)])


def _lif_starts(current: Array, rate: Array) -> list[Array]:
    imax = float(current.max())
    th = estimate_threshold(current, rate)
    th = min(max(th, 1e-3 * imax), 0.999 * imax) if imax > 0 else 1.0
    rmax = max(float(np.max(rate)), 1e-9)
    i_top = current[int(np.argmax(rate))]
    log_top = np.log(i_top / (i_top - th)) if i_top > th else 1.0
    starts = []
    for frac in (0.3, 0.05, 0.7):
        t_ref = frac / rmax
        tau = max((1.0 / rmax - t_ref) / log_top, 1e-5)
        starts.append(np.array([tau, t_ref, th]))
    return starts


register_family(
    Family(
        "relu",
        ("g", "theta"),
        relu,
        _relu_bounds,
        _relu_starts,
        ("Hz/{I}", "{I}"),
        "g * max(0, I - theta)",
        _relu_jac,
    )
)
register_family(
    Family(
        "softplus",
        ("g", "theta", "beta"),
        softplus,
        _softplus_bounds,
        _softplus_starts,
        ("Hz/{I}", "{I}", "1/{I}"),
        "(g / beta) * log(1 + exp(beta * (I - theta)))",
        _softplus_jac,
    )
)
register_family(
    Family(
        "sigmoid",
        ("r_max", "theta", "s"),
        sigmoid,
        _sigmoid_bounds,
        _sigmoid_starts,
        ("Hz", "{I}", "{I}"),
        "r_max / (1 + exp(-(I - theta) / s))",
        _sigmoid_jac,
    )
)
register_family(
    Family(
        "power_law",
        ("k", "theta", "n"),
        power_law,
        _power_law_bounds,
        _power_law_starts,
        ("Hz/{I}^n", "{I}", "1"),
        "k * max(0, I - theta)^n",
        _power_law_jac,
    )
)
register_family(
    Family(
        "lif",
        ("tau", "t_ref", "i_th"),
        lif,
        _lif_bounds,
        _lif_starts,
        ("s", "s", "{I}"),
        "1 / (t_ref + tau * ln(I / (I - I_th))) for I > I_th",
        _lif_jac,
    )
)


def resolve_families(families: str | Family | Sequence[str | Family] | None) -> list[Family]:
    """A list of families from a name, a family, a sequence of them, or None (= all).

    Names may be keys or aliases (see :func:`get_family`); an unknown name raises
    ``ValueError`` before any fitting.
    """
    if families is None:
        return list(FAMILIES.values())
    if isinstance(families, (str, Family)):
        families = [families]
    out = [get_family(f) for f in families]
    if not out:
        raise ValueError("families must name at least one family; got an empty sequence")
    return out
