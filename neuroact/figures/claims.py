"""The claims figure: each claim's measured key number beside the paper's, coloured by verdict.

Every :class:`neuroact.claims.Claim` carries one key number (``quantity``, ``value`` with its
interval ``low``-``high``, ``unit``) and, where the paper gives one, the paper's number
(``paper_value``) or range (``paper_low``-``paper_high``). :func:`claims_vs_paper` draws one
row per claim that has a measured number, each row on its own axis (the quantities differ in
unit and in scale: fractions, R², ratios spanning decades), so that a reader sees at a glance
where each measurement falls against the literature and which verdict it got. It leads the
report (:mod:`neuroact.report`).

See Also
--------
neuroact.claims.claims_table : the table this figure draws.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogLocator, NullFormatter

from neuroact.claims.core import N_TOO_SMALL, NOT_RUN, NOT_SUPPORTED, PARTLY, SUPPORTED
from neuroact.figures.style import check_axes, check_table, figure_axes, themed

__all__ = [
    "VERDICT_COLOURS",
    "UNITS",
    "claims_vs_paper",
    "claim_rows",
    "display_unit",
    "reference",
]

# Okabe-Ito colours: distinct for colour-blind readers and in grey-scale print.
VERDICT_COLOURS: dict[str, str] = {
    SUPPORTED: "#009E73",
    PARTLY: "#E69F00",
    NOT_SUPPORTED: "#D55E00",
    N_TOO_SMALL: "#7f7f7f",
    NOT_RUN: "#bdbdbd",
}
"""The colour of each verdict, shared by the figure and the HTML report."""

UNITS: dict[str, tuple[str, float]] = {
    "fraction": ("%", 100.0),
    "points": ("percentage points", 1.0),
    "x": ("× (ratio)", 1.0),
    "ratio": ("ratio", 1.0),
    "R^2": ("R²", 1.0),
}
"""How a claim's unit is shown on its axis: (label, factor applied to the numbers)."""

COLUMNS = ("claim", "verdict", "quantity", "value", "low", "high", "unit")
PAPER_COLUMNS = ("paper_value", "paper_low", "paper_high")
ROW_HEIGHT = 0.95  # inches per claim: up to five lines of text beside one axis
LOG_SPAN = 50.0  # positive numbers spread wider than this go on a log axis


def display_unit(unit: str) -> tuple[str, float]:
    """The axis label and scale factor of a claim's ``unit`` (fractions are drawn in %)."""
    return UNITS.get(str(unit), (str(unit), 1.0))


def reference(unit: str, value: float) -> float:
    """The number a row is read against, always on its axis: 1 for ratios (no change), 1 for
    a positive R² (a perfect fit), 0 for everything else (fractions, differences)."""
    if unit in ("x", "ratio") or (unit == "R^2" and value > 0):
        return 1.0
    return 0.0


