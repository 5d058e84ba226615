r"""Population sparsity of a Brunel balanced network against Lennie's 1-4%.

    python simulations/population_sparsity.py --quick --out runs/population_sparsity_quick
    python simulations/population_sparsity.py --out runs/population_sparsity --workers 2
    python simulations/population_sparsity.py --out runs/population_standalone \
        --set target=cpp_standalone --set 'gs=[8.0]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [population_sparsity] table. Tables,
figures, config.json and metadata.json go to OUT (see neuroact.experiments.population_sparsity);
rerun with the same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("population_sparsity", __doc__, show="band")
