"""The main job on every core: the default number of processes, and a sweep run serially and on
two processes giving the same tables."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pandas as pd
import pytest

from neuroact.cli import build_parser
from neuroact.experiments import script_parser
from neuroact.experiments import sparsity_vs_error as sve
from neuroact.parallel import available_cores, check_workers, threads_for
from neuroact.pipeline import run_all


def test_the_main_job_and_the_scripts_use_every_core_by_default():
    assert build_parser().parse_args(["run"]).workers is None
    assert script_parser(None).parse_args(["--out", "x"]).workers is None
    assert check_workers(None) == available_cores()
    assert check_workers(None, scheduler="tcp://127.0.0.1:8786") == 1  # the scheduler alone
    # jobs side by side train on one torch thread each; a serial sweep keeps every thread
    assert threads_for(2) == 1 and threads_for(1) is None


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every CSV table under ``folder``, without the wall-clock columns (``*_seconds``)."""
    out = {}
    for path in sorted(folder.rglob("*.csv")):
        table = pd.read_csv(path)
        out[str(path.relative_to(folder))] = table.drop(
            columns=[c for c in table.columns if c.endswith("_seconds")]
        )
    return out


@pytest.mark.slow
def test_a_sweep_on_two_processes_gives_the_serial_tables(tmp_path, caplog):
    quick = sve.PROFILES["quick"]
    config = dataclasses.replace(
        quick,
        l1s=(0.0, 1e-3, 1e-2),
        seeds=(0, 1),
        train=dataclasses.replace(quick.train, epochs=2),
        n_boot=50,
    )
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"workers{workers}"
        with caplog.at_level(logging.INFO, logger="neuroact"):
            run_all(
                "quick",
                out,
                only=["sparsity_vs_error"],
                progress=False,
                configs={"sparsity_vs_error": config},
                workers=workers,
            )
        assert "finished in" in caplog.text and f"on {workers} local processes (1/1)" in caplog.text
        runs[workers] = _tables(out)
    assert runs[1].keys() == runs[2].keys()
    assert len([name for name in runs[1] if "/jobs/" in name]) == 6
    for name, table in runs[1].items():
        pd.testing.assert_frame_equal(runs[2][name], table, check_exact=True, obj=name)
