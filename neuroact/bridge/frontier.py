"""The sparsity-accuracy frontier: how sparse and how fast a spiking twin can be at a given cost
in accuracy.

An *operating point* is one row of :func:`neuroact.bridge.measures.operating_points` for one
network, unit and rate scale, at one simulated time ``T``, with the ANN's accuracy beside it
(``ann_accuracy``). Definitions:

within tolerance
    ``100 * (ann_accuracy - accuracy) <= tolerance`` (points; 1 by default): the twin loses at
    most one point against its own ANN on the same images.
in Lennie's band
    at most ``LENNIE_2003.high`` (4%) of the hidden neurons active per 50 ms (Lennie 2003, as
    quoted by Glorot et al. 2011); "under 1 Hz" is reported beside it.
sparsest point
    the point within tolerance with the lowest fraction active per 50 ms (or the lowest mean
    rate), the shorter time breaking ties.
fastest point in the band
    the point within tolerance and in the band with the shortest simulated time, the sparser
    one breaking ties: the latency at which the network is both as sparse as cortex and as
    accurate as its ANN (to be set against about 150 ms for ultra-rapid visual categorisation,
    Thorpe, Fize & Marlot 1996). A run shorter than 50 ms holds no complete 50 ms window; its
    fraction active is that of the neurons that fired at all (the network is done by then), so
    ``min_time_ms=FULL_WINDOW_MS`` asks for at least one complete window.
Pareto front
    the points not beaten in both error and sparsity by another point.

:func:`frontier_table` collects the sparsest and fastest points per network, unit and initial
potential, and over all ReLU networks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuroact.literature import LENNIE_2003

ACCURACY_TOLERANCE_POINTS = 1.0
SPARSITY_COLUMN = "frac_active_50ms"
RATE_COLUMN = "mean_rate_Hz"
RAPID_CATEGORISATION_MS = 150.0  # Thorpe, Fize & Marlot 1996: go/no-go decisions in ~150 ms
FULL_WINDOW_MS = 50.0  # the window of the sparsity measure
UNDER_RATE_HZ = 1.0


def _need(points: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in points]
    if missing:
        raise ValueError(f"points lacks the columns {missing}; expected operating_points() rows")


def gap_points(points: pd.DataFrame) -> pd.Series:
    """Accuracy lost against the ANN, in percentage points (negative: the SNN is better)."""
    _need(points, ["accuracy", "ann_accuracy"])
    return 100.0 * (points["ann_accuracy"] - points["accuracy"])


def within_tolerance(
    points: pd.DataFrame, tolerance: float = ACCURACY_TOLERANCE_POINTS
) -> pd.Series:
    """Boolean mask of the points that lose at most ``tolerance`` points of accuracy."""
    return gap_points(points) <= tolerance + 1e-9


def in_band(points: pd.DataFrame, high: float = LENNIE_2003.high, column: str = SPARSITY_COLUMN):
    """Boolean mask of the points with at most ``high`` of the neurons active per window."""
    _need(points, [column])
    return points[column] <= high + 1e-12


def sparsest(
    points: pd.DataFrame,
    by: str = SPARSITY_COLUMN,
    tolerance: float = ACCURACY_TOLERANCE_POINTS,
) -> pd.Series | None:
    """The point within tolerance with the lowest ``by`` (ties: shorter time); None if none."""
    _need(points, [by, "time_ms"])
    ok = points[within_tolerance(points, tolerance) & points[by].notna()]
    if ok.empty:
        return None
    return ok.sort_values([by, "time_ms"], kind="stable").iloc[0]


def fastest_in_band(
    points: pd.DataFrame,
    high: float = LENNIE_2003.high,
    tolerance: float = ACCURACY_TOLERANCE_POINTS,
    column: str = SPARSITY_COLUMN,
    min_time_ms: float = 0.0,
) -> pd.Series | None:
    """The shortest-time point within tolerance and in the band (ties: sparser), at least
    ``min_time_ms`` long; None if none."""
    ok = points[within_tolerance(points, tolerance) & in_band(points, high, column)]
    ok = ok[ok["time_ms"] >= min_time_ms]
    if ok.empty:
        return None
    return ok.sort_values(["time_ms", column], kind="stable").iloc[0]


def pareto_front(
    points: pd.DataFrame, x: str = SPARSITY_COLUMN, y: str = "error_pct"
) -> pd.DataFrame:
    """Points for which no other point has both lower (or equal) ``x`` and lower ``y``."""
    _need(points, [x, y])
    p = points[points[x].notna() & points[y].notna()].sort_values([x, y], kind="stable")
    best = np.inf
    keep = []
    for idx, value in zip(p.index, p[y], strict=True):
        if value < best:
            keep.append(idx)
            best = value
    return p.loc[keep]


def frontier_table(points: pd.DataFrame) -> pd.DataFrame:
    """Per network and unit, and over all ReLU networks: the sparsest point within tolerance
    (by fraction active per 50 ms and by rate) and the fastest point in Lennie's band."""
    groups = list(points.groupby(["network", "neuron", "v_init"], sort=False))
    relu = points[points["unit"] == "relu"]
    groups += [(("all ReLU networks", "any", v), g) for v, g in relu.groupby("v_init")]
    rows = []
    for (network, neuron, v_init), g in groups:
        picks = {
            "sparsest_active_50ms": sparsest(g),
            "sparsest_rate": sparsest(g, by=RATE_COLUMN),
            "fastest_in_band": fastest_in_band(g),
            "fastest_in_band_full_window": fastest_in_band(g, min_time_ms=FULL_WINDOW_MS),
        }
        for kind, row in picks.items():
            base = {"group_network": network, "group_neuron": neuron, "group_v_init": v_init}
            base["kind"] = kind
            rows.append(base | ({"found": False} if row is None else {"found": True, **row}))
    return pd.DataFrame(rows)
