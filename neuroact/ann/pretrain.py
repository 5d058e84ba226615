"""Stacked denoising auto-encoder pre-training, layer by layer, then fine-tuning.

Greedy layer-wise pre-training as used by Glorot, Bordes & Bengio (2011, Sec. 4) for their
"with unsupervised pre-training" column of Table 1, following Vincent et al. (2008, 2010):

For hidden layer ``k`` (layers below it already trained and frozen), with ``x`` the clean input
to that layer (the pixels for ``k = 0``, else the activations of layer ``k - 1``):

* corrupt it with **masking noise**: ``x~ = x * m``, ``m_i ~ Bernoulli(1 - p)`` (a fraction ``p``
  of the components set to zero, a fresh mask per example and epoch);
* encode with the layer itself: ``h = f(W x~ + b)``, ``f`` the network's activation;
* decode with tied weights (default): ``r = g(W^T h + c)``;
* minimise the reconstruction loss ``L(r, x)`` against the **clean** ``x`` by minibatch SGD.

The decoder ``g`` and loss follow the range of the target, measured on the data:

==========================  ==========================  ============================================
target range                decoder ``g``               loss
==========================  ==========================  ============================================
``[0, 1]`` (pixels,         logistic sigmoid            cross-entropy (Vincent et al. 2010)
sigmoid units)
``[0, inf)`` (rectifier,    softplus                    squared error (Glorot et al. 2011, Sec. 4.1,
softplus units)                                         their first option for rectifier DAEs)
signed (tanh units)         identity                    squared error
==========================  ==========================  ============================================

How long each layer trains. With validation inputs and ``patience > 0``, each layer trains
for as long as its **validation** denoising loss improves (the same corruption process on the
validation examples, with masks fixed across epochs so that epochs compare), at most ``epochs``
epochs, and keeps the weights of its best epoch; without them, exactly ``epochs`` epochs.

Choosing the noise level on validation. The denoising loss cannot itself choose ``p``: a lower
noise level is an easier task with a lower loss. :func:`readout_error` gives the criterion used
here: the validation error of a linear soft-max classifier trained on the top layer's codes of
the pre-trained stack, a cheap stand-in for the validation error after fine-tuning (Vincent et
al. 2010 select ``p`` by the latter; their Sec. 7 also reads DAE features out with linear
classifiers).

The encoder weights and biases are written back into the given ``nn.Linear`` layers in place;
the decoders are thrown away, and the whole network is then fine-tuned with the labels by the
ordinary training loop (``neuroact.ann.train``).

References
----------
Vincent P, Larochelle H, Bengio Y, Manzagol P-A (2008) Extracting and composing robust features
with denoising autoencoders. ICML. Vincent P et al. (2010) Stacked denoising autoencoders. JMLR
11:3371-3408. Glorot X, Bordes A, Bengio Y (2011) Deep sparse rectifier neural networks. AISTATS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from neuroact.ann.models import MLP

Activation = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class PretrainConfig:
    """Hyper-parameters of greedy denoising auto-encoder pre-training.

    Parameters
    ----------
    noise : fraction ``p`` of input components set to zero (masking noise), in ``[0, 1)``.
    epochs : passes over the data for each layer (the most, with ``patience``).
    lr : SGD learning rate of the auto-encoders.
    batch_size : minibatch size.
    momentum : SGD momentum (0 = plain SGD).
    patience : with validation inputs, stop a layer once its validation denoising loss has not
        improved for ``patience`` epochs and keep its best epoch's weights (0 = all epochs).
    tied : decoder weights are the transpose of the encoder's (``W' = W^T``).
    seed : seed of the masks, the example order and (untied) decoder init.
    max_samples : use at most this many training examples (None = all); pre-training on a subset
        is the usual way to keep its cost below that of fine-tuning.
    """

    noise: float = 0.25
    epochs: int = 1
    lr: float = 0.01
    batch_size: int = 10
    tied: bool = True
    seed: int = 0
    max_samples: int | None = None
    momentum: float = 0.0
    patience: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.noise) < 1.0:
            raise ValueError(f"noise must be a fraction in [0, 1); got {self.noise!r}")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if not float(self.lr) > 0:
            raise ValueError(f"lr must be > 0; got {self.lr!r}")
        if not 0.0 <= float(self.momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum!r}")
        if isinstance(self.patience, bool) or not isinstance(self.patience, int):
            raise ValueError(f"patience must be an integer >= 0; got {self.patience!r}")
        if self.patience < 0:
            raise ValueError(f"patience must be an integer >= 0; got {self.patience!r}")
        if self.max_samples is not None and (
            not isinstance(self.max_samples, int) or self.max_samples < 1
        ):
            raise ValueError(
                f"max_samples must be a positive integer or None; got {self.max_samples!r}"
            )


@dataclass
class PretrainResult:
    """Reconstruction loss of each layer's auto-encoder, one entry per layer and epoch."""

    config: PretrainConfig
    history: list[dict] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Columns: layer, epoch, decoder, loss (training), val_loss (validation, NaN without
        validation inputs), kept (the epoch whose weights the layer keeps), seconds, plus the
        config's fields."""
        frame = pd.DataFrame(self.history)
        for key, value in asdict(self.config).items():
            frame[f"pretrain_{key}"] = value
        return frame


