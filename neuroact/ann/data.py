"""MNIST and Fashion-MNIST from the standard gzipped IDX files, verified, with a fixed split.

Where the files come from (first match wins)
---------------------------------------------
1. ``data_dir`` given to :func:`load_dataset`, else the environment variable
   ``NEUROACT_DATA_DIR``. Either may point at the dataset folder itself (the one holding the four
   ``*-idx?-ubyte.gz`` files) or at a parent folder with one sub-folder per dataset
   (``mnist/``, ``fashion-mnist/``), such as this repository's ``../shared/data``. A folder given
   this way is never downloaded into: a missing file is an error that names the file and says
   how to get it.
2. Otherwise the user cache (``pooch.os_cache("neuroact")/<name>``): missing files are
   downloaded from the canonical mirrors through ``pooch``, each checked against a known hash of
   the ``.gz`` file before use. Offline, the error names the missing file and how to provide it.

Whatever the source, the *decompressed* IDX bytes are checked against the sha256 values below
(the container hashes may differ between re-packagings: Debian's Fashion-MNIST ``.gz`` files are
recompressed, their content is identical to the upstream release). A mismatch names the file.

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
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

DATA_DIR_ENV = "NEUROACT_DATA_DIR"
SPLITS = ("train", "val", "test", "train_full")
VALIDATION_SIZE = 10_000
SUBSET_NAME = "mnist-subset"
SUBSET_FILE = "mnist_subset.npz"
SUBSET_PER_CLASS = {"train": 500, "val": 100, "test": 100}
SUBSET_SEED = 20110411  # AISTATS 2011; any fixed number would do

_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class _Source:
    title: str
    mirrors: tuple[str, ...]
    gz_hash: dict[str, str]  # known hash of the .gz as served by the mirrors (pooch format)
    content_sha256: dict[str, str]  # sha256 of the decompressed IDX bytes
    licence: str
    citation: str


SOURCES: dict[str, _Source] = {
    "mnist": _Source(
        title="MNIST handwritten digits",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        gz_hash={
            "train-images-idx3-ubyte.gz": "sha256:"
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "sha256:"
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "sha256:"
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "sha256:"
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        content_sha256={
            "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",  # noqa: E501
            "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",  # noqa: E501
            "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",  # noqa: E501
            "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",  # noqa: E501
        },
        licence="CC BY-SA 3.0",
        citation="Y. LeCun, C. Cortes, C. J. C. Burges, The MNIST database of handwritten digits",
    ),
    "fashion-mnist": _Source(
        title="Fashion-MNIST",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        # Upstream publishes md5 sums of its .gz files (the values torchvision pins).
        gz_hash={
            "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
        },
        content_sha256={
            "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",  # noqa: E501
            "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",  # noqa: E501
            "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",  # noqa: E501
            "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",  # noqa: E501
        },
        licence="MIT (Zalando SE)",
        citation="H. Xiao, K. Rasul, R. Vollgraf (2017) Fashion-MNIST, arXiv:1708.07747",
    ),
}
DATASETS = (*SOURCES, SUBSET_NAME)


class ChecksumError(ValueError):
    """A data file's decompressed content does not have the expected sha256."""


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
    except (OSError, EOFError) as exc:
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


# -------------------------------------------------------------------------------------------
# Locating and fetching the files


def _check_name(name: str) -> _Source:
    if name not in SOURCES:
        raise ValueError(f"name must be one of {list(DATASETS)}; got {name!r}")
    return SOURCES[name]


def _how_to_provide(name: str) -> str:
    src = SOURCES[name]
    urls = ", ".join(m + _FILES["train_images"] for m in src.mirrors[:1])
    return (
        f"Download the four {src.title} files ({', '.join(_FILES.values())}) from {urls} "
        f"(same folder for the others) into a folder and pass it as data_dir / --data-dir, "
        f"or set {DATA_DIR_ENV} to it (the folder itself or its parent holding '{name}/'); "
        f"or call load_dataset({name!r}) with internet access to download them into the cache; "
        f"or use the embedded subset {SUBSET_NAME!r}."
    )


