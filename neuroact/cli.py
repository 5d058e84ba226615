"""The ``neuroact`` command.

Sub-commands
------------
run          run the experiments (quick or full profile) into one folder and write the report
figures      redraw every figure and the report of a run folder from its tables (no simulation,
             no training)
fit          fit activation families to a table of measured f-I curves
data where   say where each data set would be read from
data fetch   download MNIST / Fashion-MNIST into the user cache (or a folder) and verify them

Exit status: 0 done; 1 when a command ran but produced nothing (``fit`` with no cell fitted);
2 for an error in the input or the environment (a bad option, a missing or corrupt file, an
output folder that is a file or cannot be written, a full disk), reported in one line on stderr
without a traceback (``--debug`` shows it). Anything else is a bug and shows its traceback.

Progress is logged through the ``neuroact`` logger to stderr, one line per step, so that it is
visible in a batch job's log (``-v`` adds debug lines, ``-q`` keeps only warnings); progress
bars appear only in a terminal.
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from neuroact import __version__, cli_fit
from neuroact.logs import configure_logging
from neuroact.paths import (
    DATA_DIR_ENV,
    SOURCES,
    fetch,
    source,
    verify_file,
    where,
)
from neuroact.results import check_writable_dir

__all__ = ["build_parser", "configure_logging", "main"]

DOWNLOADABLE = tuple(name for name, src in SOURCES.items() if not src.shipped)
# Errors a user can fix (bad input, missing or unwritable files): one line, exit status 2.
USER_ERRORS = (
    ValueError,
    TypeError,
    FileNotFoundError,
    PermissionError,
    NotADirectoryError,
    IsADirectoryError,
    FileExistsError,
)
FULL_DISK = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


# -------------------------------------------------------------------------------------------
# Help text and logging


def plain(text: str) -> str:
    """``text`` without reStructuredText markup (double back-quotes, ``:func:`` roles)."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text)
    return re.sub(r"``([^`]+)``", r"\1", text)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Plain help text: each option's default shown, prose paragraphs re-wrapped, lists kept."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = plain(action.help or "")
        shown = action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE)
        said = "default" in text or f"({action.default})" in text
        if not shown or said or action.default in (None, False, argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for para in textwrap.dedent(plain(text)).strip().split("\n\n"):
            lines = para.splitlines()
            if any(line[:1].isspace() or line.startswith("- ") for line in lines):
                paragraphs.append(textwrap.indent(para, indent))  # a list or a table: as written
            else:
                filled = textwrap.fill(
                    " ".join(lines), width, initial_indent=indent, subsequent_indent=indent
                )
                paragraphs.append(filled)
        return "\n\n".join(paragraphs)


def _add_common(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """-v, -q and --debug, accepted before and after the sub-command."""
    # Sub-parsers leave an option unset unless given, so the top parser's value stands.
    unset = argparse.SUPPRESS
    count = 0 if top else unset
    parser.add_argument("-v", "--verbose", action="count", default=count, help="more log lines")
    parser.add_argument("-q", "--quiet", action="count", default=count, help="only warnings")
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else unset,
        help="show the traceback of an error",
    )


def _subparser(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, formatter_class=HelpFormatter, **kwargs)
    _add_common(parser)
    return parser


# -------------------------------------------------------------------------------------------
# run


def _add_run(sub) -> None:
    # on use: experiments load torch and Brian2 (seconds); --help and `data` stay instant
    from neuroact.experiments import EXPERIMENTS, assignment_option, workers_option
    from neuroact.parallel import available_cores

    p = sub.add_parser(
        "run",
        help="run the experiments and write the comparison report",
        description="Run the experiments in dependency order into OUT/<experiment>/ and write "
        "OUT/report.md. Rerunning with the same OUT resumes: finished work is not redone. "
        "--config and --set change fields of the profile's Config of each experiment; "
        "each experiment's config.json records the Config it ran with.",
    )
    p.add_argument(
        "--profile",
        choices=("quick", "full"),
        default="quick",
        help="quick: CI size, minutes; full: paper size, about 2 hours on 2 cores",
    )
    p.add_argument(
        "--only",
        nargs="+",
        choices=EXPERIMENTS,
        metavar="EXPERIMENT",
        help=f"run only these experiments (from: {', '.join(EXPERIMENTS)}; default: all)",
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help="folder with mnist/ and fashion-mnist/ (default: $NEUROACT_DATA_DIR, "
        "else the embedded subset in quick and the download cache in full)",
    )
    p.add_argument("--out", default=None, help="run folder (default: runs/<profile>)")
    p.add_argument(
        "--config",
        metavar="FILE.toml",
        default=None,
        help="TOML file with a table per experiment, e.g. [fi_curves] then n_currents = 21 "
        "(default: none)",
    )
    p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        type=assignment_option,
        metavar="EXPERIMENT.FIELD=VALUE",
        help="change one field, e.g. --set glorot_table1.train.lr=0.02 or --set "
        "'fi_curves.models=[\"lif\"]' (TOML values; repeatable; applied after --config)",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--workers",
        type=workers_option,
        default=None,
        help="local processes for sweeps, -1 for all cores (default: every core this process "
        f"may use, {available_cores()} here; results are the same for any number)",
    )
    group.add_argument(
        "--scheduler",
        default=None,
        help="address of a running dask.distributed scheduler for sweeps (default: none)",
    )
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    # on use: experiments load torch and Brian2 (seconds); --help and `data` stay instant
    from neuroact import experiments
    from neuroact.pipeline import run_all

    out = args.out or f"runs/{args.profile}"
    # mistakes in the options fail here, before any work (main() prints them in one line)
    overrides = experiments.collect_overrides(args.config, args.assignments)
    experiments.resolve_configs(args.profile, overrides, args.only)
    check_writable_dir(out, "--out")
    report = run_all(
        profile=args.profile,
        out=out,
        only=args.only,
        data_dir=args.data_dir,
        workers=args.workers,
        scheduler=args.scheduler,
        overrides=overrides,
    )
    print(f"report: {report}")
    return 0


