"""NWB recordings end to end: Brian2 sweeps written with pynwb, read back, detected, fitted.

The sweeps are simulated by :func:`neuroact.recordings.simulate.simulate_sweeps` (the
Hodgkin-Huxley and AdEx models under square steps that start after a baseline and end before
the sweep does) and written the way acquisition software writes them: a
``CurrentClampSeries`` per sweep with its ``CurrentClampStimulusSeries``, paired through the
``intracellular_recordings`` table (HH) or by sweep number only (AdEx, whose voltages are also
stored in mV and currents in pA through NWB's ``conversion``). The truth is Brian2's own
``SpikeMonitor``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from brian2 import cm, ms
from numpy.testing import assert_allclose
from pynwb import NWBHDF5IO, NWBFile
from pynwb.icephys import (
    CurrentClampSeries,
    CurrentClampStimulusSeries,
    VoltageClampSeries,
)

from neuroact.recordings import fi_table, iter_nwb, read_nwb
from neuroact.recordings.simulate import simulate_sweeps

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning:hdmf.*")]

HH_AREA = 2e-5 * cm**2  # a 2,000 um^2 membrane: 1 uA/cm2 is 20 pA
PROTOCOLS = {
    # model: (amplitudes in the model's unit, simulate_sweeps settings)
    "hh": (
        [2.0, 4.0, 7.0, 10.0, 20.0, 40.0],
        dict(baseline=20 * ms, step=100 * ms, tail=20 * ms, dt=0.025 * ms, area=HH_AREA),
    ),
    "adex": ([0.4, 0.6, 0.8, 1.0, 1.5, 2.5], dict(baseline=20 * ms, step=200 * ms, tail=20 * ms)),
}


@pytest.fixture(scope="session")
def simulated():
    """model -> SimulatedSweeps (Brian2's numpy target; about 20 s of CPU for both)."""
    return {
        name: simulate_sweeps(name, amps, cell_id=name, **kw)
        for name, (amps, kw) in PROTOCOLS.items()
    }


def _nwbfile(name: str) -> tuple[NWBFile, object]:
    nwb = NWBFile(
        session_description="simulated step protocol",
        identifier=name,
        session_start_time=datetime(2024, 1, 1, tzinfo=UTC),
    )
    device = nwb.create_device(name="Brian2")
    electrode = nwb.create_icephys_electrode(
        name="electrode", description="simulated", device=device
    )
    return nwb, electrode


def _series(sweep, electrode, rate, mv_pa: bool, description="LongSquare", current=None):
    """(response, stimulus) of one sweep, in V and A, or in mV and pA through ``conversion``."""
    volts, amps = (1.0, 1.0) if mv_pa else (1e-3, 1e-12)
    current = sweep.current_pA if current is None else current
    number = np.uint32(sweep.sweep)
    stim = CurrentClampStimulusSeries(
        name=f"stimulus_{number:03d}",
        data=current * amps,
        conversion=1e-12 if mv_pa else 1.0,
        starting_time=0.0,
        rate=rate,
        electrode=electrode,
        gain=1.0,
        sweep_number=number,
    )
    resp = CurrentClampSeries(
        name=f"response_{number:03d}",
        data=sweep.voltage_mV * volts,
        conversion=1e-3 if mv_pa else 1.0,
        starting_time=0.0,
        rate=rate,
        electrode=electrode,
        gain=1.0,
        sweep_number=number,
        stimulus_description=description,
    )
    return resp, stim


def write_nwb(path: Path, sim, *, table: bool, mv_pa: bool = False) -> Path:
    """The sweeps of ``sim`` as an NWB file (see the module docstring)."""
    nwb, electrode = _nwbfile(path.stem)
    for sweep in sim.sweeps:
        resp, stim = _series(sweep, electrode, 1.0 / sim.dt_s, mv_pa)
        if table:
            nwb.add_intracellular_recording(electrode=electrode, stimulus=stim, response=resp)
        else:
            nwb.add_acquisition(resp)
            nwb.add_stimulus(stim)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


@pytest.fixture(scope="session")
def nwb_folder(simulated, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nwb")
    write_nwb(folder / "hh.nwb", simulated["hh"], table=True)
    write_nwb(folder / "adex.nwb", simulated["adex"], table=False, mv_pa=True)
    return folder


def test_sweeps_read_back_as_written(simulated, nwb_folder):
    for name, sim in simulated.items():
        sweeps = read_nwb(nwb_folder / f"{name}.nwb")
        assert [s.sweep for s in sweeps] == list(range(6))
        for got, want in zip(sweeps, sim.sweeps, strict=True):
            assert got.cell_id == name and got.protocol == "LongSquare"
            assert_allclose(got.time_s, want.time_s, rtol=0, atol=1e-12)
            assert_allclose(got.voltage_mV, want.voltage_mV, rtol=1e-12)
            assert_allclose(got.current_pA, want.current_pA, rtol=1e-12, atol=1e-9)
    # HH: 1 uA/cm2 on 2e-5 cm2 is 20 pA
    assert_allclose(read_nwb(nwb_folder / "hh.nwb")[1].current_pA.max(), 4.0 * 20.0)


@pytest.mark.parametrize("detector", ["threshold", "efel"])
def test_detected_counts_equal_brian2_spike_monitor(simulated, nwb_folder, detector):
    """Exact counts, no tolerance: every spike is a full action potential (HH) or a sample at
    20 mV (AdEx), far above and below the -20 mV threshold, and none falls near a step edge."""
    table = fi_table(iter_nwb(nwb_folder), detector=detector).set_index(["cell_id", "sweep"])
    for name, sim in simulated.items():
        amps, _ = PROTOCOLS[name]
        for k, truth in enumerate(sim.spike_times_s):
            row = table.loc[(name, k)]
            in_step = int(np.sum((truth >= sim.on_s) & (truth < sim.off_s)))
            assert row["spike_count"] == in_step == truth.size, (name, k)
            duration = sim.off_s - sim.on_s
            assert_allclose(row["step_ms"], duration * 1e3)
            assert_allclose(row["rate_Hz"], in_step / duration)
            assert row["spikes_before_step"] == 0
            scale = 20.0 if name == "hh" else 1000.0  # pA per model unit
            assert_allclose(row["step_current_pA"], amps[k] * scale, rtol=1e-12)
            assert row["holding_current_pA"] == 0.0
            assert_allclose(row["total_current_pA"], amps[k] * scale, rtol=1e-12)
            if truth.size >= 2:
                assert_allclose(row["first_isi_rate_Hz"], 1 / np.diff(truth)[0], rtol=0.01)
    counts = table["spike_count"].to_numpy()
    assert counts.min() == 0 and counts.max() >= 30  # silent and fast sweeps both checked


def test_spike_times_lie_within_a_time_step_of_brian2s(simulated):
    """A Brian2 spike at t has its threshold crossing between the samples at t and t + dt
    (simulate module docstring): the interpolated crossing lies in (t - dt, t + dt]."""
    from neuroact.recordings import efel_peak_times, threshold_crossings

    for sim in simulated.values():
        for sweep, truth in zip(sim.sweeps, sim.spike_times_s, strict=True):
            found = threshold_crossings(sweep.time_s, sweep.voltage_mV)
            assert np.all(np.abs(found - truth) <= sim.dt_s)
            peaks = efel_peak_times(sweep.time_s, sweep.voltage_mV)
            lag = peaks - truth
            assert np.all((lag >= 0) & (lag < 1e-3))  # peaks follow the onset within 1 ms


# --- neuroact fit on NWB and on the equivalent CSV ---------------------------------------------


def _cli(argv: list[str]) -> int:
    from neuroact import cli_fit

    parser = argparse.ArgumentParser(prog="neuroact")
    cli_fit.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def _long_csv(simulated, path: Path) -> Path:
    """The same sweeps as one long table, in ms, V and nA (other units than the NWB files)."""
    frames = [
        pd.DataFrame(
            {
                "cell": s.cell_id,
                "sweep": s.sweep,
                "t_ms": s.time_s * 1e3,
                "v_V": s.voltage_mV * 1e-3,
                "i_nA": s.current_pA * 1e-3,
            }
        )
        for sim in simulated.values()
        for s in sim.sweeps
    ]
    pd.concat(frames).to_csv(path, index=False)
    return path


def _keys(name: str) -> list[str]:
    return ["sweep"] if name == "fi_sweeps.csv" else ["family", "param"]


def test_fit_on_nwb_equals_fit_on_the_equivalent_csv(simulated, nwb_folder, tmp_path, capsys):
    families = ["--families", "relu", "softplus", "power_law", "--no-figure"]
    assert _cli(["fit", str(nwb_folder), "--out", str(tmp_path / "nwb"), *families]) == 0
    csv = _long_csv(simulated, tmp_path / "traces.csv")
    argv = ["fit", str(csv), "--traces", "--time-col", "t_ms", "--voltage-col", "v_V"]
    argv += ["--stimulus-col", "i_nA", "--sweep-col", "sweep", "--cell-col", "cell"]
    argv += ["--time-unit", "ms", "--voltage-unit", "V", "--stimulus-unit", "nA"]
    assert _cli([*argv, "--out", str(tmp_path / "csv"), *families]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {tmp_path / 'nwb' / 'fi_sweeps.csv'}" in printed
    for name in ("fi_sweeps.csv", "fits.csv"):
        a = pd.read_csv(tmp_path / "nwb" / name).sort_values(["cell_id", *_keys(name)])
        b = pd.read_csv(tmp_path / "csv" / name).sort_values(["cell_id", *_keys(name)])
        if name == "fits.csv":
            # a parameter the points do not determine (a softplus beta at the rectifier limit,
            # flagged in the message) is free along a flat direction: 1e-13 differences in the
            # currents move it and the standard errors of its fit; the statistics are compared
            free = a["message"].str.contains("not identifiable|poorly determined").to_numpy()
            a.loc[free, ["value", "stderr"]] = b.loc[free, ["value", "stderr"]] = np.nan
        numeric = a.select_dtypes("number").columns
        assert_allclose(a[numeric].to_numpy(), b[numeric].to_numpy(), rtol=1e-9, atol=1e-9)
        text = [c for c in a.columns if c not in numeric and c not in ("source", "protocol")]
        assert a[text].fillna("").to_numpy().tolist() == b[text].fillna("").to_numpy().tolist()
    fits = pd.read_csv(tmp_path / "nwb" / "fits.csv")
    assert set(fits["cell_id"]) == {"hh", "adex"} and fits["success"].all()


# --- bad files ---------------------------------------------------------------------------------


def _refused(tmp_path, capsys, *argv: str) -> str:
    out = tmp_path / "out"
    status = _cli(["fit", *argv, "--out", str(out), "--no-figure"])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1 and err.startswith("neuroact fit: error: "), err
    assert not out.exists()
    return err


def _write(path: Path, nwb: NWBFile) -> Path:
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_bad_files_give_one_line_naming_the_file_and_what_is_missing(simulated, tmp_path, capsys):
    sweep = simulated["adex"].sweeps[2]
    rate = 1.0 / simulated["adex"].dt_s
    cases = {}

    text = tmp_path / "notes.nwb"
    text.write_text("cell 7, sweep 3: 200 pA\n")
    cases[text] = "not an NWB file"
    plain = tmp_path / "plain.nwb"
    with h5py.File(plain, "w") as f:
        f["data"] = np.arange(10.0)
    cases[plain] = "not an NWB file"

    nwb, electrode = _nwbfile("vclamp")
    nwb.add_acquisition(
        VoltageClampSeries(
            name="vc", data=np.zeros(100), electrode=electrode, gain=1.0, rate=rate,
            starting_time=0.0,
        )
    )  # fmt: skip
    cases[_write(tmp_path / "vclamp.nwb", nwb)] = (
        "no current-clamp sweeps (CurrentClampSeries) in acquisition; found: ['VoltageClampSeries']"
    )

    nwb, electrode = _nwbfile("nostim")
    nwb.add_acquisition(_series(sweep, electrode, rate, False)[0])
    cases[_write(tmp_path / "nostim.nwb", nwb)] = "sweep 2 (series 'response_002') has no stimulus"

    nwb, electrode = _nwbfile("flat")
    resp, stim = _series(sweep, electrode, rate, False, current=np.full(sweep.time_s.size, 50.0))
    nwb.add_intracellular_recording(electrode=electrode, stimulus=stim, response=resp)
    cases[_write(tmp_path / "flat.nwb", nwb)] = (
        "sweep 2 of cell flat: no current step in the stimulus: the current is constant at 50 pA"
    )

    for path, missing in cases.items():
        with pytest.raises(ValueError) as info:
            fi_table(read_nwb(path))
        message = str(info.value)
        assert str(path) in message and missing in message, message
        assert "\n" not in message
        err = _refused(tmp_path, capsys, str(path))
        assert str(path) in err and missing in err, err


def test_stimulus_filter_and_skipping_sweeps_without_a_step(simulated, tmp_path, capsys):
    sim = simulated["adex"]
    nwb, electrode = _nwbfile("mixed")
    ramp = np.linspace(0.0, 300.0, sim.sweeps[0].time_s.size)
    for sweep in sim.sweeps[:3]:
        resp, stim = _series(sweep, electrode, 1.0 / sim.dt_s, False)
        nwb.add_intracellular_recording(electrode=electrode, stimulus=stim, response=resp)
    ramp_sweep = sim.sweeps[3]
    resp, stim = _series(ramp_sweep, electrode, 1.0 / sim.dt_s, False, "Ramp", current=ramp)
    nwb.add_intracellular_recording(electrode=electrode, stimulus=stim, response=resp)
    path = _write(tmp_path / "mixed.nwb", nwb)

    with pytest.raises(
        ValueError, match="sweep 3 of cell mixed: no current step .* a ramp or noise"
    ):
        fi_table(read_nwb(path))
    assert len(fi_table(read_nwb(path, stimulus="Long*"))) == 3
    with pytest.warns(UserWarning, match="skipped .*sweep 3 of cell mixed"):
        assert fi_table(read_nwb(path), errors="skip")["sweep"].tolist() == [0, 1, 2]
    out = tmp_path / "fits"
    assert _cli(["fit", str(path), "--skip-bad-sweeps", "--out", str(out), "--no-figure",
                 "--families", "relu"]) in (0, 1)  # fmt: skip
    err = capsys.readouterr().err
    assert "neuroact fit: skipped" in err and "sweep 3" in err
    assert len(pd.read_csv(out / "fi_sweeps.csv")) == 3
    with pytest.raises(ValueError, match=r"no current-clamp sweeps .* matching stimulus='Noise'"):
        read_nwb(path, stimulus="Noise")
