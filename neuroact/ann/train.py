"""Training: one readable loop, with probes, an L1 activation penalty, checkpoints and resume.

The objective (per mini-batch of B examples, hidden layers l = 1..L with activations a_l)::

    loss = mean_b CE(logits_b, y_b) + l1 * sum_l (1/B) sum_b sum_j |a_l,bj|

i.e. the L1 penalty is the L1 norm of *all* hidden activations of one example (summed over
units and layers), averaged over the batch, times ``l1``. This is the activation penalty of
Glorot, Bordes & Bengio 2011 (they used ``l1 = 0.001``); it does not depend on the batch size
but it does grow with the number of hidden units.

Errors are stored as fractions (0.0143 = 1.43 %). Per epoch (epoch 0 = before training) the
history holds train/val/test error and loss, learning rate and wall times; the probes add one row
per layer (see :mod:`neuroact.ann.probes`). ``train_error`` and ``train_loss`` are running
averages over the epoch's mini-batches (the weights change during the epoch); with
``train_eval_size > 0`` the history also holds ``train_eval_error`` and ``train_eval_loss``, the
error of the end-of-epoch weights on the first ``train_eval_size`` training examples (what a
time-to-target measure needs: the running error lags the weights by about half an epoch).

Reproducibility: the weights are initialised from ``seed``; mini-batches are drawn from a
``torch.Generator`` seeded with ``seed + 1``. A checkpoint (written atomically after every epoch)
holds the weights, the optimiser and scheduler state, the generator state and the history, so
an interrupted run resumed from it ends with bit-identical weights to an uninterrupted one
(same machine, same thread count).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuroact.ann.activations import get_spec
from neuroact.ann.data import load_dataset
from neuroact.ann.models import MODELS, Network, build_model, check_init
from neuroact.ann.probes import Probes
from neuroact.results import atomic_path

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
# Fields that may differ between an interrupted run and its resumption.
_RESUME_FREE = ("device", "threads")


@dataclass
class TrainConfig:
    """Everything that defines one training run (recorded in checkpoints and run folders).

    Attributes
    ----------
    dataset : ``"mnist"``, ``"fashion-mnist"`` or ``"mnist-subset"`` (embedded).
    model : ``"mlp"`` or ``"cnn"``.
    widths : hidden widths of the MLP (for the CNN: channels1, channels2, fc_width).
    activation, activation_params : a registered activation family and its parameters.
    init : ``"xavier"``, ``"he"`` or ``"torch"`` (PyTorch default).
    optimizer : ``"sgd"`` (with ``momentum``) or ``"adam"``.
    lr, momentum, weight_decay : optimiser settings (weight decay is PyTorch's L2 term).
    lr_schedule : ``"constant"`` or ``"cosine"`` (annealed to 0 over ``epochs``, per epoch).
    batch_size, epochs : mini-batch size and number of passes over the training split.
    l1 : activation penalty weight (see module docstring; Glorot et al. 2011 used 0.001).
    train_size : use only the first ``train_size`` training examples (None = all).
    eval_size : examples of the validation split used by the end-of-epoch probes.
    train_eval_size : evaluate the end-of-epoch weights on the first ``train_eval_size`` training
        examples (``train_eval_error``/``train_eval_loss``; 0 = not recorded).
    probes : record sparsity and gradient probes (False = a bare loop).
    probe_eps, probe_percentile : output view of smooth units (``|a| <= eps * P(|a|)``).
    probe_every : training-time probe statistics on every ``probe_every``-th mini-batch.
    seed : seeds the init (``seed``) and the mini-batch order (``seed + 1``).
    deterministic : ``torch.use_deterministic_algorithms`` during training (restored after).
    device : ``"cpu"``, ``"cuda"``, ...
    threads : torch threads during training (None = leave as is; restored after).
    pretrain : recorded label of any pre-training applied to the model passed to :func:`train`
        (``"none"`` here; pre-training itself lives in ``neuroact.ann.pretrain``).
    """

    dataset: str = "mnist"
    model: str = "mlp"
    widths: tuple[int, ...] = (1000, 1000, 1000)
    activation: str = "relu"
    activation_params: dict = field(default_factory=dict)
    init: str = "xavier"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    batch_size: int = 100
    epochs: int = 20
    l1: float = 0.0
    train_size: int | None = None
    eval_size: int = 2000
    train_eval_size: int = 0
    probes: bool = True
    probe_eps: float = 0.01
    probe_percentile: float = 99.0
    probe_every: int = 10
    seed: int = 0
    deterministic: bool = True
    device: str = "cpu"
    threads: int | None = None
    pretrain: str = "none"

    def __post_init__(self) -> None:
        self.widths = tuple(self.widths) if not isinstance(self.widths, int) else self.widths
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field with an impossible value."""
        get_spec(self.activation)
        self.init = check_init(self.init)

        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                raise ValueError(f"{name} must be {expected}; got {getattr(self, name)!r}")

        def pos_int(v) -> bool:
            return isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1

        need(self.model in MODELS, "model", f"one of {list(MODELS)}")
        need(
            not isinstance(self.widths, int)
            and len(self.widths) > 0
            and all(pos_int(w) for w in self.widths),
            "widths",
            "a non-empty sequence of positive integers",
        )
        need(self.optimizer in OPTIMIZERS, "optimizer", f"one of {list(OPTIMIZERS)}")
        need(self.lr_schedule in SCHEDULES, "lr_schedule", f"one of {list(SCHEDULES)}")
        need(math.isfinite(self.lr) and self.lr > 0, "lr", "a finite number > 0")
        need(0 <= self.momentum < 1, "momentum", "in [0, 1)")
        need(math.isfinite(self.weight_decay) and self.weight_decay >= 0, "weight_decay", ">= 0")
        need(math.isfinite(self.l1) and self.l1 >= 0, "l1", "a finite number >= 0")
        need(pos_int(self.batch_size), "batch_size", "a positive integer")
        need(pos_int(self.epochs), "epochs", "a positive integer")
        need(self.train_size is None or pos_int(self.train_size), "train_size", "None or >= 1")
        need(pos_int(self.eval_size), "eval_size", "a positive integer")
        need(
            isinstance(self.train_eval_size, int | np.integer)
            and not isinstance(self.train_eval_size, bool)
            and self.train_eval_size >= 0,
            "train_eval_size",
            "an integer >= 0",
        )
        need(pos_int(self.probe_every), "probe_every", "a positive integer")
        need(self.threads is None or pos_int(self.threads), "threads", "None or >= 1")
        need(isinstance(self.activation_params, dict), "activation_params", "a dict")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["widths"] = list(self.widths)
        return d


@dataclass
class Data:
    """Tensors of the three splits (inputs as float32 in [0, 1], labels int64)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    name: str = "custom"

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


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint (if any) is left untouched.

    ``result`` holds the :class:`TrainResult` of the epochs completed before the divergence, so
    a sweep (a learning-rate search) can record a diverged run as a result.
    """

    result: TrainResult | None = None


@dataclass
class TrainResult:
    """A trained model, its config, per-epoch ``history`` and per-layer ``layers`` tables."""

    model: Network
    config: TrainConfig
    history: pd.DataFrame
    layers: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per epoch x layer (the layer table joined with the epoch columns), with the
        run's identifying config fields (:data:`IDENTITY`) in front."""
        frame = (
            self.history.copy()
            if self.layers.empty
            else self.layers.merge(self.history, on="epoch", how="left")
        )
        ident = identity(self.config)
        for i, (k, v) in enumerate(ident.items()):
            frame.insert(i, k, v)
        return frame

    def summary(self) -> dict:
        """One row describing the run at its final epoch (see :func:`summary_from_frame`)."""
        return summary_from_frame(self.to_frame())


# Config fields that identify a trained network in tables.
IDENTITY = (
    "dataset",
    "model",
    "widths",
    "activation",
    "init",
    "optimizer",
    "lr",
    "batch_size",
    "l1",
    "pretrain",
    "seed",
)
SUMMARY_SPARSITY = (
    "frac_zero",
    "frac_active_input",
    "dead_frac",
    "population_sparseness",
    "lifetime_sparseness",
    "saturation_frac",
    "frac_zero_eps",
)


def identity(config: TrainConfig) -> dict:
    """The :data:`IDENTITY` fields of ``config`` (widths as ``"1000-1000-1000"``)."""
    d = {k: getattr(config, k) for k in IDENTITY}
    d["widths"] = "-".join(str(w) for w in config.widths)
    return d


def summary_from_frame(frame: pd.DataFrame) -> dict:
    """Summarise one network's ``TrainResult.to_frame()`` table in one row.

    Errors at the final epoch (``test_error``, ``val_error``, ``train_error``) and, for model
    selection as in Glorot et al. 2011, ``test_error_at_best_val`` (epoch of lowest validation
    error, ``best_val_epoch``); ``epochs`` = last epoch; ``train_seconds`` = time in the training
    steps summed over epochs; the sparsity columns (:data:`SUMMARY_SPARSITY`) are means over the
    hidden layers at the final epoch (``nan`` without probes).
    """
    hist = frame.drop_duplicates("epoch").sort_values("epoch")
    last = hist.iloc[-1]
    trained = hist[hist.epoch > 0]
    best = trained.loc[trained.val_error.idxmin()] if len(trained) else last
    row = {
        k: last[k].item() if hasattr(last[k], "item") else last[k] for k in IDENTITY if k in frame
    }
    row.update(
        {
            "epochs": int(last.epoch),
            "test_error": float(last.test_error),
            "val_error": float(last.val_error),
            "train_error": float(last.train_error),
            "best_val_epoch": int(best.epoch),
            "test_error_at_best_val": float(best.test_error),
            "train_seconds": float(trained.train_seconds.sum()),
        }
    )
    if "layer_kind" in frame and "frac_zero" in frame:
        hidden = frame[(frame.layer_kind == "hidden") & (frame.epoch == last.epoch)]
        row.update({k: float(hidden[k].mean()) for k in SUMMARY_SPARSITY})
    else:
        row.update({k: math.nan for k in SUMMARY_SPARSITY})
    return row


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


def make_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def l1_activation_penalty(hidden: list[torch.Tensor]) -> torch.Tensor:
    """``sum_l (1/B) sum_b sum_j |a_l,bj|``: per-example L1 norm of all hidden activations,
    averaged over the batch (multiply by ``l1``)."""
    batch = hidden[0].shape[0]
    return sum(h.abs().sum() for h in hidden) / batch


@torch.no_grad()
def evaluate(
    model: Network, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000
) -> tuple[float, float]:
    """``(error, mean cross-entropy)`` of ``model`` on ``(x, y)`` in eval mode."""
    was_training = model.training
    model.eval()
    wrong, loss = 0, 0.0
    try:
        for s in range(0, x.shape[0], batch_size):
            logits = model(x[s : s + batch_size])
            yb = y[s : s + batch_size]
            wrong += int((logits.argmax(1) != yb).sum())
            loss += float(F.cross_entropy(logits, yb, reduction="sum"))
    finally:
        model.train(was_training)
    n = x.shape[0]
    return wrong / n, loss / n


def _check_data(data: Data, model: Network) -> None:
    for split in ("train", "val", "test"):
        x, y = getattr(data, f"{split}_x"), getattr(data, f"{split}_y")
        if x.shape[0] == 0 or x.shape[0] != y.shape[0]:
            raise ValueError(
                f"data.{split}_x has {x.shape[0]} examples and data.{split}_y {y.shape[0]}; "
                "expected the same positive number"
            )


def _save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """The dict saved by :func:`train` (keys: epoch, config, model, optimizer, scheduler,
    generator, history, layers)."""
    return torch.load(Path(path), map_location="cpu", weights_only=False)


def train(
    config: TrainConfig,
    *,
    data: Data | None = None,
    data_dir: str | os.PathLike | None = None,
    model: Network | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int, Network, pd.DataFrame], None] | None = None,
) -> TrainResult:
    """Train one network as ``config`` says; return the model and its history.

    Parameters
    ----------
    config : the run's settings.
    data : tensors of the splits (default: ``load_data(config.dataset, data_dir, train_size)``).
    data_dir : folder of the data sets (see :func:`neuroact.ann.data.load_dataset`).
    model : a ready network (e.g. pre-trained; set ``config.pretrain``); default: built from
        ``config`` with ``seed``.
    checkpoint : file to save after every epoch; if it exists, training resumes from it
        (its config must match ``config`` except for device and threads).
    progress : tqdm bar over epochs (silent when not a terminal).
    on_epoch_end : called as ``on_epoch_end(epoch, model, history)`` after each epoch's
        checkpoint is written (an exception there interrupts the run; the checkpoint is kept).
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    config.validate()
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
        )
    model.to(device)
    _check_data(data, model)
    ckpt_path = Path(checkpoint) if checkpoint is not None else None

    with torch_settings(config.threads, config.deterministic):
        return _train(config, data, model, ckpt_path, progress, on_epoch_end)


def _train(config, data, model, ckpt_path, progress, on_epoch_end) -> TrainResult:
    optimizer = make_optimizer(config, model.parameters())
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
        if config.lr_schedule == "cosine"
        else None
    )
    generator = torch.Generator().manual_seed(config.seed + 1)
    eval_x = data.val_x[: config.eval_size]
    probes = Probes(
        model, eval_x, config.probe_eps, config.probe_percentile, config.probes, config.probe_every
    )
    history: list[dict] = []
    layers: list[dict] = []
    start_epoch = 0

    if ckpt_path is not None and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path)
        mine, theirs = config.to_dict(), dict(state["config"])
        # a field added since the checkpoint was written counts as its default there
        defaults = TrainConfig(dataset=config.dataset).to_dict()
        diff = sorted(
            k for k in mine if k not in _RESUME_FREE and mine[k] != theirs.get(k, defaults[k])
        )
        if diff:
            raise ValueError(
                f"checkpoint {ckpt_path} was written with a different config (fields {diff}); "
                "use another checkpoint path or the same config"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        history, layers, start_epoch = state["history"], state["layers"], state["epoch"]

    def save(epoch: int) -> None:
        if ckpt_path is None:
            return
        _save_checkpoint(
            ckpt_path,
            {
                "epoch": epoch,
                "config": config.to_dict(),
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "generator": generator.get_state(),
                "history": history,
                "layers": layers,
            },
        )

    def record(epoch: int, train_stats: dict, train_seconds: float, t0: float) -> None:
        val_error, val_loss = evaluate(model, data.val_x, data.val_y)
        test_error, test_loss = evaluate(model, data.test_x, data.test_y)
        if config.train_eval_size:
            k = config.train_eval_size
            err, loss = evaluate(model, data.train_x[:k], data.train_y[:k])
            train_stats = {**train_stats, "train_eval_error": err, "train_eval_loss": loss}
        layers.extend(probes.epoch_rows(epoch))
        history.append(
            {
                "epoch": epoch,
                **train_stats,
                "val_error": val_error,
                "val_loss": val_loss,
                "test_error": test_error,
                "test_loss": test_loss,
                "lr_epoch": optimizer.param_groups[0]["lr"],
                "train_seconds": train_seconds,
                "epoch_seconds": time.perf_counter() - t0,
            }
        )

    n = data.train_x.shape[0]
    bs = config.batch_size
    with probes:
        # epoch 0: the untrained network (errors, activity at init); a checkpoint saved right
        # after it already holds that row
        if start_epoch == 0 and not history:
            t0 = time.perf_counter()
            record(
                0,
                {"train_error": math.nan, "train_loss": math.nan, "train_penalty": math.nan},
                0.0,
                t0,
            )
            save(0)
        bar = tqdm(
            range(start_epoch + 1, config.epochs + 1),
            initial=start_epoch,
            total=config.epochs,
            desc=f"{config.activation} l1={config.l1:g}",
            disable=None if progress else True,
            leave=False,
        )
        model.train()
        for epoch in bar:
            t0 = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            perm = torch.randperm(n, generator=generator).to(data.train_x.device)
            loss_sum = torch.zeros((), dtype=torch.float64, device=data.train_x.device)
            pen_sum = torch.zeros_like(loss_sum)
            wrong = torch.zeros((), dtype=torch.int64, device=data.train_x.device)
            for step, s in enumerate(range(0, n, bs)):
                idx = perm[s : s + bs]
                xb, yb = data.train_x[idx], data.train_y[idx]
                logits, hidden = model(xb, return_hidden=True)
                loss = F.cross_entropy(logits, yb)
                penalty = l1_activation_penalty(hidden) if config.l1 > 0 else torch.zeros(())
                total = loss + config.l1 * penalty
                if not torch.isfinite(total):
                    kept = (
                        f"the last good checkpoint (epoch {epoch - 1}) is kept at {ckpt_path}"
                        if ckpt_path is not None and ckpt_path.is_file()
                        else "no checkpoint was written (pass checkpoint= to keep one)"
                    )
                    err = TrainingDiverged(
                        f"training diverged: the loss became {float(total.detach())} "
                        f"at epoch {epoch}, "
                        f"step {step} (activation={config.activation!r}, lr={lr:g}, "
                        f"l1={config.l1:g}); {kept}. Lower lr or check the inputs."
                    )
                    err.result = TrainResult(
                        model, config, pd.DataFrame(history), pd.DataFrame(layers)
                    )
                    raise err
                optimizer.zero_grad(set_to_none=True)
                total.backward()
                probes.after_backward()
                optimizer.step()
                # running sums stay tensors: no per-step synchronisation on an accelerator
                loss_sum += total.detach() * len(idx)
                pen_sum += penalty.detach() * len(idx)
                wrong += (logits.detach().argmax(1) != yb).sum()
            train_seconds = time.perf_counter() - t0
            if scheduler is not None:
                scheduler.step()
            stats = {
                "train_error": float(wrong) / n,
                "train_loss": float(loss_sum) / n,
                "train_penalty": float(pen_sum) / n,
            }
            record(epoch, stats, train_seconds, t0)
            history[-1]["lr_epoch"] = lr  # the rate used during this epoch
            save(epoch)
            last = history[-1]
            bar.set_postfix(val_err=f"{last['val_error']:.4f}", loss=f"{last['train_loss']:.3f}")
            if on_epoch_end is not None:
                on_epoch_end(epoch, model, pd.DataFrame(history))
        bar.close()

    return TrainResult(model, config, pd.DataFrame(history), pd.DataFrame(layers))
