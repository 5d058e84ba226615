"""Does sparsity hurt? Rectifier networks trained with L1 activation penalties of growing weight.

Glorot, Bordes & Bengio (2011, Sec. 4.1 and Fig. 3) trained rectifier networks with an L1 penalty
on the activations and found 68-83% of hidden units at exactly zero without loss of accuracy,
"up to about 85%". Here many rectifier MLPs are trained on MNIST with the penalty
``l1 * sum_l (1/B) sum_b sum_j |a_l,bj|`` (:mod:`neuroact.ann.train`) for ``l1`` from 0 to
strong, over several seeds; each network is an independent, resumable job. Sparsity is the share
of exact zeros of the hidden units on 2,000 validation images (mean over layers).

Where does error start to rise? A segmented ("hinge") regression
``error = level + slope * max(0, sparsity - breakpoint)`` is fitted by least squares over a
grid of breakpoints (profile of the residual sum of squares); the breakpoint's uncertainty comes
from a case-resampling bootstrap. Networks that did not learn (test error above
``COLLAPSED_ERROR``: a penalty strong enough to silence every unit leaves the read-out at chance)
are flagged ``collapsed`` and left out of the fit: their 88% error would otherwise pull the
breakpoint to wherever the collapse happens, a different question from "when does error start to
rise". As a second, model-free answer the table ``bands.csv`` gives
the mean error of the networks in sparsity bands (< 70%, 70-85%, 85-90%, 90-95%, >= 95%) with a
bootstrap interval of the difference from the < 85% networks.

Tables written: ``history.csv`` (network x epoch x layer), ``networks.csv`` (one row per
network, with ``collapsed``), ``hinge.csv`` (the fit, on the networks that learned),
``bands.csv`` (all networks, with ``n_collapsed`` per band); figure ``sparsity_vs_error.png``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from neuroact.ann.train import TrainConfig
from neuroact.experiments._training import (
    COLLAPSED_ERROR,
    QUICK_TRAIN,
    ExperimentRun,
    RunOptions,
    check_config,
    network_table,
)
from neuroact.literature import GLOROT_2011_HARMLESS_SPARSITY
from neuroact.results import RunFolder


@dataclass(frozen=True)
class HingeFit:
    """Flat-then-rising fit ``error = level + slope * max(0, sparsity - breakpoint)``.

    ``ci_low``/``ci_high``: bootstrap percentile interval of the breakpoint, ``slope_ci_low``/
    ``slope_ci_high`` that of the slope (nan if not computed).
    ``rises``: error grows beyond the breakpoint: the slope's interval lies above 0 (without a
    bootstrap: the slope is positive).
    """

    breakpoint: float
    level: float
    slope: float
    sse: float
    n: int
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    ci_level: float = 0.95
    n_boot: int = 0
    slope_ci_low: float = float("nan")
    slope_ci_high: float = float("nan")

    @property
    def rises(self) -> bool:
        if np.isfinite(self.slope_ci_low):
            return bool(self.slope_ci_low > 0)
        return self.slope > 0

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{**asdict(self), "rises": self.rises}])


def _hinge_table(x: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """``(sse, level, slope)`` of the least-squares hinge at each candidate breakpoint."""
    out = np.empty((len(candidates), 3))
    for i, c in enumerate(candidates):
        design = np.column_stack([np.ones_like(x), np.maximum(0.0, x - c)])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ coef
        out[i] = (resid @ resid, coef[0], coef[1])
    return out


def _best_hinge(x: np.ndarray, y: np.ndarray, min_side: int):
    xs = np.sort(x)
    lo, hi = xs[min_side - 1], xs[-min_side]
    if not hi > lo:
        return None
    grid = np.linspace(lo, hi, 200)
    table = _hinge_table(x, y, grid)
    i = int(np.argmin(table[:, 0]))
    return grid[i], table[i]


def fit_hinge(
    sparsity,
    error,
    *,
    n_boot: int = 0,
    ci_level: float = 0.95,
    seed: int = 0,
    min_side: int = 3,
) -> HingeFit:
    """Estimate the sparsity at which test error starts to rise (segmented regression).

    Model ``error = level + slope * max(0, sparsity - breakpoint)``, fitted by least squares at
    each of 200 breakpoints between the ``min_side``-th smallest and largest sparsity (so that
    each segment holds at least ``min_side`` points); the breakpoint with the lowest residual sum
    of squares wins (Hudson 1966; Muggeo 2003). ``n_boot`` case resamples give a percentile
    interval of the breakpoint and of the slope.
    """
    x = np.asarray(sparsity, dtype=float).ravel()
    y = np.asarray(error, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"sparsity and error must have the same length; got {x.size}, {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 2 * min_side:
        raise ValueError(
            f"need at least {2 * min_side} finite (sparsity, error) points to fit a hinge; "
            f"got {x.size}"
        )
    point = _best_hinge(x, y, min_side)
    if point is None:
        raise ValueError("sparsity values are too concentrated to locate a breakpoint")
    c, (sse, level, slope) = point
    ci = slope_ci = (float("nan"), float("nan"))
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boots = []
        for _ in range(int(n_boot)):
            idx = rng.integers(0, x.size, x.size)
            b = _best_hinge(x[idx], y[idx], min_side)
            if b is not None:
                boots.append((b[0], b[1][2]))
        alpha = (1 - ci_level) / 2
        boots = np.asarray(boots)
        ci = tuple(np.quantile(boots[:, 0], [alpha, 1 - alpha]))
        slope_ci = tuple(np.quantile(boots[:, 1], [alpha, 1 - alpha]))
    return HingeFit(
        breakpoint=float(c),
        level=float(level),
        slope=float(slope),
        sse=float(sse),
        n=int(x.size),
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        ci_level=ci_level,
        n_boot=int(n_boot),
        slope_ci_low=float(slope_ci[0]),
        slope_ci_high=float(slope_ci[1]),
    )


BAND_EDGES = (0.0, 0.70, 0.85, 0.90, 0.95, 1.0001)


def band_table(nets: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Mean test error (%) of the networks in each sparsity band, and its difference from the
    networks below 85% sparsity with a bootstrap 95% interval (resampling networks)."""
    rng = np.random.default_rng(seed)
    sp, err = nets["frac_zero"].to_numpy(), 100 * nets["test_error"].to_numpy()
    base = err[sp < GLOROT_2011_HARMLESS_SPARSITY]
    rows = []
    for lo, hi in zip(BAND_EDGES[:-1], BAND_EDGES[1:], strict=True):
        e = err[(sp >= lo) & (sp < hi)]
        row = {"sparsity_low": lo, "sparsity_high": min(hi, 1.0), "n": len(e)}
        row["n_collapsed"] = int((e > 100 * COLLAPSED_ERROR).sum())
        row["test_error_pct_mean"] = float(e.mean()) if len(e) else np.nan
        row["test_error_pct_sd"] = float(e.std(ddof=1)) if len(e) > 1 else np.nan
        diff = lo_ci = hi_ci = np.nan
        if len(e) and len(base) and lo >= GLOROT_2011_HARMLESS_SPARSITY:
            diff = e.mean() - base.mean()
            boots = [
                rng.choice(e, len(e)).mean() - rng.choice(base, len(base)).mean()
                for _ in range(n_boot)
            ]
            lo_ci, hi_ci = np.quantile(boots, [0.025, 0.975])
        row |= {"diff_vs_below85_pct": diff, "diff_ci_low": lo_ci, "diff_ci_high": hi_ci}
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Config:
    """Rectifier MLPs x L1 penalties x seeds; every other setting from the ``train`` template
    (its ``l1`` and ``seed`` are set per network). ``n_boot``: bootstrap resamples of the hinge
    fit and the bands; ``eval_limit``: evaluate on only the first ``eval_limit`` validation and
    test images (None = all)."""

    l1s: tuple[float, ...] = (0.0, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 8e-3, 1.2e-2, 2e-2)
    seeds: tuple[int, ...] = (0, 1)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=10))
    n_boot: int = 1000
    eval_limit: int | None = None


