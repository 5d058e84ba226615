"""Measured f-I curves from any lab's table: read, group by cell, fit every cell, summarise.

The input is a *tidy* table with one row per current step (sweep): a cell identifier, the
step current, and either a rate or a spike count with the step duration. Column names and
units are given by the caller, so any lab's table in that shape works::

    curves = read_fi_table("steps.csv", cell_col="cell", current_col="I_pA",
                           current_unit="pA", count_col="n_spikes", duration=2000)
    fits = fit_cells(curves, families=["rectifier", "softplus", "lif"])
    fits.table        # one row per cell x family
    fits.winners()    # the best family of each cell (by AIC unless told otherwise)
    fits.summary()    # per family: wins, success count, median R^2

Repeated currents. By default (``repeats="keep"``) every sweep is its own data point: a
current stepped twice counts twice in the least squares, which is the right weighting when the
sweeps are independent observations. ``repeats="mean"`` averages the sweeps of a cell that
share a current (after rounding currents to ``current_round`` if given) and records their
number and the standard error of the mean (NaN for a single sweep); the SEMs are not used as
weights unless ``fit_cells(..., use_sem=True)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from neuroact.compare.curves import Family, resolve_families
from neuroact.compare.fit import CRITERIA, CURRENT_UNITS, FamilyComparison, fit_families

__all__ = ["MeasuredCurves", "CellFits", "read_fi_table", "fit_cells"]

_RATE_UNITS = {"Hz": 1.0, "1/s": 1.0, "kHz": 1e3}
_DURATION_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


@dataclass
class MeasuredCurves:
    """f-I points per cell in a tidy frame.

    ``data`` has columns ``cell_id``, ``current`` (in ``current_unit``), ``rate_Hz``,
    ``n_sweeps`` and ``rate_sem_Hz`` (NaN where not defined).
    """

    data: pd.DataFrame
    current_unit: str

    @property
    def cells(self) -> list:
        """Cell ids in order of first appearance."""
        return list(pd.unique(self.data["cell_id"]))

    def curve(self, cell) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(current, rate_Hz, rate_sem_Hz) of one cell, sorted by current."""
        d = self.data[self.data["cell_id"] == cell]
        if d.empty:
            raise ValueError(f"cell {cell!r} is not in the table; cells: {self.cells[:5]}...")
        d = d.sort_values("current", kind="stable")
        return (
            d["current"].to_numpy(float),
            d["rate_Hz"].to_numpy(float),
            d["rate_sem_Hz"].to_numpy(float),
        )

    def __len__(self) -> int:
        return len(self.cells)


def _require(frame: pd.DataFrame, col: str | None, arg: str) -> None:
    if col is not None and col not in frame.columns:
        raise ValueError(
            f"{arg}={col!r} is not a column of the table; columns: {list(frame.columns)}"
        )


