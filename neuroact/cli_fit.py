"""The ``neuroact fit`` command: fit activation-function families to measured f-I curves.

It reads a lab's table (one row per current step: a cell id, the current, and a rate or a
spike count with the step duration) with :func:`neuroact.compare.measured.read_fi_table`, or
raw current-clamp recordings (NWB files and folders of them, or with ``--traces`` CSV tables of
time, voltage and current), which :mod:`neuroact.recordings` turns into that table first: one
row per sweep, its step found in the stimulus and its spikes detected (``fi_sweeps.csv``). It
fits every family to every cell with :func:`~neuroact.compare.measured.fit_cells` and writes
into the output folder (the command's help, :data:`EPILOG`, lists every column):

- ``fits.csv``: the fitted parameters, tidy, one row per cell x family x parameter
  (:meth:`~neuroact.compare.measured.CellFits.parameters`): ``value`` with its ``unit`` (in the
  table's current unit, e.g. ``Hz/pA``; ``tau`` and ``t_ref`` in s) and ``stderr``, the
  bootstrap interval ``ci_low``/``ci_high`` with ``--bootstrap N``, and the fit's statistics;
- ``winners.csv``, ``summary.csv``, ``points.csv``;
- ``fits.png``, which family describes the cells best (wins, 1 - R^2 and the criterion's
  distance to the best family, one dot per cell), and with ``--cell-panels`` ``cells.png``,
  one panel per cell with its points and fitted curves;
- ``fi_sweeps.csv`` for recordings: the f-I table of the sweeps
  (:data:`neuroact.recordings.fi.FI_COLUMNS`).

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
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from neuroact.experiments import workers_option

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_parser", "input_kind", "main", "recordings_table", "EPILOG"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # the first 8 bytes of every HDF5 (and NWB 2) file
# options that only make sense for one kind of input, by kind
_TRACE_OPTIONS = ("time_col", "voltage_col", "stimulus_col", "sweep_col", "cell")
_TABLE_OPTIONS = ("count_col", "duration_col", "duration")

DESCRIPTION = """\
Fit activation-function families (relu, softplus, sigmoid, power law, LIF rate) to measured
f-I curves, one fit per cell and family, and rank the families of each cell by AIC, AICc or
BIC.

The input is one of:
- an f-I table: a CSV file with one row per current step: a cell id, the step current and
  either the firing rate (--rate-col) or a spike count (--count-col) with the step duration
  (--duration-col, or one --duration for every row);
- current-clamp recordings in NWB files (DANDI, Allen Cell Types), or folders of them: each
  file is a cell, each CurrentClampSeries with its CurrentClampStimulusSeries a sweep;
- with --traces, CSV tables of voltage traces: time, voltage and injected current per row
  (--time-col, --voltage-col, --stimulus-col, with their units), one file per sweep or a
  --sweep-col.
Recordings become an f-I table first (fi_sweeps.csv): the step found in each sweep's
stimulus, spikes detected (--detector, --threshold), rate = spikes in the step / its
duration; the fits then use total_current_pA (holding + step) and rate_Hz unless
--current-col / --rate-col name other columns of that table.

Examples:
  neuroact fit steps.csv --cell-col cell --current-col I_pA --rate-col rate_Hz --out fits/
  neuroact fit cell1.nwb cell2.nwb --out fits/
  neuroact fit recordings/ --stimulus "*LongSquare*" --out fits/
  neuroact fit sweeps.csv --traces --time-col t --voltage-col v --stimulus-col i \\
      --sweep-col sweep --time-unit ms --out fits/
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
  fi_sweeps.csv for recordings: one row per sweep: cell_id, sweep, protocol,
                step_current_pA, holding_current_pA, total_current_pA, spike_count,
                rate_Hz (spikes in the step / its duration), isi_rate_Hz (1 / mean
                interval), first_isi_rate_Hz, spikes_before_step, step_start_ms, step_ms,
                detector, threshold_mV, source.

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
    p = subparsers.add_parser(
        "fit",
        help="fit activation families (relu, softplus, LIF, ...) to measured f-I curves",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "inputs",
        type=Path,
        nargs="+",
        metavar="INPUT",
        help="an f-I table (CSV, one row per current step); or NWB files and folders of them; "
        "or, with --traces, CSV tables of voltage traces",
    )
    _add_table_options(p)
    _add_fit_options(p)
    _add_recording_options(p)
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


