"""Measures of a spiking twin on the brain's scale, and of its ANN on the same footing.

Everything is computed from the spikes of the hidden layers (the population; the 10 output
neurons are left out) at each checkpoint time ``T`` of a :class:`SimulationResult`:

accuracy
    share of images whose running prediction at ``T`` is the label.
mean rate (Hz)
    spikes of the layer / (neurons x images x ``T``).
fraction active per window ``W``
    share of the neurons with at least one spike in a window of ``W`` ms (10, 20, 50, 100,
    200 ms), the measure of the population experiment (:func:`neuroact.sparsity.fraction_active`
    on spike counts per window), averaged over the complete windows in ``[0, T)`` and over
    images. When ``T < W`` the network has stopped before the window ends, so the window holds
    exactly the neurons that fired in ``[0, T)``: that share is used.
spikes and synaptic events per image
    hidden spikes; synaptic events (NeuroBench's "synaptic operations") = spikes x fan-out.
ATP per image
    Attwell & Laughlin (2001) per-spike cost x spikes (``atp_spikes``), plus the resting cost
    of the hidden neurons over ``T`` (``atp_total``), from :mod:`neuroact.bio.energy`. The
    per-spike cost is the budget's, which assumes a cortical neuron's ~8000 synapses; a hidden
    unit here drives 1000, so the postsynaptic part is an upper bound.
activation sparsity (NeuroBench; Yik et al. 2023)
    share of zero entries among all hidden activations: for the SNN the (neuron, time step)
    pairs without a spike, ``1 - spikes / (neurons x steps)``; for the ANN the exact zeros.

The ANN side (:func:`ann_activity`) reports per hidden layer the fraction of exact zeros
(:func:`neuroact.sparsity.fraction_zero`, ``eps = 0``), the output view ``|a| <= 0.01 P99`` for
smooth units, and the pooled NeuroBench activation sparsity.

See Also
--------
neuroact.sparsity, neuroact.bio.energy, neuroact.bridge.frontier
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from neuroact import sparsity
from neuroact.bio.energy import get_budget
from neuroact.bridge.convert import SpikingNetwork, ann_activations, ann_stages
from neuroact.bridge.result import SimulationResult

SMOOTH_EPS = 0.01  # output view of smooth (soft-LIF) units, as in neuroact.ann.probes


def _labels(labels, n: int) -> np.ndarray:
    y = np.asarray(labels).ravel()
    if y.shape[0] != n:
        raise ValueError(f"labels has {y.shape[0]} entries; expected one per image ({n})")
    return y


def accuracy(result: SimulationResult, labels) -> np.ndarray:
    """Accuracy at each checkpoint (fraction of images)."""
    y = _labels(labels, result.n_images)
    return (result.predictions == y[None, :]).mean(axis=1)


def fraction_active(result: SimulationResult, window_ms: float, checkpoint: int) -> np.ndarray:
    """Per spiking layer: share of neurons active per ``window_ms`` within ``[0, T)`` (module)."""
    if window_ms not in result.window_active:
        raise ValueError(f"window_ms must be one of {list(result.windows_ms)}; got {window_ms!r}")
    steps = int(result.checkpoints[checkpoint])
    w = int(round(window_ms * 1e-3 / result.dt))
    complete = steps // w
    if complete == 0:
        sizes = np.asarray(result.layer_sizes, dtype=float)[:, None]
        return (result.ever_active[checkpoint] / sizes).mean(axis=1)
    return result.window_active[window_ms][:, :complete, :].mean(axis=(1, 2))


def layer_activity(result: SimulationResult) -> pd.DataFrame:
    """One row per checkpoint x hidden layer: rate, spikes per image, fraction active per window."""
    rows = []
    for c, t_ms in enumerate(result.times_ms):
        per_w = {w: fraction_active(result, w, c) for w in result.windows_ms}
        for li in range(result.n_hidden):
            n = result.layer_sizes[li]
            spikes = result.spikes[c, li].mean()
            row = {
                "time_ms": float(t_ms),
                "layer": li + 1,
                "layer_name": result.layer_names[li],
                "neurons": n,
                "spikes_per_image": float(spikes),
                "rate_Hz": float(spikes / (n * t_ms * 1e-3)),
            }
            row |= {f"frac_active_{w:g}ms": float(per_w[w][li]) for w in result.windows_ms}
            rows.append(row)
    return pd.DataFrame(rows)


def operating_points(
    result: SimulationResult,
    labels,
    *,
    budget: str = "attwell_laughlin_2001",
) -> pd.DataFrame:
    """One row per checkpoint time: accuracy and every population measure (module docstring)."""
    acc = accuracy(result, labels)
    b = get_budget(budget)
    h = result.n_hidden
    sizes = np.asarray(result.layer_sizes[:h], dtype=float)
    n_hidden = sizes.sum()
    fan_out = np.asarray(result.fan_out[:h], dtype=float)
    rows = []
    for c, t_ms in enumerate(result.times_ms):
        t = t_ms * 1e-3
        per_layer = result.spikes[c, :h].mean(axis=1)
        spikes = float(per_layer.sum())
        row = {
            "time_ms": float(t_ms),
            "steps": int(result.checkpoints[c]),
            "images": result.n_images,
            "accuracy": float(acc[c]),
            "error_pct": float(100 * (1 - acc[c])),
            "mean_rate_Hz": spikes / (n_hidden * t),
            "spikes_per_image": spikes,
            "synaptic_events_per_image": float((per_layer * fan_out).sum()),
            "atp_spikes_per_image": spikes * b.atp_per_spike,
            "atp_total_per_image": spikes * b.atp_per_spike + n_hidden * b.resting_atp_per_s * t,
            "activation_sparsity": 1.0 - spikes / (n_hidden * result.checkpoints[c]),
        }
        for w in result.windows_ms:
            row[f"frac_active_{w:g}ms"] = float((fraction_active(result, w, c)[:h] * sizes).sum())
            row[f"frac_active_{w:g}ms"] /= n_hidden
        rows.append(row)
    return pd.DataFrame(rows)


def neuron_rates(result: SimulationResult) -> pd.DataFrame:
    """Each hidden neuron's rate (Hz) averaged over the images (needs ``record_counts``)."""
    if result.counts is None:
        raise ValueError("result has no per-neuron counts; simulate with record_counts=True")
    duration = result.n_steps * result.dt
    rows = []
    for li in range(result.n_hidden):
        rate = result.counts[li].mean(axis=0) / duration
        rows.append(
            pd.DataFrame({"layer": li + 1, "neuron": np.arange(rate.size), "rate_Hz": rate})
        )
    return pd.concat(rows, ignore_index=True)


