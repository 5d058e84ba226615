"""Figures of the population-sparsity experiment (Brunel network): drawn from tables only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from neuroact.figures import draw_band, figure, save
from neuroact.literature import ATTWELL_LAUGHLIN_2001, LENNIE_2003

_LABELS = {"standard": "standard (g=5, eta=2)", "sparse": "sparse point"}


def _title(label: str, summary: pd.DataFrame | None = None) -> str:
    return _LABELS.get(label, label)


def raster_and_rate(raster: pd.DataFrame, poprate: pd.DataFrame, path) -> list[Path]:
    """Raster (neuron vs time) over the population rate, one column per network ``label``."""
    labels = list(dict.fromkeys(raster["label"]).keys()) or list(poprate["label"].unique())
    fig, axes = figure(
        2,
        len(labels),
        figsize=(5.2 * len(labels), 5.2),
        squeeze=False,
        gridspec_kw={"height_ratios": [3, 1.3]},
        sharex="col",
    )
    for k, label in enumerate(labels):
        r = raster[raster["label"] == label]
        p = poprate[poprate["label"] == label]
        t_max = r["time_ms"].max() if len(r) else p["time_ms"].max()
        t_max = max(t_max, 1.0)
        t_lim = float(np.ceil(t_max / 100) * 100)
        ax = axes[0, k]
        ax.scatter(r["time_ms"], r["neuron"], s=1.5, c="k", lw=0, rasterized=True)
        ax.set_ylabel("neuron index")
        n_shown = int(np.ceil((r["neuron"].max() + 1) / 100) * 100) if len(r) else 0
        name = label if label != "standard" else "standard"
        if {"g", "eta"} <= set(r.columns) and len(r):
            het = r["heterogeneity"].iloc[0] if "heterogeneity" in r else 0.0
            name += f" (g={r['g'].iloc[0]:g}, eta={r['eta'].iloc[0]:g}, het={het:g})"
        else:
            name = _title(label)
        ax.set_title(f"{name}\n{len(r)} spikes of neurons 0-{n_shown - 1}")
        ax2 = axes[1, k]
        p = p[p["time_ms"] <= t_lim]
        ax2.plot(p["time_ms"], p["rate_Hz"], lw=0.7, color="0.2")
        ax2.set_xlabel("time (ms)")
        ax2.set_ylabel("population rate (Hz)")
        ax2.set_xlim(0, t_lim)
    return save(fig, path)


def rate_distribution(rates: pd.DataFrame, path) -> list[Path]:
    """Histogram of per-neuron rates (log axis) per network, silent neurons counted apart."""
    labels = list(dict.fromkeys(rates["label"]).keys())
    fig, ax = figure(figsize=(6.5, 4.2))
    positive = rates.loc[rates["rate_Hz"] > 0, "rate_Hz"]
    lo = max(positive.min() if len(positive) else 0.01, 1e-3)
    hi = max(positive.max() if len(positive) else 1.0, lo * 10)
    bins = np.geomspace(lo / 1.2, hi * 1.2, 50)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for k, label in enumerate(labels):
        r = rates.loc[rates["label"] == label, "rate_Hz"].to_numpy()
        silent = float(np.mean(r == 0))
        mean = float(r.mean())
        ax.hist(
            r[r > 0],
            bins=bins,
            histtype="step",
            lw=1.5,
            color=colors[k % 4],
            density=False,
            weights=np.full((r > 0).sum(), 1 / len(r)),
            label=f"{_title(label)}: mean {mean:.3g} Hz, silent {100 * silent:.0f}%",
        )
        ax.axvline(mean, color=colors[k % 4], ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("firing rate over the run (Hz, log scale)")
    ax.set_ylabel("share of neurons per bin")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_title(
        "Per-neuron rates k/T (dashed: population mean; silent neurons not drawn)", fontsize=9
    )
    return save(fig, path)


def phase_map(phase: pd.DataFrame, path) -> list[Path]:
    """Fraction active in 50 ms windows over (eta, g), one panel per heterogeneity.

    Cells inside Lennie's 1-4% band are outlined; asynchronous-irregular cells carry a dot.
    """
    hets = sorted(phase["heterogeneity"].unique())
    fig, axes = figure(1, len(hets), figsize=(5.6 * len(hets) + 1.0, 4.6), squeeze=False)
    norm = LogNorm(vmin=1e-4, vmax=1.0)
    mesh = None
    for k, het in enumerate(hets):
        ax = axes[0, k]
        d = phase[phase["heterogeneity"] == het]
        gs = np.sort(d["g"].unique())
        etas = np.sort(d["eta"].unique())
        grid = np.full((len(gs), len(etas)), np.nan)
        ai = np.zeros_like(grid, dtype=bool)
        for _, row in d.iterrows():
            i, j = np.searchsorted(gs, row["g"]), np.searchsorted(etas, row["eta"])
            grid[i, j] = max(float(row["frac_active_50ms"]), 1e-4)
            ai[i, j] = bool(row.get("asynchronous_irregular", False))
        mesh = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", norm=norm)
        for i in range(len(gs)):
            for j in range(len(etas)):
                v = grid[i, j]
                if np.isnan(v):
                    continue
                if LENNIE_2003.low <= v <= LENNIE_2003.high:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2.2))
                if ai[i, j]:
                    ax.plot(j, i, "o", ms=5, mfc="white", mec="k")
                ax.text(
                    j,
                    i - 0.3,
                    f"{100 * v:.0f}%" if v >= 0.1 else f"{100 * v:.2g}%",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if v < 0.1 else "black",
                )
        ax.set_xticks(range(len(etas)), [f"{e:g}" for e in etas])
        ax.set_yticks(range(len(gs)), [f"{g:g}" for g in gs])
        ax.set_xlabel(r"external drive $\eta = \nu_{ext} / \nu_{thr}$")
        ax.set_ylabel("relative inhibition g")
        ax.set_title(f"heterogeneity (log-normal s.d.) = {het:g}")
    cbar = fig.colorbar(mesh, ax=axes[0, :].tolist(), shrink=0.9)
    cbar.set_label("fraction active in 50 ms windows")
    handles = [
        Rectangle((0, 0), 1, 1, fill=False, ec="red", lw=2, label="Lennie 1-4% band"),
        axes[0, 0].plot([], [], "o", mfc="white", mec="k", label="asynchronous-irregular")[0],
    ]
    axes[0, 0].legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.8)
    return save(fig, path)


def band_scans(summary: pd.DataFrame, path) -> list[Path]:
    """Fraction active (50 ms) along the eta and g scans through the sparse point, with bands."""
    scans = [
        ("eta_scan", "eta", r"external drive $\eta$"),
        ("g_scan", "g", "relative inhibition g"),
    ]
    fig, axes = figure(1, 2, figsize=(10, 4), squeeze=False)
    colors = ["k", "tab:blue", "tab:green", "tab:purple"]
    for ax, (sweep, col, xlabel) in zip(axes[0], scans, strict=True):
        d_all = summary[summary["sweep"] == sweep]
        draw_band(ax, LENNIE_2003, scale=100, color="tab:red", alpha=0.15)
        draw_band(ax, ATTWELL_LAUGHLIN_2001, scale=100, alpha=0.06)
        for k, (het, d) in enumerate(d_all.groupby("heterogeneity")):
            d = d.sort_values(col)
            c = colors[k % len(colors)]
            ax.plot(
                d[col],
                100 * d["frac_active_50ms"],
                "o-",
                color=c,
                ms=4,
                label=f"heterogeneity {het:g}",
            )
            if "asynchronous_irregular" in d:
                ai = d[d["asynchronous_irregular"].astype(bool)]
                ax.plot(
                    ai[col],
                    100 * ai["frac_active_50ms"],
                    "o",
                    mfc="none",
                    mec=c,
                    ms=10,
                    label="asynchronous-irregular" if k == 0 else None,
                )
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("neurons active in 50 ms (%)")
        fixed = "g" if col == "eta" else "eta"
        if len(d_all):
            ax.set_title(f"{fixed} = {d_all[fixed].iloc[0]:g}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=len(labels),
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, -0.1),
    )
    return save(fig, path)