def resolve_folder(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder given by ``data_dir`` or ``NEUROACT_DATA_DIR`` for data set ``name``, or None.

    A folder that itself holds ``train-images-idx3-ubyte.gz`` is used as is; otherwise its
    sub-folder ``name`` is used if it exists.
    """
    _check_name(name)
    given = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    if given is None:
        return None
    folder = Path(given).expanduser()
    if not folder.is_dir():
        where = "data_dir" if data_dir is not None else DATA_DIR_ENV
        raise FileNotFoundError(
            f"{where} = {str(given)!r} is not a folder. {_how_to_provide(name)}"
        )
    if not (folder / _FILES["train_images"]).exists() and (folder / name).is_dir():
        folder = folder / name
    return folder


def fetch(
    name: str,
    cache_dir: str | os.PathLike | None = None,
    mirrors: tuple[str, ...] | None = None,
) -> Path:
    """Make sure the four files of ``name`` are in ``cache_dir``, downloading missing ones.

    Downloads go through ``pooch.retrieve`` with the known hash of each ``.gz`` file, trying
    each mirror in turn. Returns the folder. Raises ``FileNotFoundError`` naming the first file
    that could not be fetched and how to provide it.
    """
    import pooch

    src = _check_name(name)
    folder = Path(cache_dir) if cache_dir is not None else Path(pooch.os_cache("neuroact")) / name
    mirrors = src.mirrors if mirrors is None else tuple(mirrors)
    for fname in _FILES.values():
        if (folder / fname).is_file():
            continue
        errors = []
        for base in mirrors:
            try:
                pooch.retrieve(
                    base + fname,
                    known_hash=src.gz_hash[fname],
                    fname=fname,
                    path=folder,
                    progressbar=False,
                )
                break
            except Exception as exc:  # network errors come in many types; report them all
                errors.append(f"{base}{fname}: {type(exc).__name__}: {exc}")
        else:
            raise FileNotFoundError(
                f"could not download {fname} of {name!r} into {folder} (no internet?). "
                f"Tried: {'; '.join(errors)}. {_how_to_provide(name)}"
            )
    return folder


@functools.lru_cache(maxsize=8)
def _load_arrays(folder: str, name: str, verify: bool) -> dict[str, np.ndarray]:
    src = SOURCES[name]
    arrays = {}
    for key, fname in _FILES.items():
        path = Path(folder) / fname
        if not path.is_file():
            raise FileNotFoundError(
                f"data file {fname} of {name!r} is missing from {folder}. {_how_to_provide(name)}"
            )
        arrays[key] = read_idx_gz(path, src.content_sha256[fname] if verify else None)
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
        ``fashion-mnist/``. Defaults to ``$NEUROACT_DATA_DIR``, then to the download cache.
    split : ``"train"`` (50,000), ``"val"`` (10,000, the last of the training file),
        ``"test"`` (10,000) or ``"train_full"`` (60,000). Sizes are those of MNIST; the
        embedded subset has 5,000 / 1,000 / 1,000 (``train_full`` = train + val).
    download : allow downloading into the cache when no folder is given.
    verify : check the sha256 of the decompressed files (a few tenths of a second).
    """
    _check_split(split)
    if name == SUBSET_NAME:
        return load_subset(split)
    _check_name(name)
    folder = resolve_folder(name, data_dir)
    source = str(folder) if folder is not None else "cache"
    if folder is None:
        if not download:
            raise FileNotFoundError(
                f"no data folder given for {name!r} and download=False. {_how_to_provide(name)}"
            )
        folder = fetch(name)
        source = str(folder)
    arrays = _load_arrays(str(folder.resolve()), name, verify)
    part = "test" if split == "test" else "train"
    images, labels = _split(arrays[f"{part}_images"], arrays[f"{part}_labels"], split, part)
    return Dataset(name, split, images, labels.astype(np.int64), source)


# -------------------------------------------------------------------------------------------
# The embedded subset


def subset_path() -> Path:
    """Path of the embedded subset file inside the installed package."""
    return Path(str(resources.files("neuroact") / "data" / SUBSET_FILE))


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
    from neuroact.results import atomic_path

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