def mask_noise(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Masking noise: each component of ``x`` set to zero independently with probability ``p``."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be a fraction in [0, 1); got {p!r}")
    if p == 0.0:
        return x
    # drawn on the CPU (where ``generator`` lives), so a seed gives the same masks on any device
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep.to(x.device)


def decoder_for(target: torch.Tensor) -> str:
    """Name of the decoder that fits the range of ``target``: 'sigmoid', 'softplus' or 'linear'."""
    lo, hi = float(target.min()), float(target.max())
    if lo >= 0.0 and hi <= 1.0:
        return "sigmoid"
    if lo >= 0.0:
        return "softplus"
    return "linear"


def _reconstruction_loss(pre: torch.Tensor, target: torch.Tensor, decoder: str) -> torch.Tensor:
    """Mean (over examples) reconstruction loss, summed over components."""
    if decoder == "sigmoid":
        per = F.binary_cross_entropy_with_logits(pre, target, reduction="none")
    elif decoder == "softplus":
        per = (F.softplus(pre) - target) ** 2
    else:
        per = (pre - target) ** 2
    return per.sum(dim=1).mean()


def _check_stack(layers: Sequence[nn.Linear], x: torch.Tensor) -> None:
    if len(layers) == 0:
        raise ValueError("layers must hold at least one nn.Linear (the hidden layers to pre-train)")
    for i, layer in enumerate(layers):
        if not isinstance(layer, nn.Linear):
            raise TypeError(f"layers[{i}] must be an nn.Linear; got {type(layer).__name__}")
        if i and layer.in_features != layers[i - 1].out_features:
            raise ValueError(
                f"layers[{i}] takes {layer.in_features} inputs but layers[{i - 1}] gives "
                f"{layers[i - 1].out_features}"
            )
    if x.ndim != 2 or x.shape[1] != layers[0].in_features:
        raise ValueError(
            f"x must have shape (samples, {layers[0].in_features}); got {tuple(x.shape)}"
        )


def _codes(layer: nn.Linear, f: Activation, x: torch.Tensor) -> torch.Tensor:
    """Clean codes ``f(layer(x))`` in chunks (the inputs of the next layer)."""
    with torch.no_grad():
        return torch.cat([f(layer(x[i : i + 4096])) for i in range(0, len(x), 4096)])


def _denoising_loss(
    layer: nn.Linear, f: Activation, w_out, c, clean, noise: float, decoder: str, gen
) -> torch.Tensor:
    """The denoising reconstruction loss of one mini-batch (corrupt, encode, decode)."""
    h = f(layer(mask_noise(clean, noise, gen)))
    return _reconstruction_loss(h @ w_out.t() + c, clean, decoder)


