"""Conversion of a trained rectifier (or soft-LIF) network into its spiking twin.

A trained feed-forward network ``z_l = W_l a_{l-1} + b_l``, ``a_l = f(z_l)`` becomes a network of
spiking neurons in which layer ``l`` fires at ``rho_l a_l`` spikes per second: its rate code.
A spike train ``s(t)`` (a sum of delta pulses) of layer ``l - 1`` then stands for the activation
``s(t) / rho_{l-1}``, and each neuron of layer ``l`` receives the current ``z_l(t)`` built from
it. For the two units of :mod:`neuroact.bridge.neurons`:

IF, ReLU network (Diehl et al. 2015; Rueckauer et al. 2017)
    ``dv/dt = rho_l z_l(t)``: with reset by subtraction the rate is ``rho_l max(z_l, 0)``, the
    ReLU. A presynaptic spike makes ``v`` jump by ``rho_l W_l / rho_{l-1}`` and the bias is the
    constant input ``rho_l b_l``.
LIF, soft-LIF network (Hunsberger & Eliasmith 2015)
    The soft-LIF unit's pre-activation is the current above threshold in units of the threshold
    current and its output the LIF rate divided by ``r(2) = 1 / (t_ref + tau ln 2)``; so
    ``rho = r(2)`` and the current is ``I = 1 + z_l(t)``: jumps ``W_l / (rho_{l-1} tau_m)``,
    constant current ``1 + b_l``. No normalisation: the unit fixes the rate scale.
LIF, ReLU network
    ``I = 1 + g_l z_l(t)`` with ``g_l`` chosen so that a unit at the normalisation activation
    fires at ``max_rate``; the LIF curve then stands in for the ReLU (it is concave and has an
    infinite slope at threshold, so this conversion is approximate by construction).

Data-based normalisation (Diehl et al. 2015; Rueckauer et al. 2017)
    ``lambda_l`` = the ``percentile``-th percentile of layer ``l``'s positive activations on
    training examples (the SNN Toolbox convention: zeros excluded), and ``rho_l = max_rate /
    lambda_l``: a unit at ``lambda_l`` fires at ``max_rate``, the rare larger ones faster (up to
    one spike per step for IF). For IF this is exactly Rueckauer et al.'s ``W_l lambda_{l-1} /
    lambda_l`` and ``b_l / lambda_l`` with a threshold of ``1 / (max_rate dt)``: ``max_rate`` is
    the threshold scale, the one knob that sets how much the network fires.

Input
    ``"analog"``: the image enters as a constant current into the first layer (the expected
    input of Poisson pixels at ``rho_0 x``, with ``rho_0 = max_rate / lambda_0``);
    ``"poisson"``: each pixel fires as a Poisson process at ``rho_0 x``.
Read-out
    ``"membrane"``: the output layer integrates its input without spiking, ``dv/dt = z_L(t)``,
    so ``v(T) / T`` estimates the logits and the class is ``argmax v`` (Rueckauer et al. 2017);
    ``"spikes"``: the output layer spikes like the hidden ones and the class is the neuron with
    most spikes (ties broken by ``v``).

See Also
--------
neuroact.bridge.engine.simulate : the fast (PyTorch) engine.
neuroact.bridge.brian2_engine.simulate_brian2 : the Brian2 reference engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from neuroact.ann.activations import SoftLIF
from neuroact.ann.models import Network
from neuroact.bridge.neurons import (
    Neuron,
    lif_current,
    make_neuron,
    rate_at_twice_threshold,
)

INPUTS = ("analog", "poisson")
READOUTS = ("membrane", "spikes")
SUPPORTED = "Linear, Flatten, Dropout, Identity with ReLU or soft-LIF units"
DEFAULT_PERCENTILE = 99.9
# Calibration accuracy at or below this multiple of chance means the network was never trained.
UNTRAINED_CHANCE_FACTOR = 1.5
_PASS_THROUGH = (nn.Flatten, nn.Dropout, nn.Identity)


def is_soft_lif(module: nn.Module) -> bool:
    """True for a soft-LIF unit (:class:`neuroact.ann.activations.SoftLIF`)."""
    return isinstance(module, SoftLIF)


@dataclass
class Stage:
    """One layer of the ANN: ``a = unit(weight @ x + bias)`` (``unit`` None: the output layer)."""

    name: str
    weight: torch.Tensor
    bias: torch.Tensor
    unit: str | None
    module: nn.Module | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x @ self.weight.T.to(x.dtype) + self.bias.to(x.dtype)
        if self.unit is None:
            return z
        return torch.relu(z) if self.unit == "relu" else self.module(z)


def _named_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's computation as an ordered list of leaf modules (nested Sequentials opened)."""
    if isinstance(model, Network):
        items = []
        for i, block in enumerate(model.hidden_blocks()):
            items += _leaves(f"hidden.{i}.layer", block.layer)
            items += _leaves(f"hidden.{i}.act", block.act)
        return items + _leaves("readout", model.readout)
    if isinstance(model, nn.Sequential):
        return _leaves("", model)
    raise TypeError(
        f"model must be a neuroact Network (MLP) or a torch.nn.Sequential of {SUPPORTED}; "
        f"got {type(model).__name__}"
    )


