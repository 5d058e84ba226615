"""Run folders: tidy tables, config and metadata, written atomically so reruns can resume.

A run folder holds everything one experiment run produced::

    RUN/
      config.json      the experiment's configuration (a dataclass, as JSON)
      metadata.json    package versions, seed, git commit, cores, wall time
      *.csv            tidy result tables (one row per observation, units in column names)
      jobs/<group>/    one CSV per finished job of a sweep; a rerun skips those already there
        manifest.json  row count, size and sha256 of each job file, written after the file
      *.png            figures

Every write goes to a temporary file in the same folder and is then renamed into place
(``os.replace`` is atomic on POSIX), so an interrupted run never leaves a truncated file: a file
either exists complete or not at all. A write that fails (a full disk, a folder without write
permission) raises an ``OSError`` naming the file it was writing, and leaves no temporary behind.

Files can still be damaged after they were written (a copy cut short, a disk fault, an editor).
Before a rerun skips a finished job it checks the job file against the sweep's manifest; a file
that does not match (or, in older run folders without a manifest entry, that cannot be read as
a job result) is reported by name, moved aside to ``<key>.csv.damaged`` and recomputed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

_TRACKED_PACKAGES = ("neuroact", "numpy", "scipy", "pandas", "brian2", "torch", "matplotlib")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_.=+,-]+$")
_MANIFEST = "manifest.json"
_UMASK = os.umask(0)
os.umask(_UMASK)


def _naming(err: OSError, path: Path) -> OSError:
    """``err`` as the same kind of OSError with ``path`` (the file being written) as its file
    name, where it named a temporary of ``path`` or no file at all (pandas and ``write`` report
    a full disk without one)."""
    temporary = str(path.parent / f".{path.name}.")
    if err.filename is not None and not str(err.filename).startswith(temporary):
        return err  # about another file (a folder to create, a file the block reads)
    if err.errno is None:
        return OSError(f"cannot write {path}: {err}")
    return type(err)(err.errno, err.strerror, str(path))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Use it for writers that want a file name (``fig.savefig``, ``torch.save``)::

        with atomic_path(run.path / "fig.png") as tmp:
            fig.savefig(tmp)

    Raises
    ------
    OSError
        When the file cannot be written (no space left, no permission), with ``path`` as its
        ``filename``; the temporary file is removed and an older ``path`` is left untouched.
    """
    path = Path(path)
    tmp_path = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp_path = Path(tmp)
        yield tmp_path
        # mkstemp makes owner-only files; results should be readable like any other file.
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        with open(tmp_path, "rb") as fh:  # on disk before the rename makes it "complete"
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    except OSError as err:
        raise _naming(err, path) from err
    finally:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV (no index, UTF-8) that :func:`write_csv` writes for ``frame``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV (no index) atomically."""
    return atomic_write_bytes(path, csv_bytes(frame))


def check_writable_dir(path: str | os.PathLike, name: str = "out") -> Path:
    """Check, before any work, that ``path`` is a folder this process can write into.

    ``path`` may exist (a run folder to resume) or not (it is created later); then its nearest
    existing parent must be a writable folder. Writability is probed by creating and removing
    an empty temporary file, which also catches read-only file systems and pseudo file systems
    where ``os.access`` answers yes to root. Nothing is left behind and no folder is created.

    Parameters
    ----------
    path : the output folder.
    name : the parameter's name, for the error message.

    Returns
    -------
    Path
        ``path`` as a Path.

    Raises
    ------
    ValueError
        ``path`` (or a parent of it) is an existing file, or ``path`` is empty.
    PermissionError
        The folder (or its nearest existing parent) cannot be written.

    See Also
    --------
    RunFolder : creates the folder.
    """
    if path is None or str(path) == "":
        raise ValueError(f"{name} must name a folder for the results; got {path!r}")
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "is an existing file" if existing == path else f"is inside the file {existing}"
        raise ValueError(f"{name} = {str(path)!r} {what}; expected a folder (new or existing)")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".neuroact-write-check.")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise PermissionError(
            f"{name} = {str(path)!r} is not writable: creating a file in {str(existing)!r} "
            f"failed ({err.strerror or err})"
        ) from err
    return path


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
        # compared as values: a file that differs in layout only (edited by hand) is the same
        if path.is_file() and json.loads(path.read_text()) != json.loads(text):
            changed = _changed_fields(json.loads(path.read_text()), json.loads(text))
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

    def job_manifest(self, group: str) -> dict[str, dict]:
        """``{key: {"rows", "bytes", "sha256"}}`` of the job files of ``group`` on record.

        A manifest that cannot be read is reported, moved aside and counted as empty (its job
        files are then checked as in a folder written before manifests existed)."""
        path = self.path / "jobs" / group / _MANIFEST
        if not path.is_file():
            return {}
        try:
            jobs = json.loads(path.read_bytes())["jobs"]
            if not isinstance(jobs, dict):
                raise TypeError("'jobs' is not a mapping")
        except (ValueError, KeyError, TypeError) as err:
            _set_aside(path, f"unreadable manifest ({err}); job files are checked one by one")
            return {}
        return jobs

    def save_job(self, group: str, key: str, frame: pd.DataFrame) -> Path:
        """Write the result of job ``key``, then record its row count and sha256."""
        data = csv_bytes(frame)
        path = atomic_write_bytes(self.job_path(group, key), data)
        self._record_job(group, key, _entry(data, len(frame)))
        return path

    def job_done(self, group: str, key: str) -> bool:
        """True if job ``key`` of ``group`` wrote a result that is intact.

        The job file must match its manifest entry (size and sha256). A file without an entry
        (a folder written before manifests, or a run stopped between the file and its entry)
        counts as done if it reads as a job result: non-empty, ending in a complete row, with a
        ``job`` column; it then gets its entry. A file that fails is damaged: a warning and a
        log line name it, it is moved aside to ``<key>.csv.damaged`` (kept, never deleted) and
        this returns False, so that the job is computed again.
        """
        path = self.job_path(group, key)
        if not path.is_file():
            return False
        data = path.read_bytes()
        entry = self.job_manifest(group).get(key)
        problem, rows = _job_file_problem(data, entry)
        if problem is None:
            if entry is None:
                self._record_job(group, key, _entry(data, rows))
            return True
        _set_aside(path, problem)
        self._record_job(group, key, None)
        return False

    def load_job(self, group: str, key: str) -> pd.DataFrame:
        return pd.read_csv(self.job_path(group, key))

    def completed_jobs(self, group: str) -> list[str]:
        """Keys of the jobs of ``group`` with a result file (not checked: see ``job_done``)."""
        folder = self.path / "jobs" / group
        return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []

    def _record_job(self, group: str, key: str, entry: dict | None) -> None:
        # Read-modify-write on every call: the manifest is small, and a second RunFolder on
        # the same path must not overwrite entries it never saw.
        jobs = self.job_manifest(group)
        if entry is None:
            if jobs.pop(key, None) is None:
                return
        else:
            jobs[key] = entry
        path = self.path / "jobs" / group / _MANIFEST
        atomic_write_text(path, json.dumps({"version": 1, "jobs": jobs}, indent=1, sort_keys=True))


def _entry(data: bytes, rows: int) -> dict:
    return {"rows": int(rows), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _job_file_problem(data: bytes, entry: dict | None) -> tuple[str | None, int]:
    """``(what is wrong or None, rows)`` for the bytes of a job file and its manifest entry."""
    if entry is not None:
        if len(data) != entry.get("bytes") or hashlib.sha256(data).hexdigest() != entry.get(
            "sha256"
        ):
            return (
                f"content differs from its manifest entry ({len(data)} bytes, "
                f"{entry.get('bytes')} on record)",
                0,
            )
        return None, int(entry.get("rows", 0))
    if not data.strip():
        return "empty file", 0
    if not data.endswith(b"\n"):  # every CSV written here ends with a line break
        return "cut mid-row (no final line break)", 0
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (ValueError, UnicodeDecodeError) as err:  # pandas' ParserError is a ValueError
        return f"unreadable as CSV ({str(err).strip().splitlines()[0]})", 0
    if "job" not in frame.columns:
        return "not a job result (no 'job' column)", 0
    return None, len(frame)


def _set_aside(path: Path, problem: str) -> Path:
    """Move a damaged file to ``<name>.damaged`` (``.damaged.2``, ... if taken); warn and log."""
    aside = path.with_name(path.name + ".damaged")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged.{n}")
    os.replace(path, aside)
    message = f"damaged result {path}: {problem}; moved to {aside.name} and computed again"
    logger.warning(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    return aside


def _changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted names of the fields that differ between two JSON configurations."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [prefix.rstrip(".")] if old != new else []
    out = []
    for k in sorted(set(old) | set(new)):
        if k not in old or k not in new:
            out.append(prefix + k)
        else:
            out += _changed_fields(old[k], new[k], f"{prefix}{k}.")
    return out


def _with_suffix(name: str, suffix: str) -> str:
    return name if name.endswith(suffix) else name + suffix
