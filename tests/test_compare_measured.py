"""Measured f-I tables: reading any lab's layout, fitting every cell, the `neuroact fit` command."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from neuroact.compare.curves import lif, relu
from neuroact.compare.measured import cell_seed, fit_cells, read_fi_table
from neuroact.paths import measured_fi_table

BBP = measured_fi_table()  # the 44 rat L5 cells: the package copy unless a data folder has one


def _synthetic_table(seed: int = 0) -> pd.DataFrame:
    """Three 'cells' in another lab's layout: nA currents, spike counts over 500 ms steps."""
    rng = np.random.default_rng(seed)
    rows = []
    for cell, (tau, t_ref, i_th) in {
        "a": (0.010, 0.002, 1.5),
        "b": (0.020, 0.003, 0.8),
        "c": (0.015, 0.004, 1.1),
    }.items():
        for i in np.linspace(0.0, 4.0, 21):
            for _ in range(2):  # every current stepped twice
                count = rng.poisson(lif(np.array([i]), tau, t_ref, i_th)[0] * 0.5)
                rows.append({"neuron": cell, "I_inj": i, "n_spikes": count, "T_s": 0.5})
    return pd.DataFrame(rows)


def test_read_counts_and_durations_with_units():
    table = _synthetic_table()
    curves = read_fi_table(
        table,
        cell_col="neuron",
        current_col="I_inj",
        count_col="n_spikes",
        duration_col="T_s",
        duration_unit="s",
        current_unit="nA",
    )
    assert curves.cells == ["a", "b", "c"]
    assert len(curves.data) == len(table)
    assert_allclose(curves.data["rate_Hz"], table["n_spikes"] / 0.5)
    # the same table with the duration in ms and one value for all rows
    ms = read_fi_table(
        table,
        cell_col="neuron",
        current_col="I_inj",
        count_col="n_spikes",
        duration=500.0,
        duration_unit="ms",
        current_unit="nA",
    )
    assert_allclose(ms.data["rate_Hz"], curves.data["rate_Hz"])


def test_repeats_mean_averages_equal_currents_with_sem():
    table = _synthetic_table()
    curves = read_fi_table(
        table,
        cell_col="neuron",
        current_col="I_inj",
        count_col="n_spikes",
        duration=0.5,
        duration_unit="s",
        current_unit="nA",
        repeats="mean",
    )
    assert len(curves.data) == 3 * 21
    assert (curves.data["n_sweeps"] == 2).all()
    first = table[(table.neuron == "a") & np.isclose(table.I_inj, 4.0)]["n_spikes"] / 0.5
    row = curves.data[(curves.data.cell_id == "a") & np.isclose(curves.data.current, 4.0)]
    assert row["rate_Hz"].iloc[0] == pytest.approx(first.mean())
    assert row["rate_sem_Hz"].iloc[0] == pytest.approx(first.std(ddof=1) / np.sqrt(2))


def test_fit_cells_recovers_lif_thresholds_of_synthetic_cells():
    curves = read_fi_table(
        _synthetic_table(),
        cell_col="neuron",
        current_col="I_inj",
        count_col="n_spikes",
        duration=0.5,
        duration_unit="s",
        current_unit="nA",
    )
    fits = fit_cells(curves, ["relu", "softplus", "lif"], progress=False)
    lif_rows = fits.table[fits.table.family == "lif"].set_index("cell_id")
    assert lif_rows["success"].all()
    # currents are 0.2 nA apart: the threshold is known to within one step
    assert_allclose(lif_rows.loc[["a", "b", "c"], "i_th"], [1.5, 0.8, 1.1], atol=0.2)
    summary = fits.summary()
    assert summary["n_wins"].sum() == 3
    assert set(fits.winners()["cell_id"]) == {"a", "b", "c"}


def test_bad_columns_and_units_raise_clear_errors():
    table = _synthetic_table()
    with pytest.raises(ValueError, match="cell_col='cell'"):
        read_fi_table(table, cell_col="cell", current_col="I_inj", rate_col="n_spikes")
    with pytest.raises(ValueError, match="duration"):
        read_fi_table(table, cell_col="neuron", current_col="I_inj", count_col="n_spikes")
    with pytest.raises(ValueError, match="current_unit"):
        read_fi_table(
            table, cell_col="neuron", current_col="I_inj", rate_col="n_spikes", current_unit="amps"
        )
    with pytest.raises(ValueError, match="give the rate"):
        read_fi_table(table, cell_col="neuron", current_col="I_inj")


