"""Glorot, Bordes & Bengio 2011 Table 1: rectifier, softplus, tanh, sigmoid 3 x 1000 MLPs.

    python simulations/glorot_table1.py --quick --out runs/glorot_quick
    python simulations/glorot_table1.py --data-dir ../shared/data --out runs/glorot_full \
        --datasets mnist --activations relu softplus tanh --no-pretrain --seeds 0
"""

import argparse

from neuroact.experiments import glorot_table1 as exp


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="CI-sized profile (seconds)")
    p.add_argument("--out", required=True, help="run folder (rerun the same folder to resume)")
    p.add_argument("--data-dir", default=None, help="folder holding mnist/ and fashion-mnist/")
    p.add_argument("--workers", type=int, default=1, help="local processes")
    p.add_argument("--datasets", nargs="+", help="restrict the profile's blocks to these")
    p.add_argument("--activations", nargs="+", help="activation families to train")
    p.add_argument("--seeds", nargs="+", type=int, help="seeds for every block")
    p.add_argument("--no-pretrain", action="store_true", help="drop the pre-training blocks")
    p.add_argument("--epochs", type=int, help="override the number of epochs")
    a = p.parse_args()
    config = exp.PROFILES["quick" if a.quick else "full"]
    blocks = [
        (ds, pre, tuple(a.seeds) if a.seeds else seeds)
        for ds, pre, seeds in config.blocks
        if (not a.datasets or ds in a.datasets) and not (a.no_pretrain and pre)
    ]
    if a.datasets:  # a data set named but absent from the profile: train it without pre-training
        blocks += [
            (ds, False, tuple(a.seeds or (0,)))
            for ds in a.datasets
            if ds not in {b[0] for b in blocks}
        ]
    config = exp.with_overrides(
        config,
        blocks=tuple(dict.fromkeys(blocks)),
        activations=tuple(a.activations) if a.activations else None,
        epochs=a.epochs,
    )
    run = exp.run(config, a.out, workers=a.workers, data_dir=a.data_dir)
    print(run.read_table("table1").to_string(index=False))


if __name__ == "__main__":
    main()
