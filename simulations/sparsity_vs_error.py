"""Does sparsity hurt? Rectifier MLPs with L1 activation penalties: test error vs sparsity.

    python simulations/sparsity_vs_error.py --quick --out runs/sparsity_vs_error_quick
    python simulations/sparsity_vs_error.py --data-dir ../shared/data --out runs/sparsity_vs_error

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.sparsity_vs_error). An interrupted run resumes when rerun with the same --out.
"""

import argparse

from neuroact.experiments import sparsity_vs_error as experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized profile (seconds)")
    parser.add_argument("--out", required=True, help="run folder (created; reused to resume)")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/")
    parser.add_argument("--workers", type=int, default=1, help="local processes")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    args = parser.parse_args()
    config = experiment.PROFILES["quick" if args.quick else "full"]
    run = experiment.run(
        config, args.out, workers=args.workers, scheduler=args.scheduler, data_dir=args.data_dir
    )
    print(run.read_table("bands").to_string(index=False))


if __name__ == "__main__":
    main()
