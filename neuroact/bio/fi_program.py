"""The f-I curve's compiled program: built once per model, size, dt and duration, then rerun.

``target="cpp_standalone"`` (and ``"auto"`` where a compiler exists) of
:func:`neuroact.bio.fi.fi_curve` runs the program of :class:`StandaloneFICurve`: one group of
neurons (:func:`neuroact.bio.fi_core.build_group`) whose currents and seed are the program's
inputs, kept in the user cache by :mod:`neuroact.bio.standalone`.

``resolve_target(target)``, ``program_size(n)``, ``program_spec(model, n, dt, duration)``,
``build_program(spec, folder)`` and ``StandaloneFICurve``.

See Also
--------
neuroact.bio.fi : the f-I runner.
neuroact.bio.standalone : the cache of compiled programs.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
from brian2 import Network, Quantity, device, prefs, set_device
from brian2 import seed as brian_seed

from neuroact.bio import standalone
from neuroact.bio.fi_core import (
    DEFAULT_DURATION,
    DEFAULT_TRANSIENT,
    FI_TARGETS,
    FICurve,
    build_group,
    check_currents,
    check_run,
    curve_from_spikes,
    resolve_rate_method,
)
from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.runtime import check_seed
from neuroact.bio.units import check_choice, check_count

__all__ = ["StandaloneFICurve", "build_program", "program_size", "program_spec", "resolve_target"]


def resolve_target(target: str) -> str:
    """The target ``fi_curve`` runs on: ``"auto"`` is ``"cpp_standalone"`` where a C++ compiler
    and ``make`` exist, else ``"numpy"``; the others pass unchanged (checked)."""
    check_choice("target", target, FI_TARGETS)
    if target == "auto":
        return "cpp_standalone" if standalone.compiler_available() else "numpy"
    return target


def program_size(n: int) -> int:
    """The number of neurons of the program that simulates ``n``: at least 32, else ``n``
    rounded up to one of four sizes per octave (at most 25% more neurons), so that nearby
    sizes share one program."""
    n = check_count("n", n)
    if n <= 32:
        return 32
    step = 2 ** (int(math.log2(n)) - 2)
    return -(-n // step) * step


def program_spec(model: NeuronModel, n: int, dt: Quantity, duration: Quantity) -> dict:
    """Everything the compiled f-I program of ``model`` depends on (its cache key)."""
    return {
        "kind": "fi_curve",
        "n": int(n),
        "dt": dt,
        "duration": duration,
        "compile_args": list(prefs.codegen.cpp.extra_compile_args_gcc),
        "model": {
            "equations": model.equations,
            "threshold": model.threshold,
            "reset": model.reset,
            "refractory": model.refractory,
            "method": model.method,
            "params": dict(model.params),
            "init": dict(model.init),
            "every_step": model.every_step,
            "current_unit": model.current_unit,
        },
    }


def build_program(spec: dict, folder: Path) -> None:
    """Build the f-I program of ``spec`` (:func:`program_spec`) into ``folder``.

    Runs in the builder process of :func:`neuroact.bio.standalone.program` (it switches this
    process's Brian2 device to ``cpp_standalone``): one group of ``spec["n"]`` neurons with its
    current ``I`` as the program's input, a spike monitor as its output, seeds from
    :data:`neuroact.bio.standalone.SEED_CODE`, no OpenMP (one small group gains nothing from
    threads whose barriers cost more than its work).
    """
    set_device("cpp_standalone", directory=str(folder), build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0
    prefs.codegen.cpp.extra_compile_args_gcc = spec["compile_args"]
    m = spec["model"]
    model = NeuronModel(
        name="fi_program",
        equations=m["equations"],
        threshold=m["threshold"],
        reset=m["reset"],
        params=m["params"],
        current_unit=m["current_unit"],
        current_unit_name="",
        refractory=m["refractory"],
        method=m["method"],
        init=m["init"],
        every_step=m["every_step"],
    )
    brian_seed(0)  # Brian2's seeding code, then ours from the environment
    device.insert_code("main", standalone.SEED_CODE)
    group, monitor = build_group(model, spec["n"], spec["dt"])
    group.I = 0 * model.current_unit  # replaced by the program's input
    Network(group, monitor).run(spec["duration"], namespace={})
    device.build(directory=str(folder), compile=True, run=False)
    manifest = {
        "inputs": {"I": {"variable": f"{group.name}.I", "dtype": "float64", "size": spec["n"]}},
        "outputs": {
            key: {
                "file": device.get_array_filename(monitor.variables[key]),
                "dtype": np.dtype(monitor.variables[key].dtype).name,
            }
            for key in ("i", "t")
        },
    }
    (Path(folder) / standalone.MANIFEST).write_text(json.dumps(manifest, indent=1))


class StandaloneFICurve:
    """The compiled f-I program for ``n_currents`` x ``trials`` neurons, run with new currents.

    The program is built once for the model, the size (:func:`program_size`), ``dt`` and the
    duration, and kept in ``directory`` (default: the user cache,
    :func:`neuroact.bio.standalone.build_root`); constructing a runner whose program exists
    costs nothing, and ``run`` starts the program with the currents and the seed as inputs
    (no code generation, no compilation, no change to this process's Brian2 device).

    Parameters
    ----------
    model, duration, transient, trials, dt, rate_method, seed : as for :func:`fi_curve`.
    n_currents : number of currents every ``run`` takes (>= 1).
    directory : the cache folder to build in and read from (None: the user cache).
    """

    def __init__(
        self,
        model: str | NeuronModel,
        n_currents: int,
        *,
        duration: Quantity = DEFAULT_DURATION,
        transient: Quantity = DEFAULT_TRANSIENT,
        trials: int = 1,
        dt: Quantity | None = None,
        directory: str | os.PathLike | None = None,
        rate_method: str = "auto",
        seed: int | None = 0,
    ):
        self.model = get_model(model)
        dt = self.model.dt if dt is None else dt
        self.duration_s, self.transient_s, self.dt_s = check_run(
            dt=dt,
            duration=duration,
            transient=transient,
            trials=trials,
            target="cpp_standalone",
            rate_method=rate_method,
            seed=seed,
        )
        self.seed = seed
        self.n_currents, self.trials = check_count("n_currents", n_currents), int(trials)
        self.rate_method = resolve_rate_method(rate_method, self.model)
        size = program_size(self.n_currents * self.trials)
        spec = program_spec(self.model, size, dt, duration)
        start = time.perf_counter()
        self.directory = standalone.program(
            spec, "neuroact.bio.fi_program:build_program", directory
        )
        self.build_seconds = time.perf_counter() - start  # about 0 when it was cached
        self._size = size

    def run(self, currents: Quantity, *, seed: int | None | str = "default") -> FICurve:
        """Run the program with new ``currents`` (as many as at construction).

        ``seed`` overrides the runner's seed for this run (None: a fresh one from the system's
        entropy, so unseeded runs differ).
        """
        values = check_currents(currents, self.model)
        if len(values) != self.n_currents:
            raise ValueError(
                f"currents must have the {self.n_currents} entries this program was built "
                f"for; got {len(values)}"
            )
        seed = self.seed if isinstance(seed, str) and seed == "default" else check_seed(seed)
        used = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        start = time.perf_counter()
        n = self.n_currents * self.trials
        current = np.zeros(self._size)
        current[:n] = np.repeat(values, self.trials) * float(self.model.current_unit)
        out = standalone.run_program(self.directory, {"I": current}, used)
        real = out["i"] < n  # the padding neurons (no current) are not reported
        return curve_from_spikes(
            self.model,
            values,
            out["i"][real],
            out["t"][real],
            self.trials,
            self.duration_s,
            self.transient_s,
            self.dt_s,
            seed,
            "cpp_standalone",
            self.rate_method,
            time.perf_counter() - start,
        )

    def close(self) -> None:
        """Nothing to release (the program stays in the cache); kept for ``with`` blocks."""

    def __enter__(self) -> StandaloneFICurve:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
