"""Figures of the rectifier-paper experiments, drawn from their tables only.

:func:`glorot_table1` (test error and inactive units per unit beside Glorot, Bordes & Bengio
2011, Table 1), :func:`sparsity_vs_error` (does an L1 penalty's sparsity cost accuracy?),
:func:`training_speed` (epochs to a training-error target, Krizhevsky et al. 2012) and
:func:`activity_at_init` (active units at initialisation and after training). The vanishing
gradients figure is in :mod:`neuroact.figures.gradients`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogLocator, MaxNLocator

from neuroact.figures.style import (
    band_label,
    check_axes,
    check_table,
    colour,
    draw_band,
    figure_axes,
    figure_legend,
    label,
    plain_log_axis,
    single_axes,
    themed,
    tick_label,
)
from neuroact.literature import (
    GLOROT_2011_HARMLESS_SPARSITY,
    GLOROT_2011_SPARSITY,
    KRIZHEVSKY_2012_SPEEDUP,
)
from neuroact.vocabulary import canonical

__all__ = ["glorot_table1", "sparsity_vs_error", "training_speed", "activity_at_init", "ORDER"]

ORDER = ("relu", "softplus", "tanh", "sigmoid", "leaky_relu", "soft_lif")
DATASETS = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "mnist-subset": "MNIST subset"}
# test error (%) above which a seed counts as collapsed to chance (as COLLAPSED_ERROR of
# neuroact.experiments._training)
COLLAPSED_PCT = 50.0


def _model_name(model: str) -> str:
    """``"cnn4 to 30%"`` -> ``"CNN4 to 30%"``: the model's name in capitals, the rest as it is."""
    name, _, rest = model.partition(" ")
    return f"{name.upper()} {rest}".rstrip()


def order(values) -> list[str]:
    """Units in the package's reading order (rectifiers first), unknown names last."""
    present = list(dict.fromkeys(values))
    known = [a for key in ORDER for a in present if canonical(a) == key]
    return known + [a for a in present if a not in known]


