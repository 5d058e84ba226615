"""Which layers of a PyTorch model to probe, what unit each computes, and the hooks on them.

Any ``nn.Module`` can be probed: the probes never need the model's class, only its modules.

Choosing layers (:func:`find_layers`)
-------------------------------------
``layers=None``
    every activation module: an instance of one of :data:`ACTIVATION_TYPES` (``nn.ReLU``,
    ``nn.Softplus``, ``nn.Sigmoid``, ``nn.Tanh``, ``nn.LeakyReLU``, ``nn.GELU``, ``nn.ELU``,
    ``nn.SiLU``, ...) or of a type made by an activation registered in
    :mod:`neuroact.ann.activations` (``SoftLIF``, your own). For a neuroact
    :class:`~neuroact.ann.models.Network`, its hidden activation modules.
a module type or a tuple of types
    every module of those types (``nn.ReLU`` or ``(nn.ReLU, nn.GELU)``).
a name or a list of names
    the modules of ``model.named_modules()`` with those names (``"features.1"``).
a dict ``{name: unit}``
    those modules, declared to output activations of ``unit`` (a registered activation such as
    ``"relu"``). This is how a block whose ``forward`` ends in a functional call
    (``return F.relu(self.conv(x))``) is probed: its output is the activation.

What the hooks can and cannot see
---------------------------------
PyTorch calls hooks around ``nn.Module`` calls only. An activation module is seen wherever it sits
(inside ``nn.Sequential``, in a user's ``forward``, between BatchNorm, Dropout and pooling
layers), with its input (the pre-activation) and its output. A functional call inside a
``forward`` (``F.relu(x)``, ``torch.tanh(x)``, ``x.clamp(min=0)``) is not a module and is not
seen; write it as a module (``self.act = nn.ReLU()``), or name the enclosing module with its unit
(dict form above), in which case only the output measures apply: the input of that module is not
the pre-activation, so the input view and the back-propagated gradient are ``nan`` for it.

A module called several times in one forward pass (one ``self.relu`` after every conv) is one
*site* per call: named ``relu``, ``relu:2``, ``relu:3``, ... in call order. The pre-activation is
read by a forward pre-hook, before the module runs, so in-place activations
(``nn.ReLU(inplace=True)``) are measured correctly.

See Also
--------
neuroact.ann.probes.measure : statistics of the chosen layers over a data loader.
neuroact.ann.running : the running statistics each site accumulates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType

import torch
from torch import nn

from neuroact.ann.activations import ActivationSpec, activation_names, get_spec
from neuroact.ann.models import Network

__all__ = [
    "ACTIVATION_TYPES",
    "Layer",
    "LayerHooks",
    "find_layers",
    "unit_spec",
    "weight_layers",
]

# Elementwise activation modules of torch.nn (not Softmax/GLU: they mix units).
ACTIVATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.CELU,
    nn.SELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Softplus,
    nn.Sigmoid,
    nn.Hardsigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Softsign,
    nn.LogSigmoid,
    nn.Tanhshrink,
    nn.Softshrink,
    nn.Hardshrink,
    nn.Threshold,
)

# torch.nn types outside the registry whose output view or saturation differs from "smooth and
# unbounded": exact zeros below a threshold, or bounds a unit can saturate at.
_EXACT_ZEROS = (nn.ReLU6, nn.Hardsigmoid, nn.Softshrink, nn.Hardshrink)
_BOUNDS: dict[type[nn.Module], Callable[[nn.Module], tuple[float, float]]] = {
    nn.Hardtanh: lambda m: (float(m.min_val), float(m.max_val)),  # ReLU6 is a Hardtanh(0, 6)
    nn.Hardsigmoid: lambda m: (0.0, 1.0),
    nn.Softsign: lambda m: (-1.0, 1.0),
}


def _registered_types() -> dict[type, ActivationSpec]:
    """Module type -> spec for every registered activation whose factory builds without
    parameters; vocabulary units first, so a custom name for ``nn.Softplus`` does not hide
    softplus."""
    found: dict[type, ActivationSpec] = {}
    for name in sorted(activation_names(), key=lambda n: n != get_spec(n).name):
        spec = get_spec(name)
        try:
            found.setdefault(type(spec.make()), spec)
        except (TypeError, ValueError):  # a factory that needs parameters: matched by the table
            continue
    return found


def unit_spec(module: nn.Module) -> ActivationSpec:
    """What kind of unit ``module`` computes: its registered spec (``relu``, ``softplus``, ...),
    else one built from its type (name = the class name lower-cased, exact zeros and bounds from
    the table above; a subclass counts as its parent).

    Examples
    --------
    >>> unit_spec(nn.ReLU()).name, unit_spec(nn.ReLU6()).bounds, unit_spec(nn.GELU()).exact_zeros
    ('relu', (0.0, 6.0), False)
    """
    registered = _registered_types()
    for cls in type(module).__mro__:
        if cls in registered:
            return registered[cls]
        if cls in ACTIVATION_TYPES:
            bounds = next((f(module) for t, f in _BOUNDS.items() if isinstance(module, t)), None)
            return ActivationSpec(
                name=cls.__name__.lower(),
                factory=cls,
                exact_zeros=isinstance(module, _EXACT_ZEROS),
                bounds=bounds,
                description=f"torch.nn.{cls.__name__}",
            )
    return ActivationSpec(type(module).__name__.lower(), type(module), description="unknown")


@dataclass(frozen=True)
class Layer:
    """One probed module.

    Attributes
    ----------
    name : its name in ``model.named_modules()`` (``""`` for the model itself).
    module : the module.
    spec : the unit it computes (output view, bounds).
    elementwise : True if its input is the pre-activation of its output (an activation module);
        False for a module declared by name with a unit (input view and gradient not defined).
    """

    name: str
    module: nn.Module
    spec: ActivationSpec
    elementwise: bool = True


LayerChoice = type | tuple[type, ...] | str | Iterable[str] | Mapping[str, str] | None


def find_layers(model: nn.Module, layers: LayerChoice = None) -> list[Layer]:
    """The layers of ``model`` to probe.

    Parameters
    ----------
    model : any ``nn.Module``.
    layers : None (every activation module), a module type or tuple of types, a module name or
        list of names, or a dict ``{name: unit}`` (see the module docstring). Types and None
        give the order of ``model.named_modules()``; names give their own order.

    Raises
    ------
    TypeError : ``model`` is not an ``nn.Module`` or ``layers`` has none of these forms.
    ValueError : a name is not a module of ``model`` (the message lists some that are), a unit
        is not a registered activation, or nothing matched.

    See Also
    --------
    unit_spec : the unit each chosen module computes.
    neuroact.ann.activations.register_activation : make your own unit known by name.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    named = dict(model.named_modules())
    registered = _registered_types()
    acts = (*ACTIVATION_TYPES, *registered)
    if layers is None and isinstance(model, Network):
        spec = get_spec(model.activation)
        ids = {id(m) for m in model.activation_modules()}
        found = [Layer(n, m, spec) for n, m in named.items() if id(m) in ids]
    elif layers is None or _is_types(layers):
        types = acts if layers is None else layers
        found = [Layer(n, m, unit_spec(m)) for n, m in named.items() if isinstance(m, types)]
    elif isinstance(layers, Mapping):
        _check_names(named, list(layers))
        found = [
            Layer(n, named[n], get_spec(unit), isinstance(named[n], acts))
            for n, unit in layers.items()
        ]
    elif isinstance(layers, str | list | tuple) and all(
        isinstance(n, str) for n in ([layers] if isinstance(layers, str) else layers)
    ):
        names = [layers] if isinstance(layers, str) else list(layers)
        _check_names(named, names)
        found = [Layer(n, named[n], unit_spec(named[n]), isinstance(named[n], acts)) for n in names]
    else:
        raise TypeError(
            "layers must be None, a module type or tuple of types, a module name or list of "
            f"names, or a dict {{name: unit}}; got {layers!r}"
        )
    if not found:
        raise ValueError(
            f"layers={layers!r} matched no module of {type(model).__name__}; its modules are "
            f"{_some(named)}"
        )
    return found


