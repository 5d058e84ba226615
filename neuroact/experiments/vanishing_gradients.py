"""Vanishing gradients and saturation with depth, activation and init (Glorot & Bengio 2010).

Glorot & Bengio (2010, AISTATS) showed that (i) with PyTorch's default ("old") init
``W ~ U[-1/sqrt(n), 1/sqrt(n)]`` the weight gradients of deep sigmoid / tanh networks shrink
from the top layer to the bottom one, and their "normalized" init (``xavier``) keeps them about
equal; (ii) in a sigmoid network with the old init the top hidden layer is driven to saturation
at 0 early in training and only slowly leaves it.

Two parts, both over activations x inits:

at initialisation
    MLPs of ``depths`` hidden layers of ``width`` units; on ``n_init_samples`` training images
    the cross-entropy gradient of every weight matrix, ``||dL/dW_l||_2``
    (:func:`neuroact.ann.probes.layer_gradient_norms`), the back-propagated gradient
    ``||dL/dz_l||`` with respect to each hidden pre-activation (RMS over examples,
    :func:`neuroact.ann.probes.backprop_gradient_norms`) and each hidden layer's activity
    (:func:`neuroact.ann.probes.activation_stats`: mean activation, saturation, exact zeros).
    ``bottom_over_top`` = weight-gradient norm of layer 1 / that of the top hidden layer;
    ``delta_bottom_over_top`` the same for the back-propagated gradient. The two differ when
    the activity scale changes with depth: ReLU under ``xavier`` halves the variance of the
    activity at every layer going up and of the back-propagated gradient going down, so the
    weight gradients (their product) stay level while ``dL/dz`` shrinks by ``2^(-1/2)`` per
    layer (square layers; layer 1, fed with pixels, differs); under ``he`` both stay level.
    The effect compounds with depth: 0.5 over Glorot et al.'s 3 layers, 0.0014 over 20.
during training
    one depth (``train_depth``) trained with plain SGD; the probes record, per epoch and layer,
    the mean gradient norm over the epoch's steps, the mean activation and the fraction of
    saturated units (within 0.01 of a bound, both bounds counted; the mean activation says which
    bound: near 0 for a sigmoid layer stuck at 0).

Tables: ``grads_at_init.csv`` (depth x activation x init x seed x layer), ``training.csv``
(activation x init x epoch x layer); figure ``vanishing_gradients.png``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

import pandas as pd

from neuroact.ann.models import MLP
from neuroact.ann.probes import activation_stats, backprop_gradient_norms, layer_gradient_norms
from neuroact.ann.train import TrainConfig, torch_settings
from neuroact.experiments._training import ExperimentRun, RunOptions, cached_data, check_config
from neuroact.parallel import Job
from neuroact.results import RunFolder


def gradients_at_init(
    *,
    dataset: str,
    data_dir: str | None,
    depth: int,
    width: int,
    activation: str,
    init: str,
    seeds: tuple[int, ...],
    n_samples: int,
    threads: int | None = None,
) -> pd.DataFrame:
    """Per-layer weight-gradient norms and activity of freshly initialised MLPs (one row per
    seed x layer; the read-out is the last layer, with ``layer_kind = "readout"``)."""
    data = cached_data(dataset, data_dir, None)
    x, y = data.train_x[:n_samples], data.train_y[:n_samples]
    rows = []
    with torch_settings(threads, deterministic=True):
        for seed in seeds:
            model = MLP(784, (width,) * depth, 10, activation, init=init, seed=int(seed))
            deltas = backprop_gradient_norms(model, x, y)
            grads = layer_gradient_norms(model)
            acts = activation_stats(model, x).set_index("layer")
            top = grads[depth - 1]
            for i, g in enumerate(grads, start=1):
                row = {
                    "depth": depth,
                    "width": width,
                    "activation": activation,
                    "init": init,
                    "seed": int(seed),
                    "layer": i,
                    "layer_kind": "hidden" if i <= depth else "readout",
                    "grad_norm": g,
                    "bottom_over_top": grads[0] / top,
                    "delta_bottom_over_top": deltas[0] / deltas[depth - 1],
                }
                if i <= depth:
                    a = acts.loc[i]
                    row["delta_norm"] = deltas[i - 1]
                    row |= {
                        k: float(a[k])
                        for k in (
                            "mean_activation",
                            "std_activation",
                            "saturation_frac",
                            "frac_zero",
                            "frac_active_input",
                        )
                    }
                rows.append(row)
    return pd.DataFrame(rows)


# The template of the trained networks: 4 x 1000 units, plain SGD as Glorot & Bengio 2010
# (momentum 0, a constant rate), mini-batches of 10.
PLAIN_SGD = TrainConfig(
    widths=(1000,) * 4,
    epochs=15,
    train_size=5000,
    lr=0.1,
    momentum=0.0,
    lr_schedule="constant",
    batch_size=10,
    eval_size=1000,
)


@dataclass
class Config:
    """Depths x activations x inits x seeds at init; one network trained per activation x init.

    At init: MLPs of each of ``depths`` hidden layers of ``width`` units, measured on
    ``n_init_samples`` training images of ``train.dataset``. Training: the ``train`` template
    (its activation and init are set per network; default :data:`PLAIN_SGD`); ``eval_limit``
    evaluates on only the first ``eval_limit`` validation and test images.
    """

    depths: tuple[int, ...] = (2, 4, 6, 8, 10, 15, 20)
    width: int = 500
    activations: tuple[str, ...] = ("sigmoid", "tanh", "relu")
    inits: tuple[str, ...] = ("torch", "xavier", "he")
    seeds: tuple[int, ...] = (0, 1, 2)
    n_init_samples: int = 1000
    train: TrainConfig = field(default_factory=lambda: dataclasses.replace(PLAIN_SGD))
    eval_limit: int | None = 2000


PROFILES = {
    "quick": Config(
        depths=(2, 10),
        width=64,
        activations=("sigmoid", "tanh", "relu"),
        inits=("torch", "xavier"),
        seeds=(0,),
        n_init_samples=200,
        train=dataclasses.replace(
            PLAIN_SGD,
            dataset="mnist-subset",  # offline: the MNIST subset shipped in the package
            widths=(64,) * 4,
            epochs=2,
            train_size=500,
            batch_size=20,
            threads=1,
        ),
        eval_limit=1000,
    ),
    "full": Config(seeds=(0, 1), train=dataclasses.replace(PLAIN_SGD, epochs=8)),
}

# The columns of ``training.csv``.
TRAINING_COLUMNS = (
    "job",
    "activation",
    "init",
    "epoch",
    "layer",
    "layer_kind",
    "grad_norm",
    "mean_activation",
    "std_activation",
    "saturation_frac",
    "frac_zero",
    "frac_active_input",
    "train_error",
    "test_error",
)


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Gradients at init over depths, then the training runs (both resumable)."""
    nets = networks(config)  # checks every network before anything is written
    run = ExperimentRun.open(config, Config, out, **options)
    threads = config.train.threads or run.threads
    init_jobs = [
        Job(
            f"d{d}_{a}_{i}",
            dict(
                dataset=config.train.dataset,
                data_dir=run.data_dir,
                depth=d,
                width=config.width,
                activation=a,
                init=i,
                seeds=tuple(config.seeds),
                n_samples=config.n_init_samples,
                threads=threads,
            ),
        )
        for d in config.depths
        for a in config.activations
        for i in config.inits
    ]
    grads = run.map(gradients_at_init, init_jobs, group="init", desc="gradients at init")
    run.folder.write_table("grads_at_init", grads)
    history = run.train(nets, eval_limit=config.eval_limit, group="training", desc="training")
    training = history[[c for c in TRAINING_COLUMNS if c in history]]
    run.folder.write_table("training", training)
    return run.finish(draw)


def networks(config: Config) -> dict[str, TrainConfig]:
    """``{job key: TrainConfig}``: the trained network of each activation x init."""
    check_config(config, Config)
    return {
        f"train_{a}_{i}": dataclasses.replace(config.train, activation=a, init=i)
        for a in config.activations
        for i in config.inits
    }


def draw(run: RunFolder) -> list[Path]:
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import gradients, save

    training = run.read_table("training")
    hidden = training[training["layer_kind"] == "hidden"]
    fig = gradients.vanishing_gradients(run.read_table("grads_at_init"), hidden)
    return save(fig, run.path / "vanishing_gradients")
