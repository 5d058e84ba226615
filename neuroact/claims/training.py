"""Claims about training deep networks: speed to a target error, and the need for pre-training.

Each claim reads the tables of the ``training_speed`` and ``glorot_table1`` experiments and
returns a :class:`~neuroact.claims.core.Claim`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuroact.claims.core import (
    N_TOO_SMALL,
    NOT_RUN,
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    Claim,
    Statement,
    Tables,
    register,
)
from neuroact.literature import GLOROT_2011_TABLE1_MNIST, KRIZHEVSKY_2012_SPEEDUP
from neuroact.stats import (
    TOO_FEW,
    Estimate,
    mean_interval_from_stats,
    spread_digits,
    welch_difference_from_stats,
)
from neuroact.vocabulary import canonical

# "Several times faster" (the claim's words; AlexNet's 6x was one network on one data set):
# tanh needs at least twice ReLU's epochs for every model.
SEVERAL_TIMES = 2.0
# "Faster" at all: a saving of at least 20% in epochs. Our choice, not the paper's: epochs to
# the target are interpolated between end-of-epoch evaluations, so a mean ratio within 1.2x of
# 1 is read as no clear difference.
FASTER = 1.2

# Pre-training "makes no difference" when it removes under 0.3 points of test error at the upper
# 95% bound: about the paper's own gap for rectifiers (1.43% - 1.20% = 0.23 points).
PRETRAINING_MATCH_PCT = 0.3
# A gain under 1 point (about 4x the paper's gap) is a modest help ("partly"); above it,
# pre-training matters for rectifiers and the claim fails.
PRETRAINING_SMALL_PCT = 1.0
# Another unit gains "as little" when its gain is within 2 combined standard errors of ReLU's.
PEER_SE_MULTIPLE = 2.0


TRAINING_SPEED = Statement(
    f"ReLU networks train several times faster than tanh (AlexNet: {KRIZHEVSKY_2012_SPEEDUP:g}x)",
    "Krizhevsky, Sutskever & Hinton 2012, Fig. 1",
    ("training_speed",),
)


# AlexNet's target and network: the faithful row of ``training_speed/ratios.csv``.
ALEXNET_MODEL = "cnn4"
ALEXNET_TARGET = 0.25


def _speed_rows(r: pd.DataFrame) -> pd.DataFrame:
    """The tanh rows the claim judges: those of AlexNet's four-layer CNN where the table has
    them, else every model's."""
    tanh = r[(r["activation"] == "tanh") & np.isfinite(r["ratio_mean"])]
    faithful = tanh[tanh["model"] == ALEXNET_MODEL]
    return faithful if not faithful.empty else tanh


def _speed_label(row) -> str:
    target = getattr(row, "target", math.nan)
    return f"{row.model}" + (f" to {100 * target:g}%" if np.isfinite(target) else "")


