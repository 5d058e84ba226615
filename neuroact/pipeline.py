"""The main job: run the experiments in dependency order into one folder, then report.

``run_all`` gives each experiment its own sub-folder ``OUT/<experiment>/`` and passes the folders
of the experiments before it as ``inputs``; each experiment resumes from its folder, so
rerunning an interrupted ``neuroact run`` redoes only what had not finished. Everything a
user can get wrong (profile, experiment names, overrides, workers, the output folder) is
checked before the first experiment starts. Each finished experiment is logged as one line
(logger ``neuroact.pipeline``).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from joblib.externals.loky import ProcessPoolExecutor
from tqdm.auto import tqdm

from neuroact import experiments
from neuroact.config import nest
from neuroact.experiments import PROFILES
from neuroact.parallel import check_workers
from neuroact.report import write_report
from neuroact.results import RunFolder, check_writable_dir, write_json

logger = logging.getLogger(__name__)


def run_all(
    profile: str = "quick",
    out: str | os.PathLike = "runs/quick",
    only: Sequence[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    configs: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Path:
    """Run every experiment (or ``only`` these) with ``profile``; return the report's path.

    Parameters
    ----------
    profile : ``"quick"`` (CI-sized, offline) or ``"full"`` (paper-sized).
    out : the run folder; each experiment writes ``OUT/<experiment>/``. Reusing it resumes.
    only : names of the experiments to run (default: all, in dependency order).
    data_dir : folder of the data sets (default: ``$NEUROACT_DATA_DIR`` or the download cache).
    workers, scheduler : local processes, or a Dask scheduler address, for the sweeps. By
        default every core this process may use (:func:`neuroact.parallel.available_cores`),
        or the scheduler alone when one is given. Each job's result does not depend on the
        process that ran it, so the tables equal a serial run's; jobs side by side train
        with one torch thread each (:func:`neuroact.parallel.threads_for`). With two or more
        local processes, two more draw each experiment's figures (at the lowest priority)
        while the next computes.
    progress : tqdm bars in a terminal (log lines are written either way).
    configs : ``{experiment: Config}`` replacing the profile's.
    overrides : changes to the fields of the experiments' Configs, nested
        (``{"glorot_table1": {"train": {"lr": 0.02}}}``) or dotted
        (``{"glorot_table1.train.lr": 0.02}``), applied after ``configs``; see
        :mod:`neuroact.config`. Each experiment's ``config.json`` records the result.

    Raises
    ------
    ValueError, TypeError
        A bad argument or override, before anything is written.
    PermissionError
        ``out`` cannot be written, before any work.

    See Also
    --------
    neuroact.experiments.resolve_configs : the Config each experiment runs with.
    neuroact.results.check_writable_dir : the check of ``out``.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}; got {profile!r}")
    names = list(experiments.EXPERIMENTS if not only else only)
    for name in names:
        experiments.get(name)  # fail fast on an unknown name, before any work
    names = [n for n in experiments.EXPERIMENTS if n in names]
    workers = check_workers(workers, scheduler)
    resolved = experiments.resolve_configs(profile, overrides, names, configs)
    check_writable_dir(out)
    root = RunFolder(out)
    where = f"Dask at {scheduler}" if scheduler else f"{workers} local processes"
    options = {"workers": workers, "scheduler": scheduler, "progress": progress}
    with _Painter(workers > 1 and scheduler is None) as painter:
        bar = tqdm(names, desc=f"neuroact {profile}", disable=not progress or None)
        for i, name in enumerate(bar):
            seconds = _run_one(root, name, resolved[name], painter, data_dir=data_dir, **options)
            logger.info(
                "%s finished in %.1f s on %s (%d/%d)", name, seconds, where, i + 1, len(names)
            )
    root.write_metadata(
        profile=profile,
        experiments=names,
        overrides=nest(overrides or {}),
        workers=workers,
        scheduler=None if scheduler is None else str(scheduler),
    )
    return write_report(root.path, profile=profile)