PROFILES = {
    "quick": Config(
        l1s=(0.0, 1e-4, 1e-3, 1e-2, 5e-2),
        seeds=(0, 1),
        train=dataclasses.replace(QUICK_TRAIN, widths=(300, 300), epochs=3),
        n_boot=100,
        eval_limit=1000,
    ),
    # 3 x 500 instead of 3 x 1000 (a quarter of the cost) to fit the 2-hour full run.
    "full": Config(train=TrainConfig(widths=(500, 500, 500), epochs=10)),
}


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Train every (l1, seed) network (resumable), fit the hinge, write tables and figure."""
    nets = networks(config)  # checks every network before anything is written
    run = ExperimentRun.open(config, Config, out, **options)
    history = run.train(nets, eval_limit=config.eval_limit, desc="sparsity_vs_error")
    table = network_table(history)
    table["collapsed"] = table["test_error"] > COLLAPSED_ERROR
    run.folder.write_table("history", history)
    run.folder.write_table("networks", table)
    learned = table[~table["collapsed"]]
    fit = fit_hinge(learned["frac_zero"], learned["test_error"], n_boot=config.n_boot, seed=0)
    run.folder.write_table("hinge", fit.to_frame())
    run.folder.write_table("bands", band_table(table, n_boot=config.n_boot))
    return run.finish(draw)


def networks(config: Config) -> dict[str, TrainConfig]:
    """``{job key: TrainConfig}``: one network per L1 penalty x seed."""
    check_config(config, Config)
    return {
        f"l1={l1:g}_s{seed}": dataclasses.replace(config.train, l1=float(l1), seed=int(seed))
        for l1 in config.l1s
        for seed in config.seeds
    }


def draw(run: RunFolder) -> list[Path]:
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann_claims, save

    fig = ann_claims.sparsity_vs_error(run.read_table("networks"), run.read_table("hinge"))
    return save(fig, run.path / "sparsity_vs_error")
