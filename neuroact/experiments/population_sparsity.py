"""Population sparsity of a Brunel (2000) balanced network, against Lennie's 1-4%.

Question: when is a balanced spiking network as sparse as cortex is said to be (Lennie 2003:
"possibly fewer than 1%" of neurons substantially active at once, quoted as 1-4% by Glorot et al.
2011), how sensitive is that to the drive ``eta`` and the inhibition ``g``, and what does it cost
(Attwell & Laughlin 2001)?

What it runs (all as independent jobs through :func:`neuroact.parallel.run_jobs`, resumable)
-------------------------------------------------------------------------------------------
``phase``     a grid over (g, eta) for each heterogeneity: the phase map of the fraction of
              neurons active in 50 ms windows.
``eta_scan``  ``eta`` moved through the sparse point (g fixed), and
``g_scan``    ``g`` moved through the sparse point (eta fixed): how far each can move before
              the network leaves the 1-4% band.
``showcase``  the standard Brunel setting (g = 5, eta = 2) and the sparse point, kept with their
              spikes for the raster, population-rate and rate-distribution figures.
``band_width`` how wide the sparse band is along eta for each of several g, in Brunel's
              network and with one mechanism switched on at a time: heterogeneous thresholds,
              heterogeneous drive, spike-frequency adaptation (AdEx), conductance-based
              synapses (:mod:`neuroact.experiments._band_width`: the band's definition, the
              search and the summary).

``Config.parts`` chooses what runs: ``("sweeps", "band_width")`` (default) or either alone.

Every distinct (g, eta, heterogeneity) is simulated once (``RUN/jobs/networks/<key>.csv``) and
listed under each sweep it belongs to; a rerun skips the networks already there.

Low-rate networks need long runs: a neuron at 0.3 Hz rarely fires three times in one second.
Each job runs ``max(duration_s, spikes_per_neuron / r_MF)`` seconds (capped at
``max_duration_s``), with ``r_MF`` the mean-field rate of
:func:`neuroact.bio.theory.mean_field_rate`. Even so the CV of a few ISIs is biased low (about
0.6 for a Poisson train with 2-3 ISIs in the window), so the irregularity criterion of the
asynchronous-irregular state uses Holt's CV2, which is 1 for Poisson trains at any count; the
plain CV is reported beside it (``cv_isi``, ``cv2_isi``).

Small networks: the quick profile keeps ``C_E = 1000`` with ``N_E = 2000`` (connection
probability 0.5), so the mean input and its fluctuations equal those of the N_E = 10,000 network
and the sparse point carries over; the price is more shared input (more synchrony).

Tables: ``population_summary.csv`` (one row per simulated network, all sweeps), ``band.csv``
(edges of the 1-4% band along each scan), ``energy.csv`` (ATP budget of the showcase networks,
both budgets, and Lennie's inverse), ``rates.csv``, ``raster.csv``, ``population_rate.csv``;
``band_width.csv`` (one row per condition and g: the band's edges), ``band_width_summary.csv``
(one row per condition) and ``band_networks.csv`` (every network of the band search).
Figures: raster + population rate, rate distribution, phase map, band scans; the band maps in
the (g, eta) plane and the band widths by mechanism.

Networks as jobs
----------------
:func:`network_job`, :func:`sweep`, :func:`job_key`, :func:`config_dict`, :func:`network_config`
and :func:`band_job` (:mod:`neuroact.experiments._networks`, importable from here) run single
networks from plain numbers as resumable jobs.
Every configuration is checked before the first network is simulated or a file written.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from brian2 import Hz, ms

from neuroact.bio.energy import (
    BUDGETS,
    affordable_active_fraction,
    atp_breakdown,
    atp_rate,
    get_budget,
)
from neuroact.bio.network import BrunelConfig, simulate
from neuroact.bio.runtime import check_target
from neuroact.bio.theory import mean_field_rate
from neuroact.bio.units import check_count, check_number
from neuroact.experiments._band_width import band_search, band_summary, parse_condition
from neuroact.experiments._networks import (  # noqa: F401 (re-exported: the jobs' public names)
    PLAIN_KEYS,
    band_job,
    config_dict,
    job_key,
    network_config,
    network_job,
    sweep,
)
from neuroact.literature import LENNIE_2003
from neuroact.parallel import Job, run_jobs
from neuroact.results import RunFolder

BAND = (LENNIE_2003.low, LENNIE_2003.high)
SUMMARY_COLUMNS = (
    "sweep",
    "label",
    "n_neurons",
    "g",
    "eta",
    "heterogeneity",
    "mean_rate_Hz",
    "frac_active_10ms",
    "frac_active_20ms",
    "frac_active_50ms",
    "frac_active_100ms",
    "frac_active_200ms",
    "silent_frac",
    "cv_isi",
    "population_sparseness",
    "lifetime_sparseness",
    "atp_per_neuron_per_s",
)


SUPPLY_RATE_HZ = 4.0  # the mean rate whose cost is taken as the per-neuron ATP supply


@dataclass
class Config:
    """Population-sparsity experiment (plain numbers; see ``BrunelConfig`` for the model).

    ``c_exc``/``reference_c_exc`` choose how a small network is scaled (see
    :mod:`neuroact.bio.network`): the quick profile keeps ``C_E = 1000`` so the mean input and
    its fluctuations are those of the ``N_E = 10,000`` network.
    """

    n_exc: int = 10_000
    c_exc: int | None = None
    reference_c_exc: int | None = None
    duration_s: float = 1.0
    max_duration_s: float = 4.0
    spikes_per_neuron: float = 3.0
    transient_s: float = 0.2
    gs: tuple[float, ...] = (4.0, 6.0, 8.0)
    etas: tuple[float, ...] = (0.7, 0.8, 0.85, 0.9, 1.0, 2.0)
    heterogeneities: tuple[float, ...] = (0.0,)
    sparse_g: float = 8.0
    sparse_eta: float = 0.85
    sparse_heterogeneity: float = 0.0
    eta_scan: tuple[float, ...] = (0.6, 0.7, 0.8, 0.82, 0.84, 0.85, 0.86, 0.88, 0.9)
    g_scan: tuple[float, ...] = (5.0, 6.0, 7.0, 8.0, 10.0)
    scan_heterogeneities: tuple[float, ...] = (0.0, 0.3)
    standard_g: float = 5.0
    standard_eta: float = 2.0
    seed: int = 0
    target: str = "cython"
    budget: str = "attwell_laughlin_2001"
    raster_neurons: int = 500
    raster_ms: float = 1000.0
    parts: tuple[str, ...] = ("sweeps", "band_width")
    band_conditions: tuple[str, ...] = (
        "",
        "theta_sd_mV=1",
        "theta_sd_mV=2",
        "theta_sd_mV=4",
        "heterogeneity=0.1",
        "heterogeneity=0.2",
        "heterogeneity=0.4",
        "neuron=adex",
        "synapse=conductance",
    )
    band_gs: tuple[float, ...] = (5.0, 6.0, 8.0, 10.0)
    band_reference_g: float = 8.0
    band_eta_start: float = 0.85
    band_tolerance: float = 0.01
    band_max_networks: int = 7
    band_duration_s: float = 1.0
    band_max_duration_s: float = 2.0
    extra: dict[str, Any] = field(default_factory=dict)


PROFILES = {
    "quick": Config(
        n_exc=2000,
        c_exc=1000,
        duration_s=0.5,
        max_duration_s=2.0,
        spikes_per_neuron=3.0,
        transient_s=0.1,
        gs=(4.0, 6.0, 8.0),
        etas=(0.8, 0.85, 0.9, 1.0),
        heterogeneities=(0.0,),
        eta_scan=(0.83, 0.85, 0.87),
        g_scan=(6.0, 8.0, 10.0),
        scan_heterogeneities=(0.0,),
        target="numpy",
        raster_neurons=300,
        raster_ms=500.0,
        band_conditions=("", "theta_sd_mV=2"),
        band_gs=(8.0,),
        band_eta_start=0.84,
        band_tolerance=0.02,
        band_max_networks=4,
        band_duration_s=0.2,
        band_max_duration_s=0.4,
    ),
    "full": Config(),
}
PARTS = ("sweeps", "band_width")


# ---------------------------------------------------------------------------------------------
# the experiment's jobs


def _base(config: Config) -> dict:
    return {
        "n_exc": config.n_exc,
        "c_exc": config.c_exc,
        "reference_c_exc": config.reference_c_exc,
        "transient_s": config.transient_s,
        "seed": config.seed,
        "target": config.target,
    }


def job_duration(config: Config, g: float, eta: float) -> float:
    """Run length (s): long enough for ``spikes_per_neuron`` spikes at the mean-field rate."""
    cfg = BrunelConfig(
        n_exc=config.n_exc, c_exc=config.c_exc, reference_c_exc=config.reference_c_exc, g=g, eta=eta
    )
    rate = mean_field_rate(cfg)
    if not math.isfinite(rate) or rate <= 0:
        return float(config.max_duration_s)
    want = config.spikes_per_neuron / rate
    return float(min(config.max_duration_s, max(config.duration_s, round(want, 1))))


def summary_job(budget: str = "attwell_laughlin_2001", **params: Any) -> dict:
    """One network's summary row plus its ATP/s per neuron (module level: runs anywhere)."""
    row = network_job(**params)
    row["atp_per_neuron_per_s"] = atp_rate(row["mean_rate_Hz"] * Hz, budget)
    return row


