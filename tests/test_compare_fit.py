"""Curve families and fitting: analytic LIF recovery, failure modes, properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from neuroact.compare.curves import (
    FAMILIES,
    Family,
    get_family,
    lif,
    power_law,
    register_family,
    relu,
    sigmoid,
    softplus,
)
from neuroact.compare.fit import fit_curve, fit_families

# Dayan & Abbott LIF: tau_m = 10 ms, t_ref = 2 ms, threshold current 1.5 nA.
LIF_TRUE = {"tau": 0.010, "t_ref": 0.002, "i_th": 1.5}
CURRENT_NA = np.linspace(0.0, 5.0, 41)


def _lif_data():
    return CURRENT_NA, lif(CURRENT_NA, *LIF_TRUE.values())


# --- families ------------------------------------------------------------------------------


def test_family_formulas_at_known_points():
    i = np.array([0.0, 1.0, 3.0])
    assert_allclose(relu(i, 2.0, 1.0), [0, 0, 4])
    assert_allclose(power_law(i, 2.0, 1.0, 2.0), [0, 0, 8])
    assert_allclose(sigmoid(np.array([1.0]), 10.0, 1.0, 0.5), [5.0])
    # softplus: at I = theta the value is g ln2 / beta; far above it tends to the rectifier
    assert_allclose(softplus(np.array([1.0]), 2.0, 1.0, 4.0), [2 * np.log(2) / 4])
    assert_allclose(softplus(np.array([101.0]), 2.0, 1.0, 4.0), [200.0])


def test_softplus_is_numerically_stable():
    i = np.array([-1e6, 0.0, 1e6])
    out = softplus(i, 1.0, 0.0, 1e3)
    assert np.all(np.isfinite(out))
    assert out[0] == 0.0 and out[2] == pytest.approx(1e6)


def test_lif_family_matches_theory_oracle():
    from neuroact.bio.theory import lif_rate

    expected = lif_rate(CURRENT_NA * 1e-9)  # Dayan & Abbott defaults, SI current
    assert_allclose(lif(CURRENT_NA, *LIF_TRUE.values()), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["relu", "softplus", "sigmoid", "power_law", "lif"])
def test_analytic_jacobians_match_finite_differences(name):
    fam = get_family(name)
    i = np.linspace(0.2, 5.0, 13)
    p = {
        "relu": [20.0, 1.3],
        "softplus": [20.0, 1.3, 3.0],
        "sigmoid": [100.0, 2.0, 0.7],
        "power_law": [15.0, 1.3, 1.5],
        "lif": [0.01, 0.002, 1.5],
    }[name]
    jac = fam.jac(i, *p)
    for j in range(len(p)):
        h = 1e-6 * max(abs(p[j]), 1e-3)
        up, dn = list(p), list(p)
        up[j] += h
        dn[j] -= h
        fd = (fam.func(i, *up) - fam.func(i, *dn)) / (2 * h)
        assert_allclose(jac[:, j], fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max())


def test_registry_accepts_new_family_and_rejects_duplicates():
    def line(i, a, b):
        return a * i + b

    fam = Family(
        "test_line",
        ("a", "b"),
        line,
        lambda i, r: (np.array([-np.inf, -np.inf]), np.array([np.inf, np.inf])),
        lambda i, r: [np.array([1.0, 0.0])],
        ("Hz/{I}", "Hz"),
        "a I + b",
    )
    register_family(fam)
    try:
        with pytest.raises(ValueError, match="already registered"):
            register_family(fam)
        res = fit_curve([0, 1, 2, 3], [1, 3, 5, 7], "test_line")
        assert res.success
        assert_allclose([res.params["a"], res.params["b"]], [2, 1], rtol=1e-8)
        assert res.param_units == {"a": "Hz/nA", "b": "Hz"}
    finally:
        FAMILIES.pop("test_line")
    with pytest.raises(ValueError, match="unknown family"):
        get_family("test_line")


# --- must show: noiseless and noisy LIF ----------------------------------------------------


def test_noiseless_lif_ranked_by_aic_and_parameters_recovered():
    i, r = _lif_data()
    comp = fit_families(i, r, ["relu", "softplus", "lif"], criterion="aic")
    ranked = [res.family for res in comp.ranked]
    assert ranked[0] == "lif"
    assert all(res.success for res in comp.results)
    table = comp.to_frame()
    assert list(table["family"]) == ranked
    assert np.all(np.diff(table["aic"]) >= 0)
    assert table["weight"].sum() == pytest.approx(1.0)
    fitted = comp["lif"].params
    for name, true in LIF_TRUE.items():
        assert fitted[name] == pytest.approx(true, rel=0.02), name
    assert comp["lif"].r2 > 0.999999


def test_noisy_lif_siegert_curve_fitted_by_softplus():
    from neuroact.bio.theory import siegert_rate

    i = np.linspace(0.0, 4.0, 31)  # nA
    r = siegert_rate(i * 1e-9 * 1e7, 5e-3)  # mu = R_m I with R_m = 10 MOhm; sigma = 5 mV
    res = fit_curve(i, r, "softplus")
    assert res.success
    assert res.r2 >= 0.99
    assert res.params["theta"] < 1.5  # noise lets the neuron fire below the 1.5 nA threshold


def test_lif_parameters_from_noisy_samples_within_stderr():
    i, r = _lif_data()
    rng = np.random.default_rng(3)
    noisy = r + rng.normal(0.0, 1.0, r.size)  # Gaussian noise dips below zero under threshold
    res = fit_curve(i, noisy, "lif", bootstrap=60, seed=1, allow_negative_rates=True)
    assert res.success
    for name, true in LIF_TRUE.items():
        assert abs(res.params[name] - true) < 4 * res.stderr[name], name
        lo, hi = res.ci[name]
        assert lo < res.params[name] < hi


# --- failures are results, not exceptions --------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "reason"),
    [
        (np.zeros(41), "all rates are zero"),
        (np.full(41, 7.0), "flat data"),
        (np.random.default_rng(0).normal(20.0, 5.0, 41), "poor fit"),
        (np.where(np.arange(41) == 5, np.nan, 1.0 + CURRENT_NA), "NaN"),
        (np.where(np.arange(41) == 5, np.inf, 1.0 + CURRENT_NA), "NaN or infinite"),
    ],
)
@pytest.mark.parametrize("family", sorted(["relu", "softplus", "sigmoid", "power_law", "lif"]))
def test_unfittable_data_give_failed_result_with_reason(rate, reason, family):
    res = fit_curve(CURRENT_NA, rate, family)
    assert not res.success
    assert reason in res.message
    if not res.params:  # rejected before fitting: no curve to predict from
        assert np.all(np.isnan(res.predict([1.0, 2.0])))


def test_too_few_points_and_single_current():
    res = fit_curve([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], "softplus")
    assert not res.success and "too few points" in res.message
    res = fit_curve([2.0] * 6, [0, 1, 2, 3, 4, 5], "relu")
    assert not res.success and "distinct currents" in res.message


def test_lif_cannot_fit_currents_all_below_zero():
    # the LIF family counts current from rest, so its threshold is positive
    res = fit_curve(-CURRENT_NA[::-1], 1.0 + CURRENT_NA, "lif")
    assert not res.success


# each family's parameters at unit scale, and how each scales when the current unit shrinks
# by a factor c (I -> I * c): thresholds and widths scale with c, gains with 1/c (power law:
# 1/c^n), rates and times not at all
SCALED = {
    "relu": ((20.0, 1.0), lambda c, p: (p[0] / c, p[1] * c)),
    "softplus": ((20.0, 1.0, 4.0), lambda c, p: (p[0] / c, p[1] * c, p[2] / c)),
    "sigmoid": ((80.0, 2.0, 0.5), lambda c, p: (p[0], p[1] * c, p[2] * c)),
    "power_law": ((10.0, 1.0, 1.5), lambda c, p: (p[0] / c ** p[2], p[1] * c, p[2])),
    "lif": ((0.01, 0.002, 1.5), lambda c, p: (p[0], p[1], p[2] * c)),
}


def _fit_scaled(family: str, scale: float):
    base, rescale = SCALED[family]
    true = rescale(scale, base)
    fam = get_family(family)
    i = np.linspace(0.0, 4.0, 40) * scale
    clean = fam(i, *true)
    noisy = clean + np.random.default_rng(7).normal(0.0, 0.01 * clean.max(), i.size)
    return fit_curve(i, noisy, family, allow_negative_rates=True), dict(
        zip(fam.params, true, strict=True)
    )


@pytest.mark.parametrize("scale", [1e-9, 1e-6, 1e-3, 1e3, 1e6])
@pytest.mark.parametrize("family", sorted(SCALED))
def test_current_unit_scales_recover_parameters_within_errors(family, scale):
    # the same nA-scale cell written in A (1e-9), mA, uA, pA or fA (1e6): every family gets its
    # own parameters back within finite standard errors, and no parameter is called "at a
    # bound" because it is small in that unit (a power-law k of 1e-8 Hz/fA^1.5)
    res, true = _fit_scaled(family, scale)
    assert res.success, res.message
    assert np.all(np.isfinite(list(res.stderr.values()))), res.message
    assert res.at_bounds == (), res.message
    _within_errors(res, n_se=4.0, **true)


@pytest.mark.parametrize("family", sorted(SCALED))
def test_standard_errors_do_not_depend_on_the_current_unit(family):
    # the standard errors scale with each parameter (relative errors unchanged) from A to fA;
    # not the power law's k: k = k_nA c^-n, so its relative error takes in n's, times |ln c|
    ref, _ = _fit_scaled(family, 1.0)
    for scale in (1e-9, 1e6):
        res, _ = _fit_scaled(family, scale)
        for name, value in res.params.items():
            if (family, name) == ("power_law", "k"):
                continue
            rel = res.stderr[name] / abs(value)
            assert rel == pytest.approx(ref.stderr[name] / abs(ref.params[name]), rel=1e-3)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="loss"):
        fit_curve(CURRENT_NA, CURRENT_NA, "relu", loss="l3")
    with pytest.raises(ValueError, match="same length"):
        fit_curve(CURRENT_NA, CURRENT_NA[:-1], "relu")
    with pytest.raises(ValueError, match="current_unit"):
        fit_curve(CURRENT_NA, CURRENT_NA, "relu", current_unit="furlong")
    with pytest.raises(ValueError, match="criterion"):
        fit_families(CURRENT_NA, CURRENT_NA, criterion="r2")


# --- robust losses and weights -------------------------------------------------------------


def test_robust_loss_resists_outliers():
    i = np.linspace(0, 4, 30)
    r = relu(i, 20.0, 1.0)
    r[[20, 25]] += 60.0  # two artefacts
    plain = fit_curve(i, r, "relu")
    robust = fit_curve(i, r, "relu", loss="soft_l1", f_scale=1.0)
    assert abs(robust.params["g"] - 20.0) < 0.2
    assert abs(plain.params["g"] - 20.0) > abs(robust.params["g"] - 20.0)


def test_sem_weights_down_weight_uncertain_points():
    i = np.linspace(0, 4, 30)
    r = relu(i, 20.0, 1.0)
    sem = np.full(30, 0.5)
    r[-3:] += 15.0
    sem[-3:] = 50.0  # the corrupted points are declared very uncertain
    res = fit_curve(i, r, "relu", sem, absolute_sigma=True)
    assert res.params["g"] == pytest.approx(20.0, rel=0.02)


# --- properties ----------------------------------------------------------------------------


def _within_errors(res, n_se=5.0, **true):
    """Each fitted parameter within n_se standard errors (plus 1e-6 relative) of the truth."""
    for name, value in true.items():
        tol = n_se * res.stderr[name] + 1e-6 * abs(value)
        assert abs(res.params[name] - value) <= tol, (name, res.params[name], value, tol)


PROPERTY = settings(
    max_examples=int(__import__("os").environ.get("NEUROACT_HYPOTHESIS_EXAMPLES", 25)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(
    g=st.floats(5.0, 100.0),
    theta=st.floats(0.5, 2.5),
    noise=st.floats(0.0, 0.02),
    seed=st.integers(0, 2**16),
)
def test_property_rectifier_fitted_back(g, theta, noise, seed):
    i = np.linspace(0.0, 4.0, 25)
    r = relu(i, g, theta)
    r = r + np.random.default_rng(seed).normal(0, noise * r.max(), r.size)
    res = fit_curve(i, r, "relu", allow_negative_rates=True)
    assert res.success
    _within_errors(res, g=g, theta=theta)
    if noise == 0:
        assert_allclose([res.params["g"], res.params["theta"]], [g, theta], rtol=1e-6)


@PROPERTY
@given(
    tau=st.floats(0.005, 0.03),
    t_ref=st.floats(0.001, 0.004),
    i_th=st.floats(0.5, 2.0),
    seed=st.integers(0, 2**16),
)
def test_property_lif_fitted_back(tau, t_ref, i_th, seed):
    i = np.linspace(0.0, 4.0 * i_th, 30)
    r = lif(i, tau, t_ref, i_th)
    r = r + np.random.default_rng(seed).normal(0, 0.002 * r.max(), r.size)
    res = fit_curve(i, r, "lif", allow_negative_rates=True)
    assert res.success
    _within_errors(res, tau=tau, t_ref=t_ref, i_th=i_th)
    assert res.params["i_th"] == pytest.approx(i_th, rel=0.02)


@PROPERTY
@given(
    family=st.sampled_from(["softplus", "sigmoid", "power_law"]),
    theta=st.floats(0.8, 2.0),
    shape=st.floats(0.3, 1.0),
    seed=st.integers(0, 2**16),
)
def test_property_smooth_families_fit_their_own_data(family, theta, shape, seed):
    i = np.linspace(0.0, 4.0, 40)
    params = {
        "softplus": (30.0, theta, 2.0 + 8.0 * shape),
        "sigmoid": (80.0, theta, 0.2 + 0.5 * shape),
        "power_law": (10.0, theta, 1.0 + shape),
    }[family]
    fam = get_family(family)
    clean = fam(i, *params)
    sigma = 0.01 * clean.max()
    noisy = clean + np.random.default_rng(seed).normal(0, sigma, i.size)
    res = fit_curve(i, noisy, family, allow_negative_rates=True)
    assert res.success
    # the fitted curve is within noise of the generating one, and the threshold/midpoint is back
    assert np.sqrt(np.mean((res.predict(i) - clean) ** 2)) < 1.0 * sigma
    # within a few standard errors (power law: theta and n trade off, so stderr can be wide)
    assert abs(res.params["theta"] - theta) < 5 * res.stderr["theta"] + 0.02


@PROPERTY
@given(perm_seed=st.integers(0, 2**16), family=st.sampled_from(sorted(FAMILIES)))
def test_property_invariant_to_point_order(perm_seed, family):
    i, r = _lif_data()
    r = r + np.random.default_rng(0).normal(0, 2.0, r.size)
    perm = np.random.default_rng(perm_seed).permutation(i.size)
    a = fit_curve(i, r, family, allow_negative_rates=True)
    b = fit_curve(i[perm], r[perm], family, allow_negative_rates=True)
    assert a.success == b.success
    for name in a.params:
        assert b.params[name] == pytest.approx(a.params[name], rel=1e-9, abs=1e-12)
    assert b.aic == pytest.approx(a.aic, rel=1e-9)
    assert_allclose(b.residuals, a.residuals[perm], atol=1e-9)


@PROPERTY
@given(scale=st.sampled_from([("pA", 1e3), ("nA", 1.0), ("uA", 1e-3)]))
def test_property_units_honoured_for_plain_arrays(scale):
    unit, factor = scale
    i, r = _lif_data()
    ref = fit_curve(i, r, "lif", current_unit="nA")
    res = fit_curve(i * factor, r, "lif", current_unit=unit)
    assert res.params["i_th"] == pytest.approx(ref.params["i_th"] * factor, rel=1e-6)
    assert res.params["tau"] == pytest.approx(ref.params["tau"], rel=1e-6)
    assert res.param_units["i_th"] == unit
    assert res.r2 == pytest.approx(ref.r2, abs=1e-9)


def test_brian2_quantities_are_converted():
    import brian2 as b2

    i, r = _lif_data()
    ref = fit_curve(i, r, "lif")
    res_pa = fit_curve(i * b2.nA, r * b2.Hz, "lif", current_unit="pA")
    assert res_pa.params["i_th"] == pytest.approx(1000 * ref.params["i_th"], rel=1e-6)
    assert res_pa.params["t_ref"] == pytest.approx(ref.params["t_ref"], rel=1e-6)
    assert_allclose(res_pa.predict(2.0 * b2.nA), ref.predict([2.0]), rtol=1e-9)
    with pytest.raises(TypeError, match="dimensions of a current"):
        fit_curve(i * b2.mV, r, "lif")
    with pytest.raises(TypeError, match="frequency"):
        fit_curve(i * b2.nA, r * b2.second, "lif")
    # current densities (the HH model's uA/cm2) convert between density units
    dens = fit_curve(i * b2.uA / b2.cm**2, r, "relu", current_unit="uA/cm2")
    plain = fit_curve(i, r, "relu")
    assert dens.params["theta"] == pytest.approx(plain.params["theta"], rel=1e-6)


def test_result_tables():
    i = CURRENT_NA
    noisy = softplus(i, 20.0, 1.5, 3.0) + 0.5 * np.sin(7 * i)  # dips below zero at rest
    res = fit_curve(i, noisy, "softplus", bootstrap=30, seed=2, allow_negative_rates=True)
    row = res.to_dict()
    assert row["family"] == "softplus" and row["n_points"] == 41 and row["n_params"] == 3
    assert row["ci_level"] == 0.95
    for p in ("g", "theta", "beta"):
        assert row[p] == res.params[p] and row[f"stderr_{p}"] == res.stderr[p]
        assert row[f"ci_low_{p}"] < row[p] < row[f"ci_high_{p}"]
    frame = res.to_frame().set_index("param")
    assert list(frame.index) == ["g", "theta", "beta"]
    assert frame["unit"].to_dict() == {"g": "Hz/nA", "theta": "nA", "beta": "1/nA"}
    assert_allclose(frame["value"], [res.params[p] for p in frame.index])
    # the criteria by hand: AIC = n ln(RSS/n) + 2(k+1), AICc adds 2K(K+1)/(n-K-1), K = k + 1
    n, k = 41, 3
    rss = float(np.sum(res.residuals**2))
    assert res.aic == pytest.approx(n * np.log(rss / n) + 2 * (k + 1), rel=1e-9)
    assert res.aicc == pytest.approx(res.aic + 2 * 4 * 5 / (n - 4 - 1), rel=1e-9)
    assert res.bic == pytest.approx(n * np.log(rss / n) + (k + 1) * np.log(n), rel=1e-9)
    assert res.r2 == pytest.approx(1 - rss / np.sum((noisy - noisy.mean()) ** 2))


# the true parameters of each family for the coverage test: curves with a visible threshold
# (or midpoint) inside 0-4 nA and a rate that keeps rising or saturates within the range
COVERAGE_TRUE = {
    "relu": (20.0, 1.0),
    "softplus": (20.0, 1.0, 4.0),
    "sigmoid": (80.0, 2.0, 0.5),
    "power_law": (10.0, 1.0, 1.5),
    "lif": (0.01, 0.002, 1.5),
}


@pytest.mark.parametrize("family", sorted(COVERAGE_TRUE))
def test_standard_errors_cover_the_true_parameters(family):
    """80 noisy replicates of a known curve: the truth lies within t * SE about 95% of times.

    Standard errors too small (an unscaled covariance) or too large (a wrong dof) would put
    the coverage far from 95%; the Wald intervals of these non-linear models cover 88-96%.
    """
    from scipy.stats import t as student_t

    fam, true = get_family(family), np.array(COVERAGE_TRUE[family])
    i = np.linspace(0.0, 4.0, 30)
    clean = fam(i, *true)
    rng = np.random.default_rng(1)
    q = student_t.ppf(0.975, i.size - fam.n_params)
    hits = []
    for _ in range(80):
        noisy = clean + rng.normal(0.0, 0.02 * clean.max(), i.size)
        res = fit_curve(i, noisy, family, allow_negative_rates=True)
        assert res.success, res.message
        est = np.array([res.params[p] for p in fam.params])
        se = np.array([res.stderr[p] for p in fam.params])
        hits.append(np.abs(est - true) <= q * se)
    coverage = np.mean(hits, axis=0)
    assert np.all((coverage >= 0.85) & (coverage <= 0.995)), dict(
        zip(fam.params, coverage, strict=True)
    )


def test_aliases_name_the_same_family():
    from neuroact.compare.curves import resolve_families

    assert get_family("rectifier") is get_family("relu")
    assert get_family("Logistic") is get_family("sigmoid")
    assert [f.name for f in resolve_families(["rectifier", "logistic", "lif"])] == [
        "relu",
        "sigmoid",
        "lif",
    ]
    i = np.linspace(0.0, 4.0, 20)
    old = fit_curve(i, relu(i, 20.0, 1.0), "rectifier")
    assert old.family == "relu"
    assert old.params == pytest.approx(fit_curve(i, relu(i, 20.0, 1.0), "relu").params)
    comp = fit_families(i, relu(i, 20.0, 1.0), ["rectifier", "softplus"])
    assert comp["rectifier"] is comp["relu"]


def test_negative_rates_are_refused_unless_declared():
    i = np.linspace(0.0, 4.0, 20)
    r = relu(i, 20.0, 1.0) - 5.0  # a baseline-subtracted curve: 5 Hz spontaneous rate removed
    with pytest.raises(ValueError, match=r"rate has 6 negative values \(min -5 Hz\).*allow_neg"):
        fit_curve(i, r, "relu")
    res = fit_curve(i, r, "relu", allow_negative_rates=True)
    assert res.success
    # the rising part 20 (I - 1.25) is fitted; the rectifier cannot go below zero, so the
    # negative points well below threshold keep their whole value as residual
    assert res.params["g"] == pytest.approx(20.0, rel=1e-6)
    assert res.params["theta"] == pytest.approx(1.25, abs=1e-6)
    assert_allclose(res.residuals[:6], r[:6])


def test_weighted_bootstrap_matches_the_known_variance_standard_errors():
    # a rectifier above threshold with SEMs from 0.1 to 10 Hz: resampling raw residuals would
    # lend the noisy points' residuals to the precise ones and widen every interval
    rng = np.random.default_rng(4)
    i = np.linspace(2.0, 6.0, 40)
    sem = np.geomspace(0.1, 10.0, i.size)[rng.permutation(i.size)]
    r = 20.0 * (i - 1.0) + rng.normal(0.0, sem)
    res = fit_curve(i, r, "relu", sem=sem, absolute_sigma=True, bootstrap=400, seed=5)
    assert res.success
    for name in ("g", "theta"):
        lo, hi = res.ci[name]
        assert_allclose((hi - lo) / (2 * 1.96), res.stderr[name], rtol=0.3)


def test_a_softplus_at_the_rectifier_limit_says_beta_is_poorly_determined():
    # a rectifier sampled every 20 pA: any beta above a few per pA fits it equally well, so its
    # standard error is finite (the Jacobian's columns are scaled) but far above its value
    i = np.linspace(0.0, 600.0, 31)
    r = relu(i, 0.05, 150.0) + np.random.default_rng(3).normal(0.0, 0.5, i.size)
    res = fit_curve(i, r, "softplus", current_unit="pA", allow_negative_rates=True)
    assert res.success
    assert np.isfinite(res.stderr["beta"]) and res.stderr["beta"] > res.params["beta"]
    assert "poorly determined (standard error above the value): beta" in res.message
    # the gain and threshold stay well determined
    assert res.stderr["g"] < 0.1 * res.params["g"] and res.stderr["theta"] < 20.0
    # a clearly curved softplus keeps a determined beta and no such note
    curved = softplus(i, 0.05, 150.0, 0.02) + np.random.default_rng(3).normal(0.0, 0.5, i.size)
    res = fit_curve(i, curved, "softplus", current_unit="pA", allow_negative_rates=True)
    assert res.success and "poorly determined" not in res.message
