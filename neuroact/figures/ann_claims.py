"""Figures of the rectifier-paper experiments (issue 6), drawn from their tables only.

Each function takes the tidy tables an experiment wrote and a path (without suffix), and
returns the written files (see :func:`neuroact.figures.save`).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import matplotlib.ticker
import numpy as np
import pandas as pd

from neuroact.figures import PALETTE, draw_band, figure, save
from neuroact.literature import GLOROT_2011_HARMLESS_SPARSITY, GLOROT_2011_SPARSITY

ORDER = ("relu", "softplus", "tanh", "sigmoid", "leaky_relu")


def _order(values) -> list[str]:
    present = list(dict.fromkeys(values))
    return [a for a in ORDER if a in present] + [a for a in present if a not in ORDER]


def _color(name: str) -> str:
    return PALETTE.get(name, "0.4")


def plt_cycle(i: int) -> str:
    """The i-th colour of a sequential map (layers bottom to top: light to dark)."""
    import matplotlib.pyplot as plt

    return plt.get_cmap("viridis")(min(0.9, 0.15 + 0.2 * (int(i) - 1)))


def glorot_table1(nets: pd.DataFrame, table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Test error (%) and exact-zero / active fractions per activation, one column per data set;
    seeds as dots, their mean as a bar, the paper's MNIST values as black crosses."""
    datasets = list(dict.fromkeys(nets["dataset"]))
    fig, axes = figure(2, len(datasets), figsize=(4.2 * len(datasets), 6.4), squeeze=False)
    acts = _order(nets["activation"])
    pretrains = list(dict.fromkeys(nets["pretrain"]))
    width = 0.8 / len(pretrains)
    for j, ds in enumerate(datasets):
        ax_err, ax_sp = axes[0, j], axes[1, j]
        sub = nets[nets["dataset"] == ds]
        tab = table[table["dataset"] == ds]
        here = [pre for pre in pretrains if (sub["pretrain"] == pre).any()]  # centred bars
        for k, pre in enumerate(here):
            offset = (k - (len(here) - 1) / 2) * width
            for i, act in enumerate(acts):
                pts = sub[(sub["activation"] == act) & (sub["pretrain"] == pre)]
                if pts.empty:
                    continue
                x = i + offset
                err = 100 * pts["test_error"]
                ax_err.bar(
                    x,
                    err.mean(),
                    width * 0.9,
                    color=_color(act),
                    alpha=0.35 if pre == "dae" else 0.8,
                    hatch="//" if pre == "dae" else None,
                    edgecolor="k",
                    lw=0.5,
                )
                ax_err.plot(np.full(len(err), x), err, "k.", ms=4)
                ax_sp.bar(
                    x,
                    pts["frac_zero"].mean(),
                    width * 0.9,
                    color=_color(act),
                    alpha=0.35 if pre == "dae" else 0.8,
                    hatch="//" if pre == "dae" else None,
                    edgecolor="k",
                    lw=0.5,
                )
                ax_sp.plot(
                    [x], [1 - pts["frac_active_input"].mean()], marker="_", color="k", ms=14, mew=2
                )
                paper = tab.loc[
                    (tab["activation"] == act) & (tab["pretrain"] == pre), "paper_test_error_pct"
                ]
                if len(paper) and np.isfinite(paper.iloc[0]):
                    ax_err.plot([x], [paper.iloc[0]], "kx", ms=9, mew=2)
        ax_err.set_title(ds)
        ax_err.set_ylabel("test error (%)")
        ax_sp.set_ylabel("fraction inactive")
        ax_sp.set_ylim(0, 1)
        draw_band(ax_sp, GLOROT_2011_SPARSITY)
        for ax in (ax_err, ax_sp):
            ax.set_xticks(range(len(acts)), acts)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color="k", marker="x", ls="", mew=2, label="Glorot et al. 2011 (MNIST)"),
        Line2D([], [], color="k", marker=".", ls="", label="one seed"),
        Patch(facecolor="0.6", edgecolor="k", label="no pre-training"),
        Patch(facecolor="0.85", edgecolor="k", hatch="//", label="DAE pre-training"),
    ]
    axes[0, -1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    sp_handles = [
        Patch(facecolor="0.6", edgecolor="k", label="output view (bar): exact 0 / |a|<=eps P99"),
        Line2D(
            [],
            [],
            color="k",
            marker="_",
            ls="",
            ms=14,
            mew=2,
            label="input view: pre-activation <= 0",
        ),
        Patch(facecolor="0.3", alpha=0.15, label=GLOROT_2011_SPARSITY.name + " (with L1)"),
    ]
    axes[1, -1].legend(handles=sp_handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    widths = nets["widths"].iloc[0] if "widths" in nets else ""
    fig.suptitle(f"Glorot, Bordes & Bengio 2011, Table 1 set-up: MLP {widths}")
    return save(fig, path)


def _log_percent_axis(ax, ticks: list[float]) -> None:
    """A log y axis labelled with plain percentages at ``ticks``."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks(ticks)


def sparsity_vs_error(nets: pd.DataFrame, fit: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Test error against the exact-zero fraction of rectifier networks (one dot per network,
    colour = L1 weight; crosses: collapsed networks, left out of the fit), the hinge fit with
    its bootstrap interval and the 85% mark."""
    fig, ax = figure(figsize=(6.2, 4.4))
    collapsed = (
        nets["collapsed"].astype(bool).to_numpy()
        if "collapsed" in nets
        else np.zeros(len(nets), bool)
    )
    l1 = nets["l1"].to_numpy()
    pos = (l1 > 0) & ~collapsed
    logl1 = np.where(pos, np.log10(np.where(pos, l1, 1)), np.nan)
    vmin = np.nanmin(logl1) if pos.any() else -6
    import matplotlib.pyplot as plt

    sc = ax.scatter(
        100 * nets.loc[pos, "frac_zero"],
        100 * nets.loc[pos, "test_error"],
        c=logl1[pos],
        cmap="viridis",
        s=28,
        edgecolor="k",
        lw=0.4,
        vmin=vmin,
    )
    if collapsed.any():
        ax.scatter(
            100 * nets.loc[collapsed, "frac_zero"],
            100 * nets.loc[collapsed, "test_error"],
            marker="x",
            color="0.3",
            s=30,
            label="collapsed (did not learn; not fitted)",
        )
    none = (l1 == 0) & ~collapsed
    if none.any():
        ax.scatter(
            100 * nets.loc[none, "frac_zero"],
            100 * nets.loc[none, "test_error"],
            marker="s",
            facecolor="w",
            edgecolor="k",
            s=30,
            label="no penalty",
        )
    cb = plt.colorbar(sc, ax=ax)
    cb.set_label("log10 L1 activation penalty")
    draw_band(ax, GLOROT_2011_SPARSITY, axis="x", scale=100)
    ax.axvline(100 * GLOROT_2011_HARMLESS_SPARSITY, color="k", ls="--", lw=1, label="85% sparsity")
    if not fit.empty:
        f = fit.iloc[0]
        fitted = nets.loc[~collapsed, "frac_zero"]
        xs = np.linspace(fitted.min(), fitted.max(), 200)
        ys = f["level"] + f["slope"] * np.maximum(0, xs - f["breakpoint"])
        ax.plot(100 * xs, 100 * ys, color="C3", lw=2, label="hinge fit")
        if np.isfinite(f["ci_low"]):
            ax.axvspan(
                100 * f["ci_low"],
                100 * f["ci_high"],
                color="C3",
                alpha=0.12,
                label=f"breakpoint {100 * f['ci_level']:.0f}% CI",
                lw=0,
            )
        ax.axvline(100 * f["breakpoint"], color="C3", lw=1)
    ax.set_xlabel("hidden units at exactly 0 (%, mean over layers)")
    # log scale: a collapsed network at ~90% error must not flatten the 1-3% differences
    _log_percent_axis(ax, [1, 2, 5, 10, 20, 50, 100])
    ax.set_ylabel("test error (%, log scale)")
    ax.set_title("Does sparsity hurt? Rectifier MLPs with an L1 activation penalty")
    ax.legend(fontsize=7, loc="upper left")
    return save(fig, path)


def training_speed(
    curves: pd.DataFrame, ratios: pd.DataFrame, target: float, path: str | os.PathLike
) -> list[Path]:
    """Training error per epoch (each activation at its own best learning rate), one panel per
    model, the target as a line; the ratios of epochs-to-target against ReLU in a last panel."""
    models = list(dict.fromkeys(curves["model"]))
    fig, axes = figure(1, len(models) + 1, figsize=(4.2 * (len(models) + 1), 3.8), squeeze=False)
    for j, m in enumerate(models):
        ax = axes[0, j]
        sub = curves[(curves["model"] == m) & curves["train_error"].notna()]
        for act in _order(sub["activation"]):
            for _, g in sub[sub["activation"] == act].groupby("seed"):
                ax.plot(
                    g["epoch"],
                    100 * g["train_error"],
                    color=_color(act),
                    lw=1,
                    alpha=0.8,
                    label=act if g["seed"].iloc[0] == sub["seed"].min() else None,
                )
        ax.axhline(100 * target, color="k", ls="--", lw=1, label="target")
        _log_percent_axis(ax, [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        ax.set_ylim(bottom=0.05)
        ax.set_xlabel("epoch")
        if j == 0:
            # log scale: an error of exactly 0 leaves the panel at the bottom
            ax.set_ylabel("training error (%, end of epoch; 0 off the axis)")
        ax.set_title(f"{m} (each activation at its best learning rate)")
        ax.legend(fontsize=7)
    ax = axes[0, -1]
    if not ratios.empty:
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        labels = [f"{r.model}: {r.activation}/relu" for r in ratios.itertuples()]
        y = np.arange(len(ratios))
        mean, lo, hi = (
            ratios[c].to_numpy(dtype=float) for c in ("ratio_mean", "ratio_min", "ratio_max")
        )
        finite = np.isfinite(mean) & np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(
            mean[finite],
            y[finite],
            xerr=[mean[finite] - lo[finite], hi[finite] - mean[finite]],
            fmt="o",
            color="k",
            capsize=3,
            label="mean, min-max over seeds",
        )
        edge = max(8.0, 1.5 * np.nanmax(np.where(np.isfinite(hi), hi, np.nan), initial=1.0))
        part = ~finite
        if part.any():  # some seed never reached the target within the epochs run
            ax.plot(
                np.full(part.sum(), edge),
                y[part],
                ">",
                color="0.4",
                ms=8,
                label="target not reached (some seed)",
            )
        ax.set_yticks(y, labels, fontsize=7)
        ax.yaxis.tick_right()  # keeps the labels clear of the neighbouring panel
        ax.axvline(1, color="0.5", lw=1)
        ax.axvline(6, color="C3", ls=":", lw=1.5, label="AlexNet: tanh/relu = 6 (CIFAR-10 CNN)")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks([0.5, 1, 2, 4, 8])
        # below the panel: any spot inside may cover a ratio
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax.set_xlabel("epochs to target / ReLU's")
    return save(fig, path)


def _ratio_vs_depth(ax, column: str, what: str, title: str, *, grads, styles) -> None:
    """Bottom/top hidden-layer ratio ``column`` against depth, one line per activation x init."""
    ratio = grads[grads["layer"] == 1].groupby(["activation", "init", "depth"])[column].mean()
    for (act, init), g in ratio.groupby(level=[0, 1]):
        ax.plot(
            g.index.get_level_values("depth"),
            g.to_numpy(),
            marker="o",
            ms=3,
            color=_color(act),
            ls=styles.get(init, "-"),
            label=f"{act}, {init}",
        )
    ax.set_yscale("log")
    ax.set_xlabel("hidden layers")
    ax.set_ylabel(f"bottom / top hidden {what}")
    ax.set_title(title)
    ax.legend(fontsize=6, ncol=2)


def vanishing_gradients(
    grads: pd.DataFrame, training: pd.DataFrame, path: str | os.PathLike
) -> list[Path]:
    """Top row, at init: per-layer weight-gradient norms of the deepest nets (one panel per init)
    and the bottom/top weight-gradient ratio against depth. Bottom row, during training: each
    hidden layer's mean activation (sigmoid and tanh panels; Glorot & Bengio 2010 Fig. 2) and the
    bottom/top gradient ratio per epoch; last, the bottom/top ratio of the back-propagated
    gradient ``dL/dz`` at init against depth (where the table has it)."""
    deepest = grads["depth"].max()
    inits = list(dict.fromkeys(grads["init"]))
    ncol = max(len(inits) + 1, 4 if "delta_bottom_over_top" in grads else 3)
    fig, axes = figure(2, ncol, figsize=(3.9 * ncol, 7.4), squeeze=False)
    styles = {"torch": "-", "xavier": "--", "he": ":"}
    for j, init in enumerate(inits):
        ax = axes[0, j]
        sub = grads[(grads["depth"] == deepest) & (grads["init"] == init)]
        for act in _order(sub["activation"]):
            g = sub[sub["activation"] == act].groupby("layer")["grad_norm"].mean()
            ax.plot(g.index, g.to_numpy(), marker="o", ms=3, color=_color(act), label=act)
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = bottom; last = read-out)")
        ax.set_ylabel("||dL/dW|| at init")
        ax.set_title(f"{deepest} hidden layers, init {init}")
        ax.legend(fontsize=7)
    ratio_vs_depth = functools.partial(_ratio_vs_depth, grads=grads, styles=styles)
    ratio_vs_depth(axes[0, len(inits)], "bottom_over_top", "||dL/dW||", "weight gradient at init")
    for ax in axes[0, len(inits) + 1 :]:
        ax.set_visible(False)
    bottom = axes[1]
    if not training.empty:
        for k, act in enumerate(("sigmoid", "tanh")):
            ax = bottom[k]
            sub = training[training["activation"] == act]
            for init, g in sub.groupby("init", sort=False):
                for layer, h in g.groupby("layer"):
                    h = h.sort_values("epoch")
                    ax.plot(
                        h["epoch"],
                        h["mean_activation"],
                        ls=styles.get(init, "-"),
                        color=plt_cycle(layer),
                        marker=".",
                        label=f"layer {layer}"
                        if init == g["init"].iloc[0] and init == sub["init"].iloc[0]
                        else None,
                    )
            ax.set_xlabel("epoch (0 = init)")
            ax.set_ylabel("mean activation (validation images)")
            ax.set_title(f"{act} during training", fontsize=10)
            ax.legend(fontsize=6)
        ax = bottom[2]
        for (act, init), g in training.groupby(["activation", "init"], sort=False):
            top = g["layer"].max()
            piv = g.pivot_table(index="epoch", columns="layer", values="grad_norm")
            piv = piv[piv.index > 0]
            ax.plot(
                piv.index,
                piv[1] / piv[top],
                color=_color(act),
                ls=styles.get(init, "-"),
                marker=".",
                label=f"{act}, {init}",
            )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("bottom / top hidden gradient norm")
        ax.set_title("bottom vs top gradient during training")
        ax.legend(fontsize=6, ncol=2)
    used_bottom = 3
    if "delta_bottom_over_top" in grads:  # the back-propagated gradient dL/dz, same layout
        ratio_vs_depth(
            bottom[3], "delta_bottom_over_top", "||dL/dz||", "back-propagated gradient at init"
        )
        used_bottom = 4
    for ax in bottom[used_bottom:]:
        ax.set_visible(False)
    names = {"-": "solid", "--": "dashed", ":": "dotted"}
    used = [f"{names[styles[i]]}: {i}" for i in inits if i in styles]
    fig.text(
        0.5,
        0.005,
        "line style = init (" + ", ".join(used) + "); layer 1 = bottom",
        ha="center",
        fontsize=8,
    )
    fig.subplots_adjust(hspace=0.38, wspace=0.38)
    return save(fig, path)


def activity_at_init(stats: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    """Fraction of active units at init and after training, both views, per activation."""
    inits = list(dict.fromkeys(stats["init"]))
    fig, axes = figure(1, len(inits), figsize=(4.6 * len(inits), 3.8), squeeze=False, sharey=True)
    for j, init in enumerate(inits):
        ax = axes[0, j]
        sub = stats[stats["init"] == init]
        acts = _order(sub["activation"])
        for i, act in enumerate(acts):
            for k, (stage, view, hatch) in enumerate(
                (
                    ("init", "frac_active_output", None),
                    ("init", "frac_active_input", "//"),
                    ("trained", "frac_active_output", None),
                    ("trained", "frac_active_input", "//"),
                )
            ):
                v = sub[(sub["activation"] == act) & (sub["stage"] == stage)][view]
                if v.empty:
                    continue
                x = i + (k - 1.5) * 0.2
                ax.bar(
                    x,
                    v.mean(),
                    0.18,
                    color=_color(act),
                    alpha=0.45 if stage == "init" else 0.9,
                    hatch=hatch,
                    edgecolor="k",
                    lw=0.5,
                )
                ax.plot(np.full(len(v), x), v, "k.", ms=2)
        ax.axhline(0.5, color="0.5", lw=1, ls="--")
        ax.set_xticks(range(len(acts)), acts)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"init: {init}")
        ax.set_ylabel("fraction of units active")
    from matplotlib.patches import Patch

    axes[0, 0].legend(
        handles=[
            Patch(facecolor="0.7", edgecolor="k", label="at init, output view"),
            Patch(facecolor="0.7", edgecolor="k", hatch="//", label="at init, input view"),
            Patch(facecolor="0.3", edgecolor="k", label="trained, output view"),
            Patch(facecolor="0.3", edgecolor="k", hatch="//", label="trained, input view"),
        ],
        fontsize=6,
        loc="lower left",
    )
    fig.suptitle("Active units per hidden layer (dots: layers x seeds)")
    return save(fig, path)