# -------------------------------------------------------------------------------------------
# figures


def _add_figures(sub) -> None:
    p = _subparser(
        sub,
        "figures",
        help="redraw every figure (and the report) of a run folder from its tables",
        description="Redraw every figure of RUN_DIR from its tables, without simulating or "
        "training again; in a folder written by `neuroact run`, also rewrite claims.csv and "
        "report.md. Prints the path of each file written.",
    )
    p.add_argument("run_dir", help="a folder written by `neuroact run` (or by one experiment)")
    p.set_defaults(func=_cmd_figures)


def _cmd_figures(args: argparse.Namespace) -> int:
    from neuroact.pipeline import redraw  # on use, as in _cmd_run

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(
            f"run_dir = {args.run_dir!r} is not a folder; expected a folder written by "
            "`neuroact run`"
        )
    check_writable_dir(run_dir, "run_dir")
    for path in redraw(run_dir):
        print(path)
    return 0


# -------------------------------------------------------------------------------------------
# data


def _add_data(sub) -> None:
    p = _subparser(
        sub,
        "data",
        help="where the data sets are read from; download them ahead of time",
        description="Data sets are read from --data-dir or $NEUROACT_DATA_DIR, else from "
        "../shared/data beside a source checkout, else from the package (the measured f-I "
        "cells) or the user cache, filled by a download with known hashes "
        "($NEUROACT_DATA_URL replaces the download mirrors).",
    )
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    w = _subparser(
        data_sub,
        "where",
        help="say where each data set would be read from",
        description="For each data set: the folder it would be read from, which rule found it "
        "(data_dir, NEUROACT_DATA_DIR, project, package or cache) and the files missing there, "
        "which a cache folder downloads on first use.",
    )
    w.add_argument(
        "names", nargs="*", metavar="NAME", help=f"data sets (default: all of {', '.join(SOURCES)})"
    )
    w.add_argument("--data-dir", help=f"a data folder to consider first (default: ${DATA_DIR_ENV})")
    w.add_argument("--verify", action="store_true", help="also check the sha256 of every file")
    w.set_defaults(func=_cmd_where)
    f = _subparser(
        data_sub,
        "fetch",
        help="download MNIST / Fashion-MNIST and verify them",
        description="Download the data sets' missing files (pooch, known hashes), verify the "
        "sha256 of every file's content and print the folder.",
    )
    f.add_argument(
        "names", nargs="*", metavar="NAME", help=f"data sets (default: {' '.join(DOWNLOADABLE)})"
    )
    f.add_argument("--dir", help="download into DIR/<name>/ (default: the user cache)")
    f.set_defaults(func=_cmd_fetch)