@register(TRAINING_SPEED)
def claim_training_speed(t: Tables) -> Claim:
    """ReLU networks train several times faster than tanh (AlexNet: 6x).

    Source: Krizhevsky, Sutskever & Hinton (2012) NeurIPS, Fig. 1 (a four-layer ReLU CNN
    reached 25% training error on CIFAR-10 six times faster than tanh).

    Measured: from ``training_speed/ratios.csv``, per model and training-error target, tanh's
    epochs to the target over ReLU's (paired by seed, each unit at its own learning rate; mean
    ± sd, range, censored pairs that never reached the target), and the other units' ratios.

    Verdict: judged on AlexNet's four-layer CNN (``model = "cnn4"``, on Fashion-MNIST here)
    where the table has it, at every target; else on every model. Not run if no tanh/ReLU pair
    reached a target; supported if tanh needs at least :data:`SEVERAL_TIMES` ReLU's epochs in
    every judged row; partly if more than :data:`FASTER` in some; not supported otherwise. The
    key number is the judged ratio at AlexNet's 25% target (else the largest mean ratio) with
    its t interval over the uncensored seeds.
    """
    r = t.require(
        "training_speed",
        "ratios",
        ["model", "activation", "n_seeds", "n_censored", "ratio_mean", "ratio_sd", "ratio_min",
         "ratio_max"],
    )  # fmt: skip
    if "target" not in r:
        r = r.assign(target=math.nan)
    tanh = r[(r["activation"] == "tanh") & np.isfinite(r["ratio_mean"])]
    parts = []
    for row in tanh.itertuples():
        d = spread_digits(row.ratio_sd)
        sd = "" if not np.isfinite(row.ratio_sd) else f" ± {row.ratio_sd:.{d}f}"
        parts.append(
            f"{_speed_label(row)}: tanh needs {row.ratio_mean:.{d}f}{sd}x ReLU's epochs "
            f"(range {row.ratio_min:.{d}f}-{row.ratio_max:.{d}f}, {row.n_seeds} seeds, "
            f"{row.n_censored} censored)"
        )
    for row in r[~r["activation"].isin(["tanh", "relu"])].itertuples():
        ratio = (
            f"{row.ratio_mean:.2f}x ({row.n_censored}/{row.n_seeds} seeds censored)"
            if np.isfinite(row.ratio_mean)
            else "never reached the target (censored)"
        )
        parts.append(f"{_speed_label(row)} {row.activation}: {ratio}")
    measured = "; ".join(parts) or "-"
    judged = _speed_rows(r)
    if judged.empty:
        why = "no tanh/ReLU pair of runs both reached the target error"
        return TRAINING_SPEED.result(measured, NOT_RUN, why)
    verdict, why = _speed_verdict(judged)
    if judged["n_censored"].sum():  # a run that never reached a target: its pair has no ratio
        left_out = [
            f"{row.n_censored}/{row.n_seeds} ({_speed_label(row)})"
            for row in judged.itertuples()
            if row.n_censored
        ]
        why += f"; seed pairs left out, a run never reaching the target: {', '.join(left_out)}"
    at_target = judged[np.isclose(judged["target"], ALEXNET_TARGET)]
    best = (at_target if not at_target.empty else judged).sort_values("ratio_mean").iloc[-1]
    ratio = mean_interval_from_stats(
        best["ratio_mean"], best["ratio_sd"], best["n_seeds"] - best["n_censored"]
    )
    return TRAINING_SPEED.result(
        measured,
        verdict,
        why,
        quantity=f"epochs to target, tanh over ReLU ({_speed_label(best)})",
        value=ratio.value,
        low=ratio.low,
        high=ratio.high,
        paper_value=KRIZHEVSKY_2012_SPEEDUP,
        unit="x",
    )


def _speed_verdict(judged: pd.DataFrame) -> tuple[str, str]:
    """Verdict and why from the judged tanh rows (:func:`_speed_rows`)."""
    speedups = judged["ratio_mean"].to_numpy(dtype=float)
    labels = [_speed_label(row) for row in judged.itertuples()]
    alexnet = (judged["model"] == ALEXNET_MODEL).all()
    where = "AlexNet's four-layer CNN" if alexnet else "every model"
    if np.all(speedups >= SEVERAL_TIMES):
        return SUPPORTED, f"ReLU reaches the target errors in several times fewer epochs ({where})"
    if np.any(speedups > FASTER):
        faster = [lab for lab, x in zip(labels, speedups, strict=True) if x > FASTER]
        slower = [lab for lab, x in zip(labels, speedups, strict=True) if x <= FASTER]
        why = (
            f"ReLU is faster than tanh for the {', '.join(faster)} "
            f"(mean ratio {np.max(speedups):.1f}x at best, not AlexNet's 6x)"
        )
        if slower:
            why += f", but not for the {', '.join(slower)}"
        return PARTLY, why
    why = (
        f"with each unit's own learning rate, tanh needed {np.min(speedups):.2f}-"
        f"{np.max(speedups):.2f}x ReLU's epochs to the target ({where}, not AlexNet's 6x)"
    )
    return NOT_SUPPORTED, why


@dataclass(frozen=True)
class PretrainingGain:
    """Test error (points) removed by one kind of pre-training, for one data set and unit."""

    dataset: str
    activation: str
    pretrain: str
    gain: Estimate


_TABLE1_COLUMNS = ["dataset", "activation", "pretrain", "test_error_pct_mean",
                   "test_error_pct_sd", "n"]  # fmt: skip


