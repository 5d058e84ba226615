"""The vanishing-gradients figure (Glorot & Bengio 2010; He et al. 2015), from tables only.

Colour is the unit, line style the initialisation (PyTorch's default ``torch``, ``xavier``,
``he``) in every panel, and one legend outside the panels says so; in the two panels of
activity during training, colour is the hidden layer instead (light grey = bottom, black = top).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from neuroact.figures.ann_claims import order
from neuroact.figures.style import check_axes, check_table, colour, figure_axes, label, themed

__all__ = ["vanishing_gradients", "INIT_STYLES"]

INIT_STYLES = {"torch": "-", "xavier": "--", "he": ":"}
GRADS = ("depth", "activation", "init", "layer", "grad_norm", "bottom_over_top")
TRAINING = ("activation", "init", "epoch", "layer", "grad_norm", "mean_activation")


def layer_colour(layer: int, n_layers: int) -> str:
    """Hidden layer ``layer`` of ``n_layers`` in grey, bottom light to top black (greys do
    not collide with the units' colours)."""
    return str(round(0.7 - 0.7 * (int(layer) - 1) / max(1, n_layers - 1), 3))


def _init_style(init: str) -> str:
    return INIT_STYLES.get(init, "-.")


def _ratio_vs_depth(ax: Axes, grads: pd.DataFrame, column: str, what: str) -> None:
    """Bottom/top hidden-layer ratio ``column`` against depth, one line per unit x init."""
    ratio = grads[grads["layer"] == 1].groupby(["activation", "init", "depth"])[column].mean()
    for (act, init), g in ratio.groupby(level=[0, 1], sort=False):
        depth = g.index.get_level_values("depth")
        ax.plot(depth, g.to_numpy(), marker="o", ms=3, color=colour(act), ls=_init_style(init))
    ax.axhline(1, color="0.6", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("hidden layers (depth)")
    ax.set_ylabel(f"bottom / top hidden {what}")


@themed
def vanishing_gradients(
    grads: pd.DataFrame, training: pd.DataFrame, *, fig: FigureBase | None = None
) -> Figure:
    """Gradients through depth at initialisation and during training, in eight panels.

    Top row, at init: per-layer weight-gradient norms ``||dL/dW_l||`` of the deepest networks,
    one panel per init, then the bottom/top ratio of the weight gradient against depth.
    Bottom row: sigmoid mean activation per hidden layer during training (the top layer
    saturating at 0 under the default init, Glorot & Bengio 2010 Fig. 2); tanh, the share of
    activations within 0.01 of +-1 per layer (their Fig. 3-4); the bottom/top weight-gradient
    ratio per epoch; the bottom/top ratio of the back-propagated gradient ``||dL/dz_l||`` at
    init against depth (where ``grads`` has ``delta_bottom_over_top``). With three inits the
    panels read (a)-(h); panels without data are hidden and skipped in the lettering.

    Parameters
    ----------
    grads : pandas.DataFrame
        ``grads_at_init.csv``: ``depth``, ``activation``, ``init``, ``layer``, ``grad_norm``,
        ``bottom_over_top``, optional ``delta_bottom_over_top``, one row per layer x network.
    training : pandas.DataFrame
        The hidden-layer rows of ``training.csv`` (may be empty): ``activation``, ``init``,
        ``epoch``, ``layer``, ``grad_norm``, ``mean_activation``, optional
        ``saturation_frac``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.

    See Also
    --------
    neuroact.ann.probes.backprop_gradient_norms : the ``dL/dz`` probe.
    """
    check_table(grads, "grads", GRADS)
    check_table(training, "training", TRAINING, allow_empty=True)
    check_axes(fig=fig)
    inits = list(dict.fromkeys(grads["init"]))
    ncol = max(len(inits) + 1, 4)
    fig, axes = figure_axes(2, ncol, fig=fig, figsize=(3.6 * ncol + 2.2, 7.6))
    tags = iter("abcdefghijklmnop")  # panel letters in reading order, hidden panels skipped
    _draw_at_init(axes[0], grads, inits, tags)
    n_layers = int(training["layer"].max()) if len(training) else 0
    _draw_training(axes[1], training, n_layers, tags)
    bottom = axes[1]
    if "delta_bottom_over_top" in grads:  # the back-propagated gradient dL/dz, same layout
        _ratio_vs_depth(bottom[3], grads, "delta_bottom_over_top", "||dL/dz||")
        bottom[3].set_title(f"({next(tags)}) back-propagated gradient at init")
    else:
        bottom[3].set_visible(False)
    for ax in bottom[4:]:
        ax.set_visible(False)
    _legend(fig, order(grads["activation"]), inits, n_layers)
    return fig


def _draw_at_init(top: np.ndarray, grads: pd.DataFrame, inits: list[str], tags) -> None:
    """Per-layer ||dL/dW|| of the deepest networks, one panel per init, then the ratio."""
    deepest = grads["depth"].max()
    for j, init in enumerate(inits):
        ax = top[j]
        sub = grads[(grads["depth"] == deepest) & (grads["init"] == init)]
        for act in order(sub["activation"]):
            g = sub[sub["activation"] == act].groupby("layer")["grad_norm"].mean()
            style = {"marker": "o", "ms": 3, "color": colour(act), "ls": _init_style(init)}
            ax.plot(g.index, g.to_numpy(), **style)
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = bottom, last = read-out)")
        ax.set_ylabel("||dL/dW|| at init")
        ax.set_title(f"({next(tags)}) {deepest} hidden layers, {init} init")
    _ratio_vs_depth(top[len(inits)], grads, "bottom_over_top", "||dL/dW||")
    top[len(inits)].set_title(f"({next(tags)}) weight gradient at init")
    for ax in top[len(inits) + 1 :]:
        ax.set_visible(False)


def _draw_training(bottom: np.ndarray, training: pd.DataFrame, n_layers: int, tags) -> None:
    """Sigmoid mean activation and tanh saturation per layer, then the bottom/top gradient
    ratio, per epoch of training; panels without rows are hidden."""
    panels = [
        ("sigmoid", "mean_activation", "mean activation", "sigmoid: mean activation"),
        ("tanh", "saturation_frac", "saturated units (%, |a| ≥ 0.99)", "tanh: saturation"),
    ]
    for ax, (act, column, ylabel, title) in zip(bottom[:2], panels, strict=True):
        sub = training[training["activation"] == act] if len(training) else training
        if sub.empty or column not in sub:
            ax.set_visible(False)
            continue
        scale = 100 if column == "saturation_frac" else 1
        for (init, layer), h in sub.groupby(["init", "layer"], sort=False):
            h = h.sort_values("epoch")
            colour_ = layer_colour(layer, n_layers)
            ax.plot(h["epoch"], scale * h[column], ls=_init_style(init), color=colour_, marker=".")
        ax.set_xlabel("epoch (0 = init)")
        ax.set_ylabel(f"{ylabel} (validation images)" if scale == 1 else ylabel)
        ax.set_title(f"({next(tags)}) {title}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if scale == 100:
            ax.set_ylim(bottom=0)
    ax = bottom[2]
    if training.empty:
        ax.set_visible(False)
        return
    for (act, init), g in training.groupby(["activation", "init"], sort=False):
        piv = g.pivot_table(index="epoch", columns="layer", values="grad_norm")
        piv = piv[piv.index > 0]
        ratio = piv[piv.columns.min()] / piv[piv.columns.max()]
        ax.plot(ratio.index, ratio, color=colour(act), ls=_init_style(init), marker=".")
    ax.axhline(1, color="0.6", lw=0.8)
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="bottom / top hidden ||dL/dW||")
    ax.set_title(f"({next(tags)}) during training")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(fig: Figure, acts: list[str], inits: list[str], n_layers: int) -> None:
    """One legend: colour = unit, line style = init, and the layer colours of (e) and (f)."""
    handles = [Line2D([], [], color=colour(a), marker="o", ms=4, label=label(a)) for a in acts]
    handles += [Line2D([], [], color="0.3", ls=_init_style(i), label=f"{i} init") for i in inits]
    handles += [
        Line2D([], [], color=layer_colour(k, n_layers), marker=".", label=f"hidden layer {k}")
        for k in range(1, n_layers + 1)
    ]
    fig.legend(handles=handles, loc="outside right center")
