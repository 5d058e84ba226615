"""The ``neuroact fit`` command: fit activation-function families to measured f-I curves.

It reads a lab's table (one row per current step: a cell id, the current, and a rate or a
spike count with the step duration) with :func:`neuroact.compare.measured.read_fi_table`, fits
every family to every cell with :func:`~neuroact.compare.measured.fit_cells` and writes into
the output folder (the command's help, :data:`EPILOG`, lists every column):

- ``fits.csv``: the fitted parameters, tidy, one row per cell x family x parameter
  (:meth:`~neuroact.compare.measured.CellFits.parameters`): ``value`` with its ``unit`` (in the
  table's current unit, e.g. ``Hz/pA``; ``tau`` and ``t_ref`` in s) and ``stderr``, the
  bootstrap interval ``ci_low``/``ci_high`` with ``--bootstrap N``, and the fit's statistics;
- ``winners.csv``, ``summary.csv``, ``points.csv``;
- ``fits.png``, which family describes the cells best (wins, 1 - R^2 and the criterion's
  distance to the best family, one dot per cell), and with ``--cell-panels`` ``cells.png``,
  one panel per cell with its points and fitted curves.

``--workers N`` fits N cells at a time in separate processes (-1: every core); the tables
are identical to a serial run's.

Every check of the input (the file, the columns, the query, the numbers, the output folder)
runs before any fit, and a refused input leaves no file behind.

Exit status: 0 when at least one cell was fitted, 1 when no cell could be fitted, 2 for bad
input (one line on stderr naming the option or column at fault).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "main", "EPILOG"]

DESCRIPTION = """\
Fit activation-function families (relu, softplus, sigmoid, power law, LIF rate) to measured
f-I curves, one fit per cell and family, and rank the families of each cell by AIC, AICc or
BIC.

The table is a CSV file with one row per current step: a cell id, the step current and
either the firing rate (--rate-col) or a spike count (--count-col) with the step duration
(--duration-col, or one --duration for every row).

Example:
  neuroact fit steps.csv --cell-col cell --current-col I_pA --rate-col rate_Hz --out fits/
