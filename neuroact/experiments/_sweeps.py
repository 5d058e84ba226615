"""The sweeps of the population-sparsity experiment: phase map, scans, showcases, energy.

Part of :mod:`neuroact.experiments.population_sparsity` (its docstring describes the protocol,
the tables and the figures): the networks of the phase map and of the two scans as resumable
jobs, the showcase networks kept with their spikes, the edges of the 1-4% band along each scan
and the ATP budget of the showcases. ``config`` is that module's ``Config``.
"""

from __future__ import annotations

import math
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
from neuroact.bio.runtime import TARGETS
from neuroact.bio.standalone import compiler_available
from neuroact.bio.theory import mean_field_rate
from neuroact.bio.units import check_choice, check_count, check_number
from neuroact.experiments._networks import job_key, network_config, network_job
from neuroact.literature import LENNIE_2003
from neuroact.parallel import Job, run_jobs
from neuroact.results import RunFolder

__all__ = [
    "BAND",
    "SUMMARY_COLUMNS",
    "SUPPLY_RATE_HZ",
    "band_edges",
    "base_params",
    "energy_table",
    "job_duration",
    "plan_networks",
    "run_points",
    "run_sweeps",
    "showcase",
    "showcase_config",
    "summary_job",
    "sweep_job",
    "sweep_points",
]

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


# ---------------------------------------------------------------------------------------------
# the experiment's jobs


# "auto": Brian2's cython target where a C++ compiler exists (each code object compiled once
# and cached: a quick-profile run 3x faster than numpy once cached, as fast on the first), else
# numpy
NETWORK_TARGETS = ("auto", *TARGETS)


def network_target(target: str) -> str:
    """The Brian2 target the networks run on (``"auto"`` resolved, see NETWORK_TARGETS)."""
    check_choice("target", target, NETWORK_TARGETS)
    if target == "auto":
        return "cython" if compiler_available() else "numpy"
    return target


def base_params(config: Any) -> dict:
    return {
        "n_exc": config.n_exc,
        "c_exc": config.c_exc,
        "reference_c_exc": config.reference_c_exc,
        "transient_s": config.transient_s,
        "seed": config.seed,
        "target": network_target(config.target),
    }


def job_duration(config: Any, g: float, eta: float) -> float:
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


def sweep_job(config: Any, g: float, eta: float, het: float) -> Job:
    params = {
        **base_params(config),
        "g": float(g),
        "eta": float(eta),
        "heterogeneity": float(het),
        "duration_s": job_duration(config, g, eta),
    }
    network_config(**params)  # every network is checked before the first one runs
    return Job(job_key(g, eta, het, config.n_exc, config.seed), params | {"budget": config.budget})


def plan_networks(config: Any, sweeps: dict) -> tuple[list[Job], list[tuple[str, str]]]:
    """Every distinct (g, eta, heterogeneity) of all sweeps once, and which sweeps list it."""
    jobs: dict[str, Job] = {}
    membership = []
    for sweep_name, points in sweeps.items():
        for g, eta, het in points:
            job = sweep_job(config, g, eta, het)
            jobs.setdefault(job.key, job)
            membership.append((sweep_name, job.key))
    return list(jobs.values()), membership


def run_points(config, run, plan, workers, scheduler, progress) -> pd.DataFrame:
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


def showcase_config(config: Any, g: float, eta: float, het: float) -> BrunelConfig:
    return network_config(
        **base_params(config),
        g=g,
        eta=eta,
        heterogeneity=het,
        duration_s=job_duration(config, g, eta),
    )


def showcase(config: Any, run: RunFolder, label: str, cfg: BrunelConfig) -> None:
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


def energy_table(summary: pd.DataFrame, config: Any) -> pd.DataFrame:
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


def sweep_points(config: Any) -> dict[str, list[tuple[float, float, float]]]:
    """The (g, eta, heterogeneity) points of each sweep; the plain settings checked."""
    network_target(config.target)
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


def run_sweeps(config, folder, plan, showcases, workers, scheduler, progress) -> None:
    """The phase map, the scans and the showcases, and their tables."""
    sp = (config.sparse_g, config.sparse_eta, config.sparse_heterogeneity)
    frames = [run_points(config, folder, plan, workers, scheduler, progress)]
    for label, cfg in showcases.items():
        showcase(config, folder, label, cfg)
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
