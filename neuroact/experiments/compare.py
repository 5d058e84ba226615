"""Experiment ``compare``: activation families fitted to f-I curves, and the sparsity contrast.

Steps (each writes its tables; a rerun skips the steps whose tables exist):

1. **Simulated f-I curves.** Reads ``fi_curves.csv`` of an ``fi_curves`` run
   (``inputs={"fi_curves": RUN}``); without one, simulates the curves of ``sim_curves`` with
   :func:`neuroact.bio.fi.fi_curve` (one resumable job each, ``sim_fi.csv``). Every curve
   (model x noise level, steady-state rate) is fitted with every family of ``families``:
   ``sim_fits.csv`` (one row per curve x family, ranked by AIC), ``sim_points.csv``.
2. **Measured f-I curves.** The table ``measured_file`` under ``data_dir`` (default: the 44 rat
   L5 pyramidal cells of ``fi-measured``; any tidy table with the column names of ``Config``
   works): ``measured_fits.csv``, ``measured_winners.csv``, ``measured_summary.csv`` (wins and
   median R^2 per family), ``measured_points.csv``.
3. **Biological activations.** ``soft_lif`` (Hunsberger & Eliasmith 2015) from the ``lif``-family
   fit of the curve ``soft_lif_source`` and ``bio_softplus`` (the softplus unit with the
   sharpness of the ``softplus`` fit of ``softplus_source``; see
   :mod:`neuroact.compare.bio_activation`); ``bio_activations.csv`` (their parameters) and
   ``bio_activation_curves.csv``. The MLP of the ``train`` template (a
   :class:`~neuroact.ann.train.TrainConfig`) is trained with each of ``train_activations``
   (the bio units and reference units) as resumable jobs, each built from its ``TrainConfig``
   alone (``activation`` and ``activation_params``), checkpointing under
   ``OUT/checkpoints/`` (deleted once the network is finished): ``bio_history.csv`` and
   ``bio_training_summary.csv`` (test error and sparsity).
4. **Contrast.** ``contrast.csv`` (:func:`neuroact.compare.contrast.build_contrast`): literature
   bands, the networks of a ``population_sparsity`` run and of a ``train_networks`` run when
   given in ``inputs``, and the bio-activation networks of step 3.

Families and units go by the keys of :mod:`neuroact.vocabulary` (``relu``, ``sigmoid``, ...);
``Config`` also takes the aliases (``rectifier``, ``logistic``) and stores the keys.

Figures: ``sim_fits.png``, ``measured_fits.png``, ``measured_summary.png``,
``bio_activations.png``, ``contrast.png``, ``accuracy_sparsity.png``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd
import torch

from neuroact.ann.activations import make_activation
from neuroact.ann.train import TrainConfig
from neuroact.compare.bio_activation import (
    soft_lif_activation,
    soft_lif_params,
    softplus_activation,
    softplus_sharpness,
)
from neuroact.compare.contrast import build_contrast
from neuroact.compare.curves import get_family
from neuroact.compare.measured import fit_cells, read_fi_table
from neuroact.experiments._curves import (
    check_curves,
    curve_jobs,
    curve_label,
    fit_simulated,
    simulate_curve,
)
from neuroact.experiments._training import (
    QUICK_TRAIN,
    ExperimentRun,
    RunOptions,
    network_table,
    train_network,
)
from neuroact.parallel import Job
from neuroact.paths import find_file
from neuroact.results import RunFolder
from neuroact.vocabulary import canonical

FAMILIES = ("relu", "softplus", "sigmoid", "power_law", "lif")
# Units whose parameters come from a fitted f-I curve (step 3).
BIO_UNITS = ("soft_lif", "bio_softplus")


@dataclass
class Config:
    """What to fit and train.

    ``soft_lif_source`` / ``softplus_source``: ``(model, sigma_mV)`` of the simulated curve
    whose ``lif`` / ``softplus`` fit defines the activation (sigma None: the largest noise level
    of that model). ``train``: the :class:`neuroact.ann.train.TrainConfig` template of the
    bio-activation networks (their activation and seed are set per network).
    ``sim_curves``: ``(model, sigma_mV, highest current)`` of each curve simulated when no
    ``fi_curves`` run is given, ``sim_currents`` evenly spaced currents from 0 in the model's
    current unit, ``sim_trials`` trials of the noisy models, the times and the Brian2 target.
    ``cell_panels``: draw ``measured_fits.png``, one panel per measured cell, beside the summary
    figure (44 panels take most of the experiment's drawing time).
    """

    families: tuple[str, ...] = FAMILIES
    criterion: str = "aic"
    sim_curves: tuple[tuple[str, float, float], ...] = (
        ("lif", 0.0, 5.0),
        ("noisy_lif", 2.0, 5.0),
        ("noisy_lif", 5.0, 5.0),
        ("adex", 0.0, 2.0),
    )
    sim_currents: int = 41
    sim_trials: int = 50
    sim_duration_s: float = 0.6
    sim_transient_s: float = 0.3
    sim_dt_ms: float = 0.025
    sim_target: str = "numpy"
    rate_column: str = "rate_Hz"
    measured_file: str = "fi-measured/bbp_sscx_rat_L5TPC_fI_per_sweep_44cells.csv"
    measured_cell_col: str = "cell_id"
    # The total injected current (holding + step), not the step alone: the LIF family's current
    # axis starts at zero injected current, and holding currents differ between and within cells
    # (-3 to -480 pA), so step amplitudes are not on one axis.
    measured_current_col: str = "total_current_pA"
    measured_rate_col: str = "rate_Hz"
    measured_current_unit: str = "pA"
    soft_lif_source: tuple[str, float | None] = ("lif", 0.0)
    softplus_source: tuple[str, float | None] = ("noisy_lif", None)
    soft_lif_gamma: float = 0.05
    cell_panels: bool = True
    train_activations: tuple[str, ...] = ("relu", "softplus", "soft_lif", "bio_softplus")
    train: TrainConfig = field(
        default_factory=lambda: dataclasses.replace(
            QUICK_TRAIN,
            widths=(300, 300, 300),
            epochs=5,
            train_size=None,
            eval_size=1000,
            lr=0.05,
            init="xavier",
        )
    )
    seed: int = 0

    def __post_init__(self) -> None:
        # one name per family and unit (neuroact.vocabulary); aliases such as "rectifier" are
        # accepted and stored as their keys, unknown families fail here, before any work
        self.families = tuple(get_family(f).name for f in self.families)
        self.train_activations = tuple(canonical(a) for a in self.train_activations)
        check_curves(self.sim_curves, self.sim_currents, self.sim_trials, sim_run(self))


def sim_run(config: Config) -> dict:
    """The settings of the simulated curves' runs (:func:`~neuroact.bio.fi.fi_curve`)."""
    return {
        "duration_s": config.sim_duration_s,
        "transient_s": config.sim_transient_s,
        "dt_ms": config.sim_dt_ms,
        "target": config.sim_target,
        "seed": config.seed,
    }


PROFILES = {
    # the per-cell panels are the full run's; the quick report keeps the summary figure
    "quick": Config(cell_panels=False, train=dataclasses.replace(Config().train, epochs=3)),
    "full": Config(
        sim_currents=61,
        sim_trials=100,
        sim_duration_s=2.0,
        sim_transient_s=0.5,
        sim_dt_ms=0.01,
        sim_target="cython",
        # softplus-like units collapse to chance at 0.05 on 3 x 1000 (see glorot_table1)
        train=TrainConfig(epochs=15, eval_size=2000, lr=0.02, init="xavier"),
    ),
}

# --- step 1: simulated curves ----------------------------------------------------------------


def _input_table(inputs: dict, experiment: str, table: str) -> pd.DataFrame | None:
    """``table`` of the earlier run ``inputs[experiment]``, or None if absent or incomplete."""
    path = inputs.get(experiment)
    if not path or not (Path(path) / f"{table}.csv").is_file():
        return None
    return pd.read_csv(Path(path) / f"{table}.csv")


def _fi_table(config: Config, run: ExperimentRun, inputs: dict) -> pd.DataFrame:
    """The f-I curves to fit: the ``fi_curves`` run of ``inputs``, else :func:`simulate_curve`
    for each of ``config.sim_curves``."""
    given = _input_table(inputs, "fi_curves", "fi_curves")
    if given is not None:
        return given
    jobs = curve_jobs(config.sim_curves, config.sim_currents, config.sim_trials, sim_run(config))
    table = run.map(simulate_curve, jobs, group="curves", desc="compare: f-I curves")
    run.folder.write_table("sim_fi", table)
    return table


def _source_fit(fits: pd.DataFrame, source, family: str) -> pd.Series | None:
    """The successful ``family`` fit of the curve ``source = (model, sigma or None)``."""
    model, sigma = source
    d = fits[(fits["model"] == model) & (fits["family"] == family) & fits["success"]]
    if d.empty:
        return None
    if sigma is None:
        d = d[d["sigma_mV"] == d["sigma_mV"].max()]
    else:
        d = d[np.isclose(d["sigma_mV"], sigma)]
    return None if d.empty else d.iloc[0]


# --- step 3: biological activations ----------------------------------------------------------


def bio_parameters(sim_fits: pd.DataFrame, config: Config) -> pd.DataFrame:
    """``bio_activations`` table: the activation, its source curve and its parameters."""
    rows = []
    lif_row = _source_fit(sim_fits, config.soft_lif_source, "lif")
    if lif_row is not None:
        p = soft_lif_params(
            {k: lif_row[k] for k in ("tau", "t_ref", "i_th")}, config.soft_lif_gamma
        )
        rows.append(
            {
                "activation": "soft_lif",
                "source": lif_row["curve"],
                "r2": lif_row["r2"],
                "i_th": lif_row["i_th"],
                "current_unit": lif_row["current_unit"],
                **p,
            }
        )
    sp_row = _source_fit(sim_fits, config.softplus_source, "softplus")
    if sp_row is not None:
        b = softplus_sharpness({k: sp_row[k] for k in ("g", "theta", "beta")})
        rows.append(
            {
                "activation": "bio_softplus",
                "source": sp_row["curve"],
                "r2": sp_row["r2"],
                "theta": sp_row["theta"],
                "beta": sp_row["beta"],
                "current_unit": sp_row["current_unit"],
                "sharpness": b,
            }
        )
    return pd.DataFrame(rows)


def bio_units(bio: pd.DataFrame) -> dict[str, dict]:
    """The ``TrainConfig`` fields of each unit of a ``bio_activations`` table.

    ``soft_lif`` is the built-in soft-LIF unit with the fitted ``tau``, ``t_ref`` and ``gamma``;
    ``bio_softplus`` is the built-in softplus unit with the fitted sharpness as its ``beta``.
    Returns ``{unit: {"activation": ..., "activation_params": {...}}}``.
    """
    units = {}
    for _, row in bio.iterrows():
        if row["activation"] == "soft_lif":
            units["soft_lif"] = soft_lif_activation(
                {"tau": row["tau"], "t_ref": row["t_ref"]}, float(row["gamma"])
            )
        elif row["activation"] == "bio_softplus":
            # the table's sharpness is already beta * I_scale: a current scale of 1 keeps it
            units["bio_softplus"] = softplus_activation({"beta": row["sharpness"]}, 1.0)
    return units


def activation_curves(bio: pd.DataFrame, x=None) -> pd.DataFrame:
    """f(x) of the bio activations and of ReLU/softplus on a grid, for the figure."""
    x = np.linspace(-2.0, 3.0, 401) if x is None else np.asarray(x, float)
    units = {"relu": {"activation": "relu"}, "softplus": {"activation": "softplus"}}
    units |= bio_units(bio)
    xt = torch.tensor(x, dtype=torch.float32)
    rows = []
    with torch.no_grad():
        for name, unit in units.items():
            y = make_activation(unit["activation"], **unit.get("activation_params", {}))(xt)
            rows.append(pd.DataFrame({"activation": name, "x": x, "y": y.numpy()}))
    return pd.concat(rows, ignore_index=True)


def train_job(unit: str, **network) -> pd.DataFrame:
    """Job: one network trained by :func:`~neuroact.experiments._training.train_network`
    (``network`` are its arguments), its epoch x layer table.

    The ``activation`` column holds ``unit``, the network's name in this experiment's tables:
    ``bio_softplus`` is the softplus unit with a fitted sharpness, told apart from the plain
    softplus network that way.
    """
    return train_network(**network).assign(activation=unit)


def bio_networks(config: Config, bio: pd.DataFrame) -> dict[str, TrainConfig]:
    """``{unit: TrainConfig}`` of the networks of step 3: the ``train`` template with each unit
    of ``train_activations`` (a bio unit whose source curve had no successful fit is left out)."""
    units = bio_units(bio)
    return {
        act: dataclasses.replace(
            config.train, **units.get(act, {"activation": act}), seed=config.seed
        )
        for act in config.train_activations
        if act not in BIO_UNITS or act in units
    }


def _train_bio(config: Config, run: ExperimentRun, bio: pd.DataFrame) -> pd.DataFrame:
    jobs = []
    for unit, network in bio_networks(config, bio).items():
        job = run.training_job(unit, network)
        jobs.append(Job(unit, {"unit": unit, **job.params}))
    history = run.map(train_job, jobs, group="bio_networks", desc="compare: bio activations")
    # every checkpoint is deleted once its network is finished: leave no empty folder
    with contextlib.suppress(OSError):
        (run.folder.path / "checkpoints").rmdir()
    return history


# --- the experiment --------------------------------------------------------------------------


def run(config: Config, out: str | os.PathLike, **options: Unpack[RunOptions]) -> RunFolder:
    """Run the comparison into ``out`` (module docstring); resumes step by step.

    ``options`` are the :class:`~neuroact.experiments._training.RunOptions` of every experiment;
    ``inputs`` may name the ``fi_curves``, ``population_sparsity`` and ``train_networks`` runs.
    """
    inputs = dict(options.pop("inputs", None) or {})
    t0 = time.perf_counter()
    run = ExperimentRun.open(config, Config, out, **options)
    folder = run.folder
    if not folder.has("sim_fits.csv"):
        fi = _fi_table(config, run, inputs)
        points, fits = fit_simulated(fi, config.families, config.criterion, config.rate_column)
        folder.write_table("sim_points", points)
        folder.write_table("sim_fits", fits)
    sim_fits = folder.read_table("sim_fits")

    measured = find_file(config.measured_file, run.data_dir)  # the package copy by default
    if not folder.has("measured_summary.csv") and measured.exists():
        _fit_measured(config, run, measured)

    if not folder.has("bio_activations.csv"):
        bio = bio_parameters(sim_fits, config)
        folder.write_table("bio_activation_curves", activation_curves(bio))
        folder.write_table("bio_activations", bio)
    bio = folder.read_table("bio_activations")

    if not folder.has("bio_training_summary.csv"):
        history = _train_bio(config, run, bio)
        folder.write_table("bio_history", history)
        folder.write_table("bio_training_summary", network_table(history))

    population = _input_table(inputs, "population_sparsity", "population_summary")
    history = _input_table(inputs, "train_networks", "history")
    contrast = build_contrast(population, history, folder.read_table("bio_history"))
    folder.write_table("contrast", contrast)
    if run.figures:
        draw(folder)
    used = {
        "population_sparsity": population is not None,
        "train_networks": history is not None,
        "measured": str(measured) if measured.exists() else f"skipped: {measured} not found",
    }
    folder.write_metadata(
        seed=config.seed,
        data_dir=run.data_dir,
        inputs={k: str(v) for k, v in inputs.items()},
        used=used,
        steps_seconds=time.perf_counter() - t0,
    )
    return folder


def _fit_measured(config: Config, run: ExperimentRun, path: Path) -> None:
    """Step 2: every family fitted to every measured cell; four tables."""
    curves = read_fi_table(
        path,
        cell_col=config.measured_cell_col,
        current_col=config.measured_current_col,
        rate_col=config.measured_rate_col,
        current_unit=config.measured_current_unit,
    )
    cells = fit_cells(
        curves,
        config.families,
        criterion=config.criterion,
        progress=run.progress,
        workers=run.workers if run.scheduler is None else 1,  # the same table on any number
    )
    run.folder.write_table("measured_points", curves.data.assign(current_unit=curves.current_unit))
    run.folder.write_table("measured_fits", cells.table)
    run.folder.write_table("measured_winners", cells.winners())
    run.folder.write_table("measured_summary", cells.summary())


def draw(run: RunFolder) -> list[Path]:
    """Redraw every figure of this experiment from its tables."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import compare as figs
    from neuroact.figures import save

    paths: list[Path] = []
    config = run.read_json("config.json") if run.has("config.json") else {}
    families = list(config.get("families", FAMILIES))
    criterion = config.get("criterion", "aic")
    if run.has("sim_fits.csv"):
        fig = figs.plot_fit_grid(
            run.read_table("sim_points"),
            run.read_table("sim_fits"),
            group_col="curve",
            families=families,
            criterion=criterion,
            ncols=4,
            title="Simulated f-I curves and fitted activation families",
        )
        paths += save(fig, run.path / "sim_fits.png")
    if run.has("measured_fits.csv") and config.get("cell_panels", True):
        points = run.read_table("measured_points")
        fig = figs.plot_fit_grid(
            points,
            run.read_table("measured_fits"),
            current_unit=str(points["current_unit"].iloc[0]),
            families=families,
            criterion=criterion,
            title="Measured f-I curves (rat L5 pyramidal cells)",
        )
        paths += save(fig, run.path / "measured_fits.png")
    if run.has("measured_fits.csv"):
        fig = figs.plot_family_summary(
            run.read_table("measured_summary"),
            run.read_table("measured_fits"),
            criterion=criterion,
            title="Which family describes the measured f-I curves best",
        )
        paths += save(fig, run.path / "measured_summary.png")
    if run.has("bio_activation_curves.csv"):
        fig = figs.plot_bio_activation(run.read_table("bio_activation_curves"))
        paths += save(fig, run.path / "bio_activations.png")
    if run.has("contrast.csv"):
        contrast = run.read_table("contrast")
        paths += save(figs.plot_contrast(contrast), run.path / "contrast.png")
        paths += save(figs.plot_accuracy_sparsity(contrast), run.path / "accuracy_sparsity.png")
    return paths


__all__ = [
    "Config",
    "PROFILES",
    "run",
    "draw",
    "fit_simulated",
    "bio_parameters",
    "activation_curves",
    "bio_units",
    "curve_label",
    "train_job",
    "bio_networks",
    "simulate_curve",
]