def _cmd_where(args: argparse.Namespace) -> int:
    names = args.names or list(SOURCES)
    for name in names:
        source(name)  # an unknown name fails before any output
    rows = [("data set", "origin", "folder", "state")]
    for name in names:
        loc = where(name, args.data_dir)
        n = len(SOURCES[name].files)
        if loc.complete:
            state = f"{n} files"
            if args.verify:
                for fname, sha in SOURCES[name].sha256.items():
                    verify_file(loc.path / fname, sha)
                state += ", sha256 verified"
        elif loc.url is not None:
            state = f"{len(loc.missing)} of {n} files missing: downloaded from {loc.url} on use"
        else:
            state = f"{len(loc.missing)} of {n} files missing, e.g. {loc.missing[0]}"
        rows.append((name, loc.origin, str(loc.path), state))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join([*(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3]])
        )
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    names = args.names or list(DOWNLOADABLE)
    for name in names:
        if name not in DOWNLOADABLE:
            raise ValueError(f"NAME must be one of {list(DOWNLOADABLE)}; got {name!r}")
    base = None if args.dir is None else check_writable_dir(args.dir, "--dir")
    for name in names:
        folder = fetch(name, None if base is None else base / name)
        print(f"{name}: {len(SOURCES[name].files)} files in {folder} (sha256 verified)")
        used = where(name)
        if base is not None:
            print(f"  read them with --data-dir {base} or {DATA_DIR_ENV}={base}")
        elif used.path != folder:
            print(f"  note: {name} is read from {used.path} first ({used.origin})")
    return 0


# -------------------------------------------------------------------------------------------
# The parser and main()


def build_parser() -> argparse.ArgumentParser:
    """The ``neuroact`` argument parser with every sub-command."""

    parser = argparse.ArgumentParser(
        prog="neuroact",
        formatter_class=HelpFormatter,
        description="Biological neurons and artificial activation functions on the same "
        "measures: f-I curves, sparsity, training.",
    )
    parser.add_argument("--version", action="version", version=f"neuroact {__version__}")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub)
    _add_figures(sub)
    fit = cli_fit.add_parser(sub)
    fit.set_defaults(func=cli_fit.main)
    _add_data(sub)
    for name in ("run", "fit"):  # built by their own modules: same help style and options
        sub.choices[name].formatter_class = HelpFormatter
        _add_common(sub.choices[name])
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno in FULL_DISK and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return " ".join(str(exc).split()) or type(exc).__name__


def is_user_error(exc: BaseException) -> bool:
    """True for errors reported in one line (exit status 2): bad input, files, a full disk."""
    full = isinstance(exc, OSError) and exc.errno in FULL_DISK
    return isinstance(exc, USER_ERRORS) or full


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``neuroact`` command with ``argv`` (default ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose - args.quiet)
    if args.command is None:
        parser.print_help()
        return 0
    command = " ".join(filter(None, ("neuroact", args.command, getattr(args, "data_command", ""))))
    # every command draws figures into files: no display needed (imported here, not at start-up)
    from neuroact.figures import use_agg

    use_agg()
    try:
        if getattr(args, "out", None) is not None:
            check_writable_dir(args.out, "--out")  # before any work
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug or not is_user_error(exc):
            raise
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
