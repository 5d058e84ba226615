"""The ``neuroact`` command.

Sub-commands
------------
run        run the experiments (quick or full profile) into one folder and write the report
figures    redraw every figure and the report of a run folder from its tables (no simulation,
           no training)
fit        fit activation families to a table of measured f-I curves
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from neuroact import __version__


def _add_run(sub) -> None:
    from neuroact.experiments import EXPERIMENTS

    p = sub.add_parser(
        "run",
        help="run the experiments and write the comparison report",
        description="Run the experiments in dependency order into OUT/<experiment>/ and write "
        "OUT/report.md. Rerunning with the same OUT resumes: finished work is not redone.",
    )
    p.add_argument("--profile", choices=("quick", "full"), default="quick")
    p.add_argument(
        "--only",
        nargs="+",
        choices=EXPERIMENTS,
        metavar="EXPERIMENT",
        help=f"run only these experiments (from: {', '.join(EXPERIMENTS)})",
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help="folder with mnist/ and fashion-mnist/ (default: $NEUROACT_DATA_DIR, "
        "else the embedded subset in quick and the download cache in full)",
    )
    p.add_argument("--out", default=None, help="run folder (default: runs/<profile>)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, default=1, help="local processes for sweeps")
    group.add_argument(
        "--scheduler",
        default=None,
        help="address of a running dask.distributed scheduler for sweeps",
    )
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from neuroact.pipeline import run_all

    out = args.out or f"runs/{args.profile}"
    report = run_all(
        profile=args.profile,
        out=out,
        only=args.only,
        data_dir=args.data_dir,
        workers=args.workers,
        scheduler=args.scheduler,
    )
    print(f"report: {report}")
    return 0


def _add_figures(sub) -> None:
    p = sub.add_parser(
        "figures", help="redraw every figure (and the report) of a run folder from its tables"
    )
    p.add_argument("run_dir", help="a folder written by `neuroact run` (or by one experiment)")
    p.set_defaults(func=_cmd_figures)


def _cmd_figures(args: argparse.Namespace) -> int:
    from neuroact.pipeline import redraw

    for path in redraw(args.run_dir):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuroact",
        description="Biological neurons and artificial activation functions on the same "
        "measures: f-I curves, sparsity, training.",
    )
    parser.add_argument("--version", action="version", version=f"neuroact {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub)
    _add_figures(sub)
    from neuroact import cli_fit

    cli_fit.add_parser(sub).set_defaults(func=cli_fit.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    # every command draws figures into files: no display needed (imported here, not at start-up)
    from neuroact.figures import use_agg

    use_agg()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
