"""Measures of spiking twins (hand-computed), the sparsity-accuracy frontier and the claim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from neuroact.bio.energy import get_budget
from neuroact.bridge import frontier
from neuroact.bridge.claim import claim_spiking_sparsity
from neuroact.bridge.convert import convert
from neuroact.bridge.engine import simulate
from neuroact.bridge.measures import (
    ann_activity,
    fraction_active,
    layer_activity,
    operating_points,
    raster,
)

DT = 1.0 / 1024


def tiny_network() -> nn.Sequential:
    """The network of test_bridge_convert: every normalisation scale is 1."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.5]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.125]))
        net[2].weight.copy_(torch.tensor([[0.75, 0.5]]))
        net[2].bias.copy_(torch.tensor([-0.0625]))
        net[4].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        net[4].bias.copy_(torch.tensor([0.0, 0.25]))
    return net


@pytest.fixture(scope="module")
def tiny_run():
    """Input (0.375, 0): A gets 0.375 per step and fires at steps 3, 6, 8; B gets 0.125 and
    fires at step 8; C (-0.0625 per step, +0.75 per A spike, +0.5 per B spike) fires at 6
    (0.375 + 0.75) and 8 (0.125 - 0.125 + 1.25). Outputs: v = (2, -2) / 1024 + (0, 0.25) T."""
    net = convert(
        tiny_network(),
        torch.tensor([[1.0, 1.0], [0.0, 0.0]]),
        percentile=100,
        dt=DT,
        max_rate=1024.0,
    )
    windows = [5 * DT * 1e3, 10 * DT * 1e3]
    result = simulate(
        net,
        torch.tensor([[0.375, 0.0]]),
        10 * DT,
        checkpoints_ms=[5 * DT * 1e3, 10 * DT * 1e3],
        windows_ms=windows,
        dtype=torch.float64,
        record_spikes=True,
        record_counts=True,
    )
    return net, result, windows


def test_the_tiny_run_fires_as_computed_by_hand(tiny_run):
    _, result, _ = tiny_run
    layer1, layer2 = result.spike_trains
    assert sorted(layer1[layer1[:, 2] == 0, 1] + 1) == [3, 6, 8]
    assert sorted(layer1[layer1[:, 2] == 1, 1] + 1) == [8]
    assert sorted(layer2[:, 1] + 1) == [6, 8]


def test_operating_points_by_hand(tiny_run):
    _, result, (w5, w10) = tiny_run
    points = operating_points(result, [0])
    end = points.iloc[1]
    assert end["accuracy"] == 1.0  # v_out = (2/1024, 0.5/1024): class 0
    assert end["spikes_per_image"] == 6
    assert end["mean_rate_Hz"] == pytest.approx(6 / (3 * 10 * DT))
    assert end["synaptic_events_per_image"] == 4 * 1 + 2 * 2  # layer 1 -> C, C -> 2 outputs
    b = get_budget("attwell_laughlin_2001")
    assert end["atp_spikes_per_image"] == pytest.approx(6 * b.atp_per_spike)
    assert end["atp_total_per_image"] == pytest.approx(
        6 * b.atp_per_spike + 3 * b.resting_atp_per_s * 10 * DT
    )
    assert end["activation_sparsity"] == pytest.approx(1 - 6 / 30)
    # 5-step windows: steps 1-5 only A is active (1 of 3), steps 6-10 all three
    assert end[f"frac_active_{w5:g}ms"] == pytest.approx((1 / 3 + 1) / 2)
    assert end[f"frac_active_{w10:g}ms"] == pytest.approx(1.0)
    early = points.iloc[0]
    assert early[f"frac_active_{w5:g}ms"] == pytest.approx(1 / 3)
    # before a 10-step window ends, the window holds the neurons active so far: A only
    assert early[f"frac_active_{w10:g}ms"] == pytest.approx(1 / 3)
    assert early["spikes_per_image"] == 1


def test_layer_activity_and_raster(tiny_run):
    _, result, (w5, _) = tiny_run
    layers = layer_activity(result)
    end = layers[layers["time_ms"] == layers["time_ms"].max()].set_index("layer")
    assert end.loc[1, "spikes_per_image"] == 4
    assert end.loc[2, "spikes_per_image"] == 2
    assert end.loc[1, f"frac_active_{w5:g}ms"] == pytest.approx((1 / 2 + 1) / 2)
    np.testing.assert_allclose(fraction_active(result, w5, 1), [0.75, 0.5])  # C: steps 6-10 only
    spikes = raster(result)
    assert len(spikes) == 6
    assert set(spikes["neurons"]) == {2, 1}


