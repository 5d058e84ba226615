"""Run folders and the job runner: atomic writes, metadata, resuming finished jobs, damaged job
files found and recomputed, failed writes named, progress logged."""

import errno
import hashlib
import json
import logging
import os
import resource
import warnings

import numpy as np
import pandas as pd
import pytest

from neuroact.parallel import Job, available_cores, check_workers, run_jobs, threads_for
from neuroact.results import RunFolder, atomic_path, check_writable_dir, write_csv

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
    (tmp_path / "config.json").write_text('{"seed": 0,\n "n": 1}')  # laid out by hand
    run.write_config({"n": 1, "seed": 0})
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


# damaged job files -------------------------------------------------------------------------
DAMAGE = {
    "garbage": b"\x00\xff\xfe not a table at all \x81",
    "truncated": None,  # the first 60% of the real file: cut mid-row
    "empty": b"",
}


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    path.write_bytes(DAMAGE[how] if DAMAGE[how] is not None else data[: int(len(data) * 0.6)])


def _sweep(run) -> pd.DataFrame:
    jobs = [Job(f"x={i}", {"x": i}) for i in range(4)]
    return run_jobs(square, jobs, run, group="sq", progress=False)


@pytest.mark.parametrize("manifest", [True, False], ids=["with-manifest", "older-folder"])
def test_damaged_job_files_are_named_kept_aside_and_recomputed(tmp_path, manifest, caplog):
    run = RunFolder(tmp_path)
    first = _sweep(run)
    folder = tmp_path / "jobs" / "sq"
    assert set(run.job_manifest("sq")) == {"x=0", "x=1", "x=2", "x=3"}
    assert run.job_manifest("sq")["x=2"]["rows"] == 1
    if not manifest:  # a run folder written before manifests existed
        (folder / "manifest.json").unlink()
    originals = {}
    for key, how in zip(["x=0", "x=1", "x=2"], DAMAGE, strict=True):
        originals[key] = (folder / f"{key}.csv").read_bytes()
        _damage(folder / f"{key}.csv", how)
    damaged = {key: (folder / f"{key}.csv").read_bytes() for key in originals}

    CALLS.clear()
    with caplog.at_level(logging.WARNING, logger="neuroact"):
        with pytest.warns(RuntimeWarning) as record:
            second = _sweep(run)
    assert sorted(CALLS) == [0, 1, 2]  # the three damaged jobs ran again, x=3 did not
    pd.testing.assert_frame_equal(first, second)
    messages = [str(w.message) for w in record]
    logged = [r.getMessage() for r in caplog.records if r.name == "neuroact.results"]
    for key in originals:
        assert any(f"{key}.csv" in m for m in messages), (key, messages)
        assert any(f"{key}.csv" in m for m in logged), (key, logged)
        assert (folder / f"{key}.csv.damaged").read_bytes() == damaged[key]  # kept as found
        assert (folder / f"{key}.csv").read_bytes() == originals[key]  # recomputed, same bytes
    sha = hashlib.sha256(originals["x=1"]).hexdigest()
    assert run.job_manifest("sq")["x=1"]["sha256"] == sha
    assert set(run.job_manifest("sq")) == {"x=0", "x=1", "x=2", "x=3"}