def pretrain_layers(
    layers: Sequence[nn.Linear],
    activation: Activation | Sequence[Activation],
    x: torch.Tensor,
    config: PretrainConfig | None = None,
    *,
    x_val: torch.Tensor | None = None,
    progress: bool = True,
) -> PretrainResult:
    """Pre-train ``layers`` (a stack of hidden ``nn.Linear``) greedily as denoising auto-encoders.

    Parameters
    ----------
    layers : the hidden layers, bottom first; their weights and biases are overwritten in place.
    activation : the hidden units' nonlinearity ``f`` (one for all layers, or one per layer).
    x : training inputs, shape ``(samples, layers[0].in_features)``; flattened images in [0, 1].
    config : hyper-parameters (defaults: ``PretrainConfig()``).
    x_val : validation inputs (same shape per example): each layer's validation denoising loss
        is recorded per epoch and, with ``config.patience``, decides when the layer stops.
    progress : tqdm bar over layers and epochs (silent when not a terminal).

    Returns
    -------
    PretrainResult with the mean reconstruction loss of each layer after each epoch.
    """
    config = config or PretrainConfig()
    layers = list(layers)
    x = x.reshape(len(x), -1) if x.ndim > 2 else x
    _check_stack(layers, x)
    if x_val is not None:
        x_val = x_val.reshape(len(x_val), -1)
        _check_stack(layers, x_val)
    acts = list(activation) if isinstance(activation, Sequence) else [activation] * len(layers)
    if len(acts) != len(layers):
        raise ValueError(f"activation: expected 1 or {len(layers)} functions; got {len(acts)}")
    gen = torch.Generator().manual_seed(int(config.seed))
    if config.max_samples is not None and config.max_samples < len(x):
        x = x[torch.randperm(len(x), generator=gen)[: config.max_samples].to(x.device)]
    result = PretrainResult(config=config)
    target_all = x.detach().float()
    target_val = x_val.detach().float() if x_val is not None else None
    bar = tqdm(
        total=len(layers) * config.epochs, desc="DAE pre-training", disable=not progress or None
    )
    with bar:
        for k, (layer, f) in enumerate(zip(layers, acts, strict=True)):
            rows = _train_layer(layer, f, target_all, target_val, config, gen, bar)
            result.history.extend({"layer": k, **row} for row in rows)
            target_all = _codes(layer, f, target_all)  # clean codes: the next layer's targets
            if target_val is not None:
                target_val = _codes(layer, f, target_val)
    return result


