"""Probes: how sparse each hidden layer is and how gradients flow, cheaply, switchable off.

Two kinds of measurement
------------------------
During training (forward hooks on each hidden layer's activation module, plus one call after
each backward pass) only running sums are kept, as tensors, never the activations themselves.
To keep the cost at about 1 % of a step they are taken on every ``every``-th mini-batch
(default 10; ``every=1`` for all), an unbiased sample of the epoch's batches:

``train_frac_active_input``
    share of pre-activations ``> 0`` over the epoch's training batches;
``train_dead_frac``
    share of units whose pre-activation was ``<= 0`` on every sampled training example;
``grad_norm``
    mean over the epoch's steps of the Euclidean norm ``||dL/dW_l||_2`` of each weight matrix
    (hidden layers and the read-out), the quantity whose decay with depth Glorot & Bengio 2010
    call vanishing gradients.

At the end of each epoch the model is run once on a fixed evaluation set (e.g. the first 2,000
validation images) and every hidden layer's activations ``a`` (samples x units; for a conv layer
every channel x position is a unit) go through :mod:`neuroact.sparsity`:

``frac_zero`` (output view)
    share of entries with ``|a| <= eps * P99(|a|)`` (``P99`` the 99th percentile of ``|a|`` in
    that layer on the evaluation set). ``eps = 0`` (exact zeros) for rectifiers; ``eps = 0.01``
    by default for smooth units, reported in column ``frac_zero_eps``.
``frac_active_input`` (input view)
    share of pre-activations ``> 0`` (for sigmoid: output above its midpoint 1/2).
``dead_frac``
    share of units inactive in the output view on every evaluation example.
``population_sparseness`` / ``lifetime_sparseness``
    normalised Treves-Rolls sparseness ``S = (1 - a) / (1 - 1/N)`` of ``|a|`` across units per
    example, averaged (population), and across examples per unit, averaged (lifetime;
    Willmore & Tolhurst 2001); also the Hoyer versions. ``|a|`` because tanh and leaky ReLU
    outputs are signed; for non-negative units it is ``a`` itself.
``saturation_frac``
    for bounded units (sigmoid, tanh), the share of entries within ``saturation_tol`` (0.01) of
    either bound (Glorot & Bengio 2010); ``nan`` for unbounded units.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from neuroact import sparsity
from neuroact.ann.activations import get_spec
from neuroact.ann.models import Network

DEFAULT_EPS = 0.01
DEFAULT_PERCENTILE = 99.0


def _units(t: torch.Tensor) -> torch.Tensor:
    """(samples, units) view of an activation tensor (conv: channels x positions are units)."""
    return t.reshape(t.shape[0], -1)


@torch.no_grad()
def capture_activations(
    model: Network, x: torch.Tensor, batch_size: int = 1000
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(pre_activation, activation), ...]`` per hidden layer on inputs ``x``, as float32
    ``(samples, units)`` arrays. Runs in eval mode and restores the previous mode."""
    store: list[list[tuple[torch.Tensor, torch.Tensor]]] = [[] for _ in model.activation_modules()]

    def make_hook(i):
        def hook(module, inputs, output):
            store[i].append((_units(inputs[0]).detach().cpu(), _units(output).detach().cpu()))

        return hook

    modules = model.activation_modules()
    handles = [m.register_forward_hook(make_hook(i)) for i, m in enumerate(modules)]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, x.shape[0], batch_size):
            model(x[start : start + batch_size])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return [
        (torch.cat([p for p, _ in s]).numpy(), torch.cat([a for _, a in s]).numpy()) for s in store
    ]


def layer_stats(
    pre: np.ndarray,
    act: np.ndarray,
    activation: str,
    eps: float = DEFAULT_EPS,
    percentile: float = DEFAULT_PERCENTILE,
) -> dict:
    """Every sparsity measure of one layer from its pre-activations and activations.

    ``activation`` (a registry name) decides the output view: exact zeros if the family has them,
    else ``eps`` (see the module docstring). Returns a dict of plain floats.
    """
    spec = get_spec(activation)
    a = np.abs(np.asarray(act, dtype=np.float64))
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
    model: Network,
    x: torch.Tensor,
    eps: float = DEFAULT_EPS,
    percentile: float = DEFAULT_PERCENTILE,
    batch_size: int = 1000,
) -> pd.DataFrame:
    """One row per hidden layer (``layer`` = 1, 2, ...) with :func:`layer_stats` of ``model`` on
    ``x``; usable on an untrained network (activity at initialisation)."""
    rows = []
    for i, (pre, act) in enumerate(capture_activations(model, x, batch_size), start=1):
        rows.append({"layer": i, **layer_stats(pre, act, model.activation, eps, percentile)})
    return pd.DataFrame(rows)


