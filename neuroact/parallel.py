"""Run a list of independent jobs serially, on local processes, or on a Dask cluster.

Sweeps (phase maps, many random networks, seeds) are lists of ``Job(key, params)``. ``run_jobs``
calls ``func(**params)`` for each, which returns a DataFrame (or a dict, one row). Each result is
written to the run folder as soon as that job finishes (``RUN/jobs/<group>/<key>.csv``), so an
interrupted sweep resumes on rerun: jobs whose file exists are not run again.

Backends
--------
serial     ``workers=1``: in this process, in order.
local      ``workers=N > 1``: N local processes through joblib (loky); ``workers=-1`` uses
           every core this process may run on (:func:`available_cores`).
dask       ``scheduler="tcp://host:port"``: an existing ``dask.distributed`` cluster; the job
           function must be importable on the workers (a module-level function of an installed
           package, not a lambda).

:func:`map_ordered` is the same local backend for a plain list of calls whose results come
back in order (``fit_cells(..., workers=N)``): no run folder, no job keys.

Progress
--------
Every finished job is logged as one line (logger ``neuroact.parallel``, level INFO), so a run
in a batch system or under ``nohup`` shows its progress in the log; the tqdm bar is drawn only
where ``progress`` is on and the output is a terminal.
"""

from __future__ import annotations

import logging
import numbers
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from neuroact.results import RunFolder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One independent unit of work: a unique ``key`` (used as file name) and keyword arguments."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _as_frame(result: Any, key: str) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        frame = result.copy()
    elif isinstance(result, dict):
        frame = pd.DataFrame([result])
    else:
        raise TypeError(
            f"job {key!r} returned {type(result).__name__}; "
            "expected a DataFrame or a dict (one row)"
        )
    if "job" not in frame.columns:
        frame.insert(0, "job", key)
    return frame


# loky restarts a worker whose memory grew by 300 MB after its first job, taking the growth for
# a leak. A worker that has trained a network or run a Brunel network keeps about that much (the
# allocator's free memory, Brian2's loaded code), and each restart costs a new process 2-4 s of
# imports (torch, Brian2) while a core waits: jobs here allow their worker 2 GB of growth.
WORKER_MEMORY_GROWTH = int(2e9)


def _allow_worker_growth() -> None:
    try:
        from joblib.externals.loky import process_executor
    except ImportError:  # pragma: no cover - joblib without its vendored loky
        return
    if (
        getattr(process_executor, "_MAX_MEMORY_LEAK_SIZE", WORKER_MEMORY_GROWTH)
        < WORKER_MEMORY_GROWTH
    ):
        process_executor._MAX_MEMORY_LEAK_SIZE = WORKER_MEMORY_GROWTH


def _call(func: Callable[..., Any], key: str, params: dict[str, Any]) -> tuple[str, Any, float]:
    _allow_worker_growth()  # in the worker process that runs the job
    start = time.perf_counter()
    result = func(**params)
    return key, result, time.perf_counter() - start


def available_cores() -> int:
    """The number of cores this process may run on.

    The process's CPU affinity where the operating system reports it (Linux: a batch job's
    cpuset, ``taskset``), so that a job given 4 cores of a 64-core node starts 4 workers; else
    ``os.cpu_count()``; at least 1.

    See Also
    --------
    check_workers : ``workers=-1`` means this many.
    """
    counted = getattr(os, "process_cpu_count", None)  # Python >= 3.13: affinity-aware
    if counted is not None:
        return counted() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def check_workers(workers: Any, scheduler: Any = None) -> int:
    """Check a ``workers`` argument before any work; return the number of local processes.

    Parameters
    ----------
    workers : a positive integer; -1 for every core this process may use
        (:func:`available_cores`); None for the main job's default, every core, or 1 when
        a scheduler is given.
    scheduler : a Dask scheduler address or Client; only ``workers=1`` may go with it.

    Raises
    ------
    TypeError
        ``workers`` is not an integer (a bool, a float, a string).
    ValueError
        ``workers`` is 0 or below -1, or is not 1 while a scheduler is given.

    See Also
    --------
    run_jobs : the sweep runner that uses it.
    """
    if workers is None:
        workers = 1 if scheduler is not None else -1
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise TypeError(
            f"workers must be a positive integer or -1 (all cores); got {workers!r} "
            f"({type(workers).__name__})"
        )
    workers = int(workers)
    if workers == 0 or workers < -1:
        raise ValueError(f"workers must be a positive integer or -1 (all cores); got {workers}")
    if scheduler is not None and workers != 1:
        raise ValueError(
            f"give either workers (local processes) or scheduler (Dask), not both; got "
            f"workers={workers} and scheduler={scheduler!r}"
        )
    return available_cores() if workers == -1 else workers


