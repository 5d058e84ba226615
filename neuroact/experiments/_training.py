"""Shared plumbing of the ANN experiments: data, one training job, one row per network.

Every ANN experiment (``train_networks``, ``glorot_table1``, ``sparsity_vs_error``,
``training_speed``, ``vanishing_gradients``, ``activity_at_init``) trains networks the same way:

1. its ``Config`` holds a ``train`` template, a :class:`~neuroact.ann.train.TrainConfig`, and
   the experiment builds one config per network with ``dataclasses.replace(config.train, ...)``
   (every one checked before anything is written);
2. :meth:`ExperimentRun.train` runs each as a job of :func:`train_network`, with its
   checkpoint, the data folder and the torch threads, serially, on local processes or on Dask;
   each network's epoch x layer table is saved as it finishes, so an interrupted run resumes;
3. :func:`network_table` turns the history into one row per network and :func:`spread` gives
   mean, sd, min, max and n over seeds.

See Also
--------
neuroact.ann.train.train : the training loop underneath.
neuroact.parallel.run_jobs : the job runner.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd
import torch

from neuroact.ann.checkpoints import discard_checkpoint
from neuroact.ann.models import build_model
from neuroact.ann.pretrain import PretrainConfig, pretrain_mlp
from neuroact.ann.train import (
    Data,
    TrainConfig,
    TrainingDiverged,
    load_data,
    summary_from_frame,
    torch_settings,
    train,
)
from neuroact.parallel import Job, run_jobs, threads_for
from neuroact.results import RunFolder

# The quick profiles' networks: offline on the 5,000 training images of the MNIST subset shipped
# in the package, 500 validation images for the probes, one torch thread (small matrices: a
# second thread barely helps and hurts on a busy machine).
QUICK_TRAIN = TrainConfig(dataset="mnist-subset", train_size=5000, eval_size=500, threads=1)
# test error above which a network counts as not having learned (chance is 0.9 on 10 classes)
COLLAPSED_ERROR = 0.5

# The first columns of a table of networks (:func:`network_table`); the others follow.
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


@functools.lru_cache(maxsize=4)
def cached_data(
    dataset: str,
    data_dir: str | None,
    train_size: int | None,
    flatten: bool = True,
    eval_limit: int | None = None,
) -> Data:
    """The splits of ``dataset`` as tensors, loaded once per process (jobs share them).

    ``eval_limit`` keeps only the first ``eval_limit`` validation and test examples (quick
    profiles: the per-epoch evaluation of 2 x 10,000 images would dominate their cost)."""
    data = load_data(dataset, data_dir, train_size, flatten=flatten)
    if eval_limit is not None:
        n = int(eval_limit)
        data = dataclasses.replace(
            data,
            val_x=data.val_x[:n],
            val_y=data.val_y[:n],
            test_x=data.test_x[:n],
            test_y=data.test_y[:n],
        )
    return data


def pretrained_model(config: TrainConfig, data: Data, pretrain: dict) -> tuple[Any, pd.DataFrame]:
    """A network built from ``config`` and pre-trained as stacked denoising auto-encoders
    (:func:`~neuroact.ann.pretrain.pretrain_mlp`, with the validation split deciding how long
    each layer trains), and the pre-training history (one row per layer x epoch)."""
    model = build_model(
        config.model,
        widths=config.widths,
        in_features=int(data.train_x[0].numel()),
        n_classes=int(data.train_y.max()) + 1,
        activation=config.activation,
        activation_params=config.activation_params,
        init=config.init,
        seed=config.seed,
        init_scale=config.init_scale,
    )
    pre = PretrainConfig(**{"seed": config.seed, **pretrain})
    device = config.device
    with torch_settings(config.threads, config.deterministic):
        model.to(device)  # pre-train where the network will be fine-tuned
        result = pretrain_mlp(
            model, data.train_x.to(device), pre, x_val=data.val_x.to(device), progress=False
        )
    return model, result.to_frame()


def _layer_epochs(history: pd.DataFrame) -> str:
    """``"4-3-5"``: the epoch each pre-trained layer kept (its best validation epoch)."""
    kept = history[history["kept"]].sort_values("layer")
    return "-".join(str(int(e)) for e in kept["epoch"])


def train_network(
    config: TrainConfig,
    *,
    data_dir: str | None = None,
    pretrain: dict | None = None,
    checkpoint: str | None = None,
    eval_limit: int | None = None,
    diverged_ok: bool = False,
    pause_after: int | None = None,
) -> pd.DataFrame:
    """Train one network (the job function of every ANN experiment); its epoch x layer table.

    Parameters
    ----------
    config : the network's settings (``pretrain`` is set to ``"dae"`` or ``"none"`` here).
    data_dir : folder of the data sets (None: ``$NEUROACT_DATA_DIR`` or the download cache).
    pretrain : None for no pre-training, else the fields of a
        :class:`~neuroact.ann.pretrain.PretrainConfig` (its seed defaults to the network's).
    checkpoint : file to checkpoint into (resume); deleted when the network is finished.
    eval_limit : evaluate on only the first ``eval_limit`` validation and test images (None =
        all 10,000 of each).
    diverged_ok : a run that diverges (:class:`~neuroact.ann.train.TrainingDiverged`) returns
        the epochs it completed, with ``diverged=True``, instead of stopping the whole sweep
        (for learning-rate searches).
    pause_after : stop after this epoch and keep the checkpoint, so that a later job with the
        same checkpoint continues the run (successive-halving searches).

    Returns
    -------
    DataFrame: :meth:`~neuroact.ann.train.TrainResult.to_frame` rows (epoch x layer, identity
    columns in front) plus ``pretrain_seconds`` (wall), ``pretrain_cpu_seconds`` and
    ``pretrain_layer_epochs`` (the epoch each pre-trained layer kept; "" without
    pre-training), and ``diverged`` with ``diverged_ok``.
    """
    config = dataclasses.replace(config, pretrain="dae" if pretrain else "none")
    flatten = config.model == "mlp"
    data = cached_data(config.dataset, data_dir, config.train_size, flatten, eval_limit)
    model, pre_seconds, pre_cpu, layer_epochs = None, 0.0, 0.0, ""
    resuming = checkpoint is not None and Path(checkpoint).is_file()
    if pretrain and not resuming:  # a checkpoint already holds the pre-trained, tuned weights
        start, cpu = time.perf_counter(), time.process_time()
        model, pre_history = pretrained_model(config, data, pretrain)
        pre_seconds, pre_cpu = time.perf_counter() - start, time.process_time() - cpu
        layer_epochs = _layer_epochs(pre_history)
    try:
        result = train(
            config,
            data=data,
            model=model,
            checkpoint=checkpoint,
            progress=False,
            pause_after=pause_after,
        )
        diverged = False
    except TrainingDiverged as err:
        if not diverged_ok or err.result is None:
            raise
        result, diverged = err.result, True
    frame = result.to_frame()
    frame["pretrain_seconds"] = pre_seconds
    frame["pretrain_cpu_seconds"] = pre_cpu
    frame["pretrain_layer_epochs"] = layer_epochs
    if diverged_ok:
        frame["diverged"] = diverged
    if checkpoint is not None and pause_after is None:
        discard_checkpoint(checkpoint)
    return frame


def network_table(history: pd.DataFrame) -> pd.DataFrame:
    """One row per network (``job``, kept as a column) of a history table: its final-epoch
    summary (:func:`~neuroact.ann.train.summary_from_frame`), :data:`SUMMARY_COLUMNS` first,
    and its pre-training time where the history has one."""
    groups = history.groupby("job", sort=False)
    table = pd.DataFrame([{**summary_from_frame(frame), "job": key} for key, frame in groups])
    first = [c for c in SUMMARY_COLUMNS if c in table]
    table = table[first + [c for c in table.columns if c not in first]]
    for column in ("pretrain_seconds", "pretrain_cpu_seconds", "pretrain_layer_epochs", "diverged"):
        if column in history:
            table[column] = groups[column].first().to_numpy()
    return table


def spread(frame: pd.DataFrame, by: list[str], values: dict[str, str]) -> pd.DataFrame:
    """Mean, sd, min, max and n of each ``values`` column (``{column: output name}``) by ``by``."""
    out = frame.groupby(by, sort=False).agg(
        **{
            f"{name}_{stat}": (col, fn)
            for col, name in values.items()
            for stat, fn in (("mean", "mean"), ("sd", "std"), ("min", "min"), ("max", "max"))
        },
        n=(next(iter(values)), "count"),
    )
    return out.reset_index()


def with_overrides(config: Any, **changes: Any) -> Any:
    """``config`` with the non-None ``changes`` applied; a change named after a field of the
    ``train`` template (``epochs=3``) goes into the template.

    >>> from neuroact.experiments import activity_at_init
    >>> quick = activity_at_init.PROFILES["quick"]
    >>> with_overrides(quick, epochs=2, seeds=(0, 1), lr=None).train.epochs
    2
    """
    own = {f.name for f in dataclasses.fields(config)}
    template = {f.name for f in dataclasses.fields(TrainConfig)}
    changes = {k: v for k, v in changes.items() if v is not None}
    unknown = sorted(set(changes) - own - template)
    if unknown:
        raise ValueError(
            f"{type(config).__qualname__} has no field {unknown}; expected fields of the "
            f"experiment {sorted(own)} or of its train template"
        )
    to_train = {k: v for k, v in changes.items() if k not in own}
    if to_train:
        changes["train"] = dataclasses.replace(changes.get("train", config.train), **to_train)
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if k in own})


class RunOptions(TypedDict, total=False):
    """How an experiment runs: the keyword arguments of every experiment's ``run``.

    ``workers`` local processes (1 = serial); ``scheduler`` the address of a Dask scheduler (or
    a ``Client``); ``progress`` show progress bars; ``data_dir`` the folder of the data sets
    (None: ``$NEUROACT_DATA_DIR`` or the download cache); ``inputs`` the run folders of earlier
    experiments (unused by the ANN experiments); ``figures`` draw the figures at the end (False:
    the tables only, for a caller that draws them itself, as the main job does side by side
    with the next experiment).
    """

    workers: int
    scheduler: Any
    progress: bool
    data_dir: str | os.PathLike | None
    inputs: dict | None
    figures: bool


def check_config(config: Any, config_type: type) -> None:
    """Raise ``TypeError`` unless ``config`` is a ``config_type`` whose ``train`` template is a
    valid :class:`~neuroact.ann.train.TrainConfig` (checked again: fields may have been set)."""
    if not isinstance(config, config_type):
        raise TypeError(
            f"config must be a {config_type.__module__}.{config_type.__qualname__}; "
            f"got {type(config).__name__}"
        )
    if not isinstance(config.train, TrainConfig):
        raise TypeError(f"config.train must be a TrainConfig; got {config.train!r}")
    config.train.validate()


@dataclass
class ExperimentRun:
    """One run of an experiment: its folder, where the data are and how its jobs run."""

    folder: RunFolder
    data_dir: str | None = None
    workers: int = 1
    scheduler: Any = None
    progress: bool = True
    figures: bool = True

    @classmethod
    def open(
        cls,
        config: Any,
        config_type: type,
        out: str | os.PathLike,
        *,
        workers: int = 1,
        scheduler: Any = None,
        progress: bool = True,
        data_dir: str | os.PathLike | None = None,
        inputs: dict | None = None,
        figures: bool = True,
    ) -> ExperimentRun:
        """Check ``config`` (:func:`check_config`), then create the folder ``out`` and write
        ``config.json`` (a folder holding another configuration is refused). The keyword
        arguments are the :class:`RunOptions` of every experiment's ``run``."""
        check_config(config, config_type)
        folder = RunFolder(out)
        folder.write_config(config)
        data_dir = str(data_dir) if data_dir is not None else None
        return cls(folder, data_dir, workers, scheduler, progress, figures)

    @property
    def threads(self) -> int | None:
        """Torch threads per job: one when jobs run side by side (see :func:`threads_for`)."""
        return threads_for(self.workers, self.scheduler)

    def training_job(
        self,
        key: str,
        config: TrainConfig,
        *,
        eval_limit: int | None = None,
        pretrain: dict | None = None,
        diverged_ok: bool = False,
        checkpoint: bool = True,
        pause_after: int | None = None,
    ) -> Job:
        """A :func:`train_network` job for ``config`` (its ``threads``, else :attr:`threads`),
        checkpointing to ``RUN/checkpoints/<key>.pt`` unless ``checkpoint`` is False; the
        other arguments go to :func:`train_network`."""
        ckpt = str(self.folder.path / "checkpoints" / f"{key}.pt") if checkpoint else None
        params = {
            "config": dataclasses.replace(config, threads=config.threads or self.threads),
            "data_dir": self.data_dir,
            "eval_limit": eval_limit,
            "checkpoint": ckpt,
            "pretrain": pretrain,
            "diverged_ok": diverged_ok,
        }
        if pause_after is not None:
            params["pause_after"] = pause_after
        return Job(key, params)

    def map(self, func, jobs: list[Job], *, group: str, desc: str) -> pd.DataFrame:
        """Run ``jobs`` of ``func`` into ``RUN/jobs/<group>/`` (finished ones are skipped)."""
        return run_jobs(
            func,
            jobs,
            run=self.folder,
            group=group,
            workers=self.workers,
            scheduler=self.scheduler,
            progress=self.progress,
            desc=desc,
        )

    def train(
        self,
        networks: dict[str, TrainConfig],
        *,
        desc: str,
        group: str = "networks",
        pretrain: dict | None = None,
        **options: Any,
    ) -> pd.DataFrame:
        """Train ``networks`` (``{job key: TrainConfig}``) as :meth:`training_job` jobs; their
        histories in one table (job order). ``pretrain`` (the fields of a
        :class:`~neuroact.ann.pretrain.PretrainConfig`) applies to the networks whose config
        says ``pretrain="dae"``; ``options`` (eval_limit, diverged_ok, checkpoint, pause_after)
        to all. Jobs of the same key share a checkpoint across groups: a job paused in one
        group continues in another."""
        jobs = [
            self.training_job(
                key, net, pretrain=pretrain if net.pretrain == "dae" else None, **options
            )
            for key, net in networks.items()
        ]
        return self.map(train_network, jobs, group=group, desc=desc)

    def finish(self, draw: Callable[[RunFolder], Any], seed: Any = None) -> RunFolder:
        """Draw the figures (the experiment's ``draw(folder)``; unless ``figures`` is off) and
        write ``metadata.json`` (seed, torch threads, data folder); the run folder."""
        if self.figures:
            draw(self.folder)
        self.folder.write_metadata(
            seed=seed, torch_threads=torch.get_num_threads(), data_dir=self.data_dir
        )
        return self.folder
