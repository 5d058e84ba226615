"""Tests of the Attwell & Laughlin (2001) / Howarth et al. (2012) signalling-energy budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brian2 import Hz, ms
from numpy.testing import assert_allclose

from neuroact.bio.energy import (
    ATTWELL_LAUGHLIN_2001,
    HOWARTH_2012,
    EnergyBudget,
    affordable_active_fraction,
    affordable_rate,
    atp_breakdown,
    atp_rate,
    get_budget,
)


def test_published_split_at_4_hz():
    al = atp_breakdown(4 * Hz, "attwell_laughlin_2001").set_index("part")["share"]
    assert_allclose(
        al[["action_potential", "postsynaptic", "resting", "recycling"]],
        [0.47, 0.34, 0.13, 0.03],
        atol=1e-12,
    )
    how = atp_breakdown(4 * Hz, "howarth_2012").set_index("part")["share"]
    assert_allclose(
        how[["postsynaptic", "action_potential", "resting", "presynaptic_ca", "recycling"]],
        [0.50, 0.21, 0.20, 0.05, 0.04],
        atol=1e-12,
    )


def test_per_spike_costs():
    assert ATTWELL_LAUGHLIN_2001.action_potential == pytest.approx(3.84e8)
    # Howarth: Na+ entry 1.24x the minimum instead of 4x
    assert HOWARTH_2012.action_potential == pytest.approx(3.84e8 * 1.24 / 4)
    assert HOWARTH_2012.atp_per_spike < ATTWELL_LAUGHLIN_2001.atp_per_spike
    # AL2001's total at 4 Hz: 4 * 3.84e8 / 0.47 ATP/s
    assert atp_rate(4 * Hz) == pytest.approx(4 * 3.84e8 / 0.47)


def test_linear_in_rate_and_vectorised():
    b = ATTWELL_LAUGHLIN_2001
    rates = np.array([0.0, 0.5, 2.0, 10.0])
    assert_allclose(atp_rate(rates * Hz), b.resting_atp_per_s + rates * b.atp_per_spike)
    assert atp_rate(0 * Hz) == pytest.approx(b.resting_atp_per_s)


@pytest.mark.parametrize("budget", ["attwell_laughlin_2001", "howarth_2012"])
def test_inverse_roundtrip(budget):
    for r in (0.1, 0.5, 4.0):
        assert float(affordable_rate(atp_rate(r * Hz, budget), budget) / Hz) == pytest.approx(r)


def test_lennie_active_fraction():
    supply = atp_rate(0.5 * Hz)
    # Poisson view: 1 - exp(-r W); Lennie's view: r / r_active
    assert affordable_active_fraction(supply, window=50 * ms) == pytest.approx(
        1 - math.exp(-0.5 * 0.05)
    )
    assert affordable_active_fraction(supply, active_rate=50 * Hz) == pytest.approx(0.01)
    assert affordable_active_fraction(atp_rate(100 * Hz), active_rate=50 * Hz) == 1.0


def test_bad_input():
    with pytest.raises(ValueError, match=r"^budget must be one of .*; got 'lennie'$"):
        get_budget("lennie")
    with pytest.raises(ValueError, match=r"^rate must be >= 0; got -1\. Hz$"):
        atp_rate(-1 * Hz)
    with pytest.raises(ValueError, match=r"^rate must be finite"):
        atp_rate(np.array([1.0, np.nan]) * Hz)
    with pytest.raises(TypeError, match=r"^rate must be a Brian2 quantity in Hz"):
        atp_rate(4.0)
    with pytest.raises(ValueError, match=r"below the resting cost"):
        affordable_rate(1e6)
    with pytest.raises(ValueError, match=r"^atp_per_s must be finite; got nan$"):
        affordable_rate(float("nan"))
    with pytest.raises(ValueError, match="exactly one"):
        affordable_active_fraction(1e10)
    with pytest.raises(TypeError, match=r"^window must be a Brian2 quantity in s"):
        affordable_active_fraction(1e10, window=0.05)
    with pytest.raises(ValueError, match=r"^window must be > 0"):
        affordable_active_fraction(1e10, window=0 * ms)
    with pytest.raises(ValueError, match=r"^active_rate must be > 0"):
        affordable_active_fraction(1e10, active_rate=0 * Hz)
    with pytest.raises(ValueError, match=r"^action_potential must be >= 0; got -1\.0$"):
        EnergyBudget("bad", -1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"^rate must be one value for a breakdown"):
        atp_breakdown(np.array([1.0, 2.0]) * Hz)
