"""Compiled Brian2 programs, built once per specification and kept in the user cache.

Brian2's ``cpp_standalone`` device turns a simulation into a C++ program. Building one costs
10-30 s (code generation and compilation); running it costs milliseconds for a small group.
This module keeps every program it builds, keyed by everything that goes into its code, and
runs it again for new inputs without Brian2's device machinery:

``program(spec, builder)``
    The folder of the program built for ``spec`` (a dict of plain values and Brian2
    quantities); built first if it is not in the cache.
``run_program(folder, inputs, seed)``
    Run it with new values of its input arrays and a seed for its random numbers; returns
    its output arrays.
``build_root()``, ``list_builds()``, ``clear_builds()``
    Where the programs live (``$NEUROACT_CACHE_DIR/brian2-standalone``, else the OS cache
    folder, e.g. ``~/.cache/neuroact/brian2-standalone``), what is there, and removing them.
``compiler_available()``
    Whether this machine can build (a C++ compiler and ``make``).

The key
-------
SHA-256 of the specification (equations, parameters with their units, sizes, ``dt``,
duration, ...) together with the Brian2 version, this module's build format, the processor
and the compiler: a changed parameter, equation, step or duration is a different program, and
a cache folder shared between machines never serves a program compiled for another processor
(Brian2 compiles with ``-march=native``).

Two processes at once
---------------------
A program is built in a temporary folder beside its final place (by a separate Python process,
so the caller's Brian2 device, preferences and clocks are never touched) and published by one
atomic rename; while one process builds, another one asking for the same program waits on a
lock file (``fcntl.flock`` where the system has it; elsewhere both build and the second rename
is dropped). Runs write into a fresh results folder each, so any number can run at once.

Inputs, outputs and seeds
-------------------------
The builder writes ``manifest.json`` into the program folder: its inputs (Brian2 variable
names, set from binary files on the command line, Brian2's ``run_args``) and its outputs (result
files and dtypes). The seed reaches the program as ``NEUROACT_SEED`` in its environment and
reseeds Brian2's generators (:data:`SEED_CODE`, inserted by the builder after
``brian2.seed``): the same seed gives the same numbers, and different seeds different ones.

See Also
--------
neuroact.bio.fi : the f-I runner, whose default path is such a program.
brian2.devices.cpp_standalone : the device that writes and compiles the code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import brian2
import numpy as np

from neuroact.paths import cache_dir

try:  # a lock while one process builds; Unix only (elsewhere the atomic rename alone is safe)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "BUILD_FORMAT",
    "SEED_CODE",
    "SEED_VARIABLE",
    "build_root",
    "clear_builds",
    "compiler_available",
    "list_builds",
    "program",
    "run_program",
    "spec_key",
]

# Bumped whenever the programs this package builds change shape (manifest, seeding, layout).
BUILD_FORMAT = 1
SEED_VARIABLE = "NEUROACT_SEED"
# C++ inserted into main() after Brian2's own seeding: reseed every thread's generator from the
# environment, as brian2.seed(s) does (generator k gets s + k).
SEED_CODE = """
{
    const char* _neuroact_seed = getenv("SEED_VARIABLE");
    if (_neuroact_seed != NULL) {
        const unsigned long _s = strtoul(_neuroact_seed, NULL, 10);
        for (size_t _k = 0; _k < brian::_random_generators.size(); _k++)
            brian::_random_generators[_k].seed(_s + _k);
    }
}
""".replace("SEED_VARIABLE", SEED_VARIABLE)
MANIFEST = "manifest.json"
_BUILD_TIMEOUT_S = 1800


def build_root() -> Path:
    """The folder holding the built programs (created on demand)."""
    return cache_dir() / "brian2-standalone"


def compiler_available() -> bool:
    """True if a C++ compiler and ``make`` are on the PATH (what Brian2's standalone needs)."""
    cxx = (sysconfig.get_config_var("CXX") or "c++").split()[0]
    return shutil.which("make") is not None and any(
        shutil.which(c) is not None for c in (cxx, "c++", "g++", "clang++")
    )


def _plain(value: Any) -> Any:
    """``value`` as JSON: quantities as [SI value, dimensions], mappings sorted."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    dim = getattr(value, "dim", None)
    if dim is not None:
        return [_plain(np.asarray(value).tolist()), str(dim)]
    if isinstance(value, float | np.floating):
        return repr(float(value))  # every digit
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    return value


def _machine() -> dict:
    """What a compiled program depends on besides its code (its spec holds the compiler flags)."""
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags")):
                cpu += "|" + line.split(":", 1)[1].strip()
    return {
        "format": BUILD_FORMAT,
        "brian2": brian2.__version__,
        "machine": platform.machine(),
        "system": platform.system(),
        "cpu": hashlib.sha256(cpu.encode()).hexdigest()[:16],
        "compiler": sysconfig.get_config_var("CXX") or "",
    }


def spec_key(spec: Mapping[str, Any]) -> str:
    """The cache key of a program: SHA-256 of ``spec`` and of the machine it is built on."""
    text = json.dumps({"spec": _plain(spec), "machine": _machine()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - Windows: no lock, the rename decides
        yield
        return
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _package_path() -> str:
    """The folder holding this ``neuroact`` package, for the builder process's import path."""
    return str(Path(__file__).resolve().parents[2])


def program(spec: Mapping[str, Any], builder: str, root: Path | str | None = None) -> Path:
    """The folder of the program built for ``spec``; built first if it is not cached.

    Parameters
    ----------
    spec : everything the program's code depends on (plain values and Brian2 quantities);
        passed to the builder and hashed into the key.
    builder : ``"module:function"`` called as ``function(spec, folder)`` in a fresh Python
        process to build the program into ``folder`` with Brian2's standalone device and to
        write its ``manifest.json``.
    root : the cache folder; default :func:`build_root`.

    Returns
    -------
    pathlib.Path
        A folder holding the program ``main`` and its ``manifest.json``.

    Raises
    ------
    RuntimeError
        The build failed (the message ends with the builder's last output lines).
    """
    root = Path(root) if root is not None else build_root()
    key = spec_key(spec)
    final = root / key
    if (final / MANIFEST).exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"{key}.lock"):
        if (final / MANIFEST).exists():  # built by another process while we waited
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".build-{key[:8]}-", dir=root))
        try:
            _build(spec, builder, tmp)
            try:
                os.rename(tmp, final)
            except OSError:  # pragma: no cover - published by a process without the lock
                if not (final / MANIFEST).exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _build(spec: Mapping[str, Any], builder: str, folder: Path) -> None:
    """Run ``builder`` in a fresh Python process, building into ``folder``."""
    with open(folder / "spec.pickle", "wb") as fh:
        pickle.dump(dict(spec), fh)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_package_path(), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "neuroact.bio.standalone", builder, str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=_BUILD_TIMEOUT_S)
    if proc.returncode != 0 or not (folder / MANIFEST).exists():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"building a Brian2 standalone program failed:\n{tail}")