@themed
def glorot_table1(
    nets: pd.DataFrame, table: pd.DataFrame, *, fig: FigureBase | None = None
) -> Figure:
    """Test error and inactive units per unit, one column per data set.

    Top row: test error (%), one dot per seed, the seeds' mean as a bar (hatched: with
    denoising-autoencoder pre-training), Glorot et al. 2011's MNIST values as black crosses.
    Bottom row: inactive hidden units (%), output view as bars (exact zeros; smooth units
    ``|a| <= eps x P99``) and input view (pre-activation <= 0) as black dashes, with the paper's
    68-83% band (rectifiers with an L1 penalty).

    Parameters
    ----------
    nets : pandas.DataFrame
        ``networks.csv``: ``dataset``, ``activation``, ``pretrain``, ``test_error``,
        ``frac_zero``, ``frac_active_input`` (fractions), one row per network; optional
        ``widths``.
    table : pandas.DataFrame
        ``table1.csv``: ``dataset``, ``activation``, ``pretrain``, ``paper_test_error_pct``.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    columns = ("dataset", "activation", "pretrain", "test_error", "frac_zero", "frac_active_input")
    check_table(nets, "nets", columns)
    check_table(table, "table", ("dataset", "activation", "pretrain", "paper_test_error_pct"))
    check_axes(fig=fig)
    datasets = list(dict.fromkeys(nets["dataset"]))
    fig, axes = figure_axes(2, len(datasets), fig=fig, figsize=(4.4 * len(datasets) + 2.6, 6.6))
    acts = order(nets["activation"])
    pretrains = list(dict.fromkeys(nets["pretrain"]))
    width = 0.8 / len(pretrains)
    for j, ds in enumerate(datasets):
        ax_err, ax_sp = axes[0, j], axes[1, j]
        sub = nets[nets["dataset"] == ds]
        tab = table[table["dataset"] == ds]
        here = [pre for pre in pretrains if (sub["pretrain"] == pre).any()]  # centred bars
        collapsed: list[tuple[float, float]] = []
        draw_band(ax_sp, GLOROT_2011_SPARSITY, alpha=0.15)
        for k, pre in enumerate(here):
            offset = (k - (len(here) - 1) / 2) * width
            dae = pre == "dae"
            for i, act in enumerate(acts):
                pts = sub[(sub["activation"] == act) & (sub["pretrain"] == pre)]
                if pts.empty:
                    continue
                paper = tab.loc[
                    (tab["activation"] == act) & (tab["pretrain"] == pre), "paper_test_error_pct"
                ]
                paper = float(paper.iloc[0]) if len(paper) else math.nan
                collapsed += _table1_bars(
                    ax_err, ax_sp, pts, i + offset, width * 0.9, dae=dae, paper=paper
                )
        _mark_collapsed(ax_err, collapsed)
        ax_err.set_title(DATASETS.get(ds, ds))
        ax_err.set_ylabel("test error (%)")
        ax_sp.set_ylabel("inactive hidden units (%)")
        ax_sp.set_ylim(0, 100)
        for ax in (ax_err, ax_sp):
            ax.set_xticks(range(len(acts)), [tick_label(a) for a in acts])
    fig.legend(handles=_table1_legend(), loc="outside right center")
    widths = f": MLP {nets['widths'].iloc[0]}" if "widths" in nets else ""
    fig.suptitle(f"Glorot, Bordes & Bengio 2011, Table 1 set-up{widths}")
    return fig


def _table1_bars(
    ax_err: Axes, ax_sp: Axes, pts: pd.DataFrame, x: float, width: float, *, dae: bool, paper: float
) -> list[tuple[float, float]]:
    """One unit's bars at ``x``: test error (bar: mean of the seeds that learned, dots: those
    seeds; cross: ``paper`` unless NaN) on ``ax_err``, inactive units (bar: output view, dash:
    input view) on ``ax_sp``. Returns the collapsed seeds as ``(x, error %)``."""
    bar = {
        "color": colour(pts["activation"].iloc[0]),
        "alpha": 0.35 if dae else 0.85,
        "hatch": "//" if dae else None,
        "edgecolor": "k",
        "lw": 0.5,
    }
    err = 100 * pts["test_error"]
    learned = err[err <= COLLAPSED_PCT]
    # a seed at chance would flatten the 1-3% differences: the bar is the mean of the seeds
    # that learned, a collapsed seed a triangle at the top (see _mark_collapsed)
    ax_err.bar(x, learned.mean() if len(learned) else np.nan, width, **bar)
    ax_err.plot(np.full(len(learned), x), learned, "k.", ms=4)
    ax_sp.bar(x, 100 * pts["frac_zero"].mean(), width, **bar)
    inactive_in = 100 * (1 - pts["frac_active_input"].mean())
    ax_sp.plot([x], [inactive_in], marker="_", color="k", ms=14, mew=2)
    if np.isfinite(paper):
        ax_err.plot([x], [paper], "kx", ms=9, mew=2)
    return [(x, float(v)) for v in err[err > COLLAPSED_PCT]]


def _mark_collapsed(ax: Axes, marks: list[tuple[float, float]]) -> None:
    """Seeds that collapsed to chance as triangles at the top of the axis, labelled with
    their error, the axis kept to the seeds that learned."""
    if not marks:
        return
    top = 1.15 * ax.get_ylim()[1]  # room above the highest seed that learned
    for x, value in marks:
        ax.plot([x], [0.95 * top], "kv", ms=7)
        ax.annotate(
            f"{value:.0f}%",
            (x, 0.95 * top),
            xytext=(6, -3),
            textcoords="offset points",
            fontsize="x-small",
        )
    ax.set_ylim(top=top)


def _table1_legend() -> list:
    return [
        Line2D([], [], color="k", marker="x", ls="", mew=2, label="Glorot et al. 2011 (MNIST)"),
        Line2D([], [], color="k", marker=".", ls="", label="one seed (bar: mean)"),
        Line2D([], [], color="k", marker="v", ls="", label="a seed at chance (not in the bar)"),
        Patch(facecolor="0.6", edgecolor="k", label="no pre-training"),
        Patch(facecolor="0.85", edgecolor="k", hatch="//", label="DAE pre-training"),
        Patch(facecolor="0.6", edgecolor="k", label="bottom: inactive outputs (bar)"),
        Line2D(
            [], [], color="k", marker="_", ls="", ms=14, mew=2, label="bottom: pre-activation ≤ 0"
        ),
        Patch(facecolor="0.3", alpha=0.15, label=f"{band_label(GLOROT_2011_SPARSITY)} (with L1)"),
    ]


@themed
def sparsity_vs_error(nets: pd.DataFrame, fit: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Test error (%, log axis) against the share of hidden units at exactly 0, one dot per
    rectifier network coloured by its L1 penalty; squares: no penalty; crosses: networks that
    collapsed to chance (left out of the fit); the hinge fit with its bootstrap interval of the
    breakpoint, Glorot et al. 2011's band and their 85% mark.

    Parameters
    ----------
    nets : pandas.DataFrame
        ``networks.csv``: ``l1``, ``frac_zero``, ``test_error`` (fractions), optional
        ``collapsed``.
    fit : pandas.DataFrame
        ``hinge.csv`` (may be empty): ``level``, ``slope``, ``breakpoint``, ``ci_low``,
        ``ci_high``, ``ci_level``; error = level + slope * max(0, sparsity - breakpoint).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    """
    check_table(nets, "nets", ("l1", "frac_zero", "test_error"))
    hinge = ("level", "slope", "breakpoint", "ci_low", "ci_high", "ci_level")
    check_table(fit, "fit", hinge, allow_empty=True)
    check_axes(ax=ax)
    fig, ax = single_axes(ax, (7.4, 5.0))
    collapsed = nets["collapsed"].astype(bool).to_numpy() if "collapsed" in nets else None
    collapsed = np.zeros(len(nets), bool) if collapsed is None else collapsed
    l1 = nets["l1"].fillna(0.0).to_numpy(float)
    zero_pct, err_pct = 100 * nets["frac_zero"].to_numpy(), 100 * nets["test_error"].to_numpy()
    draw_band(ax, GLOROT_2011_SPARSITY, axis="x", color="0.3", alpha=0.12)
    harmless = 100 * GLOROT_2011_HARMLESS_SPARSITY
    ax.axvline(harmless, color="k", ls="--", lw=1, label=f"{harmless:g}% zeros: harmless (paper)")
    pos = (l1 > 0) & ~collapsed
    if pos.any():
        _scatter_by_penalty(fig, ax, zero_pct[pos], err_pct[pos], l1[pos])
    none = (l1 == 0) & ~collapsed
    ax.scatter(
        zero_pct[none],
        err_pct[none],
        marker="s",
        fc="w",
        ec="k",
        s=32,
        zorder=3,
        label="no penalty",
    )
    if collapsed.any():
        ax.scatter(
            zero_pct[collapsed],
            err_pct[collapsed],
            marker="x",
            color="0.3",
            s=32,
            label="collapsed to chance (not fitted)",
        )
    if not fit.empty:
        _draw_hinge(ax, fit.iloc[0], zero_pct[~collapsed])
    ax.set_xlabel("hidden units at exactly 0 (%, mean over layers)")
    # log scale: a collapsed network at ~90% error must not flatten the 1-3% differences
    plain_log_axis(ax, "y", [1, 2, 5, 10, 20, 50, 100])
    ax.set_ylabel("test error (%, log scale)")
    ax.set_title("Does sparsity hurt? Rectifier MLPs with an L1 activation penalty")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return fig


