"""Conversion into spiking twins: hand-computed spikes, normalisation, refused networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from neuroact.ann.activations import SoftLIF
from neuroact.ann.models import MLP, SmallCNN
from neuroact.bridge.convert import ann_stages, convert, positive_percentile
from neuroact.bridge.engine import simulate, unit_rates
from neuroact.bridge.neurons import lif_current, lif_rate, make_neuron

DT = 1.0 / 1024  # a power of two: every increment below is exact in binary


def tiny_network() -> nn.Sequential:
    """2 inputs -> 2 ReLU (A, B) -> 1 ReLU (C) -> 2 outputs, weights chosen so that every
    normalisation scale is exactly 1 on the calibration set below."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.5]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.125]))
        net[2].weight.copy_(torch.tensor([[0.75, 0.5]]))
        net[2].bias.copy_(torch.tensor([-0.0625]))
        net[4].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        net[4].bias.copy_(torch.tensor([0.0, 0.25]))
    return net


CALIBRATION = torch.tensor([[1.0, 1.0], [0.0, 0.0]])


def test_tiny_network_spikes_match_a_hand_computation():
    """IF units, max rate 1/dt, percentile 100. Calibration: layer 1 peaks at a_A = 1 (input 1)
    and layer 2 at 0.75 + 0.5 * 0.625 - 0.0625 = 1, the inputs at 1, so every lambda = 1 and
    the spiking layers integrate the ANN's own numbers per step.

    Input (0.375, 0.75): A gets 0.375 per step, B 0.375 + 0.125 = 0.5.
      A: 0.375, 0.75, 1.125 -> spike at step 3 (0.125), 0.5, 0.875, 1.25 -> 6 (0.25), 0.625,
         1.0 -> 8 (0), 0.375, 0.75.                                   A fires at 3, 6, 8.
      B: 0.5, 1.0 -> 2, then every second step.                       B fires at 2, 4, 6, 8, 10.
    C: -0.0625 per step, +0.75 per A spike, +0.5 per B spike, in the same step:
      1: -0.0625; 2: -0.125 + 0.5 = 0.375; 3: 0.3125 + 0.75 = 1.0625 -> spike (0.0625);
      4: 0 + 0.5 = 0.5; 5: 0.4375; 6: 0.375 + 1.25 = 1.625 -> spike (0.625); 7: 0.5625;
      8: 0.5 + 1.25 = 1.75 -> spike (0.75); 9: 0.6875; 10: 0.625 + 0.5 = 1.125 -> spike.
                                                                      C fires at 3, 6, 8, 10.
    Read-out over T = 10 dt: v = (4, -4) / 1024 + (0, 0.25) T, so v / T = (0.4, -0.15).
    """
    net = convert(tiny_network(), CALIBRATION, percentile=100, dt=DT, max_rate=1024.0)
    assert [layer.scale for layer in net.layers[:2]] == [1.0, 1.0]
    result = simulate(
        net,
        torch.tensor([[0.375, 0.75]]),
        10 * DT,
        windows_ms=[10 * DT * 1e3],
        record_spikes=True,
        dtype=torch.float64,
    )
    steps = [{n: sorted(t[t[:, 2] == n, 1] + 1) for n in set(t[:, 2])} for t in result.spike_trains]
    assert steps[0] == {0: [3, 6, 8], 1: [2, 4, 6, 8, 10]}
    assert steps[1] == {0: [3, 6, 8, 10]}
    np.testing.assert_allclose(result.readout[0], [0.4, -0.15], rtol=1e-12)
    assert result.predictions[-1, 0] == 0


def test_spike_readout_counts_output_spikes():
    net = convert(
        tiny_network(), CALIBRATION, percentile=100, dt=DT, max_rate=1024.0, readout="spikes"
    )
    result = simulate(net, torch.tensor([[0.375, 0.75]]), 10 * DT, windows_ms=[10 * DT * 1e3])
    # output 0 peaks at logit 1 on the calibration set (lambda = 1): it integrates C's spikes
    # (+1 each: 4 spikes) and fires 4 times; output 1 gets -1 per C spike + 0.25 per step.
    assert result.readout[0].tolist() == [4.0, 0.0]
    assert result.predictions[-1, 0] == 0


