"""Figures of the sparse band's width (population-sparsity experiment), from its tables only.

:func:`band_maps` draws, for every condition of the band search (Brunel's network and each
mechanism), the simulated networks in the (g, eta) plane coloured by the fraction of neurons
active in 50 ms windows, and the band between its edges; :func:`band_widths` compares the
band's width along eta across conditions, for every g. The band: asynchronous-irregular, under
1 Hz, 1-4% active in 50 ms (:mod:`neuroact.experiments._band_width`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from neuroact.figures.style import check_axes, check_table, figure_axes, single_axes, themed

__all__ = ["band_maps", "band_widths"]

# Colour scale of the fraction active (percent): 0.01% to 100%, log.
_NORM = (1e-2, 100.0)
_PANEL_COLUMNS = 3


def _order(band: pd.DataFrame) -> list[str]:
    """Conditions in the table's order (Brunel's network first)."""
    conds = list(dict.fromkeys(band["condition"].fillna("")))
    return sorted(conds, key=lambda c: c != "")


@themed
def band_maps(
    networks: pd.DataFrame, band: pd.DataFrame, *, fig: FigureBase | None = None
) -> Figure:
    """One (g, eta) panel per condition: the simulated networks and the band between its edges.

    Dots are the networks of the search, coloured by the percentage of neurons active in 50 ms
    (log scale); a cross marks a network that is not asynchronous-irregular. The shaded area
    lies between the edges ``eta_low`` (1% active) and ``eta_high`` (4% active or 1 Hz) at each
    g; the panel title gives the band's width at each g.

    Parameters
    ----------
    networks : pandas.DataFrame
        ``band_networks.csv``: ``condition``, ``g``, ``eta``, ``frac_active_50ms``,
        ``asynchronous_irregular``.
    band : pandas.DataFrame
        ``band_width.csv``: ``condition``, ``label``, ``g``, ``eta_low``, ``eta_high``,
        ``width``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    check_table(networks, "networks", ("condition", "g", "eta", "frac_active_50ms"))
    check_table(band, "band", ("condition", "label", "g", "eta_low", "eta_high", "width"))
    check_axes(fig=fig)
    networks = networks.assign(condition=networks["condition"].fillna(""))
    band = band.assign(condition=band["condition"].fillna(""))
    conds = _order(band)
    ncols = min(_PANEL_COLUMNS, len(conds))
    nrows = math.ceil(len(conds) / ncols)
    fig, axes = figure_axes(
        nrows, ncols, fig=fig, figsize=(4.2 * ncols + 1.4, 3.4 * nrows + 0.8), sharey=True
    )
    norm = LogNorm(*_NORM)
    dots = None
    for k, cond in enumerate(conds):
        ax = axes.flat[k]
        lines = band[band["condition"] == cond].sort_values("g")
        nets = networks[networks["condition"] == cond]
        ok = lines["width"].notna()
        ax.fill_between(
            lines.loc[ok, "g"],
            lines.loc[ok, "eta_low"],
            lines.loc[ok, "eta_high"],
            color="tab:red",
            alpha=0.25,
            lw=0,
        )
        for edge in ("eta_low", "eta_high"):
            ax.plot(lines.loc[ok, "g"], lines.loc[ok, edge], "-", color="tab:red", lw=1)
        # the band at each g as a bar too (visible with a single g)
        ax.vlines(
            lines.loc[ok, "g"],
            lines.loc[ok, "eta_low"],
            lines.loc[ok, "eta_high"],
            color="tab:red",
            alpha=0.45,
            lw=7,
        )
        pct = np.clip(100 * nets["frac_active_50ms"].to_numpy(float), *_NORM)
        ai = nets.get("asynchronous_irregular", pd.Series(True, index=nets.index)).astype(bool)
        dots = ax.scatter(nets["g"], nets["eta"], c=pct, cmap="viridis", norm=norm, s=22, zorder=3)
        ax.plot(nets.loc[~ai, "g"], nets.loc[~ai, "eta"], "x", color="k", ms=6, zorder=4)
        widths = ", ".join(f"{w:.3f}" if np.isfinite(w) else "-" for w in lines["width"])
        ax.set_title(f"{lines['label'].iloc[0]}\nwidth {widths}", fontsize="small")
        ax.set_xlabel("relative inhibition g")
        ax.set_ylabel(r"external drive $\eta$")
    for ax in axes.flat[len(conds) :]:
        ax.set_visible(False)
    if dots is not None:
        cbar = fig.colorbar(dots, ax=axes.ravel().tolist(), shrink=0.8)
        cbar.set_label("neurons active in 50 ms (%)")
        cbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")
    handles = [
        Patch(color="tab:red", alpha=0.25, label="1-4% active, under 1 Hz"),
        Line2D([], [], ls="", marker="x", color="k", label="not asynchronous-irregular"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=2)
    return fig


@themed
def band_widths(
    band: pd.DataFrame, summary: pd.DataFrame | None = None, *, ax: Axes | None = None
) -> Figure:
    """The band's width along eta for every condition (bars) at each g (one bar colour per g).

    Parameters
    ----------
    band : pandas.DataFrame
        ``band_width.csv``: ``condition``, ``label``, ``g``, ``width``.
    summary : pandas.DataFrame, optional
        ``band_width_summary.csv``: ``condition``, ``width_vs_brunel``; written above the bars
        as the width at the reference g relative to Brunel's network.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    """
    check_table(band, "band", ("condition", "label", "g", "width"))
    if summary is not None:
        check_table(summary, "summary", ("condition", "width_vs_brunel"))
    check_axes(ax=ax)
    band = band.assign(condition=band["condition"].fillna(""))
    conds = _order(band)
    gs = np.sort(band["g"].unique())
    fig, ax = single_axes(ax, (max(6.0, 1.1 * len(conds) + 2), 4.4))
    step = 0.8 / len(gs)
    for j, g in enumerate(gs):
        d = band[np.isclose(band["g"], g)].set_index("condition")
        heights = [float(d["width"].get(c, np.nan)) for c in conds]
        x = np.arange(len(conds)) - 0.4 + step * (j + 0.5)
        ax.bar(x, np.nan_to_num(heights), width=step, label=f"g = {g:g}")
        for xk, h in zip(x, heights, strict=True):
            if not np.isfinite(h):  # an edge the search did not bracket
                ax.text(xk, 0, "?", ha="center", va="bottom", fontsize="small")
    if summary is not None:
        ratios = summary.assign(condition=summary["condition"].fillna("")).set_index("condition")
        top = np.nanmax(band["width"].to_numpy(float)) if band["width"].notna().any() else 1
        for k, c in enumerate(conds):
            r = ratios["width_vs_brunel"].get(c, np.nan)
            if np.isfinite(r):
                ax.text(k, 1.02 * top, f"x{r:.1f}", ha="center", va="bottom", fontsize="small")
    labels = band.drop_duplicates("condition").set_index("condition")["label"]
    ax.set_xticks(range(len(conds)), [labels[c] for c in conds], rotation=30, ha="right")
    ax.set_ylabel(r"width of the band along $\eta$")
    # one g: named in the title, where a legend would sit on the first bar
    at = f" at g = {gs[0]:g}" if len(gs) == 1 else ""
    ax.set_title(
        f"width of the 1-4% band{at}\n(x: at the reference g, relative to Brunel's network; "
        "?: an edge not found)",
        fontsize="medium",
    )
    if len(gs) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
