"""Fraction of active hidden units at initialisation and after training, both views.

    python simulations/activity_at_init.py --quick --out runs/activity_at_init_quick
    python simulations/activity_at_init.py --data-dir ../shared/data --out runs/activity_at_init

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.activity_at_init). An interrupted run resumes when rerun with the same --out.
"""

import argparse

from neuroact.experiments import activity_at_init as experiment


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
    print(run.read_table("summary").to_string(index=False))


if __name__ == "__main__":
    main()
