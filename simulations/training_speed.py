r"""Epochs and wall time to a target training error: ReLU vs tanh vs sigmoid vs softplus.

    python simulations/training_speed.py --quick --out runs/training_speed_quick
    python simulations/training_speed.py --data-dir ../shared/data --out runs/training_speed \
        --workers 2
    python simulations/training_speed.py --quick --out runs/training_speed_mlp \
        --set 'models=["mlp"]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [training_speed] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.training_speed); rerun with
the same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("training_speed", __doc__, show="ratios")
