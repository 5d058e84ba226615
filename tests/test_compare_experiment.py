"""Biological activations, the sparsity contrast table and the ``compare`` experiment."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose

from neuroact.ann.activations import SoftLIF, get_spec, make_activation
from neuroact.compare.bio_activation import (
    soft_lif_activation,
    softplus_activation,
    softplus_sharpness,
)
from neuroact.compare.contrast import build_contrast, literature_rows
from neuroact.compare.curves import lif
from neuroact.paths import measured_fi_table
from neuroact.results import RunFolder

DATA = measured_fi_table().parents[1]  # a folder holding fi-measured/ (the package's, at least)


# --- biological activations ------------------------------------------------------------------


def test_soft_lif_tends_to_the_lif_rate_curve():
    tau, t_ref, i_th = 0.01, 0.002, 1.5
    x = torch.linspace(-1.0, 3.0, 41, dtype=torch.float64)
    out = SoftLIF(tau, t_ref, gamma=1e-4)(x).numpy()
    # j = 1 + x = I / I_th; normalised by r(2) = 1 / (t_ref + tau ln 2)
    expected = lif(i_th * (1 + x.numpy()), tau, t_ref, i_th) * (t_ref + tau * math.log(2))
    above = x.numpy() > 0.05
    assert_allclose(out[above], expected[above], rtol=1e-3)
    assert np.all(out[x.numpy() < -0.05] < 1e-3)
    assert SoftLIF(tau, t_ref)(torch.tensor([1.0])).item() == pytest.approx(1.0, rel=0.01)
    # saturation at (t_ref + tau ln 2) / t_ref for large input
    assert SoftLIF(tau, t_ref)(torch.tensor([1e6])).item() == pytest.approx(
        (t_ref + tau * math.log(2)) / t_ref, rel=1e-3
    )


def test_soft_lif_gradients_are_finite_everywhere():
    x = torch.tensor([-1e6, -1e3, -30.0, -1.0, 0.0, 1e-6, 1.0, 1e3, 1e6], requires_grad=True)
    y = SoftLIF(0.02, 0.004, gamma=0.02)(x)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()
    assert (x.grad >= 0).all()  # monotone


def test_bio_softplus_sharpness_from_fit_and_bad_inputs():
    fit = {"g": 10.0, "theta": 2.0, "beta": 3.0}
    assert softplus_sharpness(fit) == pytest.approx(6.0)  # beta * |theta|
    assert softplus_sharpness(fit, current_scale=0.5) == pytest.approx(1.5)
    unit = softplus_activation(fit)
    assert unit == {"activation": "softplus", "activation_params": {"beta": pytest.approx(6.0)}}
    # f(0) = ln 2 / b for the ann softplus unit with the fitted sharpness
    m = make_activation(unit["activation"], **unit["activation_params"])
    assert m(torch.tensor([0.0])).item() == pytest.approx(math.log(2) / 6)
    with pytest.raises(ValueError, match="tau"):
        SoftLIF(tau=-1.0)
    with pytest.raises(ValueError, match="gamma"):
        SoftLIF(gamma=float("nan"))
    with pytest.raises(TypeError, match="t_ref"):
        SoftLIF(t_ref="2 ms")
    with pytest.raises(ValueError, match="current_scale"):
        softplus_sharpness(fit, current_scale=0.0)
    with pytest.raises(ValueError, match="lacks the parameters"):
        softplus_sharpness({"g": 1.0})


def test_soft_lif_is_built_in_and_takes_fitted_parameters():
    from neuroact.compare.fit import fit_curve

    spec = get_spec("soft_lif")
    assert spec.exact_zeros is False and spec.bounds is None
    fit = fit_curve(np.linspace(0, 5, 41), lif(np.linspace(0, 5, 41), 0.02, 0.004, 1.0), "lif")
    unit = soft_lif_activation(fit, gamma=0.03)
    assert unit["activation"] == "soft_lif"
    assert unit["activation_params"] == pytest.approx({"tau": 0.02, "t_ref": 0.004, "gamma": 0.03})
    m = make_activation(unit["activation"], **unit["activation_params"])
    assert (m.tau, m.t_ref, m.gamma) == pytest.approx((0.02, 0.004, 0.03))
    # saturates at (t_ref + tau ln 2) / t_ref with the fitted values
    assert m(torch.tensor([1e6])).item() == pytest.approx(1 + 0.02 * math.log(2) / 0.004, 1e-3)
    failed = fit_curve(np.linspace(0, 5, 41), np.zeros(41), "lif")
    with pytest.raises(ValueError, match="failed fit"):
        soft_lif_activation(failed)


def test_soft_lif_network_builds_in_a_fresh_process(tmp_path):
    """A network with the fitted soft-LIF unit needs nothing but its TrainConfig."""
    import subprocess
    import sys

    code = (
        "from neuroact.ann.train import TrainConfig\n"
        "from neuroact.ann.models import build_model\n"
        "c = TrainConfig(dataset='mnist-subset', widths=(8,), activation='soft_lif',\n"
        "                activation_params={'tau': 0.02, 't_ref': 0.004, 'gamma': 0.03})\n"
        "m = build_model(c.model, widths=c.widths, activation=c.activation,\n"
        "                activation_params=c.activation_params)\n"
        "a = m.activation_modules()[0]\n"
        "print(type(a).__name__, a.tau, a.t_ref, a.gamma)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["SoftLIF", "0.02", "0.004", "0.03"]


# --- contrast --------------------------------------------------------------------------------


def _history() -> pd.DataFrame:
    rows = []
    for job, act, fz, fin in (("a", "relu", 0.4, 0.6), ("b", "sigmoid", 0.0, 0.5)):
        for epoch in (0, 1):
            for layer in (1, 2):
                rows.append(
                    {
                        "job": job,
                        "activation": act,
                        "l1": 0.0,
                        "epoch": epoch,
                        "layer": layer,
                        "layer_kind": "hidden",
                        "frac_zero": fz * epoch,
                        "frac_active_input": fin,
                        "test_error": 0.1,
                    }
                )
            rows.append(
                {
                    "job": job,
                    "activation": act,
                    "l1": 0.0,
                    "epoch": epoch,
                    "layer": 3,
                    "layer_kind": "readout",
                    "test_error": 0.1,
                }
            )
    return pd.DataFrame(rows)


def test_contrast_table_rows_and_views():
    pop = pd.DataFrame(
        {
            "sweep": ["showcase", "phase"],
            "label": ["sparse", "x"],
            "g": [6.0, 4.0],
            "eta": [1.5, 2.0],
            "frac_active_10ms": [0.02, 0.5],
            "frac_active_50ms": [0.08, 0.9],
            "mean_rate_Hz": [1.0, 30.0],
        }
    )
    table = build_contrast(pop, _history())
    lit = table[table.source == "literature"]
    assert len(lit) == 3
    glorot = lit[lit.label.str.startswith("Glorot")].iloc[0]
    assert (glorot.low, glorot.high) == pytest.approx((0.17, 0.32))  # 68-83% zeros -> active
    sim = table[table.source == "simulated"]
    assert list(sim.window_ms) == [10.0, 50.0] and list(sim.fraction_active) == [0.02, 0.08]
    trained = table[table.source == "trained"]
    assert len(trained) == 2 * 2 * 2  # networks x hidden layers x views
    relu_out = trained[(trained.activation == "relu") & (trained.view == "output")]
    assert_allclose(relu_out.fraction_active, [0.6, 0.6])  # final epoch: 1 - frac_zero
    assert len(literature_rows()) == 3
    with pytest.raises(ValueError, match="frac_active"):
        build_contrast(pop.drop(columns=["frac_active_10ms", "frac_active_50ms"]))


def test_simulated_brian2_lif_curve_recovers_parameters():
    """A real Brian2 LIF f-I curve (numpy target): LIF-family tau, t_ref, I_th within 2%."""
    from brian2 import nA, second

    from neuroact.bio.fi import fi_curve
    from neuroact.compare.fit import fit_families

    curve = fi_curve(
        "lif",
        np.linspace(0.0, 4.0, 21) * nA,
        duration=0.5 * second,
        transient=0.1 * second,
        seed=0,
        target="numpy",
    )
    comp = fit_families(curve.currents, curve.rate, ["relu", "softplus", "lif"])
    assert comp.best.family == "lif"
    p = comp["lif"].params
    assert_allclose([p["tau"], p["t_ref"], p["i_th"]], [0.010, 0.002, 1.5], rtol=0.02)


# --- the experiment --------------------------------------------------------------------------


def _fake_fi_run(path: Path) -> Path:
    """An fi_curves-shaped run folder from the analytic oracles (no simulation needed)."""
    from neuroact.bio.theory import lif_rate, siegert_rate

    i = np.linspace(0.0, 4.0, 31)
    tables = [
        pd.DataFrame(
            {
                "model": "lif",
                "sigma_mV": 0.0,
                "current": i,
                "current_unit": "nA",
                "rate_Hz": lif_rate(i * 1e-9),
            }
        )
    ]
    for s in (2.0, 5.0):
        tables.append(
            pd.DataFrame(
                {
                    "model": "noisy_lif",
                    "sigma_mV": s,
                    "current": i,
                    "current_unit": "nA",
                    "rate_Hz": siegert_rate(i * 1e-9 * 1e7, s * 1e-3),
                }
            )
        )
    RunFolder(path).write_table("fi_curves", pd.concat(tables, ignore_index=True))
    return path


def test_fit_simulated_fits_each_curve_and_names_a_bad_families_argument(tmp_path):
    from neuroact.experiments import compare

    fi = RunFolder(_fake_fi_run(tmp_path)).read_table("fi_curves")
    points, fits = compare.fit_simulated(fi, ("relu", "lif"))
    assert set(fits["curve"]) == {"lif", "noisy_lif sigma=2 mV", "noisy_lif sigma=5 mV"}
    best = fits[fits["curve"] == "lif"].sort_values("aic").iloc[0]
    assert best["family"] == "lif" and best["r2"] > 0.999 and len(points) == len(fi)
    with pytest.raises(TypeError, match=r"^families must be a sequence of family names.*Config"):
        compare.fit_simulated(fi, compare.Config())


def test_config_stores_family_keys_and_refuses_unknown_families():
    from neuroact.experiments import compare

    config = compare.Config(families=("rectifier", "Logistic", "lif"))
    assert config.families == ("relu", "sigmoid", "lif")
    assert compare.PROFILES["quick"].families == ("relu", "softplus", "sigmoid", "power_law", "lif")
    with pytest.raises(ValueError, match="unknown family 'relu9'"):
        compare.Config(families=("relu9",))


def test_bio_units_are_train_config_fields():
    from neuroact.ann.train import TrainConfig
    from neuroact.experiments import compare

    bio = pd.DataFrame(
        [
            {"activation": "soft_lif", "tau": 0.01, "t_ref": 0.002, "gamma": 0.05},
            {"activation": "bio_softplus", "sharpness": 18.5},
        ]
    )
    units = compare.bio_units(bio)
    assert units["soft_lif"]["activation_params"] == pytest.approx(
        {"tau": 0.01, "t_ref": 0.002, "gamma": 0.05}
    )
    assert units["bio_softplus"] == {"activation": "softplus", "activation_params": {"beta": 18.5}}
    config = TrainConfig(dataset="mnist-subset", widths=(4,), **units["bio_softplus"])
    assert config.activation == "softplus" and config.activation_params == {"beta": 18.5}
    curves = compare.activation_curves(bio, x=[0.0, 1.0]).set_index(["activation", "x"])["y"]
    assert curves[("bio_softplus", 0.0)] == pytest.approx(math.log(2) / 18.5, rel=1e-6)
    assert curves[("soft_lif", 1.0)] == pytest.approx(1.0, rel=0.01)  # f(1) ~ 1
    assert curves[("relu", 1.0)] == 1.0


@pytest.mark.slow
def test_compare_experiment_end_to_end(tmp_path):
    from neuroact.experiments import compare

    fi = _fake_fi_run(tmp_path / "fi")
    from neuroact.ann.train import TrainConfig

    config = compare.Config(
        train=TrainConfig(dataset="mnist-subset", widths=(32,), epochs=1, eval_size=200),
        train_activations=("relu", "soft_lif", "bio_softplus"),
    )
    run = compare.run(
        config, tmp_path / "cmp", inputs={"fi_curves": fi}, data_dir=DATA, progress=False
    )
    sim = run.read_table("sim_fits")
    lif_fit = sim[(sim.curve == "lif") & (sim.family == "lif")].iloc[0]
    assert lif_fit["rank"] == 1
    assert_allclose([lif_fit.tau, lif_fit.t_ref, lif_fit.i_th], [0.01, 0.002, 1.5], rtol=0.02)
    bio = run.read_table("bio_activations").set_index("activation")
    assert bio.loc["soft_lif", "tau"] == pytest.approx(0.01, rel=0.02)
    assert bio.loc["bio_softplus", "source"] == "noisy_lif sigma=5 mV"
    summary = run.read_table("bio_training_summary")
    assert set(summary.activation) == {"relu", "soft_lif", "bio_softplus"}
    assert (summary.test_error < 0.5).all()  # they learn (chance is 0.9)
    contrast = run.read_table("contrast")
    assert set(contrast.source) == {"literature", "bio_activation"}
    if (DATA / "fi-measured").exists():
        assert len(run.read_table("measured_winners")) == 44
    for fig in ("sim_fits", "contrast", "bio_activations", "accuracy_sparsity"):
        assert (run.path / f"{fig}.png").exists()
    assert not (run.path / "checkpoints").exists()  # deleted once every network finished
    # a rerun resumes: nothing is retrained, the tables are unchanged
    before = (run.path / "bio_training_summary.csv").stat().st_mtime_ns
    compare.run(config, tmp_path / "cmp", inputs={"fi_curves": fi}, data_dir=DATA, progress=False)
    assert (run.path / "bio_training_summary.csv").stat().st_mtime_ns == before


def test_compare_without_an_fi_curves_run_simulates_its_own_curves(tmp_path):
    """No fi_curves run given: the curves of sim_curves come from neuroact.bio.fi.fi_curve, and
    the deterministic LIF curve is fitted back to the model's analytic parameters."""
    from neuroact.ann.train import TrainConfig
    from neuroact.bio.neurons import get_model
    from neuroact.experiments import compare

    config = compare.Config(
        families=("relu", "lif"),
        sim_curves=(("lif", 0.0, 5.0),),
        sim_currents=21,
        sim_duration_s=0.5,
        sim_transient_s=0.1,
        sim_dt_ms=0.01,
        train=TrainConfig(dataset="mnist-subset", widths=(8,), epochs=1, eval_size=100),
        train_activations=("relu",),
        measured_file="no-such-table.csv",
    )
    with pytest.raises(TypeError, match="TrainConfig"):
        compare.run(compare.Config(train={"epochs": 1}), tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad").exists()
    run = compare.run(config, tmp_path / "cmp", data_dir=DATA, progress=False)
    sim = run.read_table("sim_fi")
    assert sorted(set(sim.model)) == ["lif"] and len(sim) == 21
    fit = run.read_table("sim_fits").set_index("family").loc["lif"]
    lif = get_model("lif")
    tau_s = float(lif.params["tau_m"])
    assert fit["rank"] == 1 and fit["tau"] == pytest.approx(tau_s, rel=0.05)
    assert set(run.read_table("bio_training_summary").activation) == {"relu"}
    assert not (run.path / "checkpoints").exists()
