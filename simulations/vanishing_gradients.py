"""Per-layer gradient norms and saturation with depth, activation and init (Glorot & Bengio 2010).

    python simulations/vanishing_gradients.py --quick --out runs/vanishing_gradients_quick
    python simulations/vanishing_gradients.py --data-dir ../shared/data --out runs/vanishing

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.vanishing_gradients). An interrupted run resumes when rerun with the
same --out.
"""

import argparse

from neuroact.experiments import vanishing_gradients as experiment


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
    print(run.read_table("grads_at_init").to_string(index=False))


if __name__ == "__main__":
    main()