def _train_layer(
    layer: nn.Linear,
    f: Activation,
    target: torch.Tensor,
    target_val: torch.Tensor | None,
    config: PretrainConfig,
    gen: torch.Generator,
    bar,
) -> list[dict]:
    """Train one layer as a denoising auto-encoder (module docstring); its per-epoch rows."""
    decoder = decoder_for(target)
    c = nn.Parameter(torch.zeros(layer.in_features, device=layer.weight.device))
    params = [layer.weight, layer.bias, c] if layer.bias is not None else [layer.weight, c]
    w_dec = None
    if not config.tied:
        w_dec = nn.Parameter(layer.weight.detach().t().clone())
        params.append(w_dec)
    opt = torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    # validation masks: the same every epoch (its own generator, re-seeded), so epochs compare
    val_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    rows, best, kept = [], math.inf, None
    for epoch in range(config.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(target), generator=gen).to(target.device)
        total, count = 0.0, 0
        for i in range(0, len(order), config.batch_size):
            clean = target[order[i : i + config.batch_size]]
            w_out = layer.weight.t() if config.tied else w_dec
            loss = _denoising_loss(layer, f, w_out, c, clean, config.noise, decoder, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(clean)
            count += len(clean)
        val_loss = math.nan
        if target_val is not None:
            val_loss = _validation_loss(layer, f, w_dec, c, target_val, config, decoder, val_seed)
        row = {"epoch": epoch + 1, "decoder": decoder, "loss": total / count}
        rows.append({**row, "val_loss": val_loss, "kept": False})
        rows[-1]["seconds"] = time.perf_counter() - start
        bar.update(1)
        if val_loss < best:
            best = val_loss
            kept = (epoch, layer.weight.detach().clone(), _bias(layer))
        if config.patience and kept is not None and epoch - kept[0] >= config.patience:
            break
    if config.patience and kept is not None:
        with torch.no_grad():  # the layer keeps its best validation epoch's weights
            layer.weight.copy_(kept[1])
            if layer.bias is not None:
                layer.bias.copy_(kept[2])
        rows[kept[0]]["kept"] = True
    else:
        rows[-1]["kept"] = True
    return rows


def _bias(layer: nn.Linear) -> torch.Tensor | None:
    return layer.bias.detach().clone() if layer.bias is not None else None


@torch.no_grad()
def _validation_loss(
    layer, f, w_dec, c, target_val, config: PretrainConfig, decoder: str, seed: int
) -> float:
    """Mean denoising loss on the validation codes, with the same masks every epoch."""
    gen = torch.Generator().manual_seed(seed)
    w_out = layer.weight.t() if config.tied else w_dec
    total = 0.0
    for i in range(0, len(target_val), 4096):
        clean = target_val[i : i + 4096]
        loss = _denoising_loss(layer, f, w_out, c, clean, config.noise, decoder, gen)
        total += float(loss) * len(clean)
    return total / len(target_val)


def readout_error(
    train_codes: torch.Tensor,
    train_y: torch.Tensor,
    val_codes: torch.Tensor,
    val_y: torch.Tensor,
    *,
    weight_decay: float = 1e-4,
    iterations: int = 100,
) -> float:
    """Validation error of a linear soft-max classifier trained on frozen codes.

    The classifier ``softmax(W h + b)`` minimises the mean cross-entropy on ``(train_codes,
    train_y)`` plus ``weight_decay/2 * ||W||^2`` (full batch, L-BFGS, ``iterations`` steps, from
    zero weights: deterministic); the error is that of its arg-max on ``(val_codes, val_y)``.
    Used to choose the masking noise of the pre-training on validation (module docstring).
    """
    if train_codes.ndim != 2 or val_codes.ndim != 2 or train_codes.shape[1] != val_codes.shape[1]:
        raise ValueError(
            f"train_codes and val_codes must be (samples, units) with the same units; got "
            f"{tuple(train_codes.shape)} and {tuple(val_codes.shape)}"
        )
    n_classes = int(max(train_y.max(), val_y.max())) + 1
    # standardised codes: one L-BFGS scale for every unit and layer
    mean, sd = train_codes.mean(0), train_codes.std(0).clamp_min(1e-6)
    h, hv = (train_codes - mean) / sd, (val_codes - mean) / sd
    w = torch.zeros(h.shape[1], n_classes, device=h.device, requires_grad=True)
    b = torch.zeros(n_classes, device=h.device, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(h @ w + b, train_y) + 0.5 * weight_decay * w.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    with torch.no_grad():
        return float(((hv @ w + b).argmax(1) != val_y).float().mean())


def pretrain_mlp(
    model: nn.Module,
    x: torch.Tensor,
    config: PretrainConfig | None = None,
    *,
    x_val: torch.Tensor | None = None,
    progress: bool = True,
) -> PretrainResult:
    """Pre-train the hidden layers of a :class:`neuroact.ann.models.MLP` in place.

    Each hidden block's ``layer`` (an ``nn.Linear``) is the encoder and its ``act`` module the
    nonlinearity; the read-out is left as initialised. Fine-tune afterwards with the usual
    training loop. ``x`` (and ``x_val``, the validation inputs that decide how long each layer
    trains, see :func:`pretrain_layers`) are flattened to ``(samples, in_features)``.
    """
    if not isinstance(model, MLP):
        raise TypeError(
            f"model must be a neuroact.ann.models.MLP (fully connected); got {type(model).__name__}"
        )
    blocks = model.hidden_blocks()
    x = x.reshape(len(x), -1)
    if x_val is not None:
        x_val = x_val.reshape(len(x_val), -1)
    layers, acts = [b.layer for b in blocks], [b.act for b in blocks]
    return pretrain_layers(layers, acts, x, config, x_val=x_val, progress=progress)
