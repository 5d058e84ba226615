"""What a simulation of a spiking twin returns, whichever engine ran it.

Both engines (:func:`neuroact.bridge.engine.simulate`, PyTorch, and
:func:`neuroact.bridge.brian2_engine.simulate_brian2`, Brian2) fill the same
:class:`SimulationResult`, so every measure (:mod:`neuroact.bridge.measures`) and the engines'
agreement test read one structure.

Time is counted in steps of ``dt``; a *checkpoint* ``c`` is the end of step ``checkpoints[c]``
(simulated time ``checkpoints[c] * dt``), where the running class prediction and the cumulative
spike counts are read. *Windows* tile the run from t = 0: window ``k`` of length ``W`` is
``[k W, (k + 1) W)``; for each complete window the share of each layer's neurons with at least
one spike in it is computed per image by :func:`neuroact.sparsity.active_per_sample`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_WINDOWS_MS = (10.0, 20.0, 50.0, 100.0, 200.0)


def sort_spikes(trains: np.ndarray) -> np.ndarray:
    """``(image, step, neuron)`` rows sorted by image, then step, then neuron."""
    return trains[np.lexsort((trains[:, 2], trains[:, 1], trains[:, 0]))]


@dataclass
class SimulationResult:
    """Spiking activity of a converted network on a set of images.

    Attributes
    ----------
    engine : ``"torch"`` or ``"brian2"``.
    dt : time step (s).
    n_steps : number of steps simulated.
    checkpoints : ``(C,)`` step counts at which predictions and counts were read.
    layer_names, layer_sizes : the spiking layers (hidden layers, then the output layer if it
        spikes).
    fan_out : synapses each spike of a layer drives (the next layer's size; 0 for the output).
    n_hidden : how many of the spiking layers are hidden layers (the first ones).
    predictions : ``(C, images)`` predicted class at each checkpoint.
    spikes : ``(C, layers, images)`` cumulative spike count of each layer.
    ever_active : ``(C, layers, images)`` neurons with at least one spike so far.
    windows_ms : window lengths.
    window_active : ``{W: (layers, windows, images)}`` share of each layer's neurons active in
        each complete window of ``W`` ms.
    readout : ``(images, classes)`` at the end: ``v / T`` (estimated logits) for the membrane
        read-out, spike counts for the spike read-out.
    counts : per layer ``(images, neurons)`` spike counts over the run (if recorded).
    spike_trains : per layer ``(image, step, neuron)`` of every spike, sorted (if recorded).
    wall_seconds : wall-clock time of the simulation.
    """

    engine: str
    dt: float
    n_steps: int
    checkpoints: np.ndarray
    layer_names: list[str]
    layer_sizes: list[int]
    fan_out: list[int]
    n_hidden: int
    predictions: np.ndarray
    spikes: np.ndarray
    ever_active: np.ndarray
    windows_ms: tuple[float, ...]
    window_active: dict[float, np.ndarray]
    readout: np.ndarray
    counts: list[np.ndarray] | None = None
    spike_trains: list[np.ndarray] | None = None
    wall_seconds: float = float("nan")
    meta: dict = field(default_factory=dict)

    @property
    def n_images(self) -> int:
        return int(self.predictions.shape[1])

    @property
    def times_ms(self) -> np.ndarray:
        """Simulated time of each checkpoint (ms)."""
        return self.checkpoints * self.dt * 1e3

    def checkpoint_index(self, time_ms: float) -> int:
        """Index of the checkpoint at ``time_ms`` (raises if there is none)."""
        hit = np.flatnonzero(np.isclose(self.times_ms, time_ms, rtol=0, atol=1e-6))
        if hit.size == 0:
            raise ValueError(
                f"time_ms={time_ms:g} is not a checkpoint; checkpoints are {self.times_ms.tolist()}"
            )
        return int(hit[0])

    @classmethod
    def concatenate(cls, parts: list[SimulationResult]) -> SimulationResult:
        """Join results of disjoint image batches (same network and settings) along images."""
        first = parts[0]

        def cat(name, axis):
            return np.concatenate([getattr(p, name) for p in parts], axis=axis)

        trains = None
        if first.spike_trains is not None:
            trains, offset = [[] for _ in first.layer_names], 0
            for p in parts:
                for i, t in enumerate(p.spike_trains):
                    trains[i].append(t + np.array([offset, 0, 0]))
                offset += p.n_images
            trains = [sort_spikes(np.concatenate(t)) for t in trains]
        counts = None
        if first.counts is not None:
            counts = [
                np.concatenate([p.counts[i] for p in parts]) for i in range(len(first.counts))
            ]
        return cls(
            engine=first.engine,
            dt=first.dt,
            n_steps=first.n_steps,
            checkpoints=first.checkpoints,
            layer_names=first.layer_names,
            layer_sizes=first.layer_sizes,
            fan_out=first.fan_out,
            n_hidden=first.n_hidden,
            predictions=cat("predictions", 1),
            spikes=cat("spikes", 2),
            ever_active=cat("ever_active", 2),
            windows_ms=first.windows_ms,
            window_active={
                w: np.concatenate([p.window_active[w] for p in parts], axis=2)
                for w in first.windows_ms
            },
            readout=cat("readout", 0),
            counts=counts,
            spike_trains=trains,
            wall_seconds=float(sum(p.wall_seconds for p in parts)),
            meta=dict(first.meta),
        )