def test_older_folder_without_manifest_resumes_and_gets_entries(tmp_path):
    run = RunFolder(tmp_path)
    _sweep(run)
    (tmp_path / "jobs" / "sq" / "manifest.json").unlink()
    CALLS.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # intact files: no warning
        _sweep(run)
    assert CALLS == []
    entry = run.job_manifest("sq")["x=3"]
    data = (tmp_path / "jobs" / "sq" / "x=3.csv").read_bytes()
    assert entry == {"rows": 1, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_file_that_is_not_a_job_result_is_damaged_without_a_manifest(tmp_path):
    run = RunFolder(tmp_path)
    path = run.job_path("sq", "x=0")
    path.parent.mkdir(parents=True)
    path.write_text("some,other,table\n1,2,3\n")  # readable CSV, but no job column
    with pytest.warns(RuntimeWarning, match=r"x=0\.csv: not a job result"):
        assert not run.job_done("sq", "x=0")
    assert (path.parent / "x=0.csv.damaged").is_file() and not path.exists()


def test_second_damage_keeps_both_copies_and_a_bad_manifest_is_set_aside(tmp_path):
    run = RunFolder(tmp_path)
    _sweep(run)
    folder = tmp_path / "jobs" / "sq"
    for _ in range(2):
        (folder / "x=1.csv").write_bytes(b"")
        with pytest.warns(RuntimeWarning, match="x=1.csv"):
            _sweep(run)
    assert (folder / "x=1.csv.damaged").is_file() and (folder / "x=1.csv.damaged.2").is_file()
    (folder / "manifest.json").write_text("{not json")
    CALLS.clear()
    with pytest.warns(RuntimeWarning, match="manifest.json: unreadable manifest"):
        _sweep(run)
    assert CALLS == [] and (folder / "manifest.json.damaged").is_file()
    assert len(run.job_manifest("sq")) == 4


# failed writes and bad arguments ------------------------------------------------------------
def _with_file_size_limit(limit: int, write):
    """Run ``write`` with files capped at ``limit`` bytes: writes beyond fail with EFBIG, as a
    full disk fails with ENOSPC (Python ignores SIGXFSZ, so the write returns the error)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        write()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_failed_write_names_the_file_and_leaves_no_temporary(tmp_path):
    run = RunFolder(tmp_path)
    big = pd.DataFrame({"job": "x", "value": np.arange(20_000, dtype=float)})
    with pytest.raises(OSError) as info:
        _with_file_size_limit(4096, lambda: run.save_job("g", "x", big))
    path = tmp_path / "jobs" / "g" / "x.csv"
    assert info.value.errno == errno.EFBIG and info.value.filename == str(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert list((tmp_path / "jobs" / "g").iterdir()) == []  # no temporary, no file, no entry
    # an older complete file survives a failed overwrite
    run.write_table("t", pd.DataFrame({"a": [1]}))
    with pytest.raises(OSError, match=r"t\.csv"):
        _with_file_size_limit(4096, lambda: run.write_table("t", big))
    assert run.read_table("t")["a"].tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs", "t.csv"]


@pytest.mark.parametrize("workers", [0, -2, 1.5, "2", True])
def test_bad_worker_counts_are_rejected_before_anything_is_written(tmp_path, workers):
    with pytest.raises((ValueError, TypeError), match=r"workers must be .*; got"):
        run_jobs(square, [Job("a", {"x": 1})], RunFolder(tmp_path), workers=workers)
    assert list(tmp_path.iterdir()) == []
    assert check_workers(-1) == available_cores() and check_workers(np.int64(2)) == 2
    with pytest.raises(ValueError, match="not both"):
        check_workers(2, scheduler="tcp://127.0.0.1:8786")


def test_check_writable_dir(tmp_path):
    assert check_writable_dir(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    (tmp_path / "file.txt").write_text("x")
    for out in (tmp_path / "file.txt", tmp_path / "file.txt" / "run"):
        with pytest.raises(ValueError, match=r"file\.txt.*is (an existing file|inside the file)"):
            check_writable_dir(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs")
def test_check_writable_dir_on_a_folder_that_refuses_files():
    # sysfs refuses new files even to root, for whom os.access says yes
    with pytest.raises(PermissionError, match=r"'/sys/kernel/neuroact_run' is not writable"):
        check_writable_dir("/sys/kernel/neuroact_run")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_writable_dir_on_a_read_only_folder(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="is not writable"):
            check_writable_dir(tmp_path / "run")
    finally:
        tmp_path.chmod(0o700)


# progress outside a terminal ----------------------------------------------------------------
def test_run_jobs_logs_one_line_per_finished_job(tmp_path, caplog):
    run = RunFolder(tmp_path)
    jobs = [Job(f"x={i}", {"x": i}) for i in range(3)]
    with caplog.at_level(logging.INFO, logger="neuroact"):
        run_jobs(square, jobs[:1], run, group="sq", progress=False)
        caplog.clear()
        run_jobs(square, jobs, run, group="sq", progress=False, desc="squares")
    lines = [r.getMessage() for r in caplog.records if r.name == "neuroact.parallel"]
    assert lines[0] == "squares: 1 of 3 jobs already done, 2 to run"
    assert [line.split(" done")[0] for line in lines[1:]] == [
        "squares: job x=1",
        "squares: job x=2",
    ]
    assert lines[-1].endswith("(3/3)")
