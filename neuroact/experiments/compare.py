"""Experiment ``compare``: activation families fitted to f-I curves, and the sparsity contrast.

Steps (each writes its tables; a rerun skips the steps whose tables exist):

1. **Simulated f-I curves.** Reads ``fi_curves.csv`` of an ``fi_curves`` run
   (``inputs={"fi_curves": RUN}``), or runs that experiment's profile ``fi_profile`` into
   ``OUT/fi_curves`` when no folder is given. Every curve (model x noise level, steady-state rate)
   is fitted with every family of ``families``: ``sim_fits.csv`` (one row per curve x family,
   ranked by AIC), ``sim_points.csv``.
2. **Measured f-I curves.** The table ``measured_file`` under ``data_dir`` (default: the 44 rat
   L5 pyramidal cells of ``fi-measured``; any tidy table with the column names of ``Config``
   works): ``measured_fits.csv``, ``measured_winners.csv``, ``measured_summary.csv`` (wins and
   median R^2 per family), ``measured_points.csv``.
3. **Biological activations.** ``soft_lif`` (Hunsberger & Eliasmith 2015) from the ``lif``-family
   fit of the curve ``soft_lif_source`` and ``bio_softplus`` from the ``softplus`` fit of
   ``softplus_source`` (see :mod:`neuroact.compare.bio_activation`); ``bio_activations.csv``
   (their parameters) and ``bio_activation_curves.csv``. The MLP of ``train`` is trained with
   each of ``train_activations`` (the bio units and reference units) as resumable jobs:
   ``bio_history.csv`` and ``bio_training_summary.csv`` (test error and sparsity).
4. **Contrast.** ``contrast.csv`` (:func:`neuroact.compare.contrast.build_contrast`): literature
   bands, the networks of a ``population_sparsity`` run and of a ``train_networks`` run when
   given in ``inputs``, and the bio-activation networks of step 3.

Figures: ``sim_fits.png``, ``measured_fits.png``, ``measured_summary.png``,
``bio_activations.png``, ``contrast.png``, ``accuracy_sparsity.png``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from neuroact.compare.fit import CURRENT_DENSITY_UNITS, CURRENT_UNITS, fit_families
from neuroact.parallel import Job, run_jobs
from neuroact.results import RunFolder

DATA_ENV = "NEUROACT_DATA_DIR"
FAMILIES = ("rectifier", "softplus", "logistic", "power_law", "lif")


@dataclass
class Config:
    """What to fit and train.

    ``soft_lif_source`` / ``softplus_source``: ``(model, sigma_mV)`` of the simulated curve
    whose ``lif`` / ``softplus`` fit defines the activation (sigma None: the largest noise level
    of that model). ``train``: fields of :class:`neuroact.ann.train.TrainConfig` shared by the
    bio-activation networks.
    """

    families: tuple[str, ...] = FAMILIES
    criterion: str = "aic"
    fi_profile: str = "quick"
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
    train_activations: tuple[str, ...] = ("relu", "softplus", "soft_lif", "bio_softplus")
    train: dict = field(
        default_factory=lambda: {
            "dataset": "mnist-subset",
            "widths": (300, 300, 300),
            "epochs": 5,
            "eval_size": 1000,
            "lr": 0.05,
            "init": "xavier",
        }
    )
    seed: int = 0


PROFILES = {
    "quick": Config(),
    "full": Config(
        fi_profile="full",
        train={
            "dataset": "mnist",
            "widths": (1000, 1000, 1000),
            "epochs": 15,
            "eval_size": 2000,
            # softplus-like units collapse to chance at 0.05 on 3 x 1000 (see glorot_table1)
            "lr": 0.02,
            "init": "xavier",
        },
    ),
}

_UNIT_ALIASES = {"uA/cm^2": "uA/cm2", "uA/cm**2": "uA/cm2", "µA/cm2": "uA/cm2", "µA": "uA"}


def _unit(name: str) -> str:
    """A current unit spelled the way :mod:`neuroact.compare.fit` knows it."""
    name = _UNIT_ALIASES.get(str(name).strip(), str(name).strip())
    if name not in CURRENT_UNITS and name not in CURRENT_DENSITY_UNITS:
        raise ValueError(f"current unit {name!r} of the f-I table is not a known current unit")
    return name


def _data_dir(data_dir) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


# --- step 1: simulated curves ----------------------------------------------------------------


def _input_table(inputs: dict, experiment: str, table: str) -> pd.DataFrame | None:
    """``table`` of the earlier run ``inputs[experiment]``, or None if absent or incomplete."""
    path = inputs.get(experiment)
    if not path or not (Path(path) / f"{table}.csv").is_file():
        return None
    return pd.read_csv(Path(path) / f"{table}.csv")


def simulate_fi_curves(seed: int = 0, sigmas_mV=(2.0, 5.0)) -> pd.DataFrame:
    """A small ``fi_curves``-shaped table simulated with Brian2 (numpy target): the LIF and the
    noisy LIF at each ``sigmas_mV``, 41 currents from 0 to 4 nA, 1 s runs, first 0.2 s dropped.

    Used when no ``fi_curves`` run is given and that experiment is not available.
    """
    from brian2 import mV, nA, second

    from neuroact.bio.fi import fi_curve
    from neuroact.bio.neurons import get_model

    currents = np.linspace(0.0, 4.0, 41) * nA
    runs = [("lif", 0.0, get_model("lif"))]
    runs += [("noisy_lif", s, get_model("noisy_lif", sigma=s * mV)) for s in sigmas_mV]
    tables = []
    for name, sigma, model in runs:
        curve = fi_curve(model, currents, duration=1 * second, transient=0.2 * second, seed=seed)
        tables.append(curve.to_frame().assign(model=name, sigma_mV=sigma))
    return pd.concat(tables, ignore_index=True)


def _fi_table(config: Config, folder: RunFolder, inputs, workers, scheduler, progress, data_dir):
    given = _input_table(inputs, "fi_curves", "fi_curves")
    if given is not None:
        return given
    from neuroact.experiments import get

    sub = RunFolder(folder.path / "fi_curves")
    if not sub.has("fi_curves.csv"):
        try:
            fi = get("fi_curves")
        except ImportError:  # the fi_curves experiment is not installed: simulate a small set
            sub.write_table("fi_curves", simulate_fi_curves(config.seed))
        else:
            fi.run(
                fi.PROFILES[config.fi_profile],
                sub.path,
                workers=workers,
                scheduler=scheduler,
                progress=progress,
                data_dir=data_dir,
            )
    return sub.read_table("fi_curves")


def curve_label(model: str, sigma_mV: float) -> str:
    """The name of one simulated curve: ``"lif"`` or ``"noisy_lif sigma=5 mV"``."""
    if sigma_mV is None or (isinstance(sigma_mV, float) and math.isnan(sigma_mV)) or sigma_mV == 0:
        return str(model)
    return f"{model} sigma={sigma_mV:g} mV"


def fit_simulated(fi: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every family to every (model, sigma) curve of an ``fi_curves`` table.

    Returns ``(points, fits)``: the fitted points and one row per curve x family.
    """
    fi = fi.copy()
    if "sigma_mV" not in fi:
        fi["sigma_mV"] = 0.0
    fi["sigma_mV"] = fi["sigma_mV"].fillna(0.0)
    points, fits = [], []
    for (model, sigma), d in fi.groupby(["model", "sigma_mV"], sort=False):
        unit = _unit(d["current_unit"].iloc[0]) if "current_unit" in d else "nA"
        label = curve_label(model, sigma)
        d = d.sort_values("current")
        comp = fit_families(
            d["current"].to_numpy(float),
            d[config.rate_column].to_numpy(float),
            config.families,
            criterion=config.criterion,
            current_unit=unit,
        )
        f = comp.to_frame()
        f.insert(0, "curve", label)
        f.insert(1, "model", model)
        f.insert(2, "sigma_mV", sigma)
        fits.append(f)
        points.append(
            pd.DataFrame(
                {
                    "curve": label,
                    "model": model,
                    "sigma_mV": sigma,
                    "current": d["current"].to_numpy(float),
                    "current_unit": unit,
                    "rate_Hz": d[config.rate_column].to_numpy(float),
                }
            )
        )
    return pd.concat(points, ignore_index=True), pd.concat(fits, ignore_index=True)


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
    from neuroact.compare.bio_activation import soft_lif_params, softplus_sharpness

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


