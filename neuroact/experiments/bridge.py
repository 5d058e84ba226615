"""The bridge: trained rectifier networks run as spiking neurons, measured like cortex.

Does a rectifier network that works as an ANN also work as a network of spiking neurons, and can
it then be as sparse as cortex (Lennie 2003: 1-4% of neurons active at once) and as fast as
ultra-rapid visual categorisation (about 150 ms; Thorpe, Fize & Marlot 1996)?

Steps (every step a resumable job; :mod:`neuroact.bridge` does the work):

1. The LIF unit's f-I curve, simulated by the fast engine at the experiment's ``dt``, fitted with
   the ``lif`` family (:func:`neuroact.compare.fit.fit_curve`): the soft-LIF unit of Hunsberger &
   Eliasmith (2015) "fitted to that LIF neuron" (``soft_lif_fit.csv``).
2. Networks (``networks.csv``, ``ann_layers.csv``; weights in ``models/``): the MLP of
   ``config.train`` with ReLU units and each L1 activation penalty of ``l1s`` (Glorot et al.
   2011's sparse rectifier networks), and one with the fitted soft-LIF unit.
3. Conversion and simulation of the test set by the fast engine (``points.csv``: one row per
   network x unit x rate scale x simulated time; ``layers.csv`` per hidden layer): IF neurons at
   each rate scale ``if_max_rates`` (the threshold scale of Rueckauer et al. 2017), LIF neurons
   (the package's LIF: 10 ms, 2 ms) at ``lif_max_rates`` for ReLU networks and at the soft-LIF
   unit's own rate for the soft-LIF network.
4. The frontier (``frontier.csv``): per network and unit, the sparsest point within 1 point of
   the ANN and the fastest point in Lennie's band (:mod:`neuroact.bridge.frontier`).
5. The Brian2 reference engine on the first ``brian2_images`` test images (``brian2.csv``):
   agreement of spikes and predictions with the fast engine, and each engine's speed.
6. A showcase (``raster.csv``, ``rates.csv``): one image's hidden-layer spikes and each neuron's
   rate, for the densest IF setting and for the fastest in-band point.

``reference_bands.csv`` keeps the bands the frontier figure draws: Lennie's 1-4%, the share of
Brunel networks' neurons active per 50 ms in their asynchronous-irregular states (from a
``population_sparsity`` run given as ``inputs``; absent otherwise) and the 17-32% of units a
rectifier ANN has active (Glorot et al. 2011's 68-83% zeros).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from neuroact.ann.checkpoints import discard_checkpoint
from neuroact.ann.models import build_model
from neuroact.ann.train import Data, TrainConfig, load_data, torch_settings, train
from neuroact.bridge import frontier
from neuroact.bridge.convert import convert
from neuroact.bridge.engine import unit_rates
from neuroact.bridge.measures import ann_activity
from neuroact.bridge.neurons import make_neuron
from neuroact.bridge.study import compare_engines, showcase, twin_tables
from neuroact.compare.bio_activation import soft_lif_params
from neuroact.compare.fit import fit_curve
from neuroact.experiments._training import QUICK_TRAIN
from neuroact.literature import GLOROT_2011_SPARSITY, LENNIE_2003
from neuroact.parallel import Job, run_jobs, threads_for
from neuroact.results import RunFolder, atomic_path, write_csv
from neuroact.vocabulary import canonical

CHECKPOINTS_MS = (5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000)
WINDOWS_MS = (10.0, 20.0, 50.0, 100.0, 200.0)


def _default_train() -> TrainConfig:
    return TrainConfig(dataset="mnist", widths=(1000, 1000, 1000), epochs=10, probes=False)


@dataclass
class Config:
    """Networks, rate scales and simulated times of the bridge experiment.

    ``train`` is the template of every network (its ``l1`` and ``activation`` are replaced).
    Every ReLU network runs on IF neurons at each ``(max_rate_Hz, duration_ms, v_init)`` of
    ``if_settings`` and on LIF neurons at each of ``lif_settings``; the soft-LIF network runs on
    LIF neurons at its own rate for each ``(duration_ms, v_init)`` of ``soft_lif_settings``.
    ``v_init`` is the membrane potential at image onset (threshold units; 0 = rest): 0.5 halves
    the latency of the rate code, and the settings from rest show what that is worth.
    """

    train: TrainConfig = field(default_factory=_default_train)
    l1s: tuple[float, ...] = (0.0, 1e-4, 1e-3, 3e-3)
    soft_lif: bool = True
    soft_lif_gamma: float = 0.05
    dt_ms: float = 1.0
    percentile: float = 99.9
    calibration_size: int = 10_000
    test_size: int | None = None
    if_settings: tuple[tuple[float, float, float], ...] = (
        (1000.0, 50.0, 0.5),
        (100.0, 300.0, 0.5),
        (30.0, 500.0, 0.5),
        (1000.0, 50.0, 0.0),
        (100.0, 300.0, 0.0),
    )
    lif_settings: tuple[tuple[float, float, float], ...] = ((250.0, 100.0, 0.5),)
    soft_lif_settings: tuple[tuple[float, float], ...] = ((100.0, 0.5),)
    sim_batch_size: int = 500
    brian2_images: int = 500
    brian2_duration_ms: float = 25.0
    brian2_target: str = "numpy"
    showcase_images: int = 1000
    budget: str = "attwell_laughlin_2001"

    def __post_init__(self) -> None:
        if isinstance(self.train, dict):
            self.train = TrainConfig(**self.train)
        for name, width in (("if_settings", 3), ("lif_settings", 3), ("soft_lif_settings", 2)):
            value = getattr(self, name)
            if any(len(item) != width for item in value):
                raise ValueError(f"{name} must hold {width}-tuples; got {value!r}")
            setattr(self, name, tuple(tuple(float(v) for v in item) for item in value))


PROFILES = {
    "quick": Config(
        # offline: the MNIST subset shipped in the package, as every quick ANN profile; sized
        # to a few tens of seconds (CI runs it inside the main job)
        train=dataclasses.replace(QUICK_TRAIN, widths=(100, 100), epochs=3, lr=0.1, probes=False),
        l1s=(0.0, 1e-3),
        calibration_size=2000,
        test_size=300,
        if_settings=((1000.0, 50.0, 0.5), (30.0, 200.0, 0.5)),
        lif_settings=((250.0, 30.0, 0.5),),
        soft_lif_settings=((30.0, 0.5),),
        brian2_images=10,
        showcase_images=100,
    ),
    "full": Config(),
}


@functools.lru_cache(maxsize=2)
def _data(dataset: str, data_dir: str | None, train_size: int | None) -> Data:
    return load_data(dataset, data_dir, train_size)


def fit_soft_lif(dt_ms: float, gamma: float) -> dict:
    """Soft-LIF parameters from the LIF unit's f-I curve simulated at ``dt_ms`` (0-6 I_th)."""
    lif = make_neuron("lif")
    current = np.linspace(0.0, 6.0, 121)
    rate = unit_rates(lif, current, dt=dt_ms * 1e-3, duration=2.0)
    # currents are in units of the threshold current; fit_curve only needs a unit label
    fit = fit_curve(current, rate, "lif", current_unit="nA")
    if not fit.success:
        raise RuntimeError(f"the LIF f-I curve could not be fitted: {fit.message}")
    return {
        "dt_ms": dt_ms,
        "neuron_tau_m_ms": lif.tau_m * 1e3,
        "neuron_t_ref_ms": lif.t_ref * 1e3,
        **soft_lif_params(fit, gamma),
        "i_th": float(fit.params["i_th"]),
        "r2": float(fit.r2),
    }


