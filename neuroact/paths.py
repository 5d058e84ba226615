"""Where neuroact reads its data sets and writes its results.

Data sets
---------
:data:`SOURCES` lists the data sets neuroact knows: ``mnist`` and ``fashion-mnist`` (four
gzipped IDX files each, downloadable) and ``fi-measured`` (f-I curves of 44 measured rat L5
pyramidal cells, shipped inside the package). :func:`locate` finds the folder of one data set;
the first match wins:

1. ``data_dir`` (the command line's ``--data-dir``), else the environment variable
   ``NEUROACT_DATA_DIR``: the data set's own folder or a parent holding ``<name>/``. A folder
   given this way is never downloaded into: a missing file of a downloadable data set is an
   error naming the file and how to get it (a shipped data set falls through to 3).
2. ``../shared/data/<name>`` beside the repository root, when neuroact runs from a source
   checkout that has it (a convenience of the project's machines, never a requirement).
3. A shipped data set: its copy inside the package (``neuroact/data/<name>/``). A downloadable
   one: the user cache (``$NEUROACT_CACHE_DIR``, else pooch's OS cache folder, e.g.
   ``~/.cache/neuroact``), filled on first use by a download with pooch from the canonical
   mirrors, each file checked against its known hash. ``NEUROACT_DATA_URL`` replaces the
   mirrors by one laid out like ``../shared/data`` (``<url>/<name>/<file>``); the container
   hashes are not checked there, since a re-packaged ``.gz`` differs in its bytes, but the
   content is.

Whatever the source, the sha256 of each file's *content* (decompressed, for ``.gz`` files) is
checked against :data:`SOURCES`; a mismatch raises :class:`ChecksumError` naming the file.

See Also
--------
neuroact.ann.data.load_dataset : MNIST and Fashion-MNIST splits from the located files.
neuroact.compare.measured.read_fi_table : reads :func:`measured_fi_table`.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import logging
import os
import sys
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from neuroact.results import check_writable_dir

__all__ = [
    "SOURCES",
    "DATA_DIR_ENV",
    "CACHE_DIR_ENV",
    "DATA_URL_ENV",
    "MEASURED_FI_TABLE",
    "ChecksumError",
    "Source",
    "Location",
    "source",
    "locate",
    "where",
    "fetch",
    "find_file",
    "measured_fi_table",
    "content_sha256",
    "verify_file",
    "cache_dir",
    "project_data_dir",
    "package_data_dir",
]

DATA_DIR_ENV = "NEUROACT_DATA_DIR"
CACHE_DIR_ENV = "NEUROACT_CACHE_DIR"
DATA_URL_ENV = "NEUROACT_DATA_URL"
MEASURED_FI_TABLE = "fi-measured/bbp_sscx_rat_L5TPC_fI_per_sweep_44cells.csv"

log = logging.getLogger(__name__)

# A source checkout (not an installed wheel) has pyproject.toml at its root.
_REPO_ROOT = Path(__file__).resolve().parents[1]
_IDX = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _idx(*hashes: str) -> dict[str, str]:
    """The four IDX files' names, mapped to ``hashes`` in the order of ``_IDX``."""
    return dict(zip(_IDX, hashes, strict=True))


@dataclass(frozen=True)
class Source:
    """One data set: its files, their hashes, where to download them, its licence.

    Attributes
    ----------
    name : the key (also the folder name).
    title, licence, citation : what it is, under which terms, whom to credit.
    sha256 : file name -> sha256 of its content (decompressed for ``.gz`` files).
    mirrors : base URLs, each followed by the file name; empty for a shipped data set.
    known_hash : file name -> pooch ``known_hash`` of the file as the mirrors serve it.
    """

    name: str
    title: str
    licence: str
    citation: str
    sha256: dict[str, str]
    mirrors: tuple[str, ...] = ()
    known_hash: dict[str, str] = field(default_factory=dict)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self.sha256)

    @property
    def shipped(self) -> bool:
        """True for a data set that ships inside the package (nothing to download)."""
        return not self.mirrors


