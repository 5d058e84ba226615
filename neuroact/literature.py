"""Numbers from the papers the package checks, with their sources, in one place.

Figures draw these as bands, the report quotes them, tests never use them as expected values
for our own measurements (they are what we compare against, not what we assume).

Tables of results per unit are keyed by the canonical unit names of :mod:`neuroact.vocabulary`
and accept the aliases too:

>>> GLOROT_2011_TABLE1_MNIST[("relu", False)], GLOROT_2011_TABLE1_MNIST[("rectifier", True)]
(1.43, 1.2)
>>> ("sigmoid", False) in GLOROT_2011_TABLE1_MNIST
False
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from neuroact.vocabulary import canonical


@dataclass(frozen=True)
class Band:
    """A literature range of a quantity (fractions in [0, 1], error rates in percent)."""

    name: str
    low: float
    high: float
    source: str
    note: str = ""


# Fraction of cortical neurons substantially active at once.
LENNIE_2003 = Band(
    "Lennie 2003",
    0.01,
    0.04,
    "Lennie P (2003) The cost of cortical computation. Curr Biol 13:493-497",
    '"possibly fewer than 1%"; quoted as 1-4% by Glorot et al. 2011',
)
ATTWELL_LAUGHLIN_2001 = Band(
    "Attwell & Laughlin 2001",
    0.0,
    0.15,
    "Attwell D, Laughlin SB (2001) An energy budget for signaling in the grey matter of the "
    "brain. J Cereb Blood Flow Metab 21:1133-1145",
    "at most about 15% active at once from the energy budget",
)
# Fraction of exact zeros in rectifier networks trained with an L1 activation penalty.
GLOROT_2011_SPARSITY = Band(
    "Glorot et al. 2011",
    0.68,
    0.83,
    "Glorot X, Bordes A, Bengio Y (2011) Deep sparse rectifier neural networks. AISTATS",
    "68-83% exact zeros with L1 penalty 0.001; accuracy unharmed up to about 85%",
)
GLOROT_2011_HARMLESS_SPARSITY = 0.85

SPARSITY_BANDS = (LENNIE_2003, ATTWELL_LAUGHLIN_2001, GLOROT_2011_SPARSITY)


class ByUnit(Mapping):
    """A read-only table keyed by ``(unit, ...)`` tuples, ``unit`` a canonical key of
    :mod:`neuroact.vocabulary`; a lookup by an alias (``"rectifier"``) finds the same value."""

    def __init__(self, table: Mapping[tuple, float]):
        self._table = {(canonical(unit), *rest): v for (unit, *rest), v in table.items()}

    def __getitem__(self, key: tuple) -> float:
        if not isinstance(key, tuple) or not key or not isinstance(key[0], str):
            raise KeyError(key)
        unit, *rest = key
        return self._table[(canonical(unit), *rest)]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        return f"ByUnit({self._table!r})"


# Glorot, Bordes & Bengio 2011, Table 1: MNIST test error (%), 3 hidden layers x 1000 units;
# key (unit, with denoising auto-encoder pre-training).
GLOROT_2011_TABLE1_MNIST = ByUnit(
    {
        ("relu", False): 1.43,
        ("softplus", False): 1.77,
        ("tanh", False): 1.57,
        ("relu", True): 1.20,
    }
)
# AlexNet (Krizhevsky et al. 2012, Fig. 1): ReLU reached 25% training error on CIFAR-10 six
# times faster than tanh.
KRIZHEVSKY_2012_SPEEDUP = 6.0

# Hodgkin-Huxley 1952 squid axon at 6.3 degC: rheobase for sustained firing (uA/cm2).
HH_RHEOBASE_UA_CM2 = (6.2, 6.3)
