"""Figures of the bridge experiment: spiking twins of trained networks on the brain's scale.

Each function draws from the experiment's tables into ``ax`` (a new figure when None) and
returns the matplotlib Figure; saving is separate (:func:`neuroact.figures.save`).

See Also
--------
neuroact.experiments.bridge : the tables (``points``, ``reference_bands``, ``raster``, ``rates``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

from neuroact.bridge.frontier import (
    ACCURACY_TOLERANCE_POINTS,
    FULL_WINDOW_MS,
    RAPID_CATEGORISATION_MS,
    SPARSITY_COLUMN,
    fastest_in_band,
    within_tolerance,
)
from neuroact.figures import figure, theme
from neuroact.literature import LENNIE_2003


def _ax(ax, size=(5.5, 4.0)):
    if ax is None:
        return figure(figsize=size)
    theme()
    return ax.figure, ax


def _label(row) -> str:
    rate = "" if row["unit"] == "soft_lif" else f" {row['max_rate_Hz']:g} Hz"
    rest = ", from rest" if row.get("v_init", 1.0) == 0 else ""
    return f"{row['network']} {row['neuron'].upper()}{rate}{rest}"


def _runs(points: pd.DataFrame):
    """One group per simulation: network, unit, rate scale and initial potential."""
    keys = [k for k in ("network", "neuron", "max_rate_Hz", "v_init") if k in points]
    return points.groupby(keys, sort=False)


def _plain_log_axis(axis) -> None:
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def _colours(n: int):
    return plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(n, 1)))


def accuracy_vs_time(points: pd.DataFrame, ax=None):
    """Test error (%) against simulated time for every network at its densest IF and every LIF
    setting; dashed: each network's ANN."""
    fig, ax = _ax(ax)
    top = points[points["neuron"] == "if"].groupby("network")["max_rate_Hz"].max()
    densest = points["max_rate_Hz"] == points["network"].map(top)
    runs = list(_runs(points[(points["neuron"] == "lif") | densest]))
    nets = list(dict.fromkeys(points["network"]))
    colours = dict(zip(nets, _colours(len(nets)), strict=True))
    for _, run in runs:
        first = run.iloc[0]
        style = "-" if first["neuron"] == "if" else ":"
        ax.plot(
            run["time_ms"],
            run["error_pct"],
            style,
            marker="o",
            ms=3,
            color=colours[first["network"]],
            label=_label(first),
        )
    for net in nets:
        ann = points.loc[points["network"] == net, "ann_error_pct"].iloc[0]
        ax.axhline(ann, color=colours[net], ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_axis(ax.xaxis)
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("simulated time (ms)")
    ax.set_ylabel("test error (%)")
    ax.set_title("Spiking twins reach their ANN (dashed)")
    ax.legend(fontsize=6, frameon=False)
    return fig


def frontier(points: pd.DataFrame, bands: pd.DataFrame, ax=None):
    """Accuracy lost against the ANN (points) against the share of hidden neurons active per
    50 ms, every network x rate scale x time; shaded: Lennie's band, Brunel networks' band,
    rectifier ANNs' active share. Colour: simulated time."""
    fig, ax = _ax(ax, (6.0, 4.2))
    shade = {"Lennie": "tab:green", "Brunel": "tab:blue", "rectifier": "tab:red"}
    for _, band in bands.iterrows():
        colour = next((c for k, c in shade.items() if k in band["name"]), "0.5")
        ax.axvspan(
            100 * band["low"],
            100 * band["high"],
            color=colour,
            alpha=0.12,
            lw=0,
            label=band["name"],
        )
    p = points[points[SPARSITY_COLUMN] > 0]
    gap = (100 * (p["ann_accuracy"] - p["accuracy"])).clip(lower=-1, upper=50)
    sc = ax.scatter(
        100 * p[SPARSITY_COLUMN], gap, c=np.log10(p["time_ms"]), s=10, cmap="viridis", alpha=0.8
    )
    cbar = fig.colorbar(sc, ax=ax)
    cbar.set_label("log10 simulated time (ms)")
    ax.axhline(
        ACCURACY_TOLERANCE_POINTS,
        color="k",
        lw=0.8,
        ls="--",
        label=f"{ACCURACY_TOLERANCE_POINTS:g} point below the ANN",
    )
    best = fastest_in_band(points[points["unit"] == "relu"], min_time_ms=FULL_WINDOW_MS)
    if best is not None:
        ax.scatter(
            [100 * best[SPARSITY_COLUMN]],
            [best["ann_accuracy"] * 100 - best["accuracy"] * 100],
            marker="*",
            s=160,
            color="tab:orange",
            zorder=5,
            label=f"fastest in band: {best['time_ms']:g} ms",
        )
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(-1.0, 60.0)  # the gap is clipped to [-1, 50]: a point at 50 lost 50 or more
    _plain_log_axis(ax.xaxis)
    ax.set_xlabel("hidden neurons active per 50 ms (%)")
    ax.set_ylabel("accuracy lost vs ANN (points, clipped at 50)")
    ax.set_title("Sparsity-accuracy frontier")
    # the lower left (almost silent and as accurate as the ANN) is empty: the legend goes there
    ax.legend(fontsize=6, frameon=False, loc="lower left")
    return fig


def sparsity_vs_time(points: pd.DataFrame, ax=None):
    """Share of hidden neurons active per 50 ms against simulated time, at the points within
    1 point of the ANN: where a network is both accurate and as sparse as cortex, and how soon."""
    fig, ax = _ax(ax, (8.0, 4.2))  # room for the legend beside the axes
    ok = points[within_tolerance(points) & (points[SPARSITY_COLUMN] > 0)]
    runs = list(_runs(ok))
    for (_, run), colour in zip(runs, _colours(len(runs)), strict=True):
        ax.plot(
            run["time_ms"],
            100 * run[SPARSITY_COLUMN],
            marker="o",
            ms=3,
            color=colour,
            label=_label(run.iloc[0]),
        )
    ax.axhspan(
        100 * LENNIE_2003.low,
        100 * LENNIE_2003.high,
        color="tab:green",
        alpha=0.15,
        lw=0,
        label=LENNIE_2003.name,
    )
    ax.axvline(
        RAPID_CATEGORISATION_MS,
        color="k",
        ls="--",
        lw=0.8,
        label="ultra-rapid categorisation (150 ms)",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_axis(ax.xaxis)
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("simulated time (ms)")
    ax.set_ylabel("active per 50 ms (%), within 1 point of ANN")
    ax.set_title("How soon a twin is both accurate and sparse")
    # one entry per simulation: beside the axes, not over the lines
    ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def raster(spikes: pd.DataFrame, ax=None, title: str = ""):
    """One image's hidden-layer spikes: neuron (layers stacked, layer 1 at the bottom) by time."""
    fig, ax = _ax(ax)
    offset = 0
    for _, group in spikes.groupby("layer"):
        ax.scatter(group["time_ms"], group["neuron"] + offset, s=0.5, color="k", lw=0)
        offset += int(group["neurons"].iloc[0])
        ax.axhline(offset, color="0.7", lw=0.5)
    if len(spikes):
        ax.set_xlim(0, float(spikes["duration_ms"].iloc[0]))
        ax.set_ylim(0, offset)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron (layers 1, 2, 3 upwards)")
    ax.set_title(title)
    return fig


def rasters(spikes: pd.DataFrame):
    """:func:`raster` of each setting (``dense``, ``sparse``) side by side."""
    settings = list(dict.fromkeys(spikes["setting"]))
    fig, axes = figure(1, len(settings), figsize=(5 * len(settings), 4), squeeze=False)
    for ax, setting in zip(axes[0], settings, strict=True):
        group = spikes[spikes["setting"] == setting]
        n = len(group)
        raster(group, ax=ax, title=f"{setting}: {n} hidden spikes")
    return fig


def rate_histograms(rates: pd.DataFrame):
    """Per hidden layer, the histogram of neurons' mean rates (log bins; the share of silent
    neurons in the legend), one line per setting."""
    layers = sorted(rates["layer"].unique())
    fig, axes = figure(1, len(layers), figsize=(4 * len(layers), 3.2), squeeze=False, sharey=True)
    positive = rates.loc[rates["rate_Hz"] > 0, "rate_Hz"]
    low = max(float(positive.min()) if len(positive) else 0.1, 1e-2)
    bins = np.geomspace(low / 2, max(float(rates["rate_Hz"].max()), 1.0) * 1.5, 40)
    for ax, layer in zip(axes[0], layers, strict=True):
        for setting, group in rates[rates["layer"] == layer].groupby("setting", sort=False):
            silent = (group["rate_Hz"] == 0).mean()
            ax.hist(
                group.loc[group["rate_Hz"] > 0, "rate_Hz"],
                bins=bins,
                histtype="step",
                label=f"{setting} ({100 * silent:.0f}% silent)",
            )
        ax.set_xscale("log")
        ax.set_xlabel("mean rate (Hz)")
        ax.set_title(f"hidden layer {layer}")
        ax.legend(fontsize=6, frameon=False)
    axes[0][0].set_ylabel("neurons")
    return fig
