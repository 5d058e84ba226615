"""The band-width study: its search on hand-made networks, its mechanisms, its claim.

The search is checked against networks whose fraction active is a known function of eta (so the
edges are known in closed form); the mechanisms on tiny numpy networks (their parameters by
hand, their effect in the direction theory says); the figures and the claim on small tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from brian2 import ms, mV, second
from numpy.testing import assert_allclose

from neuroact.bio.network import BrunelConfig, _build, _synaptic_code, simulate
from neuroact.bio.neurons import adaptation_in_voltage, get_model
from neuroact.claims.bio import band_width_text, claim_cortical_sparsity, recordings_text
from neuroact.claims.core import Tables
from neuroact.experiments._band_width import (
    band_search,
    band_summary,
    condition_label,
    mechanism,
    next_eta,
    parse_condition,
)
from neuroact.literature import CORTICAL_RECORDINGS

# --- the search on hand-made networks --------------------------------------------------------
# log10(f50) = log10(0.01) + (eta - ETA_1PCT) / SLOPE: 1% at ETA_1PCT, 4% at ETA_1PCT +
# SLOPE log10(4); the rate is f50 / RATE_WINDOW Hz.
ETA_1PCT, SLOPE = 0.85, 0.05


def fake_network(spikes_per_neuron, max_duration_s, g, eta, rate_window=0.05, **params) -> dict:
    f50 = 0.01 * 10 ** ((eta - ETA_1PCT - 0.01 * (g - 8)) / SLOPE)
    return {
        "eta": eta,
        "frac_active_50ms": min(f50, 1.0),
        "mean_rate_Hz": f50 / rate_window,
        "asynchronous_irregular": True,
    }


def _search(conditions=("",), gs=(8.0,), **kw):
    settings = dict(eta_start=0.8, tolerance=1e-3, max_networks=20, spikes_per_neuron=3.0)
    settings |= {"max_duration_s": 1.0} | kw
    return band_search(fake_network, conditions, gs, {"n_exc": 100}, progress=False, **settings)


def test_search_finds_the_edges_known_in_closed_form():
    networks, band = _search(gs=(6.0, 8.0))
    row = band.set_index("g").loc[8.0]
    assert row["eta_low"] == pytest.approx(ETA_1PCT, abs=2e-4)
    assert row["eta_high"] == pytest.approx(ETA_1PCT + SLOPE * math.log10(4), abs=2e-4)
    assert row["width"] == pytest.approx(SLOPE * math.log10(4), abs=4e-4)
    assert row["found_low"] and row["found_high"] and row["high_edge_by"] == "fraction active"
    assert band.set_index("g").loc[6.0, "eta_low"] == pytest.approx(ETA_1PCT - 0.02, abs=2e-4)
    assert row["networks"] <= 20 and set(networks["g"]) == {6.0, 8.0}
    assert row["ai_inside"] == 1.0 and row["networks_inside"] >= 1


def test_rate_limits_the_high_edge_and_an_empty_band_has_width_zero():
    _, band = _search(conditions=("rate_window=0.02",))
    row = band.iloc[0]  # 1 Hz is reached at 2% active, before 4%
    assert row["eta_high"] == pytest.approx(ETA_1PCT + SLOPE * math.log10(2), abs=2e-4)
    assert row["high_edge_by"] == "rate"
    _, band = _search(conditions=("rate_window=0.005",))  # 1 Hz at 0.5% active: no band
    assert band.iloc[0]["width"] == 0.0


def test_next_eta_steps_out_until_both_edges_are_bracketed():
    rows = pd.DataFrame([fake_network(3, 1, 8.0, 0.7)])  # far below the band
    assert next_eta(pd.DataFrame(), 0.8, 0.01) == 0.8
    assert next_eta(rows, 0.8, 0.01) == pytest.approx(0.7 * 1.15, abs=1e-4)
    high = pd.DataFrame([fake_network(3, 1, 8.0, 1.2)])  # far above it
    assert next_eta(high, 0.8, 0.01) == pytest.approx(1.2 / 1.15, abs=1e-4)


def test_summary_widths_area_and_g_range_by_hand():
    band = pd.DataFrame(
        {
            "condition": ["", "", "x=1", "x=1"],
            "g": [6.0, 8.0, 6.0, 8.0],
            "eta_low": [0.80, 0.84, 0.80, 0.80],
            "eta_high": [0.84, 0.88, 0.90, 0.96],
            "width": [0.04, 0.04, 0.10, 0.16],
            "relative_width": [np.nan] * 4,
            "ai_inside": [1.0] * 4,
            "networks": [5] * 4,
        }
    )
    s = band_summary(band, reference_g=8.0).set_index("condition")
    assert s.loc["x=1", "width_vs_brunel"] == pytest.approx(4.0)
    assert s.loc["", "area"] == pytest.approx(0.04 * 2)
    assert s.loc["x=1", "area_vs_brunel"] == pytest.approx(0.26 / 0.08)
    # Brunel: mid eta 0.86 at g = 8; lo(g) = 0.80 + 0.02 (g - 6) <= 0.86 for g <= 9 (censored at
    # 8), hi(g) = 0.84 + 0.02 (g - 6) >= 0.86 for g >= 7
    assert s.loc["", "g_min_at_mid_eta"] == pytest.approx(7.0, abs=0.01)
    assert s.loc["", "g_max_at_mid_eta"] == pytest.approx(8.0)
    assert s.loc["", "g_range_censored"]


def test_conditions_parse_and_read():
    assert parse_condition("") == {}
    assert parse_condition("theta_sd_mV=2; neuron=adex") == {"theta_sd_mV": 2.0, "neuron": "adex"}
    assert mechanism("heterogeneity=0.2") == "drive heterogeneity"
    assert mechanism("") == "none"
    assert condition_label("theta_sd_mV=2") == "threshold sd 2 mV"
    assert condition_label("") == "Brunel"
    with pytest.raises(ValueError, match="key=value; got 'neuron'"):
        parse_condition("neuron")


# --- the mechanisms on tiny networks ---------------------------------------------------------
TINY = dict(n_exc=200, reference_c_exc=1000, target="numpy", seed=2)


def test_threshold_heterogeneity_draws_its_own_numbers():
    base = BrunelConfig(**TINY)
    het = base.with_(theta_sd=3 * mV)
    net0, _ = _build(base)
    net1, _ = _build(het)
    groups = [next(o for o in n.objects if o.name == "brunel_neurons") for n in (net0, net1)]
    theta = np.asarray(groups[1].theta_i[:] / mV)
    assert np.all(groups[0].theta_i[:] == 20 * mV)
    assert theta.mean() == pytest.approx(20, abs=0.5) and theta.std() == pytest.approx(3, rel=0.2)
    assert theta.min() >= 10.5 - 1e-9  # at least 0.5 mV above the reset
    # the connectivity and initial potentials of the seed are unchanged by the thresholds
    syn = [next(o for o in n.objects if o.name == "brunel_exc_syn") for n in (net0, net1)]
    assert np.array_equal(syn[0].i[:], syn[1].i[:]) and np.array_equal(syn[0].j[:], syn[1].j[:])
    assert np.array_equal(groups[0].v[:], groups[1].v[:])


def test_adaptation_parameters_come_from_brette_and_gerstner():
    rs = adaptation_in_voltage()
    adex = get_model("adex").params
    assert rs["a"] == pytest.approx(4 / 30)  # a / g_L = 4 nS / 30 nS
    assert float(rs["b"] / mV) == pytest.approx(0.0805e-9 / 30e-9 * 1e3)  # b / g_L in mV
    assert rs["tau_w"] == adex["tau_w"]
    with pytest.raises(ValueError, match="must be an AdEx model"):
        adaptation_in_voltage("lif")


@pytest.mark.slow
def test_adaptation_lowers_the_rate_of_a_driven_network():
    kw = TINY | dict(g=4.5, eta=1.5, duration=0.3 * second, transient=0.05 * second)
    plain = simulate(BrunelConfig(neuron="adex", adex_a=0.0, adex_b=0 * mV, **kw))
    adapting = simulate(BrunelConfig(neuron="adex", **kw))
    assert plain.mean_rate_Hz() > 5  # a driven network: adaptation has spikes to act on
    assert adapting.mean_rate_Hz() < 0.8 * plain.mean_rate_Hz()


def test_conductance_jumps_equal_the_current_psps_at_the_matching_potential():
    cfg = BrunelConfig(synapse="conductance", g=6.0, **TINY)
    _, on_exc, on_inh, ns = _synaptic_code(cfg)
    v_match = 15e-3  # (v_reset + theta) / 2
    J = float(cfg.J_eff)
    assert ns["w_e"] * (float(cfg.E_exc) - v_match) == pytest.approx(J)
    assert ns["w_i"] * (v_match - float(cfg.E_inh)) == pytest.approx(6 * J)
    assert "(E_inh - v_post)" in on_inh and "(E_exc - v_post)" in on_exc
    # near E_inh inhibition weakens: at 0 mV an inhibitory input moves v by w_i * 10 mV < gJ
    assert ns["w_i"] * (0 - float(cfg.E_inh)) < 6 * J
    act = simulate(cfg.with_(eta=1.5, duration=0.2 * second, transient=0.05 * second))
    assert act.n_spikes > 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"theta_sd": -1 * mV}, ValueError, r"^theta_sd must be >= 0"),
        ({"theta_sd": 1.0}, TypeError, r"^theta_sd must be a Brian2 quantity in V"),
        ({"neuron": "hh"}, ValueError, r"^neuron must be one of \('lif', 'adex'\); got 'hh'$"),
        ({"synapse": "nmda"}, ValueError, r"^synapse must be one of"),
        ({"sampler": "fast"}, ValueError, r"^sampler must be one of"),
        ({"E_inh": 20 * mV}, ValueError, r"^E_inh must lie below \(v_reset \+ theta\) / 2"),
        ({"E_exc": 10 * mV}, ValueError, r"^E_exc must lie above theta"),
        ({"adex_tau_w": 0 * ms}, ValueError, r"^adex_tau_w must be > 0"),
    ],
)
def test_mechanism_settings_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        BrunelConfig(**kwargs)


def test_simulate_runs_on_until_enough_spikes_or_the_limit():
    cfg = BrunelConfig(g=8.0, eta=0.9, duration=0.05 * second, transient=0.02 * second, **TINY)
    act = simulate(cfg, spikes_per_neuron=100.0, max_duration=0.15 * second)
    assert act.duration_s == pytest.approx(0.15)  # never 100 spikes each: runs to the limit
    busy = cfg.with_(g=3.0, eta=3.0)
    fast = simulate(busy, spikes_per_neuron=0.5, max_duration=0.5 * second)
    assert fast.duration_s < 0.5 and fast.n_spikes >= 0.5 * busy.n_neurons
    with pytest.raises(ValueError, match="^max_duration must be at least cfg.duration"):
        simulate(cfg, spikes_per_neuron=1.0, max_duration=0.01 * second)
    with pytest.raises(ValueError, match="needs a runtime target"):
        simulate(cfg.with_(target="cpp_standalone"), spikes_per_neuron=1.0)


# --- figures and the claim -------------------------------------------------------------------
def _tables():
    networks, band = _search(conditions=("", "rate_window=0.02"), gs=(6.0, 8.0))
    return networks, band, band_summary(band, reference_g=8.0)


def test_figures_draw_from_the_tables():
    from neuroact.figures import bio_band

    networks, band, summary = _tables()
    fig = bio_band.band_maps(networks, band)
    assert len([ax for ax in fig.axes if ax.get_visible()]) >= 2
    fig2 = bio_band.band_widths(band, summary)
    assert fig2.axes[0].get_ylabel().startswith("width")
    with pytest.raises(ValueError, match="band lacks the columns"):
        bio_band.band_maps(networks, band.drop(columns=["eta_low"]))


def test_claim_reads_the_band_widths_and_the_recordings(tmp_path):
    _, _, summary = _tables()
    text = band_width_text(summary)
    assert text.startswith("band width along eta at g = 8: 0.030 in Brunel's network")
    assert "rate_window 0.02 x0.5" in text and "not widened" in text
    folder = tmp_path / "population_sparsity"
    folder.mkdir()
    summary.to_csv(folder / "band_width_summary.csv", index=False)
    row = dict(n_neurons=12500, g=8.0, eta=0.86, heterogeneity=0.0, frac_active_50ms=0.02)
    row |= dict(mean_rate_Hz=0.4, cv_isi=0.8, cv2_isi=0.95, asynchronous_irregular=True)
    pd.DataFrame([row]).to_csv(folder / "population_summary.csv", index=False)
    claim = claim_cortical_sparsity(Tables(tmp_path))
    assert "band width along eta" in claim.measured and recordings_text() in claim.measured
    for rec in CORTICAL_RECORDINGS:
        assert rec.name in claim.measured and rec.passage and rec.url.startswith("https://")
    assert claim.verdict == "partly"
    assert_allclose(claim.value, 0.02)


def test_claim_notes_a_widened_band_that_lost_irregularity():
    rows = {
        "condition": ["", "heterogeneity=0.4", "neuron=adex"],
        "label": ["Brunel", "drive log-sd 0.4", "AdEx"],
        "reference_g": [8.0] * 3,
        "eta_low": [0.84, 0.80, 0.84],
        "eta_high": [0.88, 0.92, 0.884],
        "width": [0.04, 0.12, 0.044],
        "width_vs_brunel": [1.0, 3.0, 1.1],
        "ai_inside": [1.0, 0.2, 1.0],
    }
    text = band_width_text(pd.DataFrame(rows))
    # 0.12 / 0.04 = 3.0 widens (>= 1.5), 1.1 does not; only 20% of the wide band is irregular
    assert "drive log-sd 0.4 x3.0 (20% of its in-band networks asynchronous-irregular)" in text
    assert "AdEx x1.1" in text and "AdEx x1.1 (" not in text


def test_network_target_auto_is_cython_where_a_compiler_exists():
    from neuroact.bio.standalone import compiler_available
    from neuroact.experiments._sweeps import network_target

    assert network_target("auto") == ("cython" if compiler_available() else "numpy")
    assert network_target("numpy") == "numpy"
    with pytest.raises(ValueError, match=r"^target must be one of .*; got 'gpu'$"):
        network_target("gpu")


def test_claims_reason_says_whether_a_widened_band_stays_irregular():
    from neuroact.claims.bio import _band_why

    def summary(ai: float, ratio: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "condition": ["", "neuron=adex"],
                "label": ["Brunel", "AdEx"],
                "width_vs_brunel": [1.0, ratio],
                "ai_inside": [1.0, ai],
            }
        )

    assert _band_why(None) == ""
    assert _band_why(summary(1.0, 1.2)) == "; no mechanism tried widens it"
    assert _band_why(summary(0.8, 2.0)).startswith(
        "; AdEx widens it x2.0 with its in-band networks still asynchronous-irregular"
    )
    assert "but none of their in-band networks are asynchronous-irregular" in _band_why(
        summary(0.0, 2.0)
    )
    assert "but at most 20% of their" in _band_why(summary(0.2, 2.0))