def _leaves(prefix: str, module: nn.Module) -> list[tuple[str, nn.Module]]:
    if isinstance(module, nn.Sequential):
        out = []
        for name, child in module.named_children():
            out += _leaves(f"{prefix}.{name}" if prefix else name, child)
        return out
    return [(prefix or type(module).__name__, module)]


def _unsupported(name: str, module: nn.Module) -> ValueError:
    kind = type(module).__name__
    if isinstance(module, nn.MaxPool1d | nn.MaxPool2d | nn.MaxPool3d):
        why = "max pooling has no rate-coded spiking equivalent; use average pooling"
    elif isinstance(module, nn.Conv2d | nn.AvgPool2d):
        why = "convolutional layers are not converted yet"
    elif isinstance(module, nn.Sigmoid | nn.Tanh | nn.Softplus | nn.LeakyReLU | nn.GELU):
        why = "only ReLU (IF or LIF) and soft-LIF (LIF) units have spiking equivalents"
    else:
        why = "unsupported layer"
    return ValueError(f"layer {name!r} ({kind}): {why}; supported: {SUPPORTED}")


def ann_stages(model: nn.Module) -> list[Stage]:
    """Split ``model`` into weight layer + unit stages; the last stage is the output layer.

    Raises ``ValueError`` naming the first layer that cannot be converted (max pooling, a
    sigmoid, a batch norm, two weight layers without a unit between them, ...).
    """
    stages: list[Stage] = []
    pending: tuple[str, nn.Linear] | None = None
    for name, module in _named_modules(model):
        if isinstance(module, _PASS_THROUGH):
            continue
        if isinstance(module, nn.Linear):
            if pending is not None:
                raise ValueError(
                    f"layer {name!r} (Linear) follows {pending[0]!r} without a unit between them; "
                    f"supported: {SUPPORTED}"
                )
            pending = (name, module)
            continue
        unit = (
            "relu" if isinstance(module, nn.ReLU) else "soft_lif" if is_soft_lif(module) else None
        )
        if unit is None:
            raise _unsupported(name, module)
        if pending is None:
            raise ValueError(
                f"unit {name!r} ({type(module).__name__}) has no weight layer before it"
            )
        stages.append(_stage(pending, unit, module))
        pending = None
    if pending is None:
        raise ValueError(f"the model must end with a Linear output layer; supported: {SUPPORTED}")
    stages.append(_stage(pending, None, None))
    units = {s.unit for s in stages[:-1]}
    if len(units) > 1:
        raise ValueError(f"all hidden units must be of one kind; got {sorted(units)}")
    return stages


def _stage(pending: tuple[str, nn.Linear], unit: str | None, module: nn.Module | None) -> Stage:
    name, linear = pending
    weight = linear.weight.detach().to("cpu", torch.float64)
    bias = (
        linear.bias.detach().to("cpu", torch.float64)
        if linear.bias is not None
        else torch.zeros(linear.out_features, dtype=torch.float64)
    )
    if not (torch.isfinite(weight).all() and torch.isfinite(bias).all()):
        raise ValueError(f"layer {name!r} has NaN or infinite weights; the network diverged")
    return Stage(name, weight, bias, unit, module)


