"""Figures of the artificial side, drawn from the ``history.csv`` table of ``train_networks``.

Each function takes the tidy table (one row per network x epoch x layer) and a path, and
returns the written paths. Networks are labelled ``activation`` (plus ``L1=...`` when used);
colours follow :data:`neuroact.figures.PALETTE`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from neuroact.figures import PALETTE, draw_band, figure, save
from neuroact.literature import ATTWELL_LAUGHLIN_2001, GLOROT_2011_SPARSITY, LENNIE_2003


def _label(row) -> str:
    label = str(row["activation"])
    if float(row.get("l1", 0.0)) > 0:
        label += f", L1={float(row['l1']):g}"
    if "init" in row and row["init"] != "xavier":
        label += f", {row['init']}"
    return label


def _networks(history: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """``(label, colour, rows)`` per network (``job`` column, else identity columns)."""
    key = "job" if "job" in history else ["activation", "l1", "init", "seed"]
    out = []
    for _, rows in history.groupby(key, sort=False):
        first = rows.iloc[0]
        colour = PALETTE.get(str(first["activation"]), None)
        out.append((_label(first), colour, rows))
    return out


def _style(rows: pd.DataFrame) -> dict:
    return {"ls": "--" if float(rows["l1"].iloc[0]) > 0 else "-"}


def training_curves(history: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Train and test error (percent, log scale) and training loss against epoch."""
    fig, axes = figure(1, 2, figsize=(10, 4))
    for label, colour, rows in _networks(history):
        ep = rows.drop_duplicates("epoch").sort_values("epoch")
        ep = ep[ep.epoch > 0]
        style = _style(rows)
        axes[0].plot(ep.epoch, 100 * ep.test_error, color=colour, label=f"{label} (test)", **style)
        axes[0].plot(ep.epoch, 100 * ep.train_error, color=colour, alpha=0.4, lw=1, **style)
        axes[1].plot(ep.epoch, ep.train_loss, color=colour, label=label, **style)
    axes[0].set(
        xlabel="epoch",
        ylabel="error (%)",
        yscale="log",
        title="test error (bold) and running train error (faint)",
    )
    axes[1].set(
        xlabel="epoch",
        ylabel="training objective (cross-entropy + L1)",
        yscale="log",
        title="training loss",
    )
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{history['dataset'].iloc[0]}, hidden widths {history['widths'].iloc[0]}")
    return save(fig, path)


def layer_sparsity(history: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Per hidden layer at the final epoch: output-view zeros (with Glorot et al. 2011's band),
    input-view fraction active (with the cortical bands) and lifetime sparseness."""
    hidden = history[history.layer_kind == "hidden"]
    fig, axes = figure(1, 3, figsize=(13, 4))
    for label, colour, rows in _networks(hidden):
        last = rows[rows.epoch == rows.epoch.max()].sort_values("layer")
        style = _style(rows) | {"marker": "o", "color": colour, "label": label}
        axes[0].plot(last.layer, 100 * last.frac_zero, **style)
        axes[1].plot(last.layer, 100 * last.frac_active_input, **style)
        axes[2].plot(last.layer, last.lifetime_sparseness, **style)
    draw_band(axes[0], GLOROT_2011_SPARSITY, scale=100, color="tab:red")
    draw_band(axes[1], ATTWELL_LAUGHLIN_2001, scale=100, color="0.5")
    draw_band(axes[1], LENNIE_2003, scale=100, color="tab:blue")
    eps = hidden.loc[hidden.frac_zero_eps > 0, "frac_zero_eps"]
    note = f"exact zeros; smooth units |a| <= {eps.iloc[0]:g} x P99" if len(eps) else "exact zeros"
    axes[0].set(
        xlabel="hidden layer",
        ylabel="inactive outputs (%)",
        ylim=(0, 100),
        title=f"output view ({note})",
    )
    axes[1].set(
        xlabel="hidden layer",
        ylabel="units with pre-activation > 0 (%)",
        ylim=(0, 100),
        title="input view: fraction active",
    )
    axes[2].set(
        xlabel="hidden layer",
        ylabel="lifetime sparseness S (0 dense, 1 one-hot)",
        ylim=(0, 1),
        title="lifetime sparseness (Treves-Rolls, |a|)",
    )
    layers = np.sort(hidden.layer.unique())
    for ax in axes:
        ax.set_xticks(layers)
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"final epoch, {history['dataset'].iloc[0]}")
    return save(fig, path)


def gradient_norms(history: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Mean ``||dL/dW||`` per weight layer: in the first trained epoch and the last."""
    fig, axes = figure(1, 2, figsize=(10, 4), sharey=True)
    for label, colour, rows in _networks(history):
        rows = rows[rows.epoch > 0]
        for ax, epoch in zip(axes, (rows.epoch.min(), rows.epoch.max()), strict=True):
            sel = rows[rows.epoch == epoch].sort_values("layer")
            ax.plot(
                sel.layer,
                sel.grad_norm,
                marker="o",
                color=colour,
                label=f"{label} (epoch {int(epoch)})",
                **_style(rows),
            )
    axes[0].set_title("first epoch")
    axes[1].set_title("last epoch")
    n = int(history.layer.max())
    for ax in axes:
        ax.set(xlabel="weight layer (last = read-out)", yscale="log")
        ax.set_xticks(range(1, n + 1))
    axes[0].set_ylabel("mean gradient norm ||dL/dW||_2 per step")
    axes[1].legend(fontsize=7)
    return save(fig, path)
