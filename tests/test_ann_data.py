"""Data loading: real MNIST / Fashion-MNIST files, the split, the embedded subset, bad input."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from neuroact.ann import data
from neuroact.ann.data import ChecksumError, load_dataset


def test_mnist_split_sizes_and_validation_is_last_10000(data_root):
    full = load_dataset("mnist", data_root, "train_full")
    train = load_dataset("mnist", data_root, "train")
    val = load_dataset("mnist", data_root, "val")
    test = load_dataset("mnist", data_root, "test")
    assert (len(full), len(train), len(val), len(test)) == (60_000, 50_000, 10_000, 10_000)
    assert train.images.shape[1:] == (28, 28) and train.images.dtype == np.uint8
    assert_array_equal(val.images, full.images[50_000:])
    assert_array_equal(train.labels, full.labels[:50_000])
    assert set(np.unique(test.labels)) == set(range(10))
    # every digit appears in the validation split in roughly equal numbers
    assert np.bincount(val.labels).min() > 800


def test_dataset_folder_parent_folder_and_env_var_agree(data_root, monkeypatch):
    a = load_dataset("mnist", data_root / "mnist", "test")
    b = load_dataset("mnist", data_root, "test")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_root))
    c = load_dataset("mnist", None, "test")
    assert_array_equal(a.images, b.images)
    assert_array_equal(a.labels, c.labels)
    x, y = a.tensors()
    assert x.shape == (10_000, 784) and float(x.max()) == 1.0 and float(x.min()) == 0.0
    assert a.tensors(flatten=False)[0].shape == (10_000, 1, 28, 28)


def test_fashion_mnist_loads_and_differs_from_mnist(data_root):
    f = load_dataset("fashion-mnist", data_root, "test")
    m = load_dataset("mnist", data_root, "test")
    assert len(f) == 10_000 and np.bincount(f.labels).tolist() == [1000] * 10
    assert not np.array_equal(f.images[:10], m.images[:10])


def test_embedded_subset_is_stratified_and_regenerates_identically(data_root, tmp_path):
    sizes = {"train": 5000, "val": 1000, "test": 1000, "train_full": 6000}
    for split, n in sizes.items():
        ds = load_dataset("mnist-subset", split=split)
        assert len(ds) == n
        assert np.bincount(ds.labels).tolist() == [n // 10] * 10
    shipped = np.load(data.subset_path())
    assert data.subset_path().stat().st_size < 3_000_000
    # the subset is a true selection of the real images
    val = load_dataset("mnist", data_root, "val")
    assert_array_equal(shipped["val_images"], val.images[shipped["val_index"]])
    # and make_subset reproduces it exactly
    fresh = np.load(data.make_subset(data_root, tmp_path / "subset.npz"))
    for key in shipped.files:
        assert_array_equal(fresh[key], shipped[key])


def test_folder_without_files_names_the_file_and_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("mnist", tmp_path, "train")
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and str(tmp_path) in msg
    assert data.DATA_DIR_ENV in msg and "data_dir" in msg and "https://" in msg


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_dataset("mnist", tmp_path / "nope", "test")


def test_offline_download_failure_names_file_and_alternatives(tmp_path, monkeypatch):
    # an unroutable local port: fails at once, nothing is downloaded
    with pytest.raises(FileNotFoundError) as err:
        data.fetch("mnist", cache_dir=tmp_path, mirrors=("http://127.0.0.1:9/",))
    msg = str(err.value)
    assert "could not download train-images-idx3-ubyte.gz" in msg
    assert data.DATA_DIR_ENV in msg and "mnist-subset" in msg
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_dataset("mnist", None, "test", download=False)


def _copy_with_corrupt(data_root, tmp_path, name, content: bytes | None, raw: bytes | None = None):
    """Link the real files into tmp_path, replacing ``name`` with corrupted bytes."""
    for fname in data._FILES.values():
        if fname != name:
            os.symlink(data_root / "mnist" / fname, tmp_path / fname)
    target = tmp_path / name
    if raw is not None:
        target.write_bytes(raw)
    else:
        with gzip.open(target, "wb") as fh:
            fh.write(content)


def test_checksum_mismatch_names_the_file(data_root, tmp_path):
    with gzip.open(data_root / "mnist" / "t10k-labels-idx1-ubyte.gz", "rb") as fh:
        content = bytearray(fh.read())
    content[100] = (content[100] + 1) % 10  # one label changed: still valid IDX
    _copy_with_corrupt(data_root, tmp_path, "t10k-labels-idx1-ubyte.gz", bytes(content))
    with pytest.raises(ChecksumError) as err:
        load_dataset("mnist", tmp_path, "test")
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value) and "sha256" in str(err.value)


def test_truncated_gzip_names_the_file(data_root, tmp_path):
    raw = (data_root / "mnist" / "train-labels-idx1-ubyte.gz").read_bytes()
    _copy_with_corrupt(
        data_root, tmp_path, "train-labels-idx1-ubyte.gz", None, raw[: len(raw) // 2]
    )
    with pytest.raises(ChecksumError, match="train-labels-idx1-ubyte.gz"):
        load_dataset("mnist", tmp_path, "train")


def test_parse_idx_rejects_bad_headers():
    with pytest.raises(ValueError, match="magic"):
        data.parse_idx(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="truncated"):
        data.parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    assert_array_equal(data.parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x02\x07\x09"), [7, 9])


def test_bad_names_list_valid_ones(data_root):
    with pytest.raises(ValueError, match="fashion-mnist"):
        load_dataset("cifar10", data_root)
    with pytest.raises(ValueError, match="train_full"):
        load_dataset("mnist", data_root, "validation")
    with pytest.raises(ValueError, match=r"\[1, 1000\]"):
        load_dataset("mnist-subset", split="test").take(0)


def test_download_path_with_known_hashes_from_a_local_mirror(data_root, tmp_path):
    """The pooch download path, against a local HTTP server holding the real files (no internet):
    files are fetched, their .gz hash checked, and the result loads and verifies."""
    import functools
    import http.server
    import threading

    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(data_root / "mnist")
    )
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        mirror = f"http://127.0.0.1:{server.server_address[1]}/"
        folder = data.fetch("mnist", cache_dir=tmp_path, mirrors=("http://127.0.0.1:9/", mirror))
    finally:
        server.shutdown()
    assert sorted(p.name for p in folder.glob("*.gz")) == sorted(data._FILES.values())
    test = load_dataset("mnist", folder, "test")
    assert_array_equal(test.labels, load_dataset("mnist", data_root, "test").labels)
