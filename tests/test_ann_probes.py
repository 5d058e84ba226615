"""Activations, models and probes: hand-computed sparsity of tiny networks, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from neuroact.ann import activations, models, probes
from neuroact.ann.models import MLP, SmallCNN, build_model


def _tiny_relu() -> MLP:
    """2 inputs -> 3 ReLU units -> 2 outputs with hand-set weights."""
    net = MLP(2, (3,), 2, "relu")
    with torch.no_grad():
        net.hidden[0].layer.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
        net.hidden[0].layer.bias.zero_()
    return net


def test_known_tiny_network_matches_hand_computed_sparsity():
    # pre = [[1, 2, -3], [2, 0, -2]]  ->  a = [[1, 2, 0], [2, 0, 0]]
    x = torch.tensor([[1.0, 2.0], [2.0, 0.0]])
    row = probes.activation_stats(_tiny_relu(), x).iloc[0]
    assert row.frac_zero == 0.5 and row.frac_zero_eps == 0.0  # 3 of 6 exact zeros
    assert_allclose(row.frac_active_input, (2 / 3 + 1 / 3) / 2)
    assert_allclose(row.dead_frac, 1 / 3)  # unit 3 never active
    # Treves-Rolls S per sample: [1,2,0]: a = 1/(5/3) = 0.6, S = 0.4/(2/3) = 0.6;
    # [2,0,0]: a = (4/9)/(4/3) = 1/3, S = 1  ->  population 0.8
    assert_allclose(row.population_sparseness, 0.8)
    # per unit: [1,2]: a = 2.25/2.5 = 0.9, S = 0.1/0.5 = 0.2; [2,0]: S = 1; [0,0] skipped -> 0.6
    assert_allclose(row.lifetime_sparseness, 0.6)
    assert_allclose(row.mean_activation, 5 / 6)
    assert math.isnan(row.saturation_frac)


def test_smooth_output_view_and_saturation_by_hand():
    pre = np.array([[10.0, -10.0, 0.0, 0.0]])
    act = 1 / (1 + np.exp(-pre))
    s = probes.layer_stats(pre, act, "sigmoid", eps=0.01, percentile=100)
    # cut = 0.01 * max|a| = 0.0099995; only sigmoid(-10) = 4.5e-5 is below it
    assert s["frac_zero"] == 0.25 and s["frac_zero_eps"] == 0.01
    assert s["saturation_frac"] == 0.5  # 1 - 4.5e-5 and 4.5e-5 within 0.01 of a bound
    assert s["frac_active_input"] == 0.25
    t = probes.layer_stats(pre, np.tanh(pre), "tanh", eps=0.01, percentile=100)
    assert t["saturation_frac"] == 0.5 and t["frac_zero"] == 0.5  # tanh(0) = 0 twice


def test_running_training_stats_and_gradient_norms():
    net = _tiny_relu()
    x = torch.tensor([[1.0, 2.0], [2.0, 0.0]])
    with probes.Probes(net, eval_x=x) as p:
        net.train()
        loss = nn.functional.cross_entropy(net(x), torch.tensor([0, 1]))
        loss.backward()
        p.after_backward()
        expected = probes.layer_gradient_norms(net)
        rows = p.epoch_rows(epoch=1)
    assert [r["layer_kind"] for r in rows] == ["hidden", "readout"]
    assert_allclose([r["grad_norm"] for r in rows], expected, rtol=1e-6)
    assert_allclose(rows[0]["train_frac_active_input"], 0.5)
    assert_allclose(rows[0]["train_dead_frac"], 1 / 3)
    assert rows[0]["frac_zero"] == 0.5  # the end-of-epoch evaluation on eval_x
    assert not net.hidden[0].act._forward_hooks  # detached on exit


def test_disabled_probes_register_nothing():
    net = _tiny_relu()
    with probes.Probes(net, torch.ones(2, 2), enabled=False) as p:
        assert not net.hidden[0].act._forward_hooks
        p.after_backward()
        assert p.epoch_rows(1) == []


def test_cnn_probes_treat_channel_positions_as_units():
    net = SmallCNN(channels=(2, 3), fc_width=5, activation="relu", seed=0)
    stats = probes.activation_stats(net, torch.rand(4, 784))
    assert stats.units.tolist() == [2 * 24 * 24, 3 * 8 * 8, 5]
    assert len(probes.layer_gradient_norms(net)) == 4


def test_activation_registry_and_custom_unit():
    assert {"relu", "softplus", "sigmoid", "tanh", "leaky_relu"} <= set(
        activations.activation_names()
    )
    x = torch.tensor([-1.0, 0.0, 2.0])
    sp = activations.make_activation("softplus", beta=2.0)
    assert_allclose(sp(x).numpy(), np.log1p(np.exp(2 * x.numpy())) / 2, rtol=1e-6)
    lr = activations.make_activation("leaky_relu", negative_slope=0.1)
    assert_allclose(lr(x).numpy(), [-0.1, 0.0, 2.0])
    spec = activations.register_activation("test_square", lambda: nn.Softplus(beta=50))
    try:
        net = MLP(4, (3,), 2, "test_square", seed=0)
        assert net.activation == "test_square" and spec.exact_zeros is False
        # the network applies the registered unit: softplus with sharpness 50, by hand
        x = torch.rand(5, 4, generator=torch.Generator().manual_seed(0))
        z = net.hidden[0].layer(x).detach().double()
        hidden = torch.log1p(torch.exp(50 * z)) / 50
        by_hand = hidden @ net.readout.weight.detach().double().T + net.readout.bias.detach()
        assert_allclose(net(x).detach().numpy(), by_hand.numpy(), rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError, match="already registered"):
            activations.register_activation("test_square", nn.ReLU)
    finally:
        activations.unregister_activation("test_square")
    with pytest.raises(TypeError, match="callable"):
        activations.register_activation("bad_unit", "relu")
    with pytest.raises(TypeError, match="nn.Module"):
        activations.register_activation("bad_unit2", lambda: 3).make()
    activations.unregister_activation("bad_unit2")


def test_unit_names_resolve_through_the_vocabulary():
    assert activations.get_spec("rectifier").name == "relu"
    assert activations.get_spec("Logistic").name == "sigmoid"
    assert MLP(4, (3,), 2, "logistic", seed=0).activation == "sigmoid"
    # an alias of a built-in unit is that unit: registering it again is refused
    with pytest.raises(ValueError, match="activation 'relu' is already registered"):
        activations.register_activation("rectifier", nn.ReLU)
    # the probes read the spec through the alias: exact zeros for the rectifier
    pre = np.array([[-1.0, 0.5], [2.0, -3.0]])
    s = probes.layer_stats(pre, np.maximum(pre, 0), "threshold_linear")
    assert s["frac_zero_eps"] == 0.0 and s["frac_zero"] == 0.5


def test_unknown_activation_and_init_list_valid_names():
    with pytest.raises(ValueError, match=r"'leaky_relu'.*'relu'.*got 'gelu'"):
        MLP(activation="gelu")
    with pytest.raises(ValueError, match=r"\['xavier', 'he', 'torch'\].*got 'orthogonal'"):
        MLP(init="orthogonal")
    with pytest.raises(ValueError, match="beta"):
        activations.make_activation("softplus", beta=0.0)
    with pytest.raises(TypeError, match="does not accept"):
        activations.make_activation("relu", beta=2.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"widths": (0, 10)}, "widths"),
        ({"widths": ()}, "widths"),
        ({"widths": 5}, "widths"),
        ({"in_features": -3}, "in_features"),
        ({"n_classes": 0}, "n_classes"),
    ],
)
def test_impossible_mlp_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(**kwargs)


def test_impossible_cnn_and_input_shapes():
    with pytest.raises(ValueError, match="image_size"):
        SmallCNN(image_size=12)
    with pytest.raises(ValueError, match="widths must be"):
        build_model("cnn", widths=(8, 8))
    with pytest.raises(ValueError, match="kind"):
        build_model("rnn")
    with pytest.raises(ValueError, match="expects 784"):
        MLP(widths=(4,))(torch.zeros(2, 100))


def test_inits_follow_their_formulas_and_are_recorded():
    torch.manual_seed(0)
    x = MLP(784, (1000,), 10, init="xavier", seed=1)
    w = x.hidden[0].layer.weight.detach()
    bound = math.sqrt(6 / (784 + 1000))
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.99 * bound
    assert float(x.hidden[0].layer.bias.detach().abs().max()) == 0.0 and x.init == "xavier"
    h = MLP(784, (1000,), 10, init="he", seed=1)
    assert_allclose(float(h.hidden[0].layer.weight.detach().std()), math.sqrt(2 / 784), rtol=0.01)
    d = MLP(784, (1000,), 10, init="default", seed=1)
    assert d.init == "torch" and float(d.hidden[0].layer.bias.detach().abs().max()) > 0
    assert float(d.hidden[0].layer.weight.detach().abs().max()) <= 1 / math.sqrt(784)
    same = MLP(784, (1000,), 10, init="xavier", seed=1)
    assert torch.equal(same.hidden[0].layer.weight, w)
    assert models.check_init("glorot") == "xavier"


def test_backprop_gradient_by_hand_and_weight_gradients_of_the_mean_loss():
    net = _tiny_relu()
    with torch.no_grad():
        net.readout.weight.copy_(torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]))
        net.readout.bias.zero_()
    x, y = torch.tensor([[1.0, 2.0], [2.0, 0.0]]), torch.tensor([0, 1])
    deltas = probes.backprop_gradient_norms(net, x, y)
    # by hand: dL_n/dz = relu'(z) * W_out^T (softmax(logits) - onehot)
    with torch.no_grad():
        z = x @ net.hidden[0].layer.weight.T
        p = torch.softmax(torch.relu(z) @ net.readout.weight.T, dim=1)
        d = (z > 0) * ((p - nn.functional.one_hot(y, 2)) @ net.readout.weight)
    assert_allclose(deltas, [float(d.pow(2).sum(1).mean().sqrt())], rtol=1e-6)
    weight_grads = probes.layer_gradient_norms(net)
    net.zero_grad()
    nn.functional.cross_entropy(net(x), y).backward()
    assert_allclose(weight_grads, probes.layer_gradient_norms(net), rtol=1e-6)


@pytest.mark.parametrize(("init", "expected"), [("xavier", 2**-4.5), ("he", 1.0)])
def test_relu_backprop_gradient_follows_the_variance_argument(init, expected):
    # square layers: xavier gives Var(w) = 1/n, so ReLU halves the variance of dL/dz at every
    # layer going down (ratio 2^(-(d-1)/2) over d layers); he doubles it back (ratio 1)
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(400, 784, generator=gen), torch.randint(0, 10, (400,), generator=gen)
    ratios = []
    for seed in range(3):
        net = MLP(784, (500,) * 10, 10, "relu", init=init, seed=seed)
        d = probes.backprop_gradient_norms(net, x, y)
        ratios.append(d[0] / d[-1])
    assert_allclose(np.median(ratios), expected, rtol=0.3)
