"""Spike detection on a current-clamp voltage trace: threshold crossings, or eFEL's peaks.

Two detectors, both with an explicit voltage threshold:

``"threshold"`` (default), :func:`threshold_crossings`
    Upward crossings of ``threshold_mV`` (the sample before below, the sample after at or
    above), each timed by linear interpolation between the two samples; a crossing less than
    ``refractory_ms`` after the last one kept is dropped (noise that carries the voltage back
    over the threshold on an action potential's rising or falling phase would otherwise count
    it twice). Numpy only.
``"efel"``, :func:`efel_peak_times`
    eFEL's ``peak_time`` (Blue Brain Project's Electrophys Feature Extraction Library): the
    time of the voltage maximum between each upward and the next downward crossing of eFEL's
    ``Threshold``, set here to ``threshold_mV``; eFEL's ``interp_step`` is set to the trace's
    own sampling interval so that it reads the samples as recorded. Needs ``efel``
    (``pip install neuroact[recordings]``).

Why the threshold crossing is the default: on clean traces the two agree, on noisy ones only
the refractory window keeps the count right. Measured with ``benchmarks/bench_spike_detection.py``
on sweeps simulated by :func:`neuroact.recordings.simulate.simulate_sweeps` (Hodgkin-Huxley at
2-40 uA/cm2 and AdEx at 0.4-2.5 nA, 6 steps each, 0 to 37 spikes a sweep):

- clean traces: both detectors give Brian2's ``SpikeMonitor`` count on all 12 sweeps; the
  crossings lie within one time step of Brian2's spike times (0.0001-0.024 ms after them for
  HH, -0.008 to +0.002 ms for AdEx), eFEL's peaks 0.35-0.45 ms after them (HH);
- white recording noise of 0.5, 1, 2 and 4 mV added to the HH traces (30 sweeps each): the
  threshold detector with its 2 ms refractory window counts every sweep right; without the
  window, and eFEL's ``peak_time``, 5, 15, 24 and 25 of 30 sweeps are miscounted, because
  the noise carries the slow repolarisation back over the threshold (eFEL has no refractory
  setting). The AdEx spikes (one sample at the peak) are counted right by all three.

It is also the rule the measured cells shipped with the package were counted by (upward
crossings of -20 mV), needs no optional dependency, and times a spike at its onset, so that a
spike that starts inside the step counts for the step even when it peaks after it.

Both detectors miss what they cannot see: a spike that does not reach the threshold
(depolarisation block, spikes that shrink in a burst) and a trace that starts above it.
Choose the threshold from the recording: -20 mV suits most cortical cells and models (eFEL's
default too); lower it for small action potentials.

See Also
--------
efel.get_feature_values : eFEL's features (``peak_time``, ``AP_begin_time``, ...).
neuroact.recordings.fi.fi_table : counts the spikes of each sweep's step.
"""

from __future__ import annotations

import math

import numpy as np

from neuroact.recordings.sweeps import Sweep

__all__ = [
    "DEFAULT_REFRACTORY_MS",
    "DEFAULT_THRESHOLD_MV",
    "DETECTORS",
    "check_detection",
    "efel_peak_times",
    "spike_times",
    "threshold_crossings",
]

DETECTORS = ("threshold", "efel")
DEFAULT_THRESHOLD_MV = -20.0
# Shorter than any interval between action potentials (fast-spiking cells reach about 400 Hz,
# 2.5 ms); longer than a spike's time around the threshold (the Hodgkin-Huxley spike at 6.3 degC
# falls back through -20 mV about 1.4 ms after rising through it, where noise re-crosses).
DEFAULT_REFRACTORY_MS = 2.0
_MS_PER_S = 1e3


def check_detection(detector: str, threshold_mV: float, refractory_ms: float) -> None:
    """Refuse a detector name, threshold or refractory window that cannot work (one line)."""
    if detector not in DETECTORS:
        raise ValueError(f"detector must be one of {list(DETECTORS)}; got {detector!r}")
    if not (isinstance(threshold_mV, int | float | np.number) and math.isfinite(threshold_mV)):
        raise ValueError(f"threshold_mV must be a finite number (mV); got {threshold_mV!r}")
    if not (
        isinstance(refractory_ms, int | float | np.number)
        and math.isfinite(refractory_ms)
        and refractory_ms >= 0
    ):
        raise ValueError(f"refractory_ms must be a finite number >= 0 (ms); got {refractory_ms!r}")


