"""Probes on a user's own PyTorch models: the numbers equal those computed directly from the
activations (run here layer by layer, without hooks), hooks leave no trace, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from neuroact.ann import hooks, probes
from neuroact.ann.activations import SoftLIF
from neuroact.ann.data import load_dataset
from neuroact.ann.models import MLP

# sums over entries: each batch reduced in float32, batches added in float64 (running.py);
# atol for S = 1 - a near 0, where a float32 rounding of a ~ 1 shows as 1e-8
SUMS = (
    "units",
    "eval_samples",
    "frac_active_input",
    "population_sparseness",
    "lifetime_sparseness",
    "population_hoyer",
    "lifetime_hoyer",
    "mean_activation",
    "std_activation",
    "saturation_frac",
)
# the output view of smooth units reads P99 from a histogram (neuroact.ann.running): within the
# share of entries in one bin of 2^-8 relative width
VIEW_TOL = 2e-3


def _images(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = load_dataset("mnist-subset", split="test").take(n).tensors(flatten=False)
    return x, y


def _assert_layer(row, pre, act, unit: str, conv_unit: str = "channel_position") -> None:
    """``row`` of a report equals :func:`probes.layer_stats` on the directly computed arrays."""
    if conv_unit == "channel" and act.dim() > 2:
        pre, act = pre.flatten(2).mean(2), act.flatten(2).mean(2)
    ref = probes.layer_stats(pre.reshape(len(pre), -1), act.reshape(len(act), -1), unit)
    for key in SUMS:
        assert_allclose(row[key], ref[key], rtol=1e-6, atol=1e-7, err_msg=key)
    for key in ("frac_zero", "dead_frac"):
        tol = 0.0 if ref["frac_zero_eps"] == 0 else VIEW_TOL
        assert abs(row[key] - ref[key]) <= tol, (key, row[key], ref[key])


def _no_hooks(model: nn.Module) -> bool:
    return all(
        not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks) for m in model.modules()
    )


def test_plain_sequential_every_unit_by_hand():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 16),
        nn.Softplus(), nn.Linear(16, 8), nn.Sigmoid(), nn.Linear(8, 10),
    )  # fmt: skip
    x, y = _images()
    x = x.flatten(1)
    report = probes.measure(model, DataLoader(TensorDataset(x, y), batch_size=64))
    assert report.layers == ["1", "3", "5", "7"] and report.examples == 300 and report.batches == 5
    assert report.to_frame().unit.tolist() == ["relu", "tanh", "softplus", "sigmoid"]
    h = x
    with torch.no_grad():
        for i, unit in zip((0, 2, 4, 6), ("relu", "tanh", "softplus", "sigmoid"), strict=True):
            z = model[i](h)
            h = model[i + 1](z)
            _assert_layer(report[str(i + 1)], z, h, unit)
    assert report["1"].frac_zero_eps == 0.0 and report["3"].frac_zero_eps == 0.01
    assert math.isnan(report["1"].saturation_frac) and report["7"].saturation_frac >= 0
    assert _no_hooks(model) and model.training  # hooks gone, mode restored


class Block(nn.Module):
    """A block whose activation is a functional call inside forward."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.lin = nn.Linear(n_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.lin(x))


