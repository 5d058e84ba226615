"""Training speed of the 784-1000-1000-1000-10 MLP, the cost of the probes and of the
per-epoch evaluation.

    python benchmarks/bench_training.py --data-dir ../shared/data [--threads 2] [--quick]
    python benchmarks/bench_training.py --data-dir ../shared/data --threads 1 --lean [SIZE ...]

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

4. ``--lean``: one epoch of ``neuroact.ann.train`` at each experiment's size
   (:data:`EPOCH_SIZES`) against the bare loop, before (full validation and test sets every
   epoch) and after the lean evaluation (validation subset per epoch, the full test set once),
   from timed parts: see :func:`lean_epoch`.

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

from neuroact.ann.models import MLP, Network, build_model
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


# The experiments' sizes (lean epochs): per size the model, its widths, the data set, the
# training examples per epoch, the epochs of a run, the images evaluated every epoch before
# (validation, test, training subset, probes) and after (validation subset, training subset,
# probes), and once at the end after (validation and test images: the full sets, or the
# first ``eval_limit``).
EPOCH_SIZES = {
    "glorot_table1": dict(
        model="mlp", widths=WIDTHS, dataset="mnist", train=50_000, epochs=12,
        before=(10_000, 10_000, 0, 2000), after=(10_000, 0, 2000), final=(0, 10_000),
    ),
    "train_networks": dict(
        model="mlp", widths=WIDTHS, dataset="mnist", train=50_000, epochs=20,
        before=(10_000, 10_000, 0, 2000), after=(10_000, 0, 2000), final=(0, 10_000),
    ),
    "training_speed mlp": dict(
        model="mlp", widths=WIDTHS, dataset="mnist", train=10_000, epochs=10,
        before=(2000, 2000, 10_000, 0), after=(500, 2500, 0), final=(2000, 2000),
    ),
    "training_speed cnn4": dict(
        model="cnn4", widths=(16, 16, 32), dataset="fashion-mnist", train=10_000, epochs=15,
        before=(2000, 2000, 10_000, 0), after=(500, 1000, 0), final=(2000, 2000),
    ),
}  # fmt: skip


def _chunked_steps(model, opt, x, y, batch: int, chunks: int, probes=None, steps: int = 20):
    """Median CPU seconds per training step over ``chunks`` chunks of ``steps`` steps."""
    n = x.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    times, pos = [], 0
    for _ in range(chunks):
        t = time.process_time()
        for _ in range(steps):
            idx = perm[pos : pos + batch]
            pos = (pos + batch) % (n - batch)
            if probes is None:  # the bare loop
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            else:
                _step(model, opt, x[idx], y[idx], probes)
        times.append((time.process_time() - t) / steps)
    return statistics.median(times)


def lean_epoch(name: str, data_dir: str | None, chunks: int, batch: int = 100) -> dict:
    """One epoch of ``neuroact.ann.train`` at an experiment's size (:data:`EPOCH_SIZES`)
    against the bare loop, from its parts timed in one process: training steps (bare, and with
    the probes' hooks when the experiment probes; chunks alternating), the forward pass per
    evaluated image and the probe pass. "Before": what every epoch evaluated before the lean
    evaluation; "after": the per-epoch subsets plus the one final evaluation spread over the
    run's epochs. Times are CPU seconds of this process (run it with ``--threads 1``): on a
    shared machine they measure the work, where wall-clock times measure the neighbours."""
    size = EPOCH_SIZES[name]
    n_probe = size["after"][-1]
    data = load_data(size["dataset"], data_dir, flatten=size["model"] == "mlp")
    model = build_model(size["model"], widths=size["widths"], activation="relu", seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    probes = Probes(model, data.val_x[:n_probe]) if n_probe else None
    bare, step = [], []
    for _ in range(chunks):  # alternate, so that a change of load hits both alike
        bare.append(_chunked_steps(model, opt, data.train_x, data.train_y, batch, 1))
        if probes is not None:
            probes.attach()
            step.append(_chunked_steps(model, opt, data.train_x, data.train_y, batch, 1, probes))
            probes.detach()
    step_bare = statistics.median(bare)
    step_train = statistics.median(step) if step else step_bare
    t = time.process_time()
    evaluate(model, data.val_x, data.val_y)
    per_image = (time.process_time() - t) / data.val_x.shape[0]  # forward, batches of 1000
    probe_pass = 0.0
    if probes is not None:
        t = time.process_time()
        probes.epoch_rows(1)
        probe_pass = time.process_time() - t
    steps = math.ceil(size["train"] / batch)
    bare_epoch = steps * step_bare
    val, test, train_eval, _ = size["before"]
    before = steps * step_train + per_image * (val + test + train_eval) + probe_pass
    val, train_eval, _ = size["after"]
    once = per_image * sum(size["final"]) / size["epochs"]
    after = steps * step_train + per_image * (val + train_eval) + probe_pass + once
    return {
        "size": name,
        "model": size["model"],
        "train_examples": size["train"],
        "evaluated_before": size["before"],
        "evaluated_after": size["after"],
        "final_once": size["final"],
        "step_ms_bare": 1e3 * step_bare,
        "step_ms_train": 1e3 * step_train,
        "forward_ms_per_image": 1e3 * per_image,
        "forward_per_image_over_step_per_image": per_image / (step_bare / batch),
        "bare_epoch_s": bare_epoch,
        "probe_pass_s": probe_pass,
        "epoch_ratio_before": before / bare_epoch,
        "epoch_ratio_after": after / bare_epoch,
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
    p.add_argument(
        "--lean",
        nargs="*",
        metavar="SIZE",
        help=f"only the lean-epoch costs at these sizes (none named: all of {list(EPOCH_SIZES)})",
    )
    args = p.parse_args()
    if args.lean is not None:
        if args.threads:
            torch.set_num_threads(args.threads)
        chunks = 3 if args.quick else 8
        result = {"threads": torch.get_num_threads(), "loadavg_start": os.getloadavg()}
        result["lean"] = []
        for name in args.lean or list(EPOCH_SIZES):
            result["lean"].append(lean_epoch(name, args.data_dir, chunks))
            print(json.dumps(result["lean"][-1]), flush=True)
        result["loadavg_end"] = os.getloadavg()
        if args.out:
            with open(args.out, "w") as fh:
                fh.write(json.dumps(result, indent=2) + "\n")
        return
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
