r"""Trained rectifier networks run as spiking neurons (IF, LIF), measured on the brain's scale.

    python simulations/bridge.py --quick --out runs/bridge_quick
    python simulations/bridge.py --data-dir ../shared/data --out runs/bridge \
        --input population_sparsity=runs/population_sparsity
    python simulations/bridge.py --quick --out runs/bridge_l1 --set 'l1s=[0.0, 0.003]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [bridge] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.bridge); rerun with the same
--out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("bridge", __doc__, show=("networks", "frontier"))
