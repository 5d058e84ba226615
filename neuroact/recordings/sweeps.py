"""Current-clamp sweeps and the square current step of their stimulus.

A :class:`Sweep` is one current-clamp trace in the form every reader of this package returns
(:func:`neuroact.recordings.nwb.read_nwb`, :func:`neuroact.recordings.traces.read_traces`): the
membrane voltage and the injected current on one time base, with the cell and sweep it belongs
to and the file it came from. :func:`find_step` finds the step of an f-I protocol in the
stimulus: when it switches on and off, its mean amplitude and the holding current before it.

Units follow the package's column suffixes: time in s, voltage in mV, current in pA.

How the step is found
---------------------
The stimulus of a step protocol is piecewise constant: a holding level, sometimes a short test
pulse, the step, and the holding level again. :func:`find_step` cuts the stimulus into epochs
at every jump between consecutive samples larger than a tolerance (``STEP_TOLERANCE`` of the
stimulus's range, or 6 times its sample-to-sample noise when the current was measured rather
than commanded, whichever is larger), merges neighbouring epochs at the same level, and takes

- the holding level from the first epoch (a sweep starts at its holding current);
- the step as the longest epoch away from the holding level that starts after the first epoch
  and ends before the last one (a step that is still on when the sweep ends has no known
  duration, and its last spikes may be cut);
- ``on_s`` and ``off_s``: the times of the step's first sample and of the first sample after it;
- the amplitude: the mean current over the step minus the holding current, the mean over every
  sample before the step that lies at the holding level (a test pulse and the samples of a
  filtered edge are left out).

A test pulse longer than the step itself would be taken for the step: give the step's window
to :func:`step_in_window` (``window=`` in :func:`neuroact.recordings.fi.fi_table`) for such
protocols, and for sweeps whose step is 0 pA.

See Also
--------
neuroact.recordings.spikes : spike detection on a sweep's voltage.
neuroact.recordings.fi.fi_table : one f-I row per sweep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STEP_TOLERANCE", "Step", "Sweep", "find_step", "step_in_window", "step_tolerance"]

# Smallest jump of a commanded stimulus that counts as an edge, as a share of its range: well
# above a DAC's resolution (about 1e-4 of the range), far below any step of an f-I protocol.
STEP_TOLERANCE = 1e-3
# A jump counts as an edge when it exceeds this many standard deviations of the current's
# sample noise (the noise of a difference is sqrt(2) larger: 4.2 of its sd, p = 2e-5 a sample);
# an occasional noise edge splits an epoch in two, which the merge at equal levels undoes.
NOISE_EDGE_SD = 6.0
_MAD_TO_SD = 1.4826  # the MAD of a normal sample times this is its standard deviation


@dataclass(frozen=True)
class Sweep:
    """One current-clamp sweep: voltage and injected current on one time base.

    Parameters
    ----------
    cell_id : the cell the sweep was recorded from.
    sweep : the sweep's number or name within the cell.
    time_s : sample times in seconds, strictly increasing.
    voltage_mV : membrane voltage in mV, one value per sample.
    current_pA : injected current (the stimulus) in pA, one value per sample.
    source : the file the sweep was read from (named in every error about it).
    protocol : the stimulus's name (NWB ``stimulus_description``), empty when unknown.
    bias_current_pA : a holding current injected outside the stimulus waveform (NWB's
        ``bias_current`` of the amplifier), added to the holding current; 0 when none.

    Raises
    ------
    ValueError
        Arrays that are not 1-D of one length with at least 3 samples, a non-finite value,
        times that do not increase.
    """

    cell_id: str
    sweep: int | str
    time_s: np.ndarray
    voltage_mV: np.ndarray
    current_pA: np.ndarray
    source: str = ""
    protocol: str = ""
    bias_current_pA: float = 0.0

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("time_s", "voltage_mV", "current_pA"):
            try:
                arrays[name] = np.asarray(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                raise TypeError(f"{self.where}: {name} must be numbers") from None
        shapes = {name: a.shape for name, a in arrays.items()}
        if any(len(s) != 1 for s in shapes.values()) or len(set(shapes.values())) != 1:
            raise ValueError(
                f"{self.where}: time_s, voltage_mV and current_pA must be 1-D of "
                f"one length; got shapes {list(shapes.values())}"
            )
        if arrays["time_s"].size < 3:
            raise ValueError(
                f"{self.where}: a sweep needs at least 3 samples; got {arrays['time_s'].size}"
            )
        for name, a in arrays.items():
            if not np.all(np.isfinite(a)):
                first = int(np.flatnonzero(~np.isfinite(a))[0])
                raise ValueError(
                    f"{self.where}: {name} holds a non-finite value at sample {first} ({a[first]})"
                )
        if np.any(np.diff(arrays["time_s"]) <= 0):
            first = int(np.flatnonzero(np.diff(arrays["time_s"]) <= 0)[0])
            raise ValueError(
                f"{self.where}: time_s must increase; sample {first + 1} is not "
                "later than the one before"
            )
        if not np.isfinite(self.bias_current_pA):
            raise ValueError(
                f"{self.where}: bias_current_pA must be finite; got {self.bias_current_pA}"
            )
        for name, a in arrays.items():
            object.__setattr__(self, name, a)

    @property
    def where(self) -> str:
        """``"FILE: sweep S of cell C"``, the prefix of every message about this sweep."""
        place = f"{self.source}: " if self.source else ""
        return f"{place}sweep {self.sweep} of cell {self.cell_id}"

    @property
    def dt_s(self) -> float:
        """The median sampling interval in seconds."""
        return float(np.median(np.diff(self.time_s)))


@dataclass(frozen=True)
class Step:
    """The square current step of a sweep.

    Attributes
    ----------
    on_s, off_s : time of the step's first sample and of the first sample after it (s).
    step_current_pA : mean current during the step minus the holding current (pA).
    holding_current_pA : mean current before the step at the holding level (pA).
    """

    on_s: float
    off_s: float
    step_current_pA: float
    holding_current_pA: float

    @property
    def duration_s(self) -> float:
        return self.off_s - self.on_s


def _epochs(x: np.ndarray, tol: float) -> list[list]:
    """Runs of samples between jumps larger than ``tol``: ``[start, stop, level]`` each,
    neighbours at the same level (within ``tol``) merged."""
    edges = np.flatnonzero(np.abs(np.diff(x)) > tol) + 1
    bounds = np.r_[0, edges, x.size]
    epochs: list[list] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        level = float(np.median(x[a:b]))
        if epochs and abs(level - epochs[-1][2]) <= tol:
            start = epochs[-1][0]
            epochs[-1] = [start, b, float(np.median(x[start:b]))]
        else:
            epochs.append([a, b, level])
    return epochs


def step_tolerance(current_pA: np.ndarray) -> float:
    """The smallest jump that counts as an edge of the step (module docstring), in pA."""
    x = np.asarray(current_pA, dtype=float)
    d = np.diff(x)
    noise = _MAD_TO_SD * float(np.median(np.abs(d - np.median(d)))) / np.sqrt(2.0)
    return max(STEP_TOLERANCE * float(np.ptp(x)), NOISE_EDGE_SD * noise)


def find_step(time_s: np.ndarray, current_pA: np.ndarray, where: str = "stimulus") -> Step:
    """The square step of a stimulus: on and off times, amplitude, holding current.

    Parameters
    ----------
    time_s, current_pA : the stimulus's sample times (s) and current (pA).
    where : what the stimulus belongs to, for the messages (``Sweep.where``).

    Returns
    -------
    Step
        Found as the module docstring describes.

    Raises
    ------
    ValueError
        ``"<where>: no current step in the stimulus: ..."`` with what is missing: the current
        is constant, it never leaves the holding level, or the step is still on at the end of
        the sweep.

    See Also
    --------
    step_in_window : the step of a known window instead.
    """
    t = np.asarray(time_s, dtype=float)
    x = np.asarray(current_pA, dtype=float)
    span = float(np.ptp(x))
    if span == 0:
        raise ValueError(
            f"{where}: no current step in the stimulus: the current is constant at {x[0]:g} pA"
        )
    tol = step_tolerance(x)
    epochs = _epochs(x, tol)
    holding_level = epochs[0][2]
    away = [e for e in epochs[1:-1] if abs(e[2] - holding_level) > tol]
    if not away:
        no_step = f"{where}: no current step in the stimulus"
        if len(epochs) == 1:
            raise ValueError(
                f"{no_step}: it never jumps by more than {tol:.3g} pA between samples (it runs "
                f"from {x.min():g} to {x.max():g} pA: a ramp or noise, not a step)"
            )
        last = epochs[-1]
        if abs(last[2] - holding_level) > tol:
            raise ValueError(
                f"{no_step}: it leaves the holding level {holding_level:g} pA at "
                f"t = {t[last[0]]:g} s and does not return before the sweep ends (no off time)"
            )
        raise ValueError(
            f"{no_step}: no part of it departs from the holding level {holding_level:g} pA "
            f"by more than {tol:.3g} pA"
        )
    start, stop, _ = max(away, key=lambda e: e[1] - e[0])
    before = x[:start]
    at_holding = before[np.abs(before - holding_level) <= tol]
    holding = float(at_holding.mean())
    return Step(
        on_s=float(t[start]),
        off_s=float(t[stop]),
        step_current_pA=float(x[start:stop].mean()) - holding,
        holding_current_pA=holding,
    )


def step_in_window(
    time_s: np.ndarray, current_pA: np.ndarray, window: tuple[float, float], where: str = "stimulus"
) -> Step:
    """The step of a known window ``(on_s, off_s)``: mean current in it minus the mean before.

    For protocols :func:`find_step` cannot read (a step of 0 pA, a test pulse longer than the
    step). The holding current is the mean over every sample before ``on_s``.

    Raises
    ------
    ValueError
        A window that is not ``on < off``, has no sample before it or inside it, or does not
        end before the last sample.
    """
    t = np.asarray(time_s, dtype=float)
    x = np.asarray(current_pA, dtype=float)
    on, off = (float(v) for v in window)
    if not (np.isfinite(on) and np.isfinite(off) and on < off):
        raise ValueError(f"window must be (on_s, off_s) with on < off; got {window!r}")
    inside = (t >= on) & (t < off)
    if not (t[0] < on and inside.any() and off <= t[-1]):
        raise ValueError(
            f"{where}: window {window!r} s must start after the first sample "
            f"({t[0]:g} s), hold samples and end by the last ({t[-1]:g} s)"
        )
    holding = float(x[t < on].mean())
    first_after = int(np.flatnonzero(t >= off)[0])
    return Step(
        on_s=float(t[inside][0]),
        off_s=float(t[first_after]),
        step_current_pA=float(x[inside].mean()) - holding,
        holding_current_pA=holding,
    )
