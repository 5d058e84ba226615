"""Where data sets are found (the search order), downloads from a local mirror with their
hashes, the measured cells shipped in the package, and the output-folder check."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from neuroact import paths
from neuroact.compare.measured import read_fi_table

CSV = b"cell,rate_Hz\na,1.5\nb,0.0\n"
IDX = b"\x00\x00\x08\x01\x00\x00\x00\x02\x07\x09"  # a gzipped IDX file holds these bytes


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _write(folder, csv: bytes = CSV) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cells.csv").write_bytes(csv)
    with gzip.open(folder / "image.gz", "wb") as fh:
        fh.write(IDX)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A downloadable data set ``tiny`` (a CSV and a gzipped file) on a mirror folder
    ``tmp_path/mirror/tiny``; an empty cache, no project data folder, no environment set."""
    mirror = tmp_path / "mirror"
    _write(mirror / "tiny")
    gz_sha = _sha((mirror / "tiny" / "image.gz").read_bytes())
    source = paths.Source(
        "tiny",
        "a tiny data set",
        "CC0",
        "-",
        sha256={"cells.csv": _sha(CSV), "image.gz": _sha(IDX)},
        mirrors=("http://127.0.0.1:9/",),  # a closed port: fails at once
        known_hash={"cells.csv": f"sha256:{_sha(CSV)}", "image.gz": f"sha256:{gz_sha}"},
    )
    monkeypatch.setitem(paths.SOURCES, "tiny", source)
    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(paths.DATA_URL_ENV, raising=False)
    monkeypatch.setattr(paths, "_REPO_ROOT", tmp_path / "repo")  # a checkout without shared/
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "pyproject.toml").touch()
    return mirror


def test_search_order_given_folder_env_project_cache(tiny, tmp_path, monkeypatch):
    given, parent = tmp_path / "given", tmp_path / "parent"
    _write(given)
    _write(parent / "tiny")
    _write(tmp_path / "shared" / "data" / "tiny")
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(parent))
    assert paths.where("tiny", given) == paths.Location("tiny", given, "data_dir")
    assert paths.where("tiny") == paths.Location("tiny", parent / "tiny", paths.DATA_DIR_ENV)
    monkeypatch.delenv(paths.DATA_DIR_ENV)
    project = tmp_path / "shared" / "data" / "tiny"
    assert paths.where("tiny") == paths.Location("tiny", project, "project")
    assert paths.locate("tiny") == project
    # an installed package (no pyproject.toml at its root) never looks beside itself
    (tmp_path / "repo" / "pyproject.toml").unlink()
    loc = paths.where("tiny")
    assert (loc.origin, loc.path) == ("cache", tmp_path / "cache" / "tiny")
    assert loc.missing == ("cells.csv", "image.gz") and loc.url == "http://127.0.0.1:9/"
    monkeypatch.setenv(paths.DATA_URL_ENV, "http://localhost:8000/data")
    assert paths.where("tiny").url == "http://localhost:8000/data/tiny/"


def test_given_folder_is_final_and_never_downloaded_into(tiny, tmp_path):
    partial = tmp_path / "partial"
    _write(partial)
    (partial / "image.gz").unlink()
    loc = paths.where("tiny", partial)
    assert (loc.origin, loc.missing, loc.url) == ("data_dir", ("image.gz",), None)
    with pytest.raises(FileNotFoundError) as err:
        paths.locate("tiny", partial)
    msg = str(err.value)
    assert f"image.gz of 'tiny' is missing from {partial}" in msg
    assert "--data-dir" in msg and paths.DATA_DIR_ENV in msg and "neuroact data fetch tiny" in msg
    assert not (tmp_path / "cache").exists()
    with pytest.raises(FileNotFoundError, match=r"data_dir = '.*nope' is not a folder"):
        paths.where("tiny", tmp_path / "nope")


def test_download_from_the_data_url_fills_the_cache_and_verifies(tiny, http_mirror, monkeypatch):
    monkeypatch.setenv(paths.DATA_URL_ENV, http_mirror(tiny))
    folder = paths.locate("tiny")
    assert folder == paths.cache_dir() / "tiny"
    assert (folder / "cells.csv").read_bytes() == CSV
    assert gzip.decompress((folder / "image.gz").read_bytes()) == IDX
    monkeypatch.setenv(paths.DATA_URL_ENV, "http://127.0.0.1:9/")
    assert paths.locate("tiny") == folder  # found in the cache: nothing downloaded again
    assert paths.where("tiny").origin == "cache" and paths.where("tiny").complete