def network_keys(config: Config) -> list[tuple[str, str, float]]:
    """``(key, unit, l1)`` of every network."""
    keys = [(f"relu_l1={l1:g}", "relu", float(l1)) for l1 in config.l1s]
    return keys + ([("soft_lif", "soft_lif", 0.0)] if config.soft_lif else [])


def load_network(path: str | Path):
    """A network saved by :func:`train_network` (``build_model`` + its weights), in eval mode."""
    state = torch.load(Path(path), map_location="cpu", weights_only=False)
    c = state["config"]
    model = build_model(
        c["model"],
        widths=tuple(c["widths"]),
        in_features=state["in_features"],
        n_classes=state["n_classes"],
        activation=c["activation"],
        activation_params=c["activation_params"],
    )
    model.load_state_dict(state["state_dict"])
    return model.eval()


def train_network(
    config: TrainConfig, *, key: str, path: str, data_dir: str | None, test_size: int | None
) -> pd.DataFrame:
    """Train one network (resumable through a checkpoint), save it to ``path``; return the ANN's
    accuracy and sparsity on the test images, one row per hidden layer plus the pooled row."""
    data = _data(config.dataset, data_dir, config.train_size)
    out = Path(path)
    if not out.is_file():
        checkpoint = out.with_suffix(".ckpt")
        result = train(config, data=data, checkpoint=checkpoint, progress=False)
        state = {
            "config": config.to_dict(),
            "state_dict": result.model.state_dict(),
            "in_features": int(data.train_x.shape[1]),
            "n_classes": int(data.train_y.max()) + 1,
            "train_seconds": float(result.history["train_seconds"].sum()),
        }
        with atomic_path(out) as tmp:
            torch.save(state, tmp)
        discard_checkpoint(checkpoint)
    state = torch.load(out, map_location="cpu", weights_only=False)
    model = load_network(out)
    x, y = _test(data, test_size)
    table = ann_activity(model, x, y)
    table.insert(0, "network", key)
    table["unit"] = canonical(config.activation)
    table["l1"] = config.l1
    table["train_seconds"] = state["train_seconds"]
    return table


