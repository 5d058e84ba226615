r"""Activation families fitted to simulated and measured f-I curves; sparsity contrasted.

    python simulations/compare.py --quick --data-dir ../shared/data --out runs/compare_quick
    python simulations/compare.py --data-dir ../shared/data --out runs/compare \
        --input fi_curves=runs/fi_curves --input population_sparsity=runs/population_sparsity \
        --input train_networks=runs/train_networks
    python simulations/compare.py --quick --out runs/compare_bic --set criterion=bic

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [compare] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.compare); rerun with the same
--out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("compare", __doc__, show=("measured_summary", "bio_training_summary"))
