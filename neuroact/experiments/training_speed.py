"""Does ReLU train faster? Epochs and wall time to target training errors, per activation.

Krizhevsky, Sutskever & Hinton (2012, Fig. 1): a four-layer ReLU CNN reached 25% training error
on CIFAR-10 six times faster than the same network with tanh units, "the learning rates for each
network were chosen independently to make training as fast as possible", no regularisation.

Here, three networks (:mod:`neuroact.ann.models`):

* ``cnn4``, the faithful test: AlexNet's four-layer CNN (three 5x5 convolutions and a fully
  connected read-out, no normalisation layers; channels ``cnn4_widths``) on Fashion-MNIST, the
  harder data set here, to each of ``cnn4_targets`` (25%, AlexNet's, then 15% and 10%);
* ``mlp`` and ``cnn``, the earlier rows: the 3 x 1000 MLP and a small CNN on MNIST to
  ``target`` (3%).

1. Learning-rate search (seed ``search_seed``): every activation x model x rate of the model's
   grid is trained with momentum SGD at a constant rate for the full budget; each activation
   gets the rate of lowest validation error at the end (``lr_rule="validation"``, a choice
   blind to the speed being measured), or, with ``lr_rule="speed"``, AlexNet's rule: the rate
   that reaches the lowest target it can in the fewest epochs.
2. Seeds: the chosen rate is trained again with ``seeds``. The search seed is not among them:
   the search winner is, by selection, a run that happened to be fast (winner's curse).

Epochs to target: the training error after each epoch is that of the end-of-epoch weights on
the first ``train_eval_size`` training examples (``train_eval_error`` of
:mod:`neuroact.ann.train`; epoch 0 is the untrained network). The running error over an
epoch's mini-batches would lag the weights by about half an epoch and pull every ratio toward
1. The crossing of a target is interpolated linearly in log(error) between the last epoch
above and the first at or below it; a run that never reaches it is censored
(``reached = False``, epochs = inf). Wall time to target interpolates the cumulative
training-step seconds the same way (noisy on a shared CPU; the epochs are the robust measure),
and CPU time to target the cumulative CPU seconds of the steps (one torch thread: the cost on
an idle core, robust to the load).
An "epoch" is one pass over ``train_size`` examples, so a smaller ``train_size`` gives a finer
time resolution.

Speed-up: per model, target and seed, ``epochs_to_target(activation) /
epochs_to_target(relu)``; reported as mean, sd, min and max over seeds with the Student t 95%
interval of the mean (``ratios.csv``; :func:`neuroact.stats.mean_interval`).

Tables: ``lr_search.csv`` (one row per search run and target), ``chosen_lr.csv``,
``curves.csv`` (training error per epoch of the chosen-rate runs), ``runs.csv`` (epochs and
seconds to each target per run), ``ratios.csv``; figures ``training_speed.png`` (the MNIST
rows) and ``training_speed_cnn4.png`` (the four-layer CNN).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from neuroact.ann.models import MODELS
from neuroact.ann.train import TrainConfig
from neuroact.experiments._training import ExperimentRun, RunOptions, check_config
from neuroact.results import RunFolder
from neuroact.stats import mean_interval

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
    cols = ["job", "dataset", "model", "activation", "lr", "seed", "epoch", "train_error"]
    cols += ["val_error", "train_seconds", "train_cpu_seconds"]
    extra = [c for c in ("train_eval_error", "val_error_full", "diverged") if c in history]
    curves = history.drop_duplicates(["job", "epoch"])[cols + extra].sort_values(["job", "epoch"])
    curves = curves.rename(columns={"train_error": "running_train_error"})
    evaluated = "train_eval_error" in curves
    curves["train_error"] = (
        curves.pop("train_eval_error") if evaluated else curves["running_train_error"]
    )
    curves["cum_train_seconds"] = curves.groupby("job")["train_seconds"].cumsum()
    curves["cum_train_cpu_seconds"] = curves.groupby("job")["train_cpu_seconds"].cumsum()
    return curves.reset_index(drop=True)


def _final_val_error(run: pd.DataFrame) -> float:
    """The run's last validation error, on the full validation set where it was measured."""
    last = run.iloc[-1]
    full = last.get("val_error_full", math.nan)
    return float(full if pd.notna(full) else last["val_error"])


