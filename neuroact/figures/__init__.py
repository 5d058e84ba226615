"""Figures: one function per figure, one seaborn theme for all, drawn from results only.

Figure functions take tidy tables (as written to a run folder) and a path, never simulate or
train. ``save`` writes atomically in the requested formats (PNG by default, SVG/PDF on request).
Sub-modules: ``bio`` (f-I curves, population activity), ``ann`` (training, sparsity,
gradients), ``compare`` (fits, sparsity contrast).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from neuroact.literature import Band  # noqa: E402
from neuroact.results import atomic_path  # noqa: E402

FORMATS_ENV = "NEUROACT_FIGURE_FORMATS"

# One colour per activation family / model, used everywhere so a reader learns them once.
PALETTE = {
    "relu": "#d62728",
    "rectifier": "#d62728",
    "softplus": "#ff7f0e",
    "sigmoid": "#1f77b4",
    "logistic": "#1f77b4",
    "tanh": "#2ca02c",
    "leaky_relu": "#9467bd",
    "soft_lif": "#8c564b",
    "lif": "#8c564b",
    "power_law": "#e377c2",
}


def theme() -> None:
    """Apply the package's single plotting theme."""
    sns.set_theme(context="paper", style="ticks", font_scale=1.1)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def figure(*args, **kwargs):
    """``plt.subplots`` with the theme applied."""
    theme()
    return plt.subplots(*args, **kwargs)


def draw_band(ax, band: Band, axis: str = "y", scale: float = 1.0, **kwargs) -> None:
    """Shade a literature band (``scale=100`` to draw fractions as percent)."""
    style = {"alpha": 0.15, "color": "0.3", "label": band.name, "lw": 0} | kwargs
    span = ax.axhspan if axis == "y" else ax.axvspan
    span(band.low * scale, band.high * scale, **style)


def save(fig, path: str | os.PathLike, formats: Sequence[str] | None = None) -> list[Path]:
    """Save ``fig`` atomically as ``path`` with each suffix in ``formats``; close it.

    ``formats`` defaults to the environment variable ``NEUROACT_FIGURE_FORMATS`` (comma
    separated, e.g. ``png,svg``) or ``png``.
    """
    if formats is None:
        formats = os.environ.get(FORMATS_ENV, "png").split(",")
    allowed = {"png", "svg", "pdf"}
    bad = [f for f in formats if f not in allowed]
    if bad:
        raise ValueError(f"formats must be among {sorted(allowed)}; got {bad}")
    base = Path(path).with_suffix("")
    written = []
    for fmt in formats:
        out = base.with_suffix(f".{fmt}")
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format=fmt)
        written.append(out)
    plt.close(fig)
    return written