def _scatter_by_penalty(
    fig: FigureBase, ax: Axes, zero_pct: np.ndarray, err_pct: np.ndarray, l1: np.ndarray
) -> None:
    """Networks with an L1 penalty, coloured by it on a log scale, with its colour bar."""
    sc = ax.scatter(
        zero_pct,
        err_pct,
        c=l1,
        # a single penalty value still needs a colour range
        norm=LogNorm(l1.min(), max(l1.max(), l1.min() * 1.01)),
        cmap="viridis",
        s=32,
        edgecolor="k",
        lw=0.4,
        zorder=3,
        label="with L1 penalty (colour)",
    )
    cbar = fig.colorbar(sc, ax=ax, label="L1 activation penalty (log scale)")
    cbar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    cbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")


def _draw_hinge(ax: Axes, fit: pd.Series, zero_pct: np.ndarray) -> None:
    """The hinge fit over the range of ``zero_pct`` (%), its breakpoint and bootstrap CI."""
    xs = np.linspace(zero_pct.min(), zero_pct.max(), 200) / 100
    ys = fit["level"] + fit["slope"] * np.maximum(0, xs - fit["breakpoint"])
    ax.plot(100 * xs, 100 * ys, color="C3", lw=2, label="hinge fit")
    if np.isfinite(fit["ci_low"]):
        ax.axvspan(
            100 * fit["ci_low"],
            100 * fit["ci_high"],
            color="C3",
            alpha=0.15,
            lw=0,
            label=f"breakpoint, {100 * fit['ci_level']:.0f}% bootstrap CI",
        )
    ax.axvline(100 * fit["breakpoint"], color="C3", lw=1)


