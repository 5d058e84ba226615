"""The fast engine: a vectorised, time-stepped PyTorch simulation of a converted network.

Every image of a batch is simulated at once. One step of ``dt`` does, layer by layer from the
input up (the order of the Brian2 reference engine, :mod:`neuroact.bridge.brian2_engine`):

1. state update: IF and the membrane read-out ``v <- I dt + v`` (Euler, exact here); LIF
   ``v <- I - I e + v e`` with ``e = exp(-dt / tau_m)`` (exact integration), only where the
   neuron is not refractory (Brian2's ``timestep(t - lastspike) >= timestep(t_ref)``);
2. synaptic input: ``v <- v + W s`` with ``s`` the spikes of the layer below *in this step*
   (no synaptic delay: a spike can cross every layer within one step); a refractory LIF ignores it;
3. threshold ``v >= 1`` and reset: ``v <- v - 1`` (IF) or ``v <- 0`` and refractory (LIF).

Input is event-driven where it pays: when few neurons of the layer below spiked, the spikes form
a sparse matrix and only the weight rows of the neurons that fired are added, so the cost of a
step falls with the number of spikes; dense spiking uses one dense matrix product. Analog input
is a constant current, so the first layer's ``784 x 1000`` product is computed once per image,
not once per step.

Arithmetic is float32 by default (speed); ``dtype=torch.float64`` reproduces the Brian2 engine
spike for spike (:func:`neuroact.bridge.brian2_engine.simulate_brian2`).

See Also
--------
neuroact.bridge.convert.convert : builds the network simulated here.
neuroact.bridge.result.SimulationResult : what is returned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from neuroact import sparsity
from neuroact.bridge.convert import SpikingNetwork
from neuroact.bridge.neurons import Neuron
from neuroact.bridge.result import DEFAULT_WINDOWS_MS, SimulationResult

# Below this share of presynaptic neurons spiking in a step, input goes through a sparse
# product (measured crossover with a dense one: 5-10% on one core; benchmarks/bench_bridge.py).
EVENT_DRIVEN_MAX_DENSITY = 0.08


def n_steps_for(duration: float, dt: float) -> int:
    """Number of steps of ``dt`` in ``duration`` (both in seconds; must be a whole number)."""
    steps = duration / dt
    n = int(round(steps))
    if n < 1 or abs(steps - n) > 1e-6 * max(1.0, steps):
        raise ValueError(
            f"duration must be a positive whole number of steps of dt = {dt * 1e3:g} ms; "
            f"got {duration * 1e3:g} ms"
        )
    return n


def refractory_steps(neuron: Neuron, dt: float) -> int:
    """Steps a LIF neuron stays refractory, as Brian2 counts them: ``floor(t_ref / dt + 1e-3)``."""
    return int(neuron.t_ref / dt + 1e-3) if neuron.leaky else 0


def window_steps(windows_ms: Sequence[float], dt: float) -> list[int]:
    """Each window length in steps; each must be a whole number of steps."""
    out = []
    for w in windows_ms:
        steps = float(w) * 1e-3 / dt
        if not (steps >= 1 and abs(steps - round(steps)) < 1e-6):
            raise ValueError(
                f"windows_ms must be whole numbers of steps of dt = {dt * 1e3:g} ms; got {w!r}"
            )
        out.append(int(round(steps)))
    return out


def checkpoint_steps(checkpoints_ms, n_steps: int, dt: float) -> np.ndarray:
    """Checkpoint times (ms) as sorted unique step counts in ``[1, n_steps]``; None: every step
    up to 100, then 100 points spread evenly on a log scale (the last step always included)."""
    if checkpoints_ms is None:
        steps = np.unique(np.round(np.geomspace(1, n_steps, 100)).astype(int))
        return np.unique(np.concatenate([np.arange(1, min(n_steps, 100) + 1), steps]))
    steps = np.asarray(checkpoints_ms, dtype=float) * 1e-3 / dt
    if steps.ndim != 1 or steps.size == 0 or np.any(np.abs(steps - np.round(steps)) > 1e-6):
        raise ValueError(
            f"checkpoints_ms must be whole numbers of steps of dt = {dt * 1e3:g} ms; "
            f"got {checkpoints_ms!r}"
        )
    steps = np.unique(np.round(steps).astype(int))
    if steps[0] < 1 or steps[-1] > n_steps:
        raise ValueError(
            f"checkpoints_ms must lie in (0, duration]; got {float(steps[-1] * dt * 1e3):g} ms "
            f"for a run of {n_steps * dt * 1e3:g} ms"
        )
    return steps


def _input_generator(seed: int, first_image: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) * 1_000_003 + int(first_image))


def poisson_probabilities(net: SpikingNetwork, x: torch.Tensor, dtype) -> torch.Tensor:
    """Per-step spike probability of each input pixel, ``input_rate * x * dt`` (at most 1)."""
    x = torch.as_tensor(x, dtype=torch.float64).flatten(1)
    return (x * (net.input_rate * net.dt)).clamp_(max=1.0).to(dtype)


def poisson_input_spikes(
    net: SpikingNetwork, x, n_steps: int, *, seed: int = 0, batch_size: int = 500
) -> list[np.ndarray]:
    """The Poisson input spikes :func:`simulate` draws for ``x``: per image ``(step, pixel)``.

    The generator of a batch is seeded from ``seed`` and the batch's first image, and draws one
    uniform number per pixel per step, so the same seed and batch size give the same spikes
    (this is how the Brian2 engine receives the very same input).
    """
    x = torch.as_tensor(x, dtype=torch.float64).flatten(1)
    out = []
    for start in range(0, x.shape[0], batch_size):
        p = poisson_probabilities(net, x[start : start + batch_size], torch.float64)
        gen = _input_generator(seed, start)
        per_image = [[] for _ in range(p.shape[0])]
        for n in range(n_steps):
            b, j = (torch.rand(p.shape, generator=gen, dtype=torch.float64) < p).nonzero(
                as_tuple=True
            )
            for i in torch.unique(b).tolist():
                pix = j[b == i].numpy()
                per_image[i].append(np.column_stack([np.full(pix.size, n), pix]))
        out += [np.concatenate(s) if s else np.zeros((0, 2), np.int64) for s in per_image]
    return out


class _Layer:
    """Tensors of one layer during a batch: constants, membrane state, bin and window counts."""

    def __init__(self, net, index, weight_t, first_drive, batch, dtype, wsteps):
        layer = net.layers[index]
        self.spiking = layer.spiking
        self.leaky = net.neuron.leaky and layer.spiking
        self.weight_t = weight_t
        drive = first_drive if index == 0 else layer.drive.to(dtype)  # (batch, n) or (n,)
        size = layer.size
        if self.leaky:
            e = float(np.exp(-net.dt / net.neuron.tau_m))  # numpy's exp, as Brian2 evaluates it
            self.decay = e
            self.const = (drive - drive * e).contiguous()
            self.last = torch.full((batch, size), -1e9, dtype=dtype)
            self.refractory = refractory_steps(net.neuron, net.dt)
        else:
            self.increment = (drive * net.dt).contiguous()
        v0 = net.v_init if layer.spiking else 0.0
        self.v = torch.full((batch, size), v0, dtype=dtype)
        self.bin = torch.zeros(batch, size, dtype=dtype)  # spikes in the current base bin
        self.windows = [torch.zeros(batch, size, dtype=dtype) for _ in wsteps[1:]]
        self.ever = torch.zeros(batch, size, dtype=torch.bool)
        self.total = torch.zeros(batch, dtype=torch.float64)
        self.counts = torch.zeros(batch, size, dtype=dtype)


class _Spikes:
    """One layer's spikes in one step: the boolean matrix, their number, and (made on demand)
    their indices and the matrix as numbers."""

    def __init__(self, mask: torch.Tensor, dtype: torch.dtype):
        self.mask = mask
        self.dtype = dtype
        self.sparse = False
        self.idx = mask.nonzero()
        self.n = int(self.idx.shape[0])
        self.sparse = self.n <= EVENT_DRIVEN_MAX_DENSITY * mask.numel()
        self._dense = None

    @property
    def dense(self) -> torch.Tensor:
        if self._dense is None:
            self._dense = self.mask.to(self.dtype)
        return self._dense

    def matrix(self) -> torch.Tensor:
        """The spikes as the left factor of ``s @ W.T``: sparse (COO) or dense."""
        if not self.sparse:
            return self.dense
        ones = torch.ones(self.n, dtype=self.dtype)
        return torch.sparse_coo_tensor(
            self.idx.T, ones, self.mask.shape, check_invariants=False, is_coalesced=True
        )

    def add_to(self, target: torch.Tensor, value: float) -> None:
        """``target += value * s``, touching only the spiking entries when they are few."""
        if self.sparse:
            target.index_put_(
                (self.idx[:, 0], self.idx[:, 1]),
                torch.tensor(value, dtype=target.dtype),
                accumulate=True,
            )
        else:
            target.add_(self.dense, alpha=value)


def _add_input(layer: _Layer, spikes: _Spikes, gate) -> None:
    """``v += W s`` (times the not-refractory gate): event-driven when spikes are sparse.

    Sparse spikes go through a sparse (COO) matrix product, whose cost grows with the number of
    spikes; above :data:`EVENT_DRIVEN_MAX_DENSITY` a dense product is cheaper.
    """
    if spikes.n == 0:
        return
    if gate is None:
        torch.addmm(layer.v, spikes.matrix(), layer.weight_t, out=layer.v)
    else:
        layer.v.addcmul_(torch.mm(spikes.matrix(), layer.weight_t), gate)


def _step(layers: list[_Layer], n: int, input_spikes: torch.Tensor | None) -> list[_Spikes]:
    """One time step ``n`` of every layer; returns each spiking layer's spikes."""
    dtype = layers[0].v.dtype
    below = None if input_spikes is None else _Spikes(input_spikes, dtype)
    out = []
    for layer in layers:
        gate = None
        if layer.leaky:
            gate = ((n - layer.last) >= layer.refractory).to(dtype)
            layer.v.mul_(layer.decay).add_(layer.const).mul_(gate)
        else:
            layer.v.add_(layer.increment)
        if below is not None:
            _add_input(layer, below, gate)
        if not layer.spiking:
            break
        spikes = _Spikes(layer.v >= 1.0, dtype)
        if spikes.n:
            if layer.leaky:
                layer.v.masked_fill_(spikes.mask, 0.0)
                layer.last.masked_fill_(spikes.mask, float(n))
            else:
                spikes.add_to(layer.v, -1.0)
            spikes.add_to(layer.bin, 1.0)
        out.append(spikes)
        below = spikes
    return out


