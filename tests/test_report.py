"""Claim verdicts on small hand-made tables: each branch reads the numbers it should."""

import pandas as pd
from numpy.testing import assert_allclose
from scipy import stats

from neuroact.report import (
    NOT_RUN,
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    Tables,
    claim_cortical_sparsity,
    claim_pretraining,
    claim_rectifier_sparsity,
    claim_softplus,
    claim_training_speed,
    claim_vanishing,
    claims_table,
    write_report,
)


def _write(root, experiment, name, rows):
    folder = root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


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
    # in the band but too fast (> 1 Hz) or not irregular: no support
    _write(tmp_path, "population_sparsity", "population_summary",
           [_net(8, 0.85, 0.03, 1.5, 0.9), _net(6, 0.85, 0.02, 0.4, 0.5, ai=False)])  # fmt: skip
    assert claim_cortical_sparsity(Tables(tmp_path)).verdict == NOT_SUPPORTED


def _fit(curve, family, r2, aic, success=True):
    return dict(curve=curve, model="noisy_lif", sigma_mV=5.0, family=family, r2=r2, aic=aic,
                success=success)  # fmt: skip


def test_softplus_claim_counts_failed_fits_as_misses(tmp_path):
    rows = [_fit("a", "softplus", 0.995, 10), _fit("a", "rectifier", 0.99, 20)]
    _write(tmp_path, "compare", "sim_fits", rows)
    c = claim_softplus(Tables(tmp_path))
    assert c.verdict == SUPPORTED and "beats the hard rectifier" in c.why
    rows += [_fit("b", "softplus", 0.999, 5, success=False), _fit("b", "rectifier", 0.99, 9)]
    _write(tmp_path, "compare", "sim_fits", rows)
    assert claim_softplus(Tables(tmp_path)).verdict == PARTLY


def _speed(act, ratio, censored=0):
    return dict(model="mlp", activation=act, reference="relu", lr=0.1, n_seeds=3,
                n_censored=censored, epochs_mean=2.0, ratio_mean=ratio, ratio_sd=0.1,
                ratio_min=ratio, ratio_max=ratio, seconds_ratio_mean=ratio)  # fmt: skip


def test_speed_claim_needs_uncensored_pairs(tmp_path):
    _write(tmp_path, "training_speed", "ratios", [_speed("relu", 1.0), _speed("tanh", 3.0)])
    assert claim_training_speed(Tables(tmp_path)).verdict == SUPPORTED
    _write(tmp_path, "training_speed", "ratios", [_speed("relu", 1.0), _speed("tanh", 1.5)])
    assert claim_training_speed(Tables(tmp_path)).verdict == PARTLY
    nan = float("nan")
    _write(tmp_path, "training_speed", "ratios", [_speed("relu", 1.0), _speed("tanh", nan, 3)])
    assert claim_training_speed(Tables(tmp_path)).verdict == NOT_RUN


def _grad(act, init, ratio):
    return dict(depth=10, activation=act, init=init, seed=0, bottom_over_top=ratio)


def test_vanishing_claim_compares_units_under_the_same_init(tmp_path):
    rows = [_grad("sigmoid", "torch", 1e-8), _grad("relu", "torch", 0.01),
            _grad("sigmoid", "xavier", 1e-6), _grad("relu", "xavier", 2.0)]  # fmt: skip
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    assert claim_vanishing(Tables(tmp_path)).verdict == SUPPORTED
    # ReLU decays too under every init: the claim is only partly borne out
    rows[3] = _grad("relu", "xavier", 0.05)
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    assert claim_vanishing(Tables(tmp_path)).verdict == PARTLY