def pretraining_gain_estimates(table: pd.DataFrame, level: float = 0.95) -> list[PretrainingGain]:
    """Per data set x activation x pre-training kind, the error without minus with pre-training.

    ``table`` is ``glorot_table1/table1.csv`` (columns ``dataset``, ``activation``,
    ``pretrain`` with "none" for no pre-training, ``test_error_pct_mean``,
    ``test_error_pct_sd``, ``n``). Each gain is a Welch difference of two means from their
    summary statistics (:func:`neuroact.stats.welch_difference_from_stats`); with fewer than two
    seeds on a side it has no interval.
    """
    missing = [c for c in _TABLE1_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"table must have columns {_TABLE1_COLUMNS}; missing {missing}")
    gains = []
    for (ds, act), g in table.groupby(["dataset", "activation"], sort=False):
        base = g[g["pretrain"] == "none"]
        if base.empty:
            continue
        a = base.iloc[0]
        for _, b in g[g["pretrain"] != "none"].iterrows():
            est = welch_difference_from_stats(
                a["test_error_pct_mean"], a["test_error_pct_sd"], a["n"],
                b["test_error_pct_mean"], b["test_error_pct_sd"], b["n"], level,
            )  # fmt: skip
            gains.append(PretrainingGain(ds, act, b["pretrain"], est))
    return gains


def pretraining_gains(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """:func:`pretraining_gain_estimates` as a table: ``gain_pct`` (points of test error removed
    by pre-training), ``gain_se_pct`` (Welch SE), ``df`` (Welch-Satterthwaite), ``ci_low`` and
    ``ci_high`` (the ``level`` t interval; NaN with fewer than two seeds on a side), ``p_value``
    and ``note`` (why there is no interval, if none)."""
    rows = [
        dict(dataset=g.dataset, activation=g.activation, pretrain=g.pretrain,
             gain_pct=g.gain.value, gain_se_pct=g.gain.se, df=g.gain.df, ci_low=g.gain.low,
             ci_high=g.gain.high, p_value=g.gain.p_value, note=g.gain.reason)
        for g in pretraining_gain_estimates(table, level)
    ]  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["dataset", "activation", "pretrain", "gain_pct", "gain_se_pct", "df", "ci_low",
                 "ci_high", "p_value", "note"],
    )  # fmt: skip


PRETRAINING = Statement(
    "Rectifier networks without pre-training match pre-trained ones",
    "Glorot, Bordes & Bengio 2011, Table 1 (MNIST: 1.43% without, 1.20% with)",
    ("glorot_table1",),
)


def _paper_error(pretrained: bool) -> float:
    """The paper's MNIST test error of the rectifier network (%), whatever key names it."""
    errors = {(canonical(k), p): v for (k, p), v in GLOROT_2011_TABLE1_MNIST.items()}
    return errors.get(("relu", pretrained), math.nan)


@register(PRETRAINING)
def claim_pretraining(t: Tables) -> Claim:
    """Rectifier networks without pre-training match pre-trained ones.

    Source: Glorot, Bordes & Bengio (2011) AISTATS, Table 1 (MNIST, 3 x 1000 units: 1.43%
    without, 1.20% with denoising-autoencoder pre-training).

    Measured: from ``glorot_table1/table1.csv``, ReLU's test error with and without
    pre-training (mean ± sd over seeds) and, for every unit, the error pre-training removes,
    as a Welch difference of means with its SE and 95% t interval.

    Verdict: judged on the upper end of ReLU's interval. "n too small" when no ReLU gain has an
    interval (fewer than two seeds on a side). Supported if pre-training removes at most
    :data:`PRETRAINING_MATCH_PCT` points (upper bound) and clearly more for every other unit
    (more than :data:`PEER_SE_MULTIPLE` combined SEs above ReLU's gain); partly if the bound
    holds but another unit gains as little, or if the gain is under
    :data:`PRETRAINING_SMALL_PCT`; not supported otherwise.
    """
    tab = t.require("glorot_table1", "table1", _TABLE1_COLUMNS)
    gains = pretraining_gain_estimates(tab)
    measured = _pretraining_text(tab, gains)
    mine = [g for g in gains if g.activation == "relu"]
    if not mine:
        why = "needs ReLU runs with and without pre-training in glorot_table1/table1.csv"
        return PRETRAINING.not_run(why, measured)
    judged = [g for g in mine if g.gain.has_interval]
    if not judged:
        g = mine[0]
        why = (
            f"pre-training removes {g.gain.value:+.2f} points of ReLU's error, but with "
            f"{g.gain.reason}: {TOO_FEW}; judging it needs at least 2 seeds per setting"
        )
        return PRETRAINING.result(measured, N_TOO_SMALL, why, **_gain_numbers(g))
    verdict, why = _judge_pretraining(judged, gains)
    return PRETRAINING.result(measured, verdict, why, **_gain_numbers(judged[0]))


