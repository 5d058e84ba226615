"""Figures of the comparison layer: f-I fits, which family wins, and the sparsity contrast.

Every function takes tidy tables (as written by :mod:`neuroact.compare` and the ``compare``
experiment); fitted curves are evaluated from the stored parameters with the family formulas of
:mod:`neuroact.compare.curves`, nothing is simulated or trained here.

- :func:`plot_fit_grid`: one panel per f-I curve (a measured cell or a simulated model), its
  data and each family's fit.
- :func:`plot_family_summary`: wins per family, and per cell the unexplained variance
  1 - R^2 and the information-criterion distance to the cell's best family.
- :func:`plot_contrast`: the fraction of units active at once in cortex (literature bands),
  spiking networks and trained networks, on one log axis, one facet per kind of network.
- :func:`plot_bio_activation` and :func:`plot_accuracy_sparsity`: the biological activations
  beside ReLU and softplus, and what their networks trade between sparsity and error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase

from neuroact.compare.curves import Family, get_family
from neuroact.figures.style import (
    check_axes,
    check_table,
    colours,
    draw_band,
    family_style,
    figure_axes,
    figure_legend,
    label,
    network_label,
    network_styles,
    plain_log_axis,
    single_axes,
    themed,
    unit_label,
)
from neuroact.literature import ATTWELL_LAUGHLIN_2001, LENNIE_2003
from neuroact.vocabulary import TERMS, canonical

__all__ = [
    "plot_fit_grid",
    "plot_family_summary",
    "plot_contrast",
    "plot_bio_activation",
    "plot_accuracy_sparsity",
]

BAND_COLOURS = ("#d62728", "#7f7f7f", "#1f77b4", "#2ca02c")
LAYER_MARKERS = ("o", "s", "^", "D", "v", "P")
# Lowest fraction active drawn on the log axes (percent); smaller values sit on it as "<".
FLOOR_PCT = 0.01
# Burnham & Anderson 2002: Delta AIC < 2 substantial support, > 10 essentially none.
DELTA_GUIDES = (2.0, 10.0)
FACETS = {
    "simulated": "spiking networks (Brunel 2000): spikes in a window W",
    "trained": "trained networks: hidden layers",
    "bio_activation": "networks with biological activations: hidden layers",
}


def family_formula(name: str) -> Family:
    """The f-I family ``name`` under any of its names (older tables say ``rectifier``, newer
    ones may say ``relu``), from the registry of :mod:`neuroact.compare.curves`."""
    key = canonical(name)
    for candidate in dict.fromkeys([name, key, *(TERMS[key].aliases if key in TERMS else ())]):
        try:
            return get_family(candidate)
        except (KeyError, ValueError):
            continue
    raise ValueError(f"family {name!r} is not registered in neuroact.compare.curves")


def _curve(row: pd.Series, grid: np.ndarray) -> np.ndarray:
    fam = family_formula(row["family"])
    return fam(grid, *[float(row[p]) for p in fam.params])


@themed
def plot_fit_grid(
    points: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    fig: FigureBase | None = None,
    group_col: str = "cell_id",
    current_col: str = "current",
    rate_col: str = "rate_Hz",
    current_unit: str = "pA",
    families: Sequence[str] | None = None,
    criterion: str = "aic",
    ncols: int = 8,
    title: str | None = None,
) -> Figure:
    """One panel per f-I curve (cell or model): data points and each family's fitted curve.

    The panel title names the curve and its best family (lowest ``criterion`` among the
    successful fits). Each family keeps its colour and dash pattern in every panel; the
    rectifier is drawn wide and underneath, so a softplus fit lying on it stays visible.

    Parameters
    ----------
    points : pandas.DataFrame
        ``group_col``, ``current_col``, ``rate_col``; optional ``current_unit`` (when curves
        differ in it, each panel gets its own axis label).
    fits : pandas.DataFrame
        One row per curve x family: ``group_col``, ``family``, ``success``, ``criterion`` and
        the family's parameters (as written by :func:`neuroact.compare.measured.fit_cells`).
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    group_col, current_col, rate_col : str
        Column names of the curve id, the injected current and the rate (Hz).
    current_unit : str
        Unit of the current when ``points`` has no ``current_unit`` column.
    families : sequence of str, optional
        Families to draw, in legend order (default: those in ``fits``).
    criterion : str
        Column that ranks the fits (``aic``, ``aicc``, ``bic``).
    ncols : int
        Panels per row.
    title : str, optional
        Figure title.
    """
    check_table(points, "points", (group_col, current_col, rate_col))
    check_table(fits, "fits", (group_col, "family", "success", criterion), allow_empty=True)
    if not isinstance(ncols, int | np.integer) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer; got {ncols!r}")
    check_axes(fig=fig)
    groups = list(pd.unique(points[group_col]))
    families = list(pd.unique(fits["family"])) if families is None else list(families)
    n = len(groups)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = figure_axes(nrows, ncols, fig=fig, figsize=(2.5 * ncols + 0.4, 2.15 * nrows + 0.8))
    ok = fits[fits["success"].astype(bool)]
    for ax, g in zip(axes.flat, groups, strict=False):
        d = points[points[group_col] == g][[current_col, rate_col]]
        _fit_panel(ax, str(g), d.to_numpy(float), ok[ok[group_col] == g], families, criterion)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("rate (Hz)", fontsize=8.5)
    units = (
        points.groupby(group_col, sort=False)["current_unit"].first()
        if ("current_unit" in points)
        else pd.Series(current_unit, index=groups)
    )
    for k, (ax, g) in enumerate(zip(axes.flat, groups, strict=False)):
        if units.nunique() > 1 or k >= n - ncols:  # mixed units: every panel says its own
            ax.set_xlabel(f"current ({unit_label(units[g])})", fontsize=8.5)
    # a grid of 44 cells is wide: a larger legend stays readable when the figure is scaled down
    figure_legend(fig, loc="outside lower center", ncol=len(families), fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def _fit_panel(
    ax: Axes, name: str, data: np.ndarray, fits: pd.DataFrame, families: list, criterion: str
) -> None:
    """One curve's panel: its (current, rate) points, each family's fit, the best in the title."""
    current, rate = data[:, 0], data[:, 1]
    ax.plot(current, rate, "o", ms=2.6, color="0.45", zorder=4)
    grid = np.linspace(float(current.min()), float(current.max()), 300)
    for fam in families:
        row = fits[fits["family"] == fam]
        if len(row):
            ax.plot(grid, _curve(row.iloc[0], grid), label=label(fam), **family_style(fam))
    win = label(fits.sort_values(criterion)["family"].iloc[0]) if len(fits) else "no fit"
    ax.set_title(f"{name[:28]}\nbest: {win}", fontsize=8)
    ax.tick_params(labelsize=7.5)
    ax.set_ylim(bottom=min(0.0, float(rate.min())))


def _strip(ax: Axes, values: pd.Series, y: float, colour_: str, rng: np.random.Generator) -> None:
    """One dot per cell at height ``y`` (jittered by at most 0.18) and the median as a bar."""
    v = values.to_numpy(float)
    ax.scatter(v, y + rng.uniform(-0.18, 0.18, len(v)), s=12, color=colour_, alpha=0.7, lw=0)
    if len(v):
        ax.plot([np.median(v)] * 2, [y - 0.3, y + 0.3], color="k", lw=2)


@themed
def plot_family_summary(
    summary: pd.DataFrame,
    fits: pd.DataFrame,
    *,
    fig: FigureBase | None = None,
    group_col: str = "cell_id",
    criterion: str = "aic",
    title: str = "",
) -> Figure:
    """Which family describes the cells best: (a) cells won per family, (b) each cell's
    unexplained variance 1 - R^2 (log axis), (c) each cell's distance to its best family in
    ``criterion`` (Delta, symmetric-log axis; guides at 2 and 10, Burnham & Anderson 2002).

    Parameters
    ----------
    summary : pandas.DataFrame
        ``CellFits.summary()`` (``measured_summary.csv``): ``family``, ``n_wins``.
    fits : pandas.DataFrame
        ``CellFits.table`` (``measured_fits.csv``): ``group_col``, ``family``, ``success``,
        ``r2``, ``criterion``; failed fits are left out.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    group_col : str
        Column of the cell id.
    criterion : str
        The information criterion that ranked the fits.
    title : str
        Figure title.
    """
    check_table(summary, "summary", ("family", "n_wins"))
    check_table(fits, "fits", (group_col, "family", "success", "r2", criterion))
    check_axes(fig=fig)
    fams = list(summary["family"])
    ok = fits[fits["success"].astype(bool)].copy()
    ok["delta"] = ok[criterion] - ok.groupby(group_col)[criterion].transform("min")
    fig, axes = figure_axes(1, 3, fig=fig, figsize=(12, 0.55 * len(fams) + 2.2), sharey=True)
    a_win, a_r2, a_delta = axes[0]
    y = np.arange(len(fams))
    palette = colours(fams)
    rng = np.random.default_rng(0)  # fixed jitter: the same figure from the same table
    a_win.barh(y, summary["n_wins"], color=[palette[f] for f in fams])
    for yi, n in zip(y, summary["n_wins"], strict=True):
        a_win.text(n, yi, f" {int(n)}", va="center")
    for yi, fam in zip(y, fams, strict=True):
        d = ok[ok["family"] == fam]
        _strip(a_r2, (1 - d["r2"]).clip(lower=1e-6), yi, palette[fam], rng)
        _strip(a_delta, d["delta"], yi, palette[fam], rng)
    a_win.set_yticks(y, [label(f) for f in fams])
    a_win.invert_yaxis()
    n_cells = fits[group_col].nunique()
    a_win.set(xlabel=f"cells won, lowest {criterion.upper()} (of {n_cells})")
    a_win.set_title("(a) wins")
    if ok.empty:  # no successful fit: a log axis with no data cannot scale itself
        a_r2.set_xlim(1e-3, 1.0)
    plain_log_axis(a_r2, "x")
    a_r2.set(xlabel="unexplained variance 1 - R² (log scale)")
    a_r2.set_title("(b) per cell (bar: median)")
    a_delta.set_xscale("symlog", linthresh=1.0)
    a_delta.set_xlim(left=-0.3)
    a_delta.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
    for guide in DELTA_GUIDES:
        a_delta.axvline(guide, color="0.5", ls=":", lw=1)
    a_delta.set(xlabel=f"Δ{criterion.upper()} to the cell's best family (symlog)")
    a_delta.set_title("(c) distance to the best (dotted: 2, 10)")
    if title:
        fig.suptitle(title)
    return fig


def _network(row: pd.Series) -> str:
    if row["source"] == "simulated":  # "Brunel network sparse, g=8, eta=0.85, ...; W=10 ms"
        name = str(row["label"]).split(";")[0].replace("Brunel network ", "Brunel ")
        return re.sub(r", heterogeneity=0(\.0)?$", "", name).replace("eta=", "η=")
    return network_label(str(row["activation"]), float(row["l1"]) if pd.notna(row["l1"]) else 0.0)


@themed
def plot_contrast(contrast: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Fraction of units active at once (%, log axis) in cortex, spiking networks and trained
    networks: one facet per kind of network, one row per network, the literature bands
    (Lennie 2003, Attwell & Laughlin 2001, Glorot et al. 2011) across every facet.

    Spiking networks: one dot per counting window W (darker = longer). Trained networks: one
    marker per hidden layer, filled in the output view (exact zeros; smooth units ``|a| <=
    eps x P99``), open in the input view (pre-activation > 0). Values below 0.01% sit on the
    axis edge as "<".

    Parameters
    ----------
    contrast : pandas.DataFrame
        :func:`neuroact.compare.contrast.build_contrast`: ``source`` (``literature``,
        ``simulated``, ``trained``, ``bio_activation``), ``label``, ``view``,
        ``fraction_active``, ``low``, ``high`` (bands), ``window_ms``, ``activation``, ``l1``,
        ``layer``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    columns = ("source", "label", "view", "fraction_active", "low", "high", "window_ms")
    check_table(contrast, "contrast", columns + ("activation", "l1", "layer"))
    check_axes(fig=fig)
    bands = contrast[contrast["source"] == "literature"]
    rows = contrast[contrast["source"] != "literature"].copy()
    rows["network"] = [_network(r) for _, r in rows.iterrows()]
    sources = list(dict.fromkeys(rows["source"]))
    sizes = [rows.loc[rows["source"] == s, "network"].nunique() for s in sources]
    fig, axes = figure_axes(
        max(1, len(sources)),
        1,
        fig=fig,
        figsize=(9.5, 0.42 * sum(sizes) + 1.1 * len(sources) + 1.0),
        sharex=True,
        gridspec_kw={"height_ratios": [s + 1.2 for s in sizes] or [1]},
    )
    for k, (ax, source) in enumerate(zip(axes[:, 0], sources, strict=True)):
        for i, band in enumerate(bands.itertuples()):
            ax.axvspan(
                max(100 * band.low, FLOOR_PCT),
                100 * band.high,
                color=BAND_COLOURS[i % len(BAND_COLOURS)],
                alpha=0.13,
                lw=0,
                label=f"{band.label}: {100 * band.low:g}-{100 * band.high:g}%",
            )
        d = rows[rows["source"] == source]
        nets = list(dict.fromkeys(d["network"]))
        if source == "simulated":
            _draw_windows(ax, d, nets)
        else:
            _draw_layers(ax, d, nets)
        ax.set_yticks(range(len(nets)), nets)
        ax.set_ylim(len(nets) - 0.5, -0.5)
        ax.set_title(f"({chr(97 + k)}) {FACETS.get(source, source.replace('_', ' '))}")
    plain_log_axis(axes[-1, 0], "x", [0.01, 0.1, 1, 10, 100])
    active = 100 * rows["fraction_active"].to_numpy(float)
    smallest = np.nanmin(active[active > 0], initial=1.0)  # start a decade below the data
    axes[-1, 0].set_xlim(0.7 * max(FLOOR_PCT, 10 ** np.floor(np.log10(smallest))), 130)
    axes[-1, 0].set_xlabel("units active at once (%, log scale)")
    figure_legend(fig, loc="outside lower center", ncol=4)
    fig.suptitle("Brains, spiking networks and trained networks on one axis")
    return fig


def _points(ax: Axes, x_pct: np.ndarray, y: np.ndarray, **style) -> None:
    """Scatter at ``x_pct`` (percent); values under :data:`FLOOR_PCT` sit on it as "<"."""
    low = x_pct < FLOOR_PCT
    ax.scatter(x_pct[~low], y[~low], **style)
    if low.any():
        ax.scatter(
            np.full(low.sum(), FLOOR_PCT), y[low], **(style | {"marker": "<", "label": None})
        )


def _draw_windows(ax: Axes, d: pd.DataFrame, nets: list[str]) -> None:
    """Spiking networks: one dot per counting window, grey from light (short) to black."""
    windows = sorted(d["window_ms"].dropna().unique())
    for k, w in enumerate(windows):
        sel = d[d["window_ms"] == w]
        y = np.array([nets.index(n) for n in sel["network"]], float)
        grey = str(round(0.8 - 0.8 * k / max(1, len(windows) - 1), 3))
        style = {"s": 36, "color": grey, "ec": "k", "lw": 0.4, "zorder": 3}
        _points(ax, 100 * sel["fraction_active"].to_numpy(float), y, label=f"W = {w:g} ms", **style)


def _draw_layers(ax: Axes, d: pd.DataFrame, nets: list[str]) -> None:
    """Trained networks: one marker per hidden layer, filled output view, open input view."""
    palette = colours(d["activation"].astype(str))
    layers = sorted(d["layer"].dropna().unique())
    marker = {layer: LAYER_MARKERS[k % len(LAYER_MARKERS)] for k, layer in enumerate(layers)}
    for (net, view, layer), g in d.groupby(["network", "view", "layer"], sort=False):
        c = palette[str(g["activation"].iloc[0])]
        y = np.full(len(g), nets.index(net) + (0.17 if view == "input" else -0.17))
        fill = "none" if view == "input" else c
        style = {"marker": marker[layer], "s": 34, "zorder": 3, "facecolors": fill, "edgecolors": c}
        _points(ax, 100 * g["fraction_active"].to_numpy(float), y, **style)
    grey = {"color": "0.35", "ls": ""}
    ax.plot([], [], marker="o", label="output view (filled)", **grey)
    ax.plot([], [], marker="o", mfc="none", label="input view (open)", **grey)
    for layer in layers:
        ax.plot([], [], marker=marker[layer], label=f"hidden layer {int(layer)}", **grey)


@themed
def plot_bio_activation(curves: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """The biological activations (soft-LIF, Hunsberger & Eliasmith 2015; a softplus fitted to
    cells) beside ReLU and softplus: f(x) against the pre-activation x, threshold at 0.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``bio_activation_curves.csv``: ``activation``, ``x``, ``y``.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    """
    check_table(curves, "curves", ("activation", "x", "y"))
    check_axes(ax=ax)
    fig, ax = single_axes(ax, (6.4, 3.6))
    names = list(dict.fromkeys(curves["activation"]))
    palette = colours(names)
    dashes = ("-", (0, (5, 2)), "-.", (0, (1.5, 1.5)), (0, (8, 2, 2, 2)))
    for i, name in enumerate(names):
        d = curves[curves["activation"] == name].sort_values("x")
        wide = i == 0
        ax.plot(
            d["x"],
            d["y"],
            label=label(name),
            color=palette[name],
            ls=dashes[i % len(dashes)],
            lw=2.6 if wide else 1.5,
            alpha=0.6 if wide else 1.0,
        )
    ax.set_xlabel("pre-activation x (threshold at 0)")
    ax.set_ylabel("activation f(x)")
    ax.set_title("Biological activations beside ReLU and softplus")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


@themed
def plot_accuracy_sparsity(contrast: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Test error against the fraction of hidden units active (output view, mean over hidden
    layers, log axis) per network, with the cortical bands (Lennie 2003, Attwell & Laughlin
    2001); circles and squares: ``train_networks`` (one marker per L1 penalty), stars: the
    networks with biological activations.

    Parameters
    ----------
    contrast : pandas.DataFrame
        The table of :func:`plot_contrast`, with ``activation``, ``l1`` and ``test_error``
        (fraction) on the ``trained`` and ``bio_activation`` rows.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    """
    columns = ("source", "view", "activation", "l1", "fraction_active", "test_error")
    check_table(contrast, "contrast", columns)
    check_axes(ax=ax)
    d = contrast[
        contrast["source"].isin(["trained", "bio_activation"]) & (contrast["view"] == "output")
    ]
    fig, ax = single_axes(ax, (7.6, 4.0))
    draw_band(ax, ATTWELL_LAUGHLIN_2001, axis="x", color=BAND_COLOURS[1], alpha=0.13)
    draw_band(ax, LENNIE_2003, axis="x", color=BAND_COLOURS[0], alpha=0.18)
    nets = (
        d.assign(l1=d["l1"].fillna(0.0))
        .groupby(["source", "activation", "l1"], sort=False)
        .agg(fraction_active=("fraction_active", "mean"), test_error=("test_error", "first"))
        .reset_index()
    )
    styles = network_styles(list(zip(nets["activation"], nets["l1"], strict=True)))
    palette = colours(nets["activation"])
    for row in nets.itertuples():
        bio = row.source == "bio_activation"
        style = styles[(row.activation, row.l1)]
        ax.scatter(
            100 * row.fraction_active,
            100 * row.test_error,
            color=palette[row.activation],
            marker="*" if bio else style["marker"],
            s=110 if bio else 55,
            ec="k",
            lw=0.4,
            zorder=3,
            label=network_label(row.activation, row.l1) + (" (bio. activation)" if bio else ""),
        )
    plain_log_axis(ax, "x", [0.5, 1, 2, 5, 10, 20, 50, 100])
    ax.set_xlim(0.5, 130)
    ax.set_xlabel("hidden units active (%, output view, mean over layers; log scale)")
    ax.set_ylabel("test error (%)")
    ax.set_title("Accuracy against sparsity")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
