"""Experiment ``train_networks``: train MLPs with several activation families and record how
sparse every hidden layer is and how gradients flow, epoch by epoch.

Each network is one job (``activation``, ``l1``, ``init``, ``seed``) of
:func:`neuroact.experiments._training.train_network`, which trains with
:func:`neuroact.ann.train.train` (checkpointing to ``RUN/checkpoints/<key>.pt`` after every epoch,
so an interrupted run resumes; the checkpoint is deleted once the network's table is saved) and
returns its per-epoch x per-layer table.

Outputs in the run folder
-------------------------
``history.csv``
    one row per network x epoch x layer (hidden layers, then the read-out with only its
    gradient norm): identity columns, train/val/test error (fractions) and loss, learning rate,
    times, and the probe columns of :mod:`neuroact.ann.probes`.
``training_summary.csv``
    one row per network (:func:`neuroact.experiments._training.network_table`): ``dataset,
    activation, init, l1, pretrain, seed, epochs, test_error, val_error, frac_zero,
    frac_active_input, dead_frac, population_sparseness, lifetime_sparseness, train_seconds``
    and a few more (final epoch, sparsity averaged over layers).
``training_curves.png``, ``layer_sparsity.png``, ``gradient_norms.png``

Profiles: ``quick`` trains five small networks on the embedded MNIST subset (about a minute on
two cores); ``full`` trains the Glorot et al. (2011) 784-1000-1000-1000-10 networks on MNIST
(50,000 / 10,000 / 10,000).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

from neuroact.ann.train import TrainConfig
from neuroact.experiments._training import (
    QUICK_TRAIN,
    ExperimentRun,
    RunOptions,
    check_config,
    network_table,
)
from neuroact.results import RunFolder
from neuroact.vocabulary import canonical


@dataclass
class Config:
    """Which networks to train and how.

    ``networks`` lists ``(activation, l1)`` pairs; each is trained for every init and seed,
    with the settings of the ``train`` template (its activation, l1, init and seed are set per
    network) and ``params_by_activation[activation]`` as its ``activation_params``, where given.
    With the penalty normalised as in :mod:`neuroact.ann.train` (per-example L1 norm of all
    hidden activations), the 3 x 1000 rectifier MLP on MNIST ends at about 60 % exact zeros
    without penalty, 80 % with ``l1 = 1e-4`` (Glorot et al.'s 68-83 % band) and 94 % with
    ``l1 = 1e-3`` (results/full/README.md), so the full profile trains all three.
    """

    networks: tuple[tuple[str, float], ...] = (
        ("relu", 0.0),
        ("relu", 0.0001),
        ("relu", 0.001),
        ("softplus", 0.0),
        ("tanh", 0.0),
        ("sigmoid", 0.0),
    )
    inits: tuple[str, ...] = ("xavier",)
    seeds: tuple[int, ...] = (0,)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=30))
    params_by_activation: dict = field(default_factory=dict)


PROFILES = {
    "quick": Config(
        networks=(
            ("relu", 0.0),
            ("relu", 0.001),
            ("softplus", 0.0),
            ("tanh", 0.0),
            ("sigmoid", 0.0),
        ),
        train=dataclasses.replace(
            QUICK_TRAIN, widths=(300, 300, 300), epochs=5, train_size=None, eval_size=1000
        ),
    ),
    # Sized with the other full profiles to about 2 hours on 2 cores: 20 epochs (relu reaches
    # 0% training error by about epoch 12); softplus is in glorot_table1, with its own lr.
    "full": Config(
        networks=(
            ("relu", 0.0),
            ("relu", 0.0001),
            ("relu", 0.001),
            ("tanh", 0.0),
            ("sigmoid", 0.0),
        ),
        train=TrainConfig(epochs=20),
    ),
}


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Train every network of ``config``; write ``history.csv``, ``training_summary.csv``,
    figures, ``config.json`` and ``metadata.json`` into ``out`` (resumes)."""
    nets = networks(config)  # checks every network before anything is written
    run = ExperimentRun.open(config, Config, out, **options)
    history = run.train(nets, desc="train_networks")
    run.folder.write_table("history", history)
    run.folder.write_table("training_summary", network_table(history))
    seeds = sorted(set(config.seeds))
    return run.finish(draw, seed=seeds[0] if len(seeds) == 1 else seeds)


def networks(config: Config) -> dict[str, TrainConfig]:
    """``{job key: TrainConfig}`` for every network x init x seed."""
    check_config(config, Config)
    params = {canonical(k): v for k, v in config.params_by_activation.items()}
    out = {}
    for activation, l1 in config.networks:
        for init in config.inits:
            for seed in config.seeds:
                key = f"{activation}_l1={l1:g}_{init}_seed={seed}"
                out[key] = dataclasses.replace(
                    config.train,
                    activation=activation,
                    activation_params=dict(params.get(canonical(activation), {})),
                    init=init,
                    l1=float(l1),
                    seed=seed,
                )
    return out


def draw(run: RunFolder) -> list[Path]:
    """Redraw the figures from ``history.csv``."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann, save

    history = run.read_table("history")
    paths = save(ann.training_curves(history), run.path / "training_curves.png")
    paths += save(ann.layer_sparsity(history), run.path / "layer_sparsity.png")
    paths += save(ann.gradient_norms(history), run.path / "gradient_norms.png")
    return paths
