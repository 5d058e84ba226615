"""Brunel networks as resumable jobs: plain numbers in, one summary row out.

Shared by the population-sparsity experiment's sweeps and its band-width search.
:func:`network_job` simulates one network from plain numbers (physical ones named with their
unit, ``duration_s``, ``J_mV``, ``dt_ms``: :mod:`neuroact.bio.units`) and returns its summary
row; :func:`sweep` runs a (g, eta, heterogeneity) grid of them as resumable jobs;
:func:`job_key` names a sweep point; :func:`config_dict` writes a
:class:`~neuroact.bio.network.BrunelConfig` as the plain numbers :func:`network_job` reads
(:func:`network_config`); :func:`band_job` simulates a network of the band search until it has
fired enough spikes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import pandas as pd
from brian2 import second

from neuroact.bio.network import BrunelConfig, simulate
from neuroact.bio.units import check_number, from_columns, to_column
from neuroact.parallel import Job, run_jobs
from neuroact.results import RunFolder

__all__ = [
    "PLAIN_KEYS",
    "band_job",
    "config_dict",
    "job_key",
    "network_config",
    "network_job",
    "sweep",
]

# BrunelConfig's physical fields and the plain-number key (with its unit) each has in a job
PLAIN_KEYS = {
    "J": "J_mV",
    "theta_sd": "theta_sd_mV",
    "adex_b": "adex_b_mV",
    "adex_tau_w": "adex_tau_w_ms",
    "adex_delta_T": "adex_delta_T_mV",
    "E_exc": "E_exc_mV",
    "E_inh": "E_inh_mV",
    "delay": "delay_ms",
    "tau": "tau_ms",
    "theta": "theta_mV",
    "v_reset": "v_reset_mV",
    "t_ref": "t_ref_ms",
    "duration": "duration_s",
    "transient": "transient_s",
    "dt": "dt_ms",
}
_FIELDS = tuple(f.name for f in fields(BrunelConfig))


def config_dict(cfg: BrunelConfig) -> dict:
    """``cfg`` as plain numbers, physical fields named with their unit (``J_mV``, ``dt_ms``):
    JSON-ready, and what :func:`network_job` reads back (``network_config(**config_dict(cfg))
    == cfg``)."""
    return {
        PLAIN_KEYS.get(name, name): (
            to_column(PLAIN_KEYS[name], getattr(cfg, name))
            if name in PLAIN_KEYS
            else getattr(cfg, name)
        )
        for name in _FIELDS
    }


def network_config(**params: Any) -> BrunelConfig:
    """The :class:`BrunelConfig` of plain-number ``params`` (keys as in :func:`config_dict`;
    missing ones keep BrunelConfig's defaults), checked before anything runs."""
    kw = from_columns(params)
    unknown = sorted(set(kw) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown network parameter(s) {unknown}; expected BrunelConfig fields, physical "
            f"ones as {sorted(PLAIN_KEYS.values())}"
        )
    return BrunelConfig(**kw)


def network_job(label: str | None = None, **params: Any) -> dict:
    """Simulate one network from plain-number parameters and return its summary row.

    The job function of :func:`sweep` (module level, so it runs on local processes or a Dask
    cluster). ``params`` as in :func:`network_config` (``n_exc``, ``g``, ``eta``,
    ``duration_s``, ``J_mV``, ...); ``label`` is copied into the row.
    """
    row = simulate(network_config(**params)).to_frame().iloc[0].to_dict()
    if label is not None:
        row["label"] = label
    return row


def job_key(
    g: float, eta: float, heterogeneity: float = 0.0, n_exc: int | None = None, seed: int = 0
) -> str:
    """File-safe key of one sweep point."""
    key = f"g={g:.3f}_eta={eta:.3f}_het={heterogeneity:.2f}_seed={seed}"
    return f"N={n_exc}_" + key if n_exc is not None else key


def sweep(
    gs: Sequence[float],
    etas: Sequence[float],
    base: dict,
    *,
    heterogeneities: Sequence[float] = (0.0,),
    run: RunFolder | None = None,
    group: str = "phase",
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Simulate every (g, eta, heterogeneity) as an independent job; one summary row each.

    ``base`` holds the other :func:`network_job` parameters (plain numbers). Every network's
    configuration is checked before the first one runs. With ``run`` (a
    :class:`neuroact.results.RunFolder`) each result is written as it finishes and a rerun
    skips finished jobs.
    """
    for name, values in (("gs", gs), ("etas", etas), ("heterogeneities", heterogeneities)):
        if not len(values):
            raise ValueError(f"{name} must not be empty; got {values!r}")
        for v in values:
            check_number(name, v, nonnegative=True)
    jobs = [
        Job(
            job_key(g, eta, het, base.get("n_exc"), base.get("seed", 0)),
            {**base, "g": float(g), "eta": float(eta), "heterogeneity": float(het)},
        )
        for het in heterogeneities
        for g in gs
        for eta in etas
    ]
    for job in jobs:
        network_config(**job.params)
    return run_jobs(
        network_job,
        jobs,
        run=run,
        group=group,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="Brunel sweep",
    )


def band_job(spikes_per_neuron: float, max_duration_s: float, **params: Any) -> dict:
    """One network of the band search: its summary row (module level: runs anywhere).

    Runs in steps of ``duration_s`` until ``spikes_per_neuron`` spikes per neuron or
    ``max_duration_s`` (:func:`neuroact.bio.network.simulate`).
    """
    act = simulate(
        network_config(**params),
        spikes_per_neuron=spikes_per_neuron,
        max_duration=max_duration_s * second,
    )
    return act.to_frame().iloc[0].to_dict()
