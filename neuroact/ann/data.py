"""MNIST and Fashion-MNIST from the standard gzipped IDX files, verified, with a fixed split.

Where the files come from
-------------------------
:func:`neuroact.paths.locate` finds them: ``data_dir`` or ``$NEUROACT_DATA_DIR`` first (the
data set's folder or its parent holding ``mnist/``, ``fashion-mnist/``), then the project's
``../shared/data`` when running from a checkout that has it, then the user cache, filled by a
download with pooch and the known hashes. Whatever the source, the sha256 of the
*decompressed* IDX bytes is checked (the container hashes may differ between re-packagings:
Debian's Fashion-MNIST ``.gz`` files are recompressed, their content is identical to the
upstream release); a mismatch raises :class:`ChecksumError` naming the file.

The split (fixed, as in Glorot, Bordes & Bengio 2011)
-----------------------------------------------------
``"train"`` the first 50,000 images of the official training file; ``"val"`` the last 10,000;
``"test"`` the official 10,000 test images; ``"train_full"`` all 60,000 training images.

The embedded subset ``"mnist-subset"``
---------------------------------------
A stratified subset shipped inside the package (``neuroact/data/mnist_subset.npz``, CC BY-SA 3.0,
see ``neuroact/data/README.md``): 500 images per digit from the ``"train"`` split (5,000),
100 per digit from ``"val"`` (1,000) and 100 per digit from ``"test"`` (1,000), so the
quick profile runs offline on a fresh machine. :func:`make_subset` regenerates it
deterministically from the real files.

In the torch idiom: :class:`MNIST` and :class:`FashionMNIST`
-------------------------------------------------------------
``torch.utils.data.Dataset`` classes with torchvision's signature, for a plain ``DataLoader``::

    from torch.utils.data import DataLoader
    from neuroact.ann.data import MNIST

    loader = DataLoader(MNIST(split="fit"), batch_size=64, shuffle=True)
    images, labels = next(iter(loader))  # float32 (64, 1, 28, 28) in [0, 1], int64 (64,)

Their splits follow torchvision, not :func:`load_dataset` above: ``"train"`` is the official
training file (60,000 images, :func:`load_dataset`'s ``"train_full"``), ``"test"`` the official
10,000; ``"fit"`` (its first 50,000, :func:`load_dataset`'s ``"train"``) and ``"val"`` (its last
10,000) hold out a validation set, as Glorot et al. 2011 did.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from neuroact.paths import (
    DATA_DIR_ENV,
    SOURCES,
    ChecksumError,
    fetch,
    locate,
    package_data_dir,
    where,
)
from neuroact.results import atomic_path

__all__ = [
    "DATA_DIR_ENV",
    "DATASETS",
    "SPLITS",
    "TORCH_SPLITS",
    "ChecksumError",
    "Dataset",
    "FashionMNIST",
    "MNIST",
    "load_dataset",
    "load_subset",
    "make_subset",
    "parse_idx",
    "read_idx_gz",
    "stratified_indices",
    "subset_path",
]

SPLITS = ("train", "val", "test", "train_full")
VALIDATION_SIZE = 10_000
SUBSET_NAME = "mnist-subset"
SUBSET_FILE = "mnist_subset.npz"
SUBSET_PER_CLASS = {"train": 500, "val": 100, "test": 100}
SUBSET_SEED = 20110411  # AISTATS 2011; any fixed number would do
IMAGE_SETS = ("mnist", "fashion-mnist")
DATASETS = (*IMAGE_SETS, SUBSET_NAME)

_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class Dataset:
    """One split of an image data set, kept as uint8 images and int64 labels.

    Attributes
    ----------
    name, split : which data set and which split (see the module docstring).
    images : uint8 array (n, 28, 28).
    labels : int64 array (n,), values 0-9.
    source : where the data came from (a folder, the cache or the embedded subset).
    """

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_features(self) -> int:
        return int(np.prod(self.images.shape[1:]))

    def tensors(
        self, flatten: bool = True, device: str | torch.device = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)``: float32 pixels scaled to [0, 1] (flat ``(n, 784)`` or ``(n, 1, 28, 28)``)
        and int64 labels."""
        x = torch.from_numpy(self.images).to(device=device, dtype=torch.float32).div_(255.0)
        x = x.reshape(len(self), -1) if flatten else x.reshape(len(self), 1, *self.images.shape[1:])
        return x, torch.from_numpy(self.labels).to(device)

    def take(self, n: int) -> Dataset:
        """The first ``n`` examples (a deterministic, cheap subset for tests and probes)."""
        if not isinstance(n, int | np.integer) or not 0 < n <= len(self):
            raise ValueError(f"n must be an integer in [1, {len(self)}]; got {n!r}")
        return Dataset(self.name, self.split, self.images[:n], self.labels[:n], self.source)