def claim_rows(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims that have a measured key number (finite ``value``), in table order."""
    check_table(claims, "claims", COLUMNS, allow_empty=True)
    values = pd.to_numeric(claims["value"], errors="coerce")
    return claims[np.isfinite(values.to_numpy(float))].reset_index(drop=True)


def _number(row: pd.Series, column: str, scale: float) -> float:
    value = pd.to_numeric(row.get(column, np.nan), errors="coerce")
    return float(value) * scale if pd.notna(value) else np.nan


def _limits(points: np.ndarray) -> tuple[float, float, bool]:
    """Axis limits around ``points`` and whether the axis is logarithmic."""
    lo, hi = float(points.min()), float(points.max())
    if lo > 0 and hi / lo > LOG_SPAN:
        # a ratio spanning decades (vanishing gradients): read it in orders of magnitude
        pad = 10 ** max(0.5, 0.06 * np.log10(hi / lo))
        return lo / pad, hi * pad, True
    span = hi - lo if hi > lo else max(abs(hi) * 0.2, 1e-3)
    return lo - 0.12 * span, hi + 0.12 * span, False


def _fmt(value: float) -> str:
    """A number as a reader wants it on the figure: 3 significant digits, powers for tiny."""
    if not np.isfinite(value):
        return "–"
    return f"{value:.1e}" if value != 0 and abs(value) < 1e-3 else f"{value:.3g}"


def _numbers(value: float, low: float, high: float, paper: float, p_low, p_high) -> str:
    text = f"measured {_fmt(value)}"
    if np.isfinite(low) and np.isfinite(high):
        text += f" (95% CI {_fmt(low)} to {_fmt(high)})"
    if np.isfinite(paper):
        text += f";  paper {_fmt(paper)}"
    elif np.isfinite(p_low) and np.isfinite(p_high):
        text += f";  paper {_fmt(p_low)}-{_fmt(p_high)}"
    return text


def _draw_text(ax, row: pd.Series, colour: str) -> None:
    """The claim, what its number is and the verdict, left of the row's axis."""
    ax.axis("off")
    claim = textwrap.fill(str(row["claim"]), 56, max_lines=2, placeholder=" ...")
    quantity = textwrap.fill(str(row["quantity"]), 64, max_lines=2, placeholder=" ...")
    top = ax.text(0, 1.05, claim, transform=ax.transAxes, va="top", fontsize=8, linespacing=1.1)
    # each line hangs below the one before, however many lines the wrapping made
    below = {"xy": (0, 0), "xytext": (0, -2), "textcoords": "offset points", "va": "top"}
    what = ax.annotate(quantity, xycoords=top, fontsize=7, color="0.35", style="italic",
                       linespacing=1.05, **below)  # fmt: skip
    ax.annotate(row["verdict"], xycoords=what, fontsize=8, color=colour, weight="bold", **below)


def _draw_axis(ax, row: pd.Series, colour: str) -> None:
    """The row's axis: measured value, its interval, the paper's value or range."""
    unit, scale = display_unit(row["unit"])
    value, low, high = (_number(row, c, scale) for c in ("value", "low", "high"))
    paper, p_low, p_high = (_number(row, c, scale) for c in PAPER_COLUMNS)
    ref = reference(str(row["unit"]), value) * scale
    points = np.array([x for x in (value, low, high, paper, p_low, p_high, ref) if np.isfinite(x)])
    left, right, log = _limits(points)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(numticks=8))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(left, right)
    ax.axvline(ref, color="0.55", lw=0.8, ls=":", zorder=1)
    if np.isfinite(p_low) and np.isfinite(p_high):
        ax.axvspan(p_low, p_high, color="0.5", alpha=0.22, lw=0, gid="paper_range", zorder=1)
    if np.isfinite(low) and np.isfinite(high):
        ax.plot([low, high], [0, 0], color=colour, lw=2.2, gid="interval", zorder=3)
    if np.isfinite(paper):
        ax.plot([paper], [0], "D", ms=8, mfc="white", mec="k", mew=1.4, gid="paper", zorder=4)
    ax.plot([value], [0], "o", ms=8, color=colour, mec="k", mew=0.6, gid="measured", zorder=5)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="x", labelsize=7.5, pad=1.5)
    ax.set_xlabel(unit, fontsize=7.5, labelpad=1)
    ax.set_title(_numbers(value, low, high, paper, p_low, p_high), fontsize=7.5, loc="left",
                 color="0.25", pad=2)  # fmt: skip


def _legend(fig: Figure, verdicts: list[str]) -> None:
    handles = [
        Line2D([], [], marker="o", ls="", ms=7, color=VERDICT_COLOURS.get(v, "0.3"), mec="k",
               mew=0.6, label=f"measured: {v}")
        for v in verdicts
    ]  # fmt: skip
    handles += [
        Line2D([], [], color="0.3", lw=2.2, label="95% interval"),
        Line2D([], [], marker="D", ls="", ms=7, mfc="white", mec="k", mew=1.4, label="paper"),
        Patch(color="0.5", alpha=0.22, lw=0, label="paper's range"),
        Line2D([], [], color="0.55", lw=0.8, ls=":", label="reference: 0, or 1 for ratios and R²"),
    ]
    fig.legend(handles=handles, loc="outside upper center", ncol=4, fontsize=7.5)


@themed
def claims_vs_paper(claims: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Each claim's measured key number beside the paper's, one row per claim, by verdict.

    Every claim with a finite ``value`` gets a row: our value as a dot coloured by its verdict,
    its 95% interval (``low``-``high``) as a bar, the paper's value as an open diamond and the
    paper's range as a grey band. Each row has its own axis, in the claim's unit (fractions in
    percent); positive numbers spanning more than a factor of 50 go on a log axis; a dotted
    line marks zero where a signed quantity crosses it. The row is titled by the claim (left)
    and its verdict (right); the numbers are printed at its right end.

    Parameters
    ----------
    claims : pandas.DataFrame
        :func:`neuroact.claims.claims_table` (or ``claims.csv``): ``claim``, ``verdict``,
        ``quantity``, ``value``, ``low``, ``high``, ``unit``; optional ``paper_value``,
        ``paper_low``, ``paper_high``.
    fig : matplotlib.figure.Figure or SubFigure, optional
        Draw into this figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        No claim has a measured value (nothing to draw), or a column is missing.

    See Also
    --------
    neuroact.claims.Claim : the fields drawn here.
    """
    check_axes(fig=fig)
    rows = claim_rows(claims)
    if rows.empty:
        raise ValueError(
            f"claims has no row with a finite 'value' ({len(claims)} rows); expected at least "
            "one measured claim to draw"
        )
    size = (8.0, 0.7 + ROW_HEIGHT * len(rows))
    fig, axes = figure_axes(len(rows), 2, fig=fig, figsize=size, width_ratios=(0.82, 1))
    for (text_ax, ax), (_, row) in zip(axes, rows.iterrows(), strict=True):
        colour = VERDICT_COLOURS.get(row["verdict"], "0.3")
        _draw_text(text_ax, row, colour)
        _draw_axis(ax, row, colour)
    _legend(fig, [v for v in VERDICT_COLOURS if (rows["verdict"] == v).any()])
    return fig
