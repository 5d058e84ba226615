"""Probes during training: running sparsity and gradient statistics, and end-of-epoch measures.

:class:`Probes` is what :func:`neuroact.ann.train.train` attaches to a model for the length of a
training run. Forward pre-hooks on each hidden layer's activation module keep running sums on
every ``every``-th mini-batch, and each epoch ends with the measures of
:func:`neuroact.ann.probes.measure` on a fixed evaluation set. The measures themselves are defined
in :mod:`neuroact.ann.probes`; it also exports :class:`Probes`.

See Also
--------
neuroact.ann.probes : the measures, and ``measure`` on any model and data loader.
neuroact.ann.hooks : choosing layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuroact.ann.hooks import Layer, LayerChoice, LayerHooks, find_layers, weight_layers
from neuroact.ann.models import Network
from neuroact.ann.running import (
    DEFAULT_EPS,
    DEFAULT_PERCENTILE,
    STAT_COLUMNS,
    LayerPass,
    accumulate,
    check_positive,
    check_view,
    tensor_batches,
    unit_view,
)

__all__ = ["Probes"]


class Probes:
    """Training-time running statistics and end-of-epoch measures on a fixed evaluation set.

    Parameters
    ----------
    model : any ``nn.Module``; for a neuroact :class:`~neuroact.ann.models.Network` probed on
        its own hidden layers the rows are numbered by hidden layer, read-out last.
    eval_x : fixed evaluation inputs for the end-of-epoch measures (None: only running stats).
    eps, percentile : output view for smooth units (see module docstring).
    enabled : False makes every method a no-op (no hooks, no cost): the probes "switched off".
    every : take the training-time statistics on every ``every``-th mini-batch.
    layers : which layers (:func:`neuroact.ann.hooks.find_layers`); default every activation
        module.
    conv_unit : what a unit of a convolutional layer is (:mod:`neuroact.ann.running`).

    Use ``with Probes(model, x) as probes:`` (or ``attach()``/``detach()``); call
    ``after_backward()`` after each ``loss.backward()`` and ``epoch_rows(epoch)`` at the end of
    each epoch (it also resets the running sums).
    """

    def __init__(
        self,
        model: nn.Module,
        eval_x: torch.Tensor | None = None,
        eps: float = DEFAULT_EPS,
        percentile: float = DEFAULT_PERCENTILE,
        enabled: bool = True,
        every: int = 10,
        *,
        layers: LayerChoice = None,
        conv_unit: str = "channel_position",
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        check_view(eps, percentile, conv_unit)
        check_positive(every, "every")
        self.model = model
        self.eval_x = eval_x
        self.eps, self.percentile, self.conv_unit = float(eps), float(percentile), conv_unit
        self.enabled = bool(enabled)
        self.every = every
        self.layers = find_layers(model, layers)
        # a Network's own layout: hidden layer i and its weight layer share a row
        self._per_network_layer = isinstance(model, Network) and layers is None
        self.weights = [(n, m) for n, m in weight_layers(model) if m.weight.requires_grad]
        self._hooks = LayerHooks(model, self.layers, on_input=self._on_input)
        self._reset()

    def _reset(self) -> None:
        # per site: [entries > 0, entries, units ever > 0], tensors on the activations' device
        self._train: dict[str, list] = {}
        self._grad: torch.Tensor | float = 0.0
        self._steps = 0  # sampled steps
        self._tick = 0  # all steps
        self._sampling = True  # is the current step sampled?

    def _on_input(self, site: str, layer: Layer, z: torch.Tensor) -> None:
        if not (self._sampling and layer.module.training and torch.is_grad_enabled()):
            return  # only sampled training batches feed the running sums
        with torch.no_grad():
            on = unit_view(z, self.conv_unit) > 0
            acc = self._train.setdefault(site, [0, 0, None])
            acc[0] = acc[0] + torch.count_nonzero(on)  # bool .sum() is slower
            acc[1] += on.numel()
            seen = on.any(0)
            acc[2] = seen if acc[2] is None else acc[2] | seen

    def attach(self) -> Probes:
        if self.enabled:
            self._hooks.attach()
        return self

    def detach(self) -> None:
        self._hooks.remove()

    def __enter__(self) -> Probes:
        return self.attach()

    def __exit__(self, *exc) -> None:
        self.detach()

    @torch.no_grad()
    def after_backward(self) -> None:
        """Add this step's per-layer weight-gradient norms to the running sums (sampled steps)
        and decide whether the next step is sampled."""
        if not self.enabled:
            return
        grads = [m.weight.grad for _, m in self.weights]
        if self._sampling and grads and all(g is not None for g in grads):
            self._grad = self._grad + torch.stack([torch.linalg.vector_norm(g) for g in grads])
            self._steps += 1
        self._tick += 1
        self._sampling = self._tick % self.every == 0

    def _evaluation(self) -> LayerPass:
        """The end-of-epoch pass over ``eval_x`` (an empty pass without it)."""
        if self.eval_x is None:
            return LayerPass()
        return accumulate(
            self.model,
            tensor_batches(self.eval_x, 500),
            self.layers,
            conv_unit=self.conv_unit,
            eps=self.eps,
            percentile=self.percentile,
        )

    def _hidden_row(self, site: str, evals: dict[str, dict]) -> dict:
        row = {}
        acc = self._train.get(site)
        if acc is not None and acc[1]:
            row["train_frac_active_input"] = float(acc[0]) / acc[1]
            row["train_dead_frac"] = float((~acc[2]).float().mean())
        if site in evals:
            row.update({k: evals[site][k] for k in STAT_COLUMNS})
        return row

    def epoch_rows(self, epoch: int) -> list[dict]:
        """The rows of this epoch, and the running sums reset.

        For a Network: one dict per weight layer (hidden layers ``layer_kind="hidden"`` with all
        measures and their weight gradient; read-out ``"readout"`` with its gradient norm). For
        any other model: one ``"hidden"`` row per probed site (``name``, ``unit``, measures),
        then one ``"weight"`` row per weight layer (``name``, ``grad_norm``).
        """
        if not self.enabled:
            return []
        grad = (self._grad.double() / self._steps).tolist() if self._steps else None
        grad = grad or [math.nan] * len(self.weights)
        run = self._evaluation()
        evals = {r.pop("layer"): r for r in run.rows()}
        if self._per_network_layer:
            rows = [
                {"epoch": epoch, "layer": i + 1, "layer_kind": "hidden", "grad_norm": grad[i]}
                | self._hidden_row(layer.name, evals)
                for i, layer in enumerate(self.layers)
            ]
            rows.append(
                {"epoch": epoch, "layer": len(rows) + 1, "layer_kind": "readout"}
                | {"grad_norm": grad[-1]}
            )
        else:
            sites = {**self._hooks.sites, **run.sites}  # site -> layer, training order first
            rows = [
                {"epoch": epoch, "layer": i, "name": site, "layer_kind": "hidden"}
                | {"unit": layer.spec.name}
                | self._hidden_row(site, evals)
                for i, (site, layer) in enumerate(sites.items(), start=1)
            ]
            rows += [
                {"epoch": epoch, "layer": i, "name": name, "layer_kind": "weight", "grad_norm": g}
                for i, ((name, _), g) in enumerate(zip(self.weights, grad, strict=True), start=1)
            ]
        self._reset()
        return rows
