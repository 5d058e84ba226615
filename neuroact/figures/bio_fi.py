"""Figure of the f-I curves experiment, drawn from its tables only.

``plot_fi_curves(curves, path, theory=None)``: four panels.
(a) LIF and noisy LIF: simulated steady-state rates (points, SEM bars) on the analytic LIF and
    Siegert curves (lines); (b) Hodgkin-Huxley with the literature rheobase band for sustained
    firing (6.2-6.3 uA/cm2); (c) AdEx and (d) Izhikevich: steady-state rate (solid) against the
    first-interval rate (dashed), which shows the adaptation.
``curves`` has the columns of ``fi_curves.csv`` (model, sigma_mV, current, current_unit,
rate_Hz, rate_sem_Hz, first_rate_Hz, ...); ``theory`` those of ``fi_theory.csv``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from neuroact.figures import PALETTE, figure, save
from neuroact.literature import HH_RHEOBASE_UA_CM2

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
COLOURS = {
    ("lif", 0.0): PALETTE["lif"],
    "hh": "#1f77b4",
    "adex": "#2ca02c",
    "izhikevich_rs": "#d62728",
    "izhikevich_fs": "#9467bd",
    "izhikevich_ib": "#ff7f0e",
    "izhikevich_ch": "#17becf",
}
NOISE_COLOURS = ("#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd")


def _label(model: str, sigma: float) -> str:
    return f"{model} σ={sigma:g} mV" if sigma else model


def _colour(model: str, sigma: float, noise_levels: list[float]) -> str:
    if model in ("lif", "noisy_lif") and sigma:
        return NOISE_COLOURS[noise_levels.index(sigma) % len(NOISE_COLOURS)]
    return COLOURS.get((model, 0.0), COLOURS.get(model, "0.3"))


def plot_fi_curves(
    curves: pd.DataFrame, path: str | os.PathLike, theory: pd.DataFrame | None = None
) -> list[Path]:
    """Draw every model's f-I curve (four panels, see the module docstring) and save it."""
    missing = {"model", "current", "current_unit", "rate_Hz", "first_rate_Hz"} - set(curves)
    if missing:
        raise ValueError(f"curves lacks the columns {sorted(missing)}")
    curves = curves.copy()
    if "sigma_mV" not in curves:
        curves["sigma_mV"] = 0.0
    curves["sigma_mV"] = curves["sigma_mV"].fillna(0.0)
    noise_levels = sorted(s for s in curves["sigma_mV"].unique() if s)

    fig, axes = figure(2, 2, figsize=(10, 8))
    axes = axes.ravel()
    units: dict[int, set[str]] = {i: set() for i in range(4)}
    for (model, sigma), d in curves.groupby(["model", "sigma_mV"], sort=False):
        d = d.sort_values("current")
        k = PANELS.get(model, 3)
        ax = axes[k]
        units[k].add(str(d["current_unit"].iloc[0]))
        colour = _colour(model, sigma, noise_levels)
        label = _label(model, sigma)
        if k == 0:
            sem = d["rate_sem_Hz"] if "rate_sem_Hz" in d else None
            ax.errorbar(
                d["current"],
                d["rate_Hz"],
                yerr=sem,
                fmt="o",
                ms=3.5,
                color=colour,
                label=f"{label} (sim.)",
                zorder=3,
            )
            if theory is not None and len(theory):
                th = theory[(theory["model"] == model) & np.isclose(theory["sigma_mV"], sigma)]
                if len(th):
                    name = "Siegert" if sigma else "analytic"
                    ax.plot(
                        th["current"],
                        th["rate_Hz"],
                        "-",
                        color=colour,
                        lw=1.2,
                        label=f"{label} ({name})",
                    )
        else:
            ax.plot(
                d["current"], d["rate_Hz"], "o-", ms=3, color=colour, label=f"{label} steady state"
            )
            ax.plot(
                d["current"],
                d["first_rate_Hz"],
                "--",
                color=colour,
                lw=1.2,
                label=f"{label} first interval",
            )
        if k == 1:
            low, high = HH_RHEOBASE_UA_CM2
            ax.axvspan(
                low,
                high,
                color="0.3",
                alpha=0.2,
                lw=0,
                label=f"rheobase {low:g}-{high:g} (HH 1952 lit.)",
            )

    for k, ax in enumerate(axes):
        unit = ", ".join(sorted(units[k])) or "?"
        ax.set_xlabel(f"input current ({unit.replace('uA/cm2', 'µA/cm²')})")
        ax.set_ylabel("firing rate (Hz)")
        ax.set_title(TITLES[k], loc="left", fontsize="medium")
        if ax.has_data():
            ax.legend(fontsize="x-small", frameon=False, loc="upper left")
        ax.set_ylim(bottom=0)
    fig.tight_layout()
    return save(fig, path)
