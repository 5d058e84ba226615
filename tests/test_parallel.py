"""Local processes: how many cores, ordered maps, and results identical to serial runs."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from neuroact.compare.curves import lif
from neuroact.compare.measured import fit_cells, read_fi_table
from neuroact.parallel import (
    WORKER_MEMORY_GROWTH,
    Job,
    available_cores,
    check_workers,
    map_ordered,
    run_jobs,
)


def power(x: int, n: int) -> int:
    return x**n


def worker_memory_limit() -> dict:
    from joblib.externals.loky import process_executor

    return {"limit": process_executor._MAX_MEMORY_LEAK_SIZE, "pid": os.getpid()}


def test_a_job_lets_its_worker_grow_without_a_restart():
    # loky restarts a worker whose memory grew by 300 MB, taking it for a leak; a worker that
    # trained a network keeps that much, and a restart re-imports torch and Brian2
    table = run_jobs(
        worker_memory_limit, [Job(f"j{i}") for i in range(4)], workers=2, progress=False
    )
    assert os.getpid() not in set(table["pid"])  # ran in the workers
    assert (table["limit"] >= WORKER_MEMORY_GROWTH).all()


def test_available_cores_follow_the_process_affinity():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert available_cores() == len(os.sched_getaffinity(0))
    assert check_workers(-1) == available_cores()


def test_map_ordered_gives_the_serial_results_in_order():
    calls = [(x, 3) for x in range(12)]
    serial = map_ordered(power, calls, workers=1)
    assert serial == [x**3 for x in range(12)]
    assert map_ordered(power, calls, workers=2) == serial
    assert map_ordered(power, [], workers=2) == []


@pytest.mark.parametrize("workers", [0, -3, 2.0, "2"])
def test_map_ordered_refuses_bad_worker_counts_before_any_call(workers):
    calls = []

    def record(x):  # a local function: would fail in a worker process, never gets there
        calls.append(x)

    with pytest.raises((ValueError, TypeError), match="workers must be"):
        map_ordered(record, [(1,)], workers=workers)
    assert calls == []


def test_fit_cells_in_parallel_equals_serial():
    rng = np.random.default_rng(5)
    rows = []
    for cell, (tau, t_ref, i_th) in {"a": (0.01, 0.002, 1.5), "b": (0.02, 0.003, 0.8)}.items():
        i = np.linspace(0.0, 4.0, 21)
        rate = lif(i, tau, t_ref, i_th) + rng.normal(0.0, 2.0, i.size)
        rows.append(pd.DataFrame({"cell": cell, "I": i, "rate": np.abs(rate)}))
    curves = read_fi_table(
        pd.concat(rows), cell_col="cell", current_col="I", rate_col="rate", current_unit="nA"
    )
    kwargs = {"families": ("relu", "lif"), "bootstrap": 20, "progress": False}
    serial = fit_cells(curves, **kwargs)
    parallel = fit_cells(curves, workers=2, **kwargs)
    pd.testing.assert_frame_equal(parallel.table, serial.table)  # bootstrap draws included
    with pytest.raises(ValueError, match="workers must be"):
        fit_cells(curves, workers=0)
