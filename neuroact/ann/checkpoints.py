"""Training checkpoints: written atomically, one previous copy kept, damaged files set aside.

:func:`neuroact.ann.train.train` saves a checkpoint after every epoch. Each save first renames
the existing file to ``<name>.prev`` and then writes the new one atomically (temporary file,
then rename), so at any moment the folder holds the newest complete checkpoint, the one before
it, or both.

On resume, :func:`resume_state` reads the newest checkpoint that loads. A file that cannot be
read back (empty, truncated, garbage, or a pickle that is not a training checkpoint) is moved
aside to ``<name>.damaged`` with a warning naming it, and training resumes from the previous
checkpoint, or from scratch if there is none: a damaged file costs at most the epochs since the
last good one, never the run.

See Also
--------
neuroact.results.atomic_path : the atomic write underneath.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch

from neuroact.results import atomic_path

# What :func:`neuroact.ann.train.train` stores; a file without these keys is not a checkpoint.
CHECKPOINT_KEYS = (
    "epoch",
    "config",
    "model",
    "optimizer",
    "scheduler",
    "generator",
    "history",
    "layers",
)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read back (empty, truncated, not a checkpoint)."""


def previous_path(path: str | os.PathLike) -> Path:
    """Where the checkpoint before the newest one is kept: ``<name>.prev``."""
    path = Path(path)
    return path.with_name(path.name + ".prev")


def damaged_path(path: str | os.PathLike) -> Path:
    """Where a checkpoint that cannot be read is moved: ``<name>.damaged``."""
    path = Path(path)
    return path.with_name(path.name + ".damaged")


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` to ``path`` atomically, keeping the file it replaces as ``<name>.prev``."""
    path = Path(path)
    if path.is_file():
        os.replace(path, previous_path(path))
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    """The dict saved by :func:`neuroact.ann.train.train` (keys :data:`CHECKPOINT_KEYS`).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    CheckpointError
        the file exists but is empty, truncated, garbage or not a training checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        # weights_only=False: the history holds plain Python rows next to the tensors
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch.load raises EOFError, RuntimeError, UnpicklingError, ...
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc})"
        ) from exc
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} is not a training checkpoint (no {missing})")
    return state


def resume_state(path: str | os.PathLike) -> dict | None:
    """The newest readable checkpoint of ``path`` (itself, else ``<name>.prev``), or None.

    A file that exists but cannot be read is moved to ``<name>.damaged`` (replacing an older
    one there) with a ``RuntimeWarning`` that names it and says where training resumes from.
    """
    path = Path(path)
    for candidate in (path, previous_path(path)):
        if not candidate.is_file():
            continue
        try:
            return load_checkpoint(candidate)
        except CheckpointError as exc:
            aside = damaged_path(candidate)
            os.replace(candidate, aside)
            fallback = previous_path(path)
            then = (
                f"trying the previous checkpoint {fallback}"
                if candidate == path and fallback.is_file()
                else "training restarts from scratch"
            )
            warnings.warn(f"{exc}; moved to {aside}, {then}", RuntimeWarning, stacklevel=3)
    return None


def discard_checkpoint(path: str | os.PathLike) -> None:
    """Delete the checkpoint ``path`` and its previous copy (a finished run needs neither)."""
    for candidate in (Path(path), previous_path(path)):
        candidate.unlink(missing_ok=True)
