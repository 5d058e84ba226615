"""Run folders: tidy tables, config and metadata, written atomically so reruns can resume.

A run folder holds everything one experiment run produced::

    RUN/
      config.json      the experiment's configuration (a dataclass, as JSON)
      metadata.json    package versions, seed, git commit, cores, wall time
      *.csv            tidy result tables (one row per observation, units in column names)
      jobs/<group>/    one CSV per finished job of a sweep; a rerun skips those already there
      *.png            figures

Every write goes to a temporary file in the same folder and is then renamed into place
(``os.replace`` is atomic on POSIX), so an interrupted run never leaves a truncated file: a file
either exists complete or not at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pandas as pd

_TRACKED_PACKAGES = ("neuroact", "numpy", "scipy", "pandas", "brian2", "torch", "matplotlib")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_.=+,-]+$")
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Use it for writers that want a file name (``fig.savefig``, ``torch.save``)::

        with atomic_path(run.path / "fig.png") as tmp:
            fig.savefig(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes owner-only files; results should be readable like any other file.
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        with open(tmp_path, "rb") as fh:  # on disk before the rename makes it "complete"
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV (no index) atomically."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return str(obj)  # Brian2 quantities and anything else: their readable form


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` (dicts, lists, dataclasses, numpy scalars) as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n")


def git_commit(cwd: str | os.PathLike | None = None) -> str | None:
    """The current git commit of the source tree (with ``-dirty`` if modified), or None."""
    cwd = cwd or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def package_versions(names: tuple[str, ...] = _TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (None where not installed), without importing them."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_metadata(seed: int | None = None, wall_seconds: float | None = None, **extra: Any) -> dict:
    """Provenance of a run: versions, commit, machine, seed and wall time."""
    return {
        "seed": seed,
        "wall_seconds": wall_seconds,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "packages": package_versions(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv),
        **extra,
    }


class RunFolder:
    """One run's output folder: tables, JSON, figures and per-job results, all written atomically.

    Parameters
    ----------
    path : folder to write into; created if missing. Reusing a folder resumes the run.
    """

    def __init__(self, path: str | os.PathLike):
        if path is None or str(path) == "":
            raise ValueError("path must name a folder for the run's results; got an empty value")
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._started = time.perf_counter()

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    # tables and JSON -------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True if ``name`` (a file in the folder) exists; atomic writes make that mean complete."""
        return (self.path / name).is_file()

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a tidy table as ``name`` (``.csv`` appended if missing)."""
        return write_csv(self.path / _with_suffix(name, ".csv"), frame)

    def read_table(self, name: str) -> pd.DataFrame:
        path = self.path / _with_suffix(name, ".csv")
        if not path.is_file():
            raise FileNotFoundError(f"no table {path.name!r} in run folder {self.path}")
        return pd.read_csv(path)

    def write_json(self, name: str, obj: Any) -> Path:
        return write_json(self.path / _with_suffix(name, ".json"), obj)

    def read_json(self, name: str) -> Any:
        return json.loads((self.path / _with_suffix(name, ".json")).read_text())

    def write_config(self, config: Any) -> Path:
        """Write ``config.json`` from a dataclass or mapping.

        A folder that already holds a different configuration is refused: its finished jobs were
        computed with other settings, so resuming into it would mix results. Use a new folder.
        """
        text = json.dumps(_jsonable(config), indent=2, sort_keys=True) + "\n"
        path = self.path / "config.json"
        if path.is_file() and path.read_text() != text:
            old = json.loads(path.read_text())
            new = json.loads(text)
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise ValueError(
                f"run folder {self.path} holds results of a different configuration (fields "
                f"{changed} differ); resuming would mix them. Use another output folder or "
                "delete this one."
            )
        return atomic_write_text(path, text)

    def write_metadata(self, seed: int | None = None, **extra: Any) -> Path:
        """Write ``metadata.json``; the wall time counts from this object's creation."""
        wall = time.perf_counter() - self._started
        return self.write_json("metadata.json", run_metadata(seed=seed, wall_seconds=wall, **extra))

    # per-job results of a sweep --------------------------------------------------------------
    def job_path(self, group: str, key: str) -> Path:
        for what, value in (("group", group), ("key", key)):
            if not _SAFE_KEY.match(str(value)):
                raise ValueError(
                    f"job {what} must use only letters, digits and _.=+,- ; got {value!r}"
                )
        return self.path / "jobs" / group / f"{key}.csv"

    def job_done(self, group: str, key: str) -> bool:
        """True if the job ``key`` of ``group`` already wrote its result."""
        return self.job_path(group, key).is_file()

    def save_job(self, group: str, key: str, frame: pd.DataFrame) -> Path:
        return write_csv(self.job_path(group, key), frame)

    def load_job(self, group: str, key: str) -> pd.DataFrame:
        return pd.read_csv(self.job_path(group, key))

    def completed_jobs(self, group: str) -> list[str]:
        folder = self.path / "jobs" / group
        return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []


def _with_suffix(name: str, suffix: str) -> str:
    return name if name.endswith(suffix) else name + suffix