SOURCES: dict[str, Source] = {
    "mnist": Source(
        name="mnist",
        title="MNIST handwritten digits",
        licence="CC BY-SA 3.0",
        citation="Y. LeCun, C. Cortes, C. J. C. Burges, The MNIST database of handwritten digits",
        sha256=_idx(
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        known_hash=_idx(
            "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ),
    "fashion-mnist": Source(
        name="fashion-mnist",
        title="Fashion-MNIST",
        licence="MIT (Zalando SE)",
        citation="H. Xiao, K. Rasul, R. Vollgraf (2017) Fashion-MNIST, arXiv:1708.07747",
        sha256=_idx(
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        # Upstream publishes md5 sums of its .gz files (the values torchvision pins).
        known_hash=_idx(
            "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "md5:25c81989df183df01b3e8a0aad5dffbe",
            "md5:bef4ecab320f06d8554ea6380940ec79",
            "md5:bb300cfdad3c16e7a12a480ee83cd310",
        ),
    ),
    "fi-measured": Source(
        name="fi-measured",
        title="Measured f-I curves of 44 rat somatosensory L5 thick-tufted pyramidal cells",
        licence="CC BY 4.0",
        citation="Blue Brain Project, BlueBrain/SSCxEModelExamples (Reva et al. 2023, Patterns)",
        sha256={
            "bbp_sscx_rat_L5TPC_fI_per_sweep_44cells.csv": (
                "611a93ccd06a11dda43f1bd4230cc720b405095e71e4f5d6e5baa48ba0836f2c"
            ),
            "bbp_sscx_rat_L5TPC_cells_summary.csv": (
                "0f784fba1ac156cd5fc845ed105a94e5a4210202083224ebb77783be9bc85d8c"
            ),
        },
    ),
}


class ChecksumError(ValueError):
    """A data file's content does not have the expected sha256 (or cannot be decompressed)."""


@dataclass(frozen=True)
class Location:
    """Where a data set would be read from, as :func:`where` finds it (nothing is read).

    Attributes
    ----------
    name : the data set.
    path : its folder.
    origin : ``"data_dir"``, ``"NEUROACT_DATA_DIR"``, ``"project"``, ``"package"`` or ``"cache"``.
    missing : files not present in ``path`` (a cache folder fills them by download).
    url : base URL the missing files would be downloaded from (None when nothing would be).
    """

    name: str
    path: Path
    origin: str
    missing: tuple[str, ...] = ()
    url: str | None = None

    @property
    def complete(self) -> bool:
        return not self.missing


# -------------------------------------------------------------------------------------------
# The candidate folders


def source(name: str) -> Source:
    """The :class:`Source` of data set ``name``; a ValueError lists the known names."""
    if name not in SOURCES:
        raise ValueError(f"data set name must be one of {list(SOURCES)}; got {name!r}")
    return SOURCES[name]


def project_data_dir() -> Path | None:
    """``../shared/data`` beside the repository root of a source checkout, or None."""
    folder = _REPO_ROOT.parent / "shared" / "data"
    if (_REPO_ROOT / "pyproject.toml").is_file() and folder.is_dir():
        return folder
    return None


def package_data_dir() -> Path:
    """The folder of the data shipped inside the installed package (``neuroact/data``)."""
    return Path(str(resources.files("neuroact") / "data"))


def cache_dir() -> Path:
    """The user cache for downloads: ``$NEUROACT_CACHE_DIR``, else pooch's OS cache folder."""
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        return Path(given).expanduser()
    import pooch  # optional at import time: only downloads need it

    return Path(pooch.os_cache("neuroact"))


def _mirrors(src: Source) -> tuple[tuple[str, ...], bool]:
    """Base URLs for ``src`` and whether the container hashes apply to them."""
    base = os.environ.get(DATA_URL_ENV)
    if base:
        return (f"{base.rstrip('/')}/{src.name}/",), False
    return src.mirrors, True


def _explicit(data_dir: str | os.PathLike | None) -> tuple[Path, str] | None:
    given = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    if given is None:
        return None
    origin = "data_dir" if data_dir is not None else DATA_DIR_ENV
    folder = Path(given).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{origin} = {str(given)!r} is not a folder; expected a folder holding the data "
            f"set's files or one sub-folder per data set ({', '.join(SOURCES)})"
        )
    return folder, origin


def _in_folder(folder: Path, src: Source) -> Path | None:
    """``folder`` if it holds a file of ``src``, else its sub-folder ``src.name`` if present."""
    if any((folder / f).is_file() for f in src.files):
        return folder
    if (folder / src.name).is_dir():
        return folder / src.name
    return None


def _missing(folder: Path, src: Source) -> tuple[str, ...]:
    return tuple(f for f in src.files if not (folder / f).is_file())


def where(name: str, data_dir: str | os.PathLike | None = None) -> Location:
    """Where data set ``name`` would be read from (module docstring), without reading it.

    Parameters
    ----------
    name : a key of :data:`SOURCES`.
    data_dir : a folder given by the caller; default ``$NEUROACT_DATA_DIR``.

    Returns
    -------
    Location : the folder, which rule found it, and the files missing there.

    See Also
    --------
    locate : the same search, then download or raise for missing files.
    """
    src = source(name)
    explicit = _explicit(data_dir)
    if explicit is not None:
        folder = _in_folder(explicit[0], src)
        if folder is not None and not (src.shipped and _missing(folder, src)):
            return Location(name, folder, explicit[1], _missing(folder, src))
        if not src.shipped:  # a given folder is final for a downloadable data set
            return Location(name, folder or explicit[0], explicit[1], src.files)
    project = project_data_dir()
    if project is not None and (project / name).is_dir() and not _missing(project / name, src):
        return Location(name, project / name, "project")
    if src.shipped:
        folder = package_data_dir() / name
        return Location(name, folder, "package", _missing(folder, src))
    folder = cache_dir() / name
    missing = _missing(folder, src)
    return Location(name, folder, "cache", missing, _mirrors(src)[0][0] if missing else None)


def _how_to_provide(src: Source) -> str:
    urls = " or ".join(_mirrors(src)[0])
    return (
        f"Run `neuroact data fetch {src.name}` with internet access (it downloads into "
        f"{cache_dir() / src.name}), or download {', '.join(src.files)} from {urls} into a "
        f"folder and pass it as data_dir / --data-dir, or set {DATA_DIR_ENV} to it (the folder "
        f"itself or its parent holding '{src.name}/')."
    )


def locate(name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True) -> Path:
    """The folder holding every file of data set ``name``, downloading into the cache if needed.

    Parameters
    ----------
    name : a key of :data:`SOURCES`.
    data_dir : a folder given by the caller; default ``$NEUROACT_DATA_DIR`` (module docstring).
    download : allow a download into the user cache when that is where the files would be.

    Raises
    ------
    FileNotFoundError : a file is missing and cannot be downloaded; the message names the file
        and how to provide it.

    See Also
    --------
    where : the same search without downloading.
    """
    loc = where(name, data_dir)
    if loc.complete:
        log.debug("%s: reading %s (%s)", name, loc.path, loc.origin)
        return loc.path
    src = SOURCES[name]
    if loc.origin == "cache" and download:
        return fetch(name)
    why = "" if loc.origin != "cache" else " and download=False"
    raise FileNotFoundError(
        f"data file {loc.missing[0]} of {name!r} is missing from {loc.path} ({loc.origin}{why}). "
        f"{_how_to_provide(src)}"
    )


# -------------------------------------------------------------------------------------------
# Downloading and verifying


def content_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's content: of the decompressed bytes for a ``.gz`` file.

    Raises :class:`ChecksumError` naming the file when a ``.gz`` file cannot be decompressed
    (truncated or not gzip).
    """
    path = Path(path)
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ChecksumError(
            f"data file {path} is corrupt (cannot be decompressed: {exc}); delete it and provide "
            "an intact copy"
        ) from exc
    return digest.hexdigest()


def verify_file(path: str | os.PathLike, expected_sha256: str) -> Path:
    """Check the sha256 of ``path``'s content; raise :class:`ChecksumError` naming it if not."""
    got = content_sha256(path)
    if got != expected_sha256:
        raise ChecksumError(
            f"data file {path} is corrupt: the sha256 of its content is {got}, expected "
            f"{expected_sha256}; delete it and provide an intact copy"
        )
    return Path(path)


def _retrieve(url: str, known_hash: str | None, folder: Path, fname: str) -> None:
    import pooch  # optional at import time: only downloads need it

    pooch.retrieve(
        url, known_hash=known_hash, fname=fname, path=folder, progressbar=sys.stderr.isatty()
    )


def _download(src: Source, fname: str, folder: Path) -> None:
    """Download one file of ``src`` into ``folder``, trying each mirror in turn."""
    mirrors, container_hash = _mirrors(src)
    errors = []
    for base in mirrors:
        log.info("downloading %s%s into %s", base, fname, folder)
        try:
            _retrieve(
                base + fname, src.known_hash[fname] if container_hash else None, folder, fname
            )
            return
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS):
                raise  # the folder, not the mirror, is at fault: no point trying another
            errors.append(f"{base}{fname}: {type(exc).__name__}: {exc}")
        except Exception as exc:  # network and hash errors come in many types; report them all
            errors.append(f"{base}{fname}: {type(exc).__name__}: {exc}")
    raise FileNotFoundError(
        f"could not download {fname} of {src.name!r} into {folder} (no internet?). "
        f"Tried: {'; '.join(errors)}. {_how_to_provide(src)}"
    )


def fetch(name: str, folder: str | os.PathLike | None = None) -> Path:
    """Download the missing files of data set ``name`` and verify every file's content.

    Parameters
    ----------
    name : a downloadable key of :data:`SOURCES` (``mnist``, ``fashion-mnist``).
    folder : where to put the files; default the user cache, ``cache_dir() / name``.

    Returns
    -------
    Path : the folder, holding every file, each verified.

    Raises
    ------
    ValueError : ``name`` is unknown or shipped in the package (nothing to download).
    FileNotFoundError : a file could not be downloaded from any mirror (named, with how to
        provide it).
    ChecksumError : a file's content has the wrong sha256; a file just downloaded is deleted
        first, so that the next call downloads it again.
    """
    src = source(name)
    if src.shipped:
        raise ValueError(
            f"data set name {name!r} ships inside the package ({package_data_dir() / name}); "
            f"downloadable: {[n for n, s in SOURCES.items() if not s.shipped]}"
        )
    folder = Path(folder).expanduser() if folder is not None else cache_dir() / name
    for fname in src.files:
        if (folder / fname).is_file():
            verify_file(folder / fname, src.sha256[fname])
            continue
        check_writable_dir(folder, "folder")
        _download(src, fname, folder)
        try:
            verify_file(folder / fname, src.sha256[fname])
        except ChecksumError:
            (folder / fname).unlink()
            raise
    return folder


def find_file(relpath: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The path of ``relpath`` (``"<data set>/<file>"``) by the search of :func:`locate`.

    A file of a known data set is located (and downloaded if need be) and its content verified.
    Any other relative path is taken under ``data_dir`` / ``$NEUROACT_DATA_DIR``, else under
    the project's ``../shared/data``, else under the package's data folder; it is returned
    whether it exists or not.
    """
    name, _, fname = str(relpath).replace(os.sep, "/").partition("/")
    if name in SOURCES and fname in SOURCES[name].sha256:
        path = locate(name, data_dir) / fname
        return verify_file(path, SOURCES[name].sha256[fname])
    explicit = _explicit(data_dir)
    base = explicit[0] if explicit else project_data_dir() or package_data_dir()
    return base / relpath


def measured_fi_table(data_dir: str | os.PathLike | None = None) -> Path:
    """The per-sweep table of the 44 measured L5 cells (CC BY 4.0), verified.

    One row per current step; columns in ``neuroact/data/fi-measured/README.md``. Read it with
    :func:`neuroact.compare.measured.read_fi_table`. The package copy is used unless
    ``data_dir`` / ``$NEUROACT_DATA_DIR`` or the project's ``../shared/data`` holds one.
    """
    return find_file(MEASURED_FI_TABLE, data_dir)
