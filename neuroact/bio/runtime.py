"""How a Brian2 simulation of this package runs: code-generation target and seeding.

Shared by the f-I runner (:mod:`neuroact.bio.fi`) and the network (:mod:`neuroact.bio.network`),
so that both accept the same targets and leave the caller's Brian2 preferences and numpy random
state as they found them.

Code-generation targets
-----------------------
``"numpy"``
    No compile step: right for tests and runs of a few seconds.
``"cython"``
    Compiles each code object once (seconds, cached in ``~/.cython/brian_extensions``), then
    much faster per step: right for long or fine-``dt`` runs.
``"cpp_standalone"``
    The whole simulation as a C++ program built for the run (Brian2's standalone device);
    worth it for large networks or when one build is rerun with new values.

See ``benchmarks/RESULTS.md`` for measured times of each.

See Also
--------
brian2.prefs.codegen.target, brian2.seed
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
from brian2 import Network, Quantity, prefs, second
from brian2 import seed as brian_seed

from neuroact.bio.units import check_choice, check_count

__all__ = [
    "TARGETS",
    "check_seed",
    "check_target",
    "codegen_target",
    "openmp_environment",
    "run_to_end",
    "seeded",
]

TARGETS = ("numpy", "cython", "cpp_standalone")


def check_target(target: str) -> str:
    """Return ``target`` if it names a supported Brian2 code-generation target."""
    return check_choice("target", target, TARGETS)


def check_seed(seed: int | None) -> int | None:
    """Return ``seed`` if it is None or an integer >= 0."""
    return None if seed is None else check_count("seed", seed, minimum=0)


@contextlib.contextmanager
def codegen_target(target: str) -> Iterator[None]:
    """Set Brian2's runtime code-generation target for one run, then restore the user's."""
    old = prefs.codegen.target
    prefs.codegen.target = target
    try:
        yield
    finally:
        prefs.codegen.target = old


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed Brian2's generators; leave numpy's global random state as the caller had it.

    ``seed=None`` draws a fresh seed from the operating system, so that unseeded runs differ
    (restoring numpy's state alone would replay the same noise on every call).
    """
    state = np.random.get_state()  # noqa: NPY002 (Brian2's numpy target uses the legacy RNG)
    brian_seed(int(seed) if seed is not None else int(np.random.SeedSequence().entropy % 2**31))
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def run_to_end(net: Network, duration: Quantity) -> None:
    """``net.run(duration)``, raising ``KeyboardInterrupt`` if the run stopped early.

    Brian2's Ctrl-C handler stops a running network and lets ``run`` return as if it had
    finished; a sweep would then save the cut-short run as a complete result, and resuming would
    never redo it. Here the interruption reaches the caller, and nothing of the run is saved.
    """
    start = float(net.t / second)
    net.run(duration, namespace={})
    # a stopped run ends before the last step; a finished one within a step of the end
    if float(net.t / second) < start + float(duration / second) - 1e-9 - _step(net):
        raise KeyboardInterrupt(
            f"the simulation was stopped at t = {float(net.t / second):.4g} s of "
            f"{start + float(duration / second):.4g} s (Ctrl-C); nothing of it was kept"
        )


def _step(net: Network) -> float:
    clocks = [obj.clock.dt_ for obj in net.objects if hasattr(obj, "clock")]
    return max(clocks, default=0.0)


def openmp_environment(threads: int) -> dict[str, str]:
    """Environment variables for a standalone program running ``threads`` OpenMP threads.

    One thread needs none. With more, GNU OpenMP's threads wait for each other at the end of
    every parallel loop (several per time step). ``OMP_WAIT_POLICY=PASSIVE`` makes a waiting
    thread sleep instead of spinning: on a machine whose cores are busy with other work, spinning
    threads stalled the network for minutes per simulated second (``benchmarks/RESULTS.md``,
    "Population sparsity"). The thread count changes which random numbers each neuron draws
    (one generator per thread), not their distribution: over five seeds the sparse network's
    rate did not differ between 1 and 2 threads (``benchmarks/RESULTS.md``, "Biological side").
    """
    check_count("threads", threads)
    if threads == 1:
        return {}
    return {"OMP_WAIT_POLICY": "PASSIVE"}