def runs_table(curves: pd.DataFrame, targets: dict[str, tuple[float, ...]]) -> pd.DataFrame:
    """Epochs and seconds to each of the model's ``targets`` (``{model: targets}``) per run."""
    rows = []
    for job, g in curves.groupby("job", sort=False):
        first = g.iloc[0]
        epochs, errors = g["epoch"], g["train_error"]
        for target in targets[first["model"]]:
            ep, sec = time_to_target(epochs, errors, g["cum_train_seconds"], target)
            _, cpu = time_to_target(epochs, errors, g["cum_train_cpu_seconds"], target)
            rows.append(
                {
                    "job": job,
                    "dataset": first["dataset"],
                    "model": first["model"],
                    "activation": first["activation"],
                    "lr": first["lr"],
                    "seed": int(first["seed"]),
                    "target": float(target),
                    "epochs_to_target": ep,
                    "seconds_to_target": sec,
                    "cpu_seconds_to_target": cpu,
                    "reached": bool(np.isfinite(ep)),
                    "diverged": bool(g["diverged"].iloc[0]) if "diverged" in g else False,
                    "final_train_error": float(g["train_error"].iloc[-1]),
                    "final_val_error": _final_val_error(g),
                    "seconds_per_epoch": float(g.loc[g.epoch > 0, "train_seconds"].mean()),
                }
            )
    return pd.DataFrame(rows)


LR_RULES = ("validation", "speed")


def choose_lr(search: pd.DataFrame, rule: str = "validation") -> pd.DataFrame:
    """Per model x activation, the chosen learning rate of the search.

    ``rule="validation"``: the lowest validation error at the end of the search run among
    the runs that did not diverge; the choice does not look at the speed being measured.
    ``rule="speed"`` (AlexNet's "as fast as possible"): the rate that reaches the lowest target
    it can in the fewest epochs; among rates that reach none (or tie), the lowest final
    training error among the runs that did not diverge. One row per model x activation: the
    chosen run's row at its hardest target reached (at its first target if it reached none).
    """
    if rule not in LR_RULES:
        raise ValueError(f"rule must be one of {list(LR_RULES)}; got {rule!r}")
    search = search.assign(target=search["target"] if "target" in search else math.nan)
    if rule == "validation":
        first = search.sort_values("target", ascending=False).groupby(
            ["model", "activation", "lr"], sort=False
        )
        ranked = first.head(1).sort_values(["diverged", "final_val_error", "final_train_error"])
        return ranked.groupby(["model", "activation"], sort=False).head(1).reset_index(drop=True)
    run = ["model", "activation", "lr"]  # a search run (one seed)
    reached = search[np.isfinite(search["epochs_to_target"])]
    hardest = reached.sort_values("target").groupby(run, sort=False).head(1)
    rest = search.drop(index=hardest.index)
    rest = rest[~rest.set_index(run).index.isin(hardest.set_index(run).index)]
    per_run = pd.concat([hardest, rest.groupby(run, sort=False).head(1)])
    per_run["hardest_reached"] = per_run["target"].where(
        np.isfinite(per_run["epochs_to_target"]), np.inf
    )
    ranked = per_run.sort_values(
        ["hardest_reached", "epochs_to_target", "diverged", "final_train_error"]
    )
    chosen = ranked.groupby(["model", "activation"], sort=False).head(1)
    return chosen.reset_index(drop=True)


