"""Figures of the artificial side, drawn from the ``history.csv`` table of ``train_networks``.

The table has one row per network x epoch x layer (see :mod:`neuroact.experiments.
train_networks`). A network is one ``activation`` x ``l1`` x ``init`` (x ``seed``): its colour
follows the unit (:data:`neuroact.figures.PALETTE`) and each L1 penalty or init of the same unit
gets its own marker and dash pattern, so that no two networks are drawn alike. One legend per
figure, outside the panels.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, FigureBase
from matplotlib.ticker import MaxNLocator

from neuroact.figures.style import (
    check_axes,
    check_table,
    draw_band,
    figure_axes,
    figure_legend,
    network_label,
    network_styles,
    plain_log_axis,
    themed,
)
from neuroact.literature import ATTWELL_LAUGHLIN_2001, GLOROT_2011_SPARSITY, LENNIE_2003

__all__ = ["training_curves", "layer_sparsity", "gradient_norms", "networks"]

IDENTITY = ("activation", "l1", "init", "seed")


def networks(history: pd.DataFrame) -> Iterator[tuple[str | None, dict, pd.DataFrame]]:
    """``(label, style, rows)`` per network of ``history``, in the table's order.

    The label names the unit, its L1 penalty if any and, where networks differ in it, the
    init; it is ``None`` for a second seed of the same settings (one legend entry per setting).
    """
    history = history.assign(
        l1=history["l1"].fillna(0.0) if "l1" in history else 0.0,
        init=history["init"] if "init" in history else "",
        seed=history["seed"] if "seed" in history else 0,
    )
    several_inits = history["init"].nunique() > 1
    variants = zip(history["l1"].astype(float), history["init"].astype(str), strict=True)
    styles = network_styles(list(zip(history["activation"], variants, strict=True)))
    seen = set()
    group = "job" if "job" in history else list(IDENTITY)
    for _, rows in history.groupby(group, sort=False):
        first = rows.iloc[0]
        key = (first["activation"], (float(first["l1"]), str(first["init"])))
        name = network_label(
            first["activation"], first["l1"], first["init"] if several_inits else None
        )
        yield (None if key in seen else name), styles[key], rows
        seen.add(key)


def _suptitle(fig: Figure, history: pd.DataFrame, what: str) -> None:
    parts = [what]
    if "dataset" in history:
        parts.append(str(history["dataset"].iloc[0]))
    if "widths" in history:
        parts.append(f"hidden widths {history['widths'].iloc[0]}")
    fig.suptitle(", ".join(parts))


@themed
def training_curves(history: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Validation error (bold) and training error (faint), both in percent on a log axis, and
    the training objective (cross-entropy plus the L1 penalty) against epoch. (The test set is
    evaluated only at the end of training, so the curve is the validation error.)

    Parameters
    ----------
    history : pandas.DataFrame
        ``history.csv``: ``activation``, ``l1``, ``epoch``, ``val_error``, ``train_error``,
        ``train_loss`` (fractions; epoch 0 is the untrained network and is left out), optional
        ``job``, ``init``, ``seed``, ``dataset``, ``widths``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    check_table(
        history,
        "history",
        ("activation", "l1", "epoch", "val_error", "train_error", "train_loss"),
    )
    check_axes(fig=fig)
    fig, axes = figure_axes(1, 2, fig=fig, figsize=(11, 4.2))
    a_err, a_loss = axes[0]
    for name, style, rows in networks(history):
        ep = rows.drop_duplicates("epoch").sort_values("epoch")
        ep = ep[ep["epoch"] > 0]
        line = {"color": style["color"], "ls": style["ls"]}
        a_err.plot(
            ep["epoch"], 100 * ep["val_error"], marker=style["marker"], ms=4, label=name, **line
        )
        a_err.plot(ep["epoch"], 100 * ep["train_error"], alpha=0.4, lw=1, **line)
        a_loss.plot(ep["epoch"], ep["train_loss"], marker=style["marker"], ms=4, **line)
    plain_log_axis(a_err, "y")
    for ax in axes[0]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    a_err.set(xlabel="epoch", ylabel="error (%, log scale)")
    a_err.set_title("(a) validation error (bold), training error (faint)")
    a_loss.set(xlabel="epoch", ylabel="training objective (log scale)", yscale="log")
    a_loss.set_title("(b) cross-entropy + L1 penalty")
    _suptitle(fig, history, "Training")
    figure_legend(fig)
    return fig


@themed
def layer_sparsity(history: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Per hidden layer at the final epoch: (a) inactive outputs (exact zeros; for smooth units
    ``|a| <= eps x P99``) with Glorot et al. 2011's band, (b) fraction with pre-activation > 0
    (log axis) with the cortical bands, (c) lifetime sparseness (Treves-Rolls, Willmore &
    Tolhurst 2001).

    Parameters
    ----------
    history : pandas.DataFrame
        ``history.csv``: ``activation``, ``l1``, ``epoch``, ``layer``, ``layer_kind`` (rows
        ``hidden`` are drawn), ``frac_zero``, ``frac_active_input``, ``lifetime_sparseness``,
        optional ``frac_zero_eps`` (the eps of the output view of smooth units).
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.

    See Also
    --------
    neuroact.sparsity.summarize : the measures.
    """
    columns = ("activation", "l1", "epoch", "layer", "layer_kind", "frac_zero")
    columns += ("frac_active_input", "lifetime_sparseness")
    check_table(history, "history", columns)
    check_axes(fig=fig)
    hidden = history[history["layer_kind"] == "hidden"]
    fig, axes = figure_axes(1, 3, fig=fig, figsize=(13.5, 4.2))
    a_out, a_in, a_life = axes[0]
    draw_band(a_out, GLOROT_2011_SPARSITY, color="tab:red", alpha=0.12)
    draw_band(a_in, ATTWELL_LAUGHLIN_2001, color="0.5", alpha=0.12)
    draw_band(a_in, LENNIE_2003, color="tab:blue", alpha=0.2)
    for name, style, rows in networks(hidden):
        last = rows[rows["epoch"] == rows["epoch"].max()].sort_values("layer")
        kw = style | {"label": name, "ms": 5}
        a_out.plot(last["layer"], 100 * last["frac_zero"], **kw)
        a_in.plot(last["layer"], 100 * last["frac_active_input"], **kw)
        a_life.plot(last["layer"], last["lifetime_sparseness"], **kw)
    eps = hidden.loc[hidden.get("frac_zero_eps", pd.Series(dtype=float)) > 0, "frac_zero_eps"]
    smooth = f"\n(smooth units: |a| ≤ {eps.iloc[0]:g} × P99)" if len(eps) else ""
    a_out.set(xlabel="hidden layer", ylabel="inactive outputs (%)", ylim=(0, 100))
    a_out.set_title(f"(a) output view: exact zeros{smooth}")
    plain_log_axis(a_in, "y")
    a_in.set_ylim(0.5, 100)
    a_in.set(xlabel="hidden layer", ylabel="units with pre-activation > 0 (%, log scale)")
    a_in.set_title("(b) input view: fraction active")
    a_life.set(xlabel="hidden layer", ylabel="lifetime sparseness S (0 dense, 1 sparse)")
    a_life.set_ylim(0, 1)
    a_life.set_title("(c) lifetime sparseness of |a|")
    layers = np.sort(hidden["layer"].unique())
    for ax in axes[0]:
        ax.set_xticks(layers)
    _suptitle(fig, history, "Final epoch")
    figure_legend(fig)
    return fig


