r"""f-I curves of the LIF, noisy LIF, Hodgkin-Huxley, AdEx and Izhikevich models.

    python simulations/fi_curves.py --quick --out runs/fi_curves_quick
    python simulations/fi_curves.py --out runs/fi_curves --workers 2
    python simulations/fi_curves.py --quick --out runs/fi_curves_lif --set 'models=["lif"]' \
        --set target=cython

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [fi_curves] table. Tables, figures,
config.json and metadata.json go to OUT (see neuroact.experiments.fi_curves); rerun with the
same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("fi_curves", __doc__, show=("fi_accuracy", "fi_summary"))
