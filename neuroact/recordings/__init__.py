"""A neuroscientist's own recordings: current-clamp sweeps to f-I tables and fits.

From raw current-clamp recordings to the tidy f-I table that
:func:`neuroact.compare.measured.read_fi_table` and ``neuroact fit`` take:

- :mod:`~neuroact.recordings.nwb`: sweeps from NWB files (DANDI, Allen Cell Types) with pynwb;
- :mod:`~neuroact.recordings.traces`: sweeps from plain CSV tables of time, voltage, current;
- :mod:`~neuroact.recordings.sweeps`: the :class:`Sweep` and its current step (:func:`find_step`);
- :mod:`~neuroact.recordings.spikes`: spike detection by threshold crossing or with eFEL;
- :mod:`~neuroact.recordings.fi`: :func:`fi_table`, one row per sweep.
- :mod:`~neuroact.recordings.simulate`: a Brian2 model recorded like a cell, with Brian2's own
  spike times (imported on its own: it loads Brian2).

::

    from neuroact.recordings import fi_table, iter_nwb
    table = fi_table(iter_nwb("recordings/"))   # every .nwb file of the folder
    table.to_csv("fi_sweeps.csv", index=False)   # or: neuroact fit recordings/ --out fits/

This package imports without its optional dependencies (pynwb, eFEL); each is loaded by the
function that needs it (``pip install neuroact[recordings]``).
"""

from neuroact.recordings.fi import FI_COLUMNS, fi_row, fi_table
from neuroact.recordings.nwb import iter_nwb, nwb_files, read_nwb
from neuroact.recordings.spikes import (
    DETECTORS,
    efel_peak_times,
    spike_times,
    threshold_crossings,
)
from neuroact.recordings.sweeps import Step, Sweep, find_step, step_in_window
from neuroact.recordings.traces import read_traces

__all__ = [
    "DETECTORS",
    "FI_COLUMNS",
    "Step",
    "Sweep",
    "efel_peak_times",
    "fi_row",
    "fi_table",
    "find_step",
    "iter_nwb",
    "nwb_files",
    "read_nwb",
    "read_traces",
    "spike_times",
    "step_in_window",
    "threshold_crossings",
]
