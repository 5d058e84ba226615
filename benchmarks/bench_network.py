"""Wall time per simulated second of the Brunel network (N_E = 10,000): Brian2 targets vs NEST.

Each configuration runs in its own subprocess (clean Brian2 device state, its own memory), one
after the other, so the ratios compare runs made on the same machine under the same load.
Reported per run: build time (objects + connectivity; for cpp_standalone, code generation and
compilation), the simulation's wall time per simulated second (for cpp_standalone the run time
the generated program measures itself), and the mean rate, which must agree with NEST's
within 3% for the comparison to be fair.

The peer is NEST's ``brunel_delta`` example (``iaf_psc_delta``, fixed in-degree, one
``poisson_generator`` giving every neuron an independent train of rate ``C_E nu_ext``),
with the same initial potentials (uniform in [V_r, theta]) and a recording that starts after
the same transient.

Usage::

    python benchmarks/bench_network.py [--sim 1.0] [--settings standard,sparse]
        [--runs cython,cpp1,cpp2,nest1,nest2] [--out benchmarks/results/bench_network.csv]

NEST is an optional dependency (``pip install nest-simulator``, see benchmarks/requirements.txt);
without it the NEST rows say why they are missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = {"standard": (5.0, 2.0), "sparse": (8.0, 0.85)}
RUNS = {
    "numpy": ("brian2", "numpy", 1),
    "cython": ("brian2", "cython", 1),
    "cpp1": ("brian2", "cpp_standalone", 1),
    "cpp2": ("brian2", "cpp_standalone", 2),
    "nest1": ("nest", None, 1),
    "nest2": ("nest", None, 2),
}


def run_brian2(
    g: float,
    eta: float,
    target: str,
    threads: int,
    sim: float,
    transient: float,
    n_exc: int,
    seed: int,
) -> dict:
    from brian2 import second

    from neuroact.bio.network import BrunelConfig, simulate

    cfg = BrunelConfig(
        n_exc=n_exc,
        g=g,
        eta=eta,
        duration=sim * second,
        transient=transient * second,
        target=target,
        threads=threads,
        seed=seed,
    )
    act = simulate(cfg)
    return {
        "build_s": act.meta["build_s"],
        "wall_per_sim_s": act.meta["wall_per_sim_s"],
        "mean_rate_Hz": act.mean_rate_Hz(),
        "cv2_isi": act.summary()["cv2_isi"],
    }


def run_nest(
    g: float, eta: float, threads: int, sim: float, transient: float, n_exc: int, seed: int
) -> dict:
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    dt, delay, tau, theta, v_r, J = 0.1, 1.5, 20.0, 20.0, 10.0, 0.1
    n_inh = n_exc // 4
    ce, ci = n_exc // 10, n_exc // 40
    nu_th = theta / (J * ce * tau)  # per ms
    p_rate = 1000.0 * eta * nu_th * ce  # Hz: all C_E external inputs of one neuron together
    nest.SetKernelStatus(
        {"resolution": dt, "print_time": False, "local_num_threads": threads, "rng_seed": seed + 1}
    )
    params = {"C_m": 1.0, "tau_m": tau, "t_ref": 2.0, "E_L": 0.0, "V_reset": v_r, "V_th": theta}
    t0 = time.perf_counter()
    ex = nest.Create("iaf_psc_delta", n_exc, params=params)
    inh = nest.Create("iaf_psc_delta", n_inh, params=params)
    allnodes = ex + inh
    allnodes.V_m = nest.random.uniform(v_r, theta)
    noise = nest.Create("poisson_generator", params={"rate": p_rate})
    rec = nest.Create("spike_recorder", params={"start": transient * 1000.0})
    nest.CopyModel("static_synapse", "excitatory", {"weight": J, "delay": delay})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": -g * J, "delay": delay})
    nest.Connect(noise, allnodes, syn_spec="excitatory")
    nest.Connect(ex, allnodes, {"rule": "fixed_indegree", "indegree": ce}, "excitatory")
    nest.Connect(inh, allnodes, {"rule": "fixed_indegree", "indegree": ci}, "inhibitory")
    nest.Connect(allnodes, rec)
    nest.Prepare()
    t1 = time.perf_counter()
    nest.Run((transient + sim) * 1000.0)
    t2 = time.perf_counter()
    nest.Cleanup()
    n_spikes = rec.get("n_events")
    return {
        "build_s": t1 - t0,
        "wall_per_sim_s": (t2 - t1) / (transient + sim),
        "mean_rate_Hz": n_spikes / (len(allnodes) * sim),
        "cv2_isi": float("nan"),
    }


def _worker(args: argparse.Namespace) -> None:
    kind, target, threads = RUNS[args.worker]
    if args.omp_passive:
        # OpenMP threads that busy-wait at barriers are disastrous on an oversubscribed machine
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

    g, eta = SETTINGS[args.setting]
    if kind == "nest":
        out = run_nest(g, eta, threads, args.sim, args.transient, args.n_exc, args.seed)
    else:
        out = run_brian2(g, eta, target, threads, args.sim, args.transient, args.n_exc, args.seed)
    print("RESULT " + json.dumps(out))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", type=float, default=1.0, help="simulated seconds after transient")
    p.add_argument("--transient", type=float, default=0.1)
    p.add_argument("--n-exc", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--settings", default="standard,sparse")
    p.add_argument("--runs", default="cython,cpp1,cpp2,nest1,nest2")
    p.add_argument("--out", default=None, help="CSV to write (default: print only)")
    p.add_argument(
        "--omp-passive",
        action="store_true",
        help="OMP_WAIT_POLICY=PASSIVE for cpp_standalone threads (shared machines)",
    )
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--setting", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args)
        return

    import pandas as pd

    rows = []
    load0 = os.getloadavg()[0]
    for setting in args.settings.split(","):
        for name in args.runs.split(","):
            kind, target, threads = RUNS[name]
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                name,
                "--setting",
                setting,
                "--sim",
                str(args.sim),
                "--transient",
                str(args.transient),
                "--n-exc",
                str(args.n_exc),
                "--seed",
                str(args.seed),
            ]
            cmd += ["--omp-passive"] if args.omp_passive else []
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            row = {
                "setting": setting,
                "g": SETTINGS[setting][0],
                "eta": SETTINGS[setting][1],
                "run": name,
                "simulator": kind,
                "target": target or "nest",
                "threads": threads,
                "n_exc": args.n_exc,
                "sim_s": args.sim,
                "total_wall_s": time.perf_counter() - t0,
                "load_avg_1min": os.getloadavg()[0],
                "omp_passive": bool(args.omp_passive),
            }
            lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode == 0 and lines:
                row |= json.loads(lines[-1][7:])
                row["error"] = ""
            else:
                row["error"] = (proc.stderr.strip().splitlines() or ["?"])[-1][:200]
            rows.append(row)
            print(
                {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()},
                flush=True,
            )
    df = pd.DataFrame(rows)
    for setting, d in df.groupby("setting"):
        ok = d[d["error"] == ""].set_index("run")
        for ref in ("nest1", "nest2"):
            if ref in ok.index:
                df.loc[df["setting"] == setting, f"speed_vs_{ref}"] = (
                    ok.loc[ref, "wall_per_sim_s"]
                    / df.loc[df["setting"] == setting, "wall_per_sim_s"]
                )
                df.loc[df["setting"] == setting, f"rate_diff_vs_{ref}"] = (
                    df.loc[df["setting"] == setting, "mean_rate_Hz"] / ok.loc[ref, "mean_rate_Hz"]
                    - 1
                )
    print(f"load average at start {load0:.1f}, cores {os.cpu_count()}")
    print(df.drop(columns=["error"]).round(3).to_string())
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