def backprop_gradient_norms(model: Network, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """Root mean square over the examples of ``||dL_n/dz_l||_2``, the cross-entropy gradient
    with respect to each hidden layer's pre-activation ``z_l`` (the "back-propagated gradient"
    of Glorot & Bengio 2010, Sec. 4.2), one value per hidden layer, bottom first.

    Runs one forward and backward pass on ``(x, y)`` and leaves the weight gradients in
    ``.grad`` (read them with :func:`layer_gradient_norms`). Unlike the weight gradient
    ``dL/dW_l = a_{l-1} (dL/dz_l)``, this one does not include the size of the layer's input,
    so a shrinking activity scale cannot hide a shrinking back-propagated signal.
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


def layer_gradient_norms(model: Network) -> list[float]:
    """``||dL/dW_l||_2`` of each weight layer (hidden then read-out) from the current ``.grad``
    (``nan`` where there is no gradient yet)."""
    return [
        float(torch.linalg.vector_norm(m.weight.grad)) if m.weight.grad is not None else math.nan
        for m in model.weight_layers()
    ]


class Probes:
    """Training-time running statistics and end-of-epoch sparsity on a fixed evaluation set.

    Parameters
    ----------
    model : the network (its hidden activation modules get forward hooks).
    eval_x : fixed evaluation inputs for the end-of-epoch measures (None: only running stats).
    eps, percentile : output view for smooth units (see module docstring).
    enabled : False makes every method a no-op (no hooks, no cost): the probes "switched off".
    every : take the training-time statistics on every ``every``-th mini-batch.

    Use ``with Probes(model, x) as probes:`` (or ``attach()``/``detach()``); call
    ``after_backward()`` after each ``loss.backward()`` and ``epoch_rows(epoch)`` at the end of
    each epoch (it also resets the running sums).
    """

    def __init__(
        self,
        model: Network,
        eval_x: torch.Tensor | None = None,
        eps: float = DEFAULT_EPS,
        percentile: float = DEFAULT_PERCENTILE,
        enabled: bool = True,
        every: int = 10,
    ):
        if not isinstance(model, Network):
            raise TypeError(f"model must be a neuroact Network (MLP, SmallCNN); got {type(model)}")
        if not (math.isfinite(eps) and eps >= 0):
            raise ValueError(f"eps must be a finite number >= 0; got {eps}")
        self.model = model
        self.eval_x = eval_x
        self.eps = float(eps)
        self.percentile = float(percentile)
        self.enabled = bool(enabled)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer; got {every!r}")
        self.every = every
        self._handles: list = []
        self._reset()

    def _reset(self) -> None:
        n = len(self.model.activation_modules())
        # accumulators are created on the device of the first tensor they see (CPU or GPU)
        self._pos: list[torch.Tensor | int] = [0] * n
        self._count = [0] * n
        self._ever: list[torch.Tensor | None] = [None] * n
        self._grad: torch.Tensor | float = 0.0
        self._steps = 0  # sampled steps
        self._tick = 0  # all steps
        self._sampling = True  # is the current step sampled?

    # hooks ------------------------------------------------------------------------------------
    def _make_hook(self, i: int):
        def hook(module, inputs, output):
            if not (self._sampling and module.training and torch.is_grad_enabled()):
                return  # only sampled training batches feed the running sums
            with torch.no_grad():
                on = _units(inputs[0]) > 0
                self._pos[i] = self._pos[i] + on.sum()
                self._count[i] += on.numel()
                seen = on.any(0)
                self._ever[i] = seen if self._ever[i] is None else self._ever[i] | seen

        return hook

    def attach(self) -> Probes:
        if self.enabled and not self._handles:
            self._handles = [
                m.register_forward_hook(self._make_hook(i))
                for i, m in enumerate(self.model.activation_modules())
            ]
        return self

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

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
        grads = [m.weight.grad for m in self.model.weight_layers()]
        if self._sampling and all(g is not None for g in grads):
            self._grad = self._grad + torch.stack([torch.linalg.vector_norm(g) for g in grads])
            self._steps += 1
        self._tick += 1
        self._sampling = self._tick % self.every == 0

    def epoch_rows(self, epoch: int) -> list[dict]:
        """One dict per weight layer for this epoch (hidden layers: ``layer_kind="hidden"`` with
        all measures; read-out: ``"readout"`` with its gradient norm); resets running sums."""
        if not self.enabled:
            return []
        n_hidden = len(self.model.activation_modules())
        grad = (
            (self._grad.double() / self._steps).tolist()
            if self._steps
            else [math.nan] * (n_hidden + 1)
        )
        evals = (
            activation_stats(self.model, self.eval_x, self.eps, self.percentile)
            if self.eval_x is not None
            else None
        )
        rows = []
        for i in range(n_hidden):
            row = {"epoch": epoch, "layer": i + 1, "layer_kind": "hidden", "grad_norm": grad[i]}
            if self._count[i]:
                row["train_frac_active_input"] = float(self._pos[i]) / self._count[i]
                row["train_dead_frac"] = float((~self._ever[i]).float().mean())
            if evals is not None:
                row.update(evals.iloc[i].drop("layer").to_dict())
            rows.append(row)
        rows.append(
            {"epoch": epoch, "layer": n_hidden + 1, "layer_kind": "readout", "grad_norm": grad[-1]}
        )
        self._reset()
        return rows
