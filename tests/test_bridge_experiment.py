"""The bridge experiment end to end, at a size for tests: tables, resume, figures, claim."""

from __future__ import annotations

import dataclasses

import pytest

from neuroact.ann.train import TrainConfig
from neuroact.bridge.claim import claim_spiking_sparsity
from neuroact.experiments import bridge

TINY = bridge.Config(
    train=TrainConfig(
        dataset="mnist-subset", widths=(50, 50), epochs=2, lr=0.1, train_size=2000, probes=False
    ),
    l1s=(0.0, 1e-3),
    calibration_size=1000,
    test_size=200,
    if_settings=((1000.0, 30.0, 0.5), (30.0, 200.0, 0.5)),
    lif_settings=((250.0, 30.0, 0.5),),
    soft_lif_settings=((30.0, 0.5),),
    brian2_images=5,
    brian2_duration_ms=10.0,
    showcase_images=50,
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bridge")
    return bridge.run(TINY, out, progress=False), out


def test_run_writes_every_table_and_figure(tiny_run):
    run, out = tiny_run
    for name in (
        "networks",
        "ann_layers",
        "points",
        "layers",
        "frontier",
        "brian2",
        "rates",
        "raster",
        "reference_bands",
        "soft_lif_fit",
        "timings",
    ):
        assert run.has(f"{name}.csv"), name
    assert len(list(out.glob("bridge_*.png"))) == 5
    points = run.read_table("points")
    # 2 ReLU networks x (2 IF + 1 LIF settings) + the soft-LIF network, each at its checkpoints
    runs = points.groupby(["network", "neuron", "max_rate_Hz", "v_init"]).ngroups
    assert runs == 2 * 3 + 1
    assert set(points["unit"]) == {"relu", "soft_lif"}
    assert points["accuracy"].between(0, 1).all()
    b2 = run.read_table("brian2").iloc[0]
    assert b2["identical_spike_trains_float64"] == 1.0
    assert b2["same_prediction_float64"] == 1.0
    fit = run.read_table("soft_lif_fit").iloc[0]
    assert fit["i_th"] == pytest.approx(1.0, abs=1e-3)  # the LIF threshold current


def test_rerun_resumes_without_recomputing(tiny_run):
    run, out = tiny_run
    jobs = sorted(p for p in (out / "jobs").rglob("*.csv"))
    stamps = [p.stat().st_mtime_ns for p in jobs]
    bridge.run(TINY, out, progress=False)
    assert [p.stat().st_mtime_ns for p in jobs] == stamps


def test_draw_redraws_from_tables(tiny_run):
    run, out = tiny_run
    for png in out.glob("bridge_*.png"):
        png.unlink()
    assert len(bridge.draw(run)) == 5


def test_claim_reads_the_points_table(tiny_run):
    run, _ = tiny_run
    row = claim_spiking_sparsity(run.read_table("points"))
    assert row["verdict"] in {"supported", "partly", "not supported"}
    assert row["measured"]


def test_a_different_config_is_refused(tiny_run):
    _, out = tiny_run
    with pytest.raises(ValueError, match="different configuration"):
        bridge.run(dataclasses.replace(TINY, percentile=99.0), out, progress=False)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="if_settings must hold 3-tuples"):
        bridge.Config(if_settings=((1000.0, 50.0),))