def _add_table_options(p: argparse.ArgumentParser) -> None:
    """Options naming the columns of an f-I table and their units."""
    p.add_argument(
        "--cell-col",
        help="column of the cell id (required for an f-I table; in a trace table optional, "
        "default: the file name)",
    )
    p.add_argument(
        "--current-col",
        help="column of the step current (required for an f-I table; for recordings a column "
        "of fi_sweeps.csv, default: total_current_pA)",
    )
    p.add_argument(
        "--current-unit",
        help="unit of the current column: fA, pA, nA, uA, mA or A (default: pA)",
    )
    rate = p.add_mutually_exclusive_group()
    rate.add_argument(
        "--rate-col",
        help="column of the firing rate (an f-I table needs it or --count-col; for recordings "
        "a column of fi_sweeps.csv, default: rate_Hz)",
    )
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


def _add_fit_options(p: argparse.ArgumentParser) -> None:
    """Options of the fits: families, criterion, loss, points, bootstrap, processes."""
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


def _add_recording_options(p: argparse.ArgumentParser) -> None:
    """Options for recordings (NWB files, trace tables): spike detection and the trace table."""
    rec = p.add_argument_group("recordings (NWB files, or trace tables with --traces)")
    rec.add_argument(
        "--detector",
        default="threshold",
        choices=["threshold", "efel"],
        help="spike detector: upward crossings of --threshold with a --refractory window, or "
        "eFEL's peak_time (default: %(default)s)",
    )
    rec.add_argument(
        "--threshold", type=float, default=-20.0, help="spike threshold in mV (default: -20)"
    )
    rec.add_argument(
        "--refractory",
        type=float,
        default=2.0,
        help="ms after a spike in which another crossing is not counted (default: 2)",
    )
    rec.add_argument(
        "--step-window",
        type=float,
        nargs=2,
        metavar=("ON", "OFF"),
        help="the step's window in ms, the same for every sweep, instead of finding the step "
        "in each stimulus (default: found)",
    )
    rec.add_argument(
        "--stimulus",
        metavar="PATTERN",
        help="NWB: only sweeps whose stimulus_description matches this shell pattern, e.g. "
        "'*LongSquare*' (default: every sweep)",
    )
    rec.add_argument(
        "--skip-bad-sweeps",
        action="store_true",
        help="leave out sweeps without a current step, with a warning (default: stop with an "
        "error)",
    )
    rec.add_argument(
        "--traces",
        action="store_true",
        help="the INPUT files are CSV tables of voltage traces, one sample per row",
    )
    rec.add_argument("--time-col", help="trace table: column of the sample time")
    rec.add_argument("--voltage-col", help="trace table: column of the membrane voltage")
    rec.add_argument("--stimulus-col", help="trace table: column of the injected current")
    rec.add_argument(
        "--sweep-col", help="trace table: column of the sweep (default: one sweep per file)"
    )
    rec.add_argument(
        "--cell", help="trace table: the cell of every sweep (default: --cell-col, or the file)"
    )
    rec.add_argument(
        "--time-unit", default="s", help="trace table: s, ms or us (default: %(default)s)"
    )
    rec.add_argument(
        "--voltage-unit", default="mV", help="trace table: V, mV or uV (default: %(default)s)"
    )
    rec.add_argument(
        "--stimulus-unit",
        default="pA",
        help="trace table: fA, pA, nA, uA, mA or A (default: %(default)s)",
    )


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


