"""Figures of the population-sparsity experiment (Brunel 2000 network), from its tables only.

:func:`raster_and_rate` shows the spikes and the population rate of each showcase network,
:func:`rate_distribution` the single-neuron rates, :func:`phase_map` the fraction of neurons
active in 50 ms windows over the (eta, g) plane and :func:`band_scans` how far eta and g move
before the network leaves Lennie's 1-4% band. Fraction active: the share of neurons with at
least one spike in a window, averaged over windows (see :mod:`neuroact.sparsity`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from neuroact.figures.style import (
    check_axes,
    check_table,
    draw_band,
    figure_axes,
    plain_log_axis,
    single_axes,
    themed,
)
from neuroact.literature import ATTWELL_LAUGHLIN_2001, LENNIE_2003

__all__ = ["raster_and_rate", "rate_distribution", "phase_map", "band_scans"]

NETWORK_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
# Shown for a fraction active of exactly 0 on the log colour scale of the phase map (percent).
PHASE_FLOOR_PCT = 1e-2


def _network_title(label: str, rows: pd.DataFrame) -> str:
    if {"g", "eta"} <= set(rows.columns) and len(rows):
        het = rows["heterogeneity"].iloc[0] if "heterogeneity" in rows else 0.0
        return f"{label} (g = {rows['g'].iloc[0]:g}, η = {rows['eta'].iloc[0]:g}, het. {het:g})"
    return str(label)


@themed
def raster_and_rate(
    raster: pd.DataFrame, poprate: pd.DataFrame, *, fig: FigureBase | None = None
) -> Figure:
    """Raster (neuron index against time) over the population rate, one column per network.

    Parameters
    ----------
    raster : pandas.DataFrame
        ``raster.csv``: ``label`` (network), ``neuron``, ``time_ms``; optional ``g``, ``eta``,
        ``heterogeneity`` for the titles.
    poprate : pandas.DataFrame
        ``population_rate.csv``: ``label``, ``time_ms``, ``rate_Hz`` (whole population).
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_table(raster, "raster", ("label", "neuron", "time_ms"), allow_empty=True)
    check_table(poprate, "poprate", ("label", "time_ms", "rate_Hz"))
    check_axes(fig=fig)
    labels = list(dict.fromkeys([*raster["label"], *poprate["label"]]))
    fig, axes = figure_axes(
        2,
        len(labels),
        fig=fig,
        figsize=(5.2 * len(labels), 5.4),
        gridspec_kw={"height_ratios": [3, 1.3]},
        sharex="col",
    )
    for k, label in enumerate(labels):
        r = raster[raster["label"] == label]
        p = poprate[poprate["label"] == label]
        t_max = max(float(r["time_ms"].max()) if len(r) else float(p["time_ms"].max()), 1.0)
        t_lim = float(np.ceil(t_max / 100) * 100)
        ax = axes[0, k]
        ax.scatter(r["time_ms"], r["neuron"], s=1.5, c="k", lw=0, rasterized=True)
        ax.set_ylabel("neuron index")
        shown = int(r["neuron"].max()) + 1 if len(r) else 0
        ax.set_title(f"{_network_title(label, r)}\n{len(r)} spikes of the first {shown} neurons")
        ax2 = axes[1, k]
        p = p[p["time_ms"] <= t_lim]
        ax2.plot(p["time_ms"], p["rate_Hz"], lw=0.7, color="0.2")
        ax2.set_xlabel("time (ms)")
        ax2.set_ylabel("population rate (Hz)")
        ax2.set_xlim(0, t_lim)
        ax2.set_ylim(bottom=0)
    return fig