def ratio_table(runs: pd.DataFrame, reference: str = "relu") -> pd.DataFrame:
    """Per model, target and activation: epochs (and seconds) to target relative to
    ``reference``, paired by seed; mean, sd, min, max and the t 95% interval of the mean over
    seeds, and how many pairs were censored (either run never reached the target)."""
    rows = []
    if "target" not in runs:
        runs = runs.assign(target=math.nan)
    for (model, target), g in runs.groupby(["model", "target"], sort=False, dropna=False):
        ref = g[g["activation"] == reference].set_index("seed")
        for act, h in g.groupby("activation", sort=False):
            h = h.set_index("seed")
            seeds = h.index.intersection(ref.index)
            a_ep = h.loc[seeds, "epochs_to_target"].to_numpy(dtype=float)
            b_ep = ref.loc[seeds, "epochs_to_target"].to_numpy(dtype=float)
            a_s = h.loc[seeds, "seconds_to_target"].to_numpy(dtype=float)
            b_s = ref.loc[seeds, "seconds_to_target"].to_numpy(dtype=float)
            cpu = "cpu_seconds_to_target" in h
            a_c = h.loc[seeds, "cpu_seconds_to_target"].to_numpy(float) if cpu else a_s * np.nan
            b_c = ref.loc[seeds, "cpu_seconds_to_target"].to_numpy(float) if cpu else b_s * np.nan
            # A pair is censored when either run never reached the target: its ratio is unknown
            # (not 0, not inf), so it is counted, not averaged.
            both = np.isfinite(a_ep) & np.isfinite(b_ep)
            r_ep, r_s, r_c = a_ep[both] / b_ep[both], a_s[both] / b_s[both], a_c[both] / b_c[both]
            interval = mean_interval(r_ep) if r_ep.size else None
            rows.append(
                {
                    "model": model,
                    "dataset": h["dataset"].iloc[0] if "dataset" in h else "",
                    "target": float(target),
                    "activation": act,
                    "reference": reference,
                    "lr": float(h["lr"].iloc[0]),
                    "n_seeds": int(len(seeds)),
                    "n_censored": int((~both).sum()),
                    "epochs_mean": float(h["epochs_to_target"].mean()),
                    "seconds_mean": float(h["seconds_to_target"].mean()),
                    "ratio_mean": float(np.mean(r_ep)) if r_ep.size else math.nan,
                    "ratio_sd": float(np.std(r_ep, ddof=1)) if r_ep.size > 1 else math.nan,
                    "ratio_min": float(np.min(r_ep)) if r_ep.size else math.nan,
                    "ratio_max": float(np.max(r_ep)) if r_ep.size else math.nan,
                    "ratio_ci_low": interval.low if interval else math.nan,
                    "ratio_ci_high": interval.high if interval else math.nan,
                    "seconds_ratio_mean": float(np.mean(r_s)) if r_s.size else math.nan,
                    "cpu_seconds_mean": float(np.mean(a_c[np.isfinite(a_c)]))
                    if np.isfinite(a_c).any()
                    else math.nan,
                    "cpu_seconds_ratio_mean": float(np.mean(r_c)) if r_c.size else math.nan,
                }
            )
    return pd.DataFrame(rows)


# The template of every run: momentum SGD at a constant rate, a bare loop (no probes: the timing
# is the point), the end-of-epoch error on the first 2,500 training examples (SE 0.34 points
# at 3%), the per-epoch validation error on 500 images (the full set decides the rate, once at
# the end): under 15% of an epoch of 10,000 images together (benchmarks/RESULTS.md).
SPEED_RUN = TrainConfig(
    lr_schedule="constant",
    probes=False,
    epochs=15,
    train_size=10000,
    train_eval_size=2500,
    val_size=500,
)


