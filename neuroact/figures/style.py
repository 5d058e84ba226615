"""The look every figure shares: theme, colours, labels, units, literature bands and saving.

Nothing here changes matplotlib's global state when imported. The seaborn theme applies inside
:func:`theme` (a context manager) around the drawing of one figure, so a notebook or a user's
own style is left as it was; :func:`use_agg` is for the command line and scripts, which draw
without a display.

Colours and labels are keyed by the canonical names of :mod:`neuroact.vocabulary` (``relu``,
``softplus``, ``sigmoid``, ``tanh``, ``leaky_relu``, ``soft_lif``, ``power_law``, ``lif``);
older tables that say ``rectifier`` or ``logistic`` map through :func:`~neuroact.vocabulary.
canonical`.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.layout_engine import ConstrainedLayoutEngine

from neuroact.literature import Band
from neuroact.results import atomic_path
from neuroact.vocabulary import canonical, label

__all__ = [
    "FORMATS",
    "LINESTYLES",
    "PALETTE",
    "band_label",
    "check_axes",
    "check_table",
    "colour",
    "colours",
    "draw_band",
    "family_style",
    "figure",
    "figure_axes",
    "figure_legend",
    "label",
    "plain_log_axis",
    "network_label",
    "network_styles",
    "save",
    "single_axes",
    "theme",
    "themed",
    "tick_label",
    "unit_label",
    "use_agg",
]

# One colour per unit / family, learned once by the reader: the eight keys must stay far apart
# because all of them meet in some figure (the five f-I families in the fit grids, six units in
# the bio-activation contrast). Saturating units cool, rectifiers warm, the LIF rate near-black.
PALETTE: dict[str, str] = {
    "relu": "#d62728",
    "softplus": "#1f77b4",
    "sigmoid": "#2ca02c",
    "tanh": "#9467bd",
    "leaky_relu": "#ff7f0e",
    "soft_lif": "#8c564b",
    "power_law": "#e377c2",
    "lif": "#222222",
}
# Line styles of the f-I families, so that coinciding fits (a softplus with a large beta lies on
# the rectifier) stay visible as two patterns, also in grey-scale print.
LINESTYLES: dict[str, str | tuple] = {
    "relu": "-",
    "softplus": (0, (5, 2.5)),
    "sigmoid": "-.",
    "power_law": (0, (1.2, 1.6)),
    "lif": (0, (9, 2.5)),
}
# Colours for names outside the vocabulary (a user's own activation), in order of appearance.
EXTRA_COLOURS = ("#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#e7969c", "#637939")
# Markers and dashes that tell apart networks of one unit (L1 penalties, inits), in order.
VARIANT_MARKERS = ("o", "s", "^", "D", "v", "P")
VARIANT_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
FORMATS = ("png", "svg", "pdf")
DPI = 150

_UNITS = {
    "ua/cm2": "µA/cm²",
    "ua/cm^2": "µA/cm²",
    "µa/cm2": "µA/cm²",
    "µa/cm²": "µA/cm²",
    "ua cm-2": "µA/cm²",
    "ua/cm**2": "µA/cm²",
}


def colour(name: str) -> str:
    """The colour of a unit or family (any alias); mid-grey for a name outside the vocabulary.

    See Also
    --------
    colours : colours for several names, unknown ones kept apart.
    """
    return PALETTE.get(canonical(name), "0.45")


def colours(names: Iterable[str]) -> dict[str, str]:
    """A colour for each name: the palette's for known units, distinct extras for the rest.

    Unknown names (for instance a fitted ``bio_softplus``) get :data:`EXTRA_COLOURS` in order
    of appearance, so two of them never share a colour within one figure.
    """
    out: dict[str, str] = {}
    extra = 0
    for name in dict.fromkeys(names):
        key = canonical(name)
        if key in PALETTE:
            out[name] = PALETTE[key]
        else:
            out[name] = EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
            extra += 1
    return out


def family_style(name: str) -> dict:
    """Colour, dash pattern, width and drawing order of an f-I family's fitted curve: the
    rectifier wide and underneath, the others thinner on top, so coinciding fits stay visible."""
    key = canonical(name)
    wide = key == "relu"
    return {
        "color": colour(name),
        "ls": LINESTYLES.get(key, "-"),
        "lw": 2.6 if wide else 1.3,
        "alpha": 0.6 if wide else 1.0,
        "zorder": 2 if wide else 3,
    }


def unit_label(unit: str) -> str:
    """One spelling per unit on an axis: ``uA/cm2`` and ``uA/cm^2`` both become ``µA/cm²``."""
    return _UNITS.get(str(unit).strip().lower(), str(unit))


def network_label(activation: str, l1: float = 0.0, init: str | None = None) -> str:
    """``"rectifier (ReLU), L1 = 1e-04"``: the unit's label, its L1 penalty and init if given."""
    text = label(str(activation))
    if l1 and np.isfinite(l1) and float(l1) > 0:
        text += f", L1 = {float(l1):.0e}".replace("e-0", "e-")
    if init:
        text += f", {init} init"
    return text


