r"""MLPs with rectifier, softplus, tanh and sigmoid units: sparsity and gradients in training.

    python simulations/train_networks.py --quick --out runs/train_networks_quick
    python simulations/train_networks.py --data-dir ../shared/data --out runs/train_networks \
        --workers 2
    python simulations/train_networks.py --quick --out runs/train_networks_seeds \
        --set 'seeds=[0, 1]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [train_networks] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.train_networks); rerun with
the same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("train_networks", __doc__, show="training_summary")
