"""Train MLPs with rectifier, softplus, tanh and sigmoid units; record sparsity and gradients.

    python simulations/train_networks.py --quick --out runs/train_networks_quick
    python simulations/train_networks.py --data-dir ../shared/data --out runs/train_networks

Writes OUT/training_summary.csv (one row per network), OUT/history.csv (one row per network x
epoch x layer) and figures. --quick uses the MNIST subset shipped with the package (offline,
about a minute); the full profile trains the 784-1000-1000-1000-10 networks of Glorot, Bordes &
Bengio (2011) on MNIST. An interrupted run resumes when rerun with the same --out.
"""

import argparse

from neuroact.experiments import train_networks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small networks on the subset")
    parser.add_argument("--out", required=True, help="run folder (created; reused to resume)")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with mnist/ (or the IDX files); default: $NEUROACT_DATA_DIR "
        "or the download cache (quick profile: the embedded subset)",
    )
    parser.add_argument("--workers", type=int, default=1, help="local processes")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    args = parser.parse_args()
    config = train_networks.PROFILES["quick" if args.quick else "full"]
    run = train_networks.run(
        config, args.out, workers=args.workers, scheduler=args.scheduler, data_dir=args.data_dir
    )
    print(run.read_table("training_summary").to_string(index=False))


if __name__ == "__main__":
    main()