def _test(data: Data, test_size: int | None):
    n = data.test_x.shape[0] if test_size is None else min(int(test_size), data.test_x.shape[0])
    return data.test_x[:n], data.test_y[:n]


def _converted(model_path, data, calibration_size, neuron, max_rate, dt_ms, percentile, v_init):
    n = min(int(calibration_size), data.train_x.shape[0])
    return convert(
        load_network(model_path),
        data.train_x[:n],
        labels=data.train_y[:n],
        neuron=neuron,
        max_rate=max_rate,
        percentile=percentile,
        dt=dt_ms * 1e-3,
        v_init=v_init,
    )


def sweep_job(
    *,
    key,
    unit,
    l1,
    model_path,
    layers_path,
    data,
    convert_args,
    duration_ms,
    test_size,
    batch_size,
    budget,
    threads,
) -> pd.DataFrame:
    """One network at one rate scale on the test images: operating points (returned) and the
    per-layer table (written to ``layers_path``); see :func:`neuroact.bridge.study.twin_tables`."""
    dataset = _data(*data)
    with torch_settings(threads, False):
        net = _converted(model_path, dataset, **convert_args)
        x, y = _test(dataset, test_size)
        ckpts = sorted({c for c in CHECKPOINTS_MS if c <= duration_ms} | {duration_ms})
        points, layers = twin_tables(
            net,
            x,
            y.numpy(),
            duration_ms * 1e-3,
            checkpoints_ms=ckpts,
            windows_ms=WINDOWS_MS,
            batch_size=batch_size,
            budget=budget,
        )
    for frame in (points, layers):
        for i, (k, v) in enumerate({"network": key, "unit": unit, "l1": l1}.items()):
            frame.insert(i, k, v)
    write_csv(layers_path, layers)
    return points


def brian2_job(*, model_path, data, convert_args, n_images, duration_ms, target, threads) -> dict:
    """Brian2 against the fast engine (:func:`neuroact.bridge.study.compare_engines`)."""
    dataset = _data(*data)
    with torch_settings(threads, False):
        net = _converted(model_path, dataset, **convert_args)
        x, y = dataset.test_x[:n_images], dataset.test_y[:n_images].numpy()
        return compare_engines(net, x, y, duration_ms * 1e-3, target=target)


def showcase_job(
    *, label, model_path, raster_path, data, convert_args, n_images, duration_ms, threads
) -> pd.DataFrame:
    """Per-neuron rates (returned) and one image's raster (written to ``raster_path``)."""
    dataset = _data(*data)
    with torch_settings(threads, False):
        net = _converted(model_path, dataset, **convert_args)
        rates, spikes = showcase(net, dataset.test_x[:n_images], duration_ms * 1e-3)
    spikes.insert(0, "setting", label)
    write_csv(raster_path, spikes)
    rates.insert(0, "setting", label)
    return rates


def reference_bands(inputs: dict | None) -> pd.DataFrame:
    """The bands drawn beside the frontier: Lennie, Brunel (from ``inputs``), rectifier ANNs."""
    rows = [
        {"name": LENNIE_2003.name, "low": LENNIE_2003.low, "high": LENNIE_2003.high},
        {
            "name": "rectifier ANN (68-83% zeros)",
            "low": 1 - GLOROT_2011_SPARSITY.high,
            "high": 1 - GLOROT_2011_SPARSITY.low,
        },
    ]
    pop = (inputs or {}).get("population_sparsity")
    path = Path(getattr(pop, "path", pop or ".")) / "population_summary.csv"
    if pop is not None and path.is_file():
        summary = pd.read_csv(path)
        if {"asynchronous_irregular", "frac_active_50ms"} <= set(summary):
            ai = summary[summary["asynchronous_irregular"].astype(bool)]
            if not ai.empty:
                rows.append(
                    {
                        "name": "Brunel network, asynchronous-irregular",
                        "low": float(ai["frac_active_50ms"].min()),
                        "high": float(ai["frac_active_50ms"].max()),
                    }
                )
    return pd.DataFrame(rows)


