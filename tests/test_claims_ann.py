"""Claims about artificial networks on hand-made tables: n = 1, n = 2, zero spread, missing
blocks and NaN each give a verdict, "not run" or "n too small", never an exception."""

import math

import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from neuroact.claims import N_TOO_SMALL, NOT_RUN, NOT_SUPPORTED, PARTLY, SUPPORTED, Tables
from neuroact.claims.ann import claim_rectifier_sparsity, claim_sigmoid_half, claim_vanishing
from neuroact.claims.training import claim_pretraining, claim_training_speed, pretraining_gains
from neuroact.stats import TOO_FEW


def _write(root, experiment, name, rows):
    folder = root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


# --- sigmoid half -------------------------------------------------------------------------------


def _activity(act, stage, inp, out):
    return dict(activation=act, init="xavier", stage=stage, frac_active_input_mean=inp,
                frac_active_output_mean=out)  # fmt: skip


def test_sigmoid_half_verdicts(tmp_path):
    rows = [_activity("sigmoid", "init", 0.5, 1.0), _activity("sigmoid", "trained", 0.45, 1.0),
            _activity("relu", "init", 0.5, 0.5),
            _activity("relu", "trained", 0.3, 0.3)]  # fmt: skip
    _write(tmp_path, "activity_at_init", "summary", rows)
    c = claim_sigmoid_half(Tables(tmp_path))
    assert c.verdict == SUPPORTED and (c.value, c.paper_value) == (0.5, 0.5)
    rows[1] = _activity("sigmoid", "trained", 0.27, 1.0)  # trained sigmoids left one half
    _write(tmp_path, "activity_at_init", "summary", rows)
    c = claim_sigmoid_half(Tables(tmp_path))
    assert c.verdict == PARTLY and c.why.startswith("sigmoid activity moved away")


def test_sigmoid_half_without_trained_rows_or_without_sigmoid_networks(tmp_path):
    rows = [_activity("sigmoid", "init", 0.5, 1.0), _activity("relu", "init", 0.8, 0.8)]
    _write(tmp_path, "activity_at_init", "summary", rows)
    c = claim_sigmoid_half(Tables(tmp_path))
    assert c.verdict == PARTLY and "n/a trained" in c.measured
    _write(tmp_path, "activity_at_init", "summary", rows[1:])
    assert claim_sigmoid_half(Tables(tmp_path)).verdict == NOT_RUN
    rows[0] = _activity("sigmoid", "init", math.nan, 1.0)
    _write(tmp_path, "activity_at_init", "summary", rows)
    assert claim_sigmoid_half(Tables(tmp_path)).verdict == NOT_RUN


# --- rectifier sparsity -------------------------------------------------------------------------


def _sweep_net(l1, zeros, err):
    return dict(l1=l1, frac_zero=zeros, test_error=err, collapsed=err > 0.5)


def _hinge(root, breakpoint=0.93, rises=True):
    _write(
        root,
        "sparsity_vs_error",
        "hinge",
        [dict(breakpoint=breakpoint, ci_low=0.91, ci_high=0.94, rises=rises, n=3)],
    )


def _bands(root, n=1, diff=87.1, lo=87.0, hi=87.2, collapsed=1):
    _write(root, "sparsity_vs_error", "bands",
           [dict(sparsity_low=0.95, sparsity_high=1.0, n=n, n_collapsed=collapsed,
                 diff_vs_below85_pct=diff, diff_ci_low=lo, diff_ci_high=hi)])  # fmt: skip