def _prediction(layers: list[_Layer]) -> torch.Tensor:
    out = layers[-1]
    if not out.spiking:
        return out.v.argmax(1)
    counts = out.counts + out.bin
    top = counts == counts.max(1, keepdim=True).values
    return torch.where(top, out.v, torch.tensor(-math.inf, dtype=out.v.dtype)).argmax(1)


def _close_bin(layers, n_done, wsteps, active) -> None:
    """End of a base bin: fold it into the longer windows, close the windows that end here."""
    for li, layer in enumerate(lay for lay in layers if lay.spiking):
        layer.ever |= layer.bin > 0
        layer.total += layer.bin.sum(1).double()  # whole counts: exact in float32 to 2**24
        layer.counts.add_(layer.bin)
        accs = [layer.bin, *layer.windows]
        for acc in layer.windows:
            acc.add_(layer.bin)
        for wi, (w, acc) in enumerate(zip(wsteps, accs, strict=True)):
            if n_done % w == 0:
                active[wi][li].append(sparsity.active_per_sample(acc.numpy()))
                if acc is not layer.bin:
                    acc.zero_()
        layer.bin.zero_()


@torch.no_grad()
def _run_batch(net, weights, x, n_steps, ckpts, windows_ms, dtype, seed, first_image, record):
    batch = x.shape[0]
    wsteps = window_steps(windows_ms, net.dt)
    base = math.gcd(*wsteps)
    order = sorted(range(len(wsteps)), key=lambda i: wsteps[i])
    if wsteps[order[0]] != base:  # the base bin must be one of the windows: add it in front
        raise ValueError(f"windows_ms must include their common divisor {base * net.dt * 1e3:g} ms")
    wsorted = [wsteps[i] for i in order]
    first = net.first_drive(x, dtype)
    layers = [_Layer(net, i, w, first, batch, dtype, wsorted) for i, w in enumerate(weights)]
    spiking = [layer for layer in layers if layer.spiking]
    active = [[[] for _ in spiking] for _ in wsorted]
    poisson = poisson_probabilities(net, x, dtype) if net.input == "poisson" else None
    gen = _input_generator(seed, first_image) if poisson is not None else None
    n_c, n_l = len(ckpts), len(spiking)
    preds = np.zeros((n_c, batch), np.int64)
    spikes = np.zeros((n_c, n_l, batch))
    ever = np.zeros((n_c, n_l, batch))
    trains = [[] for _ in spiking] if record else None
    ci = 0
    for n in range(n_steps):
        inp = None
        if poisson is not None:
            inp = torch.rand(poisson.shape, generator=gen, dtype=torch.float64) < poisson
        fired = _step(layers, n, inp)
        if record:
            for li, s in enumerate(fired):
                idx = s.idx.numpy()
                trains[li].append(np.column_stack([idx[:, 0], np.full(len(idx), n), idx[:, 1]]))
        if (n + 1) % base == 0:
            _close_bin(layers, n + 1, wsorted, active)
        while ci < n_c and ckpts[ci] == n + 1:
            preds[ci] = _prediction(layers).numpy()
            for li, layer in enumerate(spiking):
                spikes[ci, li] = (layer.total + layer.bin.sum(1).double()).numpy()
                ever[ci, li] = (layer.ever | (layer.bin > 0)).sum(1).numpy()
            ci += 1
    out = layers[-1]
    readout = out.v / (n_steps * net.dt) if not out.spiking else out.counts + out.bin
    window_active = {
        float(windows_ms[order[wi]]): (
            np.stack([np.stack(a, axis=0) for a in active[wi]])
            if active[wi][0]
            else np.zeros((n_l, 0, batch))
        )
        for wi in range(len(wsorted))
    }
    counts = [(layer.counts + layer.bin).numpy().astype(np.int32) for layer in spiking]
    if trains is not None:
        trains = [np.concatenate(t) if t else np.zeros((0, 3), np.int64) for t in trains]
    return preds, spikes, ever, window_active, readout.numpy().astype(np.float64), counts, trains


