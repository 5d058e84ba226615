r"""Fraction of active hidden units at initialisation and after training, both views.

    python simulations/activity_at_init.py --quick --out runs/activity_at_init_quick
    python simulations/activity_at_init.py --data-dir ../shared/data --out runs/activity_at_init \
        --workers 2
    python simulations/activity_at_init.py --quick --out runs/activity_at_init_he \
        --set 'inits=["he"]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [activity_at_init] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.activity_at_init); rerun with
the same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("activity_at_init", __doc__, show="summary")
