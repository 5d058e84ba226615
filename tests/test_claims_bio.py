"""Claims about neurons on small hand-made tables: each branch, and the awkward cases."""

import math

import pandas as pd

from neuroact.claims import NOT_RUN, NOT_SUPPORTED, PARTLY, SUPPORTED, Tables
from neuroact.claims.bio import (
    claim_cortical_sparsity,
    claim_rectifier_fits,
    claim_softplus,
    claim_threshold,
)


def _write(root, experiment, name, rows):
    folder = root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


# --- threshold ----------------------------------------------------------------------------------


def _fi(root, models):
    """models: (name, sigma, last silent current, onset rate, top rate); grids start at 0."""
    _write(root, "fi_curves", "fi_summary",
           [dict(model=m, sigma_mV=s, last_silent_current=c, onset_rate_Hz=o, top_rate_Hz=t)
            for m, s, c, o, t in models])  # fmt: skip
    _write(
        root,
        "fi_curves",
        "fi_curves",
        [dict(model=m[0], current=i) for m in models for i in (0.0, 1.0, 2.0, 3.0)],
    )


def test_threshold_type_one_models_support_the_claim(tmp_path):
    _fi(tmp_path, [("lif", 0, 1.0, 30.0, 180.0), ("adex", 0, 1.0, 2.4, 83.0),
                   ("noisy_lif", 5.0, math.nan, 0.01, 180.0)])  # fmt: skip
    c = claim_threshold(Tables(tmp_path))
    assert c.verdict == SUPPORTED and c.measured.startswith("2/2 deterministic models silent")
    assert "83-180 Hz, 6.0-34.6x" in c.measured and c.value == 1.0


def test_threshold_type_two_jump_is_partly_and_firing_everywhere_is_not(tmp_path):
    # Hodgkin-Huxley: 53 Hz at onset of 86 Hz at the top, 0.61 of it (type II)
    _fi(tmp_path, [("lif", 0, 1.0, 30.0, 180.0), ("hh", 0, 1.0, 53.0, 86.0)])
    c = claim_threshold(Tables(tmp_path))
    assert c.verdict == PARTLY and "hh jump(s)" in c.why
    # fires already at the lowest current tested (last silent = the lowest current)
    _fi(tmp_path, [("lif", 0, 1.0, 30.0, 180.0), ("bursty", 0, 0.0, 5.0, 50.0)])
    c = claim_threshold(Tables(tmp_path))
    assert c.verdict == NOT_SUPPORTED and c.value == 0.5


def test_threshold_with_no_deterministic_model_or_silent_cells(tmp_path):
    _fi(tmp_path, [("noisy_lif", 2.0, 1.0, 0.01, 180.0)])
    assert claim_threshold(Tables(tmp_path)).verdict == NOT_RUN
    # a model that never fired (onset NaN) and a measured cell that never fired: no crash
    _fi(tmp_path, [("lif", 0, 1.0, 30.0, 180.0), ("dead", 0, 3.0, math.nan, 0.0)])
    _write(tmp_path, "compare", "measured_points",
           [dict(cell_id=c, rate_Hz=r) for c, r in (("a", 0.0), ("a", 4.0), ("a", 20.0),
                                                     ("b", 0.0), ("b", 0.0))])  # fmt: skip
    c = claim_threshold(Tables(tmp_path))
    assert c.verdict == SUPPORTED and "measured cells (2): max rate median 10.0 Hz" in c.measured
    assert "5.0x the lowest non-zero rate" in c.measured


# --- softplus -----------------------------------------------------------------------------------


def _fit(curve, family, r2, aic, success=True, sigma=5.0):
    return dict(curve=curve, model="noisy_lif", sigma_mV=sigma, family=family, r2=r2, aic=aic,
                success=success)  # fmt: skip


def test_softplus_claim_counts_failed_fits_as_misses(tmp_path):
    rows = [_fit("a", "softplus", 0.995, 10), _fit("a", "rectifier", 0.99, 20)]
    _write(tmp_path, "compare", "sim_fits", rows)
    c = claim_softplus(Tables(tmp_path))
    assert c.verdict == SUPPORTED and "beats the hard rectifier" in c.why
    rows += [_fit("b", "softplus", 0.999, 5, success=False), _fit("b", "rectifier", 0.99, 9)]
    _write(tmp_path, "compare", "sim_fits", rows)
    c = claim_softplus(Tables(tmp_path))
    assert c.verdict == PARTLY and "b: 0.0000" in c.measured and c.value == 0.0


def test_softplus_claim_reads_relu_as_the_rectifier_family_and_nan_as_a_miss(tmp_path):
    rows = [_fit("a", "softplus", 0.98, 10), _fit("a", "relu", 0.97, 11),
            _fit("b", "softplus", math.nan, 10),
            _fit("b", "relu", math.nan, 11, success=False)]  # fmt: skip
    _write(tmp_path, "compare", "sim_fits", rows)
    c = claim_softplus(Tables(tmp_path))
    assert c.verdict == NOT_SUPPORTED and "= 1 to 1" in c.measured
    assert "fits about as well" in c.why


