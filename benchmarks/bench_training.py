"""Training speed of the 784-1000-1000-1000-10 MLP and the cost of the probes.

    python benchmarks/bench_training.py --data-dir ../shared/data [--threads 2] [--quick]

Measures, in one process:

1. float32 GEMM peak: the best of several ``torch.mm`` of two 4096 x 4096 matrices, in GFLOP/s.
2. A bare PyTorch loop (no probes, no history, no checks) over MNIST's 50,000 training images at
   batch 100 and at batch 10 (Glorot et al. 2011's batch size): seconds per epoch and the
   fraction of the GEMM peak, counting ``3 x 2 x (784*1000 + 2*1000*1000 + 1000*10)`` FLOP per
   example (forward, and a backward of twice the forward). With ``--quick`` or when an epoch
   would be long, a fixed number of examples is timed and scaled to the epoch (stated).
3. Probe overhead, robust to a changing load: a training step timed in chunks of 20 steps
   alternating probes on / off (median per step of each; "off" is the bare loop), plus the
   probes' end-of-epoch pass (2,000 validation images through the sparsity measures, streamed
   on the model's device) and the validation/test evaluation both modes do; the epoch ratio is
   ``(steps * step_on + eval + pass) / (steps * step_off + eval)``. Two models: the MLP above
   (``neuroact.ann.train``'s step) and a user's own CNN written as a plain ``nn.Sequential``
   (conv-ReLU-pool x 2, fc-ReLU, fc), probed through the generic hooks. ``--whole`` adds the
   direct comparison of whole ``train`` epochs (probes on vs off), which is noisy when the
   machine is shared.

Wall-clock numbers are noisy on a shared machine: the ratios come from runs interleaved in the
same process; absolute times are reported with the load average.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from neuroact.ann.models import MLP, Network
from neuroact.ann.probes import Probes
from neuroact.ann.train import TrainConfig, evaluate, load_data, train

WIDTHS = (1000, 1000, 1000)
FLOP_PER_EXAMPLE = 3 * 2 * (784 * 1000 + 2 * 1000 * 1000 + 1000 * 10)


def gemm_peak(n: int = 4096, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def bare_epoch(x: torch.Tensor, y: torch.Tensor, batch: int, examples: int) -> float:
    """Seconds for a plain SGD loop over ``examples`` training examples."""
    model = MLP(784, WIDTHS, 10, "relu", seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0))[:examples]
    for s in range(0, min(20 * batch, examples), batch):  # warm-up
        idx = perm[s : s + batch]
        F.cross_entropy(model(x[idx]), y[idx]).backward()
    t = time.perf_counter()
    for s in range(0, examples, batch):
        idx = perm[s : s + batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - t


def user_cnn() -> nn.Module:
    """A CNN as a user writes it: no neuroact class, activations as nn.ReLU modules."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


MODELS = {"mlp": lambda: MLP(784, WIDTHS, 10, "relu", seed=0), "cnn": user_cnn}


def _step(model, opt, xb, yb, probes=None):
    """The body of a training loop (neuroact.ann.train's for a Network: forward with hidden
    activations, backward, step)."""
    logits = model(xb, return_hidden=True)[0] if isinstance(model, Network) else model(xb)
    loss = F.cross_entropy(logits, yb)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if probes is not None:
        probes.after_backward()
    opt.step()


