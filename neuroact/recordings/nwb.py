"""Current-clamp sweeps from Neurodata Without Borders (NWB) files, read with pynwb.

NWB is the format of DANDI and of the Allen Cell Types data. A current-clamp sweep is a
``CurrentClampSeries`` (the voltage response, in ``acquisition``) with the
``CurrentClampStimulusSeries`` that was injected (in ``stimulus``). :func:`read_nwb` pairs them

1. through the file's ``intracellular_recordings`` table (NWB 2.4+, one row per recording:
   electrode, stimulus, response, each a slice of a series), when the file has one; else
2. by ``sweep_number`` (the older layout, and the deprecated sweep table's key): the response
   and the stimulus of a sweep carry the same number on the same electrode; else
3. a file with one response and one stimulus is one sweep.

``IZeroClampSeries`` (no current injected) and voltage-clamp series are not current-clamp
steps and are passed over. Values are read as NWB defines them, ``data * conversion +
offset`` in the series's unit (volts, amperes), and stored in mV and pA. A stimulus sampled on
another time base than its response is read at the response's sample times (the last stimulus
sample at or before each, as a command is held between updates).

Cells: each file is one cell, named after the file (``cell.nwb`` -> ``cell``); a file whose
sweeps were recorded on several electrodes gives one cell per electrode (``cell:electrode``).

Every problem with a file raises a one-line ``ValueError`` that names it and what is missing:
not an NWB file, no current-clamp series, a response without a stimulus.

pynwb is an optional dependency (``pip install neuroact[recordings]``), imported when a file is
read.

See Also
--------
pynwb.icephys : the NWB intracellular electrophysiology types.
neuroact.recordings.fi.fi_table : the f-I table of the sweeps.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from neuroact.recordings.sweeps import Sweep

__all__ = ["iter_nwb", "nwb_files", "read_nwb"]

_VOLTS = {"volts": 1.0, "volt": 1.0, "V": 1.0, "mV": 1e-3}
_AMPERES = {"amperes": 1.0, "ampere": 1.0, "amps": 1.0, "A": 1.0, "nA": 1e-9, "pA": 1e-12}
_MV_PER_V = 1e3
_PA_PER_A = 1e12


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def nwb_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The NWB files named by ``paths``: files as given, folders expanded to their ``*.nwb``.

    Checked before anything is read: a missing path raises ``FileNotFoundError``, a folder
    without ``.nwb`` files ``ValueError``, each naming the path.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"{str(p)!r} does not exist; expected an NWB file or folder")
        if p.is_dir():
            found = sorted(p.glob("*.nwb"))
            if not found:
                raise ValueError(
                    f"{str(p)!r} is not a file and, as a folder, holds no .nwb file; expected "
                    "an NWB file or a folder of them"
                )
            files.extend(found)
        else:
            files.append(p)
    if not files:
        raise ValueError("no NWB file given")
    return files


def _scale(series: Any, table: dict[str, float], kind: str, where: str) -> float:
    """SI factor of ``series``'s unit (``table``), times its conversion."""
    unit = str(series.unit)
    if unit not in table:
        raise ValueError(
            f"{where}: {type(series).__name__} {series.name!r} has unit {unit!r}; "
            f"expected {kind} ({', '.join(table)})"
        )
    return table[unit] * float(series.conversion)


