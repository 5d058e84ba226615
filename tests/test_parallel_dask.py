"""Sweeps through a real dask.distributed cluster on loopback, saved and resumed like local runs."""

import distributed
import pandas as pd

from neuroact.parallel import Job, run_jobs
from neuroact.results import RunFolder


def cube(x: int) -> pd.DataFrame:
    return pd.DataFrame({"x": [x], "x3": [x**3]})


def test_sweep_on_local_cluster_resumes(tmp_path):
    jobs = [Job(f"x={i}", {"x": i}) for i in range(6)]
    run = RunFolder(tmp_path)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        out = run_jobs(cube, jobs[:4], run, group="cube", scheduler=cluster.scheduler_address)
        assert out["x3"].tolist() == [0, 1, 8, 27]
        assert run.completed_jobs("cube") == ["x=0", "x=1", "x=2", "x=3"]
        # A rerun with more jobs only computes the new ones (finished files are not rewritten).
        before = (run.path / "jobs" / "cube" / "x=0.csv").stat().st_mtime_ns
        out = run_jobs(cube, jobs, run, group="cube", scheduler=cluster.scheduler_address)
        assert out["x3"].tolist() == [i**3 for i in range(6)]
        assert (run.path / "jobs" / "cube" / "x=0.csv").stat().st_mtime_ns == before
