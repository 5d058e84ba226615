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

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

Activation = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class PretrainConfig:
    """Hyper-parameters of greedy denoising auto-encoder pre-training.

    Parameters
    ----------
    noise : fraction ``p`` of input components set to zero (masking noise), in ``[0, 1)``.
    epochs : passes over the data for each layer.
    lr : SGD learning rate of the auto-encoders.
    batch_size : minibatch size.
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

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.noise) < 1.0:
            raise ValueError(f"noise must be a fraction in [0, 1); got {self.noise!r}")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if not float(self.lr) > 0:
            raise ValueError(f"lr must be > 0; got {self.lr!r}")
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
        """Columns: layer, epoch, decoder, loss, seconds, plus the config's fields."""
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


def pretrain_layers(
    layers: Sequence[nn.Linear],
    activation: Activation | Sequence[Activation],
    x: torch.Tensor,
    config: PretrainConfig | None = None,
    *,
    progress: bool = True,
) -> PretrainResult:
    """Pre-train ``layers`` (a stack of hidden ``nn.Linear``) greedily as denoising auto-encoders.

    Parameters
    ----------
    layers : the hidden layers, bottom first; their weights and biases are overwritten in place.
    activation : the hidden units' nonlinearity ``f`` (one for all layers, or one per layer).
    x : training inputs, shape ``(samples, layers[0].in_features)``; flattened images in [0, 1].
    config : hyper-parameters (defaults: ``PretrainConfig()``).
    progress : tqdm bar over layers and epochs (silent when not a terminal).

    Returns
    -------
    PretrainResult with the mean reconstruction loss of each layer after each epoch.
    """
    config = config or PretrainConfig()
    layers = list(layers)
    x = x.reshape(len(x), -1) if x.ndim > 2 else x
    _check_stack(layers, x)
    acts = list(activation) if isinstance(activation, Sequence) else [activation] * len(layers)
    if len(acts) != len(layers):
        raise ValueError(f"activation: expected 1 or {len(layers)} functions; got {len(acts)}")
    gen = torch.Generator().manual_seed(int(config.seed))
    if config.max_samples is not None and config.max_samples < len(x):
        x = x[torch.randperm(len(x), generator=gen)[: config.max_samples].to(x.device)]
    result = PretrainResult(config=config)
    target_all = x.detach().float()
    bar = tqdm(
        total=len(layers) * config.epochs, desc="DAE pre-training", disable=not progress or None
    )
    with bar:
        for k, (layer, f) in enumerate(zip(layers, acts, strict=True)):
            decoder = decoder_for(target_all)
            c = nn.Parameter(torch.zeros(layer.in_features, device=layer.weight.device))
            params = [layer.weight, layer.bias, c] if layer.bias is not None else [layer.weight, c]
            if not config.tied:
                w_dec = nn.Parameter(layer.weight.detach().t().clone())
                params.append(w_dec)
            opt = torch.optim.SGD(params, lr=config.lr)
            for epoch in range(config.epochs):
                start = time.perf_counter()
                order = torch.randperm(len(target_all), generator=gen).to(target_all.device)
                total, count = 0.0, 0
                for i in range(0, len(order), config.batch_size):
                    clean = target_all[order[i : i + config.batch_size]]
                    h = f(layer(mask_noise(clean, config.noise, gen)))
                    w_out = layer.weight.t() if config.tied else w_dec
                    pre = h @ w_out.t() + c
                    loss = _reconstruction_loss(pre, clean, decoder)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(clean)
                    count += len(clean)
                result.history.append(
                    {
                        "layer": k,
                        "epoch": epoch + 1,
                        "decoder": decoder,
                        "loss": total / count,
                        "seconds": time.perf_counter() - start,
                    }
                )
                bar.update(1)
            with torch.no_grad():  # clean codes of this layer = targets of the next
                target_all = torch.cat(
                    [f(layer(target_all[i : i + 4096])) for i in range(0, len(target_all), 4096)]
                )
    return result


def pretrain_mlp(
    model: nn.Module,
    x: torch.Tensor,
    config: PretrainConfig | None = None,
    *,
    progress: bool = True,
) -> PretrainResult:
    """Pre-train the hidden layers of a :class:`neuroact.ann.models.MLP` in place.

    Each hidden block's ``layer`` (an ``nn.Linear``) is the encoder and its ``act`` module the
    nonlinearity; the read-out is left as initialised. Fine-tune afterwards with the usual
    training loop. ``x`` is flattened to ``(samples, in_features)``.
    """
    from neuroact.ann.models import MLP

    if not isinstance(model, MLP):
        raise TypeError(
            f"model must be a neuroact.ann.models.MLP (fully connected); got {type(model).__name__}"
        )
    blocks = model.hidden_blocks()
    x = x.reshape(len(x), -1)
    return pretrain_layers(
        [b.layer for b in blocks], [b.act for b in blocks], x, config, progress=progress
    )
