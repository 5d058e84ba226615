"""Figures of the comparison layer, drawn from small hand-made tables: fitted curves evaluated
from their parameters, per-cell distributions, the faceted log-axis contrast."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from neuroact.figures import compare
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


def fit_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two cells: a = 2 Hz/pA above 100 pA (a rectifier), b = the same with a softplus fit."""
    current = np.linspace(0, 300, 7)
    points = pd.concat(
        [
            pd.DataFrame(
                {"cell_id": c, "current": current, "rate_Hz": 2 * np.maximum(0, current - 100)}
            )
            for c in ("a", "b")
        ]
    ).assign(current_unit="pA")
    fits = pd.DataFrame(
        [
            {
                "cell_id": "a",
                "family": "rectifier",
                "success": True,
                "aic": 1.0,
                "g": 2.0,
                "theta": 100.0,
            },
            {
                "cell_id": "a",
                "family": "logistic",
                "success": True,
                "aic": 9.0,
                "r_max": 400.0,
                "theta": 200.0,
                "s": 30.0,
            },
            {
                "cell_id": "b",
                "family": "rectifier",
                "success": True,
                "aic": 5.0,
                "g": 2.0,
                "theta": 100.0,
            },
            {
                "cell_id": "b",
                "family": "softplus",
                "success": True,
                "aic": 3.0,
                "g": 2.0,
                "theta": 100.0,
                "beta": 0.5,
            },
            {
                "cell_id": "b",
                "family": "logistic",
                "success": False,
                "aic": np.nan,
                "r_max": np.nan,
                "theta": np.nan,
                "s": np.nan,
            },
        ]
    )
    fits["r2"] = [1.0, 0.9, 1.0, 0.999, np.nan]
    return points, fits


def test_fit_grid_evaluates_each_family_from_its_parameters():
    points, fits = fit_tables()
    fig = compare.plot_fit_grid(points, fits, families=["rectifier", "softplus", "logistic"])
    a, b = fig.axes
    assert title(a) == "a\nbest: rectifier (ReLU)" and title(b) == "b\nbest: softplus"
    assert a.get_xlabel() == "current (pA)" and a.get_ylabel() == "rate (Hz)"
    data = a.lines[0]
    np.testing.assert_allclose(np.asarray(data.get_ydata(), float), [0, 0, 0, 100, 200, 300, 400])
    relu = [ln for ln in a.lines if ln.get_label() == "rectifier (ReLU)"][0]
    x, y = np.asarray(relu.get_xdata()), np.asarray(relu.get_ydata())
    np.testing.assert_allclose(y, 2 * np.maximum(0, x - 100))
    soft = [ln for ln in b.lines if ln.get_label() == "softplus"][0]
    x = np.asarray(soft.get_xdata())
    np.testing.assert_allclose(soft.get_ydata(), (2 / 0.5) * np.log1p(np.exp(0.5 * (x - 100))))
    assert not [ln for ln in b.lines if ln.get_label() == "sigmoid (logistic)"]  # failed fit
    assert relu.get_linewidth() > soft.get_linewidth()  # the rectifier wide, underneath
    assert relu.get_color() == PALETTE["relu"] and soft.get_color() == PALETTE["softplus"]
    assert legend_texts(fig) == ["rectifier (ReLU)", "sigmoid (logistic)", "softplus"]


def test_fit_grid_labels_each_panel_with_its_own_unit():
    points, fits = fit_tables()
    points.loc[points["cell_id"] == "b", "current_unit"] = "uA/cm2"
    fig = compare.plot_fit_grid(points, fits, ncols=1)
    assert [ax.get_xlabel() for ax in fig.axes] == ["current (pA)", "current (µA/cm²)"]
    with pytest.raises(ValueError, match="ncols must be a positive integer; got 0"):
        compare.plot_fit_grid(points, fits, ncols=0)


def test_family_summary_shows_every_cell():
    _, fits = fit_tables()
    summary = pd.DataFrame({"family": ["rectifier", "softplus", "logistic"], "n_wins": [1, 1, 0]})
    fig = compare.plot_family_summary(summary, fits)
    wins, r2, delta = fig.axes
    assert [p.get_width() for p in wins.patches] == [1, 1, 0]
    assert [t.get_text() for t in wins.get_yticklabels()] == [
        "rectifier (ReLU)",
        "softplus",
        "sigmoid (logistic)",
    ]
    assert wins.get_xlabel() == "cells won, lowest AIC (of 2)"
    assert r2.get_xscale() == "log" and delta.get_xscale() == "symlog"
    # one dot per successful cell fit: rectifier in both cells, softplus in b, logistic in a
    r2_dots = [c.get_offsets()[:, 0] for c in r2.collections]
    np.testing.assert_allclose(r2_dots[0], [1e-6, 1e-6])  # R^2 = 1, clipped for the log axis
    np.testing.assert_allclose(r2_dots[1], [1e-3])
    np.testing.assert_allclose(r2_dots[2], [0.1])
    delta_dots = [c.get_offsets()[:, 0] for c in delta.collections]
    np.testing.assert_allclose(delta_dots[0], [0.0, 2.0])  # a: best; b: 5 - 3
    np.testing.assert_allclose(delta_dots[2], [8.0])
    rows = [c.get_offsets()[:, 1] for c in r2.collections]
    assert all(np.all(np.abs(r - k) <= 0.18) for k, r in enumerate(rows))  # jitter stays in row