@dataclass
class Config:
    """Models x activations x learning rates (search), then seeds at the chosen rate.

    ``train`` is the template of every run (its model, widths, activation, lr and seed are set
    per run; default :data:`SPEED_RUN`). ``mlp_widths``, ``cnn_widths`` and ``cnn4_widths`` are
    the hidden sizes of the ``models``; the ``mlp`` and ``cnn`` run on ``train.dataset`` with
    ``activations``, ``lr_grid`` and ``target``; the ``cnn4`` (AlexNet's four-layer CNN) on
    ``cnn4_dataset`` with ``cnn4_activations``, ``cnn4_lr_grid``, ``cnn4_targets``,
    ``cnn4_epochs`` and ``cnn4_train_eval_size`` (a convolution's forward pass costs about 0.8
    of a training step per image here, an MLP's 0.26: a smaller training subset keeps the
    evaluation under 15% of an epoch). ``eval_limit`` evaluates on only the first
    ``eval_limit`` validation and test images.
    """

    models: tuple[str, ...] = ("mlp", "cnn", "cnn4")
    mlp_widths: tuple[int, ...] = (1000, 1000, 1000)
    cnn_widths: tuple[int, ...] = (16, 32, 128)
    cnn4_widths: tuple[int, ...] = (16, 16, 32)
    activations: tuple[str, ...] = ("relu", "tanh", "sigmoid", "softplus")
    lr_grid: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    target: float = 0.03
    cnn4_dataset: str = "fashion-mnist"
    cnn4_activations: tuple[str, ...] = ("relu", "tanh")
    cnn4_lr_grid: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3)
    cnn4_targets: tuple[float, ...] = (0.25, 0.15, 0.10)
    cnn4_epochs: int = 15
    cnn4_train_eval_size: int = 1000
    search_seed: int = 0
    seeds: tuple[int, ...] = (1, 2, 3)
    lr_rule: str = "validation"
    train: TrainConfig = field(default_factory=lambda: dataclasses.replace(SPEED_RUN))
    eval_limit: int | None = 2000


PROFILES = {
    # the small CNN's rows are left to the full profile: the four-layer CNN runs the same
    # convolutional code paths, and the quick profile's time is mostly convolutions
    "quick": Config(
        models=("mlp", "cnn4"),
        mlp_widths=(100, 100),
        cnn_widths=(4, 8, 32),
        cnn4_widths=(4, 4, 8),
        activations=("relu", "tanh", "sigmoid"),
        lr_grid=(0.01, 0.1),
        target=0.25,
        cnn4_dataset="mnist-subset",  # offline: the MNIST subset shipped in the package
        cnn4_lr_grid=(0.03, 0.1),
        cnn4_targets=(0.5, 0.3),
        cnn4_epochs=3,
        cnn4_train_eval_size=1000,
        seeds=(1, 2),
        train=dataclasses.replace(
            SPEED_RUN,
            dataset="mnist-subset",  # offline: the MNIST subset shipped in the package
            epochs=3,
            batch_size=50,
            train_size=1000,
            train_eval_size=1000,
            val_size=500,
            threads=1,
        ),
        eval_limit=1000,
    ),
    # MNIST rows: 10 epochs of 10,000 images, rates up to 0.3 (tanh's best rate sat at the top
    # of a grid ending at 0.1). The four-layer CNN: 15 epochs of 10,000 Fashion-MNIST images,
    # channels halved from AlexNet's (32, 32, 64) to fit 2 cores.
    "full": Config(lr_grid=(0.01, 0.03, 0.1, 0.3), train=dataclasses.replace(SPEED_RUN, epochs=10)),
}


def targets(config: Config) -> dict[str, tuple[float, ...]]:
    """``{model: its training-error targets}``."""
    return {m: tuple(config.cnn4_targets) if m == "cnn4" else (config.target,) for m in MODELS}


