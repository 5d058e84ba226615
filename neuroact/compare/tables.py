"""Lab tables read strictly: each bad input refused with one line naming the culprit.

A measured f-I table comes from someone else's pipeline, so everything that would otherwise
surface as a pandas traceback or as silently NaN fits is checked here, before any fit:

- the file (:func:`read_csv_table`): missing, a folder, 0 bytes, not UTF-8 text (a binary file
  with a ``.csv`` name), unparsable, or a header without rows;
- the row selection (:func:`select_rows`): a query naming a missing column, one that cannot be
  evaluated, or one that selects nothing;
- the numbers (:func:`numeric_column`, :func:`check_rates`): missing, non-numeric or infinite
  entries, and negative firing rates unless declared (baseline-subtracted tables).

Each raises ``ValueError`` (``FileNotFoundError`` for a missing file) with the argument or
column, the value found and what is expected.

See Also
--------
neuroact.compare.measured.read_fi_table : the reader that uses these checks.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["read_csv_table", "select_rows", "numeric_column", "check_rates"]

SNIFF_BYTES = 64 * 1024  # how much of a file is checked for being text before pandas reads it


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message (pandas errors can span several)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_csv_table(path: str | os.PathLike) -> pd.DataFrame:
    """A CSV file as a DataFrame, refusing what is not a table with one clear line.

    A missing path, a folder, a 0-byte file, a file that is not UTF-8 text (a binary file with
    a ``.csv`` name, or another encoding), a file pandas cannot parse and a header without rows
    raise ``FileNotFoundError`` or ``ValueError`` naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"table {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"table {str(path)!r} is not a file; expected a CSV table")
    if path.stat().st_size == 0:
        raise ValueError(f"table {str(path)!r} is empty (0 bytes); expected a CSV with a header")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    try:
        # incremental: a multi-byte character cut at the end of the sample is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise ValueError(
            f"table {str(path)!r} is not UTF-8 text (a binary file, or another encoding: save "
            "it as a UTF-8 CSV)"
        ) from None
    if b"\x00" in head:
        raise ValueError(f"table {str(path)!r} holds NUL bytes: a binary file, not a CSV table")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"table {str(path)!r} is not a readable CSV table: {_one_line(exc)}"
        ) from None
    if frame.empty:
        raise ValueError(
            f"table {str(path)!r} has a header but no rows; columns: {list(frame.columns)}"
        )
    return frame


def select_rows(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    """The rows of ``frame`` selected by the ``DataFrame.query`` string ``query``.

    Raises ``ValueError`` naming ``query`` when it names a missing column, cannot be evaluated,
    or selects no row.
    """
    if not isinstance(query, str):
        raise TypeError(f"query must be a pandas query string; got {type(query).__name__}")
    try:
        selected = frame.query(query)
    except pd.errors.UndefinedVariableError as exc:
        raise ValueError(
            f"query={query!r} names a column that is not in the table ({_one_line(exc)}); "
            f"columns: {list(frame.columns)}"
        ) from None
    except (SyntaxError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"query={query!r} cannot be evaluated: {_one_line(exc)}") from None
    if selected.empty:
        raise ValueError(f"query={query!r} selected no rows of the {len(frame)} in the table")
    return selected


def numeric_column(frame: pd.DataFrame, col: str, arg: str) -> pd.Series:
    """Column ``col`` of ``frame`` as floats, every entry a finite number.

    Parameters
    ----------
    frame, col
        The table and the column to convert.
    arg
        The name of the argument that chose ``col`` (``"rate_col"``), for the message.

    Raises
    ------
    ValueError
        When an entry is missing, not a number or infinite: naming ``arg``, the number of such
        rows and the first one (NaN durations would otherwise turn every rate into NaN).
    """
    values = pd.to_numeric(frame[col], errors="coerce").astype(float)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{arg}={col!r} has {int(bad.sum())} rows that are not finite numbers (first: row "
            f"{frame.index[first]}, value {frame[col].iloc[first]!r}); select the rows to fit "
            "with query"
        )
    return values


def check_rates(rate: pd.Series, source: str, allow_negative: bool) -> None:
    """Refuse negative firing rates unless declared (``allow_negative``).

    A rate below zero is not a firing rate: most often a wrong column, sometimes a
    baseline-subtracted table, which must say so. ``source`` names where the rates came from.
    """
    if allow_negative:
        return
    neg = rate.to_numpy() < 0
    if neg.any():
        raise ValueError(
            f"{source} gives {int(neg.sum())} negative firing rates (min {rate.min():g} Hz, first "
            f"at row {rate.index[neg][0]}); rates are >= 0: pass allow_negative_rates=True "
            "(--allow-negative-rates) "
            "for baseline-subtracted rates"
        )