def _job(config: Config, g: float, eta: float, het: float) -> Job:
    params = {
        **_base(config),
        "g": float(g),
        "eta": float(eta),
        "heterogeneity": float(het),
        "duration_s": job_duration(config, g, eta),
    }
    network_config(**params)  # every network is checked before the first one runs
    return Job(job_key(g, eta, het, config.n_exc, config.seed), params | {"budget": config.budget})


def _plan(config: Config, sweeps: dict) -> tuple[list[Job], list[tuple[str, str]]]:
    """Every distinct (g, eta, heterogeneity) of all sweeps once, and which sweeps list it."""
    jobs: dict[str, Job] = {}
    membership = []
    for sweep_name, points in sweeps.items():
        for g, eta, het in points:
            job = _job(config, g, eta, het)
            jobs.setdefault(job.key, job)
            membership.append((sweep_name, job.key))
    return list(jobs.values()), membership


def _run_points(config, run, plan, workers, scheduler, progress) -> pd.DataFrame:
    """Run the planned networks; one row per (sweep, network)."""
    jobs, membership = plan
    results = run_jobs(
        summary_job,
        jobs,
        run=run,
        group="networks",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="Brunel networks",
    )
    by_key = results.set_index("job")
    rows = [by_key.loc[key].to_dict() | {"sweep": name, "job": key} for name, key in membership]
    return pd.DataFrame(rows)


