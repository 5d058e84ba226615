"""Spreads and intervals against scipy and hand-computed values; too-small samples say so."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from neuroact.stats import (
    TOO_FEW,
    Estimate,
    bootstrap_difference,
    bootstrap_interval,
    mean_interval,
    mean_interval_from_stats,
    mean_sd,
    mean_sd_text,
    welch_difference,
    welch_difference_from_stats,
)


@pytest.fixture(autouse=True)
def _no_warnings():
    # a division by zero or a NaN quantile shows up as a RuntimeWarning: fail on any
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_mean_sd_drops_non_finite_values_and_formats_like_the_report():
    s = mean_sd([1.0, 3.0, np.nan, np.inf])
    assert (s.mean, s.n) == (2.0, 2) and s.sd == pytest.approx(math.sqrt(2))
    assert mean_sd_text([0.0158, 0.0152, 0.0169, 0.0157], 100, 2, "%") == "1.59 ± 0.07% (n=4)"
    assert mean_sd_text([0.797], 100, 1, "%") == "79.7% (n=1)"
    assert mean_sd_text([np.nan]) == "n/a" and math.isnan(mean_sd([]).mean)
    # a spread that would read 0.00 gets the decimals that show it
    assert mean_sd_text([0.6593, 0.6633]) == "0.661 ± 0.003 (n=2)"


def test_mean_interval_is_students_t_interval():
    # mean 2, sd 1, se 1/sqrt(3), t(0.975, 2) = 4.302653: 2 ± 2.484138
    est = mean_interval([1.0, 2.0, 3.0])
    assert_allclose([est.low, est.high], [2 - 2.484138, 2 + 2.484138], rtol=1e-6)
    ref = stats.ttest_1samp([1.0, 2.0, 3.0], 0).confidence_interval(0.95)
    assert_allclose([est.low, est.high], [ref.low, ref.high])
    assert est.interval_text() == "95% CI -0.48 to 4.48" and (est.df, est.n) == (2.0, (3,))
    est90 = mean_interval_from_stats(2.0, 1.0, 3, level=0.9)
    assert est90.interval_text().startswith("90% CI") and est90.high < est.high


@pytest.mark.parametrize(
    "values, reason",
    [([4.4], "fewer than 2"), ([], "fewer than 2"), ([1.2, 1.2, 1.2], "no spread"),
     ([np.nan, 3.0], "fewer than 2")],
)  # fmt: skip
def test_mean_interval_with_too_few_points_has_no_interval(values, reason):
    est = mean_interval(values)
    assert not est.has_interval and reason in est.reason
    assert math.isnan(est.low) and math.isnan(est.high)
    assert est.interval_text() == TOO_FEW == "n too small for an interval"


def test_mean_interval_from_nan_summary_statistics():
    assert "not a number" in mean_interval_from_stats(np.nan, 1.0, 3).reason
    assert "not a number" in mean_interval_from_stats(2.0, np.nan, 3).reason
    assert "fewer than 2" in mean_interval_from_stats(2.0, 1.0, np.nan).reason  # n unknown


def test_welch_difference_matches_scipy_and_the_satterthwaite_formula():
    a, b = [1.51, 1.47, 1.58, 1.49], [1.39, 1.32, 1.46]
    est = welch_difference(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert_allclose([est.low, est.high], list(ref.confidence_interval(0.95)))
    assert_allclose(est.p_value, ref.pvalue)
    va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 3
    assert_allclose(est.se, math.sqrt(va + vb))
    assert_allclose(est.df, (va + vb) ** 2 / (va**2 / 3 + vb**2 / 2))
    assert est.n == (4, 3) and est.value == pytest.approx(np.mean(a) - np.mean(b))


def test_welch_from_summary_statistics_of_table1():
    # MNIST, ReLU, 3 seeds each: 1.51 ± 0.0608 without, 1.39 ± 0.0624 with pre-training
    est = welch_difference_from_stats(1.51, 0.0608, 3, 1.39, 0.0624, 3)
    se = math.sqrt(0.0608**2 / 3 + 0.0624**2 / 3)
    df = se**4 / ((0.0608**2 / 3) ** 2 / 2 + (0.0624**2 / 3) ** 2 / 2)
    assert_allclose([est.value, est.se, est.df], [0.12, se, df])
    assert_allclose(est.high - 0.12, stats.t.ppf(0.975, df) * se)
    assert est.text(signed=True) == "+0.12 ± 0.05 (95% CI -0.02 to +0.26)"


def test_welch_with_one_side_without_spread_uses_the_other_sides_df():
    est = welch_difference_from_stats(2.0, 0.0, 5, 1.0, 0.5, 4)
    assert est.has_interval and est.df == pytest.approx(3.0)
    assert_allclose(est.high - 1.0, stats.t.ppf(0.975, 3) * 0.5 / 2)


@pytest.mark.parametrize(
    "args, reason",
    [((4.4, np.nan, 1, 3.5, np.nan, 1), "fewer than 2 observations on a side (n=1 and 1)"),
     ((1.5, 0.06, 3, 1.4, np.nan, 1), "n=3 and 1"),
     ((1.5, 0.0, 3, 1.4, 0.0, 3), "no spread on either side"),
     ((np.nan, 0.1, 3, 1.4, 0.1, 3), "not a number"),
     ((1.5, 0.1, np.nan, 1.4, 0.1, 3), "fewer than 2")],
)  # fmt: skip
def test_welch_with_too_few_points_has_no_interval(args, reason):
    est = welch_difference_from_stats(*args)
    assert reason in est.reason and not est.has_interval
    assert math.isnan(est.se) or not est.has_interval
    assert est.text(signed=True).endswith(f"({TOO_FEW})")


def test_bootstrap_difference_agrees_with_welch_on_large_normal_samples():
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 1.0, 400), rng.normal(0.5, 2.0, 300)
    boot, welch = bootstrap_difference(a, b, n_resamples=4000, seed=2), welch_difference(a, b)
    assert boot.value == pytest.approx(welch.value)
    assert_allclose([boot.low, boot.high], [welch.low, welch.high], atol=0.05)
    assert boot.se == pytest.approx(welch.se, rel=0.1)
    assert bootstrap_difference(a, b, seed=3) == bootstrap_difference(a, b, seed=3)


def test_bootstrap_of_a_median_on_one_sample():
    est = bootstrap_interval(([3.0, 1.0, 2.0, 5.0, 4.0],), np.median, n_resamples=500)
    assert est.value == 3.0 and 1.0 <= est.low <= 3.0 <= est.high <= 5.0


@pytest.mark.parametrize(
    "a, b, reason",
    [([1.0], [2.0, 3.0], "fewer than 2"), ([2.0, 2.0], [1.0, 1.0, 1.0], "no spread"),
     ([np.nan, 1.0], [1.0, 2.0], "fewer than 2")],
)  # fmt: skip
def test_bootstrap_with_too_few_points_has_no_interval(a, b, reason):
    est = bootstrap_difference(a, b)
    assert reason in est.reason and est.interval_text() == TOO_FEW


@pytest.mark.parametrize(
    "call, match",
    [(lambda: mean_interval([1.0, 2.0], level=1.5), "level must be a confidence level"),
     (lambda: mean_interval_from_stats(1.0, -0.1, 3), "sd must be a standard deviation"),
     (lambda: welch_difference_from_stats(1.0, 0.1, -2, 1.0, 0.1, 3), "n1 must be a count"),
     (lambda: mean_sd([[1.0, 2.0], [3.0, 4.0]]), "one-dimensional"),
     (lambda: bootstrap_difference([1, 2], [3, 4], method="normal"), "method must be one of"),
     (lambda: bootstrap_difference([1, 2], [3, 4], n_resamples=0), "n_resamples")],
)  # fmt: skip
def test_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_numbers_raise_type_errors():
    with pytest.raises(TypeError, match="values must be numbers"):
        mean_sd(["a", "b"])
    with pytest.raises(TypeError, match="sd1 and n1 must be numbers"):
        welch_difference_from_stats(1.0, "0.1", 3, 1.0, 0.1, 3)


def test_estimate_text_without_se():
    assert Estimate(2.5, 1.0, 4.0).text() == "2.50 (95% CI 1.00 to 4.00)"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=20),
    st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=20),
)
def test_welch_interval_matches_scipy_whenever_both_samples_have_spread(a, b):
    est = welch_difference(a, b)
    if np.ptp(a) < 1e-6 or np.ptp(b) < 1e-6:  # near-constant: scipy's own answer is unstable
        return
    ref = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert est.low <= est.value <= est.high
    assert_allclose([est.low, est.high], [ref.low, ref.high], rtol=1e-7, atol=1e-9)


def test_welch_df_survives_variances_whose_squares_underflow():
    # sd 2e-119: sd^4 underflows to 0, which made the textbook df formula divide 0 by 0; with
    # equal spreads and n = 3 on each side the Welch-Satterthwaite df is exactly 4
    est = welch_difference_from_stats(1.0, 2e-119, 3, 0.0, 2e-119, 3)
    assert est.df == pytest.approx(4.0) and est.low <= est.value == 1.0 <= est.high
