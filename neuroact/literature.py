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


@dataclass(frozen=True)
class Recording:
    """A number measured in cortex, with its source and the passage that states it.

    ``quantity`` reads after a fraction ("10% *of L2/3 neurons active per Up state*") and
    before a rate ("*mean spontaneous rate*: under 0.1 Hz").
    ``low``/``high`` bound the quantity (equal for a single value; None where the passage gives
    only one side: "less than 5%" has ``high = 0.05``); fractions in [0, 1], rates in Hz.
    ``window`` says over what time a fraction counts a neuron as active; ``passage`` is quoted
    from the source's abstract at ``url``.
    """

    name: str
    source: str
    url: str
    preparation: str
    quantity: str
    unit: str
    low: float | None
    high: float | None
    window: str
    passage: str


# Measured activity of cortical populations, against which the 1-4% claim is weighed. Each
# passage was read at its url; the numbers are the passage's own, nothing is derived here.
LENNIE_2003_PASSAGE = (
    "The cost of a single spike is high, and this severely limits, possibly to fewer than 1%, "
    "the number of neurons that can be substantially active concurrently."
)
KERR_2005 = Recording(
    "Kerr et al. 2005",
    "Kerr JND, Greenberg D, Helmchen F (2005) Imaging input and output of neocortical networks "
    "in vivo. PNAS 102:14063-14068",
    "https://doi.org/10.1073/pnas.0506029102",
    "rat neocortex (layer 2/3), anaesthetised, two-photon calcium imaging of every neuron in view",
    "of L2/3 neurons active per Up state, anaesthetised rats",
    "fraction",
    0.10,
    0.10,
    "one Up state (hundreds of ms)",
    "We found that (i) spiking activity is sparse (< 0.1 Hz); (ii) on average, only ~10% of "
    "neurons are active during each Up state; (iii) this active subpopulation constantly "
    "changes with time",
)
KERR_2005_RATE = Recording(
    "Kerr et al. 2005",
    KERR_2005.source,
    KERR_2005.url,
    KERR_2005.preparation,
    "mean spontaneous rate of L2/3 neurons, anaesthetised rats",
    "Hz",
    None,
    0.1,
    "",
    KERR_2005.passage,
)
CROCHET_2011 = Recording(
    "Crochet et al. 2011",
    "Crochet S, Poulet JFA, Kremer Y, Petersen CCH (2011) Synaptic mechanisms underlying sparse "
    "coding of active touch. Neuron 69:1160-1175",
    "https://doi.org/10.1016/j.neuron.2011.02.022",
    "mouse barrel cortex, layer 2/3 pyramidal neurons, awake and behaving, whole-cell recordings",
    "of L2/3 pyramidal cells spiking per touch, awake mice",
    "fraction",
    0.10,
    0.10,
    "one touch response (tens of ms)",
    "Although whisker contact with an object evoked rapid depolarization in all neurons, these "
    "touch responses only drove action potentials in ~10% of the cells.",
)
HROMADKA_2008 = Recording(
    "Hromadka et al. 2008",
    "Hromadka T, DeWeese MR, Zador AM (2008) Sparse representation of sounds in the "
    "unanesthetized auditory cortex. PLoS Biol 6:e16",
    "https://doi.org/10.1371/journal.pbio.0060016",
    "rat primary auditory cortex, awake head-fixed, cell-attached recordings (unbiased sampling)",
    "of A1 neurons above 20 spikes/s at any instant of a sound, awake rats",
    "fraction",
    None,
    0.05,
    "any instant of a sound response",
    "We find that the population response is sparse, with stimuli typically eliciting high "
    "firing rates (>20 spikes/second) in less than 5% of neurons at any instant. Some neurons "
    "had very low spontaneous firing rates (<0.01 spikes/second).",
)
VIJAYAN_2010 = Recording(
    "Vijayan et al. 2010",
    "Vijayan S, Hale GJ, Moore CI, Brown EN, Wilson M (2010) Activity in the barrel cortex "
    "during active behavior and sleep. J Neurophysiol 103:2074-2084",
    "https://doi.org/10.1152/jn.00474.2009",
    "rat barrel cortex, freely moving, tetrode recordings of regular-spiking units",
    "of barrel-cortex regular-spiking units above 1 Hz in slow-wave sleep",
    "fraction",
    0.80,
    0.80,
    "whole sleep episodes",
    "Even during slow wave sleep, which had the lowest mean and median firing rates of any "
    "nonanesthetized state observed, 80.0% of RSUs fired above 1 Hz. [...] When rats were "
    "administered isoflurane and at a depth of anesthesia used in standard in vivo "
    "electrophysiological preparations, all of the RSUs fired below 1 Hz.",
)
CORTICAL_RECORDINGS = (KERR_2005, KERR_2005_RATE, CROCHET_2011, HROMADKA_2008, VIJAYAN_2010)


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
