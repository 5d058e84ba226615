"""Does ReLU train faster? Epochs and wall time to a target training error, per activation.

Krizhevsky, Sutskever & Hinton (2012, Fig. 1): a four-layer ReLU CNN reached 25% training error
on CIFAR-10 six times faster than the same network with tanh units, "the learning rates for each
network were chosen independently to make training as fast as possible", no regularisation.

Here, for an MLP and a small CNN (:mod:`neuroact.ann.models`) on MNIST (or Fashion-MNIST):

1. learning-rate search (seed ``search_seed``): every activation x model x learning rate of
   ``lr_grid`` is trained for ``epochs`` epochs with momentum SGD at a constant rate; the rate
   reaching the target in the fewest epochs wins (if none reaches it, the lowest final training
   error). This is AlexNet's rule: each activation with its own, best learning rate.
2. seeds: the chosen rate is trained again with ``seeds``. The search seed is not among them:
   the search winner is, by selection, a run that happened to be fast (winner's curse).

Epochs to target: the training error after each epoch is that of the end-of-epoch weights on
the first ``train_eval_size`` training examples (``train_eval_error`` of
:mod:`neuroact.ann.train`; epoch 0 is the untrained network). The running error over an
epoch's mini-batches would lag the weights by about half an epoch and pull every ratio toward
1. The crossing of ``target`` is interpolated linearly in log(error) between the last epoch
above and the first at or below it; a run that never reaches it is censored
(``reached = False``, epochs = inf). Wall time to
target interpolates the cumulative training-step seconds the same way (noisy on a shared CPU;
the epochs are the robust measure). An "epoch" is one pass over ``train_size`` examples, so a
smaller ``train_size`` gives a finer time resolution.

Speed-up: per model and seed, ``epochs_to_target(activation) / epochs_to_target(relu)``;
reported as mean, sd, min and max over seeds (``ratios.csv``).

Tables: ``lr_search.csv`` (one row per search run), ``chosen_lr.csv``, ``curves.csv`` (training
error per epoch of the chosen-rate runs), ``runs.csv`` (epochs and seconds to target per run),
``ratios.csv``; figure ``training_speed.png``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from neuroact.ann.train import TrainConfig
from neuroact.experiments._training import ExperimentRun, RunOptions, check_config
from neuroact.results import RunFolder

CHANCE_ERROR = 0.9


def time_to_target(epochs, errors, seconds, target: float) -> tuple[float, float]:
    """``(epochs, seconds)`` at which ``errors`` first reaches ``target`` (inf if never).

    ``epochs``/``errors``/``seconds``: per-epoch values in epoch order (epoch 0 = before training,
    its error taken as chance if missing; ``seconds`` cumulative training time). The crossing is
    interpolated linearly in ``log(error)`` between the two epochs that bracket it.
    """
    if not 0 < target < 1:
        raise ValueError(f"target must be a training error in (0, 1); got {target!r}")
    e = np.asarray(epochs, dtype=float)
    err = np.asarray(errors, dtype=float).copy()
    sec = np.asarray(seconds, dtype=float)
    err[(e == 0) & ~np.isfinite(err)] = CHANCE_ERROR
    hit = np.flatnonzero(err <= target)
    if hit.size == 0:
        return math.inf, math.inf
    i = int(hit[0])
    if i == 0:
        return float(e[0]), float(sec[0])
    lo, hi = np.log(max(err[i - 1], 1e-12)), np.log(max(err[i], 1e-12))
    frac = 1.0 if lo == hi else (lo - np.log(target)) / (lo - hi)
    return (
        float(e[i - 1] + frac * (e[i] - e[i - 1])),
        float(sec[i - 1] + frac * (sec[i] - sec[i - 1])),
    )


def run_curves(history: pd.DataFrame) -> pd.DataFrame:
    """One row per run x epoch: training error and cumulative training seconds.

    ``train_error`` is the end-of-epoch error on the fixed training subset
    (``train_eval_error``) where the history has it, else the running error over the epoch;
    ``running_train_error`` keeps the latter."""
    cols = ["job", "model", "activation", "lr", "seed", "epoch", "train_error", "train_seconds"]
    extra = [c for c in ("train_eval_error", "diverged") if c in history]
    curves = history.drop_duplicates(["job", "epoch"])[cols + extra].sort_values(["job", "epoch"])
    curves = curves.rename(columns={"train_error": "running_train_error"})
    evaluated = "train_eval_error" in curves
    curves["train_error"] = (
        curves.pop("train_eval_error") if evaluated else curves["running_train_error"]
    )
    curves["cum_train_seconds"] = curves.groupby("job")["train_seconds"].cumsum()
    return curves.reset_index(drop=True)


def runs_table(curves: pd.DataFrame, target: float) -> pd.DataFrame:
    """Epochs and seconds to ``target`` for each run."""
    rows = []
    for job, g in curves.groupby("job", sort=False):
        ep, sec = time_to_target(g["epoch"], g["train_error"], g["cum_train_seconds"], target)
        first = g.iloc[0]
        rows.append(
            {
                "job": job,
                "model": first["model"],
                "activation": first["activation"],
                "lr": first["lr"],
                "seed": int(first["seed"]),
                "epochs_to_target": ep,
                "seconds_to_target": sec,
                "reached": bool(np.isfinite(ep)),
                "diverged": bool(g["diverged"].iloc[0]) if "diverged" in g else False,
                "final_train_error": float(g["train_error"].iloc[-1]),
                "seconds_per_epoch": float(g.loc[g.epoch > 0, "train_seconds"].mean()),
            }
        )
    return pd.DataFrame(rows)


def choose_lr(search: pd.DataFrame) -> pd.DataFrame:
    """Per model x activation: the learning rate with the fewest epochs to target, else (none
    reached it) the lowest final training error among the runs that did not diverge."""
    ranked = search.sort_values(["epochs_to_target", "diverged", "final_train_error"])
    return ranked.groupby(["model", "activation"], sort=False).head(1).reset_index(drop=True)


def ratio_table(runs: pd.DataFrame, reference: str = "relu") -> pd.DataFrame:
    """Per model and activation: epochs (and seconds) to target relative to ``reference``, paired
    by seed; mean, sd, min, max over seeds, and how many runs of either never reached it."""
    rows = []
    for model, g in runs.groupby("model", sort=False):
        ref = g[g["activation"] == reference].set_index("seed")
        for act, h in g.groupby("activation", sort=False):
            h = h.set_index("seed")
            seeds = h.index.intersection(ref.index)
            a_ep = h.loc[seeds, "epochs_to_target"].to_numpy(dtype=float)
            b_ep = ref.loc[seeds, "epochs_to_target"].to_numpy(dtype=float)
            a_s = h.loc[seeds, "seconds_to_target"].to_numpy(dtype=float)
            b_s = ref.loc[seeds, "seconds_to_target"].to_numpy(dtype=float)
            # A pair is censored when either run never reached the target: its ratio is unknown
            # (not 0, not inf), so it is counted, not averaged.
            both = np.isfinite(a_ep) & np.isfinite(b_ep)
            r_ep, r_s = a_ep[both] / b_ep[both], a_s[both] / b_s[both]
            rows.append(
                {
                    "model": model,
                    "activation": act,
                    "reference": reference,
                    "lr": float(h["lr"].iloc[0]),
                    "n_seeds": int(len(seeds)),
                    "n_censored": int((~both).sum()),
                    "epochs_mean": float(h["epochs_to_target"].mean()),
                    "ratio_mean": float(np.mean(r_ep)) if r_ep.size else math.nan,
                    "ratio_sd": float(np.std(r_ep, ddof=1)) if r_ep.size > 1 else math.nan,
                    "ratio_min": float(np.min(r_ep)) if r_ep.size else math.nan,
                    "ratio_max": float(np.max(r_ep)) if r_ep.size else math.nan,
                    "seconds_ratio_mean": float(np.mean(r_s)) if r_s.size else math.nan,
                }
            )
    return pd.DataFrame(rows)


# The template of every run: momentum SGD at a constant rate, a bare loop (no probes: the timing
# is the point), the end-of-epoch error on the first ``train_eval_size`` training examples.
SPEED_RUN = TrainConfig(
    lr_schedule="constant", probes=False, epochs=15, train_size=10000, train_eval_size=10000
)


@dataclass
class Config:
    """Models x activations x learning rates (search), then seeds at the chosen rate.

    ``train`` is the template of every run (its model, widths, activation, lr and seed are set
    per run; default :data:`SPEED_RUN`). ``mlp_widths`` and
    ``cnn_widths`` are the hidden sizes of the two ``models``; ``target`` the training error to
    reach; ``eval_limit`` evaluates on only the first ``eval_limit`` validation and test images.
    """

    models: tuple[str, ...] = ("mlp", "cnn")
    mlp_widths: tuple[int, ...] = (1000, 1000, 1000)
    cnn_widths: tuple[int, ...] = (16, 32, 128)
    activations: tuple[str, ...] = ("relu", "tanh", "sigmoid", "softplus")
    lr_grid: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    target: float = 0.03
    search_seed: int = 0
    seeds: tuple[int, ...] = (1, 2, 3)
    train: TrainConfig = field(default_factory=lambda: dataclasses.replace(SPEED_RUN))
    eval_limit: int | None = 2000


PROFILES = {
    "quick": Config(
        models=("mlp", "cnn"),
        mlp_widths=(100, 100),
        cnn_widths=(4, 8, 32),
        activations=("relu", "tanh", "sigmoid"),
        lr_grid=(0.01, 0.1),
        target=0.25,
        seeds=(1, 2),
        train=dataclasses.replace(
            SPEED_RUN,
            dataset="mnist-subset",  # offline: the MNIST subset shipped in the package
            epochs=3,
            batch_size=50,
            train_size=1000,
            train_eval_size=1000,
            threads=1,
        ),
        eval_limit=1000,
    ),
    # 0.3 included: tanh's best rate sat at the top of a grid ending at 0.1
    "full": Config(lr_grid=(0.01, 0.03, 0.1, 0.3), train=dataclasses.replace(SPEED_RUN, epochs=10)),
}


def network(config: Config, model: str, activation: str, lr: float, seed: int):
    """``(job key, TrainConfig)`` of one run: ``model`` with ``activation`` at rate ``lr``."""
    widths = config.mlp_widths if model == "mlp" else config.cnn_widths
    net = dataclasses.replace(
        config.train,
        model=model,
        widths=tuple(widths),
        activation=activation,
        lr=float(lr),
        seed=int(seed),
    )
    return f"{model}_{net.activation}_lr={lr:g}_s{seed}", net


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Learning-rate search, then the seeds at each activation's chosen rate (resumable)."""
    check_config(config, Config)
    if config.search_seed in config.seeds:
        raise ValueError(
            f"seeds must not include search_seed ({config.search_seed}): the search winner is a "
            f"selected, fast run; got seeds={tuple(config.seeds)}"
        )
    grid = [
        network(config, m, a, lr, config.search_seed)
        for m in config.models
        for a in config.activations
        for lr in config.lr_grid
    ]  # checks every search run before anything is written
    run = ExperimentRun.open(config, Config, out, **options)

    def train(nets: list[tuple[str, TrainConfig]], desc: str) -> pd.DataFrame:
        # a rate that diverges is a result of the search; no checkpoints for short runs
        options = dict(eval_limit=config.eval_limit, diverged_ok=True, checkpoint=False)
        return run.train(dict(nets), group="runs", desc=desc, **options)

    search = runs_table(run_curves(train(grid, "training_speed lr search")), config.target)
    chosen = choose_lr(search)
    run.folder.write_table("lr_search", search)
    run.folder.write_table("chosen_lr", chosen)
    nets = [
        network(config, r.model, r.activation, r.lr, s)
        for r in chosen.itertuples()
        for s in config.seeds
    ]
    curves = run_curves(train(nets, "training_speed seeds"))
    runs = runs_table(curves, config.target)
    run.folder.write_table("curves", curves)
    run.folder.write_table("runs", runs)
    run.folder.write_table("ratios", ratio_table(runs))
    return run.finish(draw, seed=config.search_seed)


def draw(run: RunFolder) -> list[Path]:
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann_claims, save

    target = run.read_json("config")["target"]
    fig = ann_claims.training_speed(run.read_table("curves"), run.read_table("ratios"), target)
    return save(fig, run.path / "training_speed")
