"""The bridge's claim: a rectifier network run as spiking neurons at cortical sparsity.

Reads the operating points of the ``bridge`` experiment (``bridge/points.csv``: one row per
network, unit, rate scale and simulated time, with its ANN beside it); the verdict and its named
thresholds are :func:`neuroact.bridge.claim.claim_spiking_sparsity`'s.
"""

from __future__ import annotations

from neuroact.bridge.claim import CLAIM, SOURCE, claim_spiking_sparsity
from neuroact.bridge.frontier import FULL_WINDOW_MS, SPARSITY_COLUMN, fastest_in_band, sparsest
from neuroact.claims.core import Claim, Statement, Tables, register
from neuroact.literature import LENNIE_2003

BRIDGE = Statement(CLAIM, SOURCE, ("bridge",))

POINT_COLUMNS = (
    "network",
    "unit",
    "neuron",
    "max_rate_Hz",
    "v_init",
    "time_ms",
    "accuracy",
    "ann_accuracy",
    "error_pct",
    "ann_error_pct",
    "mean_rate_Hz",
    SPARSITY_COLUMN,
)


@register(BRIDGE)
def claim_spiking_sparsity_bridge(t: Tables) -> Claim:
    """A rectifier network can run as spiking neurons at cortical sparsity without losing
    accuracy.

    Source: Lennie (2003) for the 1-4% of neurons active at once; Glorot et al. (2011) for the
    rectifier; Diehl et al. (2015) for the conversion.

    Measured: from ``bridge/points.csv``, the fastest ReLU-network point (with a complete 50 ms
    window) within 1 point of its ANN and at most 4% of hidden neurons active per 50 ms; its
    mean rate, error and simulated time.

    Verdict: :func:`neuroact.bridge.claim.claim_spiking_sparsity` (supported by 150 ms, the
    latency of ultra-rapid categorisation; partly when it takes longer or loses up to 2
    points; not supported otherwise). The key number is the fraction active per 50 ms of that
    point (else of the sparsest point within 1 point), against Lennie's band.
    """
    points = t.require("bridge", "points", POINT_COLUMNS)
    row = claim_spiking_sparsity(points)
    relu = points[points["unit"] == "relu"]
    key = None
    if not relu.empty:
        key = fastest_in_band(relu, min_time_ms=FULL_WINDOW_MS)
        key = sparsest(relu) if key is None else key
    numbers = {}
    if key is not None:
        numbers = {"value": float(key[SPARSITY_COLUMN])}
    return BRIDGE.result(
        row["measured"],
        row["verdict"],
        row["why"],
        quantity="hidden neurons active per 50 ms, within 1 point of the ANN",
        paper_low=LENNIE_2003.low,
        paper_high=LENNIE_2003.high,
        unit="fraction",
        **numbers,
    )
