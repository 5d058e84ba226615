"""The notebook-style examples run end to end at a small size and print what they claim."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
def test_probe_your_cnn_runs_and_prints_every_number():
    script = EXAMPLES / "probe_your_cnn.py"
    source = script.read_text()
    assert source.count("# %%") >= 5  # cells a reader can step through
    assert "matplotlib.use" not in source and "use_agg" not in source  # the backend is the user's
    env = os.environ | {
        "MPLBACKEND": "Agg",  # what a display-less CI sets; the script only calls plt.show()
        "NEUROACT_EXAMPLE_SIZE": "small",
        "OMP_NUM_THREADS": "1",  # one thread per process on a shared CPU
        "PYTHONPATH": str(EXAMPLES.parent),
    }
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    error = float(re.search(r"validation error: ([\d.]+)%", text).group(1))
    assert error < 40  # chance is 90%: the CNN has learnt
    rows = re.findall(r"^\s*(features\.2|features\.6|head\.3)\s+(\d+)\s+([\d.]+)", text, re.M)
    assert [(r[0], int(r[1])) for r in rows[:3]] == [
        ("features.2", 16 * 28 * 28),
        ("features.6", 32 * 14 * 14),
        ("head.3", 128),
    ]
    assert [int(r[1]) for r in rows[3:]] == [16, 32, 128]  # pooled over positions
    assert all(0 < float(r[2]) <= 1 for r in rows)
    fifty = float(re.search(r"fraction firing in 50 ms: ([\d.]+)%", text).group(1))
    assert 0.5 < fifty < 10  # the sparse regime: near Lennie's 1-4%