def test_sparsity_claim_names_collapsed_networks_and_fails_on_early_collapse(tmp_path):
    nets = [_sweep_net(0.0, 0.60, 0.016), _sweep_net(1e-4, 0.75, 0.016),
            _sweep_net(1e-3, 0.90, 0.018), _sweep_net(2e-2, 0.9999, 0.887)]  # fmt: skip
    _write(tmp_path, "sparsity_vs_error", "networks", nets)
    _hinge(tmp_path)
    _bands(tmp_path, n=2, collapsed=1)
    claim = claim_rectifier_sparsity(Tables(tmp_path))
    assert claim.verdict == SUPPORTED
    assert "1 networks at 100.0% zeros did not learn" in claim.measured
    assert "(95% CI +87.00 to +87.20, n=2, 1 of them collapsed)" in claim.measured
    assert (claim.value, claim.low, claim.high, claim.paper_value) == (0.93, 0.91, 0.94, 0.85)
    # a network at chance below 85% zeros: sparsity did hurt there, whatever the hinge says
    nets.append(_sweep_net(5e-4, 0.80, 0.887))
    _write(tmp_path, "sparsity_vs_error", "networks", nets)
    assert claim_rectifier_sparsity(Tables(tmp_path)).verdict == PARTLY


def test_sparsity_band_of_one_network_has_no_interval(tmp_path):
    _write(tmp_path, "sparsity_vs_error", "networks", [_sweep_net(1e-4, 0.75, 0.016)])
    _hinge(tmp_path, breakpoint=0.6, rises=False)
    _bands(tmp_path, n=1, collapsed=math.nan)
    claim = claim_rectifier_sparsity(Tables(tmp_path))
    assert f"+87.10 points of error vs below 85% ({TOO_FEW}, n=1)" in claim.measured
    assert claim.verdict == SUPPORTED  # no rise at all: error held wherever it was measured


def test_sparsity_claim_from_one_experiment_alone_or_neither(tmp_path):
    _write(tmp_path, "train_networks", "training_summary",
           [dict(dataset="mnist", activation="rectifier", l1=1e-4, frac_zero=0.797,
                 test_error=0.0152)])  # fmt: skip
    claim = claim_rectifier_sparsity(Tables(tmp_path))
    assert claim.verdict == PARTLY and "85% threshold was not tested" in claim.why
    assert claim.measured == "mnist L1=0.0001: 79.7% (n=1) zeros, test error 1.52% (n=1)"
    assert math.isnan(claim.value)
    claim = claim_rectifier_sparsity(Tables(tmp_path / "elsewhere"))
    assert (
        claim.verdict == NOT_RUN and "training_summary.csv or sparsity_vs_error/hinge" in claim.why
    )


# --- vanishing gradients ------------------------------------------------------------------------


def _grad(act, init, w, dz=None):
    return dict(depth=10, activation=act, init=init, seed=0, bottom_over_top=w,
                delta_bottom_over_top=w if dz is None else dz)  # fmt: skip


def test_vanishing_claim_compares_units_under_the_same_init(tmp_path):
    rows = [_grad("sigmoid", "torch", 1e-8), _grad("relu", "torch", 0.01),
            _grad("sigmoid", "xavier", 1e-6), _grad("relu", "xavier", 2.0)]  # fmt: skip
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    c = claim_vanishing(Tables(tmp_path))
    assert c.verdict == SUPPORTED and c.value == pytest.approx(1e-6 / 2.0)
    # ReLU decays too under every init: the claim is only partly borne out
    rows[3] = _grad("relu", "xavier", 0.05)
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    c = claim_vanishing(Tables(tmp_path))
    assert c.verdict == PARTLY and c.why.endswith("(ReLU also decays)")


