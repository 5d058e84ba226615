"""Fit activation families to simulated and measured f-I curves; contrast sparsity (issue 7).

Usage::

    python simulations/compare.py --quick --out runs/compare --data-dir ../shared/data
    python simulations/compare.py --out runs/compare_full --fi-curves runs/fi_curves \
        --population runs/population_sparsity --networks runs/train_networks

Without ``--fi-curves`` a small ``fi_curves`` run is made inside OUT first. Writes
``sim_fits.csv``, ``measured_fits.csv``/``measured_winners.csv``/``measured_summary.csv``,
``bio_activations.csv``, ``bio_training_summary.csv``, ``contrast.csv`` and the figures; a rerun
with the same ``--out`` resumes.
"""

from __future__ import annotations

import argparse

from neuroact.experiments import compare as exp


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small profile (minutes on two cores)")
    p.add_argument("--out", required=True, help="run folder (rerun the same folder to resume)")
    p.add_argument("--data-dir", default=None, help="folder holding fi-measured/ and mnist/")
    p.add_argument("--workers", type=int, default=1, help="local processes for the training jobs")
    p.add_argument("--fi-curves", help="run folder of an fi_curves run")
    p.add_argument("--population", help="run folder of a population_sparsity run")
    p.add_argument("--networks", help="run folder of a train_networks run")
    a = p.parse_args()
    inputs = {
        k: v
        for k, v in {
            "fi_curves": a.fi_curves,
            "population_sparsity": a.population,
            "train_networks": a.networks,
        }.items()
        if v
    }
    config = exp.PROFILES["quick" if a.quick else "full"]
    run = exp.run(config, a.out, workers=a.workers, data_dir=a.data_dir, inputs=inputs)
    if run.has("measured_summary.csv"):
        print(run.read_table("measured_summary").to_string(index=False))
    print(
        run.read_table("bio_training_summary")[["activation", "test_error", "frac_zero"]].to_string(
            index=False
        )
    )


if __name__ == "__main__":
    main()