def _run_one(root: RunFolder, name: str, config: Any, painter: _Painter, **options) -> float:
    """Run experiment ``name`` into ``root/name`` with the folders of the experiments before it
    as ``inputs``; add its seconds to ``timings.json`` and return them."""
    inputs = {n: root.path / n for n in experiments.EXPERIMENTS if (root.path / n).is_dir()}
    inputs.pop(name, None)
    start = time.perf_counter()
    experiments.get(name).run(
        config, root.path / name, inputs=inputs, figures=painter.inline, **options
    )
    painter.draw(name, root.path / name)
    seconds = time.perf_counter() - start
    timings = root.read_json("timings") if root.has("timings.json") else {}
    # summed over resumed runs: the work an experiment cost, not only its last stretch
    timings[name] = round(timings.get(name, 0.0) + seconds, 2)
    write_json(root.path / "timings.json", timings)
    return seconds


class _Painter:
    """Draws each experiment's figures in processes of their own while the next experiment
    computes, when ``side_by_side`` (two or more local processes): drawing is serial work that
    would otherwise idle a core. Else the experiments draw their own (``inline``).

    The two drawing processes run at the lowest scheduling priority (nice 19): the figures are
    needed only by the report, so they take the cores the experiments leave idle (between
    sweeps, in an experiment's serial parts) instead of slowing the experiment that computes,
    and after the last experiment they draw what is left on two cores. They are started as the
    sweeps' processes are (loky: fork and exec, never a bare fork of a process running torch's
    and OpenMP's threads). Leaving the block waits for every figure; one that failed to draw
    raises there, before the report is written.
    """

    def __init__(self, side_by_side: bool) -> None:
        self.pool = (
            ProcessPoolExecutor(max_workers=2, initializer=_lowest_priority)
            if side_by_side
            else None
        )
        self.futures: list[Future] = []

    @property
    def inline(self) -> bool:
        return self.pool is None

    def draw(self, name: str, folder: Path) -> None:
        if self.pool is not None:
            self.futures.append(self.pool.submit(_draw, name, str(folder)))

    def __enter__(self) -> _Painter:
        return self

    def __exit__(self, error_type, *_) -> None:
        if self.pool is None:
            return
        try:
            for future in self.futures if error_type is None else ():
                future.result()
        finally:
            self.pool.shutdown(wait=True)


def _lowest_priority() -> None:
    """Lower this process's scheduling priority to nice 19 (where the system allows it)."""
    try:
        os.nice(19 - os.nice(0))
    except (AttributeError, OSError):  # no nice on Windows; a refused change costs only speed
        pass


def _draw(name: str, folder: str) -> list[str]:
    """Draw the figures of experiment ``name`` from the tables in ``folder`` (in the painter)."""
    from neuroact.figures import use_agg

    use_agg()  # in the drawing process only; the caller's backend is left alone
    return [str(p) for p in experiments.get(name).draw(RunFolder(folder))]


def redraw(run_dir: str | os.PathLike) -> list[Path]:
    """Redraw every figure under ``run_dir`` (a main-job folder or one experiment's folder);
    in a main-job folder, also rewrite ``claims.csv``, the claims figure, ``report.md`` and
    ``report.html`` from its tables (the Markdown report's path comes last in the returned
    list)."""
    root = Path(run_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"run_dir {str(root)!r} is not a folder")
    config_here = root / "config.json"
    folders = (
        [(root.name, root)]
        if config_here.is_file()
        else [(n, root / n) for n in experiments.EXPERIMENTS if (root / n).is_dir()]
    )
    if not folders:
        raise FileNotFoundError(
            f"no experiment results in {root}: expected config.json or sub-folders named after "
            f"experiments ({', '.join(experiments.EXPERIMENTS)})"
        )
    paths: list[Path] = []
    for name, folder in folders:
        if name not in experiments.EXPERIMENTS:
            raise ValueError(
                f"cannot tell which experiment wrote {folder}; rename it to one of "
                f"{list(experiments.EXPERIMENTS)}"
            )
        try:
            paths += experiments.get(name).draw(RunFolder(folder))
        except FileNotFoundError as err:  # a copy of a run without its bulky tables
            warnings.warn(f"{name}: figures not redrawn, a table is missing ({err})", stacklevel=2)
    if not config_here.is_file():
        meta = RunFolder(root).read_json("metadata") if (root / "metadata.json").is_file() else {}
        paths.append(write_report(root, profile=meta.get("profile")))
    return paths