def _register(bio: pd.DataFrame) -> None:
    from neuroact.compare.bio_activation import register_bio_activations

    rows = {r["activation"]: r for _, r in bio.iterrows()}
    lif = rows.get("soft_lif")
    sp = rows.get("bio_softplus")
    register_bio_activations(
        None if lif is None else {"tau": lif["tau"], "t_ref": lif["t_ref"]},
        None if sp is None else {"theta": 1.0, "beta": sp["sharpness"]},
        gamma=float(lif["gamma"]) if lif is not None else 0.05,
    )


def activation_curves(bio: pd.DataFrame, x=None) -> pd.DataFrame:
    """f(x) of the bio activations and of ReLU/softplus on a grid, for the figure."""
    import torch

    from neuroact.ann.activations import make_activation

    _register(bio)
    x = np.linspace(-2.0, 3.0, 401) if x is None else np.asarray(x, float)
    names = ["relu", "softplus"] + list(bio["activation"])
    xt = torch.tensor(x, dtype=torch.float32)
    rows = []
    with torch.no_grad():
        for name in names:
            y = make_activation(name)(xt).numpy()
            rows.append(pd.DataFrame({"activation": name, "x": x, "y": y}))
    return pd.concat(rows, ignore_index=True)


def train_job(
    train: dict, bio: list[dict], data_dir: str | None, checkpoint: str | None
) -> pd.DataFrame:
    """Job: register the bio activations (in this process) and train one network."""
    from neuroact.ann.train import TrainConfig
    from neuroact.ann.train import train as train_fn

    _register(pd.DataFrame(bio))
    result = train_fn(
        TrainConfig(**train), data_dir=data_dir, checkpoint=checkpoint, progress=False
    )
    try:
        return result.to_frame()
    except ValueError:
        # TrainResult.to_frame can collide on a column both tables hold (``lr``): join by hand,
        # keeping the per-epoch value and adding only the missing identity fields.
        from neuroact.ann.train import identity

        frame = result.layers.merge(result.history, on="epoch", how="left")
        for i, (k, v) in enumerate(identity(result.config).items()):
            if k not in frame:
                frame.insert(i, k, v)
        return frame