def _is_types(layers: object) -> bool:
    if isinstance(layers, type):
        return True
    return isinstance(layers, tuple) and bool(layers) and all(isinstance(t, type) for t in layers)


def _some(named: Mapping[str, nn.Module], k: int = 8) -> str:
    items = [f"{n!r} ({type(m).__name__})" for n, m in named.items() if n][:k]
    return ", ".join(items) + (", ..." if len(named) - 1 > k else "")


def _check_names(named: Mapping[str, nn.Module], names: list[str]) -> None:
    missing = [n for n in names if n not in named]
    if missing:
        raise ValueError(
            f"layers names a module the model does not have: {missing[0]!r}; its modules are "
            f"{_some(named)}"
        )


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every layer with a weight matrix or kernel (a ``weight`` parameter of
    two or more dimensions: Linear, Conv, Embedding; not the 1-D scales of BatchNorm), in the
    order of ``model.named_modules()``; a :class:`~neuroact.ann.models.Network`'s own
    ``weight_layers()`` (hidden then read-out) for a Network."""
    named = list(model.named_modules())
    if isinstance(model, Network):
        ids = {id(m): n for n, m in named}
        return [(ids[id(m)], m) for m in model.weight_layers()]
    return [
        (n, m)
        for n, m in named
        if isinstance(getattr(m, "weight", None), nn.Parameter) and m.weight.dim() >= 2
    ]


PreHook = Callable[[str, Layer, torch.Tensor], None]
OutHook = Callable[[str, Layer, torch.Tensor], None]


class LayerHooks:
    """Forward hooks on the chosen layers, present only inside a ``with`` block.

    On entering, a forward pre-hook (``on_input(site, layer, pre_activation)``, elementwise
    layers only) and, if ``on_output`` is given, a forward hook (``on_output(site, layer,
    activation)``) are registered on each layer, and a pre-hook on ``model`` that restarts the
    call count of every layer at each forward pass; on leaving, even on an error, every hook is
    removed.

    ``site`` names one call of a layer: its module name for the first call in a forward pass,
    ``name:2``, ``name:3``, ... for later calls of the same module. ``sites`` lists them in the
    order they were first called.
    """

    def __init__(
        self,
        model: nn.Module,
        layers: list[Layer],
        on_output: OutHook | None = None,
        on_input: PreHook | None = None,
    ):
        self.model, self.layers = model, layers
        self.on_output, self.on_input = on_output, on_input
        self.sites: dict[str, Layer] = {}
        self._calls: dict[str, int] = {}
        self._current: dict[str, str] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def _restart(self, _module: nn.Module, _args: tuple) -> None:
        self._calls.clear()

    def _pre(self, layer: Layer) -> Callable:
        def hook(_module: nn.Module, args: tuple) -> None:
            k = self._calls.get(layer.name, 0) + 1
            self._calls[layer.name] = k
            site = layer.name if k == 1 else f"{layer.name}:{k}"
            self._current[layer.name] = site
            self.sites.setdefault(site, layer)
            if self.on_input is not None and layer.elementwise and args:
                self.on_input(site, layer, args[0])

        return hook

    def _post(self, layer: Layer) -> Callable:
        def hook(_module: nn.Module, _args: tuple, output: torch.Tensor) -> None:
            if isinstance(output, torch.Tensor):
                self.on_output(self._current[layer.name], layer, output)

        return hook

    def attach(self) -> LayerHooks:
        """Register the hooks (as entering the ``with`` block does); a second call adds none."""
        if self._handles:
            return self
        try:
            self._handles.append(self.model.register_forward_pre_hook(self._restart))
            for layer in self.layers:
                self._handles.append(layer.module.register_forward_pre_hook(self._pre(layer)))
                if self.on_output is not None:
                    self._handles.append(layer.module.register_forward_hook(self._post(layer)))
        except BaseException:
            self.remove()
            raise
        return self

    def __enter__(self) -> LayerHooks:
        return self.attach()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        """Remove every hook (safe to call twice)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
