"""Per-layer gradient norms and saturation with depth, activation and init (Glorot & Bengio 2010).

    python simulations/vanishing_gradients.py --quick --out runs/vanishing_gradients_quick
    python simulations/vanishing_gradients.py --data-dir ../shared/data --out runs/vanishing

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.vanishing_gradients). An interrupted run resumes when rerun with the
same --out.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("vanishing_gradients", __doc__, show="grads_at_init")