def _train_bio(config, folder, bio, workers, scheduler, progress, data_dir):
    ckpt = folder.path / "checkpoints"
    have = set(bio["activation"])
    jobs = []
    for act in config.train_activations:
        if act in ("soft_lif", "bio_softplus") and act not in have:
            continue
        train = {**config.train, "activation": act, "seed": config.seed}
        train["widths"] = tuple(train.get("widths", (300, 300, 300)))
        jobs.append(
            Job(
                act,
                {
                    "train": train,
                    "bio": bio.to_dict("records"),
                    "data_dir": None if data_dir is None else str(data_dir),
                    "checkpoint": str(ckpt / f"{act}.pt"),
                },
            )
        )
    return run_jobs(
        train_job,
        jobs,
        run=folder,
        group="bio_networks",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="compare: bio activations",
    )


# --- the experiment --------------------------------------------------------------------------


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
    """Run the comparison into ``out`` (module docstring); resumes step by step."""
    from neuroact.compare.contrast import build_contrast
    from neuroact.compare.measured import fit_cells, read_fi_table

    if not isinstance(config, Config):
        raise TypeError(f"config must be a compare.Config; got {type(config).__name__}")
    t0 = time.perf_counter()
    folder = RunFolder(out)
    folder.write_config(config)
    inputs = dict(inputs or {})

    if not folder.has("sim_fits.csv"):
        fi = _fi_table(config, folder, inputs, workers, scheduler, progress, data_dir)
        points, fits = fit_simulated(fi, config)
        folder.write_table("sim_points", points)
        folder.write_table("sim_fits", fits)
    sim_fits = folder.read_table("sim_fits")

    measured = _data_dir(data_dir) / config.measured_file
    if not folder.has("measured_summary.csv") and measured.exists():
        curves = read_fi_table(
            measured,
            cell_col=config.measured_cell_col,
            current_col=config.measured_current_col,
            rate_col=config.measured_rate_col,
            current_unit=config.measured_current_unit,
        )
        cells = fit_cells(curves, config.families, criterion=config.criterion, progress=progress)
        folder.write_table("measured_points", curves.data.assign(current_unit=curves.current_unit))
        folder.write_table("measured_fits", cells.table)
        folder.write_table("measured_winners", cells.winners())
        folder.write_table("measured_summary", cells.summary())

    if not folder.has("bio_activations.csv"):
        bio = bio_parameters(sim_fits, config)
        folder.write_table("bio_activation_curves", activation_curves(bio))
        folder.write_table("bio_activations", bio)
    bio = folder.read_table("bio_activations")

    if not folder.has("bio_training_summary.csv"):
        from neuroact.experiments.train_networks import summarize

        history = _train_bio(config, folder, bio, workers, scheduler, progress, data_dir)
        folder.write_table("bio_history", history)
        folder.write_table("bio_training_summary", summarize(history))

    population = _input_table(inputs, "population_sparsity", "population_summary")
    history = _input_table(inputs, "train_networks", "history")
    contrast = build_contrast(population, history, folder.read_table("bio_history"))
    folder.write_table("contrast", contrast)
    draw(folder)
    used = {
        "population_sparsity": population is not None,
        "train_networks": history is not None,
        "measured": str(measured) if measured.exists() else f"skipped: {measured} not found",
    }
    folder.write_metadata(
        seed=config.seed,
        data_dir=None if data_dir is None else str(data_dir),
        inputs={k: str(v) for k, v in inputs.items()},
        used=used,
        steps_seconds=time.perf_counter() - t0,
    )
    return folder


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
    if run.has("measured_fits.csv"):
        points = run.read_table("measured_points")
        fits = run.read_table("measured_fits")
        fig = figs.plot_fit_grid(
            points,
            fits,
            current_unit=str(points["current_unit"].iloc[0]),
            families=families,
            criterion=criterion,
            title="Measured f-I curves (rat L5 pyramidal cells)",
        )
        paths += save(fig, run.path / "measured_fits.png")
        fig = figs.plot_family_summary(
            run.read_table("measured_summary"),
            fits,
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
    "curve_label",
    "train_job",
]