def _samples(series: Any, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(times in s, values in the series's SI unit) of ``count`` samples from ``start``."""
    stop = start + count
    data = np.asarray(series.data[start:stop], dtype=float)
    if series.timestamps is not None:
        t = np.asarray(series.timestamps[start:stop], dtype=float)
    else:
        t = float(series.starting_time or 0.0) + np.arange(start, stop) / float(series.rate)
    return t, data


def _series_values(
    ref: Any, table: dict[str, float], kind: str, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and SI values of a series or a ``TimeSeriesReference`` to part of one."""
    series = getattr(ref, "timeseries", ref)
    start = int(getattr(ref, "idx_start", 0))
    count = int(getattr(ref, "count", len(series.data)))
    if start < 0 or count < 0:
        start, count = 0, len(series.data)
    t, data = _samples(series, start, count)
    offset = float(getattr(series, "offset", 0.0) or 0.0)
    return t, data * _scale(series, table, kind, where) + offset * table[str(series.unit)]


def _on_response_times(
    t_resp: np.ndarray, t_stim: np.ndarray, stim: np.ndarray, where: str
) -> np.ndarray:
    """The stimulus at the response's sample times (held between its own samples)."""
    if t_stim.shape == t_resp.shape and np.allclose(t_stim, t_resp, rtol=0, atol=1e-9):
        return stim
    if t_stim[0] > t_resp[-1] or t_stim[-1] < t_resp[0]:
        raise ValueError(
            f"{where}: the stimulus ({t_stim[0]:g}-{t_stim[-1]:g} s) does not "
            f"overlap the response ({t_resp[0]:g}-{t_resp[-1]:g} s)"
        )
    k = np.clip(np.searchsorted(t_stim, t_resp, side="right") - 1, 0, t_stim.size - 1)
    return stim[k]


def _is_current_clamp(series: Any) -> bool:
    from pynwb.icephys import CurrentClampSeries, IZeroClampSeries  # optional: neuroact[recordings]

    return isinstance(series, CurrentClampSeries) and not isinstance(series, IZeroClampSeries)


def _pairs_from_table(nwbfile: Any) -> list[tuple[Any, Any]]:
    """(response ref, stimulus ref or None) of each current-clamp row of the icephys table."""
    table = getattr(nwbfile, "intracellular_recordings", None)
    if table is None or len(table) == 0:
        return []
    responses = table.category_tables["responses"]["response"]
    stimuli = table.category_tables["stimuli"]["stimulus"]
    pairs = []
    for k in range(len(table)):
        resp, stim = responses[k], stimuli[k]
        if resp is None or not resp.isvalid() or not _is_current_clamp(resp.timeseries):
            continue
        pairs.append((resp, stim if stim is not None and stim.isvalid() else None))
    return pairs


def _pairs_by_sweep_number(nwbfile: Any, where: str) -> list[tuple[Any, Any]]:
    """(response, stimulus or None) paired by sweep number and electrode."""
    from pynwb.icephys import CurrentClampStimulusSeries  # optional: neuroact[recordings]

    responses = [s for s in nwbfile.acquisition.values() if _is_current_clamp(s)]
    stimuli = [s for s in nwbfile.stimulus.values() if isinstance(s, CurrentClampStimulusSeries)]
    if len(responses) == 1 and len(stimuli) == 1:
        return [(responses[0], stimuli[0])]
    by_number = {
        (s.sweep_number, s.electrode.name): s for s in stimuli if s.sweep_number is not None
    }
    pairs = []
    for resp in responses:
        if resp.sweep_number is None and stimuli:
            raise ValueError(
                f"{where}: cannot pair response {resp.name!r} with a stimulus: it has "
                "no sweep_number and the file has no intracellular_recordings "
                "table"
            )
        pairs.append((resp, by_number.get((resp.sweep_number, resp.electrode.name))))
    return pairs


def _sweep(file: Path, resp: Any, stim: Any, cell_id: str) -> Sweep:
    series = getattr(resp, "timeseries", resp)
    number = series.sweep_number
    name = int(number) if number is not None else series.name
    where = f"{file}: sweep {name} (series {series.name!r})"
    if stim is None:
        raise ValueError(
            f"{where} has no stimulus: no CurrentClampStimulusSeries is paired with it "
            "(intracellular_recordings table or sweep_number)"
        )
    t, volts = _series_values(resp, _VOLTS, "a voltage", where)
    t_stim, amps = _series_values(stim, _AMPERES, "a current", where)
    if t.size == 0 or t_stim.size == 0:
        raise ValueError(f"{where}: the response or its stimulus holds no samples")
    amps = _on_response_times(t, t_stim, amps, where)
    bias = series.bias_current
    bias_pA = float(bias) * _PA_PER_A if bias is not None and np.isfinite(bias) else 0.0
    protocol = series.stimulus_description
    return Sweep(
        cell_id=cell_id,
        sweep=name,
        time_s=t,
        voltage_mV=volts * _MV_PER_V,
        current_pA=amps * _PA_PER_A,
        source=str(file),
        protocol="" if protocol in (None, "N/A") else str(protocol),
        bias_current_pA=bias_pA,
    )


def _open(file: Path) -> tuple[Any, Any]:
    """(io, nwbfile) of an NWB file; ``ValueError`` naming it when it is not one."""
    try:
        from pynwb import NWBHDF5IO  # optional heavy dependency: neuroact[recordings]
    except ImportError as exc:
        raise ImportError(
            "reading NWB files needs pynwb: pip install 'neuroact[recordings]'"
        ) from exc
    if not file.is_file():
        raise FileNotFoundError(f"{str(file)!r} does not exist or is not a file")
    io = None
    try:
        io = NWBHDF5IO(str(file), "r")
        return io, io.read()
    except Exception as exc:  # h5py, hdmf and pynwb raise many kinds for a file that is not NWB
        if io is not None:
            io.close()
        raise ValueError(f"{file}: not an NWB file ({_one_line(exc)})") from None


def _sweeps(file: Path, stimulus: str | None) -> Iterator[Sweep]:
    """The sweeps of one file, each read when it is asked for (the file open meanwhile)."""
    io, nwbfile = _open(file)
    with io:
        pairs = _pairs_from_table(nwbfile) or _pairs_by_sweep_number(nwbfile, str(file))
        if stimulus is not None:
            pairs = [
                p
                for p in pairs
                if fnmatch.fnmatchcase(
                    str(getattr(p[0], "timeseries", p[0]).stimulus_description), stimulus
                )
            ]
        if not pairs:
            kinds = sorted({type(s).__name__ for s in nwbfile.acquisition.values()})
            what = f" matching stimulus={stimulus!r}" if stimulus is not None else ""
            raise ValueError(
                f"{file}: no current-clamp sweeps (CurrentClampSeries){what} in "
                f"acquisition; found: {kinds or 'nothing'}"
            )
        electrodes = {getattr(r, "timeseries", r).electrode.name for r, _ in pairs}
        for resp, stim in pairs:
            cell = file.stem
            if len(electrodes) > 1:
                cell = f"{file.stem}:{getattr(resp, 'timeseries', resp).electrode.name}"
            yield _sweep(file, resp, stim, cell)


def read_nwb(path: str | os.PathLike, *, stimulus: str | None = None) -> list[Sweep]:
    """The current-clamp sweeps of one NWB file (module docstring: pairing, units, cells).

    Parameters
    ----------
    path : the NWB file.
    stimulus : keep only sweeps whose ``stimulus_description`` matches this shell pattern
        (``fnmatch``, case-sensitive: ``"*LongSquare*"``); None keeps every sweep. A file
        mixing protocols (ramps, noise, short pulses) needs it: a sweep without a step is an
        error in :func:`neuroact.recordings.fi.fi_table`.

    Returns
    -------
    list of Sweep
        In the order of the file's table or acquisition group. For files too large to hold
        every sweep in memory, :func:`iter_nwb` reads one sweep at a time.

    Raises
    ------
    ValueError
        ``"<path>: ..."``: not an NWB file, no current-clamp series (or none matching
        ``stimulus``), a response without a stimulus, units that are not volts and amperes.
    ImportError
        Without pynwb: install ``neuroact[recordings]``.
    """
    return list(_sweeps(Path(path), stimulus))


def iter_nwb(
    paths: str | os.PathLike | Iterable[str | os.PathLike], *, stimulus: str | None = None
) -> Iterator[Sweep]:
    """The sweeps of NWB files and folders (:func:`nwb_files`), read one sweep at a time.

    Every path is checked here, before the first file is opened; the errors of a file
    (:func:`read_nwb`) come when the iteration reaches it.
    """
    files = nwb_files(paths)
    return (sweep for file in files for sweep in _sweeps(file, stimulus))
