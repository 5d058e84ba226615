"""Benchmark: fit every curve family to 1,000 noisy f-I curves; time it.

Curves: LIF rate curves (Dayan & Abbott form, random tau 5-30 ms, t_ref 1-4 ms, threshold
0.5-2 nA) sampled at 25 random currents between 0 and 4 thresholds, with Gaussian noise of 2% of the
maximum rate. Reports the time per family (analytic Jacobians, the default), the ratio against
finite-difference Jacobians measured in the same process on a subset, how often each family
wins by AIC, and how well the LIF family recovers the threshold.

    .venv/bin/python benchmarks/bench_fit.py [--curves 1000] [--fd-curves 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time

import numpy as np
import pandas as pd

from neuroact.compare.curves import FAMILIES, lif
from neuroact.compare.fit import fit_curve


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
    t0 = time.perf_counter()
    # Gaussian noise takes the silent points below zero: declared, as fit_curve asks
    results = [fit_curve(i, r, fam, allow_negative_rates=True) for i, r, _ in curves]
    return time.perf_counter() - t0, results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--curves", type=int, default=1000)
    ap.add_argument("--fd-curves", type=int, default=200)
    args = ap.parse_args()
    curves = make_curves(args.curves)
    rows, all_results = [], {}
    t_total = 0.0
    for name, fam in FAMILIES.items():
        seconds, results = time_family(fam, curves)
        t_total += seconds
        all_results[name] = results
        sub = curves[: args.fd_curves]
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
    print(f"{len(curves)} curves x {len(FAMILIES)} families: {t_total:.1f} s in total")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(
        f"LIF threshold recovery: median |error| {100 * np.median(np.abs(err)):.2f}%, "
        f"95th percentile {100 * np.percentile(np.abs(err), 95):.2f}%"
    )


if __name__ == "__main__":
    main()
