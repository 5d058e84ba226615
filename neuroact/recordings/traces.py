"""Current-clamp sweeps from plain tables of time, voltage and injected current (CSV).

For recordings that are not in NWB: each row is one sample with its time, membrane voltage and
injected current, in units the caller declares. Two layouts:

- one file per sweep: each file is one sweep, named after the file (``sweep_07.csv`` ->
  ``sweep_07``); give ``cell=`` to put the files of one cell together, else each file is a cell;
- a long table: a ``sweep_col`` says which sweep each row belongs to, and optionally a
  ``cell_col`` which cell (else the file's name, or ``cell=``).

Every column and unit is checked before a sweep is built, with one line naming the file, the
column and the value at fault (:mod:`neuroact.compare.tables`)::

    sweeps = read_traces("cell7.csv", time_col="t_ms", voltage_col="Vm", current_col="I",
                         sweep_col="sweep", time_unit="ms", voltage_unit="mV", current_unit="pA")

See Also
--------
neuroact.recordings.nwb.read_nwb : the same sweeps from NWB files.
neuroact.recordings.fi.fi_table : the f-I table of the sweeps.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from neuroact.compare.tables import numeric_column, read_csv_table
from neuroact.compare.units import CURRENT_UNITS
from neuroact.recordings.sweeps import Sweep

__all__ = ["TIME_UNITS", "VOLTAGE_UNITS", "read_traces"]

TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}  # in seconds
VOLTAGE_UNITS = {"V": 1e3, "mV": 1.0, "uV": 1e-3}  # in mV
_PA_PER_A = 1e12


def _check_units(time_unit: str, voltage_unit: str, current_unit: str) -> None:
    for name, unit, table in (
        ("time_unit", time_unit, TIME_UNITS),
        ("voltage_unit", voltage_unit, VOLTAGE_UNITS),
        ("current_unit", current_unit, CURRENT_UNITS),
    ):
        if unit not in table:
            raise ValueError(f"{name} must be one of {list(table)}; got {unit!r}")


def _sources(
    paths: str | os.PathLike | pd.DataFrame | Iterable[str | os.PathLike],
) -> list[tuple[str, pd.DataFrame | Path]]:
    """(name, table or path) of each source; missing files are refused before any is read."""
    if isinstance(paths, pd.DataFrame):
        return [("table", paths)]
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    out: list[tuple[str, pd.DataFrame | Path]] = []
    for p in map(Path, paths):
        if not p.is_file():
            raise FileNotFoundError(f"trace table {str(p)!r} does not exist or is not a file")
        out.append((p.stem, p))
    if not out:
        raise ValueError("no trace table given")
    return out


def read_traces(
    paths: str | os.PathLike | pd.DataFrame | Iterable[str | os.PathLike],
    *,
    time_col: str,
    voltage_col: str,
    current_col: str,
    sweep_col: str | None = None,
    cell_col: str | None = None,
    cell: str | None = None,
    time_unit: str = "s",
    voltage_unit: str = "mV",
    current_unit: str = "pA",
) -> list[Sweep]:
    """Current-clamp sweeps from CSV tables (or a DataFrame) of time, voltage and current.

    Parameters
    ----------
    paths
        One CSV file, several, or a DataFrame (module docstring: the two layouts).
    time_col, voltage_col, current_col
        Columns of the sample time, membrane voltage and injected current.
    sweep_col, cell_col
        Columns of the sweep and of the cell of each row (long tables); without ``sweep_col``
        each file is one sweep.
    cell
        The cell of every sweep when there is no ``cell_col`` (default: the file's name).
    time_unit, voltage_unit, current_unit
        ``s``/``ms``/``us``; ``V``/``mV``/``uV``; ``A``/``mA``/``uA``/``nA``/``pA``/``fA``.

    Returns
    -------
    list of Sweep
        Times in s, voltages in mV, currents in pA; in the order the sweeps first appear.

    Raises
    ------
    ValueError, FileNotFoundError
        One line naming the file and what is wrong: a unit, a missing column, an entry that is
        not a finite number, times that do not increase within a sweep.
    """
    _check_units(time_unit, voltage_unit, current_unit)
    if cell is not None and cell_col is not None:
        raise ValueError(
            f"give cell or cell_col, not both; got cell={cell!r}, cell_col={cell_col!r}"
        )
    sweeps: list[Sweep] = []
    for name, source in _sources(paths):
        frame = source if isinstance(source, pd.DataFrame) else read_csv_table(source)
        where = f"trace table {str(source)!r}" if isinstance(source, Path) else "trace table"
        for arg, col in (
            ("time_col", time_col),
            ("voltage_col", voltage_col),
            ("current_col", current_col),
            ("sweep_col", sweep_col),
            ("cell_col", cell_col),
        ):
            if col is not None and col not in frame.columns:
                raise ValueError(
                    f"{where}: {arg}={col!r} is not a column; columns: {list(frame.columns)}"
                )
        try:
            data = pd.DataFrame(
                {
                    "t": numeric_column(frame, time_col, "time_col") * TIME_UNITS[time_unit],
                    "v": numeric_column(frame, voltage_col, "voltage_col")
                    * VOLTAGE_UNITS[voltage_unit],
                    "i": numeric_column(frame, current_col, "current_col")
                    * (CURRENT_UNITS[current_unit] * _PA_PER_A),
                }
            )
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        data["cell"] = frame[cell_col].astype(str).to_numpy() if cell_col else (cell or name)
        data["sweep"] = frame[sweep_col].to_numpy() if sweep_col else name
        src = str(source) if isinstance(source, Path) else ""
        for (c, s), rows in data.groupby(["cell", "sweep"], sort=False):
            sweeps.append(
                Sweep(
                    cell_id=str(c),
                    sweep=s.item() if isinstance(s, np.generic) else s,
                    time_s=rows["t"].to_numpy(),
                    voltage_mV=rows["v"].to_numpy(),
                    current_pA=rows["i"].to_numpy(),
                    source=src,
                )
            )
    return sweeps
