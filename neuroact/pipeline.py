"""The main job: run the experiments in dependency order into one folder, then report.

``run_all`` gives each experiment its own sub-folder ``OUT/<experiment>/`` and passes the folders
of the experiments before it as ``inputs``; each experiment resumes from its folder, so
rerunning an interrupted ``neuroact run`` redoes only what had not finished.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from neuroact import experiments
from neuroact.results import RunFolder, write_json

PROFILES = ("quick", "full")


def run_all(
    profile: str = "quick",
    out: str | os.PathLike = "runs/quick",
    only: Sequence[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    configs: dict | None = None,
) -> Path:
    """Run every experiment (or ``only`` these) with ``profile``; return the report's path.

    ``configs`` maps experiment names to a ``Config`` that replaces the profile's (for sweeps of
    your own, or tests that need a smaller run).
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}; got {profile!r}")
    names = list(experiments.EXPERIMENTS if not only else only)
    for name in names:
        experiments.get(name)  # fail fast on an unknown name, before any work
    names = [n for n in experiments.EXPERIMENTS if n in names]
    root = RunFolder(out)
    inputs: dict[str, Path] = {
        n: root.path / n for n in experiments.EXPERIMENTS if (root.path / n).is_dir()
    }
    timings = root.read_json("timings") if root.has("timings.json") else {}
    for name in tqdm(names, desc=f"neuroact {profile}", disable=not progress or None):
        module = experiments.get(name)
        config = (configs or {}).get(name) or module.PROFILES[profile]
        start = time.perf_counter()
        module.run(
            config,
            root.path / name,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            data_dir=data_dir,
            inputs=dict(inputs),
        )
        inputs[name] = root.path / name
        # summed over resumed runs: the work an experiment cost, not only its last stretch
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - start, 2)
        write_json(root.path / "timings.json", timings)
    root.write_metadata(profile=profile, experiments=names)
    from neuroact.report import write_report

    return write_report(root.path, profile=profile)


def redraw(run_dir: str | os.PathLike) -> list[Path]:
    """Redraw every figure under ``run_dir`` (a main-job folder or one experiment's folder);
    in a main-job folder, also rewrite ``claims.csv`` and ``report.md`` from its tables (the
    report's path comes last in the returned list)."""
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
        from neuroact.report import write_report

        meta = RunFolder(root).read_json("metadata") if (root / "metadata.json").is_file() else {}
        paths.append(write_report(root, profile=meta.get("profile")))
    return paths