def _showcase_config(config: Config, g: float, eta: float, het: float) -> BrunelConfig:
    return network_config(
        **_base(config),
        g=g,
        eta=eta,
        heterogeneity=het,
        duration_s=job_duration(config, g, eta),
    )


def _showcase(config: Config, run: RunFolder, label: str, cfg: BrunelConfig) -> None:
    """Simulate one network, keeping spikes for the figures; skipped if already done."""
    name = f"showcase_{label}"
    if run.has(f"{name}_summary.csv"):
        return
    act = simulate(cfg)
    row = act.to_frame()
    row.insert(0, "label", label)
    row["atp_per_neuron_per_s"] = atp_rate(row["mean_rate_Hz"].iloc[0] * Hz, config.budget)
    t_max = min(config.raster_ms / 1e3, act.duration_s)
    raster = act.spikes_frame(max_neurons=config.raster_neurons, t_max_s=t_max)
    raster.insert(0, "label", label)
    raster.insert(1, "g", cfg.g)
    raster.insert(2, "eta", cfg.eta)
    raster.insert(3, "heterogeneity", cfg.heterogeneity)
    t, rate = act.population_rate(1 * ms)
    poprate = pd.DataFrame({"label": label, "time_ms": t * 1e3, "rate_Hz": rate})
    rates = pd.DataFrame(
        {
            "label": label,
            "neuron": np.arange(act.n_neurons),
            "rate_Hz": act.rates_Hz(),
            "cv_isi": act.cv_isi(),
        }
    )
    run.write_table(f"{name}_raster", raster)
    run.write_table(f"{name}_population_rate", poprate)
    run.write_table(f"{name}_rates", rates)
    run.write_table(f"{name}_summary", row)  # last: marks the showcase complete


