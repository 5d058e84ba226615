"""Networks: a multilayer perceptron of any depth and width, a small CNN and AlexNet's
four-layer CIFAR-10 CNN (without its normalisation layers), scaled to 28 x 28 images.

Every hidden layer is a :class:`Hidden` block ``(linear or conv) -> activation``; the
activation module is where the probes hook in (its input is the pre-activation, its output the
activation) and where the L1 activation penalty reads from.

Weight initialisations (chosen by name, recorded in ``model.init``)
-------------------------------------------------------------------
xavier
    Glorot & Bengio 2010 "normalized" init: ``W ~ U[-a, a]``, ``a = sqrt(6 / (fan_in + fan_out))``,
    biases 0 (the init of Glorot, Bordes & Bengio 2011).
he
    He et al. 2015: ``W ~ N(0, 2 / fan_in)``, biases 0 (for rectifiers).
torch (alias default)
    PyTorch's own ``reset_parameters``: ``W, b ~ U[-1/sqrt(fan_in), 1/sqrt(fan_in)]``, the
    "old" init that Glorot & Bengio 2010 showed saturates sigmoid networks.

``init_scale`` multiplies the weight scale of any of them (the bound, or He's sd); biases are
left as the init sets them.

The Glorot et al. 2011 MNIST network is ``MLP(784, (1000, 1000, 1000), 10, "relu", init="xavier")``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from neuroact.ann.activations import get_spec

INITS = ("xavier", "he", "torch")
_INIT_ALIASES = {"default": "torch", "glorot": "xavier", "kaiming": "he"}


def check_init(init: str) -> str:
    """The canonical init name for ``init``; an unknown name lists the valid ones."""
    init = _INIT_ALIASES.get(init, init)
    if init not in INITS:
        raise ValueError(
            f"init must be one of {list(INITS)} (aliases {sorted(_INIT_ALIASES)}); got {init!r}"
        )
    return init


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


class Hidden(nn.Module):
    """One hidden layer: ``act(layer(x))``. ``act`` is the probe/penalty attachment point."""

    def __init__(self, layer: nn.Module, act: nn.Module):
        super().__init__()
        self.layer = layer
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.layer(x))


class Network(nn.Module):
    """Base class: hidden blocks, a linear read-out, the activation name and the init record."""

    activation: str
    init: str
    hidden: nn.ModuleList

    def hidden_blocks(self) -> list[Hidden]:
        return list(self.hidden)

    def activation_modules(self) -> list[nn.Module]:
        """The activation module of each hidden layer, input to output."""
        return [h.act for h in self.hidden]

    def weight_layers(self) -> list[nn.Module]:
        """The weight layers (hidden then read-out), whose gradient norms the probes record."""
        return [h.layer for h in self.hidden] + [self.readout]

    def forward(
        self, x: torch.Tensor, return_hidden: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits; with ``return_hidden`` also the list of hidden activations (for penalties)."""
        x = self._prepare(x)
        acts = []
        for block in self.hidden:
            x = block(x)
            acts.append(x)
        logits = self.readout(x)
        return (logits, acts) if return_hidden else logits

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def describe(self) -> dict:
        return {
            "kind": type(self).__name__,
            "activation": self.activation,
            "init": self.init,
            "parameters": sum(p.numel() for p in self.parameters()),
        }


def init_weights(model: Network, init: str, seed: int | None = None, scale: float = 1.0) -> None:
    """Re-initialise every Linear/Conv2d of ``model`` by ``init`` with its weight scale times
    ``scale`` (see module docstring)."""
    init = check_init(init)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < math.inf:
        raise ValueError(f"scale must be a finite number > 0; got {scale!r}")
    gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    for m in model.modules():
        if not isinstance(m, nn.Linear | nn.Conv2d):
            continue
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight)
        with torch.no_grad():
            if init == "xavier":
                a = scale * math.sqrt(6.0 / (fan_in + fan_out))
                m.weight.uniform_(-a, a, generator=gen)
                m.bias.zero_()
            elif init == "he":
                m.weight.normal_(0.0, scale * math.sqrt(2.0 / fan_in), generator=gen)
                m.bias.zero_()
            else:  # PyTorch default: U[-1/sqrt(fan_in), 1/sqrt(fan_in)] (kaiming_uniform a=sqrt5)
                bound = 1.0 / math.sqrt(fan_in)
                m.weight.uniform_(-scale * bound, scale * bound, generator=gen)
                m.bias.uniform_(-bound, bound, generator=gen)
    model.init = init


