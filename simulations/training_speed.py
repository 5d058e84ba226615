"""Epochs and wall time to a target training error: ReLU vs tanh vs sigmoid vs softplus.

    python simulations/training_speed.py --quick --out runs/training_speed_quick
    python simulations/training_speed.py --data-dir ../shared/data --out runs/training_speed

Tables, figures, config.json and metadata.json go to OUT (see the docstring of
neuroact.experiments.training_speed). An interrupted run resumes when rerun with the same --out.
"""

from neuroact.experiments import run_script

if __name__ == "__main__":
    run_script("training_speed", __doc__, show="ratios")