def _pretraining_text(tab: pd.DataFrame, gains: list[PretrainingGain]) -> str:
    """ReLU's errors with and without pre-training (mean ± sd, the paper's beside them), then
    every unit's gain with its SE and interval."""
    parts = []
    paper = {False: _paper_error(False), True: _paper_error(True)}
    for row in tab[tab["activation"] == "relu"].itertuples():
        ref = paper[row.pretrain != "none"]
        d = spread_digits(row.test_error_pct_sd)
        sd = "" if not np.isfinite(row.test_error_pct_sd) else f" ± {row.test_error_pct_sd:.{d}f}"
        ref = f" (paper {ref:.2f}%)" if np.isfinite(ref) and row.dataset == "mnist" else ""
        parts.append(
            f"{row.dataset} {row.pretrain}: {row.test_error_pct_mean:.{d}f}{sd}% (mean ± sd, "
            f"n={row.n}){ref}"
        )
    several = len({g.dataset for g in gains}) > 1
    if gains:
        parts.append(
            "error removed by pre-training (points, ± SE): "
            + "; ".join(
                f"{g.dataset + ' ' if several else ''}{g.activation} {g.gain.text(signed=True)}"
                for g in gains
            )
        )
    return "; ".join(parts) or "-"


def _judge_pretraining(
    judged: list[PretrainingGain], gains: list[PretrainingGain]
) -> tuple[str, str]:
    """Verdict and why from ReLU's gains with intervals (``judged``) and the other units'."""
    upper = max(g.gain.high for g in judged)
    # the paper's contrast: rectifiers need pre-training less than the other units do
    peers = [
        (r, o)
        for r in judged
        for o in gains
        if o.activation != "relu" and (o.dataset, o.pretrain) == (r.dataset, r.pretrain)
    ]
    # a peer without an interval cannot be told apart from ReLU: it is named, not compared
    unknown = list(dict.fromkeys(o.activation for _, o in peers if not o.gain.has_interval))
    compared = [(r, o) for r, o in peers if o.gain.has_interval]
    alike = [
        o.activation
        for r, o in compared
        if o.gain.value - r.gain.value <= PEER_SE_MULTIPLE * math.hypot(o.gain.se, r.gain.se)
    ]
    if upper <= PRETRAINING_MATCH_PCT and not alike:
        verdict = SUPPORTED
        why = f"pre-training removes at most {upper:.2f} points of ReLU's error (upper 95% bound)"
        if compared:
            why += ", clearly less than it removes for the other units"
        if unknown:
            why += f"; {', '.join(unknown)}: {TOO_FEW} to compare with"
    elif upper <= PRETRAINING_MATCH_PCT:
        verdict = PARTLY
        why = (
            f"pre-training removes at most {upper:.2f} points of ReLU's error (upper 95% "
            f"bound), but no less than for {', '.join(dict.fromkeys(alike))}: the advantage is "
            "not specific to rectifiers here"
        )
    elif max(g.gain.value for g in judged) <= PRETRAINING_SMALL_PCT:
        verdict = PARTLY
        why = f"pre-training may still help ReLU by up to {upper:.2f} points (upper 95% bound)"
    else:
        verdict = NOT_SUPPORTED
        why = f"pre-training helps ReLU by {max(g.gain.value for g in judged):.2f} points"
    return verdict, why


def _gain_numbers(g: PretrainingGain) -> dict:
    """The key numbers of the pre-training claim: ReLU's gain, its interval, the paper's."""
    on_mnist = g.dataset == "mnist"
    return dict(
        quantity=f"test error removed by {g.pretrain} pre-training, ReLU, {g.dataset}",
        value=g.gain.value,
        low=g.gain.low,
        high=g.gain.high,
        paper_value=_paper_error(False) - _paper_error(True) if on_mnist else math.nan,
        unit="points",
    )
