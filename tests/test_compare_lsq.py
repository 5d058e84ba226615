"""The least-squares machinery of the fits: several starts, the stopping rule, bound transforms,
standard errors; and the hard cases of the 44 measured cells."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from neuroact.compare import lsq
from neuroact.compare.curves import get_family, relu, sigmoid
from neuroact.compare.fit import fit_curve
from neuroact.compare.measured import read_fi_table
from neuroact.paths import measured_fi_table

# r = sin(w I) on 0-6: the cost has a local minimum at w = 0.67 besides the true w = 3
SINE_I = np.linspace(0.0, 6.0, 40)
SINE_R = np.sin(3.0 * SINE_I)


def _sine(i, w):
    return np.sin(w * i)


def _sine_jac(i, w):
    return (i * np.cos(w * i))[:, None]


def _solve_sine(*starts):
    ones = np.ones_like(SINE_R)
    lo, hi = np.array([0.1]), np.array([10.0])
    points = [np.array([s]) for s in starts]
    return lsq.solve(_sine, _sine_jac, SINE_I, SINE_R, ones, lo, hi, points)


def test_a_later_start_that_finds_a_lower_minimum_wins():
    alone = _solve_sine(1.0)
    assert alone.result.x[0] == pytest.approx(0.6698, abs=1e-3)  # the local minimum
    both = _solve_sine(1.0, 2.9)
    assert both.result.x[0] == pytest.approx(3.0, rel=1e-9)
    assert both.result.cost < 1e-20 and both.n_starts == 2
    # the reported solution is a trf solution within the bounds, whatever found it
    assert both.result.status > 0 and both.result.active_mask.tolist() == [0]


def test_the_search_stops_once_a_second_start_finds_the_same_minimum():
    # 1.0 and 1.05 lead to the same local minimum: converged by the rule, 2.9 is never tried
    out = _solve_sine(1.0, 1.05, 2.9)
    assert out.n_starts == 2
    assert out.result.x[0] == pytest.approx(0.6698, abs=1e-3)
    # a smooth family on its own data: the second start confirms the first, the third is skipped
    i = np.linspace(0.0, 4.0, 30)
    r = sigmoid(i, 80.0, 2.0, 0.5) + np.random.default_rng(2).normal(0.0, 1.0, i.size)
    res = fit_curve(i, r, "sigmoid", allow_negative_rates=True)
    assert res.success and res.n_starts == 2


def test_robust_losses_solve_every_start_with_trf():
    i = np.linspace(0, 4, 30)
    r = relu(i, 20.0, 1.0)
    r[[20, 25]] += 60.0
    res = fit_curve(i, r, "relu", loss="soft_l1")
    assert res.success and res.loss == "soft_l1"
    assert res.params["g"] == pytest.approx(20.0, rel=0.01)


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        ([0.0, -np.inf, 1e-3, -np.inf], [np.inf, 5.0, 2.0, np.inf]),
        ([1e-12, 1e-12, 1e-12, 1e-12], [1e-9, 1e-9, 1e-9, 1e-9]),  # bounds in amperes
    ],
)
def test_box_transform_round_trip_and_derivative(lo, hi):
    lo, hi = np.array(lo), np.array(hi)
    p = np.where(np.isfinite(lo), lo, -3.0) + 0.3 * np.where(np.isfinite(hi - lo), hi - lo, 7.0)
    box = lsq.BoxTransform(lo, hi, lsq.start_and_scale(p, lo, hi)[1])
    u = box.free(p)
    q, dq = box.params(u)
    assert_allclose(q, p, rtol=1e-12)
    for j in range(p.size):
        h = 1e-6 * np.eye(p.size)[j]
        fd = (box.params(u + h)[0][j] - box.params(u - h)[0][j]) / 2e-6
        assert dq[j] == pytest.approx(fd, rel=1e-6)
    # every u lands inside the bounds
    for u in np.random.default_rng(0).normal(0.0, 50.0, (200, p.size)):
        q, _ = box.params(u)
        assert np.all((q >= lo) & (q <= hi))


def test_standard_errors_match_the_linear_regression_formula():
    # a straight line: the covariance is s^2 (X^T X)^-1 exactly, whatever the column scales
    rng = np.random.default_rng(1)
    x = np.linspace(0.0, 1.0, 20)
    for scale in (1.0, 1e-9, 1e9):
        jac = np.column_stack([x * scale, np.ones_like(x)])
        expected = np.sqrt(np.diag(np.linalg.inv(jac.T @ jac)) * 2.5)
        assert_allclose(lsq.standard_errors(jac, 2.5), expected, rtol=1e-9)
    # a column of zeros (a parameter the residuals ignore), or two equal columns: undefined
    assert np.isnan(lsq.standard_errors(np.column_stack([x, 0 * x]), 1.0)).all()
    assert np.isnan(lsq.standard_errors(np.column_stack([x, x]), 1.0)).all()
    assert np.isfinite(lsq.standard_errors(rng.normal(size=(20, 3)), 1.0)).all()


# --- the hard cases of the measured cells ----------------------------------------------------


def _every_start(fam, i, r):
    """The cost reached from each start alone by trf (what the fits did before the rule)."""
    lo, hi = (np.asarray(b, dtype=float) for b in fam.bounds(i, r))
    ones = np.ones_like(r)
    return [
        lsq.solve(fam.func, fam.jac, i, r, ones, lo, hi, [p0]).result.cost
        for p0 in fam.starts(i, r)
    ]


@pytest.mark.slow
def test_hard_cases_of_the_measured_cells():
    """Where the first start is not the best (found by solving every start), the fit is never
    worse than the first start and mostly reaches the best of all starts."""
    curves = read_fi_table(
        measured_fi_table(),
        cell_col="cell_id",
        current_col="total_current_pA",
        rate_col="rate_Hz",
        current_unit="pA",
    )
    hard, reached = 0, 0
    for cell in curves.cells:
        i, r, _ = curves.curve(cell)
        for name in ("relu", "power_law", "lif"):
            costs = _every_start(get_family(name), i, r)
            if costs[0] <= min(costs) * (1 + lsq.RTOL):
                continue
            hard += 1
            fit = fit_curve(i, r, name, current_unit="pA")
            cost = 0.5 * float(np.sum(fit.residuals**2))
            assert cost <= costs[0] * (1 + 1e-9), (cell, name)
            reached += cost <= min(costs) * (1 + lsq.RTOL)
    # measured: 31 hard cases (lif 12, power_law 18, relu 1); 20 reach the best of all starts
    # (lif 5, power_law 14, relu 1; 3 power-law fits go below it); 6 lif and 2 power-law fits
    # stay at the first start's minimum: their explorations all return there
    assert hard >= 25
    assert reached >= 0.55 * hard