def simulate(
    net: SpikingNetwork,
    x,
    duration: float,
    *,
    checkpoints_ms=None,
    windows_ms: Sequence[float] = DEFAULT_WINDOWS_MS,
    batch_size: int = 500,
    dtype: torch.dtype = torch.float32,
    seed: int = 0,
    record_spikes: bool = False,
    record_counts: bool = False,
    progress: bool = False,
) -> SimulationResult:
    """Simulate ``net`` on images ``x`` for ``duration`` seconds (module docstring).

    Parameters
    ----------
    net : a converted network (:func:`neuroact.bridge.convert.convert`).
    x : ``(images, features)`` inputs (images are flattened), as for the ANN.
    duration : simulated time per image (s), a whole number of steps.
    checkpoints_ms : times (ms) at which to read predictions and spike counts (default: every
        step up to 100, then a log grid).
    windows_ms : windows (ms) for the fraction active; the shortest must divide the others.
    batch_size : images simulated at once.
    dtype : ``torch.float32`` (fast) or ``torch.float64`` (bit-for-bit with Brian2).
    seed : seed of the Poisson input (ignored for analog input).
    record_spikes : keep every spike as ``(image, step, neuron)`` (small runs only).
    record_counts : keep each neuron's spike count per image.
    progress : a progress bar over batches.

    Returns
    -------
    SimulationResult
    """
    if not isinstance(net, SpikingNetwork):
        raise TypeError(f"net must be a SpikingNetwork from convert(); got {type(net).__name__}")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    n_steps = n_steps_for(float(duration), net.dt)
    ckpts = checkpoint_steps(checkpoints_ms, n_steps, net.dt)
    windows_ms = tuple(float(w) for w in windows_ms)
    window_steps(windows_ms, net.dt)
    x = torch.as_tensor(x, dtype=torch.float32).flatten(1)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != net.in_features:
        raise ValueError(
            f"x must be (images, {net.in_features}) inputs; got shape {tuple(x.shape)}"
        )
    # (in, out) weights: row j holds what a spike of presynaptic neuron j adds
    weights = [layer.weight.T.contiguous().to(dtype) for layer in net.layers]
    parts = []
    starts = range(0, x.shape[0], batch_size)
    for start in tqdm(starts, desc="spiking twin", disable=None if progress else True, leave=False):
        t0 = time.perf_counter()
        xb = x[start : start + batch_size]
        preds, spikes, ever, active, readout, counts, trains = _run_batch(
            net, weights, xb, n_steps, ckpts, windows_ms, dtype, seed, start, record_spikes
        )
        parts.append(
            SimulationResult(
                engine="torch",
                dt=net.dt,
                n_steps=n_steps,
                checkpoints=ckpts,
                **net.spiking_layout(),
                predictions=preds,
                spikes=spikes,
                ever_active=ever,
                windows_ms=windows_ms,
                window_active=active,
                readout=readout,
                counts=counts if record_counts else None,
                spike_trains=trains,
                wall_seconds=time.perf_counter() - t0,
                meta={"dtype": str(dtype).replace("torch.", ""), "batch_size": batch_size},
            )
        )
    return SimulationResult.concatenate(parts)


