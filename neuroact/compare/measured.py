"""Measured f-I curves from any lab's table: read, group by cell, fit every cell, summarise.

The input is a *tidy* table with one row per current step (sweep): a cell identifier, the
step current, and either a rate or a spike count with the step duration. Column names and
units are given by the caller, so any lab's table in that shape works::

    curves = read_fi_table("steps.csv", cell_col="cell", current_col="I_pA",
                           current_unit="pA", count_col="n_spikes", duration=2000)
    fits = fit_cells(curves, families=["relu", "softplus", "lif"])
    fits.table        # one row per cell x family
    fits.parameters() # one row per cell x family x parameter, with its unit and SE
    fits.winners()    # the best family of each cell (by AIC unless told otherwise)
    fits.summary()    # per family: wins, success count, median R^2

Every check of the input runs in :func:`read_fi_table` before anything is fitted (see
:mod:`neuroact.compare.tables`): a file that is not a table, a query that selects nothing or
names a missing column, missing or non-numeric values, durations <= 0 and negative rates
(unless ``allow_negative_rates=True``, for baseline-subtracted tables) raise ``ValueError``
with one line naming the culprit.

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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuroact.compare.curves import Family, get_family, resolve_families
from neuroact.compare.fit import CRITERIA, CURRENT_UNITS, fit_families
from neuroact.compare.tables import check_rates, numeric_column, read_csv_table, select_rows
from neuroact.parallel import check_workers, map_ordered

__all__ = [
    "MeasuredCurves",
    "CellFits",
    "PARAMETER_COLUMNS",
    "read_fi_table",
    "mean_of_repeats",
    "fit_cells",
    "fit_cell",
    "cell_seed",
]

_RATE_UNITS = {"Hz": 1.0, "1/s": 1.0, "kHz": 1e3}
_DURATION_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
# Columns of CellFits.parameters(), the tidy table of fitted parameters (fits.csv).
PARAMETER_COLUMNS = (
    "cell_id",
    "family",
    "param",
    "value",
    "unit",
    "stderr",
    "ci_low",
    "ci_high",
    "ci_level",
    "success",
    "rank",
    "r2",
    "rmse_Hz",
    "aic",
    "aicc",
    "bic",
    "delta",
    "weight",
    "n_points",
    "message",
)


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


def _check_arguments(
    current_unit: str,
    rate_unit: str,
    duration_unit: str,
    repeats: str,
    current_round: float | None,
    duration: float | None,
) -> None:
    """Argument checks that need no data, run before the table is read."""
    if current_unit not in CURRENT_UNITS:
        raise ValueError(f"current_unit must be one of {list(CURRENT_UNITS)}; got {current_unit!r}")
    if rate_unit not in _RATE_UNITS:
        raise ValueError(f"rate_unit must be one of {list(_RATE_UNITS)}; got {rate_unit!r}")
    if duration_unit not in _DURATION_UNITS:
        raise ValueError(
            f"duration_unit must be one of {list(_DURATION_UNITS)}; got {duration_unit!r}"
        )
    if repeats not in ("keep", "mean"):
        raise ValueError(f"repeats must be 'keep' or 'mean'; got {repeats!r}")
    if current_round is not None and not (
        isinstance(current_round, int | float)
        and math.isfinite(current_round)
        and current_round > 0
    ):
        raise ValueError(f"current_round must be None or a number > 0; got {current_round!r}")
    if duration is not None and not (
        isinstance(duration, int | float | np.number) and math.isfinite(duration) and duration > 0
    ):
        raise ValueError(f"duration must be a finite number > 0; got {duration!r}")


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
    allow_negative_rates: bool = False,
) -> MeasuredCurves:
    """Read a tidy table of f-I measurements (CSV path or DataFrame) into :class:`MeasuredCurves`.

    Parameters
    ----------
    source
        CSV file (UTF-8) or DataFrame, one row per current step.
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
    allow_negative_rates
        Accept negative rates (a baseline-subtracted table); by default they raise.

    Raises
    ------
    ValueError
        Naming the argument or column at fault, before anything is fitted: a file that is not
        a CSV table (0 bytes, binary, header only), a query that names a missing column or
        selects no row, a missing cell id, a current, rate, count or duration that is not a
        finite number, a duration <= 0, a negative rate (unless ``allow_negative_rates``).

    See Also
    --------
    fit_cells : fit curve families to every cell.
    """
    _check_arguments(current_unit, rate_unit, duration_unit, repeats, current_round, duration)
    if rate_col is None and count_col is None:
        raise ValueError("give the rate: rate_col, or count_col with duration_col/duration")
    if rate_col is None and duration_col is None and duration is None:
        raise ValueError("count_col needs the step duration: pass duration_col or duration")
    frame = source.copy() if isinstance(source, pd.DataFrame) else read_csv_table(source)
    if frame.empty:
        raise ValueError("source has no rows")
    if query:
        frame = select_rows(frame, query)
    for col, arg in ((cell_col, "cell_col"), (current_col, "current_col")):
        _require(frame, col, arg)
    if frame[cell_col].isna().any():
        first = frame.index[frame[cell_col].isna().to_numpy()][0]
        raise ValueError(f"cell_col={cell_col!r} has rows without a cell id (first: row {first})")
    current = numeric_column(frame, current_col, "current_col")
    if rate_col is not None:
        _require(frame, rate_col, "rate_col")
        rate = numeric_column(frame, rate_col, "rate_col") * _RATE_UNITS[rate_unit]
        check_rates(rate, f"rate_col={rate_col!r}", allow_negative_rates)
    else:
        rate = _rate_from_counts(frame, count_col, duration_col, duration, duration_unit)
        check_rates(rate, f"count_col={count_col!r}", allow_negative_rates)
    data = pd.DataFrame(
        {
            "cell_id": frame[cell_col].to_numpy(),
            "current": current.to_numpy(float),
            "rate_Hz": rate.to_numpy(float),
            "n_sweeps": 1,
            "rate_sem_Hz": np.nan,
        }
    )
    if repeats == "mean":
        data = mean_of_repeats(data, current_round)
    return MeasuredCurves(data.reset_index(drop=True), current_unit)


def _rate_from_counts(
    frame: pd.DataFrame,
    count_col: str,
    duration_col: str | None,
    duration: float | None,
    duration_unit: str,
) -> pd.Series:
    """Rate in Hz = spike count / step duration (a column, or one value for every row)."""
    _require(frame, count_col, "count_col")
    if duration_col is not None:
        _require(frame, duration_col, "duration_col")
        dur = numeric_column(frame, duration_col, "duration_col")
        if (dur <= 0).any():
            raise ValueError(
                f"duration_col={duration_col!r} must hold durations > 0; got minimum "
                f"{dur.min():g} {duration_unit}"
            )
    else:
        dur = pd.Series(float(duration), index=frame.index)
    return numeric_column(frame, count_col, "count_col") / (dur * _DURATION_UNITS[duration_unit])


def mean_of_repeats(data: pd.DataFrame, current_round: float | None = None) -> pd.DataFrame:
    """The sweeps of each cell that share a current averaged into one point: ``rate_Hz`` their
    mean, ``n_sweeps`` their number, ``rate_sem_Hz`` the standard error of the mean (NaN for
    one sweep); currents rounded to multiples of ``current_round`` first, if given.

    See Also
    --------
    read_fi_table : calls it with ``repeats="mean"``.
    """
    data = data.copy()
    if current_round:
        data["current"] = np.round(data["current"] / current_round) * current_round
    g = data.groupby(["cell_id", "current"], sort=False)["rate_Hz"]
    data = g.agg(rate_Hz="mean", n_sweeps="size", rate_std="std").reset_index()
    data["rate_sem_Hz"] = data.pop("rate_std") / np.sqrt(data["n_sweeps"])
    return data


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

    def parameters(self) -> pd.DataFrame:
        """The fitted parameters, tidy: one row per cell x family x parameter.

        Columns :data:`PARAMETER_COLUMNS`: ``cell_id``, ``family``, ``param``, ``value``,
        ``unit`` (the parameter's unit in the table's current unit, e.g. ``Hz/pA``),
        ``stderr`` (its standard error from the Jacobian, same unit), ``ci_low``/``ci_high``
        and ``ci_level`` (bootstrap percentile interval; NaN without ``bootstrap``), then the
        fit's own statistics repeated on each of its rows (``success``, ``rank``, ``r2``,
        ``rmse_Hz``, ``aic``, ``aicc``, ``bic``, ``delta``, ``weight``, ``n_points``,
        ``message``). A fit that produced no parameters has NaN values and says why in
        ``message``.
        """
        rows = []
        for _, fit in self.table.iterrows():
            fam = get_family(fit["family"])
            units = fam.param_units(str(fit["current_unit"]))
            stats = {
                "success": bool(fit["success"]),
                "rank": fit.get("rank", math.nan),
                "r2": fit["r2"],
                "rmse_Hz": fit["rmse"],
                "aic": fit["aic"],
                "aicc": fit["aicc"],
                "bic": fit["bic"],
                "delta": fit.get("delta", math.nan),
                "weight": fit.get("weight", math.nan),
                "n_points": fit["n_points"],
                "message": fit["message"],
            }
            for p in fam.params:
                rows.append(
                    {
                        "cell_id": fit["cell_id"],
                        "family": fam.name,
                        "param": p,
                        "value": fit.get(p, math.nan),
                        "unit": units[p],
                        "stderr": fit.get(f"stderr_{p}", math.nan),
                        "ci_low": fit.get(f"ci_low_{p}", math.nan),
                        "ci_high": fit.get(f"ci_high_{p}", math.nan),
                        "ci_level": fit.get("ci_level", math.nan),
                        **stats,
                    }
                )
        return pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))

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


def cell_seed(seed: int | None, cell) -> int | None:
    """The bootstrap seed of one cell: drawn from ``seed`` and the cell id (not its position),
    so a cell's intervals do not change when other cells are added or selected away."""
    if seed is None:
        return None
    key = zlib.crc32(str(cell).encode("utf-8"))
    return int(np.random.SeedSequence([int(seed), key]).generate_state(1)[0])