@themed
def training_speed(
    curves: pd.DataFrame,
    ratios: pd.DataFrame,
    target: float,
    *,
    fig: FigureBase | None = None,
) -> Figure:
    """Training error per epoch, each unit at its own best learning rate (one panel per model,
    one line per seed, the target dashed), and, last, epochs-to-target of each unit over
    ReLU's (mean and min-max over seeds) beside AlexNet's tanh/ReLU = 6 (Krizhevsky et al.
    2012, CIFAR-10 CNN).

    Parameters
    ----------
    curves : pandas.DataFrame
        ``curves.csv``: ``model``, ``activation``, ``seed``, ``epoch``, ``train_error``
        (fraction, end-of-epoch weights).
    ratios : pandas.DataFrame
        ``ratios.csv``: ``model``, ``activation``, ``ratio_mean``, ``ratio_min``,
        ``ratio_max`` (NaN where a seed never reached the target), optional ``reference``.
    target : float
        The training-error target, a fraction in (0, 1).
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    check_table(curves, "curves", ("model", "activation", "seed", "epoch", "train_error"))
    columns = ("model", "activation", "ratio_mean", "ratio_min", "ratio_max")
    check_table(ratios, "ratios", columns, allow_empty=True)
    if not isinstance(target, int | float) or not 0 < target < 1:
        raise ValueError(f"target must be a training error in (0, 1); got {target!r}")
    check_axes(fig=fig)
    models = list(dict.fromkeys(curves["model"]))
    n = len(models) + 1
    fig, axes = figure_axes(1, n, fig=fig, figsize=(4.3 * n + 2.4, 4.2))
    for j, m in enumerate(models):
        ax = axes[0, j]
        sub = curves[(curves["model"] == m) & curves["train_error"].notna()]
        for act in order(sub["activation"]):
            for k, (_, g) in enumerate(sub[sub["activation"] == act].groupby("seed")):
                ax.plot(
                    g["epoch"],
                    100 * g["train_error"],
                    color=colour(act),
                    lw=1.2,
                    alpha=0.85,
                    label=label(act) if k == 0 else None,
                )
        ax.axhline(100 * target, color="k", ls="--", lw=1, label=f"target {100 * target:g}%")
        plain_log_axis(ax, "y", [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        ax.set_ylim(bottom=0.05)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        # log scale: an error of exactly 0 leaves the panel at the bottom
        ax.set_ylabel("training error (%, log; 0 off the axis)")
        ax.set_title(f"({chr(97 + j)}) {_model_name(m)}, each unit at its best learning rate")
    _draw_ratios(axes[0, -1], ratios, tag=chr(97 + len(models)))
    figure_legend(fig)
    return fig


def _draw_ratios(ax: Axes, ratios: pd.DataFrame, *, tag: str) -> None:
    """Epochs-to-target over ReLU's per model x unit, log axis; ReLU's own row left out."""
    if "reference" in ratios:
        ratios = ratios[ratios["activation"] != ratios["reference"]]
    ratios = ratios.reset_index(drop=True)
    ax.set_title(f"({tag}) epochs to target / ReLU's")
    ax.set_xlabel("ratio (log scale; > 1: slower than ReLU)")
    if ratios.empty:
        return
    ref = ratios["reference"].iloc[0] if "reference" in ratios else "relu"
    y = np.arange(len(ratios))
    mean, lo, hi = (ratios[c].to_numpy(float) for c in ("ratio_mean", "ratio_min", "ratio_max"))
    ok = np.isfinite(mean) & np.isfinite(lo) & np.isfinite(hi)
    colours_ = [colour(a) for a in ratios["activation"]]
    for i in np.flatnonzero(ok):
        ax.errorbar(
            mean[i],
            y[i],
            xerr=[[mean[i] - lo[i]], [hi[i] - mean[i]]],
            fmt="o",
            color=colours_[i],
            capsize=3,
        )
    ax.plot([], [], "o-", color="0.3", label="mean, min-max over seeds")
    edge = max(8.0, 1.5 * np.nanmax(np.where(np.isfinite(hi), hi, np.nan), initial=1.0))
    if (~ok).any():  # some seed never reached the target within the epochs run
        ax.plot(
            np.full((~ok).sum(), edge),
            y[~ok],
            ">",
            color="0.4",
            ms=8,
            label="target not reached by some seed",
        )
    names = [
        f"{_model_name(m)}: {canonical(a)} / {canonical(ref)}"
        for m, a in zip(ratios["model"], ratios["activation"], strict=True)
    ]
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(ratios) - 0.4)
    ax.axvline(1, color="0.5", lw=1)
    speedup = KRIZHEVSKY_2012_SPEEDUP
    ax.axvline(speedup, color="C3", ls=":", lw=1.5, label=f"AlexNet: tanh/ReLU = {speedup:g}")
    plain_log_axis(ax, "x", [0.25, 0.5, 1, 2, 4, 8, 16, 32])
    ax.set_xlim(min(0.4, 0.8 * np.nanmin(lo, initial=1.0)), edge * 1.3)


@themed
def activity_at_init(stats: pd.DataFrame, *, fig: FigureBase | None = None) -> Figure:
    """Active hidden units (%) per unit at initialisation and after training, in the output
    view (``|a|`` above the layer's eps x P99, exact non-zero for rectifiers) and the input view
    (pre-activation > 0), one panel per init; bars: the mean, dots: layers x seeds.

    Parameters
    ----------
    stats : pandas.DataFrame
        ``activity.csv``: ``init``, ``activation``, ``stage`` (``init`` or ``trained``),
        ``frac_active_output``, ``frac_active_input`` (fractions), one row per layer x seed.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure instead of a new one.
    """
    columns = ("init", "activation", "stage", "frac_active_output", "frac_active_input")
    check_table(stats, "stats", columns)
    check_axes(fig=fig)
    inits = list(dict.fromkeys(stats["init"]))
    fig, axes = figure_axes(
        1, len(inits), fig=fig, figsize=(4.8 * len(inits) + 2.4, 4.0), sharey=True
    )
    bars = (
        ("init", "frac_active_output", None),
        ("init", "frac_active_input", "//"),
        ("trained", "frac_active_output", None),
        ("trained", "frac_active_input", "//"),
    )
    for j, init in enumerate(inits):
        ax = axes[0, j]
        sub = stats[stats["init"] == init]
        acts = order(sub["activation"])
        for i, act in enumerate(acts):
            for k, (stage, view, hatch) in enumerate(bars):
                v = 100 * sub[(sub["activation"] == act) & (sub["stage"] == stage)][view]
                if v.empty:
                    continue
                x = i + (k - 1.5) * 0.2
                ax.bar(
                    x,
                    v.mean(),
                    0.18,
                    color=colour(act),
                    alpha=0.4 if stage == "init" else 0.9,
                    hatch=hatch,
                    edgecolor="k",
                    lw=0.5,
                )
                ax.plot(np.full(len(v), x), v, "k.", ms=2.5)
        ax.axhline(50, color="0.5", lw=1, ls="--")
        ax.set_xticks(range(len(acts)), [tick_label(a) for a in acts])
        ax.set_ylim(0, 105)
        ax.set_title(f"init: {init}")
        ax.set_ylabel("hidden units active (%)")
    fig.legend(
        handles=[
            Patch(facecolor="0.75", edgecolor="k", label="at init, output view"),
            Patch(facecolor="0.75", edgecolor="k", hatch="//", label="at init, input view"),
            Patch(facecolor="0.35", edgecolor="k", label="trained, output view"),
            Patch(facecolor="0.35", edgecolor="k", hatch="//", label="trained, input view"),
            Line2D([], [], color="k", marker=".", ls="", label="one layer x seed"),
            Line2D([], [], color="0.5", ls="--", label="half active"),
        ],
        loc="outside right center",
    )
    fig.suptitle("Active hidden units at initialisation and after training")
    return fig
