"""Summary statistics and confidence intervals, with an explicit answer when n is too small.

One module for the spreads and intervals that the claims, the report and the experiments quote:

- :func:`mean_sd` and :func:`mean_sd_text`: mean ± standard deviation (ddof = 1) of the finite
  values, with their count ("1.59 ± 0.07% (n=4)");
- :func:`mean_interval` and :func:`mean_interval_from_stats`: a mean with its Student t interval;
- :func:`welch_difference` and :func:`welch_difference_from_stats`: the difference of two means
  with the Welch standard error, the Welch-Satterthwaite degrees of freedom and the t interval;
- :func:`bootstrap_interval` and :func:`bootstrap_difference`: percentile (or BCa) bootstrap
  intervals of any statistic of one or more samples.

Every interval comes back as an :class:`Estimate`. Where the data cannot give one (fewer than two
finite observations on a side, no spread where the method divides by it, NaN summary statistics)
the estimate keeps its point value, leaves the interval NaN, says why in ``reason`` and renders
as ``"n too small for an interval"``: never a division by zero, never an interval from too few
points. The quantiles, tests and resampling are scipy.stats'; what is written out here is the
bookkeeping of those too-small cases, which scipy answers with warnings and NaN (or, for a
constant sample, a zero-width interval).

References
----------
Welch BL (1947) The generalization of "Student's" problem when several different population
variances are involved. Biometrika 34:28-35. Satterthwaite FE (1946) An approximate distribution
of estimates of variance components. Biometrics Bull 2:110-114. Efron B, Tibshirani RJ (1993)
An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

TOO_FEW = "n too small for an interval"
"""How an estimate without an interval renders, whatever the detailed ``reason``."""

BOOTSTRAP_METHODS = ("percentile", "basic", "BCa")


@dataclass(frozen=True)
class MeanSD:
    """Mean, standard deviation (ddof = 1; NaN for n < 2) and count of the finite values."""

    mean: float
    sd: float
    n: int

    def text(self, scale: float = 1.0, digits: int = 2, unit: str = "") -> str:
        """``"mean ± sd<unit> (n=N)"``, ``"value<unit> (n=1)"`` or ``"n/a"`` with no values.

        ``scale`` multiplies both numbers (100 turns fractions into percent).
        """
        if self.n == 0:
            return "n/a"
        if not math.isfinite(self.sd):
            return f"{self.mean * scale:.{digits}f}{unit} (n={self.n})"
        d = spread_digits(self.sd * scale, digits)
        return f"{self.mean * scale:.{d}f} ± {self.sd * scale:.{d}f}{unit} (n={self.n})"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval, or the reason it has none.

    Attributes
    ----------
    value : the point estimate (a mean, a difference of means, any statistic).
    low, high : the interval's ends at confidence ``level``; NaN when there is no interval.
    level : the confidence level, in (0, 1).
    se : standard error of ``value`` (for the bootstrap, the sd of the resampled statistic).
    df : degrees of freedom of the t quantile (NaN where none).
    n : the number of finite observations behind each sample.
    method : how the interval was made ("t", "welch", "bootstrap-percentile", ...).
    reason : why there is no interval ("" when there is one).
    p_value : two-sided p-value of the test against zero difference, where the method has one.
    """

    value: float
    low: float = math.nan
    high: float = math.nan
    level: float = 0.95
    se: float = math.nan
    df: float = math.nan
    n: tuple[int, ...] = ()
    method: str = ""
    reason: str = ""
    p_value: float = math.nan

    @property
    def has_interval(self) -> bool:
        """True when the estimate carries a finite interval."""
        return not self.reason and math.isfinite(self.low) and math.isfinite(self.high)

    def interval_text(self, digits: int = 2, signed: bool = False, unit: str = "") -> str:
        """``"95% CI low to high"`` (``+`` signs with ``signed``), or :data:`TOO_FEW`."""
        if not self.has_interval:
            return TOO_FEW
        fmt = f"{'+' if signed else ''}.{digits}f"
        return f"{100 * self.level:g}% CI {self.low:{fmt}}{unit} to {self.high:{fmt}}{unit}"

    def text(self, digits: int = 2, signed: bool = False, unit: str = "") -> str:
        """``"value ± se (95% CI low to high)"``; the ``± se`` part only where there is an SE."""
        fmt = f"{'+' if signed else ''}.{digits}f"
        se = f" ± {self.se:.{digits}f}" if self.has_interval and math.isfinite(self.se) else ""
        return f"{self.value:{fmt}}{unit}{se} ({self.interval_text(digits, signed, unit)})"


def spread_digits(sd: float, digits: int = 2) -> int:
    """Decimals to print a mean and its spread ``sd`` with: ``digits``, or up to two more where
    the sd would read 0, so that it shows one significant digit ("0.661 ± 0.003", not
    "0.66 ± 0.00"). A spread below that (rounding noise of identical values) keeps ``digits``.

    Examples
    --------
    >>> spread_digits(0.08), spread_digits(0.0028), spread_digits(0.00096), spread_digits(1e-17)
    (2, 3, 3, 2)
    """
    if not math.isfinite(sd) or sd <= 0 or sd >= 10.0**-digits:
        return digits
    d = -math.floor(math.log10(sd))
    if round(sd, d) >= 10.0 ** (1 - d):  # 0.00096 rounds to 0.001: one decimal fewer
        d -= 1
    return d if d <= digits + 2 else digits


