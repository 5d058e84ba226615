"""The two engines run one model: Brian2 (reference) and PyTorch (fast) agree spike for spike."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuroact import sparsity
from neuroact.ann.train import TrainConfig, load_data, train
from neuroact.bridge import engine
from neuroact.bridge.brian2_engine import simulate_brian2
from neuroact.bridge.convert import convert
from neuroact.bridge.engine import poisson_input_spikes, simulate


@pytest.fixture(scope="module")
def trained():
    """A 784-64-64-10 ReLU MLP trained for one epoch on 2,000 images of the embedded subset."""
    data = load_data("mnist-subset", train_size=2000)
    config = TrainConfig(
        dataset="mnist-subset",
        widths=(64, 64),
        epochs=1,
        lr=0.1,
        probes=False,
        threads=1,
        train_size=2000,
    )
    result = train(config, data=data, progress=False)
    return result.model, data


@pytest.mark.parametrize(
    "neuron, input, readout",
    [("if", "analog", "membrane"), ("lif", "analog", "membrane"), ("if", "poisson", "spikes")],
)
def test_brian2_and_torch_agree_spike_for_spike(trained, neuron, input, readout):
    model, data = trained
    net = convert(
        model,
        data.train_x[:1000],
        labels=data.train_y[:1000],
        neuron=neuron,
        input=input,
        readout=readout,
    )
    x = data.test_x[:8]
    kwargs = {"checkpoints_ms": [5, 10, 20], "windows_ms": [5, 10, 20], "seed": 3, "batch_size": 4}
    fast = simulate(net, x, 0.02, dtype=torch.float64, record_spikes=True, **kwargs)
    ref = simulate_brian2(net, x, 0.02, **kwargs)
    assert sum(len(t) for t in ref.spike_trains) > 100
    for a, b in zip(fast.spike_trains, ref.spike_trains, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.predictions, ref.predictions)
    np.testing.assert_array_equal(fast.spikes, ref.spikes)
    np.testing.assert_array_equal(fast.ever_active, ref.ever_active)
    for w in fast.windows_ms:
        np.testing.assert_allclose(fast.window_active[w], ref.window_active[w], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.readout, ref.readout, rtol=1e-12, atol=1e-12)


def test_float32_engine_predicts_like_float64(trained):
    """float32 rounding moves v by ~1e-7 of the threshold: a spike can move by a step where v
    lands that close to 1, rarely enough that the class does not change."""
    model, data = trained
    net = convert(model, data.train_x[:1000], labels=data.train_y[:1000])
    x = data.test_x[:200]
    fast = simulate(net, x, 0.025, checkpoints_ms=[25])
    exact = simulate(net, x, 0.025, checkpoints_ms=[25], dtype=torch.float64)
    assert (fast.predictions == exact.predictions).mean() >= 0.99
    np.testing.assert_allclose(fast.spikes.sum(), exact.spikes.sum(), rtol=1e-3)


def test_event_driven_and_dense_input_give_the_same_spikes(trained, monkeypatch):
    model, data = trained
    net = convert(model, data.train_x[:1000], max_rate=100.0)
    x = data.test_x[:50]
    runs = []
    for density in (0.0, 1.0):  # always dense, always event-driven
        monkeypatch.setattr(engine, "EVENT_DRIVEN_MAX_DENSITY", density)
        runs.append(simulate(net, x, 0.05, dtype=torch.float64, record_spikes=True))
    for a, b in zip(runs[0].spike_trains, runs[1].spike_trains, strict=True):
        np.testing.assert_array_equal(a, b)


def test_window_fractions_are_the_sparsity_measure_of_the_spike_counts(trained):
    model, data = trained
    net = convert(model, data.train_x[:1000], max_rate=200.0)
    result = simulate(net, data.test_x[:20], 0.06, windows_ms=[10, 20, 30], record_spikes=True)
    for li, trains in enumerate(result.spike_trains):
        for w in (10, 20, 30):
            counts = np.zeros((20, 60 // w, result.layer_sizes[li]))
            np.add.at(counts, (trains[:, 0], trains[:, 1] // w, trains[:, 2]), 1)
            expected = [sparsity.fraction_active(counts[i]) for i in range(20)]
            np.testing.assert_allclose(result.window_active[w][li].mean(0), expected)


def test_poisson_input_fires_at_the_pixel_rate(trained):
    model, data = trained
    net = convert(model, data.train_x[:1000], input="poisson", max_rate=200.0)
    x = torch.full((2, 784), 0.5)
    spikes = poisson_input_spikes(net, x, 1000, seed=1)
    rate = np.array([len(s) for s in spikes]) / (784 * 1.0)
    np.testing.assert_allclose(rate, 100.0, rtol=0.02)  # 784,000 Bernoulli(0.1) draws each


def test_accuracy_reaches_the_ann_on_test_images(trained):
    model, data = trained
    net = convert(model, data.train_x[:1000], labels=data.train_y[:1000])
    x, y = data.test_x[:500], data.test_y[:500].numpy()
    ann = (model(x).argmax(1).numpy() == y).mean()
    result = simulate(net, x, 0.05, checkpoints_ms=[50])
    assert abs((result.predictions[-1] == y).mean() - ann) <= 0.01


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"duration": 0.0105}, "whole number of steps"),
        ({"duration": 0.02, "checkpoints_ms": [30]}, r"must lie in \(0, duration\]"),
        ({"duration": 0.02, "windows_ms": [2.5]}, "windows_ms must be whole numbers of steps"),
        ({"duration": 0.02, "windows_ms": [4, 6]}, "must include their common divisor 2 ms"),
        ({"duration": 0.02, "batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_bad_simulation_settings_are_refused(trained, kwargs, match):
    model, data = trained
    net = convert(model, data.train_x[:200])
    duration = kwargs.pop("duration")
    with pytest.raises(ValueError, match=match):
        simulate(net, data.test_x[:2], duration, **kwargs)


def test_input_of_the_wrong_size_is_refused(trained):
    model, data = trained
    net = convert(model, data.train_x[:200])
    with pytest.raises(ValueError, match=r"x must be \(images, 784\) inputs; got shape \(2, 10\)"):
        simulate(net, torch.rand(2, 10), 0.01)