def test_a_cell_that_never_fires_gets_failed_rows_not_an_exception():
    i = np.linspace(0, 1, 10)
    table = pd.DataFrame(
        {
            "cell": ["silent"] * 10 + ["ok"] * 10,
            "I": np.r_[i, i],
            "rate": np.r_[np.zeros(10), relu(i, 50.0, 0.3)],
        }
    )
    curves = read_fi_table(table, cell_col="cell", current_col="I", rate_col="rate")
    fits = fit_cells(curves, ["relu", "lif"], progress=False)
    silent = fits.table[fits.table.cell_id == "silent"]
    assert not silent["success"].any()
    assert silent["message"].str.contains("all rates are zero").all()
    assert list(fits.winners()["cell_id"]) == ["ok"]


def test_all_44_measured_cells_fitted():
    curves = read_fi_table(
        BBP,
        cell_col="cell_id",
        current_col="step_current_pA",
        rate_col="rate_Hz",
        current_unit="pA",
    )
    assert len(curves) == 44
    fits = fit_cells(curves, progress=False)
    assert len(fits.table) == 44 * 5
    assert fits.table["success"].all(), fits.table.loc[~fits.table.success, "message"]
    summary = fits.summary().set_index("family")
    assert summary["n_wins"].sum() == 44
    # the measured curves are monotone and smooth: every family explains most of the variance
    assert (summary["median_r2"] > 0.9).all()
    # thresholds (pA) lie inside the measured current range of each cell
    rect = fits.table[fits.table.family == "relu"].set_index("cell_id")
    span = curves.data.groupby("cell_id")["current"].agg(["min", "max"])
    assert (rect["theta"] < span.loc[rect.index, "max"]).all()


def _cli(argv: list[str]) -> int:
    from neuroact import cli_fit

    parser = argparse.ArgumentParser(prog="neuroact")
    cli_fit.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


# three cells of known rectifier curves in pA, sampled at 31 currents with 1 Hz Gaussian noise
RELU_CELLS = {"a": (0.05, 150.0), "b": (0.08, 300.0), "c": (0.03, 100.0)}  # g Hz/pA, theta pA


def _relu_cells_csv(path: Path) -> Path:
    rng = np.random.default_rng(11)
    i = np.linspace(0.0, 800.0, 31)
    frames = [
        pd.DataFrame({"cell": c, "I_pA": i, "rate": relu(i, g, th) + rng.normal(0.0, 1.0, i.size)})
        for c, (g, th) in RELU_CELLS.items()
    ]
    pd.concat(frames).to_csv(path, index=False)
    return path


def _fit_relu_cells(tmp_path, out: str, *extra: str) -> int:
    path = _relu_cells_csv(tmp_path / "steps.csv")
    argv = ["fit", str(path), "--cell-col", "cell", "--current-col", "I_pA", "--rate-col", "rate"]
    return _cli(argv + ["--allow-negative-rates", "--out", str(tmp_path / out), *extra])


def test_fit_command_writes_tidy_fits_with_units_and_errors(tmp_path, capsys):
    from neuroact.compare.measured import PARAMETER_COLUMNS

    assert _fit_relu_cells(tmp_path, "out", "--families", "rectifier", "softplus", "lif") == 0
    out = tmp_path / "out"
    printed = capsys.readouterr().out
    for name in ("fits.csv", "winners.csv", "summary.csv", "points.csv", "fits.png"):
        assert f"wrote {out / name}" in printed  # every file written is named
    fits = pd.read_csv(out / "fits.csv")
    assert tuple(fits.columns) == PARAMETER_COLUMNS
    # one row per cell x family x parameter: 3 cells x (2 + 3 + 3) parameters
    assert len(fits) == 3 * 8
    assert set(fits.family) == {"relu", "softplus", "lif"}  # the alias is stored as its key
    units = fits.drop_duplicates(["family", "param"]).set_index(["family", "param"])["unit"]
    assert units[("relu", "g")] == "Hz/pA" and units[("relu", "theta")] == "pA"
    assert units[("softplus", "beta")] == "1/pA" and units[("lif", "tau")] == "s"
    # the generating gain and threshold are recovered within their standard errors
    relu_rows = fits[fits.family == "relu"].set_index(["cell_id", "param"])
    for cell, (g, theta) in RELU_CELLS.items():
        for param, true in (("g", g), ("theta", theta)):
            row = relu_rows.loc[(cell, param)]
            assert abs(row["value"] - true) < 3 * row["stderr"], (cell, param, row["value"])
    assert fits["ci_low"].isna().all()  # no bootstrap asked for
    assert (out / "fits.png").stat().st_size > 10_000


