"""Analytic oracles: the LIF rate, Siegert's rate and the Brunel network's mean-field rate."""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms, mV, nA, ohm, second
from numpy.testing import assert_allclose

from neuroact.bio.network import BrunelConfig
from neuroact.bio.neurons import get_model
from neuroact.bio.theory import lif_parameters, lif_rate, mean_field_rate, siegert_rate


def test_lif_rate_matches_formula_and_threshold():
    current = np.array([0.0, 1.0, 1.5, 2.0, 3.0]) * nA
    rate = lif_rate(current)
    # by hand: R I = 20 mV -> ISI = 2 ms + 10 ms ln(20 / 5)
    assert_allclose(rate[3], 1 / (2e-3 + 10e-3 * np.log(20 / 5)), rtol=1e-12)
    assert_allclose(rate[4], 1 / (2e-3 + 10e-3 * np.log(30 / 15)), rtol=1e-12)
    assert np.all(rate[:3] == 0)  # at and below the 1.5 nA threshold current
    # plain SI floats give the same numbers as quantities
    assert_allclose(lif_rate(np.asarray(current)), rate)
    with pytest.raises(TypeError, match="current"):
        lif_rate(3 * mV)


def test_oracles_read_the_models_parameters():
    # the defaults are the registered LIF's own numbers, not a copy
    lif = get_model("lif")
    assert lif_parameters() == {k: float(lif.params[k]) for k in lif_parameters()}
    slow = get_model("lif", tau_m=20 * ms, R_m=20e6 * ohm)
    # by hand: R I = 20 MOhm x 1 nA = 20 mV -> ISI = 2 ms + 20 ms ln(20 / 5)
    expected = 1 / (2e-3 + 20e-3 * np.log(20 / 5))
    assert lif_rate(1 * nA, model=slow) == pytest.approx(expected, rel=1e-12)
    assert lif_rate(1 * nA, tau_m=20 * ms, R_m=20e6 * ohm) == pytest.approx(expected, rel=1e-12)
    assert lif_rate(1 * nA, tau_m=0.02, R_m=2e7) == pytest.approx(expected, rel=1e-12)  # SI
    # threshold current (V_th - E_L) / R_m: 0.75 nA for R_m = 20 MOhm
    assert lif_rate(np.array([0.75, 0.76]) * nA, model=slow)[0] == 0
    assert lif_rate(np.array([0.75, 0.76]) * nA, model=slow)[1] > 0
    # Siegert with the noisy model's parameters equals Siegert with the same numbers by hand
    noisy = get_model("noisy_lif", tau_m=20 * ms)
    assert siegert_rate(14 * mV, 3 * mV, model=noisy) == pytest.approx(
        siegert_rate(14 * mV, 3 * mV, tau_m=20 * ms), rel=1e-12
    )


def test_siegert_limits():
    mu = np.array([16.0, 20.0, 30.0]) * mV
    # small noise -> the deterministic rate (mu = R I)
    assert_allclose(siegert_rate(mu, 0.05 * mV), lif_rate(np.asarray(mu) / 1e7), rtol=2e-3)
    assert_allclose(siegert_rate(mu, 0 * mV), lif_rate(np.asarray(mu) / 1e7))
    # noise lets a subthreshold drive fire, and the rate grows with the noise
    below = siegert_rate(12 * mV, np.array([1.0, 2.0, 5.0]) * mV)
    assert np.all(np.diff(below) > 0) and below[0] > 0
    # far below threshold with little noise: zero to double precision, no overflow
    assert siegert_rate(-20 * mV, 0.5 * mV) == 0.0


def test_siegert_against_an_independent_quadrature():
    # 1/r = t_ref + tau sqrt(pi) int_{y_r}^{y_th} exp(s^2)(1 + erf(s)) ds, by a plain trapezoid
    from scipy.special import erf

    mu, sigma = 13e-3, 4e-3  # volts above E_L
    y = np.linspace((0 - mu) / sigma, (15e-3 - mu) / sigma, 200_001)
    integral = np.trapezoid(np.exp(y**2) * (1 + erf(y)), y)
    expected = 1 / (2e-3 + 10e-3 * np.sqrt(np.pi) * integral)
    assert siegert_rate(mu, sigma) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: lif_rate(np.array([1.0, np.nan]) * nA), ValueError, r"^current must be finite"),
        (lambda: lif_rate(np.inf * nA), ValueError, r"^current must be finite"),
        (lambda: siegert_rate(np.nan * mV, 1 * mV), ValueError, r"^mu must be finite"),
        (lambda: siegert_rate(10 * mV, np.nan * mV), ValueError, r"^sigma must be finite"),
        (lambda: siegert_rate(10 * mV, -1 * mV), ValueError, r"^sigma must be >= 0; got -1\. mV"),
        (lambda: lif_rate(2 * nA, tau_m=0 * ms), ValueError, r"tau_m of model 'lif' must be > 0"),
        (lambda: lif_rate(2 * nA, V_th=-70 * mV), ValueError, r"V_reset must lie below V_th"),
        (lambda: siegert_rate(1 * mV, 1 * mV, t_ref=-1e-3), ValueError, r"t_ref .* must be >= 0"),
        (lambda: lif_rate(2 * nA, tau_m=5 * mV), TypeError, r"^tau_m must be in s .*got 5\. mV"),
        (lambda: lif_rate(2 * nA, model="hh"), ValueError, r"model 'hh' lacks \['R_m'"),
    ],
)
def test_oracle_bad_input_raises_before_any_work(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- Brunel's mean field -------------------------------------------------------------------------
def test_mean_field_standard_setting():
    # Brunel (2000): g = 5, eta = 2 with C_E = 1000 sits near 38 Hz
    assert mean_field_rate(BrunelConfig(g=5, eta=2)) == pytest.approx(38, abs=2)
    # external drive at half threshold: the mean-field rate is essentially zero
    assert mean_field_rate(BrunelConfig(g=5, eta=0.5)) < 0.1


def test_mean_field_rate_is_a_fixed_point_of_siegert():
    cfg = BrunelConfig(g=8, eta=0.9)
    nu = mean_field_rate(cfg)
    # mu and sigma of Brunel's eqs. 4-5 written out by hand for C_E = 1000, C_I = 250, J = 0.1 mV,
    # tau = 20 ms, nu_thr = 10 Hz
    c_e, j, tau, g = 1000, 0.1e-3, 20e-3, 8.0
    nu_ext = 0.9 * 10.0
    mu = c_e * j * tau * (nu_ext + nu * (1 - g / 4))
    sigma = np.sqrt(c_e * j**2 * tau * (nu_ext + nu * (1 + g**2 / 4)))
    phi = siegert_rate(mu, sigma, tau_m=20 * ms, E_L=0 * mV, V_reset=10 * mV, V_th=20 * mV)
    assert 0 < nu < 5
    assert float(phi) == pytest.approx(nu, rel=1e-4)
    assert float(cfg.nu_thr / Hz) == pytest.approx(10.0) and float(cfg.tau / second) == tau