def raster(result: SimulationResult, image: int = 0) -> pd.DataFrame:
    """Spikes of one image's hidden layers: layer, neuron, time_ms, with the layer's size
    (``neurons``) and the run's ``duration_ms`` (needs ``record_spikes``)."""
    if result.spike_trains is None:
        raise ValueError("result has no spike trains; simulate with record_spikes=True")
    step_ms = result.dt * 1e3
    rows = []
    for li in range(result.n_hidden):
        t = result.spike_trains[li]
        t = t[t[:, 0] == image]
        frame = pd.DataFrame({"layer": li + 1, "neuron": t[:, 2], "time_ms": t[:, 1] * step_ms})
        frame["neurons"] = result.layer_sizes[li]
        frame["duration_ms"] = result.n_steps * step_ms
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


@torch.no_grad()
def ann_activity(model: SpikingNetwork | torch.nn.Module, x, labels=None) -> pd.DataFrame:
    """The ANN's own sparsity on ``x``: one row per hidden layer, plus the pooled row ``layer=0``.

    ``model`` is a trained network (see :func:`neuroact.bridge.convert.ann_stages`) or its
    spiking twin (whose ANN is then measured).

    Columns: ``frac_zero`` (exact zeros), ``frac_zero_eps`` (``|a| <= 0.01 P99``, the output
    view of smooth units), ``frac_active`` (1 - the view that fits the unit),
    ``activation_sparsity`` (NeuroBench, pooled over the hidden layers) and, with ``labels``,
    ``accuracy``.
    """
    stages = model.stages if isinstance(model, SpikingNetwork) else ann_stages(model)
    acts = ann_activations(stages, x)
    hidden = [a.numpy() for a in acts[:-1]]
    smooth = stages[0].unit == "soft_lif"
    rows = []
    for li, a in enumerate(hidden):
        zero = sparsity.fraction_zero(a)
        zero_eps = sparsity.fraction_zero(a, eps=SMOOTH_EPS)
        rows.append(
            {
                "layer": li + 1,
                "neurons": a.shape[1],
                "frac_zero": zero,
                "frac_zero_eps": zero_eps,
                "frac_active": 1.0 - (zero_eps if smooth else zero),
            }
        )
    table = pd.DataFrame(rows)
    pooled = float(sum((a == 0).sum() for a in hidden) / sum(a.size for a in hidden))
    weights = table["neurons"] / table["neurons"].sum()
    total = {
        "layer": 0,
        "neurons": int(table["neurons"].sum()),
        **{
            k: float((table[k] * weights).sum())
            for k in ("frac_zero", "frac_zero_eps", "frac_active")
        },
    }
    table = pd.concat([pd.DataFrame([total]), table], ignore_index=True)
    table["activation_sparsity"] = pooled
    if labels is not None:
        y = torch.as_tensor(np.asarray(labels)).ravel()
        table["accuracy"] = float((acts[-1].argmax(1) == y).double().mean())
    return table