def test_fit_command_bootstrap_is_seeded(tmp_path, capsys):
    args = ("--families", "relu", "--bootstrap", "100", "--no-figure")
    assert _fit_relu_cells(tmp_path, "s1", *args, "--seed", "1") == 0
    assert _fit_relu_cells(tmp_path, "s1_again", *args, "--seed", "1") == 0
    assert _fit_relu_cells(tmp_path, "s2", *args, "--seed", "2") == 0
    a, again, b = (pd.read_csv(tmp_path / d / "fits.csv") for d in ("s1", "s1_again", "s2"))
    pd.testing.assert_frame_equal(a, again)  # the same seed gives the same intervals
    assert_allclose(a["value"], b["value"])  # the estimates do not depend on the seed ...
    assert not np.allclose(a["ci_low"], b["ci_low"])  # ... the bootstrap draws do
    assert (a["ci_level"] == 0.95).all()
    assert ((a["ci_low"] < a["value"]) & (a["value"] < a["ci_high"])).all()
    # residual-bootstrap intervals agree with the Jacobian standard errors (linear regime)
    assert_allclose((a["ci_high"] - a["ci_low"]) / (2 * 1.96), a["stderr"], rtol=0.35)


def test_fit_command_fails_cleanly_when_nothing_fits(tmp_path):
    path = tmp_path / "silent.csv"
    pd.DataFrame({"c": ["x"] * 6, "i": np.arange(6.0), "r": np.zeros(6)}).to_csv(path, index=False)
    argv = ["fit", str(path), "--cell-col", "c", "--current-col", "i", "--rate-col", "r"]
    assert _cli(argv + ["--out", str(tmp_path / "o"), "--no-figure"]) == 1
    # the summary figure is drawn all the same, with nothing on its axes
    assert _cli(argv + ["--out", str(tmp_path / "f")]) == 1
    assert (tmp_path / "f" / "fits.png").is_file()


def test_fit_command_reports_bad_input(tmp_path, capsys):
    path = tmp_path / "t.csv"
    pd.DataFrame({"c": ["x"] * 6, "i": np.arange(6.0), "r": np.arange(6.0)}).to_csv(
        path, index=False
    )
    base = ["fit", str(path), "--cell-col", "c", "--current-col", "i", "--out", str(tmp_path / "o")]
    assert _cli(base + ["--rate-col", "r", "--families", "relu9"]) == 2
    assert "unknown family 'relu9'" in capsys.readouterr().err
    assert _cli(base + ["--rate-col", "rate"]) == 2
    assert "rate_col='rate'" in capsys.readouterr().err


def test_sem_weighted_fits_survive_currents_stepped_once():
    # With repeats averaged, a current stepped only once has no SEM; the cell must still fit.
    curves = read_fi_table(
        BBP,
        cell_col="cell_id",
        current_col="total_current_pA",
        rate_col="rate_Hz",
        current_unit="pA",
        repeats="mean",
    )
    fits = fit_cells(curves, families=("relu",), use_sem=True, progress=False)
    assert fits.table["success"].all()


def test_a_cells_bootstrap_does_not_depend_on_the_other_cells(tmp_path):
    path = _relu_cells_csv(tmp_path / "steps.csv")
    kwargs = {"cell_col": "cell", "current_col": "I_pA", "rate_col": "rate"}
    every = read_fi_table(path, allow_negative_rates=True, **kwargs)
    only_b = read_fi_table(path, allow_negative_rates=True, query="cell == 'b'", **kwargs)
    fit = {"families": "relu", "bootstrap": 40, "seed": 3, "progress": False}
    a = fit_cells(every, allow_negative_rates=True, **fit).parameters()
    b = fit_cells(only_b, allow_negative_rates=True, **fit).parameters()
    a = a[a.cell_id == "b"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns=["rank"]), b.drop(columns=["rank"]))
    assert cell_seed(3, "b") == cell_seed(3, "b") != cell_seed(3, "a")
    assert cell_seed(None, "b") is None


def test_fit_command_in_parallel_with_cell_panels(tmp_path, capsys):
    # two processes give the serial tables exactly; --cell-panels adds one panel per cell
    assert _fit_relu_cells(tmp_path, "serial", "--families", "relu", "lif") == 0
    args = ("--families", "relu", "lif", "--workers", "2", "--cell-panels")
    assert _fit_relu_cells(tmp_path, "parallel", *args) == 0
    for name in ("fits.csv", "winners.csv", "summary.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "parallel" / name), pd.read_csv(tmp_path / "serial" / name)
        )
    assert not (tmp_path / "serial" / "cells.png").exists()
    assert (tmp_path / "parallel" / "cells.png").stat().st_size > 10_000
    assert f"wrote {tmp_path / 'parallel' / 'cells.png'}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:  # argparse: a usage error, exit status 2
        _fit_relu_cells(tmp_path, "bad", "--workers", "0")
    assert refused.value.code == 2 and not (tmp_path / "bad").exists()
    assert "--workers: must be a positive integer or -1" in capsys.readouterr().err