@torch.no_grad()
def ann_activations(
    stages: list[Stage], x: torch.Tensor, batch_size: int = 2000
) -> list[torch.Tensor]:
    """Activations of every stage on inputs ``x`` (float32; the last entry: the logits)."""
    outs: list[list[torch.Tensor]] = [[] for _ in stages]
    x = torch.as_tensor(x, dtype=torch.float32).flatten(1)
    for s in range(0, x.shape[0], batch_size):
        a = x[s : s + batch_size]
        for i, stage in enumerate(stages):
            a = stage.forward(a)
            outs[i].append(a)
    return [torch.cat(o) for o in outs]


def positive_percentile(a: torch.Tensor | np.ndarray, percentile: float) -> float:
    """The ``percentile``-th percentile of the positive entries of ``a`` (0 if there are none).

    The data-based normalisation scale ``lambda`` of Rueckauer et al. (2017); zeros are left out,
    as in the SNN Toolbox, so a sparser layer is not scaled by its silent units.
    """
    values = np.asarray(a, dtype=np.float64).ravel()
    values = values[values > 0]
    return float(np.percentile(values, percentile)) if values.size else 0.0


@dataclass
class SpikingLayer:
    """One layer of the spiking twin, in the units the engines integrate.

    Attributes
    ----------
    name : the ANN layer it comes from.
    weight : ``(out, in)`` jump of ``v`` (threshold units) per presynaptic spike.
    drive : ``(out,)`` constant input: IF and read-out ``dv/dt`` (1/s), LIF current (I_th).
    spiking : False for the membrane read-out (an integrator without threshold).
    unit : ``"relu"``, ``"soft_lif"`` or ``"readout"``.
    scale : normalisation activation ``lambda`` (nan where the unit fixes the scale).
    rate_per_unit : ``rho``, Hz per unit of ANN activation (1 for the membrane read-out).
    gain : current per unit of pre-activation (``rho`` for IF, ``g`` for LIF).
    """

    name: str
    weight: torch.Tensor
    drive: torch.Tensor
    spiking: bool
    unit: str
    scale: float
    rate_per_unit: float
    gain: float

    @property
    def size(self) -> int:
        return int(self.weight.shape[0])


@dataclass
class SpikingNetwork:
    """A converted network: layers, unit, time step and how input and output are coded."""

    layers: list[SpikingLayer]
    neuron: Neuron
    dt: float
    input_rate: float
    input: str
    readout: str
    max_rate: float
    percentile: float
    stages: list[Stage] = field(repr=False)
    v_init: float = 0.0

    @property
    def hidden(self) -> list[SpikingLayer]:
        """Every layer but the output layer."""
        return self.layers[:-1]

    @property
    def n_classes(self) -> int:
        return self.layers[-1].size

    @property
    def in_features(self) -> int:
        return int(self.layers[0].weight.shape[1])

    def spiking_layout(self) -> dict:
        """Names, sizes, fan-outs and hidden count of the spiking layers, for results."""
        spiking = [i for i, layer in enumerate(self.layers) if layer.spiking]
        sizes = [layer.size for layer in self.layers]
        return {
            "layer_names": [self.layers[i].name for i in spiking],
            "layer_sizes": [sizes[i] for i in spiking],
            "fan_out": [sizes[i + 1] if i + 1 < len(sizes) else 0 for i in spiking],
            "n_hidden": len(self.layers) - 1,
        }

    def input_factor(self, layer: SpikingLayer) -> float:
        """Multiplier from (rate x jump) to the drive of ``layer``: ``tau_m`` for a LIF current
        (``tau_m dv/dt = -v + I``), 1 where ``dv/dt = I``."""
        return self.neuron.tau_m if (self.neuron.leaky and layer.spiking) else 1.0

    def first_drive(self, x: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """``(images, n_1)`` constant input of the first layer: its drive plus, for analog
        input, the expected current of pixels firing at ``input_rate * x``."""
        first = self.layers[0]
        x = torch.as_tensor(x, dtype=dtype).flatten(1)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"x has {x.shape[1]} features per image; this network expects {self.in_features}"
            )
        drive = first.drive.to(dtype).expand(x.shape[0], -1)
        if self.input == "poisson":
            return drive.clone()
        k = self.input_rate * self.input_factor(first)
        return drive + x @ (k * first.weight).T.to(dtype)

    def ann_forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The ANN's activations on ``x`` (every stage; the last entry the logits)."""
        return ann_activations(self.stages, x)

    def describe(self) -> dict:
        """Settings for tables: unit, time step, rate scale, coding, layer sizes."""
        return {
            **self.neuron.describe(),
            "dt_ms": self.dt * 1e3,
            "max_rate_Hz": self.max_rate,
            "percentile": self.percentile,
            "input": self.input,
            "readout": self.readout,
            "v_init": self.v_init,
            "sizes": "-".join(str(layer.size) for layer in self.layers),
        }