def network_styles(keys: Sequence[tuple[str, object]]) -> dict[tuple[str, object], dict]:
    """Line and marker style per network ``(activation, variant)``: colour by unit, then one
    marker and dash pattern per variant (sorted) of the same unit, so no two draw alike."""
    out: dict[tuple[str, object], dict] = {}
    by_unit: dict[str, list] = {}
    for act, variant in dict.fromkeys(keys):
        by_unit.setdefault(act, []).append(variant)
    palette = colours(by_unit)
    for act, variants in by_unit.items():
        for i, variant in enumerate(sorted(variants, key=_sort_key)):
            out[(act, variant)] = {
                "color": palette[act],
                "marker": VARIANT_MARKERS[i % len(VARIANT_MARKERS)],
                "ls": VARIANT_LINESTYLES[i % len(VARIANT_LINESTYLES)],
            }
    return out


def _sort_key(value: object) -> tuple:
    """Variants in a stable order: numbers by value (no penalty first), then by text."""
    if isinstance(value, tuple):
        return tuple(_sort_key(v) for v in value)
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


@functools.cache
def _theme_rc() -> dict:
    rc = {}
    rc.update(sns.axes_style("ticks"))
    rc.update(sns.plotting_context("paper", font_scale=1.1))
    rc.update(
        {
            "axes.prop_cycle": cycler(color=sns.color_palette("deep")),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "axes.titlelocation": "left",
            "figure.dpi": 110,
            "legend.frameon": False,
            "legend.fontsize": 8,
            "legend.title_fontsize": 8,
            "font.size": 9,
        }
    )
    return rc


@contextlib.contextmanager
def theme() -> Iterator[None]:
    """The package's one plotting theme (seaborn "ticks", "paper" context), for one figure.

    Everything drawn inside the block carries the theme; matplotlib's settings are restored on
    leaving it. Figure functions apply it themselves (see :func:`themed`).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with theme():
    ...     fig, ax = plt.subplots()
    """
    with mpl.rc_context(_theme_rc()):
        yield


def themed(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure function inside :func:`theme`.

    Artists take their look from the settings when they are made, so a figure rendered after
    the block (saved, or shown inline in a notebook) keeps the theme.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> Figure:
        with theme():
            return func(*args, **kwargs)

    return wrapper


def use_agg() -> None:
    """Select matplotlib's non-interactive Agg backend for this process.

    For the command line and scripts, which draw without a display. Importing
    :mod:`neuroact.figures` never changes the backend, so notebooks keep their inline plots.
    """
    mpl.use("Agg")


def check_table(
    table: object, name: str, columns: Iterable[str], *, allow_empty: bool = False
) -> pd.DataFrame:
    """Check that ``table`` is a DataFrame with ``columns`` (and rows); raise a one-line error.

    Raises
    ------
    TypeError
        ``table`` is not a :class:`pandas.DataFrame`.
    ValueError
        A column is missing, or the table is empty and ``allow_empty`` is false.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name} lacks the columns {missing}; got a table with {list(table.columns)}"
        )
    if not allow_empty and table.empty:
        raise ValueError(f"{name} is empty; expected at least one row to draw")
    return table


def _root(fig: FigureBase) -> Figure:
    while not isinstance(fig, Figure):
        fig = fig.figure
    return fig


def figure_axes(
    nrows: int = 1,
    ncols: int = 1,
    *,
    fig: FigureBase | None = None,
    figsize: tuple[float, float] | None = None,
    **kwargs,
) -> tuple[Figure, np.ndarray]:
    """A 2-D array of axes in ``fig`` (a Figure or SubFigure the caller made), else in a new
    figure of ``figsize`` inches with constrained layout; ``kwargs`` go to ``Figure.subplots``.
    Returns the top-level figure and the axes.
    """
    if fig is None:
        fig = plt.figure(figsize=figsize, layout="constrained")
    elif not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return _root(fig), axes


def figure(*args, **kwargs) -> tuple[Figure, object]:
    """``plt.subplots(*args, **kwargs)`` with the theme and constrained layout, for scripts that
    draw their own figure; the figure functions of this package use :func:`figure_axes`."""
    with theme():
        return plt.subplots(*args, layout="constrained", **kwargs)


def single_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure of ``figsize`` inches with one axes."""
    if ax is None:
        fig = plt.figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return _root(ax.figure), ax


def check_axes(ax: object = None, fig: object = None) -> None:
    """Raise a TypeError for an ``ax`` or ``fig`` argument of the wrong type (before drawing)."""
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    if fig is not None and not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}")


