"""Probes: how sparse each layer of a PyTorch model is and how gradients flow, cheaply.

Any ``nn.Module`` can be probed, through forward (and backward) hooks on its activation modules
(:mod:`neuroact.ann.hooks` says which modules are chosen and what the hooks can see). The
common case is one call::

    from neuroact.ann.probes import measure

    report = measure(model, loader)  # every activation module, every batch of the loader
    report.to_frame()  # one row per layer: frac_zero, dead_frac, sparseness, saturation, ...

Statistics are accumulated batch by batch as running sums on the model's device
(:mod:`neuroact.ann.running`, which also says what a unit of a convolutional layer is); no
activation tensor is kept. Hooks exist only while a measurement runs and are removed on leaving
it, also on an error.

The measures (``a`` the activations as a (samples x units) array, ``z`` the pre-activations)
---------------------------------------------------------------------------------------------
``frac_zero`` (output view)
    share of entries with ``|a| <= eps * P99(|a|)`` (``P99`` the 99th percentile of ``|a|`` in
    that layer over the data). ``eps = 0`` (exact zeros) for rectifiers; ``eps = 0.01`` by
    default for smooth units, reported in column ``frac_zero_eps``. ``frac_active_output`` is
    ``1 - frac_zero``.
``frac_active_input`` (input view)
    share of pre-activations ``z > 0`` (for sigmoid: output above its midpoint 1/2).
``dead_frac``
    share of units inactive in the output view on every example.
``population_sparseness`` / ``lifetime_sparseness``
    normalised Treves-Rolls sparseness ``S = (1 - a) / (1 - 1/N)`` of ``|a|`` across units per
    example, averaged (population), and across examples per unit, averaged (lifetime;
    Willmore & Tolhurst 2001); also the Hoyer versions. ``|a|`` because tanh and leaky ReLU
    outputs are signed; for non-negative units it is ``a`` itself.
``saturation_frac``
    for bounded units (sigmoid, tanh, hardtanh), the share of entries within ``saturation_tol``
    (0.01) of either bound (Glorot & Bengio 2010); ``nan`` for unbounded units.
``backprop_grad_norm`` (``measure(..., gradients=True)``)
    root mean square over examples of ``||dL_n/dz||_2``, the back-propagated gradient of each
    example's loss at the layer's pre-activation (Glorot & Bengio 2010, Sec. 4.2).

During training (:class:`Probes`, used by :func:`neuroact.ann.train.train`)
--------------------------------------------------------------------------
Forward pre-hooks on each hidden layer's activation module keep running sums on every
``every``-th mini-batch (default 10; ``every=1`` for all), an unbiased sample of the epoch's
batches: ``train_frac_active_input`` (share of pre-activations ``> 0``), ``train_dead_frac``
(share of units whose pre-activation was ``<= 0`` on every sampled example) and ``grad_norm``,
the mean over the sampled steps of ``||dL/dW_l||_2`` of each weight layer, the quantity whose
decay with depth Glorot & Bengio 2010 call vanishing gradients. At the end of each epoch the
measures above are taken on a fixed evaluation set.

See Also
--------
neuroact.sparsity : the same measures on one (samples x units) array.
neuroact.ann.hooks : choosing layers; what functional calls in ``forward`` mean for the probes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from neuroact import sparsity
from neuroact.ann.activations import get_spec
from neuroact.ann.hooks import Layer, LayerChoice, LayerHooks, find_layers, weight_layers
from neuroact.ann.models import Network
from neuroact.ann.running import (
    DEFAULT_EPS,
    DEFAULT_PERCENTILE,
    STAT_COLUMNS,
    accumulate,
    check_positive,
    check_view,
    tensor_batches,
    unit_view,
)
from neuroact.ann.training_probes import Probes

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_PERCENTILE",
    "ProbeReport",
    "Probes",
    "activation_stats",
    "backprop_gradient_norms",
    "capture_activations",
    "layer_gradient_norms",
    "layer_stats",
    "measure",
]

REPORT_COLUMNS = ("layer", "module", "unit", *STAT_COLUMNS, "backprop_grad_norm")

# -------------------------------------------------------------------------------------------
# The one-call API


@dataclass(frozen=True)
class ProbeReport:
    """What :func:`measure` found: one row per probed layer (site), in forward order.

    Attributes
    ----------
    table : columns ``layer`` (site name, :mod:`neuroact.ann.hooks`), ``module`` (class name),
        ``unit`` (the unit's name), then the measures of the module docstring.
    batches, examples : how much data was measured.
    conv_unit, eps, percentile : the settings (what a unit of a feature map is; the output view
        of smooth units).
    unused : chosen layers that the forward pass never called.
    """

    table: pd.DataFrame
    batches: int
    examples: int
    conv_unit: str
    eps: float
    percentile: float
    unused: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy), one row per layer."""
        return self.table.copy()

    @property
    def layers(self) -> list[str]:
        """The site names, in forward order."""
        return self.table["layer"].tolist()

    def __getitem__(self, layer: str) -> pd.Series:
        """The row of ``layer`` (a site name)."""
        hits = self.table[self.table["layer"] == layer]
        if hits.empty:
            raise KeyError(f"no probed layer {layer!r}; layers are {self.layers}")
        return hits.iloc[0]


def measure(
    model: nn.Module,
    loader: Iterable,
    layers: LayerChoice = None,
    max_batches: int | None = None,
    *,
    conv_unit: str = "channel_position",
    eps: float = DEFAULT_EPS,
    percentile: float = DEFAULT_PERCENTILE,
    gradients: bool = False,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device | None = None,
) -> ProbeReport:
    """Sparsity (and gradient) measures of a model's layers over a data loader.

    The model runs in eval mode (Dropout off, BatchNorm on its running statistics), its mode
    restored afterwards; each batch's inputs go to ``device``.

    Parameters
    ----------
    model : any ``nn.Module``.
    loader : an iterable of batches, each a tensor of inputs or ``(inputs, targets, ...)``: a
        ``torch.utils.data.DataLoader``.
    layers : which layers (:func:`neuroact.ann.hooks.find_layers`); default every activation
        module.
    max_batches : stop after this many batches (None: the whole loader).
    conv_unit : ``"channel_position"`` (default: every entry of a feature map is a unit) or
        ``"channel"`` (a channel's mean over positions); see :mod:`neuroact.ann.running`.
    eps, percentile : the output view of smooth units (module docstring).
    gradients : also back-propagate each batch's loss and report ``backprop_grad_norm``.
    loss_fn : ``loss_fn(outputs, targets)`` returning one loss per example; default
        cross-entropy (``reduction="none"``). Only used with ``gradients=True``.
    device : where to run; default the device of the model's parameters.

    Returns
    -------
    ProbeReport : ``report.to_frame()`` has one row per layer.

    Examples
    --------
    >>> from torch import nn
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> data = TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
    >>> report = measure(model, DataLoader(data, batch_size=16), gradients=True)
    >>> report.layers, report.examples
    (['1'], 64)

    See Also
    --------
    Probes : the same measures during training.
    activation_stats : the same on a tensor of inputs.
    """
    _check_measure(model, loader, max_batches, gradients, loss_fn)
    check_view(eps, percentile, conv_unit)
    chosen = find_layers(model, layers)
    if gradients and loss_fn is None:
        loss_fn = _cross_entropy_per_example
    run = accumulate(
        model,
        loader,
        chosen,
        conv_unit=conv_unit,
        eps=float(eps),
        percentile=float(percentile),
        loss_fn=loss_fn if gradients else None,
        max_batches=max_batches,
        device=torch.device(device) if device is not None else None,
    )
    if not run.batches:
        raise ValueError("loader gave no batches; expected at least one")
    called = {layer.name for layer in run.sites.values()}
    return ProbeReport(
        table=pd.DataFrame(run.rows(), columns=list(REPORT_COLUMNS)),
        batches=run.batches,
        examples=run.examples,
        conv_unit=conv_unit,
        eps=float(eps),
        percentile=float(percentile),
        unused=tuple(layer.name for layer in chosen if layer.name not in called),
    )


def _check_measure(model, loader, max_batches, gradients, loss_fn) -> None:
    """The arguments of :func:`measure`, checked before any batch runs."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if isinstance(loader, torch.Tensor) or not isinstance(loader, Iterable):
        raise TypeError(
            "loader must be an iterable of batches such as a DataLoader; got "
            f"{type(loader).__name__} (wrap a tensor: DataLoader(TensorDataset(x), batch_size=100))"
        )
    check_positive(max_batches, "max_batches", none_ok=True)
    if not isinstance(gradients, bool):
        raise TypeError(f"gradients must be True or False; got {gradients!r}")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (outputs, targets) -> losses; got {loss_fn!r}")


def _cross_entropy_per_example(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, targets, reduction="none")


# -------------------------------------------------------------------------------------------
# Arrays in memory: the reference definitions, and tensors of inputs


@torch.no_grad()
def capture_activations(
    model: nn.Module, x: torch.Tensor, batch_size: int = 1000, layers: LayerChoice = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(pre_activation, activation), ...]`` per layer site on inputs ``x``, as float32
    ``(samples, units)`` arrays in memory (for small ``x``; :func:`measure` streams). Runs in
    eval mode and restores the previous mode."""
    store: dict[str, tuple[list, list]] = {}

    def on_input(site: str, _layer: Layer, z: torch.Tensor) -> None:
        store.setdefault(site, ([], []))[0].append(unit_view(z).float().cpu())

    def on_output(site: str, _layer: Layer, a: torch.Tensor) -> None:
        store.setdefault(site, ([], []))[1].append(unit_view(a).float().cpu())

    was_training = model.training
    model.eval()
    try:
        with LayerHooks(model, find_layers(model, layers), on_output, on_input):
            for xb in tensor_batches(x, batch_size):
                model(xb)
    finally:
        model.train(was_training)
    return [(torch.cat(p).numpy(), torch.cat(a).numpy()) for p, a in store.values()]


def layer_stats(
    pre: np.ndarray | torch.Tensor,
    act: np.ndarray | torch.Tensor,
    activation: str,
    eps: float = DEFAULT_EPS,
    percentile: float = DEFAULT_PERCENTILE,
) -> dict:
    """Every sparsity measure of one layer from its pre-activations and activations, in memory.

    The reference definitions (module docstring) that :func:`measure` computes batch by batch.
    ``activation`` (a registry name) decides the output view: exact zeros if the family has
    them, else ``eps``. Arrays or tensors of shape (samples, units). Returns plain floats.
    """
    spec = get_spec(activation)
    act = np.asarray(sparsity.as_array(act, "act"), dtype=np.float64)
    a = np.abs(act)
    eps_used = 0.0 if spec.exact_zeros else float(eps)
    cut = eps_used * float(np.percentile(a, percentile)) if eps_used > 0 else 0.0
    n_units = a.shape[1]
    two_units, two_samples = n_units >= 2, a.shape[0] >= 2
    nan = float("nan")
    out = {
        "units": n_units,
        "eval_samples": a.shape[0],
        "frac_zero": sparsity.fraction_zero(a, eps_used, percentile),
        "frac_zero_eps": eps_used,
        "frac_active_input": sparsity.fraction_active(pre, 0.0),
        "dead_frac": sparsity.dead_fraction(a, cut),
        "population_sparseness": sparsity.population_sparseness(a) if two_units else nan,
        "lifetime_sparseness": sparsity.lifetime_sparseness(a) if two_samples else nan,
        "population_hoyer": sparsity.population_sparseness(a, "hoyer") if two_units else nan,
        "lifetime_hoyer": sparsity.lifetime_sparseness(a, "hoyer") if two_samples else nan,
        "mean_activation": float(np.mean(act)),
        "std_activation": float(np.std(act)),
        "saturation_frac": nan,
    }
    out["frac_active_output"] = 1.0 - out["frac_zero"]
    if spec.bounds is not None:
        lo, hi = spec.bounds
        tol = spec.saturation_tol
        out["saturation_frac"] = float(np.mean((act <= lo + tol) | (act >= hi - tol)))
    return out


def activation_stats(
    model: nn.Module,
    x: torch.Tensor,
    eps: float = DEFAULT_EPS,
    percentile: float = DEFAULT_PERCENTILE,
    batch_size: int = 1000,
    *,
    layers: LayerChoice = None,
    conv_unit: str = "channel_position",
) -> pd.DataFrame:
    """One row per hidden layer (``layer`` = 1, 2, ..., ``name`` its site) with the measures of
    ``model`` on inputs ``x``, streamed in batches; usable on an untrained network (activity at
    initialisation)."""
    check_view(eps, percentile, conv_unit)
    check_positive(batch_size, "batch_size")
    run = accumulate(
        model,
        tensor_batches(x, batch_size),
        find_layers(model, layers),
        conv_unit=conv_unit,
        eps=float(eps),
        percentile=float(percentile),
    )
    rows = [
        {"layer": i, "name": r.pop("layer"), **{k: r[k] for k in STAT_COLUMNS}}
        for i, r in enumerate(run.rows(), start=1)
    ]
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------------------
# Gradients


def backprop_gradient_norms(model: Network, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """Root mean square over the examples of ``||dL_n/dz_l||_2``, the cross-entropy gradient
    with respect to each hidden layer's pre-activation ``z_l`` (the "back-propagated gradient"
    of Glorot & Bengio 2010, Sec. 4.2), one value per hidden layer, bottom first.

    Runs one forward and backward pass on ``(x, y)`` and leaves the weight gradients in
    ``.grad`` (read them with :func:`layer_gradient_norms`). Unlike the weight gradient
    ``dL/dW_l = a_{l-1} (dL/dz_l)``, this one does not include the size of the layer's input,
    so a shrinking activity scale cannot hide a shrinking back-propagated signal. For any other
    model, ``measure(model, loader, gradients=True)`` gives the same per layer.
    """
    pre: list[torch.Tensor] = []

    def keep(_module, _inputs, out: torch.Tensor) -> None:
        out.retain_grad()
        pre.append(out)

    hooks = [block.layer.register_forward_hook(keep) for block in model.hidden_blocks()]
    try:
        model.zero_grad(set_to_none=True)
        # summed loss: each example's gradient is its own dL_n/dz, not 1/batch of it
        F.cross_entropy(model(x), y, reduction="sum").backward()
    finally:
        for h in hooks:
            h.remove()
    n = x.shape[0]
    for p in model.parameters():  # report weight gradients of the mean loss, as in training
        if p.grad is not None:
            p.grad /= n
    return [float(z.grad.reshape(n, -1).pow(2).sum(1).mean().sqrt()) for z in pre]


def layer_gradient_norms(model: nn.Module) -> list[float]:
    """``||dL/dW_l||_2`` of each weight layer (:func:`neuroact.ann.hooks.weight_layers`: for a
    Network hidden then read-out) from the current ``.grad`` (``nan`` where there is none)."""
    return [
        float(torch.linalg.vector_norm(m.weight.grad)) if m.weight.grad is not None else math.nan
        for _, m in weight_layers(model)
    ]


# -------------------------------------------------------------------------------------------
# During training