def _settings(config: Config, nets) -> list[tuple]:
    """``(network, unit, l1, neuron, max_rate, duration_ms, v_init)`` of every simulation."""
    out = []
    for key, unit, l1 in nets:
        if unit == "soft_lif":
            out += [(key, unit, l1, "lif", None, d, v) for d, v in config.soft_lif_settings]
            continue
        out += [(key, unit, l1, "if", r, d, v) for r, d, v in config.if_settings]
        out += [(key, unit, l1, "lif", r, d, v) for r, d, v in config.lif_settings]
    return out


def _network_jobs(config, folder, nets, data_dir, threads) -> list[Job]:
    """One training job per network: ``config.train`` with its ``l1`` or soft-LIF unit."""
    common = {"data_dir": data_dir, "test_size": config.test_size}
    jobs = []
    for key, unit, l1 in nets:
        extra = {"l1": l1}
        if unit == "soft_lif":  # the unit fitted to the LIF neuron first
            fit = run_jobs(
                fit_soft_lif,
                [Job("fit", {"dt_ms": config.dt_ms, "gamma": config.soft_lif_gamma})],
                folder,
                "soft_lif_fit",
                progress=False,
            )
            folder.write_table("soft_lif_fit", fit)
            params = {k: float(fit[k].iloc[0]) for k in ("tau", "t_ref", "gamma")}
            extra = {"activation": "soft_lif", "activation_params": params}
        path = str(folder.path / "models" / f"{key}.pt")
        train_config = dataclasses.replace(config.train, threads=threads, **extra)
        jobs.append(Job(key, {"config": train_config, "key": key, "path": path} | common))
    return jobs


def run(
    config: Config,
    out,
    *,
    workers: int = 1,
    scheduler=None,
    progress: bool = True,
    data_dir=None,
    inputs=None,
    figures: bool = True,
) -> RunFolder:
    """Fit, train, convert, simulate and measure (module docstring); resumable."""
    folder = RunFolder(out)
    folder.write_config(config)
    data_dir = str(data_dir) if data_dir is not None else None
    # the template's torch threads (one in the quick profile: small matrices on a busy machine)
    threads = config.train.threads or threads_for(workers, scheduler)
    opts = {"workers": workers, "scheduler": scheduler, "progress": progress}
    clock, timings = time.perf_counter(), {}

    def lap(part: str) -> None:
        nonlocal clock
        timings[part] = time.perf_counter() - clock
        clock = time.perf_counter()

    nets = network_keys(config)
    jobs = _network_jobs(config, folder, nets, data_dir, threads)
    ann = run_jobs(train_network, jobs, folder, "networks", desc="bridge: networks", **opts)
    folder.write_table("ann_layers", ann)
    folder.write_table("networks", ann[ann["layer"] == 0].drop(columns="layer"))
    lap("networks")

    data = (config.train.dataset, data_dir, config.train.train_size)
    conv = {
        "calibration_size": config.calibration_size,
        "dt_ms": config.dt_ms,
        "percentile": config.percentile,
    }
    models = folder.path / "models"
    sweep = _sweep_jobs(config, folder.path, nets, data, conv, threads)
    points = run_jobs(sweep_job, sweep, folder, "sweep", desc="bridge: spiking twins", **opts)
    ann_cols = ["network", "frac_zero", "frac_active", "activation_sparsity"]
    pooled = ann[ann["layer"] == 0][ann_cols].rename(
        columns=lambda c: c if c == "network" else f"ann_{c}"
    )
    points = points.merge(pooled, on="network", how="left")
    folder.write_table("points", points)
    layers = [pd.read_csv(j.params["layers_path"]) for j in sweep]
    folder.write_table("layers", pd.concat(layers, ignore_index=True))
    table = frontier.frontier_table(points)
    folder.write_table("frontier", table)
    lap("sweep")

    b2 = _brian2_job(config, models, data, conv, threads)
    folder.write_table("brian2", run_jobs(brian2_job, [b2], folder, "brian2", progress=False))
    lap("brian2")

    show = _showcase_jobs(config, folder.path, points, table, data, conv, threads)
    rates = run_jobs(showcase_job, show, folder, "showcase", **opts)
    folder.write_table("rates", rates)
    spikes = [pd.read_csv(j.params["raster_path"]) for j in show]
    folder.write_table("raster", pd.concat(spikes, ignore_index=True))
    folder.write_table("reference_bands", reference_bands(inputs))
    lap("showcase")
    folder.write_table(
        "timings", pd.DataFrame({"part": list(timings), "seconds": list(timings.values())})
    )
    if figures:
        draw(folder)
    folder.write_metadata(seed=config.train.seed, torch_threads=torch.get_num_threads())
    return folder


