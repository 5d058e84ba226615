"""Benchmark: a 200-current LIF f-I curve, 1 s simulated.

Measures, in one process:

1. the one-group runner (``fi_curve``: 200 neurons, one run) against a Python loop of
   per-current runs (one 1-neuron network per current), numpy target. The loop is timed on
   ``--loop-subset`` currents and extrapolated linearly to 200 (each iteration is the same
   work: build, code generation, 1 s of 1 neuron);
2. each Brian2 code-generation target: numpy; cython cold (fresh cache folder, so every code
   object is compiled) and warm (second call, same process and cache); the compiled program
   of ``fi_curve``'s default path: its first call (building it into an empty cache folder),
   the median of ten later calls (new runners, new currents every other call) and one call
   from a fresh Python process that finds it in the cache;
3. NEST (``iaf_psc_delta``, one DC current per neuron via ``I_e``, ``spike_recorder``), if
   ``nest-simulator`` is installed: ``Simulate`` time and total time (kernel reset, creation,
   simulation, reading spikes);
4. the compiled program's call and NEST's alternating ``--rounds`` times, medians and ratio;
5. the README's example in fresh processes: its first ever call (building the program) and
   later calls (imports timed apart).

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
    """Median wall time of ``repeats`` calls (the machine is shared: medians, not minima)."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def _loop(currents: np.ndarray, dt_ms: float, loop_subset: int, t_numpy: float) -> dict:
    """A Python loop of one-neuron networks on a subset of the currents, extrapolated to all."""
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms, nA, prefs, second

    from neuroact.bio.fi import spike_statistics
    from neuroact.bio.neurons import get_model

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
    return {
        "seconds_subset": t_loop_subset,
        "subset": loop_subset,
        "seconds_extrapolated_200": t_loop,
        "max_rel_error_subset": _error(np.array(rates), subset),
        "ratio_loop_over_group": t_loop / t_numpy,
    }


