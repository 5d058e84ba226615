"""Experiment ``train_networks``: train MLPs with several activation families and record how
sparse every hidden layer is and how gradients flow, epoch by epoch.

Each network is one job (``activation``, ``l1``, ``init``, ``seed``); a job trains with
:func:`neuroact.ann.train.train` (checkpointing to ``RUN/checkpoints/<key>.pt`` after every epoch,
so an interrupted run resumes) and returns its per-epoch x per-layer table.

Outputs in the run folder
-------------------------
``history.csv``
    one row per network x epoch x layer (hidden layers, then the read-out with only its
    gradient norm): identity columns, train/val/test error (fractions) and loss, learning rate,
    times, and the probe columns of :mod:`neuroact.ann.probes`.
``training_summary.csv``
    one row per network: ``dataset, activation, init, l1, pretrain, seed, epochs, test_error,
    val_error, frac_zero, frac_active_input, dead_frac, population_sparseness,
    lifetime_sparseness, train_seconds`` and a few more
    (:func:`neuroact.ann.train.summary_from_frame`: final epoch, sparsity averaged over layers).
``training_curves.png``, ``layer_sparsity.png``, ``gradient_norms.png``

Profiles: ``quick`` trains five small networks on the embedded MNIST subset (about a minute on
two cores); ``full`` trains the Glorot et al. (2011) 784-1000-1000-1000-10 networks on MNIST
(50,000 / 10,000 / 10,000).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from neuroact.ann.train import TrainConfig, summary_from_frame, train
from neuroact.parallel import Job, run_jobs, threads_for
from neuroact.results import RunFolder

SUMMARY_COLUMNS = (
    "dataset",
    "activation",
    "init",
    "l1",
    "pretrain",
    "seed",
    "epochs",
    "test_error",
    "val_error",
    "frac_zero",
    "frac_active_input",
    "dead_frac",
    "population_sparseness",
    "lifetime_sparseness",
    "train_seconds",
)


@dataclass
class Config:
    """Which networks to train and how.

    ``networks`` lists ``(activation, l1)`` pairs; each is trained for every init and seed.
    With the penalty normalised as in :mod:`neuroact.ann.train` (per-example L1 norm of all
    hidden activations), the 3 x 1000 rectifier MLP on MNIST ends at about 60 % exact zeros
    without penalty, 80 % with ``l1 = 1e-4`` (Glorot et al.'s 68-83 % band) and 94 % with
    ``l1 = 1e-3`` (benchmarks/RESULTS.md), so the full profile trains all three.
    The remaining fields are passed to :class:`~neuroact.ann.train.TrainConfig`.
    """

    dataset: str = "mnist"
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
    widths: tuple[int, ...] = (1000, 1000, 1000)
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    lr_schedule: str = "cosine"
    batch_size: int = 100
    epochs: int = 30
    train_size: int | None = None
    eval_size: int = 2000
    probe_eps: float = 0.01
    threads: int | None = None
    device: str = "cpu"
    activation_params: dict = field(default_factory=dict)  # per activation name

    def train_configs(self) -> dict[str, TrainConfig]:
        """``{job key: TrainConfig}`` for every network x init x seed."""
        out = {}
        for activation, l1 in self.networks:
            for init in self.inits:
                for seed in self.seeds:
                    key = f"{activation}_l1={l1:g}_{init}_seed={seed}"
                    out[key] = TrainConfig(
                        dataset=self.dataset,
                        widths=tuple(self.widths),
                        activation=activation,
                        activation_params=dict(self.activation_params.get(activation, {})),
                        init=init,
                        optimizer=self.optimizer,
                        lr=self.lr,
                        momentum=self.momentum,
                        lr_schedule=self.lr_schedule,
                        batch_size=self.batch_size,
                        epochs=self.epochs,
                        l1=float(l1),
                        train_size=self.train_size,
                        eval_size=self.eval_size,
                        probe_eps=self.probe_eps,
                        seed=seed,
                        threads=self.threads,
                        device=self.device,
                    )
        return out


PROFILES = {
    "quick": Config(
        dataset="mnist-subset",
        networks=(
            ("relu", 0.0),
            ("relu", 0.001),
            ("softplus", 0.0),
            ("tanh", 0.0),
            ("sigmoid", 0.0),
        ),
        widths=(300, 300, 300),
        epochs=8,
        eval_size=1000,
        threads=1,  # small matrices: a second thread barely helps and hurts on a busy machine
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
        epochs=20,
    ),
}


def train_one(config: dict, data_dir: str | None, checkpoint: str | None) -> pd.DataFrame:
    """Job: train one network from a ``TrainConfig`` field dict; its ``to_frame()`` table."""
    result = train(TrainConfig(**config), data_dir=data_dir, checkpoint=checkpoint, progress=False)
    return result.to_frame()


def summarize(history: pd.DataFrame) -> pd.DataFrame:
    """``training_summary`` table: one row per network (``job``) of a ``history`` table."""
    rows = [summary_from_frame(frame) for _, frame in history.groupby("job", sort=False)]
    table = pd.DataFrame(rows)
    first = [c for c in SUMMARY_COLUMNS if c in table]
    return table[first + [c for c in table.columns if c not in first]]


def run(
    config: Config,
    out: str | os.PathLike,
    *,
    workers: int = 1,
    scheduler=None,
    progress: bool = True,
    data_dir: str | os.PathLike | None = None,
    inputs: dict | None = None,
) -> RunFolder:
    """Train every network of ``config``; write ``history.csv``, ``training_summary.csv``,
    figures, ``config.json`` and ``metadata.json`` into ``out`` (resumes)."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be a train_networks.Config; got {type(config).__name__}")
    folder = RunFolder(out)
    folder.write_config(config)
    configs = config.train_configs()  # validates every network before any training
    ckpt = folder.path / "checkpoints"
    jobs = [
        Job(
            key,
            {
                # one torch thread per job when jobs run side by side (unless the config says)
                "config": asdict(tc)
                | ({"threads": threads_for(workers, scheduler)} if tc.threads is None else {}),
                "data_dir": None if data_dir is None else str(data_dir),
                "checkpoint": str(ckpt / f"{key}.pt"),
            },
        )
        for key, tc in configs.items()
    ]
    history = run_jobs(
        train_one,
        jobs,
        run=folder,
        group="networks",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="train_networks",
    )
    folder.write_table("history", history)
    folder.write_table("training_summary", summarize(history))
    draw(folder)
    seeds = sorted({s for s in config.seeds})
    folder.write_metadata(seed=seeds[0] if len(seeds) == 1 else seeds, data_dir=data_dir)
    return folder


def draw(run: RunFolder) -> list[Path]:
    """Redraw the figures from ``history.csv``."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann, save

    history = run.read_table("history")
    paths = save(ann.training_curves(history), run.path / "training_curves.png")
    paths += save(ann.layer_sparsity(history), run.path / "layer_sparsity.png")
    paths += save(ann.gradient_norms(history), run.path / "gradient_norms.png")
    return paths
