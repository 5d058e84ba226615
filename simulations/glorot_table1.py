r"""Glorot, Bordes & Bengio 2011 Table 1: rectifier, softplus and tanh 3 x 1000 MLPs, each
unit's hyper-parameters searched on the validation set, then fresh seeds; DAE pre-training.

    python simulations/glorot_table1.py --quick --out runs/glorot_table1_quick
    python simulations/glorot_table1.py --data-dir ../shared/data --out runs/glorot_table1 \
        --workers 2
    python simulations/glorot_table1.py --data-dir ../shared/data --out runs/glorot_relu \
        --set 'activations=["relu"]' --set trials=4

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [glorot_table1] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.glorot_table1); rerun with the
same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("glorot_table1", __doc__, show="table1")