class UserCNN(nn.Module):
    """A user's CNN: BatchNorm, an in-place ReLU reused after both convs, pooling, Dropout, a
    tanh module and a block with a functional ReLU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(6 * 5 * 5, 16)
        self.act = nn.Tanh()
        self.block = Block(16, 12)
        self.out = nn.Linear(12, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.act(self.fc1(self.drop(x.flatten(1))))
        return self.out(self.block(x))

    @torch.no_grad()
    def by_hand(self, x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """(pre-activation, activation) of every activation, computed without hooks, in eval
        mode as the probes measure (BatchNorm on its running statistics)."""
        z1 = F.batch_norm(
            self.conv1(x), self.bn1.running_mean, self.bn1.running_var, self.bn1.weight,
            self.bn1.bias, eps=self.bn1.eps,
        )  # fmt: skip
        a1 = torch.relu(z1)
        z2 = self.conv2(self.pool(a1))
        a2 = torch.relu(z2)
        z3 = self.fc1(self.pool(a2).flatten(1))  # eval mode: Dropout is the identity
        a3 = torch.tanh(z3)
        z4 = self.block.lin(a3)
        return {"relu": (z1, a1), "relu:2": (z2, a2), "act": (z3, a3), "block": (z4, F.relu(z4))}


def _trained_bn(model: UserCNN, x: torch.Tensor) -> UserCNN:
    """Give BatchNorm running statistics other than (0, 1), as training would."""
    model.train()
    with torch.no_grad():
        model(x)
    return model


@pytest.mark.parametrize("conv_unit", ["channel_position", "channel"])
def test_user_cnn_sites_units_and_numbers(conv_unit):
    torch.manual_seed(1)
    x, y = _images()
    model = _trained_bn(UserCNN(), x)
    loader = DataLoader(TensorDataset(x, y), batch_size=50)
    report = probes.measure(model, loader, conv_unit=conv_unit)
    # the reused in-place ReLU is two sites; the functional ReLU inside Block is not seen
    assert report.layers == ["relu", "relu:2", "act"]
    frame = report.to_frame()
    expected_units = (
        [4 * 26 * 26, 6 * 11 * 11, 16] if conv_unit == "channel_position" else [4, 6, 16]
    )
    assert frame.units.tolist() == expected_units
    direct = model.by_hand(x)
    for site, unit in (("relu", "relu"), ("relu:2", "relu"), ("act", "tanh")):
        _assert_layer(report[site], *direct[site], unit, conv_unit)
    assert model.training and _no_hooks(model)


def test_functional_activation_caught_through_its_block_output_only():
    torch.manual_seed(2)
    x, y = _images(200)
    model = _trained_bn(UserCNN(), x)
    report = probes.measure(
        model, DataLoader(TensorDataset(x, y), batch_size=100), {"block": "relu", "act": "tanh"}
    )
    assert report.layers == ["act", "block"]  # forward order
    z, a = model.by_hand(x)["block"]
    row = report["block"]
    ref = probes.layer_stats(z, a, "relu")
    assert row.frac_zero == ref["frac_zero"] and row.unit == "relu" and row.module == "Block"
    assert_allclose(row.population_sparseness, ref["population_sparseness"], rtol=1e-6)
    # the block's input is not its pre-activation: the input view is not defined for it
    assert math.isnan(row.frac_active_input)
    _assert_layer(report["act"], *model.by_hand(x)["act"], "tanh")


def test_choosing_layers_by_type_and_name():
    model = UserCNN()
    assert [s.name for s in hooks.find_layers(model, nn.Tanh)] == ["act"]
    assert [s.name for s in hooks.find_layers(model, (nn.Tanh, nn.ReLU))] == ["relu", "act"]
    assert [s.name for s in hooks.find_layers(model, ["act", "relu"])] == ["act", "relu"]
    assert [s.elementwise for s in hooks.find_layers(model, ["act", "bn1"])] == [True, False]
    net = MLP(4, (3, 3), 2, "softplus", seed=0)
    layers = hooks.find_layers(net)
    assert [s.name for s in layers] == ["hidden.0.act", "hidden.1.act"]
    assert {s.spec.name for s in layers} == {"softplus"}


def test_unit_specs_of_torch_and_registered_modules():
    assert hooks.unit_spec(nn.ReLU(inplace=True)).exact_zeros
    assert hooks.unit_spec(nn.ReLU6()).bounds == (0.0, 6.0) and hooks.unit_spec(nn.ReLU6()).name
    assert hooks.unit_spec(nn.Hardtanh(-2.0, 3.0)).bounds == (-2.0, 3.0)
    gelu = hooks.unit_spec(nn.GELU())
    assert (gelu.name, gelu.exact_zeros, gelu.bounds) == ("gelu", False, None)
    assert hooks.unit_spec(SoftLIF()).name == "soft_lif"
    assert hooks.unit_spec(nn.Sigmoid()).bounds == (0.0, 1.0)

    class MyReLU(nn.ReLU):
        pass

    assert hooks.unit_spec(MyReLU()).name == "relu"
    model = nn.Sequential(nn.Linear(2, 3), SoftLIF(), nn.Linear(3, 3), nn.GELU(), nn.Softmax(1))
    assert [s.name for s in hooks.find_layers(model)] == ["1", "3"]  # not Softmax: mixes units


def test_backprop_gradient_matches_the_network_probe_and_leaves_grads_alone():
    net = MLP(784, (32, 16), 10, "tanh", seed=3)
    x, y = _images(120)
    x = x.flatten(1)
    report = probes.measure(
        net, DataLoader(TensorDataset(x, y), batch_size=40), gradients=True, conv_unit="channel"
    )
    assert all(p.grad is None for p in net.parameters())  # parameters' .grad untouched
    expected = probes.backprop_gradient_norms(net, x, y)
    assert_allclose(report.to_frame().backprop_grad_norm, expected, rtol=1e-5)


def test_in_place_activation_gradient_is_taken_at_the_pre_activation():
    torch.manual_seed(4)
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(inplace=True), nn.Linear(7, 3))
    report = probes.measure(model, [(x, y)], gradients=True)
    z = model[0](x).detach().requires_grad_(True)
    F.cross_entropy(model[2](torch.relu(z)), y, reduction="sum").backward()
    rms = float(z.grad.pow(2).sum(1).mean().sqrt())
    assert_allclose(report["1"].backprop_grad_norm, rms, rtol=1e-5)
    assert report["1"].frac_active_input == float((z > 0).double().mean())


def test_hooks_removed_and_mode_restored_on_error():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.ReLU()

        def forward(self, x):
            self.act(x)
            raise RuntimeError("boom")

    model = Broken()
    with pytest.raises(RuntimeError, match="boom"):
        probes.measure(model, [torch.ones(2, 3)])
    assert _no_hooks(model) and model.training


def test_batches_stream_max_batches_and_batch_split_do_not_matter():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 20), nn.Sigmoid())
    x = torch.randn(90, 10)
    one = probes.measure(model, [x]).to_frame()
    many = probes.measure(model, DataLoader(TensorDataset(x), batch_size=7)).to_frame()
    cols = ["frac_zero", "dead_frac", "population_sparseness", "lifetime_sparseness"]
    # float32 matrix products of 7 or 90 rows differ in the last bits, nothing more
    assert_allclose(one[cols].to_numpy(float), many[cols].to_numpy(float), rtol=1e-6, atol=1e-7)
    first = probes.measure(model, DataLoader(TensorDataset(x), batch_size=7), max_batches=2)
    assert (first.batches, first.examples) == (2, 14)


def test_probes_train_any_model_every_batch():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 20), nn.ReLU(), nn.Linear(20, 10))
    x, y = _images(100)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with probes.Probes(model, eval_x=x, every=1) as p:
        z = model[1](x.flatten(1)).detach()
        F.cross_entropy(model(x), y).backward()
        p.after_backward()
        grads = probes.layer_gradient_norms(model)
        opt.step()
        rows = p.epoch_rows(1)
    hidden, weights = rows[0], rows[1:]
    assert hidden["name"] == "2" and hidden["unit"] == "relu" and hidden["layer_kind"] == "hidden"
    assert hidden["train_frac_active_input"] == float((z > 0).double().mean())
    assert hidden["train_dead_frac"] == float((~(z > 0).any(0)).double().mean())
    assert [r["name"] for r in weights] == ["1", "3"]
    assert_allclose([r["grad_norm"] for r in weights], grads, rtol=1e-6)
    with torch.no_grad():
        a = model[2](model[1](x.flatten(1)))
    assert hidden["frac_zero"] == float((a == 0).double().mean())  # epoch-end, updated weights
    assert _no_hooks(model)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loader": torch.ones(4, 3)}, TypeError, "loader must be an iterable of batches"),
        ({"max_batches": 0}, ValueError, "max_batches must be a positive integer or None; got 0"),
        ({"conv_unit": "pixel"}, ValueError, "conv_unit must be one of .* got 'pixel'"),
        ({"eps": -0.1}, ValueError, "eps must be a finite number >= 0; got -0.1"),
        ({"percentile": 0}, ValueError, r"percentile must be a number in \(0, 100\]; got 0"),
        ({"layers": ["nope"]}, ValueError, "does not have: 'nope'; its modules are '0' "),
        ({"layers": 3}, TypeError, "layers must be None, a module type"),
        ({"layers": nn.GELU}, ValueError, "matched no module of Sequential"),
        ({"layers": {"0": "swish"}}, ValueError, "activation must be one of"),
        ({"loader": []}, ValueError, "loader gave no batches"),
        ({"loader": [{"x": torch.ones(2, 3)}]}, TypeError, "each batch must be a tensor"),
        ({"gradients": "yes"}, TypeError, "gradients must be True or False"),
        ({"gradients": True, "loss_fn": lambda o, t: o.sum()}, ValueError, "one loss per example"),
        ({"gradients": True, "loader": [torch.ones(2, 3)]}, ValueError, "(inputs, targets)"),
    ],
)
def test_bad_input_is_refused_with_the_parameter_named(kwargs, error, match):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    args = {"loader": [(torch.ones(2, 3), torch.zeros(2, dtype=torch.long))]} | kwargs
    with pytest.raises(error, match=match):
        probes.measure(model, **args)
    assert _no_hooks(model)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module; got str"):
        probes.measure("model", [torch.ones(2, 3)])


def test_variable_positions_need_channel_units():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    batches = [torch.randn(2, 1, 8, 8), torch.randn(2, 1, 10, 10)]
    with pytest.raises(ValueError, match="conv_unit='channel'"):
        probes.measure(model, batches)
    report = probes.measure(model, batches, conv_unit="channel")
    assert report["1"].units == 2 and report["1"].eval_samples == 4


def test_report_lookup_and_docstring_examples():
    import doctest

    for module in (probes, hooks):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0
    report = probes.measure(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), [torch.randn(5, 2)])
    with pytest.raises(KeyError, match=r"no probed layer 'x'; layers are \['1'\]"):
        report["x"]
    assert np.isfinite(report["1"].saturation_frac)


def test_probes_on_a_user_cnn_without_an_evaluation_set():
    torch.manual_seed(7)
    x, y = _images(64)
    model = UserCNN()
    with probes.Probes(model, every=1) as p:
        F.cross_entropy(model(x), y).backward()
        p.after_backward()
        rows = p.epoch_rows(1)
    hidden = [r for r in rows if r["layer_kind"] == "hidden"]
    assert [(r["name"], r["unit"]) for r in hidden] == [
        ("relu", "relu"),
        ("relu:2", "relu"),
        ("act", "tanh"),
    ]
    assert all(0 < r["train_frac_active_input"] < 1 and "frac_zero" not in r for r in hidden)
    # weight matrices and kernels only: BatchNorm's 1-D scale is not a weight layer
    weights = [r["name"] for r in rows if r["layer_kind"] == "weight"]
    assert weights == ["conv1", "conv2", "fc1", "block.lin", "out"]
    assert all(r["grad_norm"] > 0 for r in rows if r["layer_kind"] == "weight")
    assert _no_hooks(model)
    assert probes.Probes(model, enabled=False).attach().epoch_rows(1) == []
    assert _no_hooks(model)


def test_a_chosen_layer_the_forward_pass_never_calls_is_listed_as_unused():
    class Spare(nn.Module):
        def __init__(self):
            super().__init__()
            self.act, self.spare = nn.ReLU(), nn.Tanh()  # spare: registered, never called

        def forward(self, x):
            return self.act(x)

    model = Spare()
    report = probes.measure(model, [torch.randn(5, 3)])
    assert report.layers == ["act"] and report.unused == ("spare",)
    only_spare = probes.measure(model, [torch.randn(5, 3)], layers="spare")
    assert only_spare.to_frame().empty and list(only_spare.to_frame().columns[:3]) == [
        "layer",
        "module",
        "unit",
    ]
