"""From current-clamp sweeps to a tidy f-I table, one row per sweep.

:func:`fi_table` finds each sweep's current step (:func:`neuroact.recordings.sweeps.find_step`),
detects its spikes (:mod:`neuroact.recordings.spikes`) and measures the rate. The table has the
column names of the measured cells shipped with the package, so it goes straight into
:func:`neuroact.compare.measured.read_fi_table` and ``neuroact fit``::

    from neuroact.recordings import fi_table, read_nwb
    from neuroact.compare.measured import fit_cells, read_fi_table

    table = fi_table(read_nwb("cell.nwb"))
    curves = read_fi_table(table, cell_col="cell_id", current_col="total_current_pA",
                           rate_col="rate_Hz", current_unit="pA")
    fits = fit_cells(curves, ["relu", "softplus", "lif"])

Columns (:data:`FI_COLUMNS`)
----------------------------
``cell_id``, ``sweep``, ``protocol``
    Where the sweep comes from (``protocol``: the stimulus's name, empty when unknown).
``step_current_pA``, ``holding_current_pA``, ``total_current_pA``
    The step's amplitude above the holding current, the holding current (plus the amplifier's
    bias current when the file records one), and their sum: the current injected during the
    step, on which the package fits f-I curves (DESIGN-NOTES.md).
``spike_count``, ``rate_Hz``
    Spikes whose time lies in ``[on, off)`` of the step, and their count over the step's
    duration (DESIGN.md's steady-state rate with no transient removed, as for the shipped cells).
``isi_rate_Hz``, ``first_isi_rate_Hz``
    1 / (mean interval between the step's spikes) and 1 / (its first interval), the first
    an estimate of the onset rate before adaptation; 0 with fewer than two spikes, as in
    :mod:`neuroact.bio.fi`.
``spikes_before_step``
    Spikes before the step's onset (spontaneous firing at the holding current).
``step_start_ms``, ``step_ms``, ``detector``, ``threshold_mV``, ``source``
    The step's onset and duration, how spikes were detected, and the file.

See Also
--------
neuroact.recordings.nwb.read_nwb, neuroact.recordings.traces.read_traces : the sweeps.
neuroact.compare.measured.read_fi_table : reads this table for the fits.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from neuroact.recordings.spikes import (
    DEFAULT_REFRACTORY_MS,
    DEFAULT_THRESHOLD_MV,
    check_detection,
    spike_times,
)
from neuroact.recordings.sweeps import Step, Sweep, find_step, step_in_window

__all__ = ["ERRORS", "FI_COLUMNS", "check_window", "fi_row", "fi_table"]

FI_COLUMNS = (
    "cell_id",
    "sweep",
    "protocol",
    "step_current_pA",
    "holding_current_pA",
    "total_current_pA",
    "spike_count",
    "rate_Hz",
    "isi_rate_Hz",
    "first_isi_rate_Hz",
    "spikes_before_step",
    "step_start_ms",
    "step_ms",
    "detector",
    "threshold_mV",
    "source",
)
ERRORS = ("raise", "skip")
_MS_PER_S = 1e3


def check_window(window: tuple[float, float] | None) -> tuple[float, float] | None:
    """``None`` or ``(on_s, off_s)`` with finite ``on < off``; else one-line ``ValueError``."""
    if window is None:
        return None
    try:
        on, off = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ValueError(f"window must be None or (on_s, off_s); got {window!r}") from None
    if not (math.isfinite(on) and math.isfinite(off) and on < off):
        raise ValueError(f"window must be (on_s, off_s) with finite on < off; got {window!r}")
    return on, off


def fi_row(
    sweep: Sweep,
    *,
    detector: str = "threshold",
    threshold_mV: float = DEFAULT_THRESHOLD_MV,
    refractory_ms: float = DEFAULT_REFRACTORY_MS,
    window: tuple[float, float] | None = None,
) -> dict:
    """One row of :func:`fi_table`: the step, the spikes and the rates of one sweep."""
    if window is None:
        step: Step = find_step(sweep.time_s, sweep.current_pA, sweep.where)
    else:
        step = step_in_window(sweep.time_s, sweep.current_pA, window, sweep.where)
    spikes = spike_times(sweep, detector, threshold_mV, refractory_ms)
    during = spikes[(spikes >= step.on_s) & (spikes < step.off_s)]
    isi = np.diff(during)
    holding = step.holding_current_pA + sweep.bias_current_pA
    return {
        "cell_id": sweep.cell_id,
        "sweep": sweep.sweep,
        "protocol": sweep.protocol,
        "step_current_pA": step.step_current_pA,
        "holding_current_pA": holding,
        "total_current_pA": holding + step.step_current_pA,
        "spike_count": int(during.size),
        "rate_Hz": during.size / step.duration_s,
        "isi_rate_Hz": 1.0 / isi.mean() if isi.size else 0.0,
        "first_isi_rate_Hz": 1.0 / isi[0] if isi.size else 0.0,
        "spikes_before_step": int(np.sum(spikes < step.on_s)),
        "step_start_ms": step.on_s * _MS_PER_S,
        "step_ms": step.duration_s * _MS_PER_S,
        "detector": detector,
        "threshold_mV": float(threshold_mV),
        "source": sweep.source,
    }


def fi_table(
    sweeps: Iterable[Sweep],
    *,
    detector: str = "threshold",
    threshold_mV: float = DEFAULT_THRESHOLD_MV,
    refractory_ms: float = DEFAULT_REFRACTORY_MS,
    window: tuple[float, float] | None = None,
    errors: str = "raise",
) -> pd.DataFrame:
    """The f-I table of current-clamp sweeps: one row per sweep (columns :data:`FI_COLUMNS`).

    Parameters
    ----------
    sweeps
        :class:`~neuroact.recordings.sweeps.Sweep` objects, e.g. from
        :func:`~neuroact.recordings.nwb.iter_nwb` (read one sweep at a time, so a folder of
        recordings never sits in memory at once).
    detector, threshold_mV, refractory_ms
        Spike detection (:mod:`neuroact.recordings.spikes`); ``"threshold"`` at -20 mV with a
        1 ms refractory window by default.
    window
        ``(on_s, off_s)``: the step's window, the same for every sweep, instead of finding the
        step in each stimulus (for 0 pA steps or a test pulse longer than the step).
    errors
        ``"raise"`` (default): a sweep without a step stops the table with a one-line
        ``ValueError`` naming the file, the sweep and what is missing; ``"skip"``: it is left
        out with a ``UserWarning`` saying the same.

    Returns
    -------
    pandas.DataFrame
        Ready for :func:`neuroact.compare.measured.read_fi_table` with ``cell_col="cell_id"``,
        ``current_col="total_current_pA"``, ``rate_col="rate_Hz"``, ``current_unit="pA"``.

    Raises
    ------
    ValueError
        Bad settings (before any sweep is read), a sweep without a step (with
        ``errors="raise"``), no sweep at all.
    """
    check_detection(detector, threshold_mV, refractory_ms)
    window = check_window(window)
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {list(ERRORS)}; got {errors!r}")
    rows = []
    for sweep in sweeps:
        try:
            rows.append(
                fi_row(
                    sweep,
                    detector=detector,
                    threshold_mV=threshold_mV,
                    refractory_ms=refractory_ms,
                    window=window,
                )
            )
        except ValueError as exc:
            if errors == "raise":
                raise
            warnings.warn(f"skipped {exc}", UserWarning, stacklevel=2)
    if not rows:
        raise ValueError("no sweep to tabulate: every sweep was skipped, or none was given")
    return pd.DataFrame(rows, columns=list(FI_COLUMNS))
