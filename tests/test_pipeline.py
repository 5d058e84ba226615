"""The main job: killed mid-way and rerun, it finishes without redoing finished jobs."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from neuroact.pipeline import redraw, run_all

# A small sparsity_vs_error sweep: 6 networks of a few seconds each on the embedded subset.
SCRIPT = """
import dataclasses, sys
from neuroact.experiments import sparsity_vs_error as e
from neuroact.pipeline import run_all
quick = e.PROFILES["quick"]
config = dataclasses.replace(
    quick, l1s=(0.0, 1e-3, 1e-2), seeds=(0, 1), train=dataclasses.replace(quick.train, epochs=3),
    n_boot=50,
)
run_all("quick", sys.argv[1], only=["sparsity_vs_error"], progress=False,
        configs={"sparsity_vs_error": config})
"""


def _job_files(out: Path) -> dict[str, int]:
    folder = out / "sparsity_vs_error" / "jobs"
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*.csv")}


def test_killed_run_resumes_without_recomputing(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out)], start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(_job_files(out) if out.exists() else {}) < 2:
            assert proc.poll() is None, "the run finished before it could be interrupted"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # no chance to clean up: the hardest interruption
    finally:
        proc.wait()
    done = _job_files(out)
    assert 2 <= len(done) < 6, f"expected an interrupted sweep, found {len(done)} finished jobs"
    assert not (out / "report.md").exists()
    for path in (out / "sparsity_vs_error").rglob("*.csv"):
        pd.read_csv(path)  # every file that exists is complete

    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, timeout=300)
    after = _job_files(out)
    assert len(after) == 6
    assert {k: after[k] for k in done} == done, "finished jobs were recomputed"
    nets = pd.read_csv(out / "sparsity_vs_error" / "networks.csv")
    assert len(nets) == 6
    report = (out / "report.md").read_text()
    assert "## Claims" in report and "Sparsity against test error" in report
    claims = pd.read_csv(out / "claims.csv")
    assert len(claims) == 9
    row = claims[claims["experiments"].str.contains("sparsity_vs_error")].iloc[0]
    assert row["verdict"] != "not run" and "sparsity" in row["measured"]
    # Figures are redrawn from tables alone.
    (out / "report.md").unlink()
    paths = redraw(out)
    assert paths and all(Path(p).is_file() for p in paths)
    assert paths[-1] == out / "report.md" and "profile: **quick**" in paths[-1].read_text().lower()


def test_unknown_profile_and_experiment(tmp_path):
    with pytest.raises(ValueError, match="profile"):
        run_all("medium", tmp_path)
    with pytest.raises(ValueError, match="unknown experiment"):
        run_all("quick", tmp_path, only=["nope"])


def test_redraw_of_a_copy_without_bulky_tables_still_writes_the_report(tmp_path):
    # results/full keeps the small tables only: figures needing the others are skipped
    folder = tmp_path / "sparsity_vs_error"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.warns(UserWarning, match="sparsity_vs_error: figures not redrawn"):
        paths = redraw(tmp_path)
    assert paths == [tmp_path / "report.md"] and (tmp_path / "claims.csv").is_file()
