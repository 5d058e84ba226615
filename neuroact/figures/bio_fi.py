"""The f-I curves figure: every simulated model against its oracle or its adaptation.

:func:`plot_fi_curves` draws four panels from the tables of the ``fi_curves`` experiment:
(a) LIF and noisy LIF, simulated steady-state rates (points, SEM bars) on the analytic LIF rate
and the Siegert rate (lines; Dayan & Abbott 2001 ch. 5, Brunel 2000); (b) Hodgkin-Huxley 1952
with the literature rheobase for sustained firing (6.2-6.3 µA/cm², type II onset); (c) AdEx and
(d) Izhikevich neurons, steady-state rate (solid) against first-interval rate (dashed): the gap
is spike-frequency adaptation.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D

from neuroact.figures.style import (
    PALETTE,
    check_axes,
    check_table,
    figure_axes,
    themed,
    unit_label,
)
from neuroact.literature import HH_RHEOBASE_UA_CM2

__all__ = ["plot_fi_curves", "MODEL_LABELS", "PANELS"]

PANELS = {
    "lif": 0,
    "noisy_lif": 0,
    "hh": 1,
    "adex": 2,
    "izhikevich_rs": 3,
    "izhikevich_fs": 3,
    "izhikevich_ib": 3,
    "izhikevich_ch": 3,
}
TITLES = (
    "(a) integrate-and-fire vs theory",
    "(b) Hodgkin-Huxley 1952 (type II)",
    "(c) AdEx (Brette & Gerstner 2005)",
    "(d) Izhikevich 2003",
)
MODEL_LABELS = {
    "lif": "LIF",
    "noisy_lif": "noisy LIF",
    "hh": "Hodgkin-Huxley",
    "adex": "AdEx",
    "izhikevich_rs": "Izhikevich RS",
    "izhikevich_fs": "Izhikevich FS",
    "izhikevich_ib": "Izhikevich IB",
    "izhikevich_ch": "Izhikevich CH",
}
MODEL_COLOURS = {
    "lif": PALETTE["lif"],
    "hh": "#1f77b4",
    "adex": "#2ca02c",
    "izhikevich_rs": "#d62728",
    "izhikevich_fs": "#9467bd",
    "izhikevich_ib": "#ff7f0e",
    "izhikevich_ch": "#17becf",
}
REQUIRED = ("model", "current", "current_unit", "rate_Hz", "first_rate_Hz")


def _model_label(model: str, sigma: float) -> str:
    name = MODEL_LABELS.get(model, model)
    return f"{name}, σ = {sigma:g} mV" if sigma else name


def _noise_colour(sigma: float, levels: list[float]) -> str:
    """Noise levels on one sequential scale (darker = stronger noise), the LIF itself black."""
    if not sigma:
        return PALETTE["lif"]
    return plt.get_cmap("plasma")(0.7 - 0.45 * levels.index(sigma) / max(1, len(levels) - 1))


@themed
def plot_fi_curves(
    curves: pd.DataFrame, theory: pd.DataFrame | None = None, *, fig: FigureBase | None = None
) -> Figure:
    """Every model's f-I curve in four panels (see the module docstring).

    Parameters
    ----------
    curves : pandas.DataFrame
        The columns of ``fi_curves.csv``: ``model``, ``current``, ``current_unit``, ``rate_Hz``,
        ``first_rate_Hz`` (steady-state and first-interval rates), optional ``sigma_mV`` (noise
        of the noisy LIF) and ``rate_sem_Hz`` (over trials).
    theory : pandas.DataFrame, optional
        ``fi_theory.csv``: ``model``, ``sigma_mV``, ``current``, ``rate_Hz`` of the analytic
        LIF rate and the Siegert rate, drawn as lines in panel (a).
    fig : matplotlib.figure.Figure, optional
        Draw into this figure (or sub-figure) instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    neuroact.bio.fi.fi_curve : simulates one model's curve.
    neuroact.bio.theory.lif_rate, neuroact.bio.theory.siegert_rate : the oracles.
    """
    check_table(curves, "curves", REQUIRED)
    if theory is not None:
        check_table(theory, "theory", ("model", "sigma_mV", "current", "rate_Hz"), allow_empty=True)
    check_axes(fig=fig)
    curves = curves.copy()
    curves["sigma_mV"] = curves.get("sigma_mV", pd.Series(0.0, index=curves.index)).fillna(0.0)
    levels = sorted(s for s in curves["sigma_mV"].unique() if s)

    fig, axes = figure_axes(2, 2, fig=fig, figsize=(11.5, 8))
    axes = axes.ravel()
    units, handles = _draw_curves(axes, curves, theory, levels)
    _finish_panels(axes, units, handles)
    return fig


def _draw_curves(
    axes: np.ndarray, curves: pd.DataFrame, theory: pd.DataFrame | None, levels: list[float]
) -> tuple[dict[int, set[str]], dict[int, list]]:
    """Each (model, noise) curve in its panel; the current units and legend handles per panel."""
    units: dict[int, set[str]] = {i: set() for i in range(4)}
    handles: dict[int, list] = {i: [] for i in range(4)}
    for (model, sigma), d in curves.groupby(["model", "sigma_mV"], sort=False):
        d = d.sort_values("current")
        k = PANELS.get(model, 3)
        ax = axes[k]
        units[k].add(unit_label(d["current_unit"].iloc[0]))
        name = _model_label(model, sigma)
        if k == 0:
            c = _noise_colour(sigma, levels)
            sem = d["rate_sem_Hz"] if "rate_sem_Hz" in d else None
            ax.errorbar(d["current"], d["rate_Hz"], yerr=sem, fmt="o", ms=3.5, color=c, zorder=3)
            if theory is not None and len(theory):
                th = theory[(theory["model"] == model) & np.isclose(theory["sigma_mV"], sigma)]
                ax.plot(th["current"], th["rate_Hz"], "-", color=c, lw=1.3)
            handles[k].append(Line2D([], [], color=c, marker="o", ms=4, label=name))
        else:
            c = MODEL_COLOURS.get(model, "0.3")
            ax.plot(d["current"], d["rate_Hz"], "o-", ms=3, color=c, label=name)
            ax.plot(d["current"], d["first_rate_Hz"], "--", color=c, lw=1.2)
            handles[k].append(Line2D([], [], color=c, marker="o", ms=4, label=name))

    return units, handles


def _finish_panels(axes: np.ndarray, units: dict[int, set[str]], handles: dict[int, list]) -> None:
    """Axis labels, titles and legends (with the keys of each panel's line styles)."""
    low, high = HH_RHEOBASE_UA_CM2
    if handles[1]:
        axes[1].axvspan(low, high, color="0.3", alpha=0.25, lw=0)
    grey = {"color": "0.35"}
    keys = {
        0: [
            Line2D([], [], ls="", marker="o", ms=4, label="simulation (± SEM)", **grey),
            Line2D([], [], label="theory: analytic LIF, Siegert", **grey),
        ],
        "adapting": [
            Line2D([], [], marker="o", ms=3, label="steady state", **grey),
            Line2D([], [], ls="--", label="first interval", **grey),
        ],
    }
    band = plt.Rectangle((0, 0), 1, 1, color="0.3", alpha=0.25, lw=0)
    band.set_label(f"rheobase {low:g}-{high:g} µA/cm²\n(Hodgkin & Huxley 1952)")
    for k, ax in enumerate(axes):
        if not handles[k]:  # no model of this kind in the table
            ax.set_visible(False)
            continue
        unit = ", ".join(sorted(units[k])) or "unit unknown"
        ax.set_xlabel(f"input current ({unit})")
        ax.set_ylabel("firing rate (Hz)")
        ax.set_title(TITLES[k])
        ax.set_ylim(bottom=0)
        extra = keys[0] if k == 0 else keys["adapting"] + ([band] if k == 1 else [])
        ax.legend(handles=handles[k] + extra, loc="upper left", bbox_to_anchor=(1.01, 1.0))