def run_program(
    folder: Path | str, inputs: Mapping[str, np.ndarray], seed: int
) -> dict[str, np.ndarray]:
    """Run a built program with new input arrays and a seed; return its output arrays.

    Parameters
    ----------
    folder : a folder returned by :func:`program`.
    inputs : manifest input name -> array (converted to the variable's dtype and size).
    seed : integer >= 0 for the program's random number generators.

    Returns
    -------
    dict
        Output name (from the manifest) -> array; ``"wall_s"`` -> the simulation loop's wall
        time as the program measured it (a 0-d array).
    """
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    unknown = set(inputs) - set(manifest["inputs"])
    if unknown:
        raise ValueError(f"inputs {sorted(unknown)} unknown; expected {sorted(manifest['inputs'])}")
    with tempfile.TemporaryDirectory(prefix="neuroact_run_") as tmp:
        args = [str(folder / "main"), "--results_dir", tmp + os.sep]
        for name, values in inputs.items():
            spec = manifest["inputs"][name]
            arr = np.ascontiguousarray(values, dtype=spec["dtype"])
            if arr.size != spec["size"]:
                raise ValueError(f"{name} must have {spec['size']} values; got {arr.size}")
            path = Path(tmp) / f"input_{name}"
            arr.tofile(path)
            args.append(f"{spec['variable']}={path}")
        env = dict(os.environ, **manifest.get("environment", {}))
        env[SEED_VARIABLE] = str(int(seed))
        proc = subprocess.run(args, cwd=folder, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
            raise RuntimeError(f"the Brian2 program in {folder} failed:\n{tail}")
        out = {
            name: np.fromfile(Path(tmp) / spec["file"], dtype=spec["dtype"])
            for name, spec in manifest["outputs"].items()
        }
        info = Path(tmp) / "last_run_info.txt"
        wall = float(info.read_text().split()[0]) if info.exists() else float("nan")
    out["wall_s"] = np.asarray(wall)
    return out


def list_builds(root: Path | str | None = None) -> list[dict]:
    """The programs in the cache: key, folder, size in bytes and when each was built."""
    root = Path(root) if root is not None else build_root()
    rows = []
    for manifest in sorted(root.glob(f"*/{MANIFEST}")):
        folder = manifest.parent
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(manifest.stat().st_mtime))
        rows.append({"key": folder.name, "folder": str(folder), "bytes": size, "built": built})
    return rows


def clear_builds(root: Path | str | None = None) -> int:
    """Remove every built program (and stale locks and half-built folders); return how many
    programs were removed. Safe while nothing is building; the next call rebuilds."""
    root = Path(root) if root is not None else build_root()
    if not root.exists():
        return 0
    removed = len(list(root.glob(f"*/{MANIFEST}")))
    shutil.rmtree(root)
    return removed


def _main(argv: list[str]) -> None:
    """Builder process: ``python -m neuroact.bio.standalone module:function FOLDER``."""
    builder, folder = argv
    module, _, name = builder.partition(":")
    with open(Path(folder) / "spec.pickle", "rb") as fh:
        spec = pickle.load(fh)  # noqa: S301 - written by the parent process a moment ago
    getattr(importlib.import_module(module), name)(spec, Path(folder))


if __name__ == "__main__":
    _main(sys.argv[1:])
