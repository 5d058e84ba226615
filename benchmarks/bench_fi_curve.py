"""Benchmark: a 200-current LIF f-I curve, 1 s simulated (issue 3).

Measures, in one process:

1. the one-group runner (``fi_curve``: 200 neurons, one run) against a Python loop of
   per-current runs (one 1-neuron network per current), numpy target. The loop is timed on
   ``--loop-subset`` currents and extrapolated linearly to 200 (each iteration is the same
   work: build, code generation, 1 s of 1 neuron);
2. each Brian2 code-generation target: numpy; cython cold (fresh cache folder, so every code
   object is compiled) and warm (second call, same process and cache); cpp_standalone build
   (code generation + compilation) and run, and a rerun with new currents through
   ``device.run(run_args=...)`` (no recompilation);
3. NEST (``iaf_psc_delta``, one DC current per neuron via ``I_e``, ``spike_recorder``), if
   ``nest-simulator`` is installed: ``Simulate`` time and total time (kernel reset, creation,
   simulation, reading spikes).

Accuracy: every result's largest relative error against the analytic LIF rate where that rate
is above 5 Hz (rates from inter-spike intervals after a 0.2 s transient), so that speeds are
compared at equal accuracy (same dt for all).

Usage::

    python benchmarks/bench_fi_curve.py [--dt-ms 0.1] [--repeats 3] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

N_CURRENTS = 200
DURATION_S = 1.0
TRANSIENT_S = 0.2
LIF = {"E_L": -65.0, "V_reset": -65.0, "V_th": -50.0, "tau_m": 10.0, "t_ref": 2.0, "R_MOhm": 10.0}


def _currents(scale: float = 1.0) -> np.ndarray:
    return np.linspace(0.0, 5.0, N_CURRENTS) * scale  # nA


def _error(rates: np.ndarray, currents_nA: np.ndarray) -> float:
    from neuroact.bio.theory import lif_rate

    oracle = lif_rate(currents_nA * 1e-9)
    ok = oracle > 5
    return float(np.max(np.abs(rates[ok] / oracle[ok] - 1)))


def _best(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench_brian(dt_ms: float, repeats: int, loop_subset: int) -> dict:
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms, nA, prefs, second

    from neuroact.bio.fi import StandaloneFICurve, fi_curve, spike_statistics
    from neuroact.bio.neurons import get_model

    out: dict = {}
    currents = _currents()
    kw = {"duration": DURATION_S * second, "transient": TRANSIENT_S * second, "dt": dt_ms * ms}

    # numpy target, one group
    t_numpy, curve = _best(lambda: fi_curve("lif", currents * nA, target="numpy", **kw), repeats)
    out["numpy"] = {"seconds": t_numpy, "max_rel_error": _error(curve.rate, currents)}

    # numpy target, a loop of per-current runs (subset, extrapolated)
    model = get_model("lif")
    subset = currents[np.linspace(0, N_CURRENTS - 1, loop_subset).astype(int)]
    prefs.codegen.target = "numpy"
    start = time.perf_counter()
    rates = []
    for value in subset:
        group = NeuronGroup(
            1,
            model.equations,
            threshold=model.threshold,
            reset=model.reset,
            refractory=model.refractory,
            method=model.method,
            namespace=model.namespace(),
            dt=dt_ms * ms,
        )
        group.v = model.params["E_L"]
        group.I = value * nA
        mon = SpikeMonitor(group)
        Network(group, mon).run(DURATION_S * second, namespace={})
        s = spike_statistics(mon.i[:], mon.t[:] / second, 1, 1, TRANSIENT_S, DURATION_S, "isi")
        rates.append(s["rate"][0])
    t_loop_subset = time.perf_counter() - start
    t_loop = t_loop_subset * N_CURRENTS / loop_subset
    out["numpy_loop"] = {
        "seconds_subset": t_loop_subset,
        "subset": loop_subset,
        "seconds_extrapolated_200": t_loop,
        "max_rel_error_subset": _error(np.array(rates), subset),
        "ratio_loop_over_group": t_loop / t_numpy,
    }

    # cython: cold (fresh cache folder) and warm (same process, same cache)
    cache = tempfile.mkdtemp(prefix="neuroact_bench_cython_")
    old_cache = prefs.codegen.runtime.cython.cache_dir
    prefs.codegen.runtime.cython.cache_dir = cache
    try:
        start = time.perf_counter()
        cold = fi_curve("lif", currents * nA, target="cython", **kw)
        t_cold = time.perf_counter() - start
        t_warm, warm = _best(lambda: fi_curve("lif", currents * nA, target="cython", **kw), repeats)
    finally:
        prefs.codegen.runtime.cython.cache_dir = old_cache
        shutil.rmtree(cache, ignore_errors=True)
    out["cython_cold"] = {"seconds": t_cold, "max_rel_error": _error(cold.rate, currents)}
    out["cython_warm"] = {"seconds": t_warm, "max_rel_error": _error(warm.rate, currents)}

    # cpp_standalone: build once, run, rerun with new currents
    folder = tempfile.mkdtemp(prefix="neuroact_bench_standalone_")
    try:
        start = time.perf_counter()
        runner = StandaloneFICurve(
            "lif",
            N_CURRENTS,
            duration=kw["duration"],
            transient=kw["transient"],
            dt=kw["dt"],
            directory=folder,
        )
        t_build = time.perf_counter() - start
        with runner:
            t_run, first = _best(lambda: runner.run(currents * nA), repeats)
            scaled = _currents(0.8)
            t_rerun, second_curve = _best(lambda: runner.run(scaled * nA), repeats)
        out["cpp_standalone"] = {
            "build_seconds": t_build,
            "run_seconds": t_run,
            "rerun_new_currents_seconds": t_rerun,
            "max_rel_error": _error(first.rate, currents),
            "max_rel_error_rerun": _error(second_curve.rate, scaled),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def bench_nest(dt_ms: float, repeats: int, threads: int) -> dict:
    try:
        import nest
    except ImportError as err:  # optional benchmark dependency
        return {"error": f"nest-simulator not importable: {err}"}
    from neuroact.bio.fi import spike_statistics

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    currents = _currents()
    c_m = LIF["tau_m"] / LIF["R_MOhm"] * 1e3  # pF: tau_m = R_m C_m

    def once():
        start = time.perf_counter()
        nest.ResetKernel()
        nest.SetKernelStatus({"resolution": dt_ms, "local_num_threads": threads})
        params = {k: LIF[k] for k in ("E_L", "V_reset", "V_th", "tau_m", "t_ref")}
        neurons = nest.Create("iaf_psc_delta", N_CURRENTS, params={**params, "C_m": c_m})
        neurons.V_m = LIF["E_L"]
        neurons.I_e = list(currents * 1e3)  # pA
        recorder = nest.Create("spike_recorder")
        nest.Connect(neurons, recorder)
        sim_start = time.perf_counter()
        nest.Simulate(DURATION_S * 1e3)
        sim = time.perf_counter() - sim_start
        events = recorder.get("events")
        first_id = neurons.tolist()[0]
        i = np.asarray(events["senders"]) - first_id
        t = np.asarray(events["times"]) * 1e-3
        stats = spike_statistics(i, t, N_CURRENTS, 1, TRANSIENT_S, DURATION_S, "isi")
        return sim, time.perf_counter() - start, stats["rate"]

    runs = [once() for _ in range(repeats)]
    sim, total, rates = min(runs, key=lambda r: r[0])
    return {
        "simulate_seconds": sim,
        "total_seconds": min(r[1] for r in runs),
        "threads": threads,
        "max_rel_error": _error(rates, currents),
        "version": getattr(nest, "__version__", "?"),
    }


def machine() -> dict:
    cpu = platform.processor()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if "Model name" in ln), cpu
        )
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dt-ms", type=float, default=0.1, help="integration step for all (ms)")
    p.add_argument("--repeats", type=int, default=3, help="best of N for the warm timings")
    p.add_argument("--loop-subset", type=int, default=10, help="currents timed in the loop")
    p.add_argument("--nest-threads", type=int, default=1, help="NEST local_num_threads")
    p.add_argument("--json", help="write the results here as JSON")
    a = p.parse_args()
    import brian2

    result = {
        "machine": machine(),
        "brian2": brian2.__version__,
        "dt_ms": a.dt_ms,
        "n_currents": N_CURRENTS,
        "duration_s": DURATION_S,
        "brian2_results": bench_brian(a.dt_ms, a.repeats, a.loop_subset),
        "nest": bench_nest(a.dt_ms, a.repeats, a.nest_threads),
    }
    result["machine"]["load_average_1min_end"] = os.getloadavg()[0]
    text = json.dumps(result, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
