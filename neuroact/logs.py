"""Progress on stderr for the programs of the package: the ``neuroact`` command and the scripts.

A library leaves logging to its application, so importing neuroact configures nothing; the
command line and ``simulations/*.py`` call :func:`configure_logging` once they run. The handler
writes to whatever ``sys.stderr`` is when a record is emitted, and configuring again replaces it,
so a process that runs several commands (a test suite, a notebook) never prints a line twice.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["LOGGER", "configure_logging"]

LOGGER = "neuroact"


class _StderrHandler(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is at the time (it may be replaced)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # the stream is always the current sys.stderr
        pass


def configure_logging(verbosity: int = 0) -> logging.Logger:
    """Send the ``neuroact`` logger's records to stderr, one line each.

    ``verbosity`` 0 shows INFO (progress), 1 or more DEBUG, -1 or less only warnings. Called by
    the programs only: a library leaves logging to its application.
    """
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)  # a program may run more than once in one process
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    levels = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}
    logger.setLevel(levels[max(-1, min(1, verbosity))])
    return logger
