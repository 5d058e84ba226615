"""Sweeps, steps, spike detection and trace tables on hand-made traces with known answers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from neuroact.recordings import (
    FI_COLUMNS,
    Sweep,
    fi_row,
    fi_table,
    find_step,
    read_traces,
    step_in_window,
    threshold_crossings,
)

DT = 1e-4  # 10 kHz
T = np.arange(8000) * DT  # 0.8 s


def square(on=0.1, off=0.6, step=100.0, holding=-30.0) -> np.ndarray:
    i = np.full(T.size, holding)
    i[(T >= on - DT / 2) & (T < off - DT / 2)] += step
    return i


def spiking_voltage(spike_times, rest=-70.0, peak=30.0) -> np.ndarray:
    """Rest, and a 1 ms triangle from rest to ``peak`` and back at each spike time."""
    v = np.full(T.size, rest)
    for ts in spike_times:
        k = int(round(ts / DT))
        v[k : k + 5] = rest + (peak - rest) * np.arange(1, 6) / 5
        v[k + 5 : k + 10] = peak - (peak - rest) * np.arange(1, 6) / 5
    return v


# --- the step ----------------------------------------------------------------------------------


def test_find_step_reads_on_off_amplitude_and_holding():
    step = find_step(T, square())
    assert (step.on_s, step.off_s) == (T[1000], T[6000])
    assert_allclose([step.step_current_pA, step.holding_current_pA], [100.0, -30.0])
    assert_allclose(step.duration_s, 0.5)
    # a 10 ms test pulse before the step and a filtered edge (one sample half-way) change nothing
    i = square()
    i[200:300] -= 50.0
    i[1000] = 20.0
    step = find_step(T, i)
    assert step.on_s == T[1001]
    assert_allclose([step.step_current_pA, step.holding_current_pA], [100.0, -30.0])
    # a negative step is a step
    assert_allclose(find_step(T, square(step=-80.0)).step_current_pA, -80.0)


def test_find_step_in_a_measured_noisy_current():
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 5.0, T.size)
    step = find_step(T, square(step=60.0) + noise)
    assert (step.on_s, step.off_s) == (T[1000], T[6000])
    # the step's mean minus the holding's mean: SE = 5 pA sqrt(1/5000 + 1/1000) = 0.17 pA
    assert abs(step.step_current_pA - 60.0) < 4 * 0.17
    assert abs(step.holding_current_pA + 30.0) < 4 * 5.0 / np.sqrt(1000)


@pytest.mark.parametrize(
    ("current", "missing"),
    [
        (np.full(T.size, 25.0), "the current is constant at 25 pA"),
        (np.linspace(0.0, 200.0, T.size), "a ramp or noise, not a step"),
        (square(off=2.0), "leaves the holding level -30 pA at t = 0.1 s and does not return"),
    ],
)
def test_a_sweep_without_a_step_is_named(current, missing):
    sweep = Sweep("c1", 4, T, np.full(T.size, -70.0), current, source="rec.csv")
    with pytest.raises(ValueError) as info:
        fi_row(sweep)
    assert str(info.value).startswith("rec.csv: sweep 4 of cell c1: no current step")
    assert missing in str(info.value)


def test_step_in_a_given_window_reads_a_0_pA_step():
    step = step_in_window(T, np.full(T.size, -30.0), (0.1, 0.6))
    assert (step.on_s, step.off_s, step.step_current_pA) == (T[1000], T[6000], 0.0)
    assert step.holding_current_pA == -30.0
    with pytest.raises(ValueError, match="window .* must start after the first sample"):
        step_in_window(T, square(), (0.1, 0.9))
    with pytest.raises(ValueError, match=r"on < off; got \(0.6, 0.1\)"):
        fi_table([], window=(0.6, 0.1))


# --- spikes ------------------------------------------------------------------------------------


def test_threshold_crossings_are_interpolated_between_samples():
    t = np.arange(6) * 0.001
    v = np.array([-70.0, -30.0, 10.0, 30.0, -50.0, -10.0])
    # -30 -> 10 crosses -20 a quarter of the way; -50 -> -10 three quarters of the way
    assert_allclose(threshold_crossings(t, v, refractory_ms=0.0), [0.00125, 0.00475])
    # the second lies 3.5 ms after the first: inside a 4 ms refractory window, outside 3 ms
    assert_allclose(threshold_crossings(t, v, refractory_ms=4.0), [0.00125])
    assert_allclose(threshold_crossings(t, v, refractory_ms=3.0), [0.00125, 0.00475])
    assert threshold_crossings(t, np.full(6, 10.0)).size == 0  # starts above: no crossing


def test_fi_row_counts_and_rates_by_hand():
    # 2 spikes before the step (0.02, 0.05 s), 5 in it (0.2, 0.25, 0.35, 0.45, 0.55 s)
    times = [0.02, 0.05, 0.2, 0.25, 0.35, 0.45, 0.55]
    sweep = Sweep("c1", 0, T, spiking_voltage(times), square(), source="rec.csv")
    row = fi_row(sweep)
    assert tuple(row) == FI_COLUMNS
    assert row["spike_count"] == 5 and row["spikes_before_step"] == 2
    assert_allclose(row["rate_Hz"], 5 / 0.5)
    assert_allclose(row["isi_rate_Hz"], 1 / ((0.55 - 0.2) / 4), rtol=1e-9)
    assert_allclose(row["first_isi_rate_Hz"], 1 / 0.05, rtol=1e-9)
    assert_allclose([row["step_start_ms"], row["step_ms"]], [100.0, 500.0])
    assert_allclose([row["step_current_pA"], row["total_current_pA"]], [100.0, 70.0])
    efel_row = fi_row(sweep, detector="efel")
    assert efel_row["spike_count"] == 5 and efel_row["spikes_before_step"] == 2
    # eFEL times the peaks, 0.5 ms after each onset: the intervals are the same
    assert_allclose(efel_row["isi_rate_Hz"], row["isi_rate_Hz"], rtol=1e-6)


def test_bias_current_adds_to_the_holding_current():
    sweep = Sweep("c1", 0, T, np.full(T.size, -70.0), square(), bias_current_pA=-45.0)
    row = fi_row(sweep)
    assert_allclose([row["holding_current_pA"], row["total_current_pA"]], [-75.0, 25.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"detector": "peaks"}, "detector must be one of ['threshold', 'efel']; got 'peaks'"),
        ({"threshold_mV": float("nan")}, "threshold_mV must be a finite number (mV); got nan"),
        ({"refractory_ms": -1}, "refractory_ms must be a finite number >= 0 (ms); got -1"),
        ({"errors": "ignore"}, "errors must be one of ['raise', 'skip']; got 'ignore'"),
    ],
)
def test_bad_settings_are_refused_before_any_sweep_is_read(kwargs, message):
    def sweeps():
        raise AssertionError("a sweep was read")
        yield

    with pytest.raises(ValueError) as info:
        fi_table(sweeps(), **kwargs)
    assert str(info.value) == message


def test_sweep_checks_its_arrays():
    with pytest.raises(ValueError, match="a.csv: sweep 2 of cell c: time_s must increase"):
        Sweep("c", 2, [0.0, 0.2, 0.1], [1, 2, 3], [0, 0, 0], source="a.csv")
    with pytest.raises(ValueError, match="voltage_mV holds a non-finite value at sample 1"):
        Sweep("c", 2, [0.0, 0.1, 0.2], [1, np.nan, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="must be 1-D of one length"):
        Sweep("c", 2, [0.0, 0.1, 0.2], [1, 2], [0, 0, 0])


# --- trace tables ------------------------------------------------------------------------------


def test_read_traces_long_table_with_units(tmp_path):
    times = [0.2, 0.3, 0.4]
    rows = []
    for cell, sweep, amp in (("a", 1, 100.0), ("a", 2, 200.0), ("b", 1, 50.0)):
        rows.append(
            pd.DataFrame(
                {
                    "cell": cell,
                    "sweep": sweep,
                    "t_ms": T * 1e3,
                    "v_V": spiking_voltage(times if amp > 60 else []) * 1e-3,
                    "i_nA": square(step=amp) * 1e-3,
                }
            )
        )
    path = tmp_path / "long.csv"
    pd.concat(rows).to_csv(path, index=False)
    sweeps = read_traces(path, time_col="t_ms", voltage_col="v_V", current_col="i_nA",
                         sweep_col="sweep", cell_col="cell", time_unit="ms", voltage_unit="V",
                         current_unit="nA")  # fmt: skip
    assert [(s.cell_id, s.sweep) for s in sweeps] == [("a", 1), ("a", 2), ("b", 1)]
    assert_allclose(sweeps[0].time_s, T, atol=1e-12)
    assert_allclose(sweeps[0].voltage_mV.min(), -70.0)
    table = fi_table(sweeps)
    assert table["spike_count"].tolist() == [3, 3, 0]
    assert_allclose(table["step_current_pA"], [100.0, 200.0, 50.0])
    assert (table["source"] == str(path)).all()


def test_read_traces_one_file_per_sweep(tmp_path):
    paths = []
    for k, amp in enumerate((40.0, 80.0)):
        paths.append(tmp_path / f"sweep_{k}.csv")
        frame = pd.DataFrame({"t": T, "v": spiking_voltage([0.3] * k), "i": square(step=amp)})
        frame.to_csv(paths[-1], index=False)
    sweeps = read_traces(paths, time_col="t", voltage_col="v", current_col="i", cell="c7")
    assert [(s.cell_id, s.sweep) for s in sweeps] == [("c7", "sweep_0"), ("c7", "sweep_1")]
    assert fi_table(sweeps)["spike_count"].tolist() == [0, 1]
    alone = read_traces(paths, time_col="t", voltage_col="v", current_col="i")
    assert [s.cell_id for s in alone] == ["sweep_0", "sweep_1"]  # without cell: a file a cell


def test_read_traces_names_the_file_and_column_at_fault(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"t": T[:5], "v": ["-70", "-70", "x", "-70", "-70"], "i": 0.0}).to_csv(
        path, index=False
    )
    kw = dict(time_col="t", voltage_col="v", current_col="i")
    with pytest.raises(ValueError, match=r"bad.csv'. voltage_col='v' has 1 rows .* value 'x'"):
        read_traces(path, **kw)
    with pytest.raises(ValueError, match=r"bad.csv'. sweep_col='sweep' is not a column"):
        read_traces(path, sweep_col="sweep", **kw)
    with pytest.raises(ValueError, match=r"^time_unit must be one of \['s', 'ms', 'us'\]"):
        read_traces(path, time_unit="min", **kw)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        read_traces([path, tmp_path / "missing.csv"], **kw)


# --- optional dependencies ---------------------------------------------------------------------


def test_the_package_imports_without_the_optional_dependencies():
    """pynwb, eFEL, neo and Elephant are loaded only by the functions that need them."""
    code = (
        "import sys\n"
        "for name in ('pynwb', 'hdmf', 'efel', 'neo', 'elephant', 'quantities'):\n"
        "    sys.modules[name] = None  # import of any of them fails\n"
        "import neuroact, neuroact.recordings, neuroact.bio.activity, neuroact.cli_fit\n"
        "import neuroact.recordings.simulate, neuroact.bio.fi\n"
        "from neuroact.recordings import Sweep, fi_table, read_nwb\n"
        "import numpy as np\n"
        "t = np.arange(100) * 1e-3\n"
        "i = np.where((t >= 0.02) & (t < 0.08), 50.0, 0.0)\n"
        "print(fi_table([Sweep('c', 0, t, np.full(100, -70.0), i)])['spike_count'][0])\n"
        "try:\n"
        "    read_nwb('x.nwb')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "0",
        "reading NWB files needs pynwb: pip install 'neuroact[recordings]'",
    ]


# --- neuroact fit on trace tables --------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    import argparse

    from neuroact import cli_fit

    parser = argparse.ArgumentParser(prog="neuroact")
    cli_fit.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--count-col", "n"], "--count-col applies to an f-I table"),
        (["--current-unit", "nA"], "--current-unit must be pA for recordings"),
        (["--stimulus", "*Long*"], "--stimulus applies to NWB files"),
        (["--step-window", "600", "100"], "window must be (on_s, off_s) with finite on < off"),
        (["--threshold", "nan"], "threshold_mV must be a finite number (mV); got nan"),
    ],
)
def test_fit_refuses_options_of_another_input_before_reading(tmp_path, capsys, extra, message):
    path = tmp_path / "sweep.csv"
    pd.DataFrame({"t": T, "v": -70.0, "i": square()}).to_csv(path, index=False)
    out = tmp_path / "out"
    argv = ["fit", str(path), "--traces", "--time-col", "t", "--voltage-col", "v"]
    status = _cli([*argv, "--stimulus-col", "i", *extra, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


def test_fit_names_what_a_table_or_trace_input_lacks(tmp_path, capsys):
    path = tmp_path / "sweep.csv"
    pd.DataFrame({"t": T, "v": -70.0, "i": square()}).to_csv(path, index=False)
    for argv, message in (
        ([str(path), "--rate-col", "r"], "an f-I table needs --cell-col"),
        ([str(path), "--time-col", "t"], "--time-col applies to trace tables: add --traces"),
        ([str(path), "--traces", "--time-col", "t"], "--traces needs --voltage-col"),
        ([str(path), str(path), "--cell-col", "c"], "give one f-I table"),
    ):
        assert _cli(["fit", *argv, "--out", str(tmp_path / "out")]) == 2
        assert message in capsys.readouterr().err


def test_fit_with_a_step_window_reads_0_pA_steps(tmp_path, capsys):
    """A cell's sweeps from 0 to 200 pA (one file each), 5 spikes a 100 pA: the 0 pA sweep has
    no step to find, the window gives it."""
    paths = []
    for k, amp in enumerate((0.0, 100.0, 200.0, 300.0)):
        spikes = np.linspace(0.15, 0.55, int(5 * amp / 100)) if amp else []
        frame = pd.DataFrame({"t": T * 1e3, "v": spiking_voltage(spikes), "i": square(step=amp)})
        paths.append(tmp_path / f"s{k}.csv")
        frame.to_csv(paths[-1], index=False)
    argv = ["fit", *map(str, paths), "--traces", "--time-col", "t", "--time-unit", "ms"]
    argv += ["--voltage-col", "v", "--stimulus-col", "i", "--cell", "c1", "--no-figure"]
    assert _cli([*argv, "--out", str(tmp_path / "found"), "--families", "relu"]) == 2
    assert "s0.csv: sweep s0 of cell c1: no current step" in capsys.readouterr().err
    window = ["--step-window", "100", "600", "--families", "relu"]
    assert _cli([*argv, *window, "--out", str(tmp_path / "window")]) == 0
    table = pd.read_csv(tmp_path / "window" / "fi_sweeps.csv")
    assert table["spike_count"].tolist() == [0, 5, 10, 15]
    assert_allclose(table["total_current_pA"], [-30.0, 70.0, 170.0, 270.0])
    relu = pd.read_csv(tmp_path / "window" / "fits.csv").set_index("param")["value"]
    assert_allclose([relu["g"], relu["theta"]], [0.1, -30.0], atol=1e-6)  # 10 Hz / 100 pA
