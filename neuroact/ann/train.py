"""Training: one readable loop, with probes, an L1 activation penalty, checkpoints and resume.

The settings are a :class:`~neuroact.ann.config.TrainConfig`; the result a
:class:`~neuroact.ann.result.TrainResult` (both importable from here).

The objective (per mini-batch of B examples, hidden layers l = 1..L with activations a_l)::

    loss = mean_b CE(logits_b, y_b) + l1 * sum_l (1/B) sum_b sum_j |a_l,bj|

i.e. the L1 penalty is the L1 norm of *all* hidden activations of one example (summed over
units and layers), averaged over the batch, times ``l1``. This is the activation penalty of
Glorot, Bordes & Bengio 2011 (they used ``l1 = 0.001``); it does not depend on the batch size
but it does grow with the number of hidden units.

Errors are stored as fractions (0.0143 = 1.43 %). Per epoch (epoch 0 = before training) the
history holds:

``train_error``, ``train_loss``, ``train_penalty``
    running averages over the epoch's mini-batches (the weights change during the epoch);
``val_error``, ``val_loss``
    the end-of-epoch weights on the first ``val_size`` validation examples (a fixed subset,
    the same every epoch; all of them when ``val_size`` is None);
``test_error``, ``test_loss``
    the **full** test set, only at epoch 0, at the epoch whose weights the model ends with (the
    last one, or the best-validation one under early stopping) and every ``test_every``
    epochs; NaN on the other epochs;
``selected``
    True on the row of the epoch whose weights the model ends with (its test error and probes
    are the run's final numbers);
``val_error_full``, ``val_loss_full``
    where ``val_size`` is a subset: the final weights on the full validation set, in the
    selected row only (the run's final validation error);
``train_eval_error``, ``train_eval_loss``
    with ``train_eval_size > 0``: the end-of-epoch weights on the first ``train_eval_size``
    training examples (what a time-to-target measure needs: the running error lags the weights
    by about half an epoch);
``lr_epoch``, ``train_seconds``, ``eval_seconds``, ``epoch_seconds``, ``train_cpu_seconds``
    the rate used, the (wall) seconds in the training steps, in the evaluations and probes, in
    all; and the CPU seconds of this process in the training steps (with one torch thread, the
    steps' cost on an idle core, whatever else shares the machine).

The probes add one row per layer and epoch (see :mod:`neuroact.ann.probes`), on the first
``eval_size`` validation images.

Early stopping (``patience > 0``), as in Glorot et al. 2011: training stops once the
validation error has not improved for ``patience`` epochs, and the model ends with the weights
of the epoch of lowest validation error (kept in memory and in the checkpoint).

Evaluation is kept lean: per epoch only the validation subset, the probes and the training
subset are evaluated; the full test set once at the end. The final numbers (test error on the
full test set, the probes of the final weights) are those of evaluating every epoch.

Reproducibility: the weights are initialised from ``seed``; mini-batches are drawn from a
``torch.Generator`` seeded with ``seed + 1``. A checkpoint (written atomically after every epoch,
:mod:`neuroact.ann.checkpoints`) holds the weights, the optimiser and scheduler state, the
generator state and the history, so an interrupted run resumed from it ends with bit-identical
weights to an uninterrupted one (same machine, same thread count). A damaged checkpoint is moved
aside with a warning and training resumes from the one before it, or from scratch.

Divergence. Training stops with :class:`TrainingDiverged` (the result so far attached) when

* the loss of a mini-batch is not finite, or
* the mean training cross-entropy of an epoch exceeds :data:`DIVERGED_LOSS_FACTOR` (100) times
  the reference loss: that of the untrained network on the validation split (epoch 0), and at
  least ``ln K`` for ``K`` classes, the loss of a uniform guess.

A network that far above chance has learnt nothing and its weights have grown too large to come
back (measured here: tanh at lr 1 on the MNIST subset, about 570 nats after one epoch and at
chance after three); the non-finite loss is the limit of the same blow-up.

Examples
--------
One epoch of a small rectifier network on 1,000 images of the embedded MNIST subset:

>>> config = TrainConfig(dataset="mnist-subset", activation="rectifier", widths=(64,),
...                      epochs=1, batch_size=50, train_size=1000, probes=False)
>>> config.activation
'relu'
>>> result = train(config, progress=False)
>>> errors = result.history.val_error  # epoch 0 (untrained), epoch 1
>>> bool(errors.iloc[0] > 0.8 and errors.iloc[1] < 0.3)
True

See Also
--------
neuroact.ann.probes : the per-layer measures in ``TrainResult.layers``.
neuroact.ann.pretrain : denoising auto-encoder pre-training of a model passed to :func:`train`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from neuroact.ann.checkpoints import load_checkpoint
from neuroact.ann.config import CUSTOM_DATASET, OPTIMIZERS, SCHEDULES, TrainConfig
from neuroact.ann.data import load_dataset
from neuroact.ann.loop import (
    DIVERGED_LOSS_FACTOR,
    TrainingLoop,
    check_resumable,
    evaluate,
    l1_activation_penalty,
    make_optimizer,
)
from neuroact.ann.models import Network, build_model
from neuroact.ann.result import (
    IDENTITY,
    SUMMARY_SPARSITY,
    TrainingDiverged,
    TrainResult,
    identity,
    summary_from_frame,
)

# Re-exported: the names users import from here (TrainConfig, TrainResult, load_checkpoint, ...)
__all__ = [
    "CUSTOM_DATASET",
    "DIVERGED_LOSS_FACTOR",
    "IDENTITY",
    "OPTIMIZERS",
    "SCHEDULES",
    "SUMMARY_SPARSITY",
    "Data",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "check_resumable",
    "evaluate",
    "identity",
    "l1_activation_penalty",
    "load_checkpoint",
    "load_data",
    "make_optimizer",
    "summary_from_frame",
    "torch_settings",
    "train",
]


@dataclass
class Data:
    """Tensors of the three splits (inputs as float32 in [0, 1], labels int64)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    name: str = CUSTOM_DATASET

    def to(self, device: str | torch.device) -> Data:
        tensors = {
            f.name: getattr(self, f.name).to(device)
            for f in dataclasses.fields(self)
            if f.name != "name"
        }
        return Data(**tensors, name=self.name)


