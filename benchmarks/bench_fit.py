"""Benchmark the curve fits: the 44 measured cells against a plain curve_fit loop, and 1,000
synthetic LIF curves.

``measured`` (the default): every family fitted to each of the 44 measured rat L5 cells (total
injected current, pA, as the ``compare`` experiment fits them), timed in one process, back to
back and repeated (the best of ``--repeats`` runs counts), against

- a plain ``scipy.optimize.curve_fit`` loop: one call per cell and family from the family's
  first start, within its bounds, finite-difference Jacobian (what a user would write);
- the same loop given the analytic Jacobians;
- ``fit_cells`` solving every start with ``trf`` (the fits before the stopping rule).

Times are CPU seconds of this process (``time.process_time``), which other jobs on a shared
machine hardly change, with the wall-clock seconds beside them. It prints the time ratios, the
least-squares evaluations, and the R^2 of each method per family
with the fits where ``fit_cells`` ends below a curve_fit call or the every-start fit; with
``--workers N`` also ``fit_cells(..., workers=N)`` against serial, and checks that their tables
are identical.

``synthetic``: 1,000 noisy LIF f-I curves (random tau 5-30 ms, t_ref 1-4 ms, threshold
0.5-2 nA; 25 random currents up to 4 thresholds; Gaussian noise of 2% of the maximum rate),
every family fitted with ``fit_curve``; time per family, the finite-difference / analytic
Jacobian ratio, AIC wins, and the LIF threshold recovery.

    python benchmarks/bench_fit.py measured [--repeats 3] [--workers 2]
    python benchmarks/bench_fit.py synthetic [--curves 1000] [--fd-curves 200]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

import neuroact.compare.fit as fit_module
from neuroact.compare import lsq
from neuroact.compare.curves import FAMILIES, lif
from neuroact.compare.fit import fit_curve
from neuroact.compare.measured import fit_cells, read_fi_table
from neuroact.paths import measured_fi_table

# --- measured cells ------------------------------------------------------------------------


def measured_curves(column: str = "total_current_pA"):
    return read_fi_table(
        measured_fi_table(),
        cell_col="cell_id",
        current_col=column,
        rate_col="rate_Hz",
        current_unit="pA",
    )


def curve_fit_loop(curves, analytic: bool) -> pd.DataFrame:
    """One curve_fit call per cell and family from the family's first start, within bounds."""
    rows = []
    for cell in curves.cells:
        i, r, _ = curves.curve(cell)
        for name, fam in FAMILIES.items():
            lo, hi = (np.asarray(b, dtype=float) for b in fam.bounds(i, r))
            p0, _ = lsq.start_and_scale(fam.starts(i, r)[0], lo, hi)
            jac = (lambda x, *p, f=fam: f.jac(x, *p)) if analytic else None
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                try:
                    p, _ = curve_fit(fam.func, i, r, p0=p0, bounds=(lo, hi), jac=jac)
                    r2 = 1 - np.sum((r - fam.func(i, *p)) ** 2) / np.sum((r - r.mean()) ** 2)
                except (RuntimeError, ValueError):
                    r2 = np.nan
            rows.append({"cell_id": cell, "family": name, "r2": r2})
    return pd.DataFrame(rows)


@contextlib.contextmanager
def every_start():
    """fit_cells as before the stopping rule: every start solved with trf."""
    saved = lsq.RTOL, lsq.TRF_STARTS
    lsq.RTOL, lsq.TRF_STARTS = -np.inf, 10**6
    try:
        yield
    finally:
        lsq.RTOL, lsq.TRF_STARTS = saved


def counted_fit_cells(curves, **kwargs):
    """fit_cells and the evaluations and starts it spent (from the FitResults' counters)."""
    calls = {"nfev": 0, "starts": 0}
    original = lsq.solve

    def solve(*args, **kw):
        out = original(*args, **kw)
        calls["nfev"] += out.nfev
        calls["starts"] += out.n_starts
        return out

    fit_module.solve = solve
    try:
        fits = fit_cells(curves, progress=False, **kwargs)
    finally:
        fit_module.solve = original
    return fits, calls


