"""Benchmark: the two spike detectors of neuroact.recordings against Brian2's own spikes.

Sweeps: the Hodgkin-Huxley model (6.3 degC, dt = 0.025 ms, steps of 2-40 uA/cm2 on 2e-5 cm2)
and the AdEx model (dt = 0.01 ms, 0.4-2.5 nA), 6 step amplitudes each, simulated by
:func:`neuroact.recordings.simulate.simulate_sweeps`. Each trace is detected as simulated and
with white recording noise added (standard deviation 0.5 to 4 mV, 5 draws per sweep), by the
threshold detector at -20 mV with the default 2 ms refractory window, the same without a
refractory window, and eFEL's ``peak_time`` at -20 mV. Prints, per model and noise level, the
number of sweeps whose count differs from Brian2's, and for the clean traces the spike time
offsets from Brian2's.

    .venv/bin/python benchmarks/bench_spike_detection.py [--draws 5]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from brian2 import cm, ms

from neuroact.recordings.simulate import simulate_sweeps
from neuroact.recordings.spikes import efel_peak_times, threshold_crossings

MODELS = {
    "hh": dict(
        amplitudes=[2.0, 4.0, 7.0, 10.0, 20.0, 40.0],
        baseline=20 * ms,
        step=150 * ms,
        tail=30 * ms,
        dt=0.025 * ms,
        area=2e-5 * cm**2,
    ),
    "adex": dict(
        amplitudes=[0.4, 0.6, 0.8, 1.0, 1.5, 2.5], baseline=20 * ms, step=250 * ms, tail=30 * ms
    ),
}
DETECTORS = {
    "threshold, 2 ms refractory": lambda t, v: threshold_crossings(t, v),
    "threshold, no refractory": lambda t, v: threshold_crossings(t, v, refractory_ms=0.0),
    "eFEL peak_time": efel_peak_times,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for name, kw in MODELS.items():
        sim = simulate_sweeps(name, **kw)
        for sweep, truth in zip(sim.sweeps, sim.spike_times_s, strict=True):
            for det, fn in DETECTORS.items():
                found = fn(sweep.time_s, sweep.voltage_mV)
                same = found.size == truth.size and truth.size > 0
                off = (found - truth) * 1e3 if same else np.array([np.nan])
                rows.append(
                    dict(model=name, noise_mV=0.0, detector=det, sweeps=1,
                         wrong=int(found.size != truth.size), offset_min_ms=off.min(),
                         offset_max_ms=off.max(), spikes=truth.size)
                )  # fmt: skip
            for sd in (0.5, 1.0, 2.0, 4.0):
                for _ in range(args.draws):
                    noisy = sweep.voltage_mV + rng.normal(0.0, sd, sweep.voltage_mV.size)
                    for det, fn in DETECTORS.items():
                        wrong = int(fn(sweep.time_s, noisy).size != truth.size)
                        rows.append(dict(model=name, noise_mV=sd, detector=det, sweeps=1,
                                         wrong=wrong, spikes=truth.size))  # fmt: skip
    table = pd.DataFrame(rows)
    summary = table.groupby(["model", "noise_mV", "detector"], sort=False).agg(
        sweeps=("sweeps", "sum"),
        wrong_counts=("wrong", "sum"),
        offset_min_ms=("offset_min_ms", "min"),
        offset_max_ms=("offset_max_ms", "max"),
        max_spikes=("spikes", "max"),
    )
    with pd.option_context("display.width", 140, "display.max_rows", 100):
        print(summary.round(4).to_string())


if __name__ == "__main__":
    main()