@torch.no_grad()
def unit_rates(neuron: Neuron, currents, *, dt: float = 1e-3, duration: float = 2.0) -> np.ndarray:
    """Firing rate (Hz) of the engine's unit at constant ``currents``: its f-I curve.

    ``currents`` are in the unit's input units (IF: threshold per second; LIF: threshold
    current). The rate counts the spikes after the first one, over the time from the first spike
    to the last, so the start-up from rest does not bias it (0 with fewer than two spikes).
    The discrete-time curve differs from the continuous one (:func:`neuroact.bridge.neurons.
    lif_rate`) by up to a step per interval; a soft-LIF unit fitted to this curve (see
    :mod:`neuroact.experiments.bridge`) absorbs that difference.
    """
    i = torch.as_tensor(np.asarray(currents, dtype=np.float64)).reshape(1, -1)
    n_steps = n_steps_for(duration, dt)
    v = torch.zeros_like(i)
    first = torch.full_like(i, -1.0)
    last = torch.full_like(i, -1e9)
    count = torch.zeros_like(i)
    ref = refractory_steps(neuron, dt)
    e = float(np.exp(-dt / neuron.tau_m)) if neuron.leaky else 1.0
    const = i - i * e if neuron.leaky else i * dt
    for n in range(n_steps):
        if neuron.leaky:
            v = (v * e + const) * ((n - last) >= ref)
        else:
            v = v + const
        s = v >= 1.0
        v = torch.where(s, torch.zeros_like(v), v) if neuron.leaky else v - s.double()
        first = torch.where(s & (first < 0), torch.full_like(first, n), first)
        last = torch.where(s, torch.full_like(last, n), last)
        count += s.double()
    span = (last - first) * dt
    rate = torch.where((count >= 2) & (span > 0), (count - 1) / span.clamp(min=dt), 0.0)
    return rate.numpy().ravel()
