"""The main job: killed mid-way and rerun, it finishes without redoing finished jobs; overrides
reach each experiment's config.json; bad arguments are refused before any file is written."""

import json
import logging
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
    assert len(claims) == 10
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


# user configuration, checks before any work, progress lines ------------------------------------
TINY = {
    "fi_curves": {"models": ["lif"], "n_currents": 5, "current_ranges": {"lif": [0, 3]}},
    "vanishing_gradients.depths": [2],
    "vanishing_gradients.activations": ["relu"],
    "vanishing_gradients.inits": ["xavier"],
}


def test_overrides_reach_each_config_json_and_progress_is_logged(tmp_path, caplog):
    out = tmp_path / "run"
    with caplog.at_level(logging.INFO, logger="neuroact"):
        run_all(
            "quick",
            out,
            only=["vanishing_gradients", "fi_curves"],
            progress=False,
            overrides=TINY,
        )
    fi = json.loads((out / "fi_curves" / "config.json").read_text())
    assert fi["models"] == ["lif"] and fi["n_currents"] == 5
    assert fi["current_ranges"]["lif"] == [0.0, 3.0] and fi["current_ranges"]["hh"] == [0.0, 20.0]
    assert fi["duration_s"] == 0.6  # the quick profile's, untouched
    assert pd.read_csv(out / "fi_curves" / "fi_curves.csv")["model"].unique().tolist() == ["lif"]
    vg = json.loads((out / "vanishing_gradients" / "config.json").read_text())
    assert (vg["depths"], vg["activations"], vg["inits"]) == ([2], ["relu"], ["xavier"])
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["overrides"]["vanishing_gradients"]["depths"] == [2]
    lines = [r.getMessage() for r in caplog.records if r.name == "neuroact.pipeline"]
    assert [line.split(" finished")[0] for line in lines] == ["fi_curves", "vanishing_gradients"]
    assert lines[-1].endswith("(2/2)")
    assert any(r.name == "neuroact.parallel" for r in caplog.records)  # one line per job too
    # resuming with other settings is refused, naming the field
    with pytest.raises(ValueError, match=r"fields \['n_currents'\] differ"):
        run_all("quick", out, only=["fi_curves"], overrides={**TINY, "fi_curves.n_currents": 6})


def test_figures_drawn_beside_the_next_experiment_match_a_serial_run(tmp_path):
    # with two processes a third draws each experiment's figures while the next one computes
    options = {"only": ["vanishing_gradients", "fi_curves"], "progress": False, "overrides": TINY}
    run_all("quick", tmp_path / "serial", workers=1, **options)
    run_all("quick", tmp_path / "side", workers=2, **options)

    def figures(root: Path) -> list[Path]:
        return sorted(p.relative_to(root) for p in root.rglob("*.png"))

    assert figures(tmp_path / "serial") == figures(tmp_path / "side")
    assert {p.parts[0] for p in figures(tmp_path / "side")} >= {"fi_curves", "vanishing_gradients"}
    serial, side = (pd.read_csv(tmp_path / r / "claims.csv") for r in ("serial", "side"))
    pd.testing.assert_frame_equal(serial, side)


def test_a_figure_that_fails_in_the_drawing_process_raises_here(tmp_path):
    from neuroact.pipeline import _Painter

    with pytest.raises(FileNotFoundError), _Painter(side_by_side=True) as painter:
        painter.draw("fi_curves", tmp_path)  # no tables to draw from


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"workers": 0}, ValueError, "workers must be a positive integer or -1"),
        ({"workers": -3}, ValueError, "got -3"),
        ({"workers": 2.0}, TypeError, r"got 2.0 \(float\)"),
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:1"}, ValueError, "not both"),
        ({"overrides": {"fi_curve.seed": 1}}, ValueError, "did you mean 'fi_curves'"),
        ({"overrides": {"fi_curves.sede": 1}}, ValueError, "fi_curves has no field 'sede'"),
        ({"overrides": {"fi_curves.seed": "1"}}, TypeError, "fi_curves.seed must be int"),
    ],
)
def test_bad_arguments_are_rejected_before_any_file_is_written(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        run_all("quick", tmp_path / "run", only=["fi_curves"], progress=False, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_an_output_path_that_is_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "taken").write_text("notes")
    for out in (tmp_path / "taken", tmp_path / "taken" / "run"):
        with pytest.raises(ValueError, match=r"taken.*is (an existing file|inside the file)"):
            run_all("quick", out, only=["fi_curves"], progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    assert (tmp_path / "taken").read_text() == "notes"