def grid(config: Config, model: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The activations and learning rates searched for ``model``."""
    if model == "cnn4":
        return tuple(config.cnn4_activations), tuple(config.cnn4_lr_grid)
    return tuple(config.activations), tuple(config.lr_grid)


def network(config: Config, model: str, activation: str, lr: float, seed: int):
    """``(job key, TrainConfig)`` of one run: ``model`` with ``activation`` at rate ``lr``."""
    widths = {"mlp": config.mlp_widths, "cnn": config.cnn_widths, "cnn4": config.cnn4_widths}
    changes = {
        "dataset": config.cnn4_dataset,
        "epochs": config.cnn4_epochs,
        "train_eval_size": config.cnn4_train_eval_size,
    }
    net = dataclasses.replace(
        config.train,
        model=model,
        widths=tuple(widths[model]),
        activation=activation,
        lr=float(lr),
        seed=int(seed),
        **(changes if model == "cnn4" else {}),
    )
    return f"{model}_{net.activation}_lr={lr:g}_s{seed}", net


def _check(config: Config) -> None:
    check_config(config, Config)
    if config.search_seed in config.seeds:
        raise ValueError(
            f"seeds must not include search_seed ({config.search_seed}): the search winner is a "
            f"selected, fast run; got seeds={tuple(config.seeds)}"
        )
    if config.lr_rule not in LR_RULES:
        raise ValueError(f"lr_rule must be one of {list(LR_RULES)}; got {config.lr_rule!r}")
    for name, values in (("target", (config.target,)), ("cnn4_targets", config.cnn4_targets)):
        if not values or not all(isinstance(v, int | float) and 0 < v < 1 for v in values):
            raise ValueError(f"{name} must be training errors in (0, 1); got {values!r}")


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Learning-rate search, then the seeds at each activation's chosen rate (resumable)."""
    _check(config)
    search_nets = [
        network(config, m, a, lr, config.search_seed)
        for m in config.models
        for a, lr in itertools.product(*grid(config, m))
    ]  # checks every search run before anything is written
    run = ExperimentRun.open(config, Config, out, **options)
    goals = targets(config)

    def train(nets: list[tuple[str, TrainConfig]], desc: str) -> pd.DataFrame:
        # a rate that diverges is a result of the search; no checkpoints for short runs
        options = dict(eval_limit=config.eval_limit, diverged_ok=True, checkpoint=False)
        return run.train(dict(nets), group="runs", desc=desc, **options)

    search = runs_table(run_curves(train(search_nets, "training_speed lr search")), goals)
    chosen = choose_lr(search, config.lr_rule)
    run.folder.write_table("lr_search", search)
    run.folder.write_table("chosen_lr", chosen)
    nets = [
        network(config, r.model, r.activation, r.lr, s)
        for r in chosen.itertuples()
        for s in config.seeds
    ]
    curves = run_curves(train(nets, "training_speed seeds"))
    runs = runs_table(curves, goals)
    run.folder.write_table("curves", curves)
    run.folder.write_table("runs", runs)
    run.folder.write_table("ratios", ratio_table(runs))
    return run.finish(draw, seed=config.search_seed)


def draw(run: RunFolder) -> list[Path]:
    """``training_speed.png`` (the MNIST models at ``target``) and ``training_speed_cnn4.png``
    (the four-layer CNN, one ratio per target, the lowest target dashed)."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann_claims, save

    config = run.read_json("config")
    curves, ratios = run.read_table("curves"), run.read_table("ratios")
    paths = []
    small = curves["model"] != "cnn4"
    if small.any():
        fig = ann_claims.training_speed(
            curves[small], ratios[ratios["model"] != "cnn4"], config["target"]
        )
        paths += save(fig, run.path / "training_speed")
    if (~small).any():
        cnn4 = ratios[ratios["model"] == "cnn4"]
        # one ratio row per target: the target goes into the row's label
        cnn4 = cnn4.assign(model=[f"cnn4 to {100 * t:g}%" for t in cnn4["target"]])
        fig = ann_claims.training_speed(curves[~small], cnn4, float(min(config["cnn4_targets"])))
        paths += save(fig, run.path / "training_speed_cnn4")
    return paths
