"""The quick main job's wall time, and what drawing its figures costs.

    python benchmarks/bench_main_job.py [--out DIR] [--rounds 1] [--repeats 3] [--skip-job]
        [--skip-figures] [--modes before now]

Measures, in one process, with the Brian2 and f-I caches warm (a first quick run made them):

1. Figures: every figure of a finished quick run redrawn by the experiments' ``draw``, once with
   the package's ``save`` (a figure with constrained layout is drawn once) and once with every
   figure cropped to its tight box (matplotlib draws it twice: the earlier behaviour); CPU
   seconds per experiment, medians of ``--repeats``, the two modes alternating.
2. The main job: ``run_all("quick")`` on every core into fresh folders, the modes alternating;
   wall time, the experiments' seconds (``timings.json``), and CPU seconds of this process and
   its children. Modes (``--modes``):

   ``inline``      each experiment draws its own figures (the first main job);
   ``before``      figures drawn by one process of their own at normal priority, loky's rule of
                   restarting a worker whose memory grew by 300 MB, and the earlier quick sizes
                   (population runs of 0.5 to 2 s; 8, 4, 4 and 5 epochs in ``train_networks``,
                   ``sparsity_vs_error``, ``activity_at_init`` and ``compare``);
   ``scheduling``  today's scheduling (two drawing processes at nice 19, workers allowed 2 GB
                   of growth) with the earlier quick sizes: what scheduling alone gains, the
                   tables unchanged;
   ``now``         the package as it is.

   Every main job starts with fresh worker processes.

Wall-clock numbers depend on the load: compare the two modes of one run, and read the load
average printed with them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import psutil
from joblib.externals.loky import ProcessPoolExecutor, get_reusable_executor

from neuroact import experiments, parallel, pipeline
from neuroact.figures import style, use_agg
from neuroact.results import RunFolder

MODES = ("inline", "before", "scheduling", "now")


class _Inline(pipeline._Painter):
    """The first main job: each experiment draws its own figures."""

    def __init__(self, side_by_side: bool) -> None:
        super().__init__(False)


class _NormalPriority(pipeline._Painter):
    """The drawing process at the experiments' priority."""

    def __init__(self, side_by_side: bool) -> None:
        super().__init__(False)
        self.pool = ProcessPoolExecutor(max_workers=1) if side_by_side else None


def _call_restarting(func, key: str, params: dict) -> tuple:
    """The earlier job call: loky's own limit on a worker's memory growth (300 MB) left as is.
    Defined in the script, so it is sent to the workers by value."""
    start = time.perf_counter()
    result = func(**params)
    return key, result, time.perf_counter() - start


def earlier_sizes() -> dict:
    """The quick Configs with the sizes before the quick job was fitted to 90 s."""

    def quick(name: str):
        return experiments.get(name).PROFILES["quick"]

    def epochs(name: str, n: int):
        config = quick(name)
        return dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=n))

    return {
        "population_sparsity": dataclasses.replace(
            quick("population_sparsity"), duration_s=0.5, max_duration_s=2.0
        ),
        "train_networks": epochs("train_networks", 8),
        "sparsity_vs_error": epochs("sparsity_vs_error", 4),
        "activity_at_init": epochs("activity_at_init", 4),
        "compare": epochs("compare", 5),
    }


class _Never:
    """Matches no figure: every figure is cropped to its tight box (two draws)."""


def _cpu(seen: dict[int, float]) -> float:
    """CPU seconds of this process plus every child seen so far (children that exited keep
    their last reading)."""
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            seen[proc.pid] = t.user + t.system
        except psutil.Error:
            pass
    return sum(seen.values())


def figures(run: Path, repeats: int) -> dict[str, dict[str, float]]:
    """CPU seconds to redraw each experiment's figures, one draw against two (medians of
    ``repeats``, the modes alternating)."""
    engine = style.ConstrainedLayoutEngine
    rows: dict[str, dict[str, float]] = {}
    for name in experiments.EXPERIMENTS:
        folder = RunFolder(run / name)
        experiments.get(name).draw(folder)  # warm: fonts, imports
        seconds: dict[str, list[float]] = {"two_draws": [], "one_draw": []}
        for _ in range(repeats):
            for mode, times in seconds.items():
                style.ConstrainedLayoutEngine = _Never if mode == "two_draws" else engine
                start = time.process_time()
                experiments.get(name).draw(folder)
                times.append(time.process_time() - start)
        style.ConstrainedLayoutEngine = engine
        row = {mode: round(statistics.median(times), 2) for mode, times in seconds.items()}
        rows[name] = row
        print(name, row, flush=True)
    return rows


def main_job(out: Path, mode: str) -> dict:
    """One quick main job into a fresh ``out`` in ``mode`` (see the module docstring)."""
    shutil.rmtree(out, ignore_errors=True)
    get_reusable_executor().shutdown(wait=True)  # fresh workers: no limit left from a mode
    painter, call = pipeline._Painter, parallel._call
    if mode == "inline":
        pipeline._Painter = _Inline
    if mode in ("inline", "before"):
        parallel._call = _call_restarting
    if mode == "before":
        pipeline._Painter = _NormalPriority
    configs = earlier_sizes() if mode in ("inline", "before", "scheduling") else None
    seen: dict[int, float] = {}
    cpu0, wall0 = _cpu(seen), time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.filterwarnings("always", message="A worker stopped")
            pipeline.run_all("quick", out, progress=False, configs=configs)
        restarted = sum("A worker stopped" in str(w.message) for w in caught)
        for w in caught:  # the others are shown as usual
            if "A worker stopped" not in str(w.message):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    finally:
        pipeline._Painter, parallel._call = painter, call
    wall, cpu = time.perf_counter() - wall0, _cpu(seen) - cpu0
    timings = json.loads((out / "timings.json").read_text())
    row = {
        "mode": mode,
        "wall_s": round(wall, 1),
        "experiments_s": round(sum(timings.values()), 1),
        "cpu_s": round(cpu, 1),
        "load": round(os.getloadavg()[0], 2),
        "timings": timings,
        "workers_restarted": restarted,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder of the runs (temporary)")
    parser.add_argument("--rounds", type=int, default=1, help="main jobs per mode")
    parser.add_argument("--repeats", type=int, default=3, help="redraws per figure mode")
    parser.add_argument("--skip-job", action="store_true", help="the figures part only")
    parser.add_argument("--skip-figures", action="store_true", help="the main jobs only")
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=["before", "now"], help="main-job modes"
    )
    args = parser.parse_args()
    use_agg()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-main-"))
    first = out / "warm"
    if not (first / "report.md").is_file():
        pipeline.run_all("quick", first, progress=False)  # warms the caches, gives the tables
    result = {
        "cores": psutil.cpu_count(),
        "figures": {} if args.skip_figures else figures(first, args.repeats),
        "jobs": [],
    }
    for _ in range(0 if args.skip_job else args.rounds):
        for mode in args.modes:
            result["jobs"].append(main_job(out / mode, mode))
    if result["figures"]:
        one = sum(r["one_draw"] for r in result["figures"].values())
        two = sum(r["two_draws"] for r in result["figures"].values())
        print(f"figures: {one:.1f} CPU-s in one draw, {two:.1f} in two ({one / two:.2f}x)")
    for mode in args.modes:
        rows = [r for r in result["jobs"] if r["mode"] == mode]
        if rows:
            print(mode, [r["experiments_s"] for r in rows], "s of experiments")
    (out / "bench_main_job.json").write_text(json.dumps(result, indent=1))
    print(out / "bench_main_job.json")


if __name__ == "__main__":
    main()