def finite_values(values: Sequence[float] | np.ndarray, name: str = "values") -> np.ndarray:
    """The finite entries of a one-dimensional array of numbers (NaN and inf dropped).

    Raises TypeError for anything that is not numbers and ValueError for more than one dimension.
    """
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numbers; got {type(values).__name__} ({err})") from None
    if array.ndim > 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {array.shape}")
    return array[np.isfinite(array)].ravel()


def mean_sd(values: Sequence[float] | np.ndarray) -> MeanSD:
    """Mean and sample standard deviation (ddof = 1) of the finite ``values``.

    NaN and inf are left out and not counted. With one value the sd is NaN (one observation has
    no spread); with none the mean is NaN too.

    See Also
    --------
    mean_sd_text : the same as text; mean_interval : the mean's t interval.
    """
    v = finite_values(values)
    mean = float(v.mean()) if v.size else math.nan
    sd = float(v.std(ddof=1)) if v.size > 1 else math.nan
    return MeanSD(mean, sd, int(v.size))


def mean_sd_text(
    values: Sequence[float] | np.ndarray, scale: float = 1.0, digits: int = 2, unit: str = ""
) -> str:
    """``"mean ± sd<unit> (n=N)"`` of the finite ``values`` (see :meth:`MeanSD.text`)."""
    return mean_sd(values).text(scale, digits, unit)


def _check_level(level: float) -> None:
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise ValueError(f"level must be a confidence level in (0, 1), e.g. 0.95; got {level!r}")


def _check_summary(name: str, sd: float, n: float) -> None:
    if not isinstance(sd, int | float | np.number) or not isinstance(n, int | float | np.number):
        raise TypeError(
            f"sd{name} and n{name} must be numbers; got {type(sd).__name__} and {type(n).__name__}"
        )
    if sd < 0:
        raise ValueError(f"sd{name} must be a standard deviation >= 0; got {sd!r}")
    if n < 0:
        raise ValueError(f"n{name} must be a count >= 0; got {n!r}")


def _count(n: float) -> int:
    """A count from a table (3, 3.0, NaN); NaN counts as no observations."""
    return int(n) if math.isfinite(n) else 0


def mean_interval_from_stats(mean: float, sd: float, n: float, level: float = 0.95) -> Estimate:
    """The mean with its Student t interval, from summary statistics.

    Definition: ``mean ± t_{(1+level)/2, n-1} * sd / sqrt(n)`` (scipy.stats.t).

    No interval (``reason`` set, renders as :data:`TOO_FEW`) when ``n < 2``, ``sd`` is 0 (a
    zero-width interval would claim certainty that n observations cannot give) or any input is
    NaN.

    See Also
    --------
    mean_interval : from the observations; bootstrap_interval : without the normal model.
    """
    _check_level(level)
    _check_summary("", sd, n)
    count = _count(n)
    base = dict(value=float(mean), level=level, n=(count,), method="t")
    if count < 2:
        return Estimate(**base, reason=f"fewer than 2 observations (n={count})")
    if not (math.isfinite(mean) and math.isfinite(sd)):
        return Estimate(**base, reason="mean or sd is not a number")
    if sd == 0:
        return Estimate(**base, reason="no spread (sd = 0)")
    se = sd / math.sqrt(count)
    low, high = stats.t.interval(level, count - 1, loc=mean, scale=se)
    return Estimate(**base, low=float(low), high=float(high), se=se, df=count - 1.0)


def mean_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Estimate:
    """The mean of the finite ``values`` with its Student t interval.

    Definition and too-small cases as in :func:`mean_interval_from_stats`.

    Examples
    --------
    >>> mean_interval([1.0, 2.0, 3.0]).interval_text()
    '95% CI -0.48 to 4.48'
    >>> mean_interval([1.0]).interval_text()
    'n too small for an interval'
    """
    s = mean_sd(values)
    return mean_interval_from_stats(s.mean, 0.0 if s.n < 2 else s.sd, s.n, level)


