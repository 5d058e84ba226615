"""What training returns: the model, its per-epoch and per-layer tables, and their summary.

Errors are fractions (0.0143 = 1.43 %). :meth:`TrainResult.to_frame` is the tidy table every
ANN experiment writes (one row per epoch x layer, the network's :data:`IDENTITY` in front) and
:func:`summary_from_frame` turns it into one row per network.

See Also
--------
neuroact.ann.train.train : produces a :class:`TrainResult`.
neuroact.ann.probes : the per-layer columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from neuroact.ann.config import TrainConfig
from neuroact.ann.models import Network


class TrainingDiverged(FloatingPointError):
    """Training diverged: the loss became non-finite or blew up far above chance (criterion in
    :mod:`neuroact.ann.train`); the last good checkpoint (if any) is left untouched.

    ``result`` holds the :class:`TrainResult` of the epochs so far (for a blow-up, including the
    epoch that showed it), so a sweep (a learning-rate search) can record a diverged run as a
    result.
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
        run's identifying config fields (:data:`IDENTITY`) in front.

        No per-epoch or per-layer column shares a name with an identity field (the rate used in
        each epoch is ``lr_epoch``, the configured one ``lr``), so the join never clashes.
        """
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
    "init_scale",
    "optimizer",
    "lr",
    "lr_schedule",
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


def _full_validation(row: pd.Series) -> float:
    """The full validation set's error of a history row where it was measured (the final
    epoch of a run that validated on a subset per epoch), else the row's ``val_error``."""
    full = row.get("val_error_full", math.nan)
    return full if pd.notna(full) else row["val_error"]


def summary_from_frame(frame: pd.DataFrame) -> dict:
    """Summarise one network's ``TrainResult.to_frame()`` table in one row.

    Errors of the final weights (``test_error``, ``val_error`` on the full validation set,
    ``train_error``): those of the epoch the history marks ``selected`` (the best-validation
    epoch under early stopping), else of the last epoch; ``final_epoch`` is that epoch. For
    model selection as in Glorot et al. 2011, ``test_error_at_best_val`` (epoch of lowest
    validation error, ``best_val_epoch``; NaN where the test set was not evaluated at that
    epoch); ``epochs`` = last epoch trained; ``train_seconds`` = time in the training steps
    summed over epochs; the sparsity columns (:data:`SUMMARY_SPARSITY`) are means over the
    hidden layers at the final epoch (``nan`` without probes).
    """
    hist = frame.drop_duplicates("epoch").sort_values("epoch")
    last = hist.iloc[-1]
    if "selected" in hist and hist["selected"].fillna(False).astype(bool).any():
        last = hist[hist["selected"].fillna(False).astype(bool)].iloc[-1]
    trained = hist[hist.epoch > 0]
    best = trained.loc[trained.val_error.idxmin()] if len(trained) else last
    row = {
        k: last[k].item() if hasattr(last[k], "item") else last[k] for k in IDENTITY if k in frame
    }
    row.update(
        {
            "epochs": int(hist.epoch.iloc[-1]),
            "final_epoch": int(last.epoch),
            "test_error": float(last.test_error),
            "val_error": float(_full_validation(last)),
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
