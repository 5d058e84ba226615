"""Data loading: IDX parsing and verification on small files written here, the split, the
embedded subset, and the real MNIST / Fashion-MNIST files."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from torch.utils.data import DataLoader

from neuroact import paths
from neuroact.ann import data
from neuroact.ann.data import ChecksumError, load_dataset

# --- small IDX files written by the tests ---------------------------------------------------


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """The IDX encoding of a uint8 array: 0, 0, type code, ndim, big-endian dims, data."""
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, type_code, array.ndim]) + dims + array.astype(np.uint8).tobytes()


def write_tiny_set(folder, n_train: int = 12, n_test: int = 6, seed: int = 0) -> dict[str, str]:
    """Write four gzipped IDX files of random 28 x 28 images; return their content sha256s."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    content = {
        "train-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(n_train) % 10),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(n_test)[::-1] % 10),
    }
    for fname, raw in content.items():
        with gzip.open(folder / fname, "wb") as fh:
            fh.write(raw)
    return {fname: hashlib.sha256(raw).hexdigest() for fname, raw in content.items()}


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A tiny stand-in for MNIST in ``tmp_path/tiny`` (registered under the name ``mnist``,
    validation split of 4 images), outside every real data folder."""
    folder = tmp_path / "tiny"
    sha = write_tiny_set(folder)
    unreachable = ("http://127.0.0.1:9/",)  # downloadable, but never downloaded
    tiny_source = paths.Source("mnist", "tiny", "-", "-", sha, unreachable, dict.fromkeys(sha))
    monkeypatch.setitem(paths.SOURCES, "mnist", tiny_source)
    monkeypatch.setattr(data, "VALIDATION_SIZE", 4)
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    return folder


def test_parse_idx_decodes_and_rejects_bad_headers():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert_array_equal(data.parse_idx(idx_bytes(images)), images)
    with pytest.raises(ValueError, match="bad magic number"):
        data.parse_idx(idx_bytes(images, type_code=0x0D))  # 0x0D: float32 IDX
    with pytest.raises(ValueError, match="bad magic number"):
        data.parse_idx(b"\x01\x00\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match=r"truncated: header says \(5,\), found 2 bytes"):
        data.parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")


def test_tiny_set_loads_with_the_fixed_split(tiny, monkeypatch):
    full = load_dataset("mnist", tiny, "train_full")
    train, val = load_dataset("mnist", tiny, "train"), load_dataset("mnist", tiny, "val")
    test = load_dataset("mnist", tiny, "test")
    assert (len(full), len(train), len(val), len(test)) == (12, 8, 4, 6)
    assert_array_equal(val.images, full.images[8:])  # validation = the last images
    assert_array_equal(train.labels, np.arange(8) % 10)
    assert_array_equal(test.labels, np.arange(6)[::-1] % 10)
    assert train.labels.dtype == np.int64 and train.images.dtype == np.uint8
    x, y = test.tensors()
    assert x.shape == (6, 784) and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert_array_equal(x[0].numpy() * 255, test.images[0].reshape(-1).astype(np.float32))
    assert test.tensors(flatten=False)[0].shape == (6, 1, 28, 28)
    # the parent folder holding mnist/ and the environment variable find the same files
    (tiny.parent / "parent").mkdir()
    (tiny.parent / "parent" / "mnist").symlink_to(tiny)
    assert_array_equal(load_dataset("mnist", tiny.parent / "parent", "test").images, test.images)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tiny.parent / "parent"))
    assert load_dataset("mnist", split="test").source == str(tiny.parent / "parent" / "mnist")


def test_changed_content_names_the_file(tiny):
    raw = idx_bytes(np.array([1, 2, 3, 4, 5, 5]))  # valid IDX, one label differs
    with gzip.open(tiny / "t10k-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(raw)
    with pytest.raises(ChecksumError, match=r"t10k-labels-idx1-ubyte\.gz is corrupt: the sha256"):
        load_dataset("mnist", tiny, "test")


def test_truncated_gzip_names_the_file(tiny):
    path = tiny / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ChecksumError, match=r"train-images-idx3-ubyte\.gz is corrupt \(cannot"):
        load_dataset("mnist", tiny, "train")
    write_tiny_set(tiny)  # intact again, then another file that is not gzip at all
    (tiny / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz"):
        load_dataset("mnist", tiny, "test")


def test_wrong_magic_number_and_truncated_idx_name_the_file(tiny):
    with gzip.open(tiny / "t10k-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(idx_bytes(np.zeros((6, 28, 28)), type_code=0x0B))  # int16 IDX
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz is not an unsigned-byte"):
        load_dataset("mnist", tiny, "test", verify=False)
    with gzip.open(tiny / "t10k-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(idx_bytes(np.zeros((6, 28, 28)))[:-10])
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz is truncated"):
        load_dataset("mnist", tiny, "test", verify=False)


def test_images_and_labels_must_agree_in_number(tiny):
    with gzip.open(tiny / "t10k-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(idx_bytes(np.arange(5)))
    with pytest.raises(ValueError, match="6 images but 5 labels"):
        load_dataset("mnist", tiny, "test", verify=False)


def test_folder_without_files_names_the_file_and_how_to_get_it(tiny, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("mnist", empty, "train")
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and str(empty) in msg
    assert data.DATA_DIR_ENV in msg and "--data-dir" in msg and "neuroact data fetch" in msg
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_dataset("mnist", tmp_path / "nope", "test")


def test_bad_names_list_valid_ones():
    with pytest.raises(ValueError, match="fashion-mnist"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match="fashion-mnist"):
        load_dataset("fi-measured")  # a data set, but not images
    with pytest.raises(ValueError, match="train_full"):
        load_dataset("mnist", split="validation")
    with pytest.raises(ValueError, match=r"\[1, 1000\]"):
        load_dataset("mnist-subset", split="test").take(0)


def test_stratified_indices_are_balanced_sorted_and_reproducible():
    labels = np.repeat(np.arange(3), [5, 7, 9])
    idx = data.stratified_indices(labels, 4, seed=1)
    assert np.bincount(labels[idx]).tolist() == [4, 4, 4]
    assert np.all(np.diff(idx) > 0)
    assert_array_equal(idx, data.stratified_indices(labels, 4, seed=1))
    with pytest.raises(ValueError, match="class 0 has only 5"):
        data.stratified_indices(labels, 6, seed=1)


# --- the real files ----------------------------------------------------------------------------


def test_mnist_split_sizes_and_validation_is_last_10000(mnist_dir):
    full = load_dataset("mnist", mnist_dir, "train_full")
    train = load_dataset("mnist", mnist_dir, "train")
    val = load_dataset("mnist", mnist_dir, "val")
    test = load_dataset("mnist", mnist_dir, "test")
    assert (len(full), len(train), len(val), len(test)) == (60_000, 50_000, 10_000, 10_000)
    assert train.images.shape[1:] == (28, 28) and train.images.dtype == np.uint8
    assert_array_equal(val.images, full.images[50_000:])
    assert_array_equal(train.labels, full.labels[:50_000])
    assert set(np.unique(test.labels)) == set(range(10))
    # every digit appears in the validation split in roughly equal numbers
    assert np.bincount(val.labels).min() > 800
    # found the same way with no folder given (the resolver's own search)
    assert_array_equal(load_dataset("mnist", None, "test").labels, test.labels)


def test_fashion_mnist_loads_and_differs_from_mnist(fashion_mnist_dir, mnist_dir):
    f = load_dataset("fashion-mnist", fashion_mnist_dir, "test")
    m = load_dataset("mnist", mnist_dir, "test")
    assert len(f) == 10_000 and np.bincount(f.labels).tolist() == [1000] * 10
    assert not np.array_equal(f.images[:10], m.images[:10])


def test_embedded_subset_is_stratified_and_regenerates_identically(mnist_dir, tmp_path):
    sizes = {"train": 5000, "val": 1000, "test": 1000, "train_full": 6000}
    for split, n in sizes.items():
        ds = load_dataset("mnist-subset", split=split)
        assert len(ds) == n
        assert np.bincount(ds.labels).tolist() == [n // 10] * 10
    shipped = np.load(data.subset_path())
    assert data.subset_path().stat().st_size < 3_000_000
    # the subset is a true selection of the real images
    val = load_dataset("mnist", mnist_dir, "val")
    assert_array_equal(shipped["val_images"], val.images[shipped["val_index"]])
    # and make_subset reproduces it exactly
    fresh = np.load(data.make_subset(mnist_dir, tmp_path / "subset.npz"))
    for key in shipped.files:
        assert_array_equal(fresh[key], shipped[key])


# --- torch.utils.data.Dataset classes ------------------------------------------------------


def test_torch_dataset_splits_items_and_a_plain_dataloader(tiny):
    sizes = {s: len(data.MNIST(tiny, split=s)) for s in ("train", "fit", "val", "test")}
    assert sizes == {"train": 12, "fit": 8, "val": 4, "test": 6}  # validation size 4 here
    ds = data.MNIST(tiny, split="val")
    raw = load_dataset("mnist", tiny, "val")
    image, label = ds[1]
    assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
    assert_array_equal(image[0].numpy() * 255, raw.images[1].astype(np.float32))
    assert label == int(raw.labels[1]) and isinstance(label, int)
    images, labels = next(iter(DataLoader(ds, batch_size=3)))
    assert images.shape == (3, 1, 28, 28) and labels.dtype == torch.int64
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    assert_array_equal(labels.numpy(), raw.labels[:3])
    # a worker process gets a pickled copy: the same batches
    images_w, labels_w = next(iter(DataLoader(ds, batch_size=3, num_workers=1)))
    assert torch.equal(images_w, images) and torch.equal(labels_w, labels)
    # transforms see the float tensor and the int label
    flipped = data.MNIST(tiny, "val", transform=lambda t: 1 - t, target_transform=lambda y: -y)
    image2, label2 = flipped[1]
    assert torch.equal(image2, 1 - image) and label2 == -label
    ds.data[:] = 0  # a copy: the cached arrays are untouched
    assert raw.images.any() and load_dataset("mnist", tiny, "val").images.any()


def test_torch_dataset_bad_arguments_fail_before_reading(tiny, tmp_path):
    with pytest.raises(ValueError, match="split must be one of .*'fit', 'val'.*got 'train_full'"):
        data.MNIST(tiny, split="train_full")
    with pytest.raises(TypeError, match="download must be True or False; got 'yes'"):
        data.MNIST(tiny, download="yes")
    with pytest.raises(TypeError, match="transform must be callable or None; got 3"):
        data.MNIST(tiny, transform=3)
    with pytest.raises(FileNotFoundError, match="root must be a folder .* is not a folder"):
        data.MNIST(tmp_path / "nowhere")


def test_torch_dataset_without_files_says_how_to_get_them(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "project_data_dir", lambda: None)
    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(tmp_path / "cache"))
    for root in (None, tmp_path):
        with pytest.raises(FileNotFoundError) as err:
            data.MNIST(root, split="test")
        msg = str(err.value)
        assert "\n" not in msg and "download=True" in msg and "neuroact data fetch mnist" in msg
        assert "train-images-idx3-ubyte.gz is missing from" in msg
    assert not (tmp_path / "cache").exists()  # nothing written


def test_torch_dataset_downloads_into_root_or_the_cache(tiny, tmp_path, monkeypatch, http_mirror):
    served = tmp_path / "served"
    (served / "mnist").mkdir(parents=True)
    for f in tiny.iterdir():
        (served / "mnist" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv(paths.DATA_URL_ENV, http_mirror(served))
    monkeypatch.setattr(paths, "project_data_dir", lambda: None)
    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(tmp_path / "cache"))
    ds = data.MNIST(tmp_path / "mine", split="test", download=True)
    assert len(ds) == 6 and (tmp_path / "mine" / "mnist" / "t10k-images-idx3-ubyte.gz").is_file()
    assert len(data.MNIST(split="fit", download=True)) == 8
    assert (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").is_file()


def test_real_mnist_and_fashion_mnist_as_torch_datasets(mnist_dir, fashion_mnist_dir):
    sizes = {s: len(data.MNIST(split=s)) for s in ("train", "fit", "val", "test")}
    assert sizes == {"train": 60_000, "fit": 50_000, "val": 10_000, "test": 10_000}
    train, val = data.MNIST(split="train"), data.MNIST(split="val")
    assert torch.equal(val.data, train.data[50_000:])  # val = the last 10,000 of train
    assert torch.equal(val[0][0][0], train.data[50_000].float() / 255)
    fashion = data.FashionMNIST(fashion_mnist_dir, split="test")
    assert np.bincount(fashion.targets.numpy()).tolist() == [1000] * 10
    assert fashion.classes[int(fashion.targets[0])] == "Ankle boot"  # the first test image
    assert data.MNIST.classes[7] == "7 - seven"