# ---------------------------------------------------------------------------------------------
# analysis


def band_edges(
    scan: pd.DataFrame, parameter: str, band=BAND, column: str = "frac_active_50ms"
) -> dict:
    """Where ``column`` crosses the band along a 1-D scan (linear interpolation in log10).

    Returns the parameter values at which the scan enters and leaves ``band`` (nan where it does
    not cross within the scan), and the values of the scanned points inside the band.
    """
    s = scan.sort_values(parameter)
    x = s[parameter].to_numpy(float)
    y = np.log10(np.clip(s[column].to_numpy(float), 1e-6, None))
    lo, hi = np.log10(band[0]), np.log10(band[1])

    def crossings(level: float) -> list[float]:
        out = []
        for i in range(len(x) - 1):
            a, b = y[i] - level, y[i + 1] - level
            if a == 0:
                out.append(float(x[i]))
            elif a * b < 0:
                out.append(float(x[i] + (x[i + 1] - x[i]) * a / (a - b)))
        if len(y) and y[-1] == level:
            out.append(float(x[-1]))
        return out

    inside = s[(s[column] >= band[0]) & (s[column] <= band[1])]
    ends = sorted(crossings(lo) + crossings(hi))
    return {
        "parameter": parameter,
        "edges": ";".join(f"{e:.4g}" for e in ends),
        "low_edge": ends[0] if ends else float("nan"),
        "high_edge": ends[-1] if ends else float("nan"),
        "inside_values": ";".join(f"{v:g}" for v in inside[parameter]),
        "inside_ai_values": ";".join(
            f"{v:g}" for v in inside.loc[inside["asynchronous_irregular"].astype(bool), parameter]
        )
        if "asynchronous_irregular" in inside
        else "",
    }


def energy_table(summary: pd.DataFrame, config: Config) -> pd.DataFrame:
    """ATP breakdown of each showcase network under both budgets, and Lennie's inverse."""
    rows = []
    for _, net in summary.iterrows():
        rate = float(net["mean_rate_Hz"])
        for key, budget in BUDGETS.items():
            parts = atp_breakdown(rate * Hz, budget)
            total = float(parts["atp_per_s"].sum())
            row = {
                "label": net["label"],
                "budget": key,
                "mean_rate_Hz": rate,
                "atp_per_neuron_per_s": total,
            }
            row |= {
                f"atp_{p}_per_s": v for p, v in zip(parts["part"], parts["atp_per_s"], strict=True)
            }
            # Lennie's inverse with a supply independent of the network: the cost of a 4 Hz mean
            # rate, the figure the budgets were calibrated on (Attwell & Laughlin's estimate for
            # rodent grey matter from its measured energy use)
            supply = atp_rate(SUPPLY_RATE_HZ * Hz, budget)
            row["supply_atp_per_neuron_per_s"] = supply
            row["supply_used_frac"] = total / supply
            row["affordable_frac_active_50ms"] = affordable_active_fraction(
                supply, budget, window=50 * ms
            )
            row["measured_frac_active_50ms"] = float(net["frac_active_50ms"])
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# protocol


