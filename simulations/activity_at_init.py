"""Fraction of active hidden units at initialisation and after training, both views.

    python simulations/activity_at_init.py --quick --out runs/activity_at_init_quick
    python simulations/activity_at_init.py --data-dir ../shared/data --out runs/activity_at_init

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.activity_at_init). An interrupted run resumes when rerun with the same --out.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("activity_at_init", __doc__, show="summary")
