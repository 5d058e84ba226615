"""How wide is the sparse band of a balanced network, and which mechanisms widen it?

Part of the population-sparsity experiment (:mod:`neuroact.experiments.population_sparsity`).

The band
--------
A network is *in the band* when it is asynchronous-irregular (CV2 >= 0.8, synchrony chi <
0.2; :mod:`neuroact.bio.activity`), fires under 1 Hz on average and has 1-4% of its neurons
active in 50 ms windows (Lennie 2003, as Glorot et al. 2011 quote it). Along the external drive
``eta`` (at fixed inhibition ``g``) the fraction active and the rate both grow, so the band is an
interval ``[eta_low, eta_high]``: ``eta_low`` where the fraction active reaches 1%, ``eta_high``
where it reaches 4% or the rate 1 Hz, whichever comes first (an empty band when that is below
``eta_low``). Its width ``eta_high - eta_low`` and relative width (divided by the midpoint) say
how finely the drive must be tuned.

The search
----------
Each (condition, g) line finds its two edges by bracketing and safeguarded regula falsi on
``log10`` of the fraction active (and of the rate): start at ``eta_start``, step out by
:data:`STEP` until each edge is bracketed, then interpolate until the bracket is narrower than
``tolerance`` or the line has used ``max_networks`` networks. Every network is one resumable
job (``RUN/jobs/band_networks/<key>.csv``), keyed by its parameters, so a rerun replays the
search from the finished jobs. All networks share the seed: the same connectivity along a line,
so the fraction active is a smooth function of ``eta``.

Conditions
----------
A condition is a string of ``;``-separated ``key=value`` overrides of the network's plain-number
parameters (``""`` is Brunel's network; ``"theta_sd_mV=2"``, ``"heterogeneity=0.2"``,
``"neuron=adex"``, ``"synapse=conductance"``; see :class:`neuroact.bio.network.BrunelConfig`).

Summary
-------
Per condition: the width at the reference ``g`` and its ratio to Brunel's network; the band's
area in the (g, eta) plane over the lines' ``g`` range (trapezoid rule); and the range of ``g``
over which the band holds at the condition's own mid-band ``eta`` of the reference ``g``
(linear interpolation of the edges between lines; censored at the ends of the ``g`` range).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.integrate import trapezoid

from neuroact.parallel import Job, run_jobs

__all__ = [
    "MAX_RATE_HZ",
    "STEP",
    "band_search",
    "band_summary",
    "condition_label",
    "mechanism",
    "parse_condition",
]

MAX_RATE_HZ = 1.0  # "sparse": under 1 Hz on average
LOW, HIGH = 0.01, 0.04  # the band of the fraction active in 50 ms windows
STEP = 1.15  # factor by which eta steps out while an edge is not yet bracketed
_FLOOR = 1e-5  # fraction active and rate below this count as this (log of zero)
_ETA_DIGITS = 4  # eta is rounded to this many decimals (stable job keys)

MECHANISMS = {
    "theta_sd_mV": "threshold heterogeneity",
    "heterogeneity": "drive heterogeneity",
    "neuron": "adaptation (AdEx)",
    "synapse": "conductance synapses",
}


def parse_condition(condition: str) -> dict[str, Any]:
    """``"theta_sd_mV=2;neuron=adex"`` -> ``{"theta_sd_mV": 2.0, "neuron": "adex"}``."""
    if not isinstance(condition, str):
        raise TypeError(f"a band condition must be a string; got {condition!r}")
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in condition.split(";"))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"band condition parts must be key=value; got {part!r}")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            out[key.strip()] = value.strip()
    return out


def mechanism(condition: str) -> str:
    """The mechanism a condition switches on (``"none"`` for Brunel's network)."""
    keys = [k for k in parse_condition(condition) if k in MECHANISMS]
    if not keys:
        return "none"
    return " + ".join(MECHANISMS[k] for k in keys)


def condition_label(condition: str) -> str:
    """A short label: ``"Brunel"``, ``"theta sd 2 mV"``, ``"drive sd 0.2"``, ``"AdEx"``..."""
    parts = []
    for key, value in parse_condition(condition).items():
        if key == "theta_sd_mV":
            parts.append(f"threshold sd {value:g} mV")
        elif key == "heterogeneity":
            parts.append(f"drive log-sd {value:g}")
        elif key == "neuron":
            parts.append("AdEx" if value == "adex" else str(value))
        elif key == "synapse":
            parts.append(f"{value} synapses")
        else:
            parts.append(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}")
    return ", ".join(parts) or "Brunel"


def _edge_values(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """eta, and the low- and high-edge functions (zero at the edges, increasing in eta)."""
    eta = rows["eta"].to_numpy(float)
    f50 = np.log10(np.clip(rows["frac_active_50ms"].to_numpy(float), _FLOOR, None))
    rate = np.log10(np.clip(rows["mean_rate_Hz"].to_numpy(float), _FLOOR, None))
    low = f50 - math.log10(LOW)
    high = np.maximum(f50 - math.log10(HIGH), rate - math.log10(MAX_RATE_HZ))
    return eta, low, high


def _bracket(eta: np.ndarray, f: np.ndarray) -> tuple[float | None, float | None, float, float]:
    """The largest eta with f < 0 and the smallest with f >= 0 above it (None where missing)."""
    below = eta[f < 0]
    a = float(below.max()) if below.size else None
    above = eta[(f >= 0) & (eta > (a if a is not None else -np.inf))]
    b = float(above.min()) if above.size else None
    fa = float(f[eta == a][0]) if a is not None else math.nan
    fb = float(f[eta == b][0]) if b is not None else math.nan
    return a, b, fa, fb


def next_eta(rows: pd.DataFrame, eta_start: float, tolerance: float) -> float | None:
    """The next eta a line should simulate, or None when both edges are found."""
    if rows.empty:
        return round(eta_start, _ETA_DIGITS)
    eta, low, high = _edge_values(rows)
    for f in (low, high):
        a, b, fa, fb = _bracket(eta, f)
        if a is None:
            return round(float(eta.min()) / STEP, _ETA_DIGITS)
        if b is None:
            return round(float(eta.max()) * STEP, _ETA_DIGITS)
        if b - a > tolerance:
            x = a + (b - a) * (-fa) / (fb - fa)
            x = min(max(x, a + 0.1 * (b - a)), b - 0.1 * (b - a))  # always shrink the bracket
            x = round(x, _ETA_DIGITS)
            if a < x < b and not np.any(np.isclose(eta, x, rtol=0, atol=1e-9)):
                return x
    return None


def _crossing(eta: np.ndarray, f: np.ndarray) -> tuple[float, bool]:
    """The interpolated zero of f and whether it was bracketed."""
    a, b, fa, fb = _bracket(eta, f)
    if a is None or b is None:
        return (float(eta.min()) if a is None else float(eta.max())), False
    return a + (b - a) * (-fa) / (fb - fa), True


def line_edges(rows: pd.DataFrame) -> dict:
    """The band of one line from its simulated networks (see the module docstring)."""
    eta, low, high = _edge_values(rows)
    eta_low, ok_low = _crossing(eta, low)
    eta_high, ok_high = _crossing(eta, high)
    inside = rows[(low >= 0) & (high < 0)]
    ai = inside["asynchronous_irregular"].astype(bool) if len(inside) else pd.Series([], dtype=bool)
    width = max(0.0, eta_high - eta_low) if ok_low and ok_high else math.nan
    mid = (eta_low + eta_high) / 2
    return {
        "eta_low": eta_low,
        "eta_high": eta_high,
        "width": width,
        "relative_width": width / mid if mid > 0 else math.nan,
        "found_low": ok_low,
        "found_high": ok_high,
        "high_edge_by": "rate" if _rate_limits(rows, eta_high) else "fraction active",
        "networks": len(rows),
        "networks_inside": len(inside),
        "ai_inside": float(ai.mean()) if len(ai) else math.nan,
    }


def _rate_limits(rows: pd.DataFrame, eta_high: float) -> bool:
    """Is the high edge set by the 1 Hz rate rather than by the 4% fraction active?"""
    eta, _, _ = _edge_values(rows)
    f50 = np.log10(np.clip(rows["frac_active_50ms"].to_numpy(float), _FLOOR, None))
    rate = np.log10(np.clip(rows["mean_rate_Hz"].to_numpy(float), _FLOOR, None))
    k = int(np.argmin(np.abs(eta - eta_high)))
    return bool(rate[k] - math.log10(MAX_RATE_HZ) > f50[k] - math.log10(HIGH))


def _key(condition: str, g: float, eta: float, base: dict) -> str:
    cond = condition.replace("=", "").replace(";", "_").replace(".", "p") or "brunel"
    return f"N={base.get('n_exc')}_{cond}_g={g:.3f}_eta={eta:.4f}_seed={base.get('seed', 0)}"


def band_search(
    func: Callable[..., dict],
    conditions: Sequence[str],
    gs: Sequence[float],
    base: dict,
    *,
    eta_start: float,
    tolerance: float,
    max_networks: int,
    spikes_per_neuron: float,
    max_duration_s: float,
    run=None,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find the band's edges on every (condition, g) line; all lines advance together.

    ``func(spikes_per_neuron=, max_duration_s=, **network parameters)`` simulates one network
    and returns its summary row (a module-level function, so that it runs on other processes).

    Returns
    -------
    (networks, band) : every simulated network (one row each, with ``condition`` and ``g``),
        and one row per line with its edges (:func:`line_edges`).
    """
    lines = {(c, float(g)): pd.DataFrame() for c in conditions for g in gs}
    done: set = set()
    while len(done) < len(lines):
        jobs, owners = [], []
        for (cond, g), rows in lines.items():
            if (cond, g) in done:
                continue
            eta = next_eta(rows, eta_start, tolerance) if len(rows) < max_networks else None
            if eta is None:
                done.add((cond, g))
                continue
            params = {**base, **parse_condition(cond), "g": g, "eta": eta}
            params |= {"spikes_per_neuron": spikes_per_neuron, "max_duration_s": max_duration_s}
            jobs.append(Job(_key(cond, g, eta, base), params))
            owners.append((cond, g))
        if not jobs:
            break
        result = run_jobs(
            func,
            jobs,
            run=run,
            group="band_networks",
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            desc="band search",
        )
        for owner, (_, row) in zip(owners, result.iterrows(), strict=True):
            frame = row.to_frame().T.assign(condition=owner[0], g=owner[1])
            lines[owner] = pd.concat([lines[owner], frame], ignore_index=True)
    networks = pd.concat(lines.values(), ignore_index=True) if lines else pd.DataFrame()
    networks = networks.infer_objects()
    band = pd.DataFrame(
        [
            {"condition": c, "label": condition_label(c), "mechanism": mechanism(c), "g": g}
            | line_edges(rows.infer_objects())
            for (c, g), rows in lines.items()
        ]
    )
    return networks, band


def band_summary(band: pd.DataFrame, reference_g: float) -> pd.DataFrame:
    """One row per condition: width at ``reference_g`` and against Brunel's network, the band's
    area over the lines' g range, and the g range at the condition's own mid-band eta."""
    rows = []
    ref = band[np.isclose(band["g"], reference_g)].set_index("condition")
    brunel = ref["width"].get("", math.nan)
    for cond, lines in band.groupby("condition", sort=False):
        lines = lines.sort_values("g")
        g = lines["g"].to_numpy(float)
        lo, hi = lines["eta_low"].to_numpy(float), lines["eta_high"].to_numpy(float)
        width = np.clip(hi - lo, 0, None)
        at = ref.loc[cond] if cond in ref.index else None
        mid = float((at["eta_low"] + at["eta_high"]) / 2) if at is not None else math.nan
        g_min, g_max = _g_range(g, lo, hi, mid)
        rows.append(
            {
                "condition": cond,
                "label": condition_label(cond),
                "mechanism": mechanism(cond),
                "reference_g": reference_g,
                "eta_low": float(at["eta_low"]) if at is not None else math.nan,
                "eta_high": float(at["eta_high"]) if at is not None else math.nan,
                "width": float(at["width"]) if at is not None else math.nan,
                "relative_width": float(at["relative_width"]) if at is not None else math.nan,
                "width_vs_brunel": float(at["width"]) / brunel if at is not None else math.nan,
                "area": float(trapezoid(width, g)) if len(g) > 1 else math.nan,
                "mid_eta": mid,
                "g_min_at_mid_eta": g_min,
                "g_max_at_mid_eta": g_max,
                "g_range_censored": bool(g_min <= g.min() or g_max >= g.max()),
                "ai_inside": float(lines["ai_inside"].mean()),
                "networks": int(lines["networks"].sum()),
            }
        )
    out = pd.DataFrame(rows)
    brunel_area = out.loc[out["condition"] == "", "area"]
    out["area_vs_brunel"] = out["area"] / (brunel_area.iloc[0] if len(brunel_area) else math.nan)
    return out


def _g_range(g: np.ndarray, lo: np.ndarray, hi: np.ndarray, eta: float) -> tuple[float, float]:
    """The range of g (linear between lines) over which lo(g) <= eta <= hi(g)."""
    if not math.isfinite(eta) or len(g) == 0:
        return math.nan, math.nan
    fine = np.linspace(g.min(), g.max(), 1001)
    inside = (np.interp(fine, g, lo) <= eta) & (eta <= np.interp(fine, g, hi))
    if not inside.any():
        return math.nan, math.nan
    return float(fine[inside].min()), float(fine[inside].max())
