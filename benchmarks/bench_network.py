"""Wall and CPU time per simulated second of the Brunel network: Brian2 targets vs NEST.

Each run is a fresh subprocess (clean Brian2 device state, its own memory); with
``--repeats R`` the whole list of runs is measured R times in turn (run A, B, C, A, B, C, ...),
so every configuration sees the same mix of machine load, and the table reports medians.
Reported per run: build time (objects + connectivity; for cpp_standalone, code generation and
compilation), the simulation's wall and CPU time per simulated second (for cpp_standalone the
loop time the generated program measures, and the program's CPU time), peak memory (the
Python process and, for cpp_standalone, the program), and the mean rate.

Run names: ``<target>[_<sampler>]`` with target ``numpy``, ``cython``, ``cpp1``, ``cpp2``
(cpp_standalone with 1 or 2 OpenMP threads) and sampler ``brian2`` (Brian2's ``poisson``, the
sampler of earlier versions), ``before`` (the package found in ``--before DIR``, e.g. a checkout
of the previous release: a true before/after in one run) or none (the package's default,
``poisson_small``); ``nest1`` and ``nest2`` are NEST with 1 or 2 threads.

The peer is NEST's ``brunel_delta`` example (``iaf_psc_delta``, fixed in-degree, one
``poisson_generator`` giving every neuron an independent train of rate ``C_E nu_ext``),
with the same initial potentials (uniform in [V_r, theta]) and a recording that starts after
the same transient.

With ``--policies passive,active,unset,...`` each cpp_standalone run is built once and run
``--repeats-inside`` times per OpenMP wait policy (interleaved; medians): the policies compared
on one binary, under the same load.

``--band-search`` finds the sparse band's edges along eta at g = 8 for ``--n-exc`` neurons
(cython; the population experiment's search): does the band move with the network's size?

Usage::

    python benchmarks/bench_network.py [--sim 1.0] [--settings standard,sparse]
        [--runs cython,cython_brian2,cpp1,cpp2,nest1,nest2] [--repeats 3] [--seeds 0]
        [--omp-wait package|passive|active|unset] [--n-exc 10000 --c-exc 1000]
        [--out benchmarks/results/bench_network.csv]

NEST is an optional dependency (``pip install -r benchmarks/requirements.txt``); without it the
NEST rows say why they are missing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SETTINGS = {"standard": (5.0, 2.0), "sparse": (8.0, 0.85)}
TARGETS = {"numpy": ("numpy", 1), "cython": ("cython", 1), "cpp1": ("cpp_standalone", 1)}
TARGETS["cpp2"] = ("cpp_standalone", 2)
OMP_WAIT = {
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "active": {"OMP_WAIT_POLICY": "ACTIVE"},
    "unset": {},
    # GNU OpenMP: spin this many times at a barrier before sleeping (unset: 300,000)
    "spin1k": {"GOMP_SPINCOUNT": "1000"},
    "spin10k": {"GOMP_SPINCOUNT": "10000"},
    "spin100k": {"GOMP_SPINCOUNT": "100000"},
}


def parse_run(name: str) -> dict:
    """``"cpp2_brian2"`` -> simulator, target, threads, sampler."""
    if name in ("nest1", "nest2"):
        return {"simulator": "nest", "target": "nest", "threads": int(name[-1]), "sampler": ""}
    base, _, sampler = name.partition("_")
    if base not in TARGETS or sampler not in ("", "brian2", "before"):
        raise ValueError(f"unknown run {name!r}; expected e.g. cython, cpp2_brian2, nest1")
    target, threads = TARGETS[base]
    return {
        "simulator": "brian2",
        "target": target,
        "threads": threads,
        "sampler": sampler or "inversion",
    }


def _peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_python_MB": own, "peak_program_MB": child}


def run_brian2(args: argparse.Namespace, g: float, eta: float, spec: dict) -> dict:
    from brian2 import second

    from neuroact.bio import network
    from neuroact.bio.network import BrunelConfig, simulate

    if args.omp_wait != "package":  # measure another wait policy than the package's own
        network.openmp_environment = lambda threads: OMP_WAIT[args.omp_wait]
    # the package of --before may not know the sampler setting: only the new one gets it
    extra = {} if spec["sampler"] == "before" else {"sampler": spec["sampler"]}
    cfg = BrunelConfig(
        n_exc=args.n_exc,
        c_exc=args.c_exc,
        g=g,
        eta=eta,
        duration=args.sim * second,
        transient=args.transient * second,
        target=spec["target"],
        threads=spec["threads"],
        seed=args.seed,
        **extra,
    )
    act = simulate(cfg)
    return {
        "build_s": act.meta["build_s"],
        "wall_per_sim_s": act.meta["wall_per_sim_s"],
        "cpu_per_sim_s": act.meta.get("cpu_per_sim_s", float("nan")),
        "mean_rate_Hz": act.mean_rate_Hz(),
        "frac_active_50ms": act.fraction_active(args.window_ms * 1e-3 * second),
        "cv2_isi": act.summary()["cv2_isi"],
    } | _peak_mb()


def run_policies(args: argparse.Namespace, g: float, eta: float, spec: dict) -> dict:
    """One cpp_standalone build, run once per wait policy and repeat (policies interleaved):
    the loop's wall time per simulated second of each, and its rate."""
    from brian2 import defaultclock, prefs, second, set_device
    from brian2 import device as brian_device
    from brian2 import seed as brian_seed

    from neuroact.bio.network import BrunelConfig, _build

    cfg = BrunelConfig(
        n_exc=args.n_exc,
        c_exc=args.c_exc,
        g=g,
        eta=eta,
        duration=args.sim * second,
        transient=args.transient * second,
        target="cpp_standalone",
        threads=spec["threads"],
        sampler=spec["sampler"],
        seed=args.seed,
    )
    folder = tempfile.mkdtemp(prefix="neuroact_bench_policies_")
    set_device("cpp_standalone", directory=folder, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = spec["threads"]
    brian_seed(cfg.seed)
    defaultclock.dt = cfg.dt
    net, spikes = _build(cfg)
    net.run(cfg.transient + cfg.duration, namespace={})
    brian_device.build(directory=folder, compile=True, run=False)
    base = dict(prefs.devices.cpp_standalone.run_environment_variables)
    out = {}
    try:
        for _ in range(args.repeats_inside):
            for policy in args.policies.split(","):
                prefs.devices.cpp_standalone.run_environment_variables = base | OMP_WAIT[policy]
                brian_device.run(directory=folder, with_output=False)
                wall = brian_device._last_run_time / float(cfg.transient + cfg.duration)
                rate = len(spikes.i[:]) / (cfg.n_neurons * float(cfg.transient + cfg.duration))
                out.setdefault(policy, []).append(wall)
                out.setdefault(f"{policy}_rate", []).append(rate)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {k: float(sorted(v)[len(v) // 2]) for k, v in out.items()}  # medians


def run_nest(args: argparse.Namespace, g: float, eta: float, threads: int) -> dict:
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    dt, delay, tau, theta, v_r, J = 0.1, 1.5, 20.0, 20.0, 10.0, 0.1
    n_exc = args.n_exc
    n_inh = n_exc // 4
    ce = args.c_exc or n_exc // 10
    ci = max(1, round(ce / 4))
    nu_th = theta / (J * ce * tau)  # per ms
    p_rate = 1000.0 * eta * nu_th * ce  # Hz: all C_E external inputs of one neuron together
    nest.SetKernelStatus(
        {
            "resolution": dt,
            "print_time": False,
            "local_num_threads": threads,
            "rng_seed": args.seed + 1,
        }
    )
    params = {"C_m": 1.0, "tau_m": tau, "t_ref": 2.0, "E_L": 0.0, "V_reset": v_r, "V_th": theta}
    t0 = time.perf_counter()
    ex = nest.Create("iaf_psc_delta", n_exc, params=params)
    inh = nest.Create("iaf_psc_delta", n_inh, params=params)
    allnodes = ex + inh
    allnodes.V_m = nest.random.uniform(v_r, theta)
    noise = nest.Create("poisson_generator", params={"rate": p_rate})
    rec = nest.Create("spike_recorder", params={"start": args.transient * 1000.0})
    nest.CopyModel("static_synapse", "excitatory", {"weight": J, "delay": delay})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": -g * J, "delay": delay})
    nest.Connect(noise, allnodes, syn_spec="excitatory")
    nest.Connect(ex, allnodes, {"rule": "fixed_indegree", "indegree": ce}, "excitatory")
    nest.Connect(inh, allnodes, {"rule": "fixed_indegree", "indegree": ci}, "inhibitory")
    nest.Connect(allnodes, rec)
    nest.Prepare()
    t1, c1 = time.perf_counter(), time.process_time()
    nest.Run((args.transient + args.sim) * 1000.0)
    t2, c2 = time.perf_counter(), time.process_time()
    nest.Cleanup()
    events = rec.get("events")
    senders = events["senders"]
    window = args.window_ms
    bins = (events["times"] - args.transient * 1000.0) // window
    n_windows = int(args.sim * 1000.0 // window)
    inside = bins < n_windows
    active = len(set(zip(senders[inside], bins[inside], strict=True)))
    return {
        "build_s": t1 - t0,
        "wall_per_sim_s": (t2 - t1) / (args.transient + args.sim),
        "cpu_per_sim_s": (c2 - c1) / (args.transient + args.sim),
        "mean_rate_Hz": len(senders) / (len(allnodes) * args.sim),
        "frac_active_50ms": active / (len(allnodes) * n_windows),
        "cv2_isi": float("nan"),
    } | _peak_mb()


def band_at_size(args: argparse.Namespace) -> pd.DataFrame:
    """The sparse band's edges along eta at g = 8 for a network of ``--n-exc`` (``--c-exc``)
    neurons: the population experiment's band search on Brunel's network, one line."""
    from neuroact.experiments._band_width import band_search
    from neuroact.experiments._networks import band_job

    base = {"n_exc": args.n_exc, "c_exc": args.c_exc, "transient_s": args.transient}
    base |= {"duration_s": args.sim, "seed": args.seed, "target": "cython"}
    networks, band = band_search(
        band_job,
        [""],
        [8.0],
        base,
        eta_start=0.85,
        tolerance=0.005,
        max_networks=8,
        spikes_per_neuron=3.0,
        max_duration_s=2 * args.sim,
        progress=False,
    )
    print(networks[["eta", "mean_rate_Hz", "frac_active_50ms", "cv2_isi"]].to_string())
    print(band.drop(columns=["label", "mechanism"]).T.to_string())
    return networks


def _worker(args: argparse.Namespace) -> None:
    spec = parse_run(args.worker)
    g, eta = SETTINGS[args.setting]
    if args.omp_wait != "package":  # inherited by NEST's threads and standalone programs
        os.environ.update(OMP_WAIT[args.omp_wait])
    if spec["simulator"] == "nest":
        out = run_nest(args, g, eta, spec["threads"])
    elif args.policies:
        out = run_policies(args, g, eta, spec)
    else:
        out = run_brian2(args, g, eta, spec)
    print("RESULT " + json.dumps(out))


def _command(args: argparse.Namespace, name: str, setting: str) -> list[str]:
    cmd = [sys.executable, __file__, "--worker", name, "--setting", setting]
    keys = ("sim", "transient", "n_exc", "seed", "omp_wait", "window_ms", "repeats_inside")
    for key in keys:
        cmd += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    if args.c_exc:
        cmd += ["--c-exc", str(args.c_exc)]
    if args.policies and not name.startswith("nest"):
        cmd += ["--policies", args.policies]
    return cmd


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", type=float, default=1.0, help="simulated seconds after transient")
    p.add_argument("--transient", type=float, default=0.1)
    p.add_argument("--n-exc", type=int, default=10_000)
    p.add_argument("--c-exc", type=int, default=None, help="in-degree (default N_E / 10)")
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--seeds", default="0", help="comma-separated network seeds")
    p.add_argument("--repeats", type=int, default=1, help="rounds over all runs (medians)")
    p.add_argument("--settings", default="standard,sparse")
    p.add_argument("--runs", default="cython,cython_brian2,cpp1,cpp2,nest1,nest2")
    p.add_argument("--omp-wait", default="package", choices=["package", *OMP_WAIT])
    p.add_argument("--window-ms", type=float, default=50.0, help=argparse.SUPPRESS)
    p.add_argument(
        "--policies",
        default="",
        help="cpp_standalone runs: build once, run once per OpenMP wait policy (e.g. "
        f"passive,active,unset); choices {sorted(OMP_WAIT)}",
    )
    p.add_argument("--repeats-inside", type=int, default=3, help="rounds over --policies")
    p.add_argument(
        "--band-search",
        action="store_true",
        help="instead of timing: find the band's edges along eta at g = 8 for this size",
    )
    p.add_argument("--before", default=None, help="folder holding the package to compare with")
    p.add_argument("--out", default=None, help="CSV to write (default: print only)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--setting", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    if args.band_search:
        networks = band_at_size(args)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            networks.to_csv(args.out, index=False)
        return

    runs = args.runs.split(",")
    for name in runs:
        parse_run(name)  # every name checked before the first run
    rows = []
    load0 = os.getloadavg()[0]
    for repeat in range(args.repeats):
        for seed in (int(s) for s in args.seeds.split(",")):
            args.seed = seed
            for setting in args.settings.split(","):
                for name in runs:
                    t0 = time.perf_counter()
                    env = dict(os.environ)
                    if name.endswith("_before"):
                        if not args.before:
                            raise SystemExit(f"run {name} needs --before DIR")
                        env["PYTHONPATH"] = str(Path(args.before).resolve())
                    proc = subprocess.run(
                        _command(args, name, setting), capture_output=True, text=True, env=env
                    )
                    row = {"setting": setting, "g": SETTINGS[setting][0]}
                    row |= {"eta": SETTINGS[setting][1], "run": name, **parse_run(name)}
                    row |= {"seed": seed, "repeat": repeat, "n_exc": args.n_exc}
                    row |= {"sim_s": args.sim, "omp_wait": args.omp_wait}
                    row |= {"total_wall_s": time.perf_counter() - t0}
                    row["load_avg_1min"] = os.getloadavg()[0]
                    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
                    if proc.returncode == 0 and lines:
                        row |= json.loads(lines[-1][7:])
                        row["error"] = ""
                    else:
                        row["error"] = (proc.stderr.strip().splitlines() or ["?"])[-1][:200]
                    rows.append(row)
                    show = {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
                    print(show, flush=True)
    df = pd.DataFrame(rows)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.out, index=False)
    ok = df[df["error"] == ""]
    cols = ["wall_per_sim_s", "cpu_per_sim_s", "mean_rate_Hz", "frac_active_50ms"]
    cols += ["build_s", "peak_python_MB", "peak_program_MB", "load_avg_1min"]
    med = ok.groupby(["setting", "run"])[[c for c in cols if c in ok]].median()
    med["n"] = ok.groupby(["setting", "run"]).size()
    print(f"load average at start {load0:.1f}, cores {os.cpu_count()}; medians:")
    print(med.round(4).to_string())
    if ok["seed"].nunique() > 1:
        print(seed_spread(ok).to_string())


def seed_spread(ok: pd.DataFrame) -> pd.DataFrame:
    """Per setting and run: the mean rate over seeds with its 95% t interval, and for each
    1-thread/2-thread pair of standalone runs the Welch difference of their mean rates."""
    from neuroact.stats import mean_interval, welch_difference

    rows = []
    for (setting, run), d in ok.groupby(["setting", "run"]):
        per_seed = d.groupby("seed")["mean_rate_Hz"].mean()  # repeats of one seed: one value
        est = mean_interval(per_seed.to_numpy())
        rows.append(
            {"setting": setting, "run": run, "seeds": len(per_seed), "rate_Hz": est.value}
            | {"interval": est.interval_text(digits=4), "vs": "", "difference": ""}
        )
        if run.startswith("cpp2"):
            one = ok[(ok["setting"] == setting) & (ok["run"] == run.replace("cpp2", "cpp1"))]
            if len(one):
                diff = welch_difference(
                    per_seed.to_numpy(), one.groupby("seed")["mean_rate_Hz"].mean().to_numpy()
                )
                rows[-1] |= {"vs": run.replace("cpp2", "cpp1"), "difference": diff.text(4)}
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
