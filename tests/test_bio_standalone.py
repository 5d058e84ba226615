"""Compiled f-I programs kept in a cache: they honour every input, seed and setting.

The programs are built into a temporary cache folder (never the user's); building one costs
10-30 s, so the tests share a few. The f-I runner's science is tested on the numpy target in
``test_bio_fi.py``; here the compiled path is checked against the analytic LIF rate and the
numpy target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms, mV, nA, second
from numpy.testing import assert_allclose

from neuroact.bio import standalone
from neuroact.bio.fi import (
    StandaloneFICurve,
    fi_curve,
    program_size,
    program_spec,
    resolve_target,
)
from neuroact.bio.neurons import get_model
from neuroact.bio.theory import lif_rate

REPO = Path(__file__).resolve().parents[1]
SHORT = {"duration": 0.3 * second, "transient": 0.05 * second}
CURRENTS = np.array([1.6, 2.0, 4.0]) * nA

pytestmark = pytest.mark.compiled


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One cache folder for the module: programs built by one test are reused by the next."""
    return tmp_path_factory.mktemp("programs")


def _runner(model, cache: Path, n: int = 3, **kw) -> StandaloneFICurve:
    return StandaloneFICurve(model, n, directory=cache, **(SHORT | kw))


# --- keys and sizes (no compilation) -------------------------------------------------------
def test_program_size_rounds_up_to_four_sizes_per_octave():
    assert [program_size(n) for n in (1, 31, 32, 33, 40, 41, 64, 65, 200)] == [
        32,
        32,
        32,
        40,
        40,
        48,
        64,
        80,
        224,
    ]
    sizes = np.array([program_size(n) for n in range(1, 5000)])
    assert np.all(sizes >= np.arange(1, 5000))
    assert np.all(sizes[32:] <= 1.25 * np.arange(33, 5000))  # at most 25% more neurons


def test_every_setting_that_enters_the_code_changes_the_key():
    lif = get_model("lif")
    base = program_spec(lif, 32, 0.01 * ms, 1 * second)
    key = standalone.spec_key(base)
    assert standalone.spec_key(program_spec(get_model("lif"), 32, 0.01 * ms, 1 * second)) == key
    renamed = lif.with_params(name="other")  # the name is not in the code
    assert standalone.spec_key(program_spec(renamed, 32, 0.01 * ms, 1 * second)) == key
    changed = [
        program_spec(lif.with_params(tau_m=20 * ms), 32, 0.01 * ms, 1 * second),  # parameter
        program_spec(lif.with_params(V_th=-50.000001 * mV), 32, 0.01 * ms, 1 * second),  # digit
        program_spec(lif, 40, 0.01 * ms, 1 * second),  # size
        program_spec(lif, 32, 0.02 * ms, 1 * second),  # dt
        program_spec(lif, 32, 0.01 * ms, 1.5 * second),  # duration
        program_spec(get_model("noisy_lif", sigma=0 * mV), 32, 0.01 * ms, 1 * second),  # eqs
    ]
    threshold = dict(base, model=dict(base["model"], threshold="v > V_th + 0*mV"))
    flags = dict(base, compile_args=[*base["compile_args"], "-O2"])
    keys = [standalone.spec_key(s) for s in [*changed, threshold, flags]]
    assert key not in keys and len(set(keys)) == len(keys)


def test_auto_target_is_compiled_where_a_compiler_exists():
    compiled = "cpp_standalone" if standalone.compiler_available() else "numpy"
    assert resolve_target("auto") == compiled
    assert resolve_target("numpy") == "numpy"
    with pytest.raises(ValueError, match=r"^target must be one of .*; got 'gpu'$"):
        resolve_target("gpu")


# --- the programs --------------------------------------------------------------------------
def test_compiled_lif_matches_theory_and_numpy_and_reruns_with_new_currents(cache):
    runner = _runner("lif", cache)
    first = runner.run(CURRENTS)
    assert first.target == "cpp_standalone"
    numpy = fi_curve("lif", CURRENTS, target="numpy", **SHORT)
    assert_allclose(first.rate, numpy.rate, rtol=1e-9)
    assert_allclose(first.rate, lif_rate(CURRENTS), rtol=0.01)
    again = _runner("lif", cache).run(CURRENTS * 1.5)  # a new runner: the program is cached
    assert_allclose(again.rate, lif_rate(CURRENTS * 1.5), rtol=0.01)
    assert len(standalone.list_builds(cache)) >= 1
    # 3 currents run on a program of 32 neurons: the padding neurons are never reported
    assert first.n_spikes.sum() == pytest.approx((lif_rate(CURRENTS) * 0.25).sum(), abs=3)


def test_a_changed_parameter_is_a_new_program_not_a_stale_one(cache):
    base = _runner("lif", cache)
    slow = _runner(get_model("lif", tau_m=20 * ms), cache)
    assert slow.directory != base.directory
    curve = slow.run(CURRENTS)
    assert_allclose(curve.rate, lif_rate(CURRENTS, tau_m=20 * ms), rtol=0.01)
    assert np.all(curve.rate < base.run(CURRENTS).rate)  # a slower membrane fires less


def test_seeds_same_seed_same_spikes_other_seed_other_spikes(cache):
    model = get_model("noisy_lif", sigma=5 * mV)
    runner = _runner(model, cache, n=2, trials=8, seed=7)
    a, b = runner.run([1.2, 1.8] * nA), runner.run([1.2, 1.8] * nA)
    assert np.array_equal(a.trial_rates, b.trial_rates) and a.n_spikes.sum() > 50
    c = runner.run([1.2, 1.8] * nA, seed=8)
    assert not np.array_equal(a.trial_rates, c.trial_rates)
    d = fi_curve(model, [1.2, 1.8] * nA, trials=8, seed=7, target="cpp_standalone", **SHORT)
    assert d.seed == 7  # fi_curve and the runner agree when they share the cache
    none1, none2 = runner.run([1.2, 1.8] * nA, seed=None), runner.run([1.2, 1.8] * nA, seed=None)
    assert not np.array_equal(none1.trial_rates, none2.trial_rates)
    assert none1.seed is None


def test_two_processes_build_one_program_and_clearing_removes_it(tmp_path):
    code = textwrap.dedent(
        f"""
        import json, numpy as np
        from brian2 import nA, second
        from neuroact.bio.fi import StandaloneFICurve
        r = StandaloneFICurve("lif", 3, duration=0.2 * second, transient=0.05 * second,
                              directory={str(tmp_path)!r})
        c = r.run(np.array([1.6, 2.0, 4.0]) * nA)
        print(json.dumps({{"rate": c.rate.tolist(), "dir": str(r.directory)}}))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1]  # one program, the same numbers
    assert len(standalone.list_builds(tmp_path)) == 1
    assert not list(tmp_path.glob(".build-*"))  # no half-built folder left behind
    assert standalone.clear_builds(tmp_path) == 1
    assert standalone.list_builds(tmp_path) == [] and standalone.clear_builds(tmp_path) == 0