def bench_brian(dt_ms: float, repeats: int, loop_subset: int) -> dict:
    from brian2 import ms, nA, prefs, second

    from neuroact.bio.fi import StandaloneFICurve, fi_curve

    out: dict = {}
    currents = _currents()
    kw = {"duration": DURATION_S * second, "transient": TRANSIENT_S * second, "dt": dt_ms * ms}

    # numpy target, one group
    t_numpy, curve = _best(lambda: fi_curve("lif", currents * nA, target="numpy", **kw), repeats)
    out["numpy"] = {"seconds": t_numpy, "max_rel_error": _error(curve.rate, currents)}

    # numpy target, a loop of per-current runs (subset, extrapolated; --loop-subset 0 skips)
    if loop_subset > 0:
        out["numpy_loop"] = _loop(currents, dt_ms, loop_subset, t_numpy)

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

    # the compiled program (the default path, target "auto"): first call builds it into an
    # empty cache folder, later calls run it; a fresh process finds it in the cache
    folder = tempfile.mkdtemp(prefix="neuroact_bench_programs_")
    try:
        start = time.perf_counter()
        runner = StandaloneFICurve("lif", N_CURRENTS, directory=folder, **kw)
        first = runner.run(currents * nA)
        t_first = time.perf_counter() - start
        calls = []
        for k in range(max(repeats, 10)):
            start = time.perf_counter()
            scale = 0.8 if k % 2 else 1.0  # new currents every other call: inputs, not a cache
            again = StandaloneFICurve("lif", N_CURRENTS, directory=folder, **kw)
            curve = again.run(currents * scale * nA)
            calls.append(time.perf_counter() - start)
        out["compiled_program"] = {
            "first_call_seconds": t_first,
            "call_seconds_median": float(np.median(calls)),
            "call_seconds_10th": calls[9] if len(calls) >= 10 else float("nan"),
            "call_seconds_all": calls,
            "max_rel_error": _error(first.rate, currents),
            "max_rel_error_scaled": _error(curve.rate, currents * 0.8),
            "fresh_process": _fresh_process(folder, dt_ms),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


_FRESH = """
import time
t0 = time.perf_counter()
import numpy as np
from brian2 import ms, nA, second
from neuroact.bio.fi import StandaloneFICurve
t1 = time.perf_counter()
r = StandaloneFICurve("lif", {n}, duration=1 * second, transient=0.2 * second,
                      dt={dt} * ms, directory={folder!r})
c = r.run(np.linspace(0, 5, {n}) * nA)
t2 = time.perf_counter()
print("FRESH", t1 - t0, t2 - t1)
"""


def _fresh_process(folder: str, dt_ms: float) -> dict:
    """A new Python process running the same curve from the cache: imports, then the call."""
    code = _FRESH.format(n=N_CURRENTS, dt=dt_ms, folder=folder)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = [x for x in proc.stdout.splitlines() if x.startswith("FRESH")]
    if not line:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    imports, call = map(float, line[-1].split()[1:])
    return {"import_seconds": imports, "call_seconds": call}


def _nest():
    try:
        import nest
    except ImportError as err:  # optional benchmark dependency
        return None, f"nest-simulator not importable: {err}"
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    return nest, ""


def nest_once(nest, dt_ms: float, threads: int, currents: np.ndarray):
    """One NEST f-I curve: (Simulate seconds, total seconds, rates)."""
    from neuroact.bio.fi import spike_statistics

    c_m = LIF["tau_m"] / LIF["R_MOhm"] * 1e3  # pF: tau_m = R_m C_m
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


def bench_nest(dt_ms: float, repeats: int, threads: int) -> dict:
    nest, error = _nest()
    if nest is None:
        return {"error": error}
    currents = _currents()
    runs = [nest_once(nest, dt_ms, threads, currents) for _ in range(repeats)]
    return {
        "simulate_seconds": float(np.median([r[0] for r in runs])),
        "total_seconds": float(np.median([r[1] for r in runs])),
        "threads": threads,
        "max_rel_error": _error(runs[-1][2], currents),
        "version": getattr(nest, "__version__", "?"),
    }


def interleaved(dt_ms: float, rounds: int) -> dict:
    """The compiled program's call against NEST's, alternating, ``rounds`` each: medians and
    their ratio (both see the same load)."""
    from brian2 import ms, nA, second

    from neuroact.bio.fi import StandaloneFICurve

    nest, error = _nest()
    if nest is None:
        return {"error": error}
    currents = _currents()
    kw = {"duration": DURATION_S * second, "transient": TRANSIENT_S * second, "dt": dt_ms * ms}
    folder = tempfile.mkdtemp(prefix="neuroact_bench_programs_")
    try:
        StandaloneFICurve("lif", N_CURRENTS, directory=folder, **kw)  # build once
        ours, theirs_total, theirs_sim = [], [], []
        for _ in range(rounds):
            start = time.perf_counter()
            StandaloneFICurve("lif", N_CURRENTS, directory=folder, **kw).run(currents * nA)
            ours.append(time.perf_counter() - start)
            sim, total, _ = nest_once(nest, dt_ms, 1, currents)
            theirs_sim.append(sim)
            theirs_total.append(total)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    med = {k: float(np.median(v)) for k, v in [("ours", ours), ("nest_total", theirs_total)]}
    med["nest_simulate"] = float(np.median(theirs_sim))
    return med | {
        "rounds": rounds,
        "ours_over_nest_total": med["ours"] / med["nest_total"],
        "ours_over_nest_simulate": med["ours"] / med["nest_simulate"],
    }


_README = """
import time
t0 = time.perf_counter()
import numpy as np
from brian2 import nA, second
from neuroact.bio.fi import fi_curve
from neuroact.bio.neurons import get_model
t1 = time.perf_counter()
curve = fi_curve(get_model("lif"), np.linspace(0, 3, 31) * nA, duration=1 * second)
table = curve.to_frame()
t2 = time.perf_counter()
print("README", t1 - t0, t2 - t1, curve.target)
"""


def readme_example(runs: int = 3) -> dict:
    """The README's f-I example (31 currents, 1 s, dt 0.01 ms, default target) in fresh Python
    processes with an empty program cache: the first ever run builds, the next ones reuse."""
    cache = tempfile.mkdtemp(prefix="neuroact_bench_cache_")
    env = dict(os.environ, NEUROACT_CACHE_DIR=cache)
    out: dict = {"runs": []}
    try:
        for _ in range(1 + runs):
            proc = subprocess.run(
                [sys.executable, "-c", _README], capture_output=True, text=True, env=env
            )
            line = [x for x in proc.stdout.splitlines() if x.startswith("README")]
            if not line:
                return {"error": proc.stderr.strip().splitlines()[-1:]}
            _, imports, call, target = line[-1].split()
            out["runs"].append({"import_s": float(imports), "call_s": float(call)})
            out["target"] = target
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    first, later = out["runs"][0], out["runs"][1:]
    out["first_ever_call_s"] = first["call_s"]
    out["later_call_s_median"] = float(np.median([r["call_s"] for r in later]))
    out["later_import_s_median"] = float(np.median([r["import_s"] for r in later]))
    return out


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
    p.add_argument("--repeats", type=int, default=3, help="median of N for the warm timings")
    p.add_argument("--loop-subset", type=int, default=10, help="currents timed in the loop")
    p.add_argument("--nest-threads", type=int, default=1, help="NEST local_num_threads")
    p.add_argument("--rounds", type=int, default=10, help="alternating program/NEST calls")
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
        "interleaved_with_nest": interleaved(a.dt_ms, a.rounds),
        "readme_example": readme_example(),
    }
    result["machine"]["load_average_1min_end"] = os.getloadavg()[0]
    text = json.dumps(result, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
