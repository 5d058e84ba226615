"""One converted network, studied: its operating points, the two engines side by side, a showcase.

These are the units of work of the ``bridge`` experiment, usable on their own with any converted
network and any images.

See Also
--------
neuroact.experiments.bridge : the experiment that sweeps networks and rate scales with these.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from neuroact.bridge.brian2_engine import simulate_brian2
from neuroact.bridge.convert import SpikingNetwork
from neuroact.bridge.engine import simulate
from neuroact.bridge.frontier import gap_points
from neuroact.bridge.measures import layer_activity, neuron_rates, operating_points, raster
from neuroact.bridge.result import DEFAULT_WINDOWS_MS


@torch.no_grad()
def ann_accuracy(net: SpikingNetwork, x, y) -> float:
    """Accuracy of the network's ANN on ``(x, y)``."""
    logits = net.ann_forward(x)[-1]
    return float((logits.argmax(1) == torch.as_tensor(y)).double().mean())


def twin_tables(
    net: SpikingNetwork,
    x,
    y,
    duration: float,
    *,
    checkpoints_ms: Sequence[float] | None = None,
    windows_ms: Sequence[float] = DEFAULT_WINDOWS_MS,
    batch_size: int = 500,
    budget: str = "attwell_laughlin_2001",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate ``net`` on ``(x, y)`` with the fast engine; return its operating points (with
    the ANN's accuracy, the gap to it, the network's settings and the simulation speed) and
    its per-layer activity (:func:`neuroact.bridge.measures.layer_activity`)."""
    t0 = time.perf_counter()
    result = simulate(
        net,
        x,
        duration,
        checkpoints_ms=checkpoints_ms,
        windows_ms=windows_ms,
        batch_size=batch_size,
    )
    wall = time.perf_counter() - t0
    settings = net.describe()
    points = operating_points(result, np.asarray(y), budget=budget)
    points["ann_accuracy"] = ann_accuracy(net, x, y)
    points["ann_error_pct"] = 100 * (1 - points["ann_accuracy"])
    points["gap_points"] = gap_points(points)
    points["sim_seconds"] = wall
    points["images_per_second"] = result.n_images / wall
    layers = layer_activity(result)
    for frame in (points, layers):
        for i, (k, v) in enumerate(settings.items()):
            frame.insert(i, k, v)
    return points, layers


def compare_engines(net: SpikingNetwork, x, y, duration: float, *, target: str = "numpy") -> dict:
    """Brian2 against the fast engine on ``(x, y)``: identical spike trains (float64), same
    predictions (float64 and float32), accuracy and images per second of each engine."""
    y = np.asarray(y)
    t0 = time.perf_counter()
    ref = simulate_brian2(net, x, duration, checkpoints_ms=[duration * 1e3], target=target)
    t_ref = time.perf_counter() - t0
    exact = simulate(
        net,
        x,
        duration,
        checkpoints_ms=[duration * 1e3],
        dtype=torch.float64,
        record_spikes=True,
    )
    t0 = time.perf_counter()
    fast = simulate(net, x, duration, checkpoints_ms=[duration * 1e3])
    t_fast = time.perf_counter() - t0
    same = np.ones(len(y), bool)
    for a, b in zip(exact.spike_trains, ref.spike_trains, strict=True):
        for i in np.unique(np.concatenate([a[:, 0], b[:, 0]])):
            if not np.array_equal(a[a[:, 0] == i], b[b[:, 0] == i]):
                same[i] = False
    return {
        "images": len(y),
        "duration_ms": duration * 1e3,
        "target": target,
        "spikes": int(sum(len(t) for t in ref.spike_trains)),
        "identical_spike_trains_float64": float(same.mean()),
        "same_prediction_float64": float((exact.predictions[-1] == ref.predictions[-1]).mean()),
        "same_prediction_float32": float((fast.predictions[-1] == ref.predictions[-1]).mean()),
        "accuracy_brian2": float((ref.predictions[-1] == y).mean()),
        "accuracy_fast": float((fast.predictions[-1] == y).mean()),
        "brian2_seconds": t_ref,
        "fast_seconds": t_fast,
        "brian2_images_per_second": len(y) / t_ref,
        "fast_images_per_second": len(y) / t_fast,
    }


def showcase(net: SpikingNetwork, x, duration: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each hidden neuron's rate averaged over the images ``x``, and the spikes of the first
    image's hidden layers (:func:`neuroact.bridge.measures.raster`)."""
    ckpt = [duration * 1e3]
    many = simulate(net, x, duration, checkpoints_ms=ckpt, record_counts=True)
    one = simulate(net, x[:1], duration, checkpoints_ms=ckpt, record_spikes=True)
    return neuron_rates(many), raster(one)
