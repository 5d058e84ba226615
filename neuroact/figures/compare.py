"""Figures of the comparison layer: f-I fits (measured and simulated), winners, sparsity contrast.

Every function takes tidy tables (as written by ``neuroact.compare`` and the ``compare``
experiment) and a path; fitted curves are evaluated from the stored parameters with the family
formulas, nothing is simulated or trained here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from neuroact.compare.curves import get_family
from neuroact.figures import PALETTE, draw_band, figure, save
from neuroact.literature import SPARSITY_BANDS

__all__ = [
    "plot_fit_grid",
    "plot_family_summary",
    "plot_contrast",
    "plot_bio_activation",
    "plot_accuracy_sparsity",
]

_EXTRA_COLOURS = ["#17becf", "#bcbd22", "#7f7f7f", "#9edae5"]
# The rectifier dashed: a softplus with large beta lies exactly on top of it.
_STYLES = {"rectifier": (0, (4, 2))}
_BAND_COLOURS = ["#2ca02c", "#bcbd22", "#7f7f7f"]


def _colour(name: str, i: int = 0) -> str:
    return PALETTE.get(name, _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)])


def _curve(row: pd.Series, grid: np.ndarray) -> np.ndarray:
    fam = get_family(row["family"])
    return fam(grid, *[float(row[p]) for p in fam.params])


def plot_fit_grid(
    points: pd.DataFrame,
    fits: pd.DataFrame,
    path: str | os.PathLike,
    *,
    group_col: str = "cell_id",
    current_col: str = "current",
    rate_col: str = "rate_Hz",
    current_unit: str = "pA",
    families: Sequence[str] | None = None,
    criterion: str = "aic",
    ncols: int = 8,
    title: str | None = None,
) -> list[Path]:
    """One panel per curve (cell or model): data points and each family's fitted curve.

    ``points`` has ``group_col``, ``current_col``, ``rate_col``; ``fits`` one row per
    group x family with ``family``, ``success``, ``r2``, ``criterion`` and the parameters.
    The panel title names the group and its winning family (lowest ``criterion``). With a
    ``current_unit`` column holding several units, each panel gets its own axis label.
    """
    groups = list(pd.unique(points[group_col]))
    if families is None:
        families = list(pd.unique(fits["family"]))
    n = len(groups)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = figure(
        nrows, ncols, figsize=(2.3 * ncols, 1.9 * nrows + 0.6), squeeze=False, sharey=False
    )
    for ax, g in zip(axes.flat, groups, strict=False):
        d = points[points[group_col] == g]
        ax.plot(d[current_col], d[rate_col], "o", ms=2.5, color="0.25", zorder=3)
        lo, hi = float(d[current_col].min()), float(d[current_col].max())
        grid = np.linspace(lo, hi, 300)
        f = fits[(fits[group_col] == g) & fits["success"].astype(bool)]
        for j, fam in enumerate(families):
            row = f[f["family"] == fam]
            if row.empty:
                continue
            ax.plot(
                grid,
                _curve(row.iloc[0], grid),
                lw=1.1,
                color=_colour(fam, j),
                label=fam,
                ls=_STYLES.get(fam, "-"),
                zorder=4 if fam in _STYLES else 2,
            )
        win = f.sort_values(criterion)["family"].iloc[0] if len(f) else "none"
        ax.set_title(f"{str(g)[:28]}\nbest: {win}", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("rate (Hz)", fontsize=7)
    units = (
        points.groupby(group_col, sort=False)["current_unit"].first()
        if ("current_unit" in points)
        else None
    )
    if units is not None and units.nunique() > 1:  # mixed units (nA, uA/cm2): label each panel
        for ax, g in zip(axes.flat, groups, strict=False):
            ax.set_xlabel(f"current ({units[g]})", fontsize=7)
    else:
        for ax in axes[-1, :]:
            ax.set_xlabel(f"current ({current_unit})", fontsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=len(labels),
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )
    if title:
        fig.suptitle(title, y=1.03)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return save(fig, path)


def plot_family_summary(
    summary: pd.DataFrame, path: str | os.PathLike, *, title: str = ""
) -> list[Path]:
    """Bars of wins per family and of median R^2 (with IQR) from ``CellFits.summary()``."""
    fig, (a1, a2) = figure(1, 2, figsize=(8, 3.2))
    fams = list(summary["family"])
    colours = [_colour(f, i) for i, f in enumerate(fams)]
    a1.bar(fams, summary["n_wins"], color=colours)
    a1.set_ylabel("cells won (lowest AIC)")
    a1.set_xlabel("family")
    med = summary["median_r2"].to_numpy(float)
    err = np.vstack([med - summary["r2_q25"], summary["r2_q75"] - med])
    a2.bar(fams, med, yerr=err, color=colours, capsize=3)
    a2.set_ylim(max(0.0, float(np.nanmin(summary["r2_q25"])) - 0.05), 1.0)
    a2.set_ylabel("median R$^2$ (IQR)")
    a2.set_xlabel("family")
    for ax in (a1, a2):
        ax.tick_params(axis="x", rotation=30)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def plot_contrast(contrast: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Fraction active (%) of literature bands, simulated networks and trained networks.

    ``contrast`` is the table of :func:`neuroact.compare.contrast.build_contrast`: literature
    rows give a band (``low``/``high``, as a fraction active), the others a ``fraction_active``
    (filled markers: output view or spikes in a window; open markers: input view).
    """
    bands = contrast[contrast["source"] == "literature"]
    rows = contrast[contrast["source"] != "literature"].reset_index(drop=True)
    fig, ax = figure(figsize=(7.5, 0.26 * max(len(rows), 4) + 1.8))
    for i, (_, band) in enumerate(bands.iterrows()):
        ax.axvspan(
            100 * band["low"],
            100 * band["high"],
            color=_BAND_COLOURS[i % 3],
            alpha=0.25,
            lw=0,
            label=band["label"],
        )
    colours = {"simulated": "#8c564b", "trained": "#d62728", "bio_activation": "#ff7f0e"}
    y = np.arange(len(rows))
    for (src, view), d in rows.groupby(["source", "view"], sort=False):
        c = colours.get(src, "0.3")
        hollow = view == "input"
        ax.scatter(
            100 * d["fraction_active"],
            y[d.index],
            zorder=3,
            s=22,
            facecolors="none" if hollow else c,
            edgecolors=c,
            label=f"{src.replace('_', ' ')} ({view})",
        )
    ax.set_yticks(y)
    ax.set_yticklabels(rows["label"], fontsize=6.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 103)
    ax.set_xlabel("fraction of units active at once (%)")
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Brains, spiking networks and trained networks on one axis", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_bio_activation(curves: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """The biological activations next to ReLU/softplus: ``curves`` has x, y, activation."""
    fig, ax = figure(figsize=(4.5, 3.4))
    for i, (name, d) in enumerate(curves.groupby("activation", sort=False)):
        ax.plot(d["x"], d["y"], label=name, color=_colour(name, i), lw=1.5)
    ax.set_xlabel("pre-activation x (threshold at 0)")
    ax.set_ylabel("activation f(x)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


def plot_accuracy_sparsity(contrast: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Test error against fraction active (output view, mean over hidden layers) per network.

    Uses the ``trained`` and ``bio_activation`` rows of the contrast table; the Lennie and
    Attwell & Laughlin bands mark where cortex is said to sit.
    """
    d = contrast[
        contrast["source"].isin(["trained", "bio_activation"]) & (contrast["view"] == "output")
    ]
    fig, ax = figure(figsize=(5.5, 3.8))
    for i, band in enumerate(SPARSITY_BANDS[:2]):
        draw_band(ax, band, axis="x", scale=100, color=_BAND_COLOURS[i], alpha=0.25)
    if len(d):
        nets = (
            d.assign(l1=d["l1"].fillna(0.0))
            .groupby(["source", "activation", "l1"], sort=False)
            .agg(fraction_active=("fraction_active", "mean"), test_error=("test_error", "first"))
            .reset_index()
        )
        for i, row in nets.iterrows():
            name = row["activation"] + (f" L1={row['l1']:g}" if row["l1"] else "")
            marker = "*" if row["source"] == "bio_activation" else "o"
            ax.scatter(
                100 * row["fraction_active"],
                100 * row["test_error"],
                color=_colour(row["activation"], i),
                marker=marker,
                s=60,
                zorder=3,
                label=name,
            )
    ax.set_xlim(0, 103)
    ax.set_xlabel("fraction of hidden units active (%, output view, mean over layers)")
    ax.set_ylabel("test error (%)")
    ax.set_title("Accuracy vs. sparsity (o: train_networks, *: bio activations)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return save(fig, path)