def test_vanishing_claim_needs_the_backpropagated_gradient_level_too(tmp_path):
    # ReLU/xavier: weight gradients level (1.0) but dL/dz shrinking (0.04); he keeps both
    rows = [_grad("sigmoid", "xavier", 1e-6), _grad("relu", "xavier", 1.0, 0.04)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    claim = claim_vanishing(Tables(tmp_path))
    assert claim.verdict == PARTLY and "dL/dz" in claim.measured
    # level under He but not under Xavier (the paper's init): still only partly
    rows += [_grad("sigmoid", "he", 1e-5), _grad("relu", "he", 0.7, 1.0)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    claim = claim_vanishing(Tables(tmp_path))
    assert claim.verdict == PARTLY and "he init only" in claim.why
    # level under both normalised inits; the old init may shrink ReLU's gradients too
    rows[1] = _grad("relu", "xavier", 1.0, 0.8)
    rows += [_grad("sigmoid", "torch", 1e-8), _grad("relu", "torch", 1e-3, 1e-4)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    assert claim_vanishing(Tables(tmp_path)).verdict == SUPPORTED


def test_vanishing_claim_with_missing_units_inits_or_nan(tmp_path):
    _write(tmp_path, "vanishing_gradients", "grads_at_init", [_grad("relu", "xavier", 1.0)])
    assert claim_vanishing(Tables(tmp_path)).verdict == NOT_RUN
    rows = [_grad("sigmoid", "torch", 1e-8), _grad("relu", "xavier", 1.0)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    c = claim_vanishing(Tables(tmp_path))
    assert c.verdict == NOT_RUN and "same init" in c.why and "relu (xavier) 1/1" in c.measured
    rows = [_grad("sigmoid", "xavier", math.nan), _grad("relu", "xavier", math.nan)]
    _write(tmp_path, "vanishing_gradients", "grads_at_init", rows)
    c = claim_vanishing(Tables(tmp_path))
    assert c.verdict == NOT_SUPPORTED and "sigmoid nan/nan vs ReLU nan/nan" in c.why


# --- training speed -----------------------------------------------------------------------------


def _speed(act, ratio, sd=0.1, seeds=3, censored=0, model="mlp"):
    return dict(model=model, activation=act, reference="relu", lr=0.1, n_seeds=seeds,
                n_censored=censored, epochs_mean=2.0, ratio_mean=ratio, ratio_sd=sd,
                ratio_min=ratio, ratio_max=ratio, seconds_ratio_mean=ratio)  # fmt: skip


def test_speed_claim_verdicts_and_interval(tmp_path):
    _write(tmp_path, "training_speed", "ratios", [_speed("relu", 1.0), _speed("tanh", 3.0)])
    c = claim_training_speed(Tables(tmp_path))
    assert c.verdict == SUPPORTED and c.paper_value == 6.0
    assert_allclose(c.high - 3.0, stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3))
    rows = [_speed("relu", 1.0), _speed("tanh", 1.5), _speed("tanh", 0.6, model="cnn")]
    _write(tmp_path, "training_speed", "ratios", rows)
    c = claim_training_speed(Tables(tmp_path))
    assert c.verdict == PARTLY and c.why.endswith("but not for the cnn")
    _write(tmp_path, "training_speed", "ratios", [_speed("relu", 1.0), _speed("tanh", 0.8)])
    assert claim_training_speed(Tables(tmp_path)).verdict == NOT_SUPPORTED


@pytest.mark.parametrize(
    "row",
    [_speed("tanh", 3.0, sd=math.nan, seeds=1), _speed("tanh", 3.0, sd=0.0, seeds=2),
     _speed("tanh", 3.0, sd=math.nan, seeds=2, censored=1)],
)  # fmt: skip
def test_speed_claim_with_one_seed_or_no_spread_has_no_interval(tmp_path, row):
    _write(tmp_path, "training_speed", "ratios", [_speed("relu", 1.0), row])
    c = claim_training_speed(Tables(tmp_path))
    assert c.verdict == SUPPORTED and c.value == 3.0 and math.isnan(c.low)


def test_speed_claim_judges_alexnets_four_layer_cnn_at_each_target(tmp_path):
    def cnn4(act, ratio, target):
        return {**_speed(act, ratio, model="cnn4"), "target": target}

    rows = [_speed("relu", 1.0), _speed("tanh", 3.0)]  # the MLP row alone would be "supported"
    rows += [cnn4("relu", 1.0, 0.25), cnn4("tanh", 1.4, 0.25), cnn4("tanh", 0.9, 0.1)]
    _write(tmp_path, "training_speed", "ratios", rows)
    c = claim_training_speed(Tables(tmp_path))
    assert c.verdict == PARTLY and "cnn4 to 25%" in c.why and c.why.endswith("cnn4 to 10%")
    assert c.value == 1.4 and "cnn4 to 25%" in c.quantity  # the key number: AlexNet's target
    assert "mlp: tanh needs 3.00" in c.measured
    rows[-2:] = [cnn4("tanh", 0.8, 0.25), {**cnn4("tanh", 0.9, 0.1), "n_censored": 1}]
    _write(tmp_path, "training_speed", "ratios", rows)
    c = claim_training_speed(Tables(tmp_path))
    assert c.verdict == NOT_SUPPORTED and "AlexNet's four-layer CNN" in c.why
    assert c.why.endswith("a run never reaching the target: 1/3 (cnn4 to 10%)")


def test_speed_claim_needs_uncensored_pairs(tmp_path):
    rows = [_speed("relu", 1.0), _speed("tanh", math.nan, math.nan, censored=3),
            _speed("sigmoid", math.nan, math.nan, censored=3)]  # fmt: skip
    _write(tmp_path, "training_speed", "ratios", rows)
    c = claim_training_speed(Tables(tmp_path))
    assert c.verdict == NOT_RUN and c.measured == "mlp sigmoid: never reached the target (censored)"


# --- pre-training -------------------------------------------------------------------------------


def _t1(act, pre, mean, sd=0.05, n=3, dataset="mnist"):
    return dict(dataset=dataset, activation=act, pretrain=pre, test_error_pct_mean=mean,
                test_error_pct_sd=sd, n=n)  # fmt: skip


def test_pretraining_gains_are_welch_differences():
    rows = [_t1("relu", "none", 1.5, 0.06), _t1("relu", "dae", 1.4, 0.08),
            _t1("softplus", "none", 3.3, 0.1), _t1("softplus", "dae", 1.6, 0.1)]  # fmt: skip
    g = pretraining_gains(pd.DataFrame(rows)).set_index("activation")
    se = (0.06**2 / 3 + 0.08**2 / 3) ** 0.5
    assert_allclose(g.loc["relu", ["gain_pct", "gain_se_pct"]].astype(float), [0.1, se])
    df = se**4 / ((0.06**2 / 3) ** 2 / 2 + (0.08**2 / 3) ** 2 / 2)
    assert_allclose(g.loc["relu", "df"], df)
    assert_allclose(g.loc["relu", "ci_high"] - 0.1, stats.t.ppf(0.975, df) * se)
    assert_allclose(g.loc["softplus", "gain_pct"], 1.7)


def test_pretraining_gains_with_one_seed_have_no_interval_and_no_division_by_zero():
    g = pretraining_gains(pd.DataFrame([_t1("relu", "none", 4.4, math.nan, 1),
                                        _t1("relu", "dae", 3.5, math.nan, 1)]))  # fmt: skip
    assert_allclose(g["gain_pct"], 0.9) and g["ci_low"].isna().all()
    assert "fewer than 2 observations" in g["note"].iloc[0]
    with pytest.raises(ValueError, match="missing \\['n'\\]"):
        pretraining_gains(pd.DataFrame([_t1("relu", "none", 4.4)]).drop(columns="n"))


def test_pretraining_claim_verdicts(tmp_path):
    _write(tmp_path, "glorot_table1", "table1", [_t1("relu", "none", 1.5), _t1("relu", "dae", 1.4)])
    c = claim_pretraining(Tables(tmp_path))
    assert c.verdict == SUPPORTED and c.value == pytest.approx(0.1) and c.low < 0.1 < c.high
    assert c.paper_value == pytest.approx(1.43 - 1.20)
    _write(tmp_path, "glorot_table1", "table1", [_t1("relu", "none", 2.0), _t1("relu", "dae", 1.4)])
    assert claim_pretraining(Tables(tmp_path)).verdict == PARTLY
    _write(tmp_path, "glorot_table1", "table1", [_t1("relu", "none", 3.0), _t1("relu", "dae", 1.4)])
    assert claim_pretraining(Tables(tmp_path)).verdict == NOT_SUPPORTED
    # another unit that gains as little: the advantage is not the rectifier's own
    rows = [_t1("relu", "none", 1.5), _t1("relu", "dae", 1.4),
            _t1("tanh", "none", 1.8), _t1("tanh", "dae", 1.68)]  # fmt: skip
    _write(tmp_path, "glorot_table1", "table1", rows)
    claim = claim_pretraining(Tables(tmp_path))
    assert claim.verdict == PARTLY and "no less than for tanh" in claim.why


@pytest.mark.parametrize("peer_gain, verdict", [(0.244, SUPPORTED), (0.187, PARTLY)])
def test_pretraining_peers_count_alike_within_two_combined_standard_errors(
    tmp_path, peer_gain, verdict
):
    # every gain here has SE sqrt(2 * 0.05^2 / 3) = 0.0408; combined 0.0577, twice that 0.115:
    # ReLU gains 0.1, so a peer gaining 0.244 (2.5 SE more) differs, 0.187 (1.5 SE) does not
    rows = [_t1("relu", "none", 1.5), _t1("relu", "dae", 1.4),
            _t1("tanh", "none", 1.8), _t1("tanh", "dae", 1.8 - peer_gain)]  # fmt: skip
    _write(tmp_path, "glorot_table1", "table1", rows)
    claim = claim_pretraining(Tables(tmp_path))
    assert claim.verdict == verdict
    if verdict == SUPPORTED:
        assert claim.why.endswith("clearly less than it removes for the other units")


@pytest.mark.parametrize(
    "rows",
    [[_t1("relu", "none", 4.4, math.nan, 1), _t1("relu", "dae", 3.5, math.nan, 1)],
     [_t1("relu", "none", 4.4, 0.0, 2), _t1("relu", "dae", 3.5, 0.0, 2)],
     [_t1("relu", "none", 4.4, 0.1, 3), _t1("relu", "dae", math.nan, 0.1, 3)]],
)  # fmt: skip
def test_pretraining_claim_with_one_seed_zero_spread_or_nan_is_n_too_small(tmp_path, rows):
    _write(tmp_path, "glorot_table1", "table1", rows)
    c = claim_pretraining(Tables(tmp_path))
    assert c.verdict == N_TOO_SMALL and TOO_FEW in c.why and TOO_FEW in c.measured


def test_pretraining_claim_missing_blocks(tmp_path):
    _write(tmp_path, "glorot_table1", "table1", [_t1("relu", "none", 1.5)])
    c = claim_pretraining(Tables(tmp_path))  # no pre-trained rows
    assert c.verdict == NOT_RUN and c.measured.startswith("mnist none: 1.50 ± 0.05%")
    _write(tmp_path, "glorot_table1", "table1", [_t1("tanh", "none", 1.8), _t1("tanh", "dae", 1.6)])
    assert claim_pretraining(Tables(tmp_path)).verdict == NOT_RUN  # no rectifier networks
    # a peer with one seed has no SE to compare with: it is left out, not counted alike
    rows = [_t1("relu", "none", 1.5), _t1("relu", "dae", 1.4),
            _t1("tanh", "none", 1.8, math.nan, 1),
            _t1("tanh", "dae", 1.68, math.nan, 1)]  # fmt: skip
    _write(tmp_path, "glorot_table1", "table1", rows)
    c = claim_pretraining(Tables(tmp_path))
    assert c.verdict == SUPPORTED and f"tanh +0.12 ({TOO_FEW})" in c.measured
    assert c.why.endswith(f"(upper 95% bound); tanh: {TOO_FEW} to compare with")
