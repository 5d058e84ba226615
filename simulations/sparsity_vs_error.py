"""Does sparsity hurt? Rectifier MLPs with L1 activation penalties: test error vs sparsity.

    python simulations/sparsity_vs_error.py --quick --out runs/sparsity_vs_error_quick
    python simulations/sparsity_vs_error.py --data-dir ../shared/data --out runs/sparsity_vs_error

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.sparsity_vs_error). An interrupted run resumes when rerun with the same --out.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("sparsity_vs_error", __doc__, show="bands")