def test_canonical_mirrors_check_the_served_files_hash(tiny, http_mirror, monkeypatch, tmp_path):
    src = paths.SOURCES["tiny"]
    url = http_mirror(tiny) + "tiny/"
    monkeypatch.setitem(paths.SOURCES, "tiny", paths.Source(**{**vars(src), "mirrors": (url,)}))
    folder = paths.fetch("tiny", tmp_path / "ok")
    assert sorted(p.name for p in folder.iterdir()) == ["cells.csv", "image.gz"]
    # a served file whose container hash is not the known one is refused by pooch
    bad = {**src.known_hash, "cells.csv": "sha256:" + "0" * 64}
    bad_src = paths.Source(**{**vars(src), "mirrors": ("http://127.0.0.1:9/", url)})
    monkeypatch.setitem(paths.SOURCES, "tiny", paths.Source(**{**vars(bad_src), "known_hash": bad}))
    with pytest.raises(FileNotFoundError) as err:
        paths.fetch("tiny", tmp_path / "bad")
    assert "could not download cells.csv of 'tiny'" in str(err.value)
    assert "does not match the known hash" in str(err.value)
    assert not (tmp_path / "bad" / "cells.csv").exists()


def test_downloaded_file_with_wrong_content_is_named_and_removed(tiny, http_mirror, monkeypatch):
    (tiny / "tiny" / "cells.csv").write_bytes(CSV.replace(b"1.5", b"2.5"))
    monkeypatch.setenv(paths.DATA_URL_ENV, http_mirror(tiny))
    with pytest.raises(paths.ChecksumError, match=r"cells\.csv is corrupt: the sha256"):
        paths.locate("tiny")
    assert not (paths.cache_dir() / "tiny" / "cells.csv").exists()  # the next try downloads again


def test_offline_download_names_the_file_and_the_alternatives(tiny):
    with pytest.raises(FileNotFoundError) as err:
        paths.locate("tiny")
    msg = str(err.value)
    assert "could not download cells.csv of 'tiny'" in msg and "http://127.0.0.1:9/cells.csv" in msg
    assert paths.DATA_DIR_ENV in msg and "--data-dir" in msg
    with pytest.raises(FileNotFoundError, match=r"\(cache and download=False\)"):
        paths.locate("tiny", download=False)


def test_fetch_rejects_unknown_and_shipped_data_sets():
    with pytest.raises(ValueError, match=r"one of \['mnist', 'fashion-mnist', 'fi-measured'\]"):
        paths.fetch("cifar10")
    with pytest.raises(ValueError, match="ships inside the package"):
        paths.fetch("fi-measured")


def test_content_sha256_reads_through_gzip_and_names_a_broken_file(tmp_path):
    _write(tmp_path)
    assert paths.content_sha256(tmp_path / "image.gz") == _sha(IDX)
    assert paths.content_sha256(tmp_path / "cells.csv") == _sha(CSV)
    (tmp_path / "image.gz").write_bytes(b"\x1f\x8b\x08\x00 cut")
    with pytest.raises(paths.ChecksumError, match=r"image\.gz is corrupt \(cannot be decompressed"):
        paths.content_sha256(tmp_path / "image.gz")


# --- the measured cells, shipped in the package ---------------------------------------------


def test_measured_cells_ship_in_the_package_with_attribution(tiny, tmp_path):
    shipped = paths.package_data_dir() / "fi-measured"
    for fname, sha in paths.SOURCES["fi-measured"].sha256.items():
        paths.verify_file(shipped / fname, sha)
    readme = (shipped / "README.md").read_text()
    assert "CC BY 4.0" in readme and "Blue Brain Project" in readme
    # no data folder, no project folder (the tiny fixture): the package copy is read
    assert paths.measured_fi_table() == shipped / "bbp_sscx_rat_L5TPC_fI_per_sweep_44cells.csv"
    # a given folder without fi-measured/ falls through to the package copy too
    assert paths.measured_fi_table(tmp_path).parent == shipped
    curves = read_fi_table(
        paths.measured_fi_table(),
        cell_col="cell_id",
        current_col="total_current_pA",
        rate_col="rate_Hz",
    )
    assert len(curves) == 44 and len(curves.data) == 2352


def test_a_changed_measured_table_is_named(tmp_path):
    folder = tmp_path / "fi-measured"
    folder.mkdir()
    shipped = paths.package_data_dir() / "fi-measured"
    for fname in paths.SOURCES["fi-measured"].files:
        (folder / fname).write_bytes((shipped / fname).read_bytes())
    with open(folder / "bbp_sscx_rat_L5TPC_fI_per_sweep_44cells.csv", "ab") as fh:
        fh.write(b"C0,x,rat,IDrest,1,10,0,10,99,49.5,0,2000,0,0.25,made up\n")
    with pytest.raises(paths.ChecksumError, match="bbp_sscx_rat_L5TPC_fI_per_sweep_44cells.csv"):
        paths.measured_fi_table(tmp_path)


def test_find_file_of_another_table_goes_under_the_given_folder(tmp_path):
    assert paths.find_file("my-lab/steps.csv", tmp_path) == tmp_path / "my-lab" / "steps.csv"


# --- output folders ---------------------------------------------------------------------------