def _check_choice(name: str, value, options) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}; got {value!r}")


def _check_positive(name: str, value, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in {unit}; got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0 {unit}; got {value!r}")
    return v


def _default_max_rate(neuron: Neuron, dt: float) -> float:
    if neuron.leaky:
        return rate_at_twice_threshold(neuron.tau_m, neuron.t_ref)
    return 1.0 / dt


def _check_trained(stages: list[Stage], acts: list[torch.Tensor], labels) -> None:
    for stage, a in zip(stages[:-1], acts[:-1], strict=True):
        if not (a > 0).any():
            raise ValueError(
                f"layer {stage.name!r} is silent on all {a.shape[0]} calibration examples, so it "
                "cannot be normalised; is the network trained?"
            )
    if labels is None:
        return
    labels = torch.as_tensor(labels).ravel()
    if labels.shape[0] != acts[-1].shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries; expected one per calibration example "
            f"({acts[-1].shape[0]})"
        )
    accuracy = float((acts[-1].argmax(1) == labels).double().mean())
    chance = 1.0 / acts[-1].shape[1]
    if accuracy <= UNTRAINED_CHANCE_FACTOR * chance:
        raise ValueError(
            f"the network classifies the calibration examples at {100 * accuracy:.1f}% (chance "
            f"{100 * chance:.0f}%): train it before converting"
        )