# -------------------------------------------------------------------------------------------
# IDX parsing and verification


def parse_idx(raw: bytes, what: str = "IDX data") -> np.ndarray:
    """Decode the IDX format (big-endian header: 0, 0, type code 0x08 = uint8, ndim; dims; data)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{what} is not an unsigned-byte IDX file (bad magic number {raw[:4]!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{what} is truncated: header says {dims}, found {data.size} bytes")
    return data.reshape(dims).copy()  # writable (torch refuses read-only buffers)


def read_idx_gz(path: str | os.PathLike, expected_sha256: str | None = None) -> np.ndarray:
    """Read one gzipped IDX file; check the sha256 of its decompressed content if given."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ChecksumError(
            f"data file {path} is corrupt (cannot be decompressed: {exc}); delete it and provide "
            "an intact copy"
        ) from exc
    if expected_sha256 is not None:
        got = hashlib.sha256(raw).hexdigest()
        if got != expected_sha256:
            raise ChecksumError(
                f"data file {path} is corrupt: the sha256 of its decompressed content is {got}, "
                f"expected {expected_sha256}; delete it and provide an intact copy"
            )
    return parse_idx(raw, what=str(path))


@functools.lru_cache(maxsize=8)
def _load_arrays(folder: str, name: str, verify: bool) -> dict[str, np.ndarray]:
    sha256 = SOURCES[name].sha256
    arrays = {}
    for key, fname in _FILES.items():
        arrays[key] = read_idx_gz(Path(folder) / fname, sha256[fname] if verify else None)
    for part in ("train", "test"):
        n_img, n_lab = len(arrays[f"{part}_images"]), len(arrays[f"{part}_labels"])
        if n_img != n_lab:
            raise ValueError(f"{name} {part}: {n_img} images but {n_lab} labels in {folder}")
    return arrays


def _split(images: np.ndarray, labels: np.ndarray, split: str, part: str):
    if part == "test":
        return images, labels
    n = len(labels)
    if split == "train":
        return images[: n - VALIDATION_SIZE], labels[: n - VALIDATION_SIZE]
    if split == "val":
        return images[n - VALIDATION_SIZE :], labels[n - VALIDATION_SIZE :]
    return images, labels  # train_full


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}; got {split!r}")


def load_dataset(
    name: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    split: str = "train",
    *,
    download: bool = True,
    verify: bool = True,
) -> Dataset:
    """Load one split of MNIST, Fashion-MNIST or the embedded MNIST subset.

    Parameters
    ----------
    name : ``"mnist"``, ``"fashion-mnist"`` or ``"mnist-subset"`` (embedded, no files needed).
    data_dir : folder with the IDX files, or its parent holding ``mnist/`` and
        ``fashion-mnist/``. Defaults to ``$NEUROACT_DATA_DIR``, then the project's
        ``../shared/data``, then the download cache (:func:`neuroact.paths.locate`).
    split : ``"train"`` (50,000), ``"val"`` (10,000, the last of the training file),
        ``"test"`` (10,000) or ``"train_full"`` (60,000). Sizes are those of MNIST; the
        embedded subset has 5,000 / 1,000 / 1,000 (``train_full`` = train + val).
    download : allow downloading into the cache when no folder is given.
    verify : check the sha256 of the decompressed files (a few tenths of a second).

    Raises
    ------
    FileNotFoundError : a file is missing and cannot be downloaded (named, with how to get it).
    ChecksumError : a file is corrupt (named).

    See Also
    --------
    neuroact.paths.where : where each data set would be read from.
    neuroact.paths.fetch : download into the cache ahead of time (``neuroact data fetch``).
    """
    _check_split(split)
    if name == SUBSET_NAME:
        return load_subset(split)
    if name not in IMAGE_SETS:
        raise ValueError(f"name must be one of {list(DATASETS)}; got {name!r}")
    folder = locate(name, data_dir, download=download)
    source = str(folder)
    arrays = _load_arrays(str(folder.resolve()), name, verify)
    part = "test" if split == "test" else "train"
    images, labels = _split(arrays[f"{part}_images"], arrays[f"{part}_labels"], split, part)
    return Dataset(name, split, images, labels.astype(np.int64), source)