def _sweeps(config: Config) -> dict[str, list[tuple[float, float, float]]]:
    """The (g, eta, heterogeneity) points of each sweep; the plain settings checked."""
    check_target(config.target)
    get_budget(config.budget)
    for name in ("gs", "etas", "heterogeneities", "eta_scan", "g_scan", "scan_heterogeneities"):
        if not len(getattr(config, name)):
            raise ValueError(f"{name} must not be empty; got {getattr(config, name)!r}")
    duration = check_number("duration_s", config.duration_s, positive=True)
    if check_number("max_duration_s", config.max_duration_s) < duration:
        raise ValueError(
            f"max_duration_s must be >= duration_s ({duration}); got {config.max_duration_s!r}"
        )
    check_number("spikes_per_neuron", config.spikes_per_neuron, positive=True)
    check_count("raster_neurons", config.raster_neurons)
    check_number("raster_ms", config.raster_ms, positive=True)
    sp = (config.sparse_g, config.sparse_eta, config.sparse_heterogeneity)
    return {
        "phase": [
            (g, e, h) for h in config.heterogeneities for g in config.gs for e in config.etas
        ],
        "eta_scan": [(sp[0], e, h) for h in config.scan_heterogeneities for e in config.eta_scan],
        "g_scan": [(g, sp[1], h) for h in config.scan_heterogeneities for g in config.g_scan],
    }


def _band_base(config: Config) -> dict:
    return _base(config) | {"duration_s": config.band_duration_s}


def _check_band(config: Config) -> None:
    """The band-width settings, and every condition's network, checked before anything runs."""
    for name in ("band_conditions", "band_gs"):
        if not len(getattr(config, name)):
            raise ValueError(f"{name} must not be empty; got {getattr(config, name)!r}")
    for g in config.band_gs:
        check_number("band_gs", g, nonnegative=True)
    check_number("band_reference_g", config.band_reference_g, nonnegative=True)
    check_number("band_eta_start", config.band_eta_start, positive=True)
    check_number("band_tolerance", config.band_tolerance, positive=True)
    check_count("band_max_networks", config.band_max_networks, minimum=2)
    chunk = check_number("band_duration_s", config.band_duration_s, positive=True)
    if check_number("band_max_duration_s", config.band_max_duration_s) < chunk:
        raise ValueError(
            f"band_max_duration_s must be >= band_duration_s ({chunk}); got "
            f"{config.band_max_duration_s!r}"
        )
    for condition in config.band_conditions:
        network_config(
            **_band_base(config),
            **parse_condition(condition),
            g=config.band_gs[0],
            eta=config.band_eta_start,
        )