def _serial(func, jobs) -> Iterator[tuple[str, Any, float]]:
    for job in jobs:
        yield _call(func, job.key, job.params)


def _local(func, jobs, workers) -> Iterator[tuple[str, Any, float]]:
    parallel = Parallel(n_jobs=workers, return_as="generator_unordered")
    yield from parallel(delayed(_call)(func, job.key, job.params) for job in jobs)


def map_ordered(
    func: Callable[..., Any],
    calls: Sequence[tuple],
    workers: int = 1,
    progress: bool = False,
    desc: str | None = None,
) -> list[Any]:
    """``[func(*args) for args in calls]``, on ``workers`` local processes; results in order.

    Parameters
    ----------
    func : a module-level function (it is sent to the worker processes).
    calls : the positional arguments of each call.
    workers : local processes (1 = serially in this process; -1 = every core,
        :func:`available_cores`); never more than there are calls.
    progress : a tqdm bar (drawn only in a terminal).
    desc : the bar's label.

    Each call's result does not depend on which process ran it, so the list is the same for
    any ``workers``; an exception in a call is raised here.

    See Also
    --------
    run_jobs : sweeps with job keys, saved to a run folder and resumed.
    """
    workers = min(check_workers(workers), max(len(calls), 1))
    bar = tqdm(total=len(calls), desc=desc, disable=not progress or None, leave=False)
    if workers == 1:
        stream = (func(*args) for args in calls)
    else:
        stream = Parallel(n_jobs=workers, return_as="generator")(
            delayed(func)(*args) for args in calls
        )
    out = []
    with bar:
        for result in stream:
            out.append(result)
            bar.update(1)
    return out


def _dask(func, jobs, scheduler, group) -> Iterator[tuple[str, Any, float]]:
    try:  # optional (the dask extra): imported only when a scheduler is given
        from dask.base import tokenize
        from dask.distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ImportError(
            "scheduler= needs dask.distributed: pip install 'neuroact[dask]'"
        ) from exc
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        # Keys unique to this function, sweep and parameters: a long-lived client must never
        # hand back another sweep's result for a job that happens to share a name.
        futures = [
            client.submit(
                _call,
                func,
                j.key,
                j.params,
                key=f"neuroact-{group}-{j.key}-{tokenize(func, j.params)}",
            )
            for j in jobs
        ]
        for future in as_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()


def run_jobs(
    func: Callable[..., Any],
    jobs: Sequence[Job],
    run: RunFolder | None = None,
    group: str = "jobs",
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    desc: str | None = None,
) -> pd.DataFrame:
    """Run ``func(**job.params)`` for every job; return all results in one table (job order).

    Parameters
    ----------
    func : module-level function returning a DataFrame or a dict.
    jobs : jobs with unique keys.
    run : run folder; with it, each result is saved as it finishes and finished jobs are skipped.
    group : sub-folder of ``RUN/jobs`` for this sweep.
    workers : number of local processes (1 = serial in this process; -1 = every core,
        :func:`available_cores`).
    scheduler : address of a running ``dask.distributed`` scheduler (or a ``Client``).
    progress : show a tqdm bar (drawn only in a terminal); the log lines are written either way.
    desc : label of the bar and of the log lines (default: ``group``).

    Notes
    -----
    With ``run``, a job counts as finished when its file passes
    :meth:`~neuroact.results.RunFolder.job_done`; a damaged file is named in a warning, kept
    aside and the job computed again.
    """
    jobs = list(jobs)
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"jobs must have unique keys; repeated: {dup}")
    workers = check_workers(workers, scheduler)
    label = desc or group

    results: dict[str, pd.DataFrame] = {}
    todo = []
    for job in jobs:
        if run is not None and run.job_done(group, job.key):
            results[job.key] = run.load_job(group, job.key)
        else:
            todo.append(job)
    if results:
        logger.info(
            "%s: %d of %d jobs already done, %d to run", label, len(results), len(jobs), len(todo)
        )

    if scheduler is not None:
        stream = _dask(func, todo, scheduler, group)
    elif workers > 1 and len(todo) > 1:
        stream = _local(func, todo, workers)
    else:
        stream = _serial(func, todo)

    bar = tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        desc=label,
        disable=not progress or None,
        leave=False,
    )
    with bar:
        for key, result, seconds in stream:
            frame = _as_frame(result, key)
            if run is not None:
                run.save_job(group, key, frame)
            results[key] = frame
            bar.update(1)
            logger.info(
                "%s: job %s done in %.1f s (%d/%d)", label, key, seconds, len(results), len(jobs)
            )
    frames = [results[k] for k in keys]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def threads_for(workers: int, scheduler=None) -> int | None:
    """Torch threads per job: all cores for a serial local sweep; one when jobs run side by
    side, in local processes or on Dask workers (which run one task per core by default)."""
    return None if workers == 1 and scheduler is None else 1