def _cell_sem(sem: np.ndarray) -> np.ndarray | None:
    """A cell's SEMs for weighting: a current stepped once has no SEM, so it gets the cell's
    median SEM rather than a NaN that would fail the whole cell; None if no SEM is known."""
    known = sem[np.isfinite(sem) & (sem > 0)]
    if not known.size:
        return None
    return np.where(np.isfinite(sem) & (sem > 0), sem, np.median(known))


def fit_cell(
    cell,
    current: np.ndarray,
    rate: np.ndarray,
    sem: np.ndarray | None,
    families: Sequence[Family],
    criterion: str,
    fit_kwargs: dict,
) -> list[dict]:
    """The rows of one cell in :attr:`CellFits.table`: every family fitted and ranked.

    One call of :func:`fit_cells`'s loop, a module-level function so that worker processes
    can run it; ``fit_kwargs`` go to :func:`neuroact.compare.fit.fit_families`.
    """
    comparison = fit_families(current, rate, families, sem, criterion=criterion, **fit_kwargs)
    return [{"cell_id": cell} | row for row in comparison.rows()]


def _table(per_cell: list[list[dict]]) -> pd.DataFrame:
    """One table from the cells' rows, columns as in ``FamilyComparison.to_frame``: the
    statistics, every family's parameters, then ``criterion``, ``delta`` and ``weight``."""
    last = dict.fromkeys(("criterion", "delta", "weight"))
    columns: dict[str, None] = {}
    for rows in per_cell:
        columns |= {key: None for row in rows for key in row if key not in last} | last
    rows = [row for cell_rows in per_cell for row in cell_rows]
    return pd.DataFrame(rows, columns=list(columns)) if rows else pd.DataFrame()


