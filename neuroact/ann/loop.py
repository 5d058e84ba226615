"""The training loop behind :func:`neuroact.ann.train.train`: one epoch of mini-batches, the
lean end-of-epoch evaluation, early stopping, checkpoints and divergence checks.

The definitions (history columns, the L1 penalty, early stopping, divergence) are documented in
:mod:`neuroact.ann.train`, where users import these names from.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuroact.ann.checkpoints import resume_state, save_checkpoint
from neuroact.ann.config import TrainConfig
from neuroact.ann.models import Network
from neuroact.ann.probes import Probes
from neuroact.ann.result import TrainingDiverged, TrainResult

if TYPE_CHECKING:  # the tensors' container lives with train(), which imports this module
    from neuroact.ann.train import Data

# An epoch whose mean training cross-entropy is this many times the untrained network's (at
# least ln K) has diverged: see the module docstring.
DIVERGED_LOSS_FACTOR = 100.0
# Fields that may differ between an interrupted run and its resumption.
_RESUME_FREE = ("device", "threads")


def make_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    """Momentum SGD or Adam over ``params`` with ``config``'s rate and weight decay."""
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


def check_resumable(config: TrainConfig, saved: dict, path: str | os.PathLike) -> None:
    """Raise ``ValueError`` naming the fields in which ``config`` differs from the ``saved``
    checkpoint config (device and threads may differ; a field added since the checkpoint was
    written counts as its default there)."""
    mine = config.to_dict()
    defaults = TrainConfig(dataset=config.dataset).to_dict()
    diff = sorted(k for k in mine if k not in _RESUME_FREE and mine[k] != saved.get(k, defaults[k]))
    if diff:
        raise ValueError(
            f"checkpoint {path} was written with a different config (fields {diff}); "
            "use another checkpoint path or the same config"
        )


