"""f-I curves of the LIF, noisy LIF, Hodgkin-Huxley, AdEx and Izhikevich models (issue 3).

Usage::

    python simulations/fi_curves.py --quick --out runs/fi_curves_quick   # ~1 min, numpy target
    python simulations/fi_curves.py --out runs/fi_curves                 # a few min, cython

Writes ``fi_curves.csv`` (model, sigma_mV, current, current_unit, rate_Hz, rate_sem_Hz,
first_rate_Hz, cv_isi; one row per model x noise level x current), ``fi_theory.csv``,
``fi_accuracy.csv``, ``fi_summary.csv`` and ``fi_curves.png``; a rerun with the same ``--out``
resumes.
"""

from __future__ import annotations

import argparse
import dataclasses

from neuroact.experiments import fi_curves as exp


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small profile (numpy target, ~1 min)")
    p.add_argument("--out", required=True, help="run folder (rerun the same folder to resume)")
    p.add_argument("--workers", type=int, default=1, help="local processes, one curve each")
    p.add_argument("--target", choices=("numpy", "cython"), help="override the profile's target")
    a = p.parse_args()
    config = exp.PROFILES["quick" if a.quick else "full"]
    if a.target:
        config = dataclasses.replace(config, target=a.target)
    run = exp.run(config, a.out, workers=a.workers)
    print(f"wrote {run.path}")
    print(run.read_table("fi_accuracy").to_string(index=False))
    print(run.read_table("fi_summary").to_string(index=False))


if __name__ == "__main__":
    main()
