"""The quick main job's wall time, and what drawing its figures costs.

    python benchmarks/bench_main_job.py [--out DIR] [--rounds 1] [--repeats 3] [--skip-job]

Measures, in one process, with the Brian2 and f-I caches warm (a first quick run made them):

1. Figures: every figure of a finished quick run redrawn by the experiments' ``draw``, once with
   the package's ``save`` (a figure with constrained layout is drawn once) and once with every
   figure cropped to its tight box (matplotlib draws it twice: the earlier behaviour); CPU
   seconds per experiment, medians of ``--repeats``, the two modes alternating.
2. The main job: ``run_all("quick")`` on every core, with the figures drawn in a process of their
   own while the next experiment computes (the default) and drawn inline by each experiment (the
   earlier behaviour), alternating, into fresh folders; wall time, the experiments' seconds
   (``timings.json``), and CPU seconds of this process and its children.

Wall-clock numbers depend on the load: compare the two modes of one run, and read the load
average printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from neuroact import experiments, pipeline
from neuroact.figures import style, use_agg
from neuroact.results import RunFolder


class _Inline(pipeline._Painter):
    """The earlier main job: each experiment draws its own figures."""

    def __init__(self, side_by_side: bool) -> None:
        super().__init__(False)


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
    """One quick main job into a fresh ``out``, figures ``beside`` or ``inline``."""
    shutil.rmtree(out, ignore_errors=True)
    painter = pipeline._Painter
    pipeline._Painter = painter if mode == "beside" else _Inline
    seen: dict[int, float] = {}
    cpu0, wall0 = _cpu(seen), time.perf_counter()
    try:
        pipeline.run_all("quick", out, progress=False)
    finally:
        pipeline._Painter = painter
    wall, cpu = time.perf_counter() - wall0, _cpu(seen) - cpu0
    timings = json.loads((out / "timings.json").read_text())
    row = {
        "mode": mode,
        "wall_s": round(wall, 1),
        "experiments_s": round(sum(timings.values()), 1),
        "cpu_s": round(cpu, 1),
        "load": round(os.getloadavg()[0], 2),
        "timings": timings,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder of the runs (temporary)")
    parser.add_argument("--rounds", type=int, default=1, help="main jobs per mode")
    parser.add_argument("--repeats", type=int, default=3, help="redraws per figure mode")
    parser.add_argument("--skip-job", action="store_true", help="the figures part only")
    args = parser.parse_args()
    use_agg()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-main-"))
    first = out / "warm"
    if not (first / "report.md").is_file():
        pipeline.run_all("quick", first, progress=False)  # warms the caches, gives the tables
    result = {"cores": psutil.cpu_count(), "figures": figures(first, args.repeats), "jobs": []}
    for _ in range(0 if args.skip_job else args.rounds):
        for mode in ("inline", "beside"):
            result["jobs"].append(main_job(out / mode, mode))
    one = sum(r["one_draw"] for r in result["figures"].values())
    two = sum(r["two_draws"] for r in result["figures"].values())
    print(f"figures: {one:.1f} CPU-s in one draw, {two:.1f} in two ({one / two:.2f}x)")
    for mode in ("inline", "beside"):
        rows = [r for r in result["jobs"] if r["mode"] == mode]
        if rows:
            print(mode, [r["experiments_s"] for r in rows], "s of experiments")
    (out / "bench_main_job.json").write_text(json.dumps(result, indent=1))
    print(out / "bench_main_job.json")


if __name__ == "__main__":
    main()