class MLP(Network):
    """Fully connected network ``in_features -> widths[0] -> ... -> widths[-1] -> n_classes``.

    Parameters
    ----------
    in_features : input size (784 for MNIST).
    widths : hidden layer widths; ``(1000, 1000, 1000)`` is Glorot et al. 2011's set-up.
    n_classes : output size.
    activation : a registered activation name (:func:`~neuroact.ann.activations.activation_names`).
    activation_params : keyword parameters of the activation (e.g. ``{"beta": 1.0}``).
    init : ``"xavier"``, ``"he"`` or ``"torch"`` (alias ``"default"``).
    seed : seed of the weight init (None = the global torch generator).
    init_scale : multiplies the init's weight scale.
    """

    def __init__(
        self,
        in_features: int = 784,
        widths: Sequence[int] = (1000, 1000, 1000),
        n_classes: int = 10,
        activation: str = "relu",
        activation_params: dict | None = None,
        init: str = "xavier",
        seed: int | None = None,
        init_scale: float = 1.0,
    ):
        super().__init__()
        in_features = _positive_int(in_features, "in_features")
        n_classes = _positive_int(n_classes, "n_classes")
        if isinstance(widths, int) or len(widths) == 0:
            raise ValueError(
                f"widths must be a non-empty sequence of positive integers; got {widths!r}"
            )
        widths = tuple(_positive_int(w, "each of widths") for w in widths)
        spec = get_spec(activation)
        init = check_init(init)
        sizes = (in_features, *widths)
        self.hidden = nn.ModuleList(
            Hidden(nn.Linear(a, b), spec.make(**(activation_params or {})))
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.readout = nn.Linear(widths[-1], n_classes)
        self.activation = spec.name  # the canonical key, whatever alias was given
        self.widths = widths
        self.in_features = in_features
        init_weights(self, init, seed, init_scale)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1) if x.dim() > 2 else x
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"input has {x.shape[1]} features per example; this MLP expects {self.in_features}"
            )
        return x


class SmallCNN(Network):
    """A small CNN for 28x28 images: two conv blocks then one fully connected hidden layer.

    ``conv5x5(channels[0]) -> act -> maxpool2 -> conv5x5(channels[1]) -> act -> maxpool2 ->
    fc(fc_width) -> act -> fc(n_classes)``. Hidden layers for the probes: the two conv
    activations (every channel x position is a unit) and the fc activation. Max-pooling sits
    inside the ``layer`` of the next block so that each activation is probed before pooling.
    """

    def __init__(
        self,
        channels: Sequence[int] = (16, 32),
        fc_width: int = 128,
        n_classes: int = 10,
        image_size: int = 28,
        activation: str = "relu",
        activation_params: dict | None = None,
        init: str = "xavier",
        seed: int | None = None,
        init_scale: float = 1.0,
    ):
        super().__init__()
        if isinstance(channels, int) or len(channels) != 2:
            raise ValueError(f"channels must be two positive integers; got {channels!r}")
        c1, c2 = (_positive_int(c, "each of channels") for c in channels)
        fc_width = _positive_int(fc_width, "fc_width")
        n_classes = _positive_int(n_classes, "n_classes")
        image_size = _positive_int(image_size, "image_size")
        side = ((image_size - 4) // 2 - 4) // 2
        if side < 1:
            raise ValueError(
                f"image_size must be at least 16 for two 5x5 convolutions and 2x2 poolings; "
                f"got {image_size}"
            )
        spec = get_spec(activation)
        init = check_init(init)
        params = activation_params or {}
        self.hidden = nn.ModuleList(
            [
                Hidden(nn.Conv2d(1, c1, 5), spec.make(**params)),
                Hidden(nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(c1, c2, 5)), spec.make(**params)),
                Hidden(
                    nn.Sequential(
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(c2 * side * side, fc_width)
                    ),
                    spec.make(**params),
                ),
            ]
        )
        self.readout = nn.Linear(fc_width, n_classes)
        self.activation = spec.name  # the canonical key, whatever alias was given
        self.image_size = image_size
        init_weights(self, init, seed, init_scale)

    def weight_layers(self) -> list[nn.Module]:
        layers = [self.hidden[0].layer, self.hidden[1].layer[1], self.hidden[2].layer[2]]
        return layers + [self.readout]

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        return _as_images(x, self.image_size)


def _as_images(x: torch.Tensor, s: int) -> torch.Tensor:
    """``x`` as ``(n, 1, s, s)`` images (flattened rows are reshaped)."""
    if x.dim() == 2:
        if x.shape[1] != s * s:
            raise ValueError(f"input has {x.shape[1]} features; this CNN expects {s}x{s}")
        x = x.reshape(-1, 1, s, s)
    if x.shape[1:] != (1, s, s):
        raise ValueError(f"input shape {tuple(x.shape)}; this CNN expects (n, 1, {s}, {s})")
    return x


def _pool(kind: str) -> nn.Module:
    """3x3 pooling of stride 2 and padding 1 (halves the side, rounded up); the average
    counts only the pixels inside the image."""
    if kind == "max":
        return nn.MaxPool2d(3, stride=2, padding=1)
    return nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)