def _is_nwb(path: Path) -> bool:
    """A folder, a ``.nwb`` file, or a file that starts with HDF5's signature."""
    if path.is_dir() or path.suffix.lower() == ".nwb":
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        return False


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def input_kind(args: argparse.Namespace) -> str:
    """``"table"``, ``"nwb"`` or ``"traces"``: what the INPUT paths are; refuses options that
    belong to another kind, before anything is read."""
    if args.traces:
        kind = "traces"
    else:
        nwb = [_is_nwb(Path(p)) for p in args.inputs]
        if any(nwb) and not all(nwb):
            raise ValueError(
                f"INPUT mixes NWB recordings and other files; got {[str(p) for p in args.inputs]}"
            )
        kind = "nwb" if all(nwb) else "table"
    if kind != "traces":
        for name in _TRACE_OPTIONS:
            if getattr(args, name) is not None:
                raise ValueError(f"{_option(name)} applies to trace tables: add --traces")
    else:
        for name in ("time_col", "voltage_col", "stimulus_col"):
            if getattr(args, name) is None:
                raise ValueError(f"--traces needs {_option(name)}")
    if kind == "table":
        if len(args.inputs) > 1:
            raise ValueError(
                f"give one f-I table (or NWB files, or trace tables with --traces); got "
                f"{len(args.inputs)} files"
            )
        for name in ("cell_col", "current_col"):
            if getattr(args, name) is None:
                raise ValueError(
                    f"an f-I table needs {_option(name)} (the column of the {name[:-4]})"
                )
        if args.rate_col is None and args.count_col is None:
            raise ValueError("an f-I table needs --rate-col, or --count-col with a duration")
    else:
        for name in _TABLE_OPTIONS:
            if getattr(args, name) is not None:
                raise ValueError(
                    f"{_option(name)} applies to an f-I table; recordings give rate_Hz "
                    "(choose another rate of fi_sweeps.csv with --rate-col)"
                )
        if args.current_unit not in (None, "pA"):
            raise ValueError(
                f"--current-unit must be pA for recordings (fi_sweeps.csv is in pA); got "
                f"{args.current_unit!r}"
            )
    if kind != "nwb" and args.stimulus is not None:
        raise ValueError("--stimulus applies to NWB files (their stimulus_description)")
    return kind


def recordings_table(args: argparse.Namespace, kind: str) -> pd.DataFrame:
    """The f-I table (one row per sweep) of the NWB files or trace tables named by ``args``."""
    from neuroact.recordings import fi_table, iter_nwb, read_traces
    from neuroact.recordings.fi import check_window
    from neuroact.recordings.spikes import check_detection

    check_detection(args.detector, args.threshold, args.refractory)
    window = args.step_window and tuple(v / 1e3 for v in args.step_window)  # ms -> s
    check_window(window)
    if kind == "nwb":
        sweeps = iter_nwb(args.inputs, stimulus=args.stimulus)
    else:
        sweeps = read_traces(
            args.inputs,
            time_col=args.time_col,
            voltage_col=args.voltage_col,
            current_col=args.stimulus_col,
            sweep_col=args.sweep_col,
            cell_col=args.cell_col,
            cell=args.cell,
            time_unit=args.time_unit,
            voltage_unit=args.voltage_unit,
            current_unit=args.stimulus_unit,
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        table = fi_table(
            sweeps,
            detector=args.detector,
            threshold_mV=args.threshold,
            refractory_ms=args.refractory,
            window=window,
            errors="skip" if args.skip_bad_sweeps else "raise",
        )
    for w in caught:  # a skipped sweep: one line each, not Python's two-line warning format
        print(f"neuroact fit: {w.message}", file=sys.stderr)
    return table


def _main(args: argparse.Namespace) -> int:
    # heavy (scipy, pandas, matplotlib): imported when the command runs, not for `--help`
    from neuroact.compare.curves import resolve_families
    from neuroact.compare.measured import fit_cells, read_fi_table
    from neuroact.results import write_csv

    out = Path(args.out)
    check_out(out)
    families = args.families
    resolve_families(families)  # unknown names fail before any reading; aliases are accepted
    kind = input_kind(args)
    sweeps = None
    if kind == "table":
        curves = read_fi_table(
            args.inputs[0],
            cell_col=args.cell_col,
            current_col=args.current_col,
            rate_col=args.rate_col,
            count_col=args.count_col,
            duration_col=args.duration_col,
            duration=args.duration,
            duration_unit=args.duration_unit,
            current_unit=args.current_unit or "pA",
            rate_unit=args.rate_unit,
            repeats=args.repeats,
            query=args.query,
            allow_negative_rates=args.allow_negative_rates,
        )
    else:
        sweeps = recordings_table(args, kind)
        curves = read_fi_table(
            sweeps,
            cell_col="cell_id",
            current_col=args.current_col or "total_current_pA",
            rate_col=args.rate_col or "rate_Hz",
            current_unit="pA",
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
    if sweeps is not None:
        tables["fi_sweeps.csv"] = sweeps
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
