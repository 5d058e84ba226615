"""Exact Poisson counts for a small, constant mean: inversion of the CDF on one uniform draw.

The Brunel network's external drive adds ``J * k`` to every neuron on every step, with ``k``
Poisson-distributed of mean ``lam = C_E nu_ext dt`` (0.85 at the sparse point). Brian2's
``poisson(lam)`` draws ``k`` by Knuth's multiplication method, which evaluates ``exp(-lam)`` and
takes ``k + 1`` uniform numbers on every call: 26-33 ns a draw against 2 ns for one uniform
number, and 97% of the sparse network's run time (``benchmarks/RESULTS.md``).

:data:`poisson_small` draws the same distribution from ONE uniform number ``u`` by sequential
search of the cumulative distribution (Devroye 1986, *Non-Uniform Random Variate Generation*,
ch. X.3, "inversion by sequential search"):

    k = min {k : u <= F(k)},   F(k) = sum_{j <= k} exp(-lam) lam^j / j!

with ``exp(-lam)`` given by the caller (a per-neuron constant, computed once). The search takes
``lam + 1`` comparisons on average, so it is for small means: callers use it up to
:data:`MAX_SMALL_MEAN` (Brian2 switches to its rejection sampler there too). The sampler is exact
up to the rounding of the cumulative sums (relative 1e-16, below the 2^-53 resolution of the
uniform numbers); a sum that stops growing (the tail beyond double precision) ends the search.

Implemented for all three of Brian2's targets. Every implementation compares ``u`` with
``F(0) .. F(3)`` without branching (which ``k`` comes out is random, so the exit of a loop would
be mispredicted about once a draw) and searches on one by one only above ``F(3)`` (1% of the
draws at ``lam = 0.85``). The uniform numbers: Brian2's per-thread generators in C++ (so OpenMP
threads never share one); in Cython a xoshiro256+ generator of this module's own, seeded from
numpy's global generator by :func:`reseed` (Brian2's Cython ``rand()`` costs more than the rest
of the draw); numpy's global generator on the numpy target. The three targets therefore draw
different numbers from the same distribution; on one target, the same seed gives the same
numbers (:mod:`neuroact.bio.network` calls :func:`reseed` after ``brian2.seed``).

See Also
--------
brian2.poisson : Brian2's sampler for any mean.
neuroact.bio.network : the network whose external drive uses it.
"""

from __future__ import annotations

import numpy as np
from brian2 import DEFAULT_FUNCTIONS, Function
from brian2.codegen.generators import CPPCodeGenerator, CythonCodeGenerator, NumpyCodeGenerator

__all__ = ["MAX_SMALL_MEAN", "poisson_small", "poisson_small_numpy", "reseed"]

# Above this mean the search (lam + 1 steps) stops being cheap, and exp(-lam) loses digits;
# Brian2's own sampler changes method at the same point.
MAX_SMALL_MEAN = 10.0
# Cumulative sums compared with u for every draw before the search goes on one by one.
_UNROLLED = 4
# State of the Cython implementation's own uniform generator (below), reseeded by reseed().
_STATE = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 1], np.uint64)

# The search in both compiled languages: u against F(0)..F(3) without branches (which k comes
# out is random, so a loop's exit branch is mispredicted about once a draw), then a loop for the
# rare u above F(3) (1% of draws at lam = 0.85, 14% at lam = 2).
_CPP = """
static inline int32_t _poisson_small(const double lam, const double p0,
                                     const int _vectorisation_idx)
{
    const double u = _rand(_vectorisation_idx);
    double p = p0 * lam, c = p0 + p;
    int32_t k = (u > p0) + (u > c);
    p *= lam * 0.5;
    c += p;
    k += (u > c);
    p *= lam * (1.0 / 3.0);
    c += p;
    k += (u > c);
    if (k < 4) return k;
    p *= lam * 0.25;
    c += p;
    while (u > c) {
        k++;
        p *= lam / k;
        const double next = c + p;
        if (next == c) break;  // the tail beyond double precision
        c = next;
    }
    return k;
}
"""

