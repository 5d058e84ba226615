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

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from neuroact.ann.models import MLP
from neuroact.ann.probes import activation_stats, backprop_gradient_norms, layer_gradient_norms
from neuroact.ann.train import torch_settings
from neuroact.experiments.glorot_table1 import (
    cached_data,
    network_job,
    train_job,
)
from neuroact.parallel import Job, run_jobs, threads_for
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


@dataclass
class Config:
    """Depths x activations x inits at init; one depth trained per activation x init."""

    dataset: str = "mnist"
    depths: tuple[int, ...] = (2, 4, 6, 8, 10, 15, 20)
    width: int = 500
    activations: tuple[str, ...] = ("sigmoid", "tanh", "relu")
    inits: tuple[str, ...] = ("torch", "xavier", "he")
    seeds: tuple[int, ...] = (0, 1, 2)
    n_init_samples: int = 1000
    train_depth: int = 4
    train_width: int = 1000
    train_epochs: int = 15
    train_size: int = 5000
    lr: float = 0.1
    batch_size: int = 10
    train_seed: int = 0
    eval_limit: int | None = 2000
    threads: int | None = None


PROFILES = {
    "quick": Config(
        dataset="mnist-subset",  # offline: the MNIST subset shipped in the package
        depths=(2, 10),
        width=64,
        activations=("sigmoid", "tanh", "relu"),
        inits=("torch", "xavier"),
        seeds=(0,),
        n_init_samples=200,
        train_depth=4,
        train_width=64,
        train_epochs=2,
        train_size=500,
        batch_size=20,
        eval_limit=1000,
        threads=1,
    ),
    "full": Config(seeds=(0, 1), train_epochs=8),
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
    """Gradients at init over depths, then the training runs (both resumable)."""
    run_folder = RunFolder(out)
    run_folder.write_config(config)
    data_dir = str(data_dir) if data_dir is not None else None
    dataset = config.dataset
    threads = config.threads or threads_for(workers, scheduler)
    init_jobs = [
        Job(
            f"d{d}_{a}_{i}",
            dict(
                dataset=dataset,
                data_dir=data_dir,
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
    common = dict(run=run_folder, workers=workers, scheduler=scheduler, progress=progress)
    grads = run_jobs(gradients_at_init, init_jobs, group="init", desc="gradients at init", **common)
    run_folder.write_table("grads_at_init", grads)
    train_jobs = [
        network_job(
            f"train_{a}_{i}",
            run_folder.path,
            data_dir,
            config,
            threads,
            dataset=dataset,
            activation=a,
            init=i,
            widths=(config.train_width,) * config.train_depth,
            epochs=config.train_epochs,
            train_size=config.train_size,
            lr=config.lr,
            momentum=0.0,  # plain SGD, as Glorot & Bengio 2010
            lr_schedule="constant",
            batch_size=config.batch_size,
            seed=config.train_seed,
            eval_size=1000,
        )
        for a in config.activations
        for i in config.inits
    ]
    history = run_jobs(train_job, train_jobs, group="training", desc="training", **common)
    keep = [
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
    ]
    training = history[[c for c in keep if c in history]]
    run_folder.write_table("training", training)
    draw(run_folder)
    run_folder.write_metadata(seed=None, torch_threads=torch.get_num_threads())
    return run_folder


def draw(run: RunFolder) -> list[Path]:
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import gradients, save

    training = run.read_table("training")
    hidden = training[training["layer_kind"] == "hidden"]
    fig = gradients.vanishing_gradients(run.read_table("grads_at_init"), hidden)
    return save(fig, run.path / "vanishing_gradients")
