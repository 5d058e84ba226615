"""The main job end to end, as a user runs it: ``neuroact run --profile quick`` on a fresh
folder writes a report with every claim and a verdict, and ``neuroact figures`` on the same
folder redraws the figures and rewrites the report identically (it reads the tables only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from neuroact.claims import CLAIMS
from neuroact.experiments import EXPERIMENTS

REPO = Path(__file__).resolve().parents[1]
VERDICTS = {"supported", "partly", "not supported", "n too small"}
REPORT_FILES = ("report.md", "report.html", "claims.csv")


def _neuroact(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "neuroact.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=1500,
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_quick_main_job_writes_the_report_and_figures_rewrites_it(tmp_path):
    out = tmp_path / "quick"
    done = _neuroact("run", "--profile", "quick", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith(str(out / "report.md"))

    claims = pd.read_csv(out / "claims.csv")
    assert len(claims) == len(CLAIMS)
    assert set(claims["verdict"]) <= VERDICTS, claims[["claim", "verdict", "why"]]
    report = (out / "report.md").read_text()
    for claim in claims["claim"]:
        assert claim in report
    for name in EXPERIMENTS:  # every experiment has its section and at least one figure
        assert (out / name / "config.json").is_file()
        assert list((out / name).glob("*.png")), f"{name} drew no figure"

    before = {n: (out / n).read_bytes() for n in REPORT_FILES if (out / n).is_file()}
    figures = sorted(out.rglob("*.png"))
    for png in figures:
        png.unlink()
    redrawn = _neuroact("figures", str(out))
    assert redrawn.returncode == 0, redrawn.stderr[-3000:]
    assert sorted(out.rglob("*.png")) == figures  # every figure drawn again
    for name, content in before.items():
        assert (out / name).read_bytes() == content, f"{name} differs after neuroact figures"
