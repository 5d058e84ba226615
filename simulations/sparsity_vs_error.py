r"""Does sparsity hurt? Rectifier MLPs with L1 activation penalties: test error vs sparsity.

    python simulations/sparsity_vs_error.py --quick --out runs/sparsity_vs_error_quick
    python simulations/sparsity_vs_error.py --data-dir ../shared/data \
        --out runs/sparsity_vs_error --workers 2
    python simulations/sparsity_vs_error.py --quick --out runs/sparsity_vs_error_seeds \
        --set 'seeds=[0, 1, 2]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [sparsity_vs_error] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.sparsity_vs_error); rerun with
the same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("sparsity_vs_error", __doc__, show="bands")
