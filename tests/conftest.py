"""Shared fixtures: the real data sets, found the way neuroact finds them, and a local mirror.

The data sets come from :func:`neuroact.paths.locate`: ``$NEUROACT_DATA_DIR`` if set, else
``../shared/data`` beside the repository (the project's machines and CI), else the user cache,
filled by a real download (``NEUROACT_DATA_URL`` may point it at a mirror). A data set that
cannot be found or downloaded fails the tests that need it, with the reason: data-dependent
tests never silently stop running. Nothing here needs ``../shared`` to exist.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from neuroact import paths

REPO_ROOT = Path(__file__).resolve().parents[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output free of access lines
        pass


def _located(name: str) -> Path:
    try:
        return paths.locate(name)
    except (FileNotFoundError, paths.ChecksumError) as exc:
        pytest.fail(f"the tests need the real {name} files: {exc}")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four MNIST IDX files."""
    return _located("mnist")


@pytest.fixture(scope="session")
def fashion_mnist_dir() -> Path:
    """The folder holding the four Fashion-MNIST IDX files."""
    return _located("fashion-mnist")


@pytest.fixture(scope="session")
def data_root(mnist_dir: Path) -> Path:
    """A folder holding ``mnist/`` (``../shared/data`` on the project's machines, else the
    download cache)."""
    return mnist_dir.parent


@pytest.fixture
def http_mirror() -> Iterator[Callable[[Path], str]]:
    """``serve(folder) -> base URL``: serve ``folder`` over HTTP on localhost (no internet)."""
    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
