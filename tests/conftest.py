"""Shared fixtures: the real data sets in ``../shared/data`` (relative to the repository root).

CI and the benchmarks always have that folder next to the checkout; a missing folder is an
error (not a skip) so that data-dependent tests cannot silently stop running.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = REPO_ROOT.parent / "shared" / "data"

# The ANN loaders read NEUROACT_DATA_DIR when no data_dir is given: point it at the shared data
# so that nothing in the tests tries to download.
if DATA_ROOT.is_dir():
    os.environ.setdefault("NEUROACT_DATA_DIR", str(DATA_ROOT))


@pytest.fixture(scope="session")
def data_root() -> Path:
    """``repo_root/../shared/data`` (with ``mnist/``, ``fashion-mnist/``, ``fi-measured/``)."""
    if not (DATA_ROOT / "mnist").is_dir():
        pytest.fail(
            f"the shared data folder {DATA_ROOT} is missing; the tests need MNIST there "
            "(see ../shared/data/README.md)"
        )
    return DATA_ROOT