# -------------------------------------------------------------------------------------------
# The embedded subset


def subset_path() -> Path:
    """Path of the embedded subset file inside the installed package."""
    return package_data_dir() / SUBSET_FILE


def stratified_indices(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """``per_class`` indices of each label drawn without replacement, sorted, reproducible."""
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if len(idx) < per_class:
            raise ValueError(f"class {c} has only {len(idx)} examples; per_class={per_class}")
        picks.append(rng.choice(idx, size=per_class, replace=False))
    return np.sort(np.concatenate(picks))


def make_subset(
    data_dir: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    per_class: dict[str, int] | None = None,
    seed: int = SUBSET_SEED,
) -> Path:
    """Regenerate the embedded stratified MNIST subset from the real files (deterministic).

    For each split, ``per_class[split]`` images per digit are drawn with
    ``numpy.random.default_rng(seed + k)`` (k = 0, 1, 2 for train, val, test) and stored in
    their original order as uint8 in a compressed ``.npz``. Returns the written path.
    """
    per_class = dict(SUBSET_PER_CLASS if per_class is None else per_class)
    arrays = {}
    for k, split in enumerate(("train", "val", "test")):
        ds = load_dataset("mnist", data_dir, split)
        idx = stratified_indices(ds.labels, per_class[split], seed + k)
        arrays[f"{split}_images"] = ds.images[idx]
        arrays[f"{split}_labels"] = ds.labels[idx].astype(np.uint8)
        arrays[f"{split}_index"] = idx.astype(np.int32)  # position within the full split
    out = Path(out) if out is not None else subset_path()
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    _subset_arrays.cache_clear()
    return out


@functools.lru_cache(maxsize=1)
def _subset_arrays() -> dict[str, np.ndarray]:
    path = subset_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"the embedded subset {path} is missing from this installation; regenerate it with "
            "neuroact.ann.data.make_subset(data_dir) from the MNIST files"
        )
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def load_subset(split: str = "train") -> Dataset:
    """One split of the embedded MNIST subset (see the module docstring)."""
    _check_split(split)
    arr = _subset_arrays()
    parts = ("train", "val") if split == "train_full" else (split,)
    images = np.concatenate([arr[f"{p}_images"] for p in parts])
    labels = np.concatenate([arr[f"{p}_labels"] for p in parts]).astype(np.int64)
    return Dataset(SUBSET_NAME, split, images, labels, f"embedded:{SUBSET_FILE}")


# -------------------------------------------------------------------------------------------
# torch.utils.data.Dataset classes (module docstring)

# torch split name -> load_dataset split name
TORCH_SPLITS = {"train": "train_full", "test": "test", "fit": "train", "val": "val"}


