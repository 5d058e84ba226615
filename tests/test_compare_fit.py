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
    noisy = r + rng.normal(0.0, 1.0, r.size)
    res = fit_curve(i, noisy, "lif", bootstrap=60, seed=1)
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
@pytest.mark.parametrize(
    "family", sorted(["relu", "softplus", "sigmoid", "power_law", "lif"])
)
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


def test_extreme_values_do_not_raise():
    i = np.linspace(0, 1e12, 20)
    for fam in FAMILIES:
        res = fit_curve(i, relu(i, 1e-9, 3e11), fam)
        assert isinstance(res.success, bool)


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
    res = fit_curve(i, r, "relu")
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
    res = fit_curve(i, r, "lif")
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
    res = fit_curve(i, clean + np.random.default_rng(seed).normal(0, sigma, i.size), family)
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
    a = fit_curve(i, r, family)
    b = fit_curve(i[perm], r[perm], family)
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
    i, r = _lif_data()
    res = fit_curve(i, r + 0.5 * np.sin(7 * i), "softplus", bootstrap=30, seed=2)
    row = res.to_dict()
    for key in (
        "family",
        "success",
        "r2",
        "rmse",
        "aic",
        "aicc",
        "bic",
        "g",
        "stderr_g",
        "ci_low_g",
        "ci_high_g",
    ):
        assert key in row
    frame = res.to_frame()
    assert list(frame["param"]) == ["g", "theta", "beta"]
    assert set(frame["unit"]) == {"Hz/nA", "nA", "1/nA"}
    assert res.aicc > res.aic


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
