"""Population sparsity of a Brunel balanced network against Lennie's 1-4% (issue 4).

Usage::

    python simulations/population_sparsity.py --quick --out runs/population_sparsity
    python simulations/population_sparsity.py --out runs/population_sparsity_full --workers 2

Writes ``OUT/population_summary.csv`` (one row per simulated network), ``band.csv``,
``energy.csv`` and the figures; a rerun with the same ``--out`` resumes.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from neuroact.experiments import population_sparsity as exp


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small network, few points")
    parser.add_argument("--out", required=True, help="run folder (reused to resume)")
    parser.add_argument("--workers", type=int, default=1, help="local processes for the sweeps")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    parser.add_argument(
        "--target",
        choices=("numpy", "cython", "cpp_standalone"),
        default=None,
        help="Brian2 code-generation target (default: the profile's)",
    )
    args = parser.parse_args(argv)
    config = exp.PROFILES["quick" if args.quick else "full"]
    if args.target is not None:
        config = replace(config, target=args.target)
    run = exp.run(config, args.out, workers=args.workers, scheduler=args.scheduler)
    print(f"wrote {run.path / 'population_summary.csv'}")


if __name__ == "__main__":
    main()