def test_normalisation_of_a_layer_with_an_exponential_activation_distribution():
    """Activations a ~ Exp(1): the 99th percentile is ln 100 = 4.605. After conversion at
    max_rate 200 Hz a unit fires at 200 a / ln(100) Hz, up to one spike per step (1000 Hz)."""
    u = (np.arange(200_000) + 0.5) / 200_000
    activations = torch.tensor(-np.log1p(-u), dtype=torch.float32)[:, None]  # Exp(1) quantiles
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.zero_()
        model[2].weight.fill_(1.0)
        model[2].bias.zero_()
    net = convert(model, activations, percentile=99.0, max_rate=200.0, dt=1e-3)
    lam = net.layers[0].scale
    assert lam == pytest.approx(math.log(100.0), rel=2e-3)
    assert net.layers[0].rate_per_unit == pytest.approx(200.0 / lam)
    # inputs at 0.5, 1 and 10 times lambda: 100 Hz, 200 Hz and the 1000 Hz cap (a spike a step)
    x = torch.tensor([[0.5 * lam], [lam], [10 * lam]])
    result = simulate(net, x, 1.0, checkpoints_ms=[1000], record_counts=True)
    rates = result.counts[0][:, 0]
    np.testing.assert_allclose(rates, [100, 200, 1000], atol=1)


def test_positive_percentile_ignores_zeros():
    a = np.array([0, 0, 0, 0, 1, 2, 3, 4])
    assert positive_percentile(a, 100) == 4
    assert positive_percentile(a, 50) == 2.5
    assert positive_percentile(np.zeros(5), 99) == 0.0


def test_soft_lif_network_keeps_its_rate_scale():
    unit = SoftLIF(tau=0.01, t_ref=0.002, gamma=0.05)
    model = nn.Sequential(nn.Linear(3, 4), unit, nn.Linear(4, 2))
    x = torch.rand(50, 3)
    net = convert(model, x, neuron="lif")
    r2 = 1.0 / (0.002 + 0.01 * math.log(2))
    assert net.layers[0].rate_per_unit == pytest.approx(r2)
    # the current of a unit is 1 + z: jump per input spike W / (rho_0 tau_m), constant 1 + b
    torch.testing.assert_close(net.layers[0].drive, 1.0 + model[0].bias.double())
    with pytest.raises(ValueError, match="soft-LIF network runs as LIF"):
        convert(model, x, neuron="if")
    with pytest.raises(ValueError, match="max_rate must be None"):
        convert(model, x, neuron="lif", max_rate=50.0)


def test_relu_network_on_lif_units_fires_at_max_rate_at_lambda():
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    with torch.no_grad():
        for m in (model[0], model[2]):
            m.weight.fill_(1.0)
            m.bias.zero_()
    x = torch.linspace(0, 1, 1001)[:, None]
    net = convert(model, x, neuron="lif", max_rate=80.0, percentile=100, dt=1e-4)
    layer = net.layers[0]
    # a unit at lambda (= 1) gets the current at which the LIF fires at 80 Hz
    assert 1.0 + layer.gain * 1.0 == pytest.approx(lif_current(80.0, 0.01, 0.002))
    rate = unit_rates(net.neuron, [1.0 + layer.gain], dt=1e-4, duration=0.5)[0]
    assert rate == pytest.approx(80.0, rel=0.01)  # the interval is 12.5 ms, within a 0.1 ms step


def test_lif_unit_rates_are_the_discrete_time_lif_and_approach_the_analytic_curve():
    """From rest the exact update gives v_n = I (1 - e^n), e = exp(-dt / tau_m): the threshold
    is reached after k = ceil(tau_m / dt ln(I / (I - 1))) steps, and the neuron is clamped for
    the R - 1 steps after the spike step (R = t_ref / dt), so the interval is k + R - 1 steps;
    it differs from the continuous t_ref + tau_m ln(I / (I - 1)) by less than one step."""
    lif = make_neuron("lif")
    currents = np.array([0.9, 1.2, 2.0, 4.0])
    dt = 1e-4
    measured = unit_rates(lif, currents, dt=dt, duration=0.5)
    k = np.ceil(lif.tau_m / dt * np.log(currents[1:] / (currents[1:] - 1)))
    np.testing.assert_allclose(measured[1:], 1 / ((k + 20 - 1) * dt), rtol=1e-9)
    assert measured[0] == 0.0
    exact = lif_rate(currents, lif.tau_m, lif.t_ref)
    np.testing.assert_allclose(measured[1:], exact[1:], rtol=dt / (1 / exact[-1]))
    # IF: a constant input of r threshold units per second fires at r
    np.testing.assert_allclose(unit_rates(make_neuron("if"), [125.0, 250.0], dt=1e-3), [125, 250])


