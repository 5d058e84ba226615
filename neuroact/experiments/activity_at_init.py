"""Fraction of active hidden units at initialisation and after training, per activation.

The claims checked: sigmoid (and tanh) networks are "about half active" (a dense code), while a
rectifier network starts with about 50% of its units at exactly zero (zero-mean weights,
symmetric pre-activations) and ends sparser (Glorot, Bordes & Bengio 2011, Sec. 3).

For each activation x init x seed an MLP is trained (:mod:`neuroact.ann.train`); the probes
measure every hidden layer on the same validation images at epoch 0 (init) and at the last epoch
(trained), in both views (:mod:`neuroact.ann.probes`):

output view
    ``frac_active_output = 1 - frac_zero``: units not at exactly 0 (rectifiers) or not within
    ``eps = 0.01`` of the 99th percentile of ``|a|`` from zero (smooth units);
input view
    ``frac_active_input``: pre-activation > 0 (sigmoid: output above 1/2).

Learning rates: every unit trains at ``train.lr`` except those in ``unit_lr``. Softplus gets a
smaller one (0.01 instead of 0.05): its units output ln 2 = 0.69 at zero input, so every hidden
layer hands the next one large, all-positive activations, and the gradient norm at Xavier init is
about 20 times ReLU's (22 against 1.2 in the full profile's 3 x 1000 MLP). At lr 0.05 with momentum
0.9 the first few steps overshoot (cross-entropy 3.7 -> 23 in four steps) and the network falls to
a constant output (loss ln 10, test error 88.65%: every image called a 1, the commonest digit)
that it never leaves; at 0.01 the loss falls steadily from the first step. The trained-stage
rows of a network at chance would describe a network that never learned, not a trained one.

Tables: ``history.csv`` (network x epoch x layer), ``activity.csv`` (network x stage x layer:
both views, dead fraction, population/lifetime sparseness), ``summary.csv`` (mean over layers
and seeds per activation x init x stage); figure ``activity_at_init.png``.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

import pandas as pd

from neuroact.ann.train import TrainConfig
from neuroact.experiments._training import (
    QUICK_TRAIN,
    ExperimentRun,
    RunOptions,
    check_config,
    spread,
)
from neuroact.results import RunFolder
from neuroact.vocabulary import canonical

COLUMNS = (
    "frac_active_output",
    "frac_active_input",
    "frac_zero",
    "frac_zero_eps",
    "dead_frac",
    "population_sparseness",
    "lifetime_sparseness",
    "saturation_frac",
    "mean_activation",
)


def activity_table(history: pd.DataFrame) -> pd.DataFrame:
    """Hidden-layer rows at epoch 0 (``stage = "init"``) and the last epoch (``"trained"``)."""
    hidden = history[history["layer_kind"] == "hidden"]
    last = hidden.groupby("job")["epoch"].transform("max")
    parts = []
    for stage, mask in (("init", hidden["epoch"] == 0), ("trained", hidden["epoch"] == last)):
        part = hidden.loc[
            mask, ["job", "activation", "init", "seed", "epoch", "layer", "test_error", *COLUMNS]
        ].copy()
        part.insert(1, "stage", stage)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@dataclass
class Config:
    """Activations x inits x seeds, one MLP each, with the settings of the ``train`` template
    (its activation, init and seed are set per network); ``eval_limit`` evaluates on only the
    first ``eval_limit`` validation and test images (None = all). ``unit_lr``: learning rates
    that replace ``train.lr`` for the units named (module docstring)."""

    activations: tuple[str, ...] = ("relu", "softplus", "tanh", "sigmoid", "leaky_relu")
    inits: tuple[str, ...] = ("xavier", "he", "torch")
    seeds: tuple[int, ...] = (0, 1, 2)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=5, train_size=20000))
    eval_limit: int | None = None
    unit_lr: dict = field(default_factory=lambda: {"softplus": 0.01})


PROFILES = {
    "quick": Config(
        activations=("relu", "softplus", "tanh", "sigmoid"),
        inits=("xavier",),
        seeds=(0,),
        train=dataclasses.replace(QUICK_TRAIN, widths=(300, 300), epochs=3, batch_size=20),
        eval_limit=1000,
    ),
    "full": Config(
        activations=("relu", "softplus", "tanh", "sigmoid"), inits=("xavier", "he"), seeds=(0, 1)
    ),
}


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Train each network (resumable) and tabulate its activity at init and after training."""
    nets = networks(config)  # checks every network before anything is written
    run = ExperimentRun.open(config, Config, out, **options)
    history = run.train(nets, eval_limit=config.eval_limit, desc="activity_at_init")
    run.folder.write_table("history", history)
    activity = activity_table(history)
    run.folder.write_table("activity", activity)
    summary = spread(
        activity,
        ["activation", "init", "stage"],
        {c: c for c in ("frac_active_output", "frac_active_input", "dead_frac", "test_error")},
    )
    run.folder.write_table("summary", summary)
    return run.finish(draw)


def networks(config: Config) -> dict[str, TrainConfig]:
    """``{job key: TrainConfig}``: one network per activation x init x seed."""
    check_config(config, Config)
    if not isinstance(config.unit_lr, dict):
        raise TypeError(f"unit_lr must be a dict {{unit: lr}}; got {config.unit_lr!r}")
    unit_lr = {canonical(unit): lr for unit, lr in config.unit_lr.items()}
    out = {}
    for a, i, s in itertools.product(config.activations, config.inits, config.seeds):
        net = dataclasses.replace(config.train, activation=a, init=i, seed=int(s))
        # TrainConfig checks lr (a finite number > 0) and names the field if it is not
        lr = unit_lr.get(net.activation, net.lr)
        out[f"{a}_{i}_s{s}"] = dataclasses.replace(net, lr=lr)
    return out


def draw(run: RunFolder) -> list[Path]:
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann_claims, save

    fig = ann_claims.activity_at_init(run.read_table("activity"))
    return save(fig, run.path / "activity_at_init")