# Brian2's Cython rand() costs about 10 ns a number (a buffered call into numpy's legacy
# generator), more than the rest of the draw; xoshiro256+ (Blackman & Vigna 2021, ACM TOMS
# 47:36), whose upper 53 bits make a uniform double, costs about 1 ns. Its state lives in
# _STATE, seeded from numpy's global generator (which brian2.seed seeds) by reseed().
_CYTHON = """
cdef inline double _poisson_small_uniform():
    cdef uint64_t* s = _namespace_poisson_small_state
    cdef uint64_t result = s[0] + s[3]
    cdef uint64_t t = s[1] << 17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = (s[3] << 45) | (s[3] >> 19)
    return <double>(result >> 11) * (1.0 / 9007199254740992.0)

cdef int32_t _poisson_small(double lam, double p0, int _vectorisation_idx):
    cdef double u = _poisson_small_uniform()
    cdef double p = p0 * lam
    cdef double c = p0 + p
    cdef double nxt
    cdef int32_t k = (u > p0)
    k += (u > c)
    p *= lam * 0.5
    c += p
    k += (u > c)
    p *= lam * (1.0 / 3.0)
    c += p
    k += (u > c)
    if k < 4:
        return k
    p *= lam * 0.25
    c += p
    while u > c:
        k += 1
        p *= lam / <double>k
        nxt = c + p
        if nxt == c:
            break
        c = nxt
    return k
"""


def reseed(seed: int | None = None) -> None:
    """Seed the Cython implementation's generator.

    ``seed`` (an integer >= 0) gives its state through numpy's ``SeedSequence``; None draws it
    from numpy's global generator (which ``brian2.seed`` seeds). The same seed, the same
    numbers. (The C++ and numpy implementations draw from Brian2's own generators.)
    """
    if seed is None:
        state = np.frombuffer(np.random.bytes(32), dtype=np.uint64)  # noqa: NPY002
    else:
        state = np.random.SeedSequence([int(seed), 0x5A3D]).generate_state(4, dtype=np.uint64)
    _STATE[:] = state if state.any() else 1  # xoshiro's one forbidden state is all zeros


def poisson_small_numpy(lam, p0, vectorisation_idx) -> np.ndarray:
    """The numpy target's implementation (also usable directly on arrays).

    ``lam`` and ``p0 = exp(-lam)`` are scalars or arrays of one value per draw; the number of
    draws is ``len(vectorisation_idx)`` (a scalar index: one draw). Uniform numbers come from
    numpy's global generator, which Brian2's numpy target seeds with ``brian2.seed``.
    """
    try:
        n = len(vectorisation_idx)
    except TypeError:  # a scalar expression: one draw
        return int(poisson_small_numpy(lam, p0, np.arange(1))[0])
    u = np.random.rand(n)  # noqa: NPY002 (Brian2's numpy target uses the legacy generator)
    lam = np.broadcast_to(np.asarray(lam, dtype=float), u.shape)
    p = np.broadcast_to(np.asarray(p0, dtype=float), u.shape).copy()
    c = p.copy()
    k = np.zeros(n, dtype=np.int32)
    for j in range(1, _UNROLLED + 1):  # compare everyone with F(0) .. F(3)
        k += u > c
        p *= lam / j
        c += p
    # Those above F(3) (k == 4 so far) search on; c and p now hold F(4) and P(4).
    idx = np.flatnonzero(k == _UNROLLED)
    j = _UNROLLED
    while idx.size:
        above = u[idx] > c[idx]
        idx = idx[above]
        if not idx.size:
            break
        k[idx] += 1
        j += 1
        p[idx] *= lam[idx] / j
        grown = c[idx] + p[idx]
        stalled = grown == c[idx]
        c[idx] = grown
        idx = idx[~stalled]
    return k


poisson_small = Function(
    poisson_small_numpy,
    arg_units=[1, 1],
    arg_names=["lam", "p0"],
    return_unit=1,
    return_type="integer",
    stateless=False,
    auto_vectorise=True,
)
poisson_small.implementations.add_implementation(
    CPPCodeGenerator,
    code=_CPP,
    name="_poisson_small",
    dependencies={"_rand": DEFAULT_FUNCTIONS["rand"]},
)
poisson_small.implementations.add_implementation(
    CythonCodeGenerator,
    code=_CYTHON,
    name="_poisson_small",
    namespace={"_poisson_small_state": _STATE},
)
poisson_small.implementations.add_implementation(NumpyCodeGenerator, code=poisson_small_numpy)