def test_vanishing_claim_needs_the_backpropagated_gradient_level_too(tmp_path):
    # ReLU/xavier: weight gradients level (1.0) but dL/dz shrinking (0.04); he keeps both
    def row(act, init, w, dz):
        return _grad(act, init, w) | {"delta_bottom_over_top": dz}

    rows = [row("sigmoid", "xavier", 1e-6, 1e-6), row("relu", "xavier", 1.0, 0.04)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    claim = claim_vanishing(Tables(tmp_path))
    assert claim.verdict == PARTLY and "dL/dz" in claim.measured
    # level under He but not under Xavier (the paper's init): still only partly
    rows += [row("sigmoid", "he", 1e-5, 1e-5), row("relu", "he", 0.7, 1.0)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    claim = claim_vanishing(Tables(tmp_path))
    assert claim.verdict == PARTLY and "he init only" in claim.why
    # level under both normalised inits; the old init may shrink ReLU's gradients too
    rows[1] = row("relu", "xavier", 1.0, 0.8)
    rows += [row("sigmoid", "torch", 1e-8, 1e-8), row("relu", "torch", 1e-3, 1e-4)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    assert claim_vanishing(Tables(tmp_path)).verdict == SUPPORTED


def test_empty_folder_reports_every_claim_not_run(tmp_path):
    table = claims_table(tmp_path)
    assert len(table) == 9 and set(table["verdict"]) == {NOT_RUN}
    text = write_report(tmp_path, profile="quick").read_text()
    assert text.count("| not run |") == 9


def test_sparsity_claim_names_collapsed_networks_and_fails_on_early_collapse(tmp_path):
    def net(l1, zeros, err):
        return dict(l1=l1, frac_zero=zeros, test_error=err, collapsed=err > 0.5)

    nets = [net(0.0, 0.60, 0.016), net(1e-4, 0.75, 0.016), net(1e-3, 0.90, 0.018),
            net(2e-2, 0.9999, 0.887)]  # fmt: skip
    hinge = [dict(breakpoint=0.93, ci_low=0.91, ci_high=0.94, rises=True, n=3)]
    bands = [dict(sparsity_low=0.95, sparsity_high=1.0, n=1, n_collapsed=1,
                  diff_vs_below85_pct=87.1, diff_ci_low=87.0, diff_ci_high=87.2)]  # fmt: skip
    _write(tmp_path, "sparsity_vs_error", "networks", nets)
    _write(tmp_path, "sparsity_vs_error", "hinge", hinge)
    _write(tmp_path, "sparsity_vs_error", "bands", bands)
    claim = claim_rectifier_sparsity(Tables(tmp_path))
    assert claim.verdict == SUPPORTED
    assert "1 networks at 100.0% zeros did not learn" in claim.measured
    assert "1 of them collapsed" in claim.measured
    # a network at chance below 85% zeros: sparsity did hurt there, whatever the hinge says
    nets.append(net(5e-4, 0.80, 0.887))
    _write(tmp_path, "sparsity_vs_error", "networks", nets)
    assert claim_rectifier_sparsity(Tables(tmp_path)).verdict == PARTLY


def test_pretraining_claim_reports_each_units_gain_with_its_error():
    from neuroact.report import pretraining_gains

    def row(act, pre, mean, sd, n=3):
        return dict(dataset="mnist", activation=act, pretrain=pre, test_error_pct_mean=mean,
                    test_error_pct_sd=sd, n=n)  # fmt: skip

    rows = [row("relu", "none", 1.5, 0.06), row("relu", "dae", 1.4, 0.08),
            row("softplus", "none", 3.3, 0.1), row("softplus", "dae", 1.6, 0.1)]  # fmt: skip
    g = pretraining_gains(pd.DataFrame(rows)).set_index("activation")
    se = (0.06**2 / 3 + 0.08**2 / 3) ** 0.5
    assert_allclose(g.loc["relu", ["gain_pct", "gain_se_pct"]], [0.1, se])
    # Welch-Satterthwaite df and the t interval (scipy's t quantile at those df)
    df = se**4 / ((0.06**2 / 3) ** 2 / 2 + (0.08**2 / 3) ** 2 / 2)
    assert_allclose(g.loc["relu", "df"], df)
    assert_allclose(g.loc["relu", "ci_high"] - 0.1, stats.t.ppf(0.975, df) * se)
    assert_allclose(g.loc["softplus", "gain_pct"], 1.7)


def test_pretraining_claim_verdicts(tmp_path):
    def row(pre, mean):
        return dict(dataset="mnist", activation="relu", pretrain=pre, test_error_pct_mean=mean,
                    test_error_pct_sd=0.05, n=3)  # fmt: skip

    _write(tmp_path, "glorot_table1", "table1", [row("none", 1.5), row("dae", 1.4)])
    assert claim_pretraining(Tables(tmp_path)).verdict == SUPPORTED
    _write(tmp_path, "glorot_table1", "table1", [row("none", 2.0), row("dae", 1.4)])
    assert claim_pretraining(Tables(tmp_path)).verdict == PARTLY
    _write(tmp_path, "glorot_table1", "table1", [row("none", 1.5)])
    assert claim_pretraining(Tables(tmp_path)).verdict == NOT_RUN
    # another unit that gains as little: the advantage is not the rectifier's own
    tanh = [dict(r, activation="tanh") for r in (row("none", 1.8), row("dae", 1.68))]
    _write(tmp_path, "glorot_table1", "table1", [row("none", 1.5), row("dae", 1.4), *tanh])
    claim = claim_pretraining(Tables(tmp_path))
    assert claim.verdict == PARTLY and "no less than for tanh" in claim.why


def test_report_shows_the_key_table_beside_the_figures(tmp_path):
    rows = [dict(dataset="mnist", activation="relu", pretrain="none", n=3,
                 test_error_pct_mean=1.51, test_error_pct_sd=0.06, unshown=7)]  # fmt: skip
    _write(tmp_path, "glorot_table1", "table1", rows)
    text = write_report(tmp_path, profile="full").read_text()
    assert "`glorot_table1/table1.csv`:" in text and "| mnist | relu | none | 3 | 1.51 |" in text
    assert "unshown" not in text