def load_data(
    dataset: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    train_size: int | None = None,
    flatten: bool = True,
) -> Data:
    """The train (first 50,000), val (last 10,000) and test splits of ``dataset`` as tensors."""
    splits = {}
    for split in ("train", "val", "test"):
        ds = load_dataset(dataset, data_dir, split)
        if split == "train" and train_size is not None:
            ds = ds.take(train_size)
        splits[split] = ds.tensors(flatten=flatten)
    return Data(*splits["train"], *splits["val"], *splits["test"], name=dataset)


@contextlib.contextmanager
def torch_settings(threads: int | None, deterministic: bool) -> Iterator[None]:
    """Set torch threads and deterministic mode for a block, then restore the old values."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        if threads is not None:
            torch.set_num_threads(int(threads))
        # warn_only: an op without a deterministic kernel warns instead of stopping the run
        torch.use_deterministic_algorithms(bool(deterministic), warn_only=True)
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


def _check_data(data: Data, model: Network) -> None:
    for split in ("train", "val", "test"):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        if x.shape[0] == 0 or x.shape[0] != y.shape[0]:
            raise ValueError(
                f"data.{split}_x has {x.shape[0]} examples and data.{split}_y {y.shape[0]}; "
                "expected the same positive number"
            )


def train(
    config: TrainConfig,
    *,
    data: Data | None = None,
    data_dir: str | os.PathLike | None = None,
    model: Network | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int, Network, pd.DataFrame], None] | None = None,
    pause_after: int | None = None,
) -> TrainResult:
    """Train one network as ``config`` says; return the model and its history.

    Parameters
    ----------
    config : the run's settings.
    data : tensors of the splits (default: ``load_data(config.dataset, data_dir, train_size)``;
        required when ``config.dataset`` is ``"custom"``).
    data_dir : folder of the data sets (see :func:`neuroact.ann.data.load_dataset`).
    model : a ready network (e.g. pre-trained; set ``config.pretrain``); default: built from
        ``config`` with ``seed``.
    checkpoint : file to save after every epoch; if it exists, training resumes from it
        (its config must match ``config`` except for device and threads). A damaged file is
        moved aside and training resumes from the previous one or from scratch
        (:mod:`neuroact.ann.checkpoints`).
    progress : tqdm bar over epochs (silent when not a terminal).
    on_epoch_end : called as ``on_epoch_end(epoch, model, history)`` after each epoch's
        checkpoint is written (an exception there interrupts the run; the checkpoint is kept).
    pause_after : stop after this epoch without finishing (no final test, weights as they
        are); with ``checkpoint``, a later call continues where this one paused. For searches
        that continue only the most promising runs (successive halving).

    Raises
    ------
    TrainingDiverged
        the loss became non-finite or blew up (module docstring); ``.result`` holds the epochs
        so far.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    config.validate()
    if data is None and config.dataset == CUSTOM_DATASET:
        raise ValueError(f"dataset={CUSTOM_DATASET!r} needs the tensors: pass data=Data(...)")
    device = torch.device(config.device)
    if data is None:
        data = load_data(config.dataset, data_dir, config.train_size, flatten=config.model == "mlp")
    data = data.to(device)
    if model is None:
        in_features = int(np.prod(data.train_x.shape[1:]))
        n_classes = int(max(data.train_y.max(), data.val_y.max(), data.test_y.max())) + 1
        model = build_model(
            config.model,
            widths=config.widths,
            in_features=in_features,
            n_classes=n_classes,
            activation=config.activation,
            activation_params=config.activation_params,
            init=config.init,
            seed=config.seed,
            init_scale=config.init_scale,
        )
    model.to(device)
    _check_data(data, model)
    ckpt_path = Path(checkpoint) if checkpoint is not None else None

    with torch_settings(config.threads, config.deterministic):
        loop = TrainingLoop(config, data, model, ckpt_path)
        return loop.run(progress, on_epoch_end, pause_after)