"""

EPILOG = """\
Files written into OUT (each path is printed):
  fits.csv      the fitted parameters, tidy: one row per cell x family x parameter.
                Columns: cell_id, family, param, value, unit (the parameter's unit, in the
                current unit of the table: e.g. g in Hz/pA, theta in pA, tau and t_ref in s),
                stderr (standard error from the Jacobian at the optimum, same unit),
                ci_low, ci_high, ci_level (bootstrap percentile interval; empty without
                --bootstrap), then the fit's statistics repeated on each of its rows:
                success, rank, r2, rmse_Hz, aic, aicc, bic, delta (criterion minus the
                cell's best), weight (Akaike weight), n_points, message.
  winners.csv   the best family of each cell, its R^2 and the margin to the runner-up.
  summary.csv   per family: successful fits, wins, median and quartiles of R^2.
  points.csv    the points that were fitted (cell_id, current, rate_Hz, n_sweeps).
  fits.png      which family describes the cells best: wins per family, each cell's
                unexplained variance 1 - R^2 and its distance to the best family in the
                criterion (unless --no-figure).
  cells.png     with --cell-panels: one panel per cell, its points and fitted curves.

Families: relu = g max(0, I - theta); softplus = (g/beta) ln(1 + exp(beta (I - theta)));
sigmoid = r_max / (1 + exp(-(I - theta)/s)); power_law = k max(0, I - theta)^n;
lif = 1 / (t_ref + tau ln(I / (I - i_th))). The old names rectifier and logistic are
accepted for relu and sigmoid.
"""


def _non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}")
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``fit`` sub-command to an ``argparse`` sub-parser collection."""
    # heavy (pandas): imported when the parser is built, as for the run command's options
    from neuroact.experiments import workers_option

    p = subparsers.add_parser(
        "fit",
        help="fit activation families (relu, softplus, LIF, ...) to measured f-I curves",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("table", type=Path, help="CSV file (UTF-8), one row per current step")
    p.add_argument("--cell-col", required=True, help="column of the cell id")
    p.add_argument("--current-col", required=True, help="column of the step current")
    p.add_argument(
        "--current-unit",
        default="pA",
        help="unit of the current column: fA, pA, nA, uA, mA or A (default: %(default)s)",
    )
    rate = p.add_mutually_exclusive_group(required=True)
    rate.add_argument("--rate-col", help="column of the firing rate")
    rate.add_argument("--count-col", help="column of the spike count (needs a duration)")
    p.add_argument(
        "--rate-unit", default="Hz", help="unit of the rate column: Hz, 1/s or kHz (default: Hz)"
    )
    p.add_argument("--duration-col", help="column of the step duration (with --count-col)")
    p.add_argument("--duration", type=float, help="one step duration for every row")
    p.add_argument(
        "--duration-unit",
        default="ms",
        help="unit of the step duration: s, ms or us (default: %(default)s)",
    )
    p.add_argument(
        "--families",
        nargs="+",
        default=None,
        metavar="FAMILY",
        help="families to fit (default: all of relu, softplus, sigmoid, power_law, lif)",
    )
    p.add_argument(
        "--criterion",
        default="aic",
        choices=["aic", "aicc", "bic"],
        help="information criterion that ranks the families (default: %(default)s)",
    )
    p.add_argument(
        "--loss",
        default="linear",
        choices=["linear", "soft_l1", "huber", "cauchy", "arctan"],
        help="least-squares loss; robust ones resist outlier sweeps (default: %(default)s)",
    )
    p.add_argument(
        "--repeats",
        default="keep",
        choices=["keep", "mean"],
        help="keep every sweep as a point, or average sweeps sharing a current "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--query",
        help="pandas query selecting the rows to fit, e.g. \"protocol == 'IDrest'\" "
        "(default: every row)",
    )
    p.add_argument(
        "--allow-negative-rates",
        action="store_true",
        help="accept negative rates, as in baseline-subtracted tables (default: refuse them)",
    )
    p.add_argument(
        "--bootstrap",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="residual-bootstrap refits per fit for 95%% intervals; 0 = none "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        help="seed of the bootstrap; the same seed gives the same intervals (default: %(default)s)",
    )
    p.add_argument(
        "--workers",
        type=workers_option,
        default=1,
        metavar="N",
        help="cells fitted at a time, in separate processes; -1: every core (default: 1)",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (created if needed)")
    figures = p.add_mutually_exclusive_group()
    figures.add_argument("--no-figure", action="store_true", help="draw no figure")
    figures.add_argument(
        "--cell-panels",
        action="store_true",
        help="also draw cells.png, one panel per cell (slow for many cells)",
    )
    p.set_defaults(func=main)
    return p


def main(args: argparse.Namespace) -> int:
    """Run ``neuroact fit``; exit status 0 ok, 1 when no cell could be fitted, 2 bad input."""
    try:
        return _main(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"neuroact fit: error: {exc}", file=sys.stderr)
        return 2


def check_out(out: Path) -> None:
    """Refuse an output folder that is an existing file, or lies under one."""
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                what = "--out" if folder == out else f"--out's parent {str(folder)!r}"
                raise ValueError(
                    f"{what} is an existing file, not a folder; got --out {str(out)!r}"
                )
            return


def _draw(curves, fits, summary, out: Path, criterion: str, cell_panels: bool) -> list[Path]:
    """fits.png (the families over all cells) and, on request, cells.png (one panel per cell)."""
    from neuroact.figures import save  # heavy: matplotlib
    from neuroact.figures.compare import plot_family_summary, plot_fit_grid

    fig = plot_family_summary(summary, fits.table, criterion=criterion)
    written = save(fig, out / "fits.png")
    if cell_panels:
        fig = plot_fit_grid(
            curves.data,
            fits.table,
            current_unit=curves.current_unit,
            families=list(fits.families),
            criterion=criterion,
        )
        written += save(fig, out / "cells.png")
    return written


def _main(args: argparse.Namespace) -> int:
    # heavy (scipy, pandas, matplotlib): imported when the command runs, not for `--help`
    from neuroact.compare.curves import resolve_families
    from neuroact.compare.measured import fit_cells, read_fi_table
    from neuroact.results import write_csv

    out = Path(args.out)
    check_out(out)
    families = args.families
    resolve_families(families)  # unknown names fail before any reading; aliases are accepted
    curves = read_fi_table(
        args.table,
        cell_col=args.cell_col,
        current_col=args.current_col,
        rate_col=args.rate_col,
        count_col=args.count_col,
        duration_col=args.duration_col,
        duration=args.duration,
        duration_unit=args.duration_unit,
        current_unit=args.current_unit,
        rate_unit=args.rate_unit,
        repeats=args.repeats,
        query=args.query,
        allow_negative_rates=args.allow_negative_rates,
    )
    fits = fit_cells(
        curves,
        families,
        criterion=args.criterion,
        loss=args.loss,
        bootstrap=args.bootstrap,
        seed=args.seed,
        allow_negative_rates=args.allow_negative_rates,
        workers=args.workers,
    )
    summary = fits.summary()
    tables = {
        "fits.csv": fits.parameters(),
        "winners.csv": fits.winners(),
        "summary.csv": summary,
        "points.csv": curves.data,
    }
    out.mkdir(parents=True, exist_ok=True)
    written = [write_csv(out / name, table) for name, table in tables.items()]
    if not args.no_figure and len(fits.table):
        written += _draw(curves, fits, summary, out, args.criterion, args.cell_panels)
    n_ok = int(fits.table.groupby("cell_id")["success"].any().sum()) if len(fits.table) else 0
    print(f"fitted {len(curves)} cells x {len(fits.families)} families; {n_ok} cells with a fit")
    print(summary[["family", "n_success", "n_wins", "median_r2"]].to_string(index=False))
    for path in written:
        print(f"wrote {path}")
    return 0 if n_ok else 1
