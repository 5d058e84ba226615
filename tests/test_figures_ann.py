"""Figures of the artificial side, drawn from small hand-made tables: panels, axis labels,
legend entries, log scales, distinct styles per network and the plotted values."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from neuroact.figures import ann, ann_claims, gradients
from neuroact.figures.style import PALETTE


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def legend_texts(fig) -> list[str]:
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def title(ax) -> str:
    return ax.get_title("left") or ax.get_title()


def ys(line) -> np.ndarray:
    return np.asarray(line.get_ydata(), float)


def history() -> pd.DataFrame:
    """Three networks (ReLU, ReLU with L1 = 1e-3, tanh; a second tanh seed) x epochs 0-2 x
    two hidden layers and the read-out, with values one can compute by hand."""
    rows = []
    nets = [("relu", 0.0, 0), ("relu", 1e-3, 0), ("tanh", 0.0, 0), ("tanh", 0.0, 1)]
    for (act, l1, seed), epoch, layer in itertools.product(nets, range(3), (1, 2, 3)):
        sparse = 0.2 if l1 else 0.0
        rows.append(
            {
                "job": f"{act}_l1={l1}_s{seed}",
                "dataset": "mnist",
                "widths": "8-8",
                "activation": act,
                "init": "xavier",
                "l1": l1,
                "seed": seed,
                "epoch": epoch,
                "layer": layer,
                "layer_kind": "hidden" if layer < 3 else "readout",
                "grad_norm": 10.0 ** -(layer + epoch),
                "frac_zero": 0.1 * layer + sparse if act == "relu" else 0.01,
                "frac_zero_eps": 0.0 if act == "relu" else 0.01,
                "frac_active_input": 0.5 - 0.1 * layer - sparse,
                "lifetime_sparseness": 0.5 + sparse,
                "val_error": 0.1 / (epoch + 1) + seed * 0.01,
                "train_error": 0.08 / (epoch + 1),
                "train_loss": 1.0 / (epoch + 1),
            }
        )
    return pd.DataFrame(rows)


def test_training_curves_one_entry_per_setting_on_a_log_error_axis():
    fig = ann.training_curves(history())
    err, loss = fig.axes
    assert err.get_yscale() == "log" and loss.get_yscale() == "log"
    assert err.get_ylabel() == "error (%, log scale)" and err.get_xlabel() == "epoch"
    test_relu = err.lines[0]  # bold test error of the first network, epochs 1 and 2
    np.testing.assert_allclose(test_relu.get_xdata(), [1, 2])
    np.testing.assert_allclose(ys(test_relu), [5.0, 100 * 0.1 / 3])
    np.testing.assert_allclose(ys(loss.lines[0]), [0.5, 1 / 3])
    assert legend_texts(fig) == ["rectifier (ReLU)", "rectifier (ReLU), L1 = 1e-3", "tanh"]


def test_layer_sparsity_tells_the_two_relu_settings_apart():
    fig = ann.layer_sparsity(history())
    out, inp, life = fig.axes
    relu, relu_l1 = out.lines[0], out.lines[1]
    np.testing.assert_allclose(ys(relu), [10.0, 20.0])  # 100 x 0.1 x layer
    np.testing.assert_allclose(ys(relu_l1), [30.0, 40.0])
    assert (relu.get_marker(), relu.get_linestyle()) != (
        relu_l1.get_marker(),
        relu_l1.get_linestyle(),
    )
    assert relu.get_color() == relu_l1.get_color() == PALETTE["relu"]
    np.testing.assert_allclose(ys(inp.lines[1]), [20.0, 10.0])
    assert inp.get_yscale() == "log" and out.get_yscale() == "linear"
    assert out.get_ylabel() == "inactive outputs (%)"
    assert "|a| ≤ 0.01 × P99" in title(out)  # the eps of the smooth unit
    assert [t.get_text() for t in out.get_xticklabels()] == ["1", "2"]  # hidden layers only
    np.testing.assert_allclose(ys(life.lines[1]), [0.7, 0.7])
    assert legend_texts(fig) == [
        "Glorot et al. 2011: 68-83%",
        "rectifier (ReLU)",
        "rectifier (ReLU), L1 = 1e-3",
        "tanh",
        "Attwell & Laughlin 2001: 0-15%",
        "Lennie 2003: 1-4%",
    ]
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)


def test_gradient_norms_first_and_last_epoch():
    fig = ann.gradient_norms(history())
    first, last = fig.axes
    assert title(first) == "(a) epoch 1 (first)" and title(last) == "(b) epoch 2 (last)"
    assert first.get_yscale() == "log"
    np.testing.assert_allclose(ys(first.lines[0]), [1e-2, 1e-3, 1e-4])
    np.testing.assert_allclose(ys(last.lines[0]), [1e-3, 1e-4, 1e-5])
    assert "||dL/dW||" in first.get_ylabel()
    assert first.get_xlabel() == "weight layer (last = read-out)"


def test_gradient_norms_needs_a_trained_epoch():
    h = history()
    with pytest.raises(ValueError, match="history has no trained epoch"):
        ann.gradient_norms(h[h["epoch"] == 0])


def test_glorot_table1_bars_seeds_and_paper_values():
    nets = pd.DataFrame(
        {
            "dataset": "mnist",
            "activation": ["relu", "relu", "tanh", "relu"],
            "pretrain": ["none", "none", "none", "dae"],
            "test_error": [0.014, 0.016, 0.02, 0.012],
            "frac_zero": [0.6, 0.7, 0.0, 0.5],
            "frac_active_input": [0.4, 0.3, 0.5, 0.5],
            "widths": "1000-1000-1000",
        }
    )
    table = pd.DataFrame(
        {
            "dataset": "mnist",
            "activation": ["relu", "tanh", "relu"],
            "pretrain": ["none", "none", "dae"],
            "paper_test_error_pct": [1.43, 1.57, 1.20],
        }
    )
    fig = ann_claims.glorot_table1(nets, table)
    err, sparse = fig.axes
    heights = [p.get_height() for p in err.patches if p.get_height() > 0]
    np.testing.assert_allclose(heights, [1.5, 2.0, 1.2])  # relu, tanh (none), relu (dae)
    crosses = [ln for ln in err.lines if ln.get_marker() == "x"]
    np.testing.assert_allclose([ys(c)[0] for c in crosses], [1.43, 1.57, 1.20])
    assert [t.get_text() for t in err.get_xticklabels()] == ["rectifier\n(ReLU)", "tanh"]
    bars = [p.get_height() for p in sparse.patches if p.get_width() < 1]
    np.testing.assert_allclose(bars, [65.0, 0.0, 50.0])  # inactive outputs, percent
    assert sparse.get_ylabel() == "inactive hidden units (%)"
    assert "Glorot et al. 2011 (MNIST)" in legend_texts(fig)


def test_sparsity_vs_error_hinge_on_a_log_error_axis():
    nets = pd.DataFrame(
        {
            "l1": [0.0, 1e-4, 1e-3, 1e-2],
            "frac_zero": [0.6, 0.8, 0.9, 0.9999],
            "test_error": [0.016, 0.016, 0.026, 0.9],
            "collapsed": [False, False, False, True],
        }
    )
    fit = pd.DataFrame(
        {"level": [0.016], "slope": [0.2], "breakpoint": [0.85], "ci_low": [0.8], "ci_high": [0.9]}
    ).assign(ci_level=0.95)
    fig = ann_claims.sparsity_vs_error(nets, fit)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "test error (%, log scale)"
    hinge = [ln for ln in ax.lines if ln.get_label() == "hinge fit"][0]
    x, y = np.asarray(hinge.get_xdata()), ys(hinge)
    assert (x[0], x[-1]) == pytest.approx((60.0, 90.0))
    assert y[0] == pytest.approx(1.6) and y[-1] == pytest.approx(100 * (0.016 + 0.2 * 0.05))
    penalised = ax.collections[0]
    np.testing.assert_allclose(penalised.get_offsets(), [[80.0, 1.6], [90.0, 2.6]])
    np.testing.assert_allclose(penalised.get_array(), [1e-4, 1e-3])
    assert fig.axes[1].get_ylabel() == "L1 activation penalty (log scale)"
    texts = legend_texts(fig)
    assert {"hinge fit", "no penalty", "collapsed to chance (not fitted)"} <= set(texts)
    assert "breakpoint, 95% bootstrap CI" in texts


def test_training_speed_ratios_against_relu():
    curves = pd.DataFrame(
        [
            {"model": "mlp", "activation": a, "seed": s, "epoch": e, "train_error": err}
            for a, s in itertools.product(("relu", "tanh"), (0, 1))
            for e, err in enumerate((0.9, 0.1 if a == "relu" else 0.5, 0.01))
        ]
    )
    ratios = pd.DataFrame(
        {
            "model": "mlp",
            "activation": ["relu", "tanh", "sigmoid"],
            "reference": "relu",
            "ratio_mean": [1.0, 2.0, np.nan],
            "ratio_min": [1.0, 1.5, np.nan],
            "ratio_max": [1.0, 2.5, np.nan],
        }
    )
    fig = ann_claims.training_speed(curves, ratios, 0.03)
    curve_ax, ratio_ax = fig.axes
    assert curve_ax.get_yscale() == "log" and ratio_ax.get_xscale() == "log"
    np.testing.assert_allclose(ys(curve_ax.lines[0]), [90.0, 10.0, 1.0])
    target = [ln for ln in curve_ax.lines if ln.get_label() == "target 3%"][0]
    assert ys(target)[0] == pytest.approx(3.0)
    labels = [t.get_text() for t in ratio_ax.get_yticklabels()]
    assert labels == ["MLP: tanh / relu", "MLP: sigmoid / relu"]  # ReLU's own row left out
    mean = [ln for ln in ratio_ax.lines if ln.get_marker() == "o" and len(ln.get_xdata())][0]
    assert (mean.get_xdata()[0], ys(mean)[0]) == (2.0, 0.0)
    censored = [ln for ln in ratio_ax.lines if ln.get_marker() == ">"][0]
    assert ys(censored)[0] == 1.0
    assert "AlexNet: tanh/ReLU = 6" in legend_texts(fig)
    with pytest.raises(ValueError, match="target must be a training error in"):
        ann_claims.training_speed(curves, ratios, 3.0)


def test_activity_at_init_bars_in_percent_per_init():
    stats = pd.DataFrame(
        [
            {
                "init": init,
                "activation": act,
                "stage": stage,
                "frac_active_output": 1.0 if act == "sigmoid" else 0.5,
                "frac_active_input": 0.5 if stage == "init" else 0.25,
            }
            for init, act, stage in itertools.product(
                ("xavier", "he"), ("relu", "sigmoid"), ("init", "trained")
            )
        ]
    )
    fig = ann_claims.activity_at_init(stats)
    xavier, he = fig.axes
    assert title(xavier) == "init: xavier" and title(he) == "init: he"
    heights = [p.get_height() for p in xavier.patches]
    np.testing.assert_allclose(heights, [50, 50, 50, 25, 100, 50, 100, 25])
    assert xavier.get_ylabel() == "hidden units active (%)"
    assert [t.get_text() for t in xavier.get_xticklabels()] == [
        "rectifier\n(ReLU)",
        "sigmoid\n(logistic)",
    ]
    assert "trained, input view" in legend_texts(fig)


def vanishing_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    grads = []
    for depth, act, init in itertools.product((2, 4), ("relu", "sigmoid"), ("torch", "he")):
        decay = 0.5 if act == "sigmoid" else 1.0
        for layer in range(1, depth + 2):
            grads.append(
                {
                    "depth": depth,
                    "activation": act,
                    "init": init,
                    "layer": layer,
                    "grad_norm": decay ** (depth + 1 - layer),
                    "bottom_over_top": decay ** (depth - 1),
                    "delta_bottom_over_top": decay**depth,
                }
            )
    training = []
    for act, epoch, layer in itertools.product(("sigmoid", "tanh", "relu"), range(3), (1, 2)):
        training.append(
            {
                "activation": act,
                "init": "torch",
                "epoch": epoch,
                "layer": layer,
                "grad_norm": 0.1 * layer,
                "mean_activation": 0.5 - 0.2 * epoch * (layer == 2),
                "saturation_frac": 0.1 * epoch * layer if act == "tanh" else np.nan,
            }
        )
    return pd.DataFrame(grads), pd.DataFrame(training)


def test_vanishing_gradients_one_legend_for_eight_panels():
    grads, training = vanishing_tables()
    fig = gradients.vanishing_gradients(grads, training)
    assert len(fig.axes) == 8
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [title(ax)[:3] for ax in visible] == ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)"]
    a, b, d_ratio, e_sig, f_tanh, g_train, h_delta = visible
    assert a.get_yscale() == "log" and d_ratio.get_yscale() == "log"
    sigmoid_torch = [ln for ln in a.lines if ln.get_color() == PALETTE["sigmoid"]][0]
    np.testing.assert_allclose(ys(sigmoid_torch), [0.5**4, 0.5**3, 0.5**2, 0.5, 1.0])
    assert b.lines[0].get_linestyle() == ":"  # he init dotted in every panel
    sig_ratio = [ln for ln in d_ratio.lines if ln.get_color() == PALETTE["sigmoid"]][0]
    np.testing.assert_allclose(ys(sig_ratio), [0.5, 0.125])  # depths 2 and 4
    np.testing.assert_allclose(ys(e_sig.lines[1]), [0.5, 0.3, 0.1])  # top layer falls to 0
    np.testing.assert_allclose(ys(f_tanh.lines[1]), [0.0, 20.0, 40.0])  # percent saturated
    np.testing.assert_allclose(ys(g_train.lines[0]), [0.5, 0.5])  # layer 1 / layer 2
    np.testing.assert_allclose(ys(h_delta.lines[-2]), [0.25, 0.0625])
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    assert legend_texts(fig) == [
        "rectifier (ReLU)",
        "sigmoid (logistic)",
        "torch init",
        "he init",
        "hidden layer 1",
        "hidden layer 2",
    ]


def test_vanishing_gradients_without_training_rows():
    grads, training = vanishing_tables()
    fig = gradients.vanishing_gradients(grads, training.iloc[0:0])
    assert sum(ax.get_visible() for ax in fig.axes) == 4  # (a), (b), (d) and (h)