def figure_legend(fig: Figure, loc: str = "outside right center", **kwargs) -> None:
    """One legend for the whole figure, outside the panels, each label once (in the order the
    panels drew them; labels starting with ``_`` are skipped, as matplotlib does)."""
    seen: dict[str, object] = {}
    for ax in fig.axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(text, handle)
    if seen:
        fig.legend(list(seen.values()), list(seen.keys()), loc=loc, **kwargs)


def tick_label(name: str) -> str:
    """A unit's display label broken before its parenthesis, to fit under a bar or a tick."""
    return label(name).replace(" (", "\n(")


def band_label(band: Band, scale: float = 100.0) -> str:
    """``"Lennie 2003: 1-4%"``: a literature band's name and range (``scale=100``: percent)."""
    unit = "%" if scale == 100 else ""
    return f"{band.name}: {band.low * scale:g}-{band.high * scale:g}{unit}"


def draw_band(ax: Axes, band: Band, axis: str = "y", scale: float = 100.0, **kwargs) -> None:
    """Shade a literature band across ``ax`` (``scale=100`` draws fractions as percent).

    See Also
    --------
    neuroact.literature : the bands and their sources.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y'; got {axis!r}")
    style = {"alpha": 0.15, "color": "0.3", "label": band_label(band, scale), "lw": 0} | kwargs
    span = ax.axhspan if axis == "y" else ax.axvspan
    span(band.low * scale, band.high * scale, **style)


def plain_log_axis(ax: Axes, axis: str = "y", ticks: Sequence[float] | None = None) -> None:
    """A log axis labelled with plain numbers (0.1, 1, 10, 100) instead of powers of ten, for
    percentages and ratios a reader should read off directly; ``ticks`` fixes the positions."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    if ticks is not None:
        target.set_major_locator(mticker.FixedLocator(list(ticks)))
    target.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(mticker.NullFormatter())


def save(fig: FigureBase, path: str | os.PathLike, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write ``fig`` atomically as ``path`` in each of ``formats``, then close it.

    ``path`` may end in ``.png``, ``.svg`` or ``.pdf`` or carry no suffix; each format replaces
    that suffix. A file appears complete or not at all (temporary file, then rename).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        What a figure function returned.
    path : str or os.PathLike
        Where to write, e.g. ``run / "fi_curves.png"``.
    formats : sequence of {"png", "svg", "pdf"}
        One file per format.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.
    """
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
    if isinstance(formats, str) or not all(isinstance(f, str) for f in formats):
        raise TypeError(
            f"formats must be a sequence of names such as ('png', 'svg'); got {formats!r}"
        )
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be a non-empty choice of {list(FORMATS)}; got {formats!r}")
    path = Path(path)
    base = path.with_suffix("") if path.suffix.lower().lstrip(".") in FORMATS else path
    fig = _root(fig)
    # Constrained layout already fits every artist, outside legends included, inside the
    # figure; cropping to the tight box as well would draw the figure twice (a quarter of the
    # time of drawing a run's figures). Figures without it are cropped.
    crop = None if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) else "tight"
    written = []
    for fmt in formats:
        out = base.with_name(f"{base.name}.{fmt}")
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches=crop, pad_inches=0.05)
        written.append(out)
    plt.close(fig)
    return written
