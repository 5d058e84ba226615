"""The claims the package checks, each a documented function of a run folder's tables.

Every claim of the comparison (that neurons are thresholded, that cortex is sparse, that
rectifier networks are sparse, keep their gradients, train fast and need no pre-training) is a
function registered in :data:`CLAIMS`, in the order of the claims table. Each takes the
:class:`Tables` of a main-job run folder (``ROOT/<experiment>/<table>.csv``, written by
:func:`neuroact.pipeline.run_all`) and returns a frozen :class:`Claim`: the claim and its
source, our measured numbers as text, a verdict (:data:`VERDICTS`), the reason, and the key
numbers (our value with its interval, the paper's value, the unit) for a figure.

Only a missing table makes a claim "not run" (the row names the table); a table without a
column the claim reads raises :class:`TableError` naming both. Claims never simulate or train.

Modules: :mod:`neuroact.claims.bio` (thresholds, f-I fits, cortical sparsity),
:mod:`neuroact.claims.ann` (activity, sparsity, gradients), :mod:`neuroact.claims.training`
(speed, pre-training), :mod:`neuroact.claims.bridge` (spiking twins at cortical sparsity).
A new experiment adds its claim with :func:`register` in its own module, imported below.

Examples
--------
>>> from neuroact.claims import claims_table
>>> claims_table("results/full")[["claim", "verdict"]]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import asdict, fields

import pandas as pd

# isort: off
# The claims table lists the claims in the order these modules register them.
from neuroact.claims import bio
from neuroact.claims import ann
from neuroact.claims import training
from neuroact.claims import bridge

# isort: on
from neuroact.claims.core import (
    N_TOO_SMALL,
    NOT_RUN,
    NOT_SUPPORTED,
    PARTLY,
    REGISTRY,
    SUPPORTED,
    VERDICTS,
    Claim,
    ClaimCheck,
    Statement,
    TableError,
    TableMissing,
    Tables,
    register,
)

__all__ = [
    "CLAIMS",
    "N_TOO_SMALL",
    "NOT_RUN",
    "NOT_SUPPORTED",
    "PARTLY",
    "SUPPORTED",
    "VERDICTS",
    "Claim",
    "ClaimCheck",
    "Statement",
    "TableError",
    "TableMissing",
    "Tables",
    "ann",
    "bio",
    "bridge",
    "check_claims",
    "claims_table",
    "register",
    "training",
]

CLAIMS = REGISTRY
"""Every claim check by function name, in the order of the claims table."""

COLUMNS = [f.name for f in fields(Claim)]
"""The columns of :func:`claims_table`, in order."""


def check_claims(root: str | os.PathLike | Tables) -> list[Claim]:
    """Every registered claim checked against the run folder ``root``, in table order.

    Raises :class:`TableError` if a table a claim reads lacks one of its columns.
    """
    tables = root if isinstance(root, Tables) else Tables(root)
    return [check(tables) for check in CLAIMS.values()]


def claims_table(root: str | os.PathLike | Tables) -> pd.DataFrame:
    """:func:`check_claims` as a table, one row per claim (the columns of :class:`Claim`)."""
    return pd.DataFrame([asdict(c) for c in check_claims(root)], columns=COLUMNS)
