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
networks from plain numbers as resumable jobs. The sweeps' jobs, the showcases, the band edges
along the scans and the energy table are in :mod:`neuroact.experiments._sweeps` (also
importable from here).
Every configuration is checked before the first network is simulated or a file written.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
from neuroact.experiments._sweeps import (  # noqa: F401 (re-exported: the sweeps' public names)
    BAND,
    SUMMARY_COLUMNS,
    SUPPLY_RATE_HZ,
    band_edges,
    base_params,
    energy_table,
    job_duration,
    plan_networks,
    run_sweeps,
    showcase_config,
    summary_job,
    sweep_points,
)
from neuroact.results import RunFolder


@dataclass
class Config:
    """Population-sparsity experiment (plain numbers; see ``BrunelConfig`` for the model).

    ``c_exc``/``reference_c_exc`` choose how a small network is scaled (see
    :mod:`neuroact.bio.network`): the quick profile keeps ``C_E = 1000`` so the mean input and
    its fluctuations are those of the ``N_E = 10,000`` network. ``target``: a Brian2 target, or
    ``"auto"`` (the quick profile's: cython where a C++ compiler exists, else numpy).
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
        duration_s=0.3,
        max_duration_s=1.0,  # sparse networks record 1 s (the full profile: up to 4 s)
        spikes_per_neuron=3.0,
        transient_s=0.1,
        gs=(4.0, 6.0, 8.0),
        etas=(0.8, 0.85, 0.9, 1.0),
        heterogeneities=(0.0,),
        eta_scan=(0.83, 0.85, 0.87),
        g_scan=(6.0, 8.0, 10.0),
        scan_heterogeneities=(0.0,),
        target="auto",
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
# protocol


def _band_base(config: Config) -> dict:
    return base_params(config) | {"duration_s": config.band_duration_s}


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
    figures: bool = True,
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
    sweeps = sweep_points(config)
    plan = plan_networks(config, sweeps)
    sp = (config.sparse_g, config.sparse_eta, config.sparse_heterogeneity)
    showcases = {
        label: showcase_config(config, *point)
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
        run_sweeps(config, folder, plan, showcases, workers, scheduler, progress)
    if "band_width" in parts:
        _run_band(config, folder, workers, scheduler, progress)
    if figures:
        draw(folder)
    folder.write_metadata(
        seed=config.seed,
        experiment="population_sparsity",
        compute_seconds=time.perf_counter() - started,
    )
    return folder


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