def _run_band(config: Config, folder: RunFolder, workers, scheduler, progress) -> None:
    networks, band = band_search(
        band_job,
        config.band_conditions,
        config.band_gs,
        _band_base(config),
        eta_start=config.band_eta_start,
        tolerance=config.band_tolerance,
        max_networks=config.band_max_networks,
        spikes_per_neuron=config.spikes_per_neuron,
        max_duration_s=config.band_max_duration_s,
        run=folder,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )
    folder.write_table("band_networks", networks)
    folder.write_table("band_width", band)
    folder.write_table("band_width_summary", band_summary(band, config.band_reference_g))


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
    """Run the sweeps and showcases and the band-width search (``config.parts``); write the
    tables and figures into ``out``.

    Every setting and every network of the run is checked first: a bad configuration raises
    (naming the field) before anything is simulated or written.
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a population_sparsity.Config; got {type(config).__name__}")
    started = time.perf_counter()
    parts = tuple(config.parts)
    if not parts or any(p not in PARTS for p in parts):
        raise ValueError(f"parts must be a non-empty selection of {PARTS}; got {config.parts!r}")
    sweeps = _sweeps(config)
    plan = _plan(config, sweeps)
    sp = (config.sparse_g, config.sparse_eta, config.sparse_heterogeneity)
    showcases = {
        label: _showcase_config(config, *point)
        for label, point in (
            ("standard", (config.standard_g, config.standard_eta, 0.0)),
            ("sparse", sp),
        )
    }
    if "band_width" in parts:
        _check_band(config)
    folder = out if isinstance(out, RunFolder) else RunFolder(out)
    folder.write_config(asdict(config))

    if "sweeps" in parts:
        _run_sweeps(config, folder, plan, showcases, workers, scheduler, progress)
    if "band_width" in parts:
        _run_band(config, folder, workers, scheduler, progress)
    draw(folder)
    folder.write_metadata(
        seed=config.seed,
        experiment="population_sparsity",
        compute_seconds=time.perf_counter() - started,
    )
    return folder


def _run_sweeps(config, folder, plan, showcases, workers, scheduler, progress) -> None:
    """The phase map, the scans and the showcases, and their tables."""
    sp = (config.sparse_g, config.sparse_eta, config.sparse_heterogeneity)
    frames = [_run_points(config, folder, plan, workers, scheduler, progress)]
    for label, cfg in showcases.items():
        _showcase(config, folder, label, cfg)
    show = pd.concat(
        [folder.read_table(f"showcase_{k}_summary") for k in showcases], ignore_index=True
    )
    show.insert(0, "sweep", "showcase")
    summary = pd.concat([*frames, show], ignore_index=True)
    summary["label"] = summary.get("label", pd.Series(index=summary.index, dtype=object))
    summary["in_band_50ms"] = summary["frac_active_50ms"].between(*BAND)
    first = [c for c in SUMMARY_COLUMNS if c in summary.columns]
    summary = summary[first + [c for c in summary.columns if c not in first]]
    folder.write_table("population_summary", summary)

    scans = summary[summary["sweep"].isin(["eta_scan", "g_scan"])]
    band_rows = []
    for het in config.scan_heterogeneities:
        s_h = scans[np.isclose(scans["heterogeneity"], het)]
        band_rows.append(
            band_edges(s_h[s_h["sweep"] == "eta_scan"], "eta")
            | {"heterogeneity": het, "g": sp[0], "eta": float("nan")}
        )
        band_rows.append(
            band_edges(s_h[s_h["sweep"] == "g_scan"], "g")
            | {"heterogeneity": het, "g": float("nan"), "eta": sp[1]}
        )
    folder.write_table("band", pd.DataFrame(band_rows))
    folder.write_table("energy", energy_table(show, config))
    for kind in ("raster", "population_rate", "rates"):
        folder.write_table(
            kind,
            pd.concat(
                [folder.read_table(f"showcase_{k}_{kind}") for k in showcases], ignore_index=True
            ),
        )


def draw(run: RunFolder) -> list[Path]:
    """Redraw every figure from the run folder's tables (the summary figures first: a copy
    without the bulky spike tables still gets them before the missing table is reported)."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import bio_band, save
    from neuroact.figures import bio_network as figs

    run = run if isinstance(run, RunFolder) else RunFolder(run)
    paths: list[Path] = []
    if run.has("band_width.csv"):
        band, networks = run.read_table("band_width"), run.read_table("band_networks")
        paths += save(bio_band.band_maps(networks, band), run / "population_band_maps")
        summary = run.read_table("band_width_summary")
        paths += save(bio_band.band_widths(band, summary), run / "population_band_widths")
    if not run.has("population_summary.csv") and paths:
        return paths  # a band-width run only
    summary = run.read_table("population_summary")
    phase = figs.phase_map(summary[summary["sweep"] == "phase"])
    paths += save(phase, run / "population_phase_map")
    paths += save(figs.band_scans(summary), run / "population_band_scans")
    raster = figs.raster_and_rate(run.read_table("raster"), run.read_table("population_rate"))
    paths += save(raster, run / "population_raster")
    paths += save(figs.rate_distribution(run.read_table("rates")), run / "population_rates")
    return paths