class _IDXImages(TorchDataset):
    """One split of an IDX image set as a ``torch.utils.data.Dataset`` (see :class:`MNIST`)."""

    name: str = ""
    classes: list[str] = []

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        download: bool = False,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ):
        if split not in TORCH_SPLITS:
            raise ValueError(
                f"split must be one of {list(TORCH_SPLITS)} (train 60,000 = fit 50,000 + val "
                f"10,000; test 10,000); got {split!r}"
            )
        if not isinstance(download, bool):
            raise TypeError(f"download must be True or False; got {download!r}")
        for what, f in (("transform", transform), ("target_transform", target_transform)):
            if f is not None and not callable(f):
                raise TypeError(f"{what} must be callable or None; got {f!r}")
        folder = self._folder(root, download)
        ds = load_dataset(self.name, folder, TORCH_SPLITS[split], download=False)
        self.split, self.root, self.source = split, root, ds.source
        self.transform, self.target_transform = transform, target_transform
        # uint8 in memory (47 MB for 60,000 images), scaled to float per item; a copy, so that
        # editing .data in place cannot change the arrays load_dataset caches
        self.data = torch.from_numpy(ds.images.copy())
        self.targets = torch.from_numpy(ds.labels.copy())

    def _folder(self, root: str | os.PathLike | None, download: bool) -> Path:
        """The folder holding the files: found by :func:`neuroact.paths.locate` (``root``, else
        ``$NEUROACT_DATA_DIR``, ``../shared/data``, the cache), downloaded if allowed."""
        if root is not None and not download and not Path(root).expanduser().is_dir():
            raise FileNotFoundError(
                f"root must be a folder holding the {self.name} files or their parent (or None "
                f"to search the usual places); {str(root)!r} is not a folder"
            )
        if root is not None and download:
            root = Path(root).expanduser()
            holder = root if any((root / f).is_file() for f in _FILES.values()) else None
            return holder or fetch(self.name, root / self.name)
        try:
            return locate(self.name, root, download=download)
        except FileNotFoundError:
            loc = where(self.name, root)
            raise FileNotFoundError(
                f"{type(self).__name__}: {loc.missing[0]} is missing from {loc.path}; pass "
                f"download=True, or run `neuroact data fetch {self.name}` once while online, or "
                f"pass root= a folder holding the four IDX files (or set {DATA_DIR_ENV})"
            ) from None

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def __getitem__(self, index: int) -> tuple[object, object]:
        image = self.data[index].unsqueeze(0).float().div_(255.0)  # (1, 28, 28) in [0, 1]
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        return f"{type(self).__name__}(split={self.split!r}, n={len(self)}, source={self.source!r})"


class MNIST(_IDXImages):
    """MNIST handwritten digits as a ``torch.utils.data.Dataset`` (LeCun et al.; CC BY-SA 3.0).

    Parameters
    ----------
    root : a folder holding the four IDX files, or its parent holding ``mnist/``. None: found
        by :func:`neuroact.paths.locate` (``$NEUROACT_DATA_DIR``, the project's
        ``../shared/data``, the user cache).
    split : ``"train"`` (the official 60,000), ``"test"`` (the official 10,000), ``"fit"``
        (the first 50,000 of train) or ``"val"`` (the last 10,000 of train).
    download : allow a verified download: into the user cache when ``root`` is None, into
        ``root/mnist`` otherwise. ``False`` with no files raises a FileNotFoundError saying how
        to get them.
    transform : called on each image, a float32 tensor ``(1, 28, 28)`` in [0, 1] (not a PIL
        image: tensor transforms such as ``torchvision.transforms.v2.Normalize`` apply).
    target_transform : called on each label, an ``int`` 0-9.

    Attributes
    ----------
    data : uint8 tensor ``(n, 28, 28)``; targets : int64 tensor ``(n,)``; classes : label names;
    source : the folder the files were read from.

    Examples
    --------
    >>> from torch.utils.data import DataLoader
    >>> val = MNIST(split="val")
    >>> images, labels = next(iter(DataLoader(val, batch_size=8)))
    >>> images.shape
    torch.Size([8, 1, 28, 28])

    See Also
    --------
    load_dataset : the same splits as uint8 arrays, with Glorot et al.'s split names.
    """

    name = "mnist"
    classes = [
        f"{d} - {w}"
        for d, w in enumerate("zero one two three four five six seven eight nine".split())
    ]


class FashionMNIST(_IDXImages):
    """Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT) as a ``torch.utils.data.Dataset``.

    Parameters and attributes as :class:`MNIST` (``root/fashion-mnist`` when downloading).
    """

    name = "fashion-mnist"
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
