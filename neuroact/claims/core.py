"""What every claim is built from: the result row, the verdicts, the table reader, the registry.

A claim check is a function of a run folder's tables (:class:`Tables`) that returns a
:class:`Claim`. It is registered with :func:`register` and the :class:`Statement` it checks
(the claim's words, its source and the experiments that measure it), so that the claims table
can name it even when its tables are missing. Only a missing table makes a claim "not run";
a table without a column the claim needs is an error (:class:`TableError`) naming both.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from neuroact.vocabulary import canonical

SUPPORTED = "supported"
PARTLY = "partly"
NOT_SUPPORTED = "not supported"
NOT_RUN = "not run"
N_TOO_SMALL = "n too small"
VERDICTS = (SUPPORTED, PARTLY, NOT_SUPPORTED, NOT_RUN, N_TOO_SMALL)
"""Every verdict a claim can get; ``n too small`` where the deciding interval needs more runs."""

# Columns that hold unit or curve-family names: read through the vocabulary, so that a table
# saying "rectifier" or "logistic" means the same as one saying "relu" or "sigmoid".
NAME_COLUMNS = ("activation", "family")


@dataclass(frozen=True)
class Claim:
    """One row of the claims table: what is claimed, what we measured, and the verdict.

    Attributes
    ----------
    claim, source : the claim in words and where it comes from.
    measured : our numbers, as text.
    verdict : one of :data:`VERDICTS`.
    why : the sentence that explains the verdict.
    experiments : the experiments whose tables the claim reads, comma-separated.
    quantity : what ``value`` is (the claim's key number), e.g. "ReLU test error removed by
        pre-training".
    value, low, high : our key number and its confidence interval (NaN where none).
    paper_value : the paper's number for the same quantity (NaN where it gives none).
    paper_low, paper_high : the paper's range, where it gives a range instead.
    unit : the unit of ``value`` and the paper's numbers ("fraction", "points", "x", ...).
    """

    claim: str
    source: str
    measured: str
    verdict: str
    why: str
    experiments: str
    quantity: str = ""
    value: float = math.nan
    low: float = math.nan
    high: float = math.nan
    paper_value: float = math.nan
    paper_low: float = math.nan
    paper_high: float = math.nan
    unit: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}; got {self.verdict!r}")


@dataclass(frozen=True)
class Statement:
    """What a claim says, where it comes from and which experiments measure it.

    ``Statement.result`` and ``Statement.not_run`` make the :class:`Claim` rows, so that a claim
    function writes its words once.
    """

    claim: str
    source: str
    experiments: tuple[str, ...]

    def result(self, measured: str, verdict: str, why: str, **numbers: float | str) -> Claim:
        """The claim's row with our ``measured`` text, ``verdict``, ``why`` and key numbers
        (``quantity``, ``value``, ``low``, ``high``, ``paper_value``, ... of :class:`Claim`)."""
        return Claim(
            self.claim,
            self.source,
            measured,
            verdict,
            why,
            ", ".join(self.experiments),
            **numbers,
        )

    def not_run(self, why: str, measured: str = "-") -> Claim:
        """The claim's row when its results are missing; ``why`` names what is missing."""
        return self.result(measured, NOT_RUN, why)


class TableMissing(LookupError):
    """A table a claim needs is not in the run folder (the claim is "not run")."""

    def __init__(self, tables: Sequence[str]):
        self.tables = tuple(tables)
        super().__init__(" or ".join(self.tables))

    def why(self) -> str:
        """``needs table X (run the E experiment)``, naming each alternative."""
        runs = dict.fromkeys(t.split("/")[0] for t in self.tables)
        return f"needs table {' or '.join(self.tables)} (run the {' or '.join(runs)} experiment)"


class TableError(ValueError):
    """A table exists but has the wrong shape: a column the claim needs is missing."""


class Tables:
    """Read-only access to the tables of a main-job run folder, ``ROOT/<experiment>/<name>.csv``.

    Names of units and curve families (columns ``activation`` and ``family``) come back as
    :func:`neuroact.vocabulary.canonical` keys. Each table is read once.
    """

    def __init__(self, root: str | os.PathLike):
        if not isinstance(root, str | os.PathLike):
            raise TypeError(f"root must be a run folder path; got {type(root).__name__}")
        self.root = Path(root)
        self._cache: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        return f"Tables({str(self.root)!r})"

    @staticmethod
    def key(experiment: str, name: str) -> str:
        """The name a table goes by in messages: ``experiment/name.csv``."""
        return f"{experiment}/{name}.csv"

    def has(self, experiment: str, name: str) -> bool:
        """True if the run folder holds the table."""
        return (self.root / experiment / f"{name}.csv").is_file()

    def require(self, experiment: str, name: str, columns: Iterable[str] = ()) -> pd.DataFrame:
        """The table ``experiment/name.csv`` (a copy), checked to hold ``columns``.

        Raises :class:`TableMissing` if the file is absent and :class:`TableError` naming the
        table and the first missing column if it lacks one of ``columns``.
        """
        key = self.key(experiment, name)
        if key not in self._cache:
            path = self.root / experiment / f"{name}.csv"
            if not path.is_file():
                raise TableMissing([key])
            try:
                frame = pd.read_csv(path)
            except pd.errors.EmptyDataError:
                raise TableError(f"table {key} is empty (no header row)") from None
            for col in NAME_COLUMNS:
                if col in frame:
                    frame[col] = frame[col].map(lambda v: canonical(v) if isinstance(v, str) else v)
            self._cache[key] = frame
        frame = self._cache[key]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise TableError(
                f"table {key} has no column {missing[0]!r} (the claims need "
                f"{', '.join(missing)}; it has {', '.join(map(str, frame.columns))})"
            )
        return frame.copy()

    def optional(
        self, experiment: str, name: str, columns: Iterable[str] = ()
    ) -> pd.DataFrame | None:
        """Like :meth:`require`, but None when the file is absent."""
        if not self.has(experiment, name):
            return None
        return self.require(experiment, name, columns)


ClaimCheck = Callable[[Tables], Claim]

REGISTRY: dict[str, ClaimCheck] = {}
"""Every registered claim check by name, in the order the claims table lists them."""


def register(statement: Statement) -> Callable[[Callable[[Tables], Claim]], ClaimCheck]:
    """Register a claim check for ``statement``; a missing table makes it "not run".

    The decorated function takes :class:`Tables` (or a run-folder path) and returns the
    statement's :class:`Claim`; it joins :data:`REGISTRY` in definition order, which is the
    order of the claims table. A new experiment adds its claim by decorating one function::

        BRIDGE = Statement("...", "...", ("bridge",))

        @register(BRIDGE)
        def claim_bridge(t: Tables) -> Claim:
            rates = t.require("bridge", "rates", ["unit", "rate_Hz"])
            ...
            return BRIDGE.result(measured, verdict, why, value=...)
    """

    def decorate(check: Callable[[Tables], Claim]) -> ClaimCheck:
        @functools.wraps(check)
        def checked(tables: Tables | str | os.PathLike) -> Claim:
            if not isinstance(tables, Tables):
                tables = Tables(tables)
            try:
                return check(tables)
            except TableMissing as missing:
                return statement.not_run(missing.why())

        checked.statement = statement  # type: ignore[attr-defined]
        REGISTRY[check.__name__] = checked
        return checked

    return decorate


# --- small formatting and reading helpers shared by the claims ---------------------------------


def percent(x: float | None, digits: int = 1) -> str:
    """A fraction as a percentage text (``0.123 -> "12.3%"``); ``"n/a"`` for None or NaN."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def span(values: pd.Series | np.ndarray, digits: int = 0) -> str:
    """``"min-max"`` of the finite values, or ``"n/a"`` without any."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return "n/a" if v.size == 0 else f"{v.min():.{digits}f}-{v.max():.{digits}f}"


def as_bool(series: pd.Series) -> pd.Series:
    """A True/False column as booleans, also when read back as text ("True", "1") or with NaN
    (missing counts as False)."""
    if series.dtype == bool:
        return series
    return series.map(lambda v: str(v).strip().lower() in ("true", "1", "1.0", "yes"))
