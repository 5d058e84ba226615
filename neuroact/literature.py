"""Numbers from the papers the package checks, with their sources, in one place.

Figures draw these as bands, the report quotes them, tests never use them as expected values
for our own measurements (they are what we compare against, not what we assume).
"""

from __future__ import annotations

from dataclasses import dataclass


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

# Glorot, Bordes & Bengio 2011, Table 1: MNIST test error (%), 3 hidden layers x 1000 units.
GLOROT_2011_TABLE1_MNIST = {
    ("rectifier", False): 1.43,
    ("softplus", False): 1.77,
    ("tanh", False): 1.57,
    ("rectifier", True): 1.20,
}
# AlexNet (Krizhevsky et al. 2012, Fig. 1): ReLU reached 25% training error on CIFAR-10 six
# times faster than tanh.
KRIZHEVSKY_2012_SPEEDUP = 6.0

# Hodgkin-Huxley 1952 squid axon at 6.3 degC: rheobase for sustained firing (uA/cm2).
HH_RHEOBASE_UA_CM2 = (6.2, 6.3)