def convert(
    model: nn.Module,
    calibration: torch.Tensor | np.ndarray,
    *,
    labels=None,
    neuron: str | Neuron = "if",
    max_rate: float | None = None,
    percentile: float = DEFAULT_PERCENTILE,
    dt: float = 1e-3,
    input: str = "analog",
    readout: str = "membrane",
    v_init: float = 0.0,
) -> SpikingNetwork:
    """The spiking twin of a trained ReLU or soft-LIF network (module docstring).

    Parameters
    ----------
    model : a neuroact :class:`~neuroact.ann.models.MLP` or an ``nn.Sequential`` of Linear
        layers with ReLU (or soft-LIF) units between them; Flatten and Dropout are skipped.
    calibration : training examples ``(n, features)`` (images are flattened) whose activations
        set the normalisation scales.
    labels : their labels; if given, a network at chance level is refused as untrained.
    neuron : ``"if"``, ``"lif"`` (the package's LIF) or a :class:`~neuroact.bridge.neurons.Neuron`.
    max_rate : rate (Hz) of a unit at its layer's normalisation activation: the threshold scale.
        Default ``1 / dt`` for IF, ``r(2)`` for LIF; fixed (must be None) for soft-LIF networks.
    percentile : percentile of the positive activations used as ``lambda`` (99.9; 100 = max).
    dt : time step in seconds.
    input : ``"analog"`` (current) or ``"poisson"`` (spikes at ``max_rate * x / lambda_0``).
    readout : ``"membrane"`` (non-spiking integrator) or ``"spikes"`` (spike counts).
    v_init : membrane potential of every spiking neuron when an image starts, in threshold
        units, in ``[0, 1)``. 0 is rest; 0.5 turns the IF unit's spike count from the floor into
        the rounding of its integrated input, halving the error and the latency of the rate code
        (Bu et al. 2022).

    Returns
    -------
    SpikingNetwork

    See Also
    --------
    neuroact.bridge.engine.simulate, neuroact.bridge.brian2_engine.simulate_brian2
    """
    neuron = make_neuron(neuron) if isinstance(neuron, str) else neuron
    if not isinstance(neuron, Neuron):
        raise TypeError(f"neuron must be 'if', 'lif' or a Neuron; got {type(neuron).__name__}")
    _check_choice("input", input, INPUTS)
    _check_choice("readout", readout, READOUTS)
    dt = _check_positive("dt", dt, "s")
    if not (isinstance(v_init, int | float) and 0 <= v_init < 1):
        raise ValueError(f"v_init must be a number in [0, 1) (threshold units); got {v_init!r}")
    if not (isinstance(percentile, int | float) and 0 < percentile <= 100):
        raise ValueError(f"percentile must be in (0, 100]; got {percentile!r}")
    stages = ann_stages(model)
    unit = stages[0].unit if len(stages) > 1 else "relu"
    if unit == "soft_lif" and not neuron.leaky:
        raise ValueError("a soft-LIF network runs as LIF neurons; got neuron='if' (use 'lif')")
    if unit == "soft_lif" and max_rate is not None:
        raise ValueError(
            f"max_rate must be None for a soft-LIF network (its unit sets the rate); got {max_rate}"
        )
    if unit == "soft_lif":  # the unit's output 1 stands for 1 / scale Hz
        max_rate = 1.0 / float(stages[0].module.scale)
    max_rate = _default_max_rate(neuron, dt) if max_rate is None else max_rate
    max_rate = _check_positive("max_rate", max_rate, "Hz")
    top = 1.0 / dt if not neuron.leaky else (math.inf if neuron.t_ref == 0 else 1 / neuron.t_ref)
    if max_rate > top * (1 + 1e-12):
        raise ValueError(
            f"max_rate must be at most {top:g} Hz for {neuron.kind.upper()} units at dt = "
            f"{dt * 1e3:g} ms; got {max_rate:g} Hz"
        )
    x = torch.as_tensor(calibration, dtype=torch.float32).flatten(1)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != stages[0].weight.shape[1]:
        raise ValueError(
            f"calibration must be (examples, {stages[0].weight.shape[1]}) inputs; "
            f"got shape {tuple(x.shape)}"
        )
    acts = ann_activations(stages, x)
    _check_trained(stages, acts, labels)
    scale_in = positive_percentile(x, percentile) or 1.0
    layers = _spiking_layers(stages, acts, neuron, max_rate, percentile, scale_in, readout, unit)
    return SpikingNetwork(
        layers,
        neuron,
        dt,
        max_rate / scale_in,
        input,
        readout,
        max_rate,
        float(percentile),
        stages,
        float(v_init),
    )


def _spiking_layers(stages, acts, neuron, max_rate, percentile, scale_in, readout, unit):
    layers: list[SpikingLayer] = []
    rho_prev = max_rate / scale_in
    for i, (stage, a) in enumerate(zip(stages, acts, strict=True)):
        output = i == len(stages) - 1
        if output and readout == "membrane":
            layer = SpikingLayer(
                stage.name,
                stage.weight / rho_prev,
                stage.bias.clone(),
                False,
                "readout",
                math.nan,
                1.0,
                1.0,
            )
        elif stage.unit == "soft_lif":
            rho = 1.0 / float(stage.module.scale)
            w = stage.weight / (rho_prev * neuron.tau_m)
            layer = SpikingLayer(
                stage.name, w, 1.0 + stage.bias, True, "soft_lif", math.nan, rho, 1.0
            )
        else:
            lam = positive_percentile(a, percentile)
            if lam <= 0:
                raise ValueError(
                    f"output layer {stage.name!r} has no positive logit on the calibration "
                    "examples; use readout='membrane'"
                )
            rho = max_rate / lam
            if neuron.leaky:
                g = (lif_current(max_rate, neuron.tau_m, neuron.t_ref) - 1.0) / lam
                w = g * stage.weight / (rho_prev * neuron.tau_m)
                drive = 1.0 + g * stage.bias
            else:
                g = rho
                w = rho * stage.weight / rho_prev
                drive = rho * stage.bias
            layer = SpikingLayer(stage.name, w, drive, True, "relu", lam, rho, g)
        layers.append(layer)
        rho_prev = layer.rate_per_unit
    return layers