def test_ann_activity_counts_zeros():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))
        model[0].bias.zero_()
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
    table = ann_activity(model, x, labels=[0, 1]).set_index("layer")
    # activations: (1, 0, 2, 0) and (3, 0, 0, 1): 4 of 8 are zero
    assert table.loc[1, "frac_zero"] == pytest.approx(4 / 8)
    assert table.loc[0, "activation_sparsity"] == pytest.approx(4 / 8)
    assert table.loc[1, "frac_active"] == pytest.approx(4 / 8)


def _points(rows) -> pd.DataFrame:
    cols = [
        "network",
        "unit",
        "neuron",
        "max_rate_Hz",
        "time_ms",
        "accuracy",
        "ann_accuracy",
        "frac_active_50ms",
        "mean_rate_Hz",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame["error_pct"] = 100 * (1 - frame["accuracy"])
    frame["ann_error_pct"] = 100 * (1 - frame["ann_accuracy"])
    return frame


POINTS = _points(
    [
        ("dense", "relu", "if", 1000, 25, 0.985, 0.985, 0.40, 70.0),
        ("dense", "relu", "if", 30, 300, 0.978, 0.985, 0.06, 1.2),
        ("sparse", "relu", "if", 30, 100, 0.960, 0.984, 0.019, 0.4),
        ("sparse", "relu", "if", 30, 150, 0.978, 0.984, 0.022, 0.45),
        ("sparse", "relu", "if", 30, 200, 0.984, 0.984, 0.022, 0.46),
        ("sparse", "relu", "if", 1000, 25, 0.985, 0.984, 0.08, 20.0),
    ]
)


def test_frontier_picks():
    assert frontier.within_tolerance(POINTS).tolist() == [True, True, False, True, True, True]
    best = frontier.sparsest(POINTS)
    assert (best["network"], best["time_ms"]) == ("sparse", 150)
    fast = frontier.fastest_in_band(POINTS)
    assert (fast["network"], fast["time_ms"]) == ("sparse", 150)
    assert frontier.fastest_in_band(POINTS, tolerance=0.1)["time_ms"] == 200
    front = frontier.pareto_front(POINTS)
    assert front["frac_active_50ms"].tolist() == sorted(front["frac_active_50ms"])
    assert front["error_pct"].is_monotonic_decreasing


def test_claim_verdicts():
    assert claim_spiking_sparsity(POINTS)["verdict"] == "supported"
    slow = POINTS.assign(time_ms=POINTS["time_ms"] * 4)
    row = claim_spiking_sparsity(slow)
    assert row["verdict"] == "partly" and "600 ms" in row["why"]
    lossy = POINTS.assign(accuracy=POINTS["accuracy"] - 0.015 * (POINTS["network"] == "sparse"))
    assert claim_spiking_sparsity(lossy)["verdict"] == "partly"
    far = POINTS.assign(frac_active_50ms=POINTS["frac_active_50ms"] + 0.05)
    result = claim_spiking_sparsity(far)
    assert result["verdict"] == "not supported"
    assert set(result) == {"claim", "source", "measured", "verdict", "why"}


def test_frontier_needs_its_columns():
    with pytest.raises(ValueError, match=r"points lacks the columns \['ann_accuracy'\]"):
        frontier.sparsest(POINTS.drop(columns="ann_accuracy"))


def test_fastest_in_band_can_ask_for_a_complete_window():
    early = pd.concat(
        [POINTS, _points([("sparse", "relu", "if", 1000, 10, 0.980, 0.984, 0.03, 25.0)])],
        ignore_index=True,
    )
    assert frontier.fastest_in_band(early)["time_ms"] == 10
    assert frontier.fastest_in_band(early, min_time_ms=frontier.FULL_WINDOW_MS)["time_ms"] == 150
    row = claim_spiking_sparsity(early)
    assert row["verdict"] == "supported" and "150 ms" in row["why"]
    assert "done before one 50 ms window" in row["measured"]
    table = frontier.frontier_table(early.assign(v_init=0.5))
    kinds = table[table["group_network"] == "all ReLU networks"].set_index("kind")
    assert kinds.loc["fastest_in_band", "time_ms"] == 10
    assert kinds.loc["fastest_in_band_full_window", "time_ms"] == 150