@themed
def rate_distribution(rates: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Histogram of per-neuron rates k/T (log axis) per network; silent neurons are counted in
    the legend, not drawn (log axis), and the dashed line marks each population mean.

    Parameters
    ----------
    rates : pandas.DataFrame
        ``rates.csv``: ``label`` (network), ``rate_Hz`` (one row per neuron).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    """
    check_table(rates, "rates", ("label", "rate_Hz"))
    check_axes(ax=ax)
    fig, ax = single_axes(ax, (8.0, 3.8))
    labels = list(dict.fromkeys(rates["label"]))
    positive = rates.loc[rates["rate_Hz"] > 0, "rate_Hz"]
    lo = max(float(positive.min()) if len(positive) else 0.01, 1e-3)
    hi = max(float(positive.max()) if len(positive) else 1.0, lo * 10)
    bins = np.geomspace(lo / 1.2, hi * 1.2, 50)
    for k, label in enumerate(labels):
        r = rates.loc[rates["label"] == label, "rate_Hz"].to_numpy(float)
        c = NETWORK_COLOURS[k % len(NETWORK_COLOURS)]
        ax.hist(
            r[r > 0],
            bins=bins,
            histtype="step",
            lw=1.5,
            color=c,
            weights=np.full((r > 0).sum(), 100 / len(r)),
            label=f"{label}: mean {r.mean():.3g} Hz, {100 * np.mean(r == 0):.0f}% silent",
        )
        ax.axvline(r.mean(), color=c, ls="--", lw=1)
    plain_log_axis(ax, "x")
    ax.set_xlabel("firing rate over the run (Hz, log scale)")
    ax.set_ylabel("neurons per bin (%)")
    ax.set_title("Single-neuron rates (dashed: population mean)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


@themed
def phase_map(phase: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Percentage of neurons active in 50 ms windows over (eta, g), one panel per heterogeneity.

    Cells inside Lennie's 1-4% band are outlined in red; asynchronous-irregular cells carry a
    white dot; a network that never fired reads "0" (drawn at the floor of the log colours).

    Parameters
    ----------
    phase : pandas.DataFrame
        The ``phase`` rows of ``population_summary.csv``: ``g``, ``eta``, ``heterogeneity``,
        ``frac_active_50ms``, optional ``asynchronous_irregular``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    check_table(phase, "phase", ("g", "eta", "heterogeneity", "frac_active_50ms"))
    check_axes(fig=fig)
    hets = sorted(phase["heterogeneity"].unique())
    fig, axes = figure_axes(1, len(hets), fig=fig, figsize=(5.8 * len(hets) + 1.6, 4.6))
    norm = LogNorm(vmin=PHASE_FLOOR_PCT, vmax=100.0)
    mesh = None
    for k, het in enumerate(hets):
        ax = axes[0, k]
        d = phase[phase["heterogeneity"] == het]
        gs, etas = np.sort(d["g"].unique()), np.sort(d["eta"].unique())
        pct = np.full((len(gs), len(etas)), np.nan)
        ai = np.zeros(pct.shape, dtype=bool)
        for row in d.itertuples():
            i, j = np.searchsorted(gs, row.g), np.searchsorted(etas, row.eta)
            pct[i, j] = 100 * float(row.frac_active_50ms)
            ai[i, j] = bool(getattr(row, "asynchronous_irregular", False))
        shown = np.where(pct > 0, np.maximum(pct, PHASE_FLOOR_PCT), PHASE_FLOOR_PCT)
        mesh = ax.imshow(
            np.where(np.isnan(pct), np.nan, shown),
            origin="lower",
            aspect="auto",
            cmap="viridis",
            norm=norm,
        )
        for (i, j), v in np.ndenumerate(pct):
            if np.isnan(v):
                continue
            if 100 * LENNIE_2003.low <= v <= 100 * LENNIE_2003.high:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2.2))
            if ai[i, j]:
                ax.plot(j, i + 0.22, "o", ms=5, mfc="white", mec="k")
            text = "0" if v == 0 else (f"{v:.0f}%" if v >= 10 else f"{v:.2g}%")
            dark = shown[i, j] < 3
            ax.text(j, i - 0.2, text, ha="center", va="center", color="w" if dark else "k")
        ax.set_xticks(range(len(etas)), [f"{e:g}" for e in etas])
        ax.set_yticks(range(len(gs)), [f"{g:g}" for g in gs])
        ax.set_xlabel(r"external drive $\eta = \nu_{ext} / \nu_{thr}$")
        ax.set_ylabel("relative inhibition g")
        ax.set_title(f"heterogeneity of the drive (log-normal s.d.) = {het:g}")
    cbar = fig.colorbar(mesh, ax=axes[0, :].tolist(), shrink=0.9)
    cbar.set_label("neurons active in 50 ms windows (%)")
    cbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")
    handles = [
        Rectangle((0, 0), 1, 1, fill=False, ec="red", lw=2, label="in Lennie's 1-4% band"),
        Line2D([], [], ls="", marker="o", mfc="white", mec="k", label="asynchronous-irregular"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=2)
    return fig


@themed
def band_scans(summary: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Percentage of neurons active in 50 ms (log axis) along the eta and the g scan through
    the sparse point, one line per heterogeneity, with Lennie's and Attwell & Laughlin's bands;
    rings mark asynchronous-irregular networks.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``population_summary.csv``: ``sweep`` (rows ``eta_scan`` and ``g_scan`` are drawn),
        ``g``, ``eta``, ``heterogeneity``, ``frac_active_50ms``, optional
        ``asynchronous_irregular``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    columns = ("sweep", "g", "eta", "heterogeneity", "frac_active_50ms")
    check_table(summary, "summary", columns)
    check_axes(fig=fig)
    scans = [
        ("eta_scan", "eta", r"external drive $\eta$", "η scan"),
        ("g_scan", "g", "relative inhibition g", "g scan"),
    ]
    fig, axes = figure_axes(1, 2, fig=fig, figsize=(10, 4.4))
    colors = ("k", "tab:blue", "tab:green", "tab:purple")
    for ax, (sweep, col, xlabel, name) in zip(axes[0], scans, strict=True):
        d_all = summary[summary["sweep"] == sweep]
        draw_band(ax, ATTWELL_LAUGHLIN_2001, alpha=0.08)
        draw_band(ax, LENNIE_2003, color="tab:red", alpha=0.15)
        for k, (het, d) in enumerate(d_all.groupby("heterogeneity")):
            d = d.sort_values(col)
            c = colors[k % len(colors)]
            pct = 100 * d["frac_active_50ms"]
            ax.plot(d[col], pct, "o-", color=c, ms=4, label=f"heterogeneity {het:g}")
            if "asynchronous_irregular" in d:
                ai = d["asynchronous_irregular"].astype(bool).to_numpy()
                ax.plot(
                    d.loc[ai, col],
                    pct[ai],
                    "o",
                    mfc="none",
                    mec=c,
                    ms=10,
                    label="asynchronous-irregular" if k == 0 else None,
                )
        plain_log_axis(ax, "y")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("neurons active in 50 ms (%, log scale)")
        fixed, sym = ("g", "g") if col == "eta" else ("eta", "η")
        ax.set_title(f"{name} at {sym} = {d_all[fixed].iloc[0]:g}" if len(d_all) else name)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5))
    return fig