def contrast_table() -> pd.DataFrame:
    lit = [
        (
            "literature",
            "Lennie 2003 (cortex)",
            "band",
            np.nan,
            None,
            np.nan,
            np.nan,
            np.nan,
            0.01,
            0.04,
        ),
        (
            "literature",
            "Attwell & Laughlin 2001 (cortex)",
            "band",
            np.nan,
            None,
            np.nan,
            np.nan,
            np.nan,
            0.0,
            0.15,
        ),
    ]
    sim = [
        (
            "simulated",
            f"Brunel network sparse, g=8, eta=0.85, heterogeneity=0; W={w} ms",
            "spikes in window",
            w,
            None,
            np.nan,
            np.nan,
            f,
            np.nan,
            np.nan,
        )
        for w, f in ((10, 0.00005), (50, 0.02))
    ]
    trained = [
        ("trained", "x", view, np.nan, act, l1, layer, f, np.nan, np.nan)
        for act, l1, view, layer, f in (
            ("relu", 0.0, "output", 1, 0.4),
            ("relu", 0.0, "input", 1, 0.4),
            ("relu", 1e-3, "output", 1, 0.05),
            ("relu", 1e-3, "output", 2, 0.08),
            ("sigmoid", 0.0, "output", 1, 1.0),
        )
    ]
    bio = [("bio_activation", "y", "output", np.nan, "soft_lif", 0.0, 1, 0.9, np.nan, np.nan)]
    cols = [
        "source",
        "label",
        "view",
        "window_ms",
        "activation",
        "l1",
        "layer",
        "fraction_active",
        "low",
        "high",
    ]
    table = pd.DataFrame(lit + sim + trained + bio, columns=cols)
    table["test_error"] = np.where(
        table["source"].isin(["trained", "bio_activation"]), 0.02, np.nan
    )
    return table


def test_contrast_facets_on_a_log_axis_with_the_bands():
    fig = compare.plot_contrast(contrast_table())
    spiking, trained, bio = fig.axes
    assert [title(ax)[:3] for ax in fig.axes] == ["(a)", "(b)", "(c)"]
    assert all(ax.get_xscale() == "log" for ax in fig.axes)
    assert bio.get_xlabel() == "units active at once (%, log scale)"
    assert [t.get_text() for t in spiking.get_yticklabels()] == ["Brunel sparse, g=8, η=0.85"]
    assert [t.get_text() for t in trained.get_yticklabels()] == [
        "rectifier (ReLU)",
        "rectifier (ReLU), L1 = 1e-3",
        "sigmoid (logistic)",
    ]
    # 0.005% is under the 0.01% floor: drawn on the floor as "<"; 2% where it is
    offsets = np.vstack([c.get_offsets() for c in spiking.collections])
    np.testing.assert_allclose(sorted(offsets[:, 0]), [0.01, 2.0])
    l1_points = np.vstack([c.get_offsets() for c in trained.collections])
    row1 = l1_points[np.isclose(l1_points[:, 1], 1 - 0.17)]
    np.testing.assert_allclose(sorted(row1[:, 0]), [5.0, 8.0])  # layers 1 and 2, output view
    lennie = [p for p in spiking.patches if p.get_label().startswith("Lennie")][0]
    assert (lennie.get_x(), lennie.get_x() + lennie.get_width()) == pytest.approx((1.0, 4.0))
    texts = legend_texts(fig)
    assert {
        "Lennie 2003 (cortex): 1-4%",
        "W = 10 ms",
        "input view (open)",
        "hidden layer 2",
    } <= set(texts)
    assert len(fig.legends) == 1


def test_accuracy_sparsity_marks_each_network_apart():
    fig = compare.plot_accuracy_sparsity(contrast_table())
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "test error (%)"
    points = {c.get_label(): c.get_offsets()[0] for c in ax.collections}
    np.testing.assert_allclose(points["rectifier (ReLU), L1 = 1e-3"], [6.5, 2.0])  # mean of layers
    np.testing.assert_allclose(points["soft-LIF (bio. activation)"], [90.0, 2.0])
    markers = {c.get_label(): c.get_paths()[0].vertices.shape[0] for c in ax.collections}
    assert markers["rectifier (ReLU)"] != markers["rectifier (ReLU), L1 = 1e-3"]
    assert "Lennie 2003: 1-4%" in legend_texts(fig)


def test_bio_activation_curves_with_their_labels():
    x = np.linspace(-1, 2, 4)
    curves = pd.concat(
        [
            pd.DataFrame({"activation": "relu", "x": x, "y": np.maximum(0, x)}),
            pd.DataFrame({"activation": "soft_lif", "x": x, "y": np.log1p(np.exp(x))}),
        ]
    )
    fig = compare.plot_bio_activation(curves)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0, 0, 1, 2])
    assert ax.lines[1].get_color() == PALETTE["soft_lif"]
    assert ax.get_xlabel() == "pre-activation x (threshold at 0)"
    assert legend_texts(fig) == ["rectifier (ReLU)", "soft-LIF"]


def test_contrast_checks_its_table():
    with pytest.raises(ValueError, match=r"contrast lacks the columns \['layer'\]"):
        compare.plot_contrast(contrast_table().drop(columns="layer"))
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None; got int"):
        compare.plot_accuracy_sparsity(contrast_table(), ax=3)