class PooledReadout(nn.Sequential):
    """Pooling, flattening, then the linear read-out (``out_features`` as a Linear's)."""

    def __init__(self, pool: nn.Module, linear: nn.Linear):
        super().__init__(pool, nn.Flatten(), linear)

    @property
    def linear(self) -> nn.Linear:
        return self[-1]

    @property
    def out_features(self) -> int:
        return self[-1].out_features


class FourLayerCNN(Network):
    """AlexNet's four-layer CNN (Krizhevsky et al. 2012, Fig. 1) without normalisation layers.

    The CIFAR-10 network of Krizhevsky's cuda-convnet (``layers-18pct``) behind their Fig. 1:
    three 5x5 convolutions (stride 1, padding 2), each followed by the activation and a 3x3
    pooling of stride 2 (max after the first, average after the others), then a fully connected
    read-out: four weight layers. Its local response normalisation layers are left out, as in
    the claim being tested ("no regularization of any kind"). For ``s x s`` images the
    poolings give ``s/2``, ``s/4`` and ``s/8`` (rounded up): 28 -> 14 -> 7 -> 4.

    Hidden layers for the probes: the three convolution activations (every channel x position
    is a unit), each probed before its pooling.
    """

    def __init__(
        self,
        channels: Sequence[int] = (32, 32, 64),
        n_classes: int = 10,
        image_size: int = 28,
        activation: str = "relu",
        activation_params: dict | None = None,
        init: str = "xavier",
        seed: int | None = None,
        init_scale: float = 1.0,
    ):
        super().__init__()
        if isinstance(channels, int) or len(channels) != 3:
            raise ValueError(f"channels must be three positive integers; got {channels!r}")
        c1, c2, c3 = (_positive_int(c, "each of channels") for c in channels)
        n_classes = _positive_int(n_classes, "n_classes")
        image_size = _positive_int(image_size, "image_size")
        if image_size < 8:
            raise ValueError(f"image_size must be at least 8 for three poolings; got {image_size}")
        side = image_size
        for _ in range(3):
            side = (side - 1) // 2 + 1  # 3x3 pooling, stride 2, padding 1
        spec = get_spec(activation)
        init = check_init(init)
        params = activation_params or {}
        self.hidden = nn.ModuleList(
            [
                Hidden(nn.Conv2d(1, c1, 5, padding=2), spec.make(**params)),
                Hidden(
                    nn.Sequential(_pool("max"), nn.Conv2d(c1, c2, 5, padding=2)),
                    spec.make(**params),
                ),
                Hidden(
                    nn.Sequential(_pool("avg"), nn.Conv2d(c2, c3, 5, padding=2)),
                    spec.make(**params),
                ),
            ]
        )
        self.readout = PooledReadout(_pool("avg"), nn.Linear(c3 * side * side, n_classes))
        self.activation = spec.name  # the canonical key, whatever alias was given
        self.image_size = image_size
        init_weights(self, init, seed, init_scale)

    def weight_layers(self) -> list[nn.Module]:
        convs = [self.hidden[0].layer, self.hidden[1].layer[1], self.hidden[2].layer[1]]
        return convs + [self.readout.linear]

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        return _as_images(x, self.image_size)


MODELS = ("mlp", "cnn", "cnn4")


def build_model(
    kind: str = "mlp",
    *,
    widths: Sequence[int] = (1000, 1000, 1000),
    in_features: int = 784,
    n_classes: int = 10,
    activation: str = "relu",
    activation_params: dict | None = None,
    init: str = "xavier",
    seed: int | None = None,
    init_scale: float = 1.0,
) -> Network:
    """An :class:`MLP` (``kind="mlp"``, hidden sizes ``widths``), a :class:`SmallCNN`
    (``kind="cnn"``; ``widths`` then means ``(channels1, channels2, fc_width)``) or a
    :class:`FourLayerCNN` (``kind="cnn4"``; ``widths`` = the three convolutions' channels)."""
    if kind == "mlp":
        return MLP(
            in_features, widths, n_classes, activation, activation_params, init, seed, init_scale
        )
    if kind not in MODELS:
        raise ValueError(f"kind must be one of {list(MODELS)}; got {kind!r}")
    widths = tuple(widths)
    if len(widths) != 3:
        what = "(channels1, channels2, fc_width)" if kind == "cnn" else "three channel counts"
        raise ValueError(f"for kind={kind!r}, widths must be {what}; got {widths!r}")
    side = math.isqrt(in_features)
    if side * side != in_features:
        raise ValueError(f"kind={kind!r} needs square images; in_features={in_features}")
    common = dict(activation_params=activation_params, init=init, seed=seed, init_scale=init_scale)
    if kind == "cnn":
        return SmallCNN(widths[:2], widths[2], n_classes, side, activation, **common)
    return FourLayerCNN(widths, n_classes, side, activation, **common)
