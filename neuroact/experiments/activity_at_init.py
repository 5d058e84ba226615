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

Tables: ``history.csv`` (network x epoch x layer), ``activity.csv`` (network x stage x layer:
both views, dead fraction, population/lifetime sparseness), ``summary.csv`` (mean over layers
and seeds per activation x init x stage); figure ``activity_at_init.png``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from neuroact.experiments.glorot_table1 import (
    network_job,
    spread,
    train_job,
)
from neuroact.parallel import run_jobs, threads_for
from neuroact.results import RunFolder

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
    """Activations x inits x seeds; one MLP each."""

    dataset: str = "mnist"
    activations: tuple[str, ...] = ("relu", "softplus", "tanh", "sigmoid", "leaky_relu")
    inits: tuple[str, ...] = ("xavier", "he", "torch")
    seeds: tuple[int, ...] = (0, 1, 2)
    widths: tuple[int, ...] = (1000, 1000, 1000)
    epochs: int = 5
    batch_size: int = 100
    lr: float = 0.05
    train_size: int | None = 20000
    eval_size: int = 2000
    eval_limit: int | None = None
    threads: int | None = None


PROFILES = {
    "quick": Config(
        dataset="mnist-subset",  # offline: the MNIST subset shipped in the package
        activations=("relu", "softplus", "tanh", "sigmoid"),
        inits=("xavier",),
        seeds=(0,),
        widths=(300, 300),
        epochs=4,
        batch_size=20,
        train_size=5000,
        eval_size=500,
        eval_limit=1000,
        threads=1,
    ),
    "full": Config(
        activations=("relu", "softplus", "tanh", "sigmoid"), inits=("xavier", "he"), seeds=(0, 1)
    ),
}


def run(
    config: Config,
    out,
    *,
    workers: int = 1,
    scheduler=None,
    progress: bool = True,
    data_dir=None,
    inputs=None,
) -> RunFolder:
    """Train each network (resumable) and tabulate its activity at init and after training."""
    run_folder = RunFolder(out)
    run_folder.write_config(config)
    data_dir = str(data_dir) if data_dir is not None else None
    dataset = config.dataset
    jobs = [
        network_job(
            f"{a}_{i}_s{s}",
            run_folder.path,
            data_dir,
            config,
            threads_for(workers, scheduler),
            dataset=dataset,
            activation=a,
            init=i,
            seed=int(s),
            widths=tuple(config.widths),
            epochs=config.epochs,
            batch_size=config.batch_size,
            lr=config.lr,
            train_size=config.train_size,
            eval_size=config.eval_size,
        )
        for a in config.activations
        for i in config.inits
        for s in config.seeds
    ]
    history = run_jobs(
        train_job,
        jobs,
        run=run_folder,
        group="networks",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="activity_at_init",
    )
    run_folder.write_table("history", history)
    activity = activity_table(history)
    run_folder.write_table("activity", activity)
    summary = spread(
        activity,
        ["activation", "init", "stage"],
        {
            "frac_active_output": "frac_active_output",
            "frac_active_input": "frac_active_input",
            "dead_frac": "dead_frac",
            "test_error": "test_error",
        },
    )
    run_folder.write_table("summary", summary)
    draw(run_folder)
    run_folder.write_metadata(seed=None, torch_threads=torch.get_num_threads())
    return run_folder


def draw(run: RunFolder) -> list[Path]:
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann_claims, save

    fig = ann_claims.activity_at_init(run.read_table("activity"))
    return save(fig, run.path / "activity_at_init")
