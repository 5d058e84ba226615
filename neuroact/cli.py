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
    from neuroact.experiments import EXPERIMENTS, assignment_option, workers_option

    p = sub.add_parser(
        "run",
        help="run the experiments and write the comparison report",
        description="Run the experiments in dependency order into OUT/<experiment>/ and write "
        "OUT/report.md. Rerunning with the same OUT resumes: finished work is not redone. "
        "--config and --set change fields of the profile's Config of each experiment; "
        "each experiment's config.json records the Config it ran with.",
    )
    p.add_argument("--profile", choices=("quick", "full"), default="quick", help="default: quick")
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
        default=1,
        help="local processes for sweeps, -1 for all cores (default: 1)",
    )
    group.add_argument(
        "--scheduler",
        default=None,
        help="address of a running dask.distributed scheduler for sweeps (default: none)",
    )
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from neuroact import experiments
    from neuroact.pipeline import run_all
    from neuroact.results import check_writable_dir

    out = args.out or f"runs/{args.profile}"
    try:  # a mistake in the options is one line and exit status 2, before any work
        overrides = experiments.collect_overrides(args.config, args.assignments)
        experiments.resolve_configs(args.profile, overrides, args.only)
        check_writable_dir(out, "--out")
    except (ValueError, TypeError, OSError) as err:
        print(f"neuroact run: error: {err}", file=sys.stderr)
        return 2
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
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