def read_fi_table(
    source: str | os.PathLike | pd.DataFrame,
    *,
    cell_col: str,
    current_col: str,
    rate_col: str | None = None,
    count_col: str | None = None,
    duration_col: str | None = None,
    duration: float | None = None,
    duration_unit: str = "ms",
    current_unit: str = "pA",
    rate_unit: str = "Hz",
    repeats: str = "keep",
    current_round: float | None = None,
    query: str | None = None,
) -> MeasuredCurves:
    """Read a tidy table of f-I measurements (CSV path or DataFrame) into :class:`MeasuredCurves`.

    Parameters
    ----------
    source
        CSV file or DataFrame, one row per current step.
    cell_col, current_col
        Columns of the cell id and of the step current (in ``current_unit``).
    rate_col
        Column of the firing rate (in ``rate_unit``: ``Hz``, ``1/s`` or ``kHz``); or else
    count_col, duration_col / duration
        Spike count and step duration (a column, or one value for every row) in
        ``duration_unit`` (``s``, ``ms``, ``us``); rate = count / duration.
    current_unit
        Unit of the current column (``pA``, ``nA``, ...); kept as the unit of the fits.
    repeats
        ``"keep"`` every sweep as a point, or ``"mean"`` average sweeps sharing a current
        (module docstring).
    current_round
        With ``repeats="mean"``: round currents to multiples of this before grouping.
    query
        Optional ``DataFrame.query`` string to select rows first (e.g. ``"protocol == 'IDrest'"``).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        frame = pd.read_csv(source)
    if query:
        frame = frame.query(query)
    _require(frame, cell_col, "cell_col")
    _require(frame, current_col, "current_col")
    if current_unit not in CURRENT_UNITS:
        raise ValueError(f"current_unit must be one of {list(CURRENT_UNITS)}; got {current_unit!r}")
    if repeats not in ("keep", "mean"):
        raise ValueError(f"repeats must be 'keep' or 'mean'; got {repeats!r}")
    if rate_col is not None:
        _require(frame, rate_col, "rate_col")
        if rate_unit not in _RATE_UNITS:
            raise ValueError(f"rate_unit must be one of {list(_RATE_UNITS)}; got {rate_unit!r}")
        rate = pd.to_numeric(frame[rate_col], errors="coerce") * _RATE_UNITS[rate_unit]
    elif count_col is not None:
        _require(frame, count_col, "count_col")
        if duration_unit not in _DURATION_UNITS:
            raise ValueError(
                f"duration_unit must be one of {list(_DURATION_UNITS)}; got {duration_unit!r}"
            )
        if duration_col is not None:
            _require(frame, duration_col, "duration_col")
            dur = pd.to_numeric(frame[duration_col], errors="coerce")
        elif duration is not None:
            dur = pd.Series(float(duration), index=frame.index)
        else:
            raise ValueError("count_col needs the step duration: pass duration_col or duration")
        dur_s = dur * _DURATION_UNITS[duration_unit]
        if (dur_s <= 0).any():
            raise ValueError(f"step durations must be positive; got minimum {dur_s.min()} s")
        rate = pd.to_numeric(frame[count_col], errors="coerce") / dur_s
    else:
        raise ValueError("give the rate: rate_col, or count_col with duration_col/duration")
    data = pd.DataFrame(
        {
            "cell_id": frame[cell_col].to_numpy(),
            "current": pd.to_numeric(frame[current_col], errors="coerce").to_numpy(float),
            "rate_Hz": rate.to_numpy(float),
        }
    )
    data["n_sweeps"] = 1
    data["rate_sem_Hz"] = np.nan
    if repeats == "mean":
        if current_round:
            data["current"] = np.round(data["current"] / current_round) * current_round
        g = data.groupby(["cell_id", "current"], sort=False)["rate_Hz"]
        data = g.agg(rate_Hz="mean", n_sweeps="size", rate_std="std").reset_index()
        data["rate_sem_Hz"] = data.pop("rate_std") / np.sqrt(data["n_sweeps"])
    return MeasuredCurves(data.reset_index(drop=True), current_unit)


@dataclass
class CellFits:
    """Fits of several families to every cell of a :class:`MeasuredCurves`."""

    table: pd.DataFrame
    criterion: str
    families: tuple[str, ...]

    def winners(self) -> pd.DataFrame:
        """Best successful family of each cell, with its R^2 and the margin to the runner-up."""
        ok = self.table[self.table["success"]]
        rows = []
        for cell, d in ok.groupby("cell_id", sort=False):
            d = d.sort_values(self.criterion)
            second = d[self.criterion].iloc[1] if len(d) > 1 else math.nan
            rows.append(
                {
                    "cell_id": cell,
                    "winner": d["family"].iloc[0],
                    "r2": d["r2"].iloc[0],
                    f"delta_{self.criterion}_next": second - d[self.criterion].iloc[0],
                    "runner_up": d["family"].iloc[1] if len(d) > 1 else None,
                }
            )
        columns = ["cell_id", "winner", "r2", f"delta_{self.criterion}_next", "runner_up"]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> pd.DataFrame:
        """Per family: cells fitted, successes, wins (and share), median and IQR of R^2."""
        wins = self.winners()["winner"].value_counts()
        n_cells = self.table["cell_id"].nunique()
        rows = []
        for fam in self.families:
            d = self.table[self.table["family"] == fam]
            r2 = d.loc[d["success"], "r2"]
            rows.append(
                {
                    "family": fam,
                    "n_cells": n_cells,
                    "n_success": int(d["success"].sum()),
                    "n_wins": int(wins.get(fam, 0)),
                    "frac_wins": float(wins.get(fam, 0)) / n_cells if n_cells else math.nan,
                    "median_r2": float(r2.median()) if len(r2) else math.nan,
                    "r2_q25": float(r2.quantile(0.25)) if len(r2) else math.nan,
                    "r2_q75": float(r2.quantile(0.75)) if len(r2) else math.nan,
                    "median_rmse_Hz": float(d.loc[d["success"], "rmse"].median())
                    if len(r2)
                    else math.nan,
                }
            )
        return pd.DataFrame(rows)


def fit_cells(
    curves: MeasuredCurves,
    families: Sequence[str | Family] | str | None = None,
    *,
    criterion: str = "aic",
    use_sem: bool = False,
    progress: bool = True,
    **fit_kwargs,
) -> CellFits:
    """Fit ``families`` (default: all registered) to every cell; rank them per cell.

    Extra keyword arguments go to :func:`neuroact.compare.fit.fit_curve` (``loss``,
    ``min_r2``, ...). A cell whose data cannot be fitted gets failed rows with the reason, it
    never stops the loop. The table has one row per cell x family with ``cell_id``, ``rank``,
    ``family``, ``success``, ``message``, statistics and parameters.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}")
    if not isinstance(curves, MeasuredCurves):
        raise TypeError(f"curves must be MeasuredCurves (see read_fi_table); got {type(curves)}")
    fams = resolve_families(families)
    frames = []
    for cell in tqdm(curves.cells, desc="fitting cells", disable=None if progress else True):
        i, r, sem = curves.curve(cell)
        if use_sem and sem is not None:
            # a current stepped once has no SEM: give it the cell's median SEM, not a NaN that
            # would fail the whole cell
            sem = np.asarray(sem, dtype=float)
            known = sem[np.isfinite(sem) & (sem > 0)]
            sem = (
                np.where(np.isfinite(sem) & (sem > 0), sem, np.median(known))
                if known.size
                else None
            )
        comparison: FamilyComparison = fit_families(
            i,
            r,
            fams,
            sem if use_sem else None,
            criterion=criterion,
            current_unit=curves.current_unit,
            **fit_kwargs,
        )
        f = comparison.to_frame()
        f.insert(0, "cell_id", cell)
        frames.append(f)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return CellFits(table, criterion, tuple(f.name for f in fams))