class TrainingLoop:
    """The state of one training run: model, optimiser, schedule, batch order and history
    (:func:`neuroact.ann.train.train` builds one and calls :meth:`run`)."""

    def __init__(self, config: TrainConfig, data: Data, model: Network, ckpt_path: Path | None):
        self.config, self.data, self.model, self.ckpt_path = config, data, model, ckpt_path
        self.optimizer = make_optimizer(config, model.parameters())
        self.scheduler = (
            torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=config.epochs)
            if config.lr_schedule == "cosine"
            else None
        )
        self.generator = torch.Generator().manual_seed(config.seed + 1)
        self.probes = Probes(
            model,
            data.val_x[: config.eval_size],
            config.probe_eps,
            config.probe_percentile,
            config.probes,
            config.probe_every,
        )
        self.val_x, self.val_y = data.val_x[: config.val_size], data.val_y[: config.val_size]
        self.history: list[dict] = []
        self.layers: list[dict] = []
        self.epoch = 0
        # early stopping: the best validation error so far, its epoch and weights
        self.best: dict = {"epoch": 0, "val_error": math.inf, "model": None}
        state = resume_state(ckpt_path) if ckpt_path is not None else None
        if state is not None:
            self.restore(state)

    def restore(self, state: dict) -> None:
        check_resumable(self.config, dict(state["config"]), self.ckpt_path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        self.history, self.layers, self.epoch = state["history"], state["layers"], state["epoch"]
        self.best = state.get("best", self.best)

    def save(self) -> None:
        if self.ckpt_path is None:
            return
        save_checkpoint(
            self.ckpt_path,
            {
                "epoch": self.epoch,
                "config": self.config.to_dict(),
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                "generator": self.generator.get_state(),
                "history": self.history,
                "layers": self.layers,
                "best": self.best,
            },
        )

    def result(self) -> TrainResult:
        return TrainResult(
            self.model, self.config, pd.DataFrame(self.history), pd.DataFrame(self.layers)
        )

    def record(self, train_stats: dict, lr: float, train_seconds: float, t0: float) -> None:
        """Evaluate the end-of-epoch weights (validation subset, training subset, probes, and
        the full test set every ``test_every`` epochs); append the epoch's history and layer
        rows and remember the best validation error for early stopping."""
        model, data, config = self.model, self.data, self.config
        start = time.perf_counter()
        val_error, val_loss = evaluate(model, self.val_x, self.val_y)
        test_error, test_loss = math.nan, math.nan
        # the untrained network (epoch 0) is tested too: activity and error at initialisation
        if self.epoch == 0 or (config.test_every and self.epoch % config.test_every == 0):
            test_error, test_loss = evaluate(model, data.test_x, data.test_y)
        if config.train_eval_size:
            k = config.train_eval_size
            err, loss = evaluate(model, data.train_x[:k], data.train_y[:k])
            train_stats = {**train_stats, "train_eval_error": err, "train_eval_loss": loss}
        self.layers.extend(self.probes.epoch_rows(self.epoch))
        now = time.perf_counter()
        self.history.append(
            {
                "epoch": self.epoch,
                **train_stats,
                "val_error": val_error,
                "val_loss": val_loss,
                "test_error": test_error,
                "test_loss": test_loss,
                "selected": False,
                "lr_epoch": lr,
                "train_seconds": train_seconds,
                "eval_seconds": now - start,
                "epoch_seconds": now - t0,
            }
        )
        if config.patience and self.epoch > 0 and val_error < self.best["val_error"]:
            weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.best = {"epoch": self.epoch, "val_error": val_error, "model": weights}

    def stopped_early(self) -> bool:
        """Has the validation error not improved for ``patience`` epochs?"""
        patience = self.config.patience
        return bool(patience) and self.epoch - self.best["epoch"] >= patience

    def finish(self) -> None:
        """End with the selected weights (the best-validation epoch's under early stopping, else
        the last epoch's) and test them on the full test set, in that epoch's row."""
        chosen = self.epoch
        if self.config.patience and self.best["model"] is not None:
            self.model.load_state_dict(self.best["model"])
            chosen = self.best["epoch"]
        row = next(r for r in self.history if r["epoch"] == chosen)
        if not math.isfinite(row["test_error"]):
            row["test_error"], row["test_loss"] = evaluate(
                self.model, self.data.test_x, self.data.test_y
            )
        if self.val_x.shape[0] < self.data.val_x.shape[0]:  # per epoch only a subset
            row["val_error_full"], row["val_loss_full"] = evaluate(
                self.model, self.data.val_x, self.data.val_y
            )
        for r in self.history:
            r["selected"] = r is row

    def diverged(self, what: str, lr: float) -> TrainingDiverged:
        """The error to raise, naming ``what`` happened, with the result so far attached."""
        config, path = self.config, self.ckpt_path
        kept = (
            f"the last good checkpoint (epoch {self.epoch - 1}) is kept at {path}"
            if path is not None and path.is_file()
            else "no checkpoint was written (pass checkpoint= to keep one)"
        )
        err = TrainingDiverged(
            f"training diverged: {what} (activation={config.activation!r}, lr={lr:g}, "
            f"l1={config.l1:g}); {kept}. Lower lr or check the inputs."
        )
        err.result = self.result()
        return err

    def blown_up(self) -> str | None:
        """Why the epoch just recorded counts as diverged (module docstring), else None."""
        row = self.history[-1]
        cross_entropy = row["train_loss"] - self.config.l1 * row["train_penalty"]
        reference = max(math.log(self.model.readout.out_features), self.history[0]["val_loss"])
        if cross_entropy > DIVERGED_LOSS_FACTOR * reference:
            return (
                f"the mean training loss of epoch {self.epoch} was {cross_entropy:.3g}, over "
                f"{DIVERGED_LOSS_FACTOR:g} x the untrained network's {reference:.3g}"
            )
        return None

    def run_epoch(self, lr: float) -> dict:
        """One pass over the training split in mini-batches; the epoch's running statistics."""
        data, config, model, optimizer = self.data, self.config, self.model, self.optimizer
        n, bs, device = data.train_x.shape[0], config.batch_size, data.train_x.device
        perm = torch.randperm(n, generator=self.generator).to(device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        pen_sum = torch.zeros_like(loss_sum)
        wrong = torch.zeros((), dtype=torch.int64, device=device)
        for step, s in enumerate(range(0, n, bs)):
            idx = perm[s : s + bs]
            xb, yb = data.train_x[idx], data.train_y[idx]
            logits, hidden = model(xb, return_hidden=True)
            loss = F.cross_entropy(logits, yb)
            penalty = l1_activation_penalty(hidden) if config.l1 > 0 else torch.zeros(())
            total = loss + config.l1 * penalty
            if not torch.isfinite(total):
                what = f"the loss became {float(total.detach())} at epoch {self.epoch}, step {step}"
                raise self.diverged(what, lr)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            self.probes.after_backward()
            optimizer.step()
            # running sums stay tensors: no per-step synchronisation on an accelerator
            loss_sum += total.detach() * len(idx)
            pen_sum += penalty.detach() * len(idx)
            wrong += (logits.detach().argmax(1) != yb).sum()
        return {
            "train_error": float(wrong) / n,
            "train_loss": float(loss_sum) / n,
            "train_penalty": float(pen_sum) / n,
        }

    def run(
        self, progress: bool, on_epoch_end: Callable | None, pause_after: int | None = None
    ) -> TrainResult:
        config = self.config
        with self.probes:
            # epoch 0: the untrained network (errors, activity at init); a checkpoint saved right
            # after it already holds that row
            if self.epoch == 0 and not self.history:
                untrained = {"train_error": math.nan, "train_loss": math.nan}
                untrained["train_penalty"] = math.nan
                untrained["train_cpu_seconds"] = 0.0
                lr = self.optimizer.param_groups[0]["lr"]
                self.record(untrained, lr, 0.0, time.perf_counter())
                self.save()
            bar = tqdm(
                range(self.epoch + 1, config.epochs + 1),
                initial=self.epoch,
                total=config.epochs,
                desc=f"{config.activation} l1={config.l1:g}",
                disable=None if progress else True,
                leave=False,
            )
            self.model.train()
            paused = pause_after is not None and self.epoch >= pause_after
            for epoch in bar:
                if paused or self.stopped_early():
                    break
                self.epoch = epoch
                t0, cpu0 = time.perf_counter(), time.process_time()
                lr = self.optimizer.param_groups[0]["lr"]  # the rate used during this epoch
                stats = self.run_epoch(lr)
                train_seconds = time.perf_counter() - t0
                # CPU seconds of this process: the step cost even on a shared machine
                stats["train_cpu_seconds"] = time.process_time() - cpu0
                if self.scheduler is not None:
                    self.scheduler.step()
                self.record(stats, lr, train_seconds, t0)
                why = self.blown_up()
                if why is not None:
                    raise self.diverged(why, lr)
                self.save()
                last = self.history[-1]
                bar.set_postfix(
                    val_err=f"{last['val_error']:.4f}", loss=f"{last['train_loss']:.3f}"
                )
                if on_epoch_end is not None:
                    on_epoch_end(epoch, self.model, pd.DataFrame(self.history))
                paused = pause_after is not None and epoch >= pause_after
            bar.close()
        if not paused:
            self.finish()
        return self.result()
