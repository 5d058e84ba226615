r"""Gradient norms per layer with depth, activation and init (Glorot & Bengio 2010).

    python simulations/vanishing_gradients.py --quick --out runs/vanishing_gradients_quick
    python simulations/vanishing_gradients.py --data-dir ../shared/data \
        --out runs/vanishing_gradients --workers 2
    python simulations/vanishing_gradients.py --quick --out runs/vanishing_gradients_deep \
        --set 'depths=[2, 20]'

--quick runs the CI-sized profile, else the full one. --set FIELD=VALUE changes a field of its
Config (TOML values) and --config FILE.toml reads a [vanishing_gradients] table. Tables,
figures, config.json and metadata.json go to OUT (see neuroact.experiments.vanishing_gradients);
rerun with the same --out to resume.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("vanishing_gradients", __doc__, show="grads_at_init")