def test_softplus_claim_without_noisy_curves_softplus_fits_or_a_comparison(tmp_path):
    _write(tmp_path, "compare", "sim_fits", [_fit("lif", "softplus", 0.97, 1, sigma=0.0)])
    assert "sigma_mV > 0" in claim_softplus(Tables(tmp_path)).why
    _write(tmp_path, "compare", "sim_fits", [_fit("a", "rectifier", 0.99, 1)])
    assert claim_softplus(Tables(tmp_path)).verdict == NOT_RUN
    _write(tmp_path, "compare", "sim_fits", [_fit("a", "softplus", 0.995, 1)])
    c = claim_softplus(Tables(tmp_path))
    assert c.verdict == SUPPORTED and "AIC comparison with the hard rectifier was not" in c.why


# --- rectifier fits -----------------------------------------------------------------------------


def _summary(root, r2, wins, names=("rectifier", "softplus", "logistic")):
    _write(root, "compare", "measured_summary",
           [dict(family=f, median_r2=r, n_wins=w, n_cells=10)
            for f, r, w in zip(names, r2, wins, strict=True)])  # fmt: skip


def test_rectifier_fits_verdicts(tmp_path):
    _summary(tmp_path, (0.97, 0.98, 0.95), (3, 4, 3))
    c = claim_rectifier_fits(Tables(tmp_path))
    assert c.verdict == SUPPORTED and c.value == 0.98 - 0.95
    assert c.measured.startswith("rectifier (ReLU) median R^2 0.970, wins 3/10; softplus")
    _summary(tmp_path, (0.97, 0.98, 0.95), (1, 1, 8))
    assert claim_rectifier_fits(Tables(tmp_path)).verdict == PARTLY
    # the same table under the vocabulary's keys gives the same claim
    _summary(tmp_path, (0.97, 0.98, 0.95), (1, 1, 8), names=("relu", "softplus", "sigmoid"))
    assert "sigmoid (logistic) median R^2 0.950" in claim_rectifier_fits(Tables(tmp_path)).measured


def test_rectifier_fits_names_sub_linear_cells_and_needs_a_sigmoid(tmp_path):
    _summary(tmp_path, (0.96, 0.96, 0.97), (1, 1, 8))
    _write(
        tmp_path,
        "compare",
        "measured_fits",
        [dict(family="power_law", success=True, n=n) for n in (0.5, 0.7, 1.2, math.nan)],
    )
    c = claim_rectifier_fits(Tables(tmp_path))
    assert c.verdict == NOT_SUPPORTED and "exponent median 0.70, 2/3 cells below 1" in c.why
    _summary(tmp_path, (0.96, 0.96), (1, 1), names=("rectifier", "softplus"))
    assert claim_rectifier_fits(Tables(tmp_path)).verdict == NOT_RUN


# --- cortical sparsity --------------------------------------------------------------------------


def _net(g, eta, f50, rate, cv2, ai=True, sweep="phase"):
    return dict(sweep=sweep, n_neurons=2500, g=g, eta=eta, heterogeneity=0.0,
                frac_active_50ms=f50, mean_rate_Hz=rate, cv_isi=0.5, cv2_isi=cv2,
                asynchronous_irregular=ai)  # fmt: skip


def test_cortical_sparsity_counts_each_network_once(tmp_path):
    rows = [_net(8, 0.85, 0.02, 0.4, 0.9, sweep=s) for s in ("phase", "eta_scan", "showcase")]
    rows += [_net(5, 2.0, 0.97, 39.0, 0.9), _net(4, 0.9, 0.7, 20.0, 0.9)]
    _write(tmp_path, "population_sparsity", "population_summary", rows)
    c = claim_cortical_sparsity(Tables(tmp_path))
    assert c.verdict == PARTLY  # a model network can show the regime, not that cortex is in it
    assert c.measured.startswith("1/3 distinct")
    assert "CV2 0.90" in c.measured and "97.0% at 39.0 Hz" in c.measured
    assert (c.value, c.paper_low, c.paper_high) == (0.02, 0.01, 0.04)
    # in the band but too fast (> 1 Hz) or not irregular: no support
    _write(tmp_path, "population_sparsity", "population_summary",
           [_net(8, 0.85, 0.03, 1.5, 0.9), _net(6, 0.85, 0.02, 0.4, 0.5, ai=False)])  # fmt: skip
    c = claim_cortical_sparsity(Tables(tmp_path))
    assert c.verdict == NOT_SUPPORTED and math.isnan(c.value)


def test_cortical_sparsity_band_spans_and_empty_tables(tmp_path):
    _write(tmp_path, "population_sparsity", "population_summary", [_net(8, 0.85, 0.02, 0.4, 0.9)])
    _write(tmp_path, "population_sparsity", "band",
           [dict(parameter="eta", inside_values="0.85;0.86", heterogeneity=0.0),
            dict(parameter="eta", inside_values=0.6, heterogeneity=0.3),
            dict(parameter="g", inside_values=math.nan, heterogeneity=math.nan)])  # fmt: skip
    c = claim_cortical_sparsity(Tables(tmp_path))
    assert "(eta in band for 0.85;0.86; eta in band for 0.6 (heterogeneity 0.3))" in c.measured
    (tmp_path / "population_sparsity" / "population_summary.csv").write_text(
        ",".join(_net(8, 0.85, 0.02, 0.4, 0.9)) + "\n"
    )
    assert claim_cortical_sparsity(Tables(tmp_path)).verdict == NOT_RUN