def _sweep_jobs(config: Config, folder: Path, nets, data, conv: dict, threads: int) -> list[Job]:
    """One job per (network, neuron, rate scale, simulated time, initial potential)."""
    models = folder / "models"
    sweep = []
    for key, unit, l1, neuron, rate, duration, v_init in _settings(config, nets):
        name = f"{key}_{neuron}_{'unit' if rate is None else f'{rate:g}Hz'}_v{v_init:g}"
        sweep.append(
            Job(
                name,
                {
                    "key": key,
                    "unit": unit,
                    "l1": l1,
                    "model_path": str(models / f"{key}.pt"),
                    "layers_path": str(folder / "layers" / f"{name}.csv"),
                    "data": data,
                    "convert_args": conv | {"neuron": neuron, "max_rate": rate, "v_init": v_init},
                    "duration_ms": duration,
                    "test_size": config.test_size,
                    "batch_size": config.sim_batch_size,
                    "budget": config.budget,
                    "threads": threads,
                },
            )
        )
    return sweep


def _brian2_job(config: Config, models: Path, data, conv: dict, threads: int) -> Job:
    """The reference engine on the dense ReLU network's IF twin."""
    dense = {
        "model_path": str(models / f"relu_l1={config.l1s[0]:g}.pt"),
        "data": data,
        "convert_args": conv | {"neuron": "if", "max_rate": None, "v_init": 0.5},
        "threads": threads,
    }
    return Job(
        "brian2",
        dense
        | {
            "n_images": config.brian2_images,
            "duration_ms": config.brian2_duration_ms,
            "target": config.brian2_target,
        },
    )


def _showcase_jobs(config, folder, points, table, data, conv, threads) -> list[Job]:
    """The densest IF setting of the first network and the fastest in-band (else sparsest)
    point over all ReLU networks, each at the simulated time of its frontier point."""
    dense = points[(points["unit"] == "relu") & (points["neuron"] == "if")]
    dense = dense[dense["max_rate_Hz"] == dense["max_rate_Hz"].max()]
    dense = dense[dense["network"] == dense["network"].iloc[0]]
    dense = dense[dense["v_init"] == dense["v_init"].max()]
    picks = [("dense", frontier.sparsest(dense))]
    found = table[(table["group_network"] == "all ReLU networks") & table["found"]]
    found = found.sort_values(["kind", "time_ms"], kind="stable")
    for kind in ("fastest_in_band_full_window", "fastest_in_band", "sparsest_active_50ms"):
        if (found["kind"] == kind).any():
            picks.append(("sparse", found[found["kind"] == kind].iloc[0]))
            break
    jobs = []
    for label, row in picks:
        if row is None:
            continue
        rate = None if row["unit"] == "soft_lif" else float(row["max_rate_Hz"])
        jobs.append(
            Job(
                label,
                {
                    "label": label,
                    "model_path": str(folder / "models" / f"{row['network']}.pt"),
                    "raster_path": str(folder / "showcase" / f"{label}_raster.csv"),
                    "data": data,
                    "convert_args": conv
                    | {"neuron": row["neuron"], "max_rate": rate, "v_init": row["v_init"]},
                    "n_images": config.showcase_images,
                    "duration_ms": float(row["time_ms"]),
                    "threads": threads,
                },
            )
        )
    return jobs


def draw(run: RunFolder) -> list[Path]:
    """Redraw every figure of the experiment from its tables."""
    from neuroact.figures import bridge as figs  # matplotlib: only when drawing
    from neuroact.figures import save

    points = run.read_table("points")
    bands = run.read_table("reference_bands")
    drawn = {
        "bridge_accuracy_vs_time": figs.accuracy_vs_time(points),
        "bridge_frontier": figs.frontier(points, bands),
        "bridge_sparsity_vs_time": figs.sparsity_vs_time(points),
        "bridge_raster": figs.rasters(run.read_table("raster")),
        "bridge_rates": figs.rate_histograms(run.read_table("rates")),
    }
    return [p for name, fig in drawn.items() for p in save(fig, run.path / name)]