def threshold_crossings(
    time_s: np.ndarray,
    voltage_mV: np.ndarray,
    threshold_mV: float = DEFAULT_THRESHOLD_MV,
    refractory_ms: float = DEFAULT_REFRACTORY_MS,
) -> np.ndarray:
    """Times (s) of the upward crossings of ``threshold_mV``, linearly interpolated.

    A crossing lies between samples ``k`` and ``k + 1`` when ``v[k] < threshold <= v[k+1]``; its
    time is ``t[k] + (threshold - v[k]) / (v[k+1] - v[k]) * (t[k+1] - t[k])``. A crossing
    less than ``refractory_ms`` after the previous one kept is dropped.

    See Also
    --------
    efel_peak_times : eFEL's peaks above the same threshold.
    """
    check_detection("threshold", threshold_mV, refractory_ms)
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(voltage_mV, dtype=float)
    k = np.flatnonzero((v[:-1] < threshold_mV) & (v[1:] >= threshold_mV))
    times = t[k] + (threshold_mV - v[k]) / (v[k + 1] - v[k]) * (t[k + 1] - t[k])
    refractory_s = refractory_ms / _MS_PER_S
    if times.size < 2 or np.min(np.diff(times)) >= refractory_s:
        return times
    kept = [times[0]]
    for x in times[1:]:  # greedy: each crossing is measured from the last one kept
        if x - kept[-1] >= refractory_s:
            kept.append(x)
    return np.asarray(kept)


def efel_peak_times(
    time_s: np.ndarray, voltage_mV: np.ndarray, threshold_mV: float = DEFAULT_THRESHOLD_MV
) -> np.ndarray:
    """Times (s) of eFEL's ``peak_time`` feature with eFEL's ``Threshold`` at ``threshold_mV``.

    eFEL's settings are global: ``Threshold`` and ``interp_step`` are set for this call and
    restored afterwards. The whole trace is searched (eFEL's ``strict_stiminterval`` is off).

    Raises
    ------
    ImportError
        Without ``efel``: install ``neuroact[recordings]``.
    """
    check_detection("efel", threshold_mV, 0.0)
    try:
        import efel  # optional heavy dependency (neuroact[recordings]), loaded on first use
    except ImportError as exc:
        raise ImportError(
            "the 'efel' detector needs eFEL: pip install 'neuroact[recordings]' (or efel)"
        ) from exc
    t_ms = np.asarray(time_s, dtype=float) * _MS_PER_S
    v = np.asarray(voltage_mV, dtype=float)
    settings = efel.get_settings()
    saved = {"Threshold": settings.Threshold, "interp_step": settings.interp_step}
    trace = {"T": t_ms, "V": v, "stim_start": [t_ms[0]], "stim_end": [t_ms[-1]]}
    try:
        efel.set_setting("Threshold", float(threshold_mV))
        efel.set_setting("interp_step", float(np.median(np.diff(t_ms))))
        peaks = efel.get_feature_values([trace], ["peak_time"], raise_warnings=False)[0]
    finally:
        for name, value in saved.items():
            efel.set_setting(name, value)
    found = peaks["peak_time"]
    return np.zeros(0) if found is None else np.asarray(found, dtype=float) / _MS_PER_S


def spike_times(
    sweep: Sweep,
    detector: str = "threshold",
    threshold_mV: float = DEFAULT_THRESHOLD_MV,
    refractory_ms: float = DEFAULT_REFRACTORY_MS,
) -> np.ndarray:
    """Spike times (s) of a sweep by ``detector`` (``"threshold"`` or ``"efel"``).

    ``refractory_ms`` applies to the threshold detector; eFEL needs the voltage to fall back
    below the threshold between two peaks instead.
    """
    check_detection(detector, threshold_mV, refractory_ms)
    if detector == "efel":
        return efel_peak_times(sweep.time_s, sweep.voltage_mV, threshold_mV)
    return threshold_crossings(sweep.time_s, sweep.voltage_mV, threshold_mV, refractory_ms)