@themed
def gradient_norms(history: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Mean weight-gradient norm ``||dL/dW_l||_2`` per step for each weight layer (the last is
    the read-out), in the first trained epoch and in the last, on a shared log axis.

    Parameters
    ----------
    history : pandas.DataFrame
        ``history.csv``: ``activation``, ``l1``, ``epoch``, ``layer``, ``grad_norm``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    check_table(history, "history", ("activation", "l1", "epoch", "layer", "grad_norm"))
    check_axes(fig=fig)
    trained = history[history["epoch"] > 0]
    if trained.empty:
        raise ValueError("history has no trained epoch (epoch > 0); expected at least one")
    first, last = int(trained["epoch"].min()), int(trained["epoch"].max())
    fig, axes = figure_axes(1, 2, fig=fig, figsize=(11, 4.2), sharey=True)
    for name, style, rows in networks(trained):
        for ax, epoch in zip(axes[0], (first, last), strict=True):
            sel = rows[rows["epoch"] == epoch].sort_values("layer")
            ax.plot(sel["layer"], sel["grad_norm"], ms=5, label=name, **style)
    n = int(history["layer"].max())
    for ax, epoch, tag in zip(axes[0], (first, last), "ab", strict=True):
        ax.set(xlabel="weight layer (last = read-out)", yscale="log")
        ax.set_xticks(range(1, n + 1))
        ax.set_title(f"({tag}) epoch {epoch}" + (" (first)" if epoch == first else " (last)"))
    axes[0, 0].set_ylabel("mean gradient norm ||dL/dW||₂ per step")
    _suptitle(fig, history, "Weight gradients")
    figure_legend(fig)
    return fig