def test_neuroact_mlp_converts_with_one_stage_per_layer():
    model = MLP(784, (30, 20), 10, seed=0)
    stages = ann_stages(model)
    assert [s.name for s in stages] == ["hidden.0.layer", "hidden.1.layer", "readout"]
    assert [s.unit for s in stages] == ["relu", "relu", None]
    x = torch.rand(64, 784)
    np.testing.assert_allclose(
        stages[-1].forward(stages[1].forward(stages[0].forward(x))).detach(),
        model(x).detach(),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "model, match",
    [
        (SmallCNN(seed=0), r"'hidden\.0\.layer' \(Conv2d\): convolutional"),
        (
            nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.MaxPool1d(2), nn.Linear(2, 2)),
            r"'2' \(MaxPool1d\): max pooling has no rate-coded spiking equivalent",
        ),
        (
            nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 2)),
            r"'1' \(Sigmoid\): only ReLU .* have spiking equivalents",
        ),
        (
            nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)),
            r"'1' \(BatchNorm1d\): unsupported layer; supported: Linear",
        ),
        (
            nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2)),
            r"'1' \(Linear\) follows '0' without a unit",
        ),
        (nn.Sequential(nn.Linear(4, 4), nn.ReLU()), "must end with a Linear output layer"),
    ],
)
def test_unsupported_networks_are_refused_naming_the_layer(model, match):
    with pytest.raises(ValueError, match=match):
        convert(model, torch.rand(8, 4))


def test_max_pooling_cnn_error_names_the_pooling_layer():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.MaxPool1d(2))
    with pytest.raises(ValueError, match=r"'3' \(MaxPool1d\): max pooling"):
        ann_stages(model)


def test_custom_modules_are_refused():
    class Net(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="neuroact Network .* or a torch.nn.Sequential"):
        convert(Net(), torch.rand(2, 2))


def test_untrained_network_is_refused():
    model = MLP(784, (50,), 10, seed=0)
    with torch.no_grad():
        model.readout.weight.zero_()  # constant logits: every image gets class 0
    x = torch.rand(200, 784)
    y = torch.arange(200) % 10
    with pytest.raises(ValueError, match=r"classifies the calibration examples at 10\.0%"):
        convert(model, x, labels=y)


def test_silent_layer_is_refused():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.fill_(-1.0)
        model[0].bias.fill_(-1.0)
    with pytest.raises(ValueError, match=r"layer '0' is silent on all 10 calibration"):
        convert(model, torch.rand(10, 3))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"percentile": 0}, r"percentile must be in \(0, 100\]; got 0"),
        ({"max_rate": 2000.0}, "max_rate must be at most 1000 Hz for IF units"),
        ({"max_rate": -1.0}, "max_rate must be a finite number > 0 Hz"),
        ({"dt": 0.0}, "dt must be a finite number > 0 s"),
        ({"input": "rate"}, r"input must be one of \['analog', 'poisson'\]; got 'rate'"),
        ({"readout": "vote"}, r"readout must be one of \['membrane', 'spikes'\]"),
        ({"neuron": "hh"}, r"neuron must be one of \['if', 'lif'\]"),
        ({"neuron": "lif", "max_rate": 600.0}, "max_rate must be at most 500 Hz for LIF"),
    ],
)
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        convert(tiny_network(), CALIBRATION, **kwargs)


def test_calibration_must_match_the_input_size():
    with pytest.raises(ValueError, match=r"calibration must be \(examples, 2\) inputs"):
        convert(tiny_network(), torch.rand(4, 3))