def timed(func, repeats: int):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_measured(repeats: int, workers: int) -> None:
    curves = measured_curves()
    n_fits = len(curves) * len(FAMILIES)
    names = ("curve_fit", "curve_fit_jac", "fit_cells", "every_start")
    cpu, wall = dict.fromkeys(names, np.inf), dict.fromkeys(names, np.inf)
    results = {}
    for _ in range(repeats):  # interleaved, so that a change in load hits every method alike
        for name in names:
            c0, w0 = time.process_time(), time.perf_counter()
            if name == "curve_fit":
                out = curve_fit_loop(curves, analytic=False)
            elif name == "curve_fit_jac":
                out = curve_fit_loop(curves, analytic=True)
            elif name == "fit_cells":
                out = counted_fit_cells(curves)
            else:
                with every_start():
                    out = counted_fit_cells(curves)
            cpu[name] = min(cpu[name], time.process_time() - c0)
            wall[name] = min(wall[name], time.perf_counter() - w0)
            results[name] = out
    ours, spent = results["fit_cells"]
    before, spent_before = results["every_start"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; {len(curves)} cells x {len(FAMILIES)} families, "
        f"best of {repeats}"
    )
    for name in names:
        ratio = cpu["fit_cells"] / cpu[name]
        print(
            f"  {name:14s} {cpu[name]:6.2f} s CPU ({wall[name]:6.2f} s wall)   "
            f"fit_cells / this = {ratio:.2f}"
        )
    print(
        f"  starts tried: {spent['starts']} for {n_fits} fits ({spent['nfev']} evaluations); "
        f"every start: {spent_before['starts']} ({spent_before['nfev']} evaluations)"
    )
    key = ["cell_id", "family"]
    table = (
        ours.table[key + ["r2"]]
        .merge(before.table[key + ["r2"]], on=key, suffixes=("", "_every_start"))
        .merge(results["curve_fit"].rename(columns={"r2": "r2_curve_fit"}), on=key)
    )
    rows = []
    for fam, d in table.groupby("family", sort=False):
        gap_cf = d["r2"] - d["r2_curve_fit"]
        gap_all = d["r2"] - d["r2_every_start"]
        rows.append(
            {
                "family": fam,
                "median_r2": d["r2"].median(),
                "median_r2_curve_fit": d["r2_curve_fit"].median(),
                "median_r2_every_start": d["r2_every_start"].median(),
                "below_curve_fit": int((gap_cf < -1e-9).sum()),
                "above_curve_fit": int((gap_cf > 1e-9).sum()),
                "below_every_start": int((gap_all < -1e-9).sum()),
                "above_every_start": int((gap_all > 1e-9).sum()),
                "largest_drop": float(min(gap_cf.min(), gap_all.min(), 0.0)),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    if workers > 1:
        # wall clock: the workers' CPU time is not this process's
        t_ser, _ = timed(lambda: fit_cells(curves, progress=False), repeats)
        t_par, par = timed(lambda: fit_cells(curves, progress=False, workers=workers), repeats)
        same = par.table.equals(ours.table)
        print(
            f"  fit_cells wall clock: serial {t_ser:.2f} s, workers={workers} {t_par:.2f} s "
            f"(serial / parallel = {t_ser / t_par:.2f}); tables identical: {same}"
        )


# --- synthetic LIF curves ------------------------------------------------------------------


def make_curves(n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = {
            "tau": rng.uniform(0.005, 0.03),
            "t_ref": rng.uniform(0.001, 0.004),
            "i_th": rng.uniform(0.5, 2.0),
        }
        # random currents, so that the threshold does not fall on a sample point
        i = np.sort(rng.uniform(0.0, 4.0 * p["i_th"], 25))
        r = lif(i, *p.values())
        out.append((i, r + rng.normal(0.0, 0.02 * r.max(), r.size), p))
    return out


def time_family(fam, curves) -> tuple[float, list]:
    """CPU seconds of this process to fit ``fam`` to every curve, and the fits."""
    t0 = time.process_time()
    # Gaussian noise takes the silent points below zero: declared, as fit_curve asks
    results = [fit_curve(i, r, fam, allow_negative_rates=True) for i, r, _ in curves]
    return time.process_time() - t0, results


def run_synthetic(n_curves: int, fd_curves: int) -> None:
    curves = make_curves(n_curves)
    rows, all_results = [], {}
    t_total = 0.0
    for name, fam in FAMILIES.items():
        seconds, results = time_family(fam, curves)
        t_total += seconds
        all_results[name] = results
        sub = curves[:fd_curves]
        fd_fam = dataclasses.replace(fam, jac=None)
        t_an, _ = time_family(fam, sub)
        t_fd, _ = time_family(fd_fam, sub)
        rows.append(
            {
                "family": name,
                "seconds_all": seconds,
                "ms_per_curve": 1e3 * seconds / len(curves),
                "success": np.mean([r.success for r in results]),
                "median_r2": np.median([r.r2 for r in results if r.success]),
                "fd_over_analytic": t_fd / t_an,
            }
        )
    wins = pd.Series(
        [
            min(
                (all_results[f][k] for f in FAMILIES if all_results[f][k].success),
                key=lambda r: r.aic,
            ).family
            for k in range(len(curves))
        ]
    ).value_counts()
    table = pd.DataFrame(rows)
    table["aic_wins"] = table["family"].map(wins).fillna(0).astype(int)
    err = np.array(
        [
            r.params["i_th"] / c[2]["i_th"] - 1
            for r, c in zip(all_results["lif"], curves, strict=True)
            if r.success
        ]
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(f"{len(curves)} curves x {len(FAMILIES)} families: {t_total:.1f} s CPU in total")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(
        f"LIF threshold recovery: median |error| {100 * np.median(np.abs(err)):.2f}%, "
        f"95th percentile {100 * np.percentile(np.abs(err), 95):.2f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="which")
    m = sub.add_parser("measured", help="the 44 measured cells against a curve_fit loop")
    m.add_argument("--repeats", type=int, default=3)
    m.add_argument("--workers", type=int, default=1)
    s = sub.add_parser("synthetic", help="1,000 synthetic LIF curves")
    s.add_argument("--curves", type=int, default=1000)
    s.add_argument("--fd-curves", type=int, default=200)
    args = ap.parse_args()
    if args.which == "synthetic":
        run_synthetic(args.curves, args.fd_curves)
    else:
        run_measured(getattr(args, "repeats", 3), getattr(args, "workers", 1))


if __name__ == "__main__":
    main()