def welch_difference_from_stats(
    mean1: float,
    sd1: float,
    n1: float,
    mean2: float,
    sd2: float,
    n2: float,
    level: float = 0.95,
) -> Estimate:
    """Difference ``mean1 - mean2`` of two independent means, with Welch's t interval.

    Definition: ``se = sqrt(sd1^2/n1 + sd2^2/n2)``; the Welch-Satterthwaite degrees of freedom
    ``df = se^4 / ((sd1^2/n1)^2/(n1-1) + (sd2^2/n2)^2/(n2-1))``; the interval is
    ``(mean1 - mean2) ± t_{(1+level)/2, df} * se`` (Welch 1947; Satterthwaite 1946). The
    p-value is scipy.stats.ttest_ind_from_stats(..., equal_var=False)'s.

    No interval (``reason`` set) when either side has fewer than 2 observations, both sides have
    zero spread (then se = 0 and df is 0/0) or any input is NaN. One side without spread is fine:
    the interval then rests on the other side's spread alone.

    See Also
    --------
    welch_difference : from the observations; bootstrap_difference : by resampling.
    """
    _check_level(level)
    _check_summary("1", sd1, n1)
    _check_summary("2", sd2, n2)
    c1, c2 = _count(n1), _count(n2)
    base = dict(value=float(mean1 - mean2), level=level, n=(c1, c2), method="welch")
    if min(c1, c2) < 2:
        return Estimate(**base, reason=f"fewer than 2 observations on a side (n={c1} and {c2})")
    if not all(math.isfinite(x) for x in (mean1, sd1, mean2, sd2)):
        return Estimate(**base, reason="a mean or sd is not a number")
    v1, v2 = sd1**2 / c1, sd2**2 / c2
    if v1 + v2 == 0:
        return Estimate(**base, reason="no spread on either side (sd = 0)")
    se = math.sqrt(v1 + v2)
    # the same df written in each side's share of the variance: free of the squares of tiny
    # variances, which underflow to 0 (a 0/0 for sd ~ 1e-119)
    w1, w2 = v1 / (v1 + v2), v2 / (v1 + v2)
    df = 1.0 / (w1**2 / (c1 - 1) + w2**2 / (c2 - 1))
    low, high = stats.t.interval(level, df, loc=mean1 - mean2, scale=se)
    p = stats.ttest_ind_from_stats(mean1, sd1, c1, mean2, sd2, c2, equal_var=False).pvalue
    return Estimate(**base, low=float(low), high=float(high), se=se, df=df, p_value=float(p))


def welch_difference(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, level: float = 0.95
) -> Estimate:
    """Difference of the means of two samples (``mean(a) - mean(b)``), Welch's t interval.

    The same interval as ``scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval``,
    with the too-small cases of :func:`welch_difference_from_stats`. NaN and inf are left out.
    """
    s1, s2 = mean_sd(a), mean_sd(b)
    sd1 = 0.0 if s1.n < 2 else s1.sd
    sd2 = 0.0 if s2.n < 2 else s2.sd
    return welch_difference_from_stats(s1.mean, sd1, s1.n, s2.mean, sd2, s2.n, level)


def bootstrap_interval(
    samples: Sequence[Sequence[float] | np.ndarray],
    statistic: Callable[..., float],
    level: float = 0.95,
    n_resamples: int = 2000,
    method: str = "percentile",
    seed: int | None = 0,
) -> Estimate:
    """A statistic of one or more independent samples with its bootstrap interval.

    Definition: resample each sample with replacement (cases, independently), recompute
    ``statistic(*samples)`` ``n_resamples`` times and take the ``level`` interval of that
    distribution (Efron & Tibshirani 1993; scipy.stats.bootstrap, ``method`` "percentile",
    "basic" or "BCa"). ``statistic`` takes one array per sample and an ``axis`` keyword.

    No interval (``reason`` set) when a sample has fewer than 2 finite values (resampling one
    value gives it back every time) or when every sample is constant (a zero-width interval).

    See Also
    --------
    bootstrap_difference : the difference of two means.
    """
    _check_level(level)
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(f"method must be one of {BOOTSTRAP_METHODS}; got {method!r}")
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer; got {n_resamples!r}")
    if not callable(statistic):
        raise TypeError(f"statistic must be callable; got {type(statistic).__name__}")
    data = [finite_values(s, f"samples[{i}]") for i, s in enumerate(samples)]
    if not data:
        raise ValueError("samples must hold at least one sample; got none")
    sizes = tuple(int(d.size) for d in data)
    value = float(statistic(*data, axis=-1)) if min(sizes) > 0 else math.nan
    base = dict(value=value, level=level, n=sizes, method=f"bootstrap-{method}")
    if min(sizes) < 2:
        return Estimate(**base, reason=f"fewer than 2 observations in a sample (n={sizes})")
    if all(np.ptp(d) == 0 for d in data):
        return Estimate(**base, reason="no spread in any sample")
    result = stats.bootstrap(
        data,
        statistic,
        n_resamples=n_resamples,
        confidence_level=level,
        method=method,
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return Estimate(**base, low=float(low), high=float(high), se=float(result.standard_error))


def _difference_of_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def bootstrap_difference(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    level: float = 0.95,
    n_resamples: int = 2000,
    method: str = "percentile",
    seed: int | None = 0,
) -> Estimate:
    """``mean(a) - mean(b)`` with a bootstrap interval, resampling each sample's cases.

    See :func:`bootstrap_interval` for the definition and the too-small cases; the Welch
    interval (:func:`welch_difference`) is the parametric alternative.
    """
    return bootstrap_interval((a, b), _difference_of_means, level, n_resamples, method, seed)