def fit_cells(
    curves: MeasuredCurves,
    families: Sequence[str | Family] | str | None = None,
    *,
    criterion: str = "aic",
    use_sem: bool = False,
    progress: bool = True,
    seed: int | None = 0,
    allow_negative_rates: bool = False,
    workers: int = 1,
    **fit_kwargs,
) -> CellFits:
    """Fit ``families`` (default: all registered) to every cell; rank them per cell.

    Extra keyword arguments go to :func:`neuroact.compare.fit.fit_curve` (``loss``,
    ``min_r2``, ``bootstrap``, ...). With ``bootstrap=B`` each cell's residual bootstrap is
    seeded by :func:`cell_seed` from ``seed`` and its id. A cell whose data cannot be fitted
    gets failed rows with the reason, it never stops the loop. The table has one row per
    cell x family with ``cell_id``, ``rank``, ``family``, ``success``, ``message``, statistics
    and parameters. Negative rates raise ``ValueError`` before any fit unless
    ``allow_negative_rates=True``.

    ``workers`` local processes fit the cells side by side (-1: every core,
    :func:`neuroact.parallel.available_cores`); each cell's fit depends only on its own data
    and seed, so the table is identical to the serial one.

    See Also
    --------
    read_fi_table : the curves from a lab's table.
    CellFits.parameters : the fitted parameters, one row per cell x family x parameter.
    neuroact.parallel.map_ordered : how the cells are shared among processes.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {criterion!r}")
    if not isinstance(curves, MeasuredCurves):
        raise TypeError(f"curves must be MeasuredCurves (see read_fi_table); got {type(curves)}")
    if seed is not None and not (isinstance(seed, int | np.integer) and seed >= 0):
        raise ValueError(f"seed must be None or an integer >= 0; got {seed!r}")
    if "seed" in fit_kwargs:
        raise TypeError("pass seed to fit_cells itself (each cell gets its own from it)")
    check_workers(workers)
    check_rates(curves.data["rate_Hz"], "curves", allow_negative_rates)
    fams = resolve_families(families)
    calls = []
    data = curves.data.sort_values("current", kind="stable")
    by_cell = dict(list(data.groupby("cell_id", sort=False)))
    for cell in curves.cells:
        d = by_cell[cell]
        sem = _cell_sem(d["rate_sem_Hz"].to_numpy(float)) if use_sem else None
        kwargs = fit_kwargs | {
            "current_unit": curves.current_unit,
            "seed": cell_seed(seed, cell),
            "allow_negative_rates": allow_negative_rates,
        }
        current, rate = d["current"].to_numpy(float), d["rate_Hz"].to_numpy(float)
        calls.append((cell, current, rate, sem, fams, criterion, kwargs))
    per_cell = map_ordered(fit_cell, calls, workers, progress, desc="fitting cells")
    return CellFits(_table(per_cell), criterion, tuple(f.name for f in fams))
