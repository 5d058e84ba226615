"""The reference engine: a converted network as Brian2 NeuronGroups and Synapses.

Each layer is one ``NeuronGroup`` with the unit's equations (:mod:`neuroact.bridge.neurons`)::

    IF        dv/dt = I : 1                          threshold v >= 1, reset v -= 1
    LIF       dv/dt = (I - v) / tau_m : 1 (unless refractory)
                                                     threshold v >= 1, reset v = 0, refractory t_ref
    read-out  dv/dt = I : 1                          (no threshold: the membrane read-out)

(``I : Hz`` for IF and the read-out, ``I : 1`` for LIF), and each weight matrix is one
all-to-all ``Synapses`` object with ``on_pre: v_post += w`` (``w * int(not_refractory_post)``
for LIF: a refractory neuron is clamped). Poisson input is a ``SpikeGeneratorGroup`` playing
the very spikes :func:`neuroact.bridge.engine.poisson_input_spikes` draws; analog input is the
first layer's ``I``.

Update order. Brian2's default schedule checks thresholds before it delivers synaptic input, so
each layer would add one step of delay. To run the same model as the fast engine (a spike
crosses every layer within its step), the thresholder, the synaptic pathway into the next layer
and the resetter of every layer are placed in the ``thresholds`` slot in layer order:
``[input] -> pathway 1 -> threshold 1 -> reset 1 -> pathway 2 -> threshold 2 -> ...``; the state
updaters keep their ``groups`` slot before it. Both engines then compute the same numbers in the
same order, in float64, up to the order in which simultaneous synaptic inputs are summed
(``v + w_a + w_b`` here, ``v + (w_a + w_b)`` there), a last-bit difference that can flip a spike
only when ``v`` lands within about 1e-15 of the threshold.

All images run in one Brian2 run, one after the other, each for ``duration``: at the start of
each image a ``run_regularly`` operation resets every neuron (``v = v_init``, not refractory)
and sets the first layer's input from a ``TimedArray`` of per-image currents.

See Also
--------
neuroact.bridge.engine.simulate : the fast engine this one checks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import brian2 as b2
import numpy as np
import torch

from neuroact import sparsity
from neuroact.bio.runtime import run_to_end
from neuroact.bridge.convert import SpikingNetwork
from neuroact.bridge.engine import (
    checkpoint_steps,
    n_steps_for,
    poisson_input_spikes,
    window_steps,
)
from neuroact.bridge.result import DEFAULT_WINDOWS_MS, SimulationResult, sort_spikes

TARGETS = ("numpy", "cython")


def _equations(net: SpikingNetwork, spiking: bool) -> tuple[str, dict]:
    if spiking and net.neuron.leaky:
        return (
            "dv/dt = (I - v) / tau_m : 1 (unless refractory)\nI : 1",
            {
                "threshold": "v >= 1",
                "reset": "v = 0",
                "refractory": net.neuron.t_ref * b2.second,
                "method": "exact",
            },
        )
    if spiking:
        return "dv/dt = I : 1\nI : Hz", {
            "threshold": "v >= 1",
            "reset": "v -= 1",
            "method": "euler",
        }
    return "dv/dt = I : 1\nI : Hz", {"method": "euler"}


def _drive_unit(net: SpikingNetwork, spiking: bool):
    return 1 if (spiking and net.neuron.leaky) else b2.Hz


def _all_to_all(source, target, weight: torch.Tensor, leaky: bool, name: str) -> b2.Synapses:
    on_pre = "v_post += w * int(not_refractory_post)" if leaky else "v_post += w"
    syn = b2.Synapses(source, target, "w : 1", on_pre=on_pre, name=name, dt=target.clock.dt)
    n_post, n_pre = weight.shape
    syn.connect(i=np.repeat(np.arange(n_pre), n_post), j=np.tile(np.arange(n_post), n_pre))
    syn.w[:] = weight.T.numpy().ravel()  # synapse k = (pre k // n_post, post k % n_post)
    return syn


def _build(net: SpikingNetwork, first: np.ndarray, n_steps: int, input_spikes, period):
    dt = net.dt * b2.second
    objects, groups, monitors = [], [], []
    below = None
    if net.input == "poisson":
        idx = np.concatenate([s[:, 1] for s in input_spikes]).astype(int)
        steps = np.concatenate([s[:, 0] + k * n_steps for k, s in enumerate(input_spikes)])
        below = b2.SpikeGeneratorGroup(net.in_features, idx, steps * dt, dt=dt, name="input")
        below.when, below.order = "thresholds", 0
        objects.append(below)
    inputs = b2.TimedArray(first * _drive_unit(net, net.layers[0].spiking), dt=period)
    namespace = {"tau_m": net.neuron.tau_m * b2.second, "first_input": inputs}
    for li, layer in enumerate(net.layers):
        eqs, kwargs = _equations(net, layer.spiking)
        group = b2.NeuronGroup(
            layer.size, eqs, dt=dt, name=f"layer{li}", namespace=namespace, **kwargs
        )
        unit = _drive_unit(net, layer.spiking)
        group.I = layer.drive.numpy() * unit
        objects.append(group)
        if below is not None:
            leaky = net.neuron.leaky and layer.spiking
            syn = _all_to_all(below, group, layer.weight, leaky, f"synapses{li}")
            syn.pre.when, syn.pre.order = "thresholds", 10 * li + 1
            objects.append(syn)
        if layer.spiking:
            group.thresholder["spike"].when = "thresholds"
            group.thresholder["spike"].order = 10 * li + 2
            group.resetter["spike"].when = "thresholds"
            group.resetter["spike"].order = 10 * li + 3
            mon = b2.SpikeMonitor(group, when="end", name=f"spikes{li}")
            monitors.append(mon)
            objects.append(mon)
        groups.append(group)
        below = group
    for li, group in enumerate(groups):
        v0 = net.v_init if net.layers[li].spiking else 0.0
        code = f"v = {v0!r}" + (
            "\nI = first_input(t, i)" if li == 0 and net.input == "analog" else ""
        )
        if net.neuron.leaky and net.layers[li].spiking:
            code += "\nlastspike = -1e9*second\nnot_refractory = True"
        op = group.run_regularly(code, dt=period, when="start", name=f"new_image{li}")
        objects.append(op)
    out_mon = b2.StateMonitor(groups[-1], "v", record=True, when="end", name="readout")
    objects.append(out_mon)
    return b2.Network(*objects), monitors, out_mon


def simulate_brian2(
    net: SpikingNetwork,
    x,
    duration: float,
    *,
    checkpoints_ms=None,
    windows_ms: Sequence[float] = DEFAULT_WINDOWS_MS,
    seed: int = 0,
    batch_size: int = 500,
    target: str = "numpy",
    record_counts: bool = False,
) -> SimulationResult:
    """Simulate ``net`` on ``x`` in Brian2 (module docstring); same arguments and result as
    :func:`neuroact.bridge.engine.simulate`, with every spike recorded.

    ``seed`` and ``batch_size`` select the Poisson input spikes (the fast engine's, so give the
    same values to both); ``target`` is Brian2's code-generation target (``"numpy"``: no
    compilation; ``"cython"``: compiled once, faster for long runs).
    """
    if not isinstance(net, SpikingNetwork):
        raise TypeError(f"net must be a SpikingNetwork from convert(); got {type(net).__name__}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {list(TARGETS)}; got {target!r}")
    n_steps = n_steps_for(float(duration), net.dt)
    ckpts = checkpoint_steps(checkpoints_ms, n_steps, net.dt)
    windows_ms = tuple(float(w) for w in windows_ms)
    wsteps = window_steps(windows_ms, net.dt)
    x = torch.as_tensor(x, dtype=torch.float32).flatten(1)
    first = net.first_drive(x).numpy()
    spikes_in = None
    if net.input == "poisson":
        spikes_in = poisson_input_spikes(net, x, n_steps, seed=seed, batch_size=batch_size)
    n_img = x.shape[0]
    period = n_steps * net.dt * b2.second
    old_target = b2.prefs.codegen.target
    b2.prefs.codegen.target = target
    t0 = time.perf_counter()
    try:
        network, monitors, out_mon = _build(net, first, n_steps, spikes_in, period)
        run_to_end(network, n_img * period)
    finally:
        b2.prefs.codegen.target = old_target
    wall = time.perf_counter() - t0
    trains = []
    for mon in monitors:
        step = np.round(np.asarray(mon.t_) / net.dt).astype(np.int64)
        img, local = np.divmod(step, n_steps)
        t = np.column_stack([img, local, np.asarray(mon.i, dtype=np.int64)])
        trains.append(sort_spikes(t))
    v_out = np.asarray(out_mon.v).T.reshape(n_img, n_steps, -1)  # (images, steps, classes)
    return _result(
        net, trains, v_out, n_steps, ckpts, windows_ms, wsteps, wall, record_counts, target
    )


def _counts(t: np.ndarray, n_img: int, size: int) -> np.ndarray:
    """``(images, neurons)`` spike counts of the ``(image, step, neuron)`` rows ``t``."""
    return np.bincount(t[:, 0] * size + t[:, 2], minlength=n_img * size).reshape(n_img, size)


def _window_fractions(t, n_img, size, w, n_win) -> np.ndarray:
    """``(windows, images)`` share of neurons with a spike in each complete window."""
    frac = np.zeros((n_win, n_img))
    for k in range(n_win):
        sel = t[(t[:, 1] >= k * w) & (t[:, 1] < (k + 1) * w)]
        frac[k] = sparsity.active_per_sample(_counts(sel, n_img, size))
    return frac


def _result(net, trains, v_out, n_steps, ckpts, windows_ms, wsteps, wall, record_counts, target):
    n_img = v_out.shape[0]
    spiking = [layer for layer in net.layers if layer.spiking]
    spikes = np.zeros((len(ckpts), len(spiking), n_img))
    ever = np.zeros_like(spikes)
    for li, (layer, t) in enumerate(zip(spiking, trains, strict=True)):
        key = t[:, 0] * layer.size + t[:, 2]
        first = np.full(n_img * layer.size, n_steps)
        np.minimum.at(first, key, t[:, 1])
        first = first.reshape(n_img, layer.size)
        for ci, k in enumerate(ckpts):
            spikes[ci, li] = np.bincount(t[t[:, 1] < k, 0], minlength=n_img)
            ever[ci, li] = (first < k).sum(1)
    window_active = {}
    for w_ms, w in zip(windows_ms, wsteps, strict=True):
        fr = [
            _window_fractions(t, n_img, la.size, w, n_steps // w)
            for la, t in zip(spiking, trains, strict=True)
        ]
        window_active[w_ms] = np.stack(fr) if fr else np.zeros((0, n_steps // w, n_img))
    preds = np.zeros((len(ckpts), n_img), np.int64)
    out = net.layers[-1]
    for ci, k in enumerate(ckpts):
        v = v_out[:, k - 1]
        if out.spiking:
            cnt = _counts(trains[-1][trains[-1][:, 1] < k], n_img, out.size)
            v = np.where(cnt == cnt.max(1, keepdims=True), v, -np.inf)
        preds[ci] = v.argmax(1)
    end_counts = [_counts(t, n_img, la.size) for la, t in zip(spiking, trains, strict=True)]
    readout = v_out[:, -1] / (n_steps * net.dt) if not out.spiking else end_counts[-1]
    return SimulationResult(
        engine="brian2",
        dt=net.dt,
        n_steps=n_steps,
        checkpoints=ckpts,
        **net.spiking_layout(),
        predictions=preds,
        spikes=spikes,
        ever_active=ever,
        windows_ms=windows_ms,
        window_active=window_active,
        readout=np.asarray(readout, dtype=float),
        counts=[c.astype(np.int32) for c in end_counts] if record_counts else None,
        spike_trains=trains,
        wall_seconds=wall,
        meta={"dtype": "float64", "target": target},
    )
