"""``neuroact fit``: fit activation-function families to a table of measured f-I curves.

::

    neuroact fit TABLE.csv --cell-col C --current-col I --rate-col R [--current-unit pA]
                 [--families rectifier softplus ...] --out DIR

or, with spike counts, ``--count-col N --duration-col T`` (or ``--duration 2000``) with
``--duration-unit ms``. Writes into DIR:

- ``fits.csv``: one row per cell x family: ``cell_id, family, success, r2, rmse, aic, bic``, the
  family's parameters (in the table's current unit; ``tau``/``t_ref`` in s) and then rank,
  AICc, message and standard errors;
- ``winners.csv`` (best family per cell) and ``summary.csv`` (wins and median R^2 per family);
- ``points.csv`` (the points that were fitted) and ``fits.png`` (a grid, one panel per cell).

The lead wires :func:`add_parser` and :func:`main` into ``neuroact.cli``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neuroact.results import write_csv

__all__ = ["add_parser", "main"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``fit`` sub-command to an ``argparse`` sub-parser collection."""
    from neuroact.compare.curves import family_names

    p = subparsers.add_parser(
        "fit",
        help="fit activation families (rectifier, softplus, LIF, ...) to measured f-I curves",
        description=__doc__.split("::")[0].strip(),
    )
    p.add_argument("table", type=Path, help="CSV with one row per current step")
    p.add_argument("--cell-col", required=True, help="column of the cell id")
    p.add_argument("--current-col", required=True, help="column of the step current")
    p.add_argument("--current-unit", default="pA", help="unit of the current column (pA)")
    rate = p.add_mutually_exclusive_group(required=True)
    rate.add_argument("--rate-col", help="column of the firing rate")
    rate.add_argument("--count-col", help="column of the spike count (needs a duration)")
    p.add_argument("--rate-unit", default="Hz", help="unit of the rate column (Hz, kHz)")
    p.add_argument("--duration-col", help="column of the step duration (with --count-col)")
    p.add_argument("--duration", type=float, help="one step duration for every row")
    p.add_argument("--duration-unit", default="ms", help="unit of the duration (ms, s)")
    p.add_argument(
        "--families",
        nargs="+",
        default=None,
        metavar="FAMILY",
        help=f"families to fit (default: all of {', '.join(family_names())})",
    )
    p.add_argument("--criterion", default="aic", choices=["aic", "aicc", "bic"])
    p.add_argument(
        "--loss",
        default="linear",
        choices=["linear", "soft_l1", "huber", "cauchy", "arctan"],
        help="least-squares loss (robust ones resist outlier sweeps)",
    )
    p.add_argument(
        "--repeats",
        default="keep",
        choices=["keep", "mean"],
        help="keep every sweep as a point, or average sweeps sharing a current",
    )
    p.add_argument("--query", help="pandas query selecting rows first, e.g. \"protocol=='IDrest'\"")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--no-figure", action="store_true", help="skip fits.png")
    p.set_defaults(func=main)
    return p


def main(args: argparse.Namespace) -> int:
    """Run ``neuroact fit``; exit status 0 ok, 1 when no cell could be fitted, 2 bad input."""
    import sys

    try:
        return _main(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"neuroact fit: error: {exc}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    from neuroact.compare.curves import resolve_families
    from neuroact.compare.measured import fit_cells, read_fi_table

    resolve_families(args.families)  # unknown names fail before any reading
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
    )
    fits = fit_cells(curves, args.families, criterion=args.criterion, loss=args.loss)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = fits_table(fits.table, fits.families)
    write_csv(out / "fits.csv", table)
    write_csv(out / "winners.csv", fits.winners())
    summary = fits.summary()
    write_csv(out / "summary.csv", summary)
    write_csv(out / "points.csv", curves.data)
    if not args.no_figure and len(table):
        from neuroact.figures import save
        from neuroact.figures.compare import plot_fit_grid

        fig = plot_fit_grid(
            curves.data,
            fits.table,
            current_unit=curves.current_unit,
            families=list(fits.families),
            criterion=args.criterion,
        )
        save(fig, out / "fits.png")
    n_ok = int(table.groupby("cell_id")["success"].any().sum()) if len(table) else 0
    print(f"fitted {len(curves)} cells x {len(fits.families)} families; {n_ok} cells with a fit")
    print(summary[["family", "n_success", "n_wins", "median_r2"]].to_string(index=False))
    print(f"wrote {out / 'fits.csv'}")
    return 0 if n_ok else 1


def fits_table(table, families):
    """``fits.csv`` columns in the documented order: id, family, stats, parameters, the rest."""
    from neuroact.compare.curves import get_family

    params: list[str] = []
    for fam in families:
        params += [p for p in get_family(fam).params if p not in params]
    first = ["cell_id", "family", "success", "r2", "rmse", "aic", "bic"] + params
    first = [c for c in first if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]
