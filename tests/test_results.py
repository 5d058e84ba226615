"""Run folders and the job runner: atomic writes, metadata, resuming finished jobs."""

import json
import os

import pandas as pd
import pytest

from neuroact.parallel import Job, run_jobs, threads_for
from neuroact.results import RunFolder, atomic_path, write_csv

CALLS: list[int] = []


def square(x: int) -> dict:
    CALLS.append(x)
    return {"x": x, "y": x * x}


def failing_after(x: int, fail_at: int) -> dict:
    if x == fail_at:
        raise KeyboardInterrupt("simulated interruption")
    return {"x": x}


def test_interrupted_write_leaves_no_file(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a tab")
        raise RuntimeError("crash mid-write")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary left behind either


def test_interrupted_overwrite_keeps_old_content(tmp_path):
    target = tmp_path / "t.csv"
    write_csv(target, pd.DataFrame({"a": [1]}))
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("garbage")
        raise RuntimeError
    assert pd.read_csv(target)["a"].tolist() == [1]


def test_run_folder_tables_config_metadata(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.write_config({"seed": 3, "n": [1, 2]})
    run.write_table("summary", pd.DataFrame({"rate_Hz": [1.5]}))
    run.write_metadata(seed=3)
    assert run.has("summary.csv") and run.read_table("summary")["rate_Hz"].item() == 1.5
    meta = json.loads((run.path / "metadata.json").read_text())
    assert meta["seed"] == 3 and meta["cores"] >= 1 and meta["wall_seconds"] >= 0
    assert meta["packages"]["numpy"]
    with pytest.raises(FileNotFoundError, match="missing"):
        run.read_table("missing")


def test_rerun_skips_completed_jobs(tmp_path):
    run = RunFolder(tmp_path)
    jobs = [Job(f"x={i}", {"x": i}) for i in range(4)]
    CALLS.clear()
    first = run_jobs(square, jobs, run, group="sq", progress=False)
    assert CALLS == [0, 1, 2, 3] and first["y"].tolist() == [0, 1, 4, 9]
    CALLS.clear()
    second = run_jobs(square, jobs, run, group="sq", progress=False)
    assert CALLS == []
    pd.testing.assert_frame_equal(first, second)


def test_interrupted_sweep_resumes(tmp_path):
    run = RunFolder(tmp_path)
    jobs = [Job(f"x={i}", {"x": i, "fail_at": 2}) for i in range(4)]
    with pytest.raises(KeyboardInterrupt):
        run_jobs(failing_after, jobs, run, group="g", progress=False)
    assert run.completed_jobs("g") == ["x=0", "x=1"]
    jobs = [Job(j.key, {"x": j.params["x"], "fail_at": -1}) for j in jobs]
    out = run_jobs(failing_after, jobs, run, group="g", progress=False)
    assert out["x"].tolist() == [0, 1, 2, 3]


def test_local_processes_match_serial(tmp_path):
    jobs = [Job(f"x={i}", {"x": i}) for i in range(5)]
    serial = run_jobs(square, jobs, progress=False)
    local = run_jobs(square, jobs, RunFolder(tmp_path), workers=2, progress=False)
    pd.testing.assert_frame_equal(serial, local)


def test_bad_jobs():
    with pytest.raises(ValueError, match="unique keys"):
        run_jobs(square, [Job("a", {"x": 1}), Job("a", {"x": 2})], progress=False)
    with pytest.raises(ValueError, match="workers"):
        run_jobs(square, [Job("a", {"x": 1})], workers=0, progress=False)
    with pytest.raises(ValueError, match="key"):
        RunFolder.job_path(RunFolder.__new__(RunFolder), "g", "../escape")


def test_resuming_with_another_config_is_refused(tmp_path):
    run = RunFolder(tmp_path)
    run.write_config({"n": 1, "seed": 0})
    run.write_config({"n": 1, "seed": 0})  # same settings: resuming is fine
    with pytest.raises(ValueError, match=r"different configuration.*\['n'\]"):
        RunFolder(tmp_path).write_config({"n": 2, "seed": 0})


def test_written_files_are_readable_by_others(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = write_csv(tmp_path / "t.csv", pd.DataFrame({"a": [1]}))
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's owner-only 0600


def test_training_jobs_use_one_torch_thread_beside_other_jobs():
    assert threads_for(1) is None  # serial: all cores
    assert threads_for(2) == 1
    assert threads_for(1, scheduler="tcp://127.0.0.1:8786") == 1  # Dask workers run in parallel