def probe_overhead(data, batch: int, chunks: int, kind: str = "mlp", chunk_steps: int = 20) -> dict:
    """Per-step cost of the probes, from chunks of steps alternating probes on and off (robust
    to load changes), plus the end-of-epoch probe pass, combined into a whole-epoch ratio."""
    model = MODELS[kind]()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    probes = Probes(model, data.val_x[:2000])
    n = data.train_x.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    times = {True: [], False: []}
    pos = 0
    for c in range(2 * chunks):
        on = c % 2 == 1
        if on:
            probes.attach()
        t = time.perf_counter()
        for _ in range(chunk_steps):
            idx = perm[pos : pos + batch]
            pos = (pos + batch) % (n - batch)
            _step(model, opt, data.train_x[idx], data.train_y[idx], probes if on else None)
        times[on].append((time.perf_counter() - t) / chunk_steps)
        probes.detach()
    step_on, step_off = statistics.median(times[True]), statistics.median(times[False])
    pass_s = []
    for _ in range(3):
        t = time.perf_counter()
        probes.epoch_rows(1)
        pass_s.append(time.perf_counter() - t)
    t = time.perf_counter()
    evaluate(model, data.val_x, data.val_y)
    evaluate(model, data.test_x, data.test_y)
    eval_s = time.perf_counter() - t
    steps = math.ceil(n / batch)
    epoch_off = steps * step_off + eval_s
    epoch_on = steps * step_on + eval_s + statistics.median(pass_s)
    return {
        "model": kind,
        "batch": batch,
        "chunks_per_mode": chunks,
        "steps_per_chunk": chunk_steps,
        "step_ms_off": 1e3 * step_off,
        "step_ms_on": 1e3 * step_on,
        "step_ratio": step_on / step_off,
        "probe_pass_s": statistics.median(pass_s),
        "eval_val_test_s": eval_s,
        "epoch_s_off_est": epoch_off,
        "epoch_s_on_est": epoch_on,
        "epoch_ratio": epoch_on / epoch_off,
    }


def whole_epoch_overhead(data, batch: int, train_size: int, repeats: int) -> dict:
    """Direct comparison: ``train`` for one epoch with probes on and off (noisy under load)."""
    times = {True: [], False: []}
    sub = type(data)(
        data.train_x[:train_size],
        data.train_y[:train_size],
        data.val_x,
        data.val_y,
        data.test_x,
        data.test_y,
        name=data.name,
    )
    for _ in range(repeats):
        for probes in (False, True):
            cfg = TrainConfig(
                dataset="mnist",
                widths=WIDTHS,
                epochs=1,
                batch_size=batch,
                lr=0.01,
                probes=probes,
                seed=0,
            )
            res = train(cfg, data=sub, progress=False)
            times[probes].append(float(res.history.epoch_seconds.iloc[-1]))
    on, off = min(times[True]), min(times[False])
    return {
        "batch": batch,
        "train_examples": train_size,
        "probes_on_s": on,
        "probes_off_s": off,
        "ratio": on / off,
        "all_on_s": times[True],
        "all_off_s": times[False],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="time fewer examples (smoke run)")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--skip-bare", action="store_true", help="only the probe overhead")
    p.add_argument("--whole", action="store_true", help="also whole train() epochs on vs off")
    p.add_argument(
        "--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS), help="probed models"
    )
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_data("mnist", args.data_dir)
    n = data.train_x.shape[0]
    load = os.getloadavg()
    peak = gemm_peak()
    result = {
        "threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "loadavg_start": load,
        "gemm_peak_gflops": peak,
        "bare": [],
    }
    sizes = (
        ()
        if args.skip_bare
        else ((100, 5000 if args.quick else n), (10, 2000 if args.quick else 10_000))
    )
    for batch, examples in sizes:
        secs = bare_epoch(data.train_x, data.train_y, batch, examples)
        epoch = secs * n / examples
        result["bare"].append(
            {
                "batch": batch,
                "timed_examples": examples,
                "epoch_seconds": epoch,
                "gflops": FLOP_PER_EXAMPLE * n / epoch / 1e9,
                "fraction_of_peak": FLOP_PER_EXAMPLE * n / epoch / 1e9 / peak,
            }
        )
        print(json.dumps(result["bare"][-1]), flush=True)
    chunks = 3 if args.quick else 10
    result["probe_overhead"] = [
        probe_overhead(data, b, chunks, kind) for kind in args.models for b in (100, 10)
    ]
    for row in result["probe_overhead"]:
        print(json.dumps(row), flush=True)
    if args.whole:
        result["whole_epoch"] = [whole_epoch_overhead(data, 100, n, args.repeats)]
    result["loadavg_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
