"""The sparsity contrast: literature bands, spiking networks and trained ANNs in one table.

Every row is one "fraction of units active at once" (a number in [0, 1]) or a literature band:

==============  ============================================================================
source          rows
==============  ============================================================================
literature      Lennie 2003 (1-4%), Attwell & Laughlin 2001 (<= 15%): fraction of cortical
                neurons active at once; Glorot et al. 2011 (68-83% exact zeros, i.e. 17-32%
                active) for rectifier nets with an L1 activation penalty. ``low``/``high``
                give the band as a fraction *active*.
simulated       networks of ``population_summary.csv`` (``population_sparsity``), one row per
                network x window W: the share of neurons with at least one spike in a window of
                W ms (``frac_active_<W>ms``), averaged over windows.
trained         networks of ``history.csv`` (``train_networks``, or the ``compare``
                experiment's own bio-activation networks), one row per network x hidden layer x
                view at the final epoch. Output view: 1 - ``frac_zero`` (exact zeros for
                rectifiers; ``|a| <= eps P99(|a|)`` for smooth units). Input view:
                ``frac_active_input`` (pre-activation > 0; sigmoid: output above 1/2).
==============  ============================================================================

All fractions come from :mod:`neuroact.sparsity` in the experiments that made the tables;
this module only collects them. The Glorot band is converted from zeros to active
(active = 1 - zeros) so that every row is on the same axis.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from neuroact.literature import (
    ATTWELL_LAUGHLIN_2001,
    GLOROT_2011_SPARSITY,
    LENNIE_2003,
    Band,
)

__all__ = ["COLUMNS", "literature_rows", "simulated_rows", "trained_rows", "build_contrast"]

COLUMNS = (
    "source",
    "label",
    "view",
    "window_ms",
    "activation",
    "l1",
    "layer",
    "fraction_active",
    "low",
    "high",
    "test_error",
    "mean_rate_Hz",
    "reference",
)
_WINDOW = re.compile(r"^frac_active_(\d+(?:\.\d+)?)ms$")


def literature_rows(bands: tuple[Band, ...] | None = None) -> pd.DataFrame:
    """One row per literature band, as a fraction *active* (Glorot's zeros band converted)."""
    if bands is None:
        bands = (LENNIE_2003, ATTWELL_LAUGHLIN_2001, GLOROT_2011_SPARSITY)
    rows = []
    for band in bands:
        zeros_band = band is GLOROT_2011_SPARSITY
        low, high = (1 - band.high, 1 - band.low) if zeros_band else (band.low, band.high)
        rows.append(
            {
                "source": "literature",
                "label": band.name + (" (ReLU + L1, active)" if zeros_band else " (cortex)"),
                "view": "band",
                "fraction_active": math.nan,
                "low": low,
                "high": high,
                "reference": band.source,
            }
        )
    return pd.DataFrame(rows)


def simulated_rows(
    population: pd.DataFrame, sweeps: tuple[str, ...] | None = ("showcase",)
) -> pd.DataFrame:
    """Rows from a ``population_summary`` table: one per network x window.

    ``sweeps`` keeps only those values of the ``sweep`` column (None: every network); if none
    of them is present, every network is kept.
    """
    pop = population
    if sweeps is not None and "sweep" in pop and pop["sweep"].isin(sweeps).any():
        pop = pop[pop["sweep"].isin(sweeps)]
    windows = [(c, float(m.group(1))) for c in pop.columns if (m := _WINDOW.match(c))]
    if not windows:
        raise ValueError(
            "population table has no frac_active_<W>ms columns; columns: "
            f"{list(population.columns)}"
        )
    rows = []
    for _, net in pop.iterrows():
        parts = [str(net["label"])] if "label" in net and pd.notna(net.get("label")) else []
        parts += [f"{k}={net[k]:g}" for k in ("g", "eta", "heterogeneity") if k in net]
        name = "Brunel network " + ", ".join(parts)
        for col, w in windows:
            rows.append(
                {
                    "source": "simulated",
                    "label": f"{name}; W={w:g} ms",
                    "view": "spikes in window",
                    "window_ms": w,
                    "fraction_active": float(net[col]),
                    "mean_rate_Hz": float(net["mean_rate_Hz"])
                    if "mean_rate_Hz" in net
                    else math.nan,
                    "reference": "population_sparsity",
                }
            )
    return pd.DataFrame(rows)


def trained_rows(history: pd.DataFrame, source: str = "trained") -> pd.DataFrame:
    """Rows from a ``history`` table (per epoch x layer): final epoch, hidden layers, 2 views."""
    need = {"epoch", "layer", "layer_kind", "activation", "frac_zero", "frac_active_input"}
    missing = need - set(history.columns)
    if missing:
        raise ValueError(f"history table lacks columns {sorted(missing)}")
    key = "job" if "job" in history else "activation"
    rows = []
    for _, net in history.groupby(key, sort=False):
        last = net[(net["epoch"] == net["epoch"].max()) & (net["layer_kind"] == "hidden")]
        for _, layer in last.iterrows():
            l1 = float(layer["l1"]) if "l1" in layer else 0.0
            l1 = l1 if math.isfinite(l1) else 0.0  # networks trained without a penalty column
            name = f"{layer['activation']}" + (f" L1={l1:g}" if l1 else "")
            err = float(layer["test_error"]) if "test_error" in layer else math.nan
            for view, value in (
                ("output", 1.0 - float(layer["frac_zero"])),
                ("input", float(layer["frac_active_input"])),
            ):
                rows.append(
                    {
                        "source": source,
                        "label": f"{name}, layer {int(layer['layer'])} ({view} view)",
                        "view": view,
                        "activation": layer["activation"],
                        "l1": l1,
                        "layer": int(layer["layer"]),
                        "fraction_active": value,
                        "test_error": err,
                        "reference": "train_networks" if source == "trained" else "compare",
                    }
                )
    return pd.DataFrame(rows)


def build_contrast(
    population: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    bio_history: pd.DataFrame | None = None,
    *,
    sweeps: tuple[str, ...] | None = ("showcase",),
) -> pd.DataFrame:
    """The contrast table (columns :data:`COLUMNS`): literature, simulated, trained, bio rows.

    Any of the input tables may be None (its rows are then absent).
    """
    parts = [literature_rows()]
    if population is not None and len(population):
        parts.append(simulated_rows(population, sweeps))
    if history is not None and len(history):
        parts.append(trained_rows(history, "trained"))
    if bio_history is not None and len(bio_history):
        parts.append(trained_rows(bio_history, "bio_activation"))
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    for col in COLUMNS:
        if col not in table:
            table[col] = math.nan
    return table[list(COLUMNS)]
