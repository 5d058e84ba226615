"""Glorot, Bordes & Bengio (2011) Table 1 under the paper's protocol: each unit's
hyper-parameters chosen on the validation set, early stopping, then the test error of fresh
seeds; and the same networks after stacked denoising auto-encoder pre-training.

Set-up (Glorot et al. 2011, Sec. 4): fully connected networks of 3 hidden layers x 1000 units
on MNIST (50,000 train / 10,000 validation / 10,000 test), Xavier's normalised init. The paper
chose each unit's hyper-parameters on the validation set and stopped training early on it.
Here every unit gets the same search budget:

1. **Search** (seed ``search_seed``): ``trials`` settings per unit, a Latin hypercube over the
   learning rate (log scale), its schedule (constant or cosine over ``train.epochs``), the
   init's scale (log scale) and, for rectifiers (units with exact zeros), the L1 activation
   penalty (half the trials without it). The same points for every unit. Successive halving
   (Jamieson & Talwalkar 2016): every setting trains ``rung_epochs`` epochs, the ``finalists``
   with the lowest validation error continue to the full protocol, and the one whose
   early-stopped validation error is lowest is chosen. Only validation errors decide.
2. **Test**: the chosen setting trained with fresh ``seeds`` (never the search seed); the
   reported error is the full test set's at the epoch of lowest validation error (early
   stopping: training stops after ``train.patience`` epochs without improvement, at most
   ``train.epochs``).
3. **Pre-training** (``pretrain_units``): the masking-noise level is chosen on validation
   (:func:`neuroact.ann.pretrain.readout_error` of the stack pre-trained at each level of
   ``noise_grid``, seed ``search_seed``); then each of ``pretrain_seeds`` is pre-trained layer
   by layer for as long as each layer's validation denoising loss improves, and fine-tuned with
   the unit's chosen setting. The same seeds are trained without pre-training, so the gain is
   measured on ``len(pretrain_seeds)`` networks per side.

Differences from the paper, on purpose: minibatch 100 with momentum 0.9 (theirs: 10, plain
SGD; ten times fewer updates per epoch here), at most ``train.epochs`` epochs, a search of
``trials`` settings per unit.

Tables written
--------------
``search.csv``   every setting tried: unit, trial, lr, lr_schedule, init_scale, l1, validation
                 error after the first rung, whether it continued, its final (early-stopped)
                 validation error and epoch, and ``chosen``.
``chosen.csv``   the chosen setting per unit (the budget: trials, rung epochs, finalists).
``noise.csv``    per pre-trained unit and noise level: read-out validation error, the epochs each
                 layer kept, ``chosen``.
``history.csv``  one row per test network x epoch x layer.
``networks.csv`` one row per test network (its final, early-stopped numbers).
``table1.csv``   per unit x pre-training: test error (%) mean, sd, min, max, n and how many
                 seeds collapsed to chance (``n_collapsed``: test error above 50%); running
                 training error over the selected epoch (%); epochs trained; sparsity; the
                 setting; the paper's value, our mean minus it and the rank within the
                 pre-training setting.

See Also
--------
neuroact.experiments._training : the training job underneath.
neuroact.ann.pretrain : the pre-training.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd
from scipy.stats import qmc

from neuroact.ann.activations import get_spec
from neuroact.ann.checkpoints import discard_checkpoint
from neuroact.ann.pretrain import readout_error
from neuroact.ann.train import TrainConfig
from neuroact.experiments._training import (
    COLLAPSED_ERROR,
    QUICK_TRAIN,
    ExperimentRun,
    RunOptions,
    cached_data,
    check_config,
    network_table,
    pretrained_model,
    spread,
    train_network,
    with_overrides,  # noqa: F401 (simulations/glorot_table1.py calls exp.with_overrides)
)
from neuroact.literature import GLOROT_2011_TABLE1_MNIST
from neuroact.parallel import Job
from neuroact.results import RunFolder
from neuroact.vocabulary import canonical

# The protocol of every network: momentum SGD, batch 100, early stopping on the full
# validation set (patience 3, at most 12 epochs), the full test set once at the end.
TABLE1_RUN = TrainConfig(epochs=12, patience=3, lr_schedule="constant", val_size=None)

# The search space: ranges (lr, init_scale and l1 on a log scale), schedules to choose from.
SEARCH_SPACE = {
    "lr": (0.005, 0.2),
    "init_scale": (0.5, 2.0),
    "lr_schedule": ("constant", "cosine"),
    "l1": (1e-5, 3e-4),
}
# What the search sets in each network's TrainConfig.
SEARCHED = ("lr", "lr_schedule", "init_scale", "l1")


@dataclass
class Config:
    """What to search and train (module docstring).

    ``train``: the protocol every network shares, its data set included (its activation,
    seed, searched fields and pre-training label are set per network). ``space``: the ranges
    of :data:`SEARCH_SPACE`. ``pretraining``: the fields of the
    :class:`~neuroact.ann.pretrain.PretrainConfig` (its ``noise`` is chosen from
    ``noise_grid``). ``eval_limit``: evaluate on only the first ``eval_limit`` validation and
    test images (None = all).
    """

    activations: tuple[str, ...] = ("relu", "softplus", "tanh")
    train: TrainConfig = field(default_factory=lambda: dataclasses.replace(TABLE1_RUN))
    space: dict = field(default_factory=lambda: dict(SEARCH_SPACE))
    trials: int = 6
    rung_epochs: int = 2
    finalists: int = 2
    search_seed: int = 0
    seeds: tuple[int, ...] = (1, 2, 3)
    pretrain_units: tuple[str, ...] = ("relu",)
    pretrain_seeds: tuple[int, ...] = (1, 2, 3, 4)
    noise_grid: tuple[float, ...] = (0.1, 0.25, 0.4)
    pretraining: dict = field(
        default_factory=lambda: {"epochs": 4, "patience": 1, "lr": 0.01, "batch_size": 50}
    )
    eval_limit: int | None = None


PROFILES = {
    "quick": Config(
        # offline: the MNIST subset shipped in the package (QUICK_TRAIN's data set)
        train=dataclasses.replace(
            QUICK_TRAIN, widths=(100, 100, 100), epochs=4, patience=2, train_size=1000
        ),
        trials=4,
        rung_epochs=1,
        seeds=(1, 2),
        pretrain_seeds=(1, 2),
        noise_grid=(0.1, 0.4),
        pretraining={"epochs": 2, "patience": 1, "lr": 0.01, "batch_size": 50},
        eval_limit=500,
    ),
    # Sized to under an hour of 2 cores (benchmarks/RESULTS.md): 6 settings per unit, 3 test
    # seeds, 4 seeds with and without pre-training for the rectifier (a 95% interval of about
    # +/-0.1 points on its gain), no Fashion-MNIST and no sigmoid (not in the paper's table).
    "full": Config(),
}


def settings(config: Config) -> pd.DataFrame:
    """The search's settings, one row per trial: the same Latin-hypercube points for every unit
    (``lr``, ``lr_schedule``, ``init_scale``; ``l1`` is 0 in half the trials and only used by
    rectifiers)."""
    space = config.space
    points = qmc.LatinHypercube(d=4, seed=config.search_seed).random(config.trials)

    def log_range(u, bounds):
        lo, hi = (math.log(float(b)) for b in bounds)
        return np.exp(lo + u * (hi - lo))

    schedules = list(space["lr_schedule"])
    index = np.minimum((points[:, 1] * len(schedules)).astype(int), len(schedules) - 1)
    # l1: the lower half of the stratum means no penalty, the upper half a log-uniform weight
    u_l1 = points[:, 3]
    l1 = np.where(u_l1 < 0.5, 0.0, log_range(np.clip(2 * u_l1 - 1, 0, 1), space["l1"]))
    return pd.DataFrame(
        {
            "trial": np.arange(config.trials),
            "lr": np.round(log_range(points[:, 0], space["lr"]), 5),
            "lr_schedule": [schedules[i] for i in index],
            "init_scale": np.round(log_range(points[:, 2], space["init_scale"]), 3),
            "l1": np.round(l1, 7),
        }
    )


def is_rectifier(activation: str) -> bool:
    """Units with exact zeros (the paper's rectifiers), the ones searched with an L1 penalty."""
    return bool(get_spec(activation).exact_zeros)


def setting_network(config: Config, activation: str, setting: dict, seed: int, **changes):
    """The TrainConfig of ``activation`` with ``setting`` (a row of :func:`settings`)."""
    values = {k: setting[k] for k in SEARCHED}
    values["lr"], values["init_scale"] = float(values["lr"]), float(values["init_scale"])
    values["l1"] = float(values["l1"]) if is_rectifier(activation) else 0.0
    return dataclasses.replace(
        config.train, activation=activation, seed=int(seed), **values, **changes
    )


def search_networks(config: Config) -> dict[str, TrainConfig]:
    """``{job key: TrainConfig}`` of every search trial (no probes: only errors decide)."""
    check_config(config, Config)
    out = {}
    for activation in config.activations:
        for row in settings(config).to_dict("records"):
            net = setting_network(config, activation, row, config.search_seed, probes=False)
            out[f"search_{net.activation}_t{row['trial']}"] = net
    return out


def _job(kind: str, **params) -> pd.DataFrame:
    """The one job function of this experiment: a training job or a noise trial."""
    return noise_trial(**params) if kind == "noise" else train_network(**params)


def noise_trial(
    config: TrainConfig, pretrain: dict, data_dir: str | None, eval_limit: int | None
) -> pd.DataFrame:
    """Pre-train ``config``'s network with ``pretrain`` and read its top layer out linearly:
    one row with the validation error of the read-out (the noise criterion)."""
    data = cached_data(config.dataset, data_dir, config.train_size, True, eval_limit)
    cpu = time.process_time()
    model, history = pretrained_model(config, data, pretrain)
    model.eval()
    codes = [model(x, return_hidden=True)[1][-1].detach() for x in (data.train_x, data.val_x)]
    error = readout_error(codes[0], data.train_y, codes[1], data.val_y)
    cpu = time.process_time() - cpu
    kept = history[history["kept"]].sort_values("layer")["epoch"]
    return pd.DataFrame(
        [
            {
                "activation": config.activation,
                "noise": pretrain["noise"],
                "readout_val_error": error,
                "layer_epochs": "-".join(str(int(e)) for e in kept),
                "val_loss_per_layer": "; ".join(
                    f"{v:.4g}" for v in history[history["kept"]].sort_values("layer")["val_loss"]
                ),
                "pretrain_seconds": float(history["seconds"].sum()),
                "cpu_seconds": cpu,
            }
        ]
    )


def _training_job(run: ExperimentRun, key: str, net: TrainConfig, config: Config, **kw) -> Job:
    job = run.training_job(key, net, eval_limit=config.eval_limit, **kw)
    return Job(key, {"kind": "train", **job.params})


def rung_table(history: pd.DataFrame, rung: int) -> pd.DataFrame:
    """Per search trial, the validation error (and loss) after ``rung`` epochs; a run that
    diverged before counts with the error of its last epoch, or chance if it has none."""
    rows = history.drop_duplicates(["job", "epoch"])
    rows = rows[rows["epoch"] <= rung].sort_values(["job", "epoch"]).groupby("job").tail(1)
    rows = rows.set_index("job")[["activation", "val_error", "val_loss"]]
    if "diverged" in history:
        diverged = history.groupby("job")["diverged"].any().reindex(rows.index, fill_value=False)
        rows.loc[diverged.to_numpy(bool), ["val_error", "val_loss"]] = math.inf
    return rows.rename(columns={"val_error": "rung_val_error", "val_loss": "rung_val_loss"})


def search_table(config: Config, rung: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Every trial (:func:`settings`) with its rung and final validation errors; ``chosen``
    marks the finalist of lowest early-stopped validation error per unit."""
    grid = settings(config)
    rows = []
    for activation in config.activations:
        for s in grid.to_dict("records"):
            key = f"search_{canonical(activation)}_t{s['trial']}"
            r = rung.loc[key]
            rows.append(
                {"activation": canonical(activation), **s, "job": key, **r.drop("activation")}
            )
    table = pd.DataFrame(rows)
    table["l1"] = [
        l1 if is_rectifier(a) else 0.0
        for a, l1 in zip(table["activation"], table["l1"], strict=True)
    ]
    done = final.set_index("job")
    table["continued"] = table["job"].isin(done.index)
    table["final_val_error"] = table["job"].map(done["val_error"])
    table["final_epoch"] = table["job"].map(done["final_epoch"])
    table["epochs_trained"] = table["job"].map(done["epochs"]).fillna(config.rung_epochs)
    best = table[table["continued"]].sort_values(["final_val_error", "rung_val_error"])
    chosen = best.groupby("activation", sort=False).head(1)["job"]
    table["chosen"] = table["job"].isin(chosen)
    return table


def test_networks(config: Config, chosen: pd.DataFrame) -> dict[str, TrainConfig]:
    """``{job key: TrainConfig}``: each unit's chosen setting with fresh seeds (and the
    pre-trained units' seeds too, without pre-training)."""
    out = {}
    for row in chosen.to_dict("records"):
        seeds = list(config.seeds)
        if row["activation"] in {canonical(u) for u in config.pretrain_units}:
            seeds += [s for s in config.pretrain_seeds if s not in seeds]
        for seed in seeds:
            net = setting_network(config, row["activation"], row, seed)
            out[f"{net.dataset}_{net.activation}_none_s{seed}"] = net
    return out


def finalists(rung: pd.DataFrame, k: int) -> list[str]:
    """Per unit, the ``k`` trials of lowest validation error after the first rung."""
    ranked = rung.reset_index().sort_values(["rung_val_error", "rung_val_loss"])
    return ranked.groupby("activation", sort=False).head(k)["job"].tolist()


def summary_table(nets: pd.DataFrame) -> pd.DataFrame:
    """Table 1 beside the paper: error (%), epochs and sparsity per unit x pre-training."""
    nets = nets.assign(
        test_error_pct=100 * nets["test_error"], train_error_pct=100 * nets["train_error"]
    )
    by = ["dataset", "activation", "pretrain"]
    table = spread(
        nets,
        by,
        {
            "test_error_pct": "test_error_pct",
            "train_error_pct": "train_error_pct",
            "final_epoch": "final_epoch",
            "frac_zero": "frac_zero",
            "frac_active_input": "frac_active_input",
            "train_seconds": "train_seconds",
        },
    )
    # a seed that collapsed to chance (an unstable setting) is counted, not hidden in the sd
    collapsed = nets.assign(n_collapsed=nets["test_error"] > COLLAPSED_ERROR)
    collapsed = collapsed.groupby(by, sort=False)["n_collapsed"].sum().astype(int).reset_index()
    table = table.merge(collapsed, on=by, how="left")
    paper = []
    for row in table.itertuples():
        key = (row.activation, row.pretrain == "dae")
        # the paper's numbers belong beside full MNIST only, not beside the embedded subset
        known = row.dataset == "mnist" and key in GLOROT_2011_TABLE1_MNIST
        paper.append(GLOROT_2011_TABLE1_MNIST[key] if known else float("nan"))
    table["paper_test_error_pct"] = paper
    table["diff_vs_paper_pct"] = table["test_error_pct_mean"] - table["paper_test_error_pct"]
    # 1 = lowest mean test error among the activations of the same data set and pre-training
    table["rank"] = (
        table.groupby(["dataset", "pretrain"])["test_error_pct_mean"].rank(method="min").astype(int)
    )
    first = nets.groupby(by, sort=False)[["frac_zero_eps", *SEARCHED]].first()
    return table.merge(first.reset_index(), how="left")


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Search, test and pre-train as the module docstring says (resumable), then write the
    tables and figures."""
    search = search_networks(config)  # checks every search network before anything is written
    run = ExperimentRun.open(config, Config, out, **options)
    units = [canonical(a) for a in config.activations]
    pre_units = [canonical(u) for u in config.pretrain_units if canonical(u) in units]
    noise_jobs = [_noise_job(run, config, unit, p) for unit in pre_units for p in config.noise_grid]
    rung_jobs = [
        _training_job(run, key, net, config, diverged_ok=True, pause_after=config.rung_epochs)
        for key, net in search.items()
    ]
    first = run.map(_job, noise_jobs + rung_jobs, group="search", desc="glorot_table1 search")
    rung = rung_table(first[first["job"].isin(search)], config.rung_epochs)
    final_jobs = [
        _training_job(run, key, search[key], config, diverged_ok=True)
        for key in finalists(rung, config.finalists)
    ]
    final = network_table(run.map(_job, final_jobs, group="search_final", desc="finalists"))
    for key in set(search) - {j.key for j in final_jobs}:  # paused for good: free the disk
        discard_checkpoint(run.folder.path / "checkpoints" / f"{key}.pt")
    table = search_table(config, rung, final)
    chosen = table[table["chosen"]].reset_index(drop=True)
    noise = _noise_table(first[first["job"].isin([j.key for j in noise_jobs])])
    run.folder.write_table("search", table)
    run.folder.write_table("chosen", _chosen_table(config, chosen))
    run.folder.write_table("noise", noise)
    nets = test_networks(config, chosen)
    # a seed that diverges is recorded (diverged=True in networks.csv), not fatal to the run
    jobs = [_training_job(run, key, net, config, diverged_ok=True) for key, net in nets.items()]
    for unit_noise in noise[noise["chosen"]].itertuples():
        pretrain = {**config.pretraining, "noise": float(unit_noise.noise)}
        for key, net in nets.items():
            if net.activation == unit_noise.activation and net.seed in config.pretrain_seeds:
                dae = dataclasses.replace(net, pretrain="dae")
                dae_key = key.replace("_none_", "_dae_")
                job = _training_job(run, dae_key, dae, config, pretrain=pretrain, diverged_ok=True)
                jobs.append(job)
    # seed by seed: an interrupted run has whole seeds of every unit, not every seed of a few
    jobs.sort(key=lambda job: job.params["config"].seed)
    history = run.map(_job, jobs, group="networks", desc="glorot_table1 test seeds")
    table1 = network_table(history)
    run.folder.write_table("history", history)
    run.folder.write_table("networks", table1)
    run.folder.write_table("table1", summary_table(table1))
    return run.finish(draw, seed=config.search_seed)


def _noise_job(run: ExperimentRun, config: Config, unit: str, noise: float) -> Job:
    net = dataclasses.replace(config.train, activation=unit, seed=config.search_seed)
    net = dataclasses.replace(net, threads=net.threads or run.threads)
    params = {
        "kind": "noise",
        "config": net,
        "pretrain": {**config.pretraining, "noise": float(noise)},
        "data_dir": run.data_dir,
        "eval_limit": config.eval_limit,
    }
    return Job(f"noise_{unit}_p{noise:g}", params)


def _noise_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The noise trials with ``chosen`` = lowest read-out validation error per unit."""
    frame = frame.reset_index(drop=True).dropna(axis=1, how="all")
    if frame.empty:
        return frame.assign(chosen=pd.Series(dtype=bool))
    best = frame.sort_values(["readout_val_error", "noise"]).groupby("activation").head(1)
    return frame.assign(chosen=frame.index.isin(best.index))


def _chosen_table(config: Config, chosen: pd.DataFrame) -> pd.DataFrame:
    """The chosen setting per unit, with the search budget that found it."""
    cols = ["activation", "trial", *SEARCHED, "rung_val_error", "final_val_error", "final_epoch"]
    return chosen[cols].assign(
        trials=config.trials,
        rung_epochs=config.rung_epochs,
        finalists=config.finalists,
        max_epochs=config.train.epochs,
        patience=config.train.patience,
    )


def draw(run: RunFolder) -> list[Path]:
    """Test error per activation beside the paper; sparsity per activation."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import ann_claims, save

    fig = ann_claims.glorot_table1(run.read_table("networks"), run.read_table("table1"))
    return save(fig, run.path / "glorot_table1")
