"""Signalling energy of cortical neurons: ATP per spike, ATP per second, and what a budget allows.

Model (Attwell & Laughlin 2001, J Cereb Blood Flow Metab 21:1133-1145)
----------------------------------------------------------------------
The ATP a neuron (with its share of glia and synapses) uses per second at mean rate ``r``::

    P(r) = P_rest + r * (E_AP + E_post + E_pre + E_recycle)        [ATP / s / neuron]

``E_AP``      restoring the Na+ that enters during the action potential (soma, axon, dendrites);
``E_post``    reversing the ion flux through postsynaptic glutamate receptors at the synapses
              the spike drives (release onto ~8000 synapses with release probability ~0.25);
``E_pre``     pumping out the presynaptic Ca2+ that triggers release (and vesicle loading);
``E_recycle`` glutamate uptake and recycling (glutamate-glutamine cycle, vesicle refilling);
``P_rest``    the Na+/K+ pump current that holds the resting potential (neuron and glia).

Numbers (rodent grey matter). AL2001 give the AP cost ``3.84e8 ATP/spike`` (squid-axon Na+/K+
overlap, 4x the minimal charge) and, at their mean rate of 4 Hz, the split AP 47%, postsynaptic
34%, resting 13%, glutamate recycling 3% and presynaptic Ca2+ 3% (abstract and Fig. 3). The other
per-spike costs below are derived from that split: total at 4 Hz ``= 4 * 3.84e8 / 0.47 =
3.27e9 ATP/s``, so ``E_post = 0.34 * 3.27e9 / 4``, etc.

Howarth, Gleeson & Attwell (2012, J Cereb Blood Flow Metab 32:1222-1232) revised the AP cost
down (mammalian APs carry about 1.24x the minimal Na+ charge, not 4x: ``3.84e8 * 1.24 / 4 =
1.19e8 ATP/spike``) and give the split postsynaptic 50%, AP 21%, resting 20%, presynaptic 5%,
recycling 4% (abstract), again derived here at 4 Hz. The derived numbers reproduce the published
percentages exactly; they are approximations of the papers' detailed per-process tables.

Lennie's argument (Lennie 2003, Curr Biol 13:493-497)
------------------------------------------------------
Turn the budget around: a fixed supply ``B`` ATP/s per neuron affords a mean rate
``r = (B - P_rest) / E_spike``; if active neurons fire at ``r_active`` then at most
``r / r_active`` of the neurons can be active at once (Lennie: "possibly fewer than 1%"; AL2001:
<= 15%). For independent Poisson neurons the share with at least one spike in a window ``W`` is
``1 - exp(-r W)``.

Rates and windows are Brian2 quantities (``4*Hz``, ``50*ms``), ATP amounts plain numbers;
both are checked by :mod:`neuroact.bio.units`.

See Also
--------
neuroact.experiments.population_sparsity : the budget of simulated networks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from brian2 import Hz, Quantity, second

from neuroact.bio.units import check_number, show, to_si

PARTS = ("action_potential", "postsynaptic", "presynaptic_ca", "recycling")


@dataclass(frozen=True)
class EnergyBudget:
    """Per-spike ATP costs (ATP/spike) and resting cost (ATP/s), per neuron."""

    name: str
    action_potential: float
    postsynaptic: float
    presynaptic_ca: float
    recycling: float
    resting_atp_per_s: float
    source: str = ""

    def __post_init__(self) -> None:
        for key in (*PARTS, "resting_atp_per_s"):
            check_number(key, getattr(self, key), nonnegative=True)

    @property
    def atp_per_spike(self) -> float:
        """Total ATP per spike (all four parts)."""
        return float(sum(getattr(self, p) for p in PARTS))

    def to_dict(self) -> dict:
        return asdict(self) | {"atp_per_spike": self.atp_per_spike}


def _split_at(rate_hz: float, ap: float, shares: dict[str, float]) -> dict[str, float]:
    """Per-spike costs and resting cost that reproduce ``shares`` of the budget at ``rate_hz``."""
    total = rate_hz * ap / shares["action_potential"]
    out = {p: shares[p] * total / rate_hz for p in PARTS}
    out["action_potential"] = ap
    out["resting_atp_per_s"] = shares["resting"] * total
    return out


_AL2001_AP = 3.84e8  # ATP per action potential, Attwell & Laughlin 2001
_HOWARTH_AP = _AL2001_AP * 1.24 / 4.0  # Na+ entry 1.24x minimal instead of 4x (Howarth 2012)

ATTWELL_LAUGHLIN_2001 = EnergyBudget(
    "Attwell & Laughlin 2001",
    **_split_at(
        4.0,
        _AL2001_AP,
        {
            "action_potential": 0.47,
            "postsynaptic": 0.34,
            "resting": 0.13,
            "recycling": 0.03,
            "presynaptic_ca": 0.03,
        },
    ),
    source="Attwell D, Laughlin SB (2001) J Cereb Blood Flow Metab 21:1133-1145; AP cost "
    "3.84e8 ATP, split at 4 Hz: AP 47%, postsynaptic 34%, resting 13%, recycling 3%, Ca 3%",
)

HOWARTH_2012 = EnergyBudget(
    "Howarth et al. 2012",
    **_split_at(
        4.0,
        _HOWARTH_AP,
        {
            "action_potential": 0.21,
            "postsynaptic": 0.50,
            "resting": 0.20,
            "presynaptic_ca": 0.05,
            "recycling": 0.04,
        },
    ),
    source="Howarth C, Gleeson P, Attwell D (2012) J Cereb Blood Flow Metab 32:1222-1232; AP "
    "cost 3.84e8*1.24/4 ATP, split at 4 Hz: postsynaptic 50%, AP 21%, resting 20%, "
    "presynaptic 5%, recycling 4%",
)

BUDGETS = {"attwell_laughlin_2001": ATTWELL_LAUGHLIN_2001, "howarth_2012": HOWARTH_2012}


def get_budget(budget: str | EnergyBudget = "attwell_laughlin_2001") -> EnergyBudget:
    """A budget by name (``"attwell_laughlin_2001"`` or ``"howarth_2012"``) or as given."""
    if isinstance(budget, EnergyBudget):
        return budget
    if budget not in BUDGETS:
        raise ValueError(
            f"budget must be one of {sorted(BUDGETS)} or an EnergyBudget; got {show(budget)}"
        )
    return BUDGETS[budget]


def _rate_hz(rate: Quantity, name: str = "rate") -> np.ndarray:
    """A rate (Brian2 Hz, scalar or array, >= 0) in Hz."""
    return to_si(rate, Hz, name, nonnegative=True, scalar=False)


def atp_rate(rate: Any, budget: str | EnergyBudget = "attwell_laughlin_2001"):
    """ATP per second per neuron at mean firing rate ``rate`` (Brian2 Hz; scalar or array).

    ``P(r) = P_rest + r * E_spike``. Returns a float (scalar rate) or an array.
    """
    b = get_budget(budget)
    r = _rate_hz(rate)
    out = b.resting_atp_per_s + r * b.atp_per_spike
    return float(out) if out.ndim == 0 else out


def atp_breakdown(rate: Any, budget: str | EnergyBudget = "attwell_laughlin_2001") -> pd.DataFrame:
    """ATP/s per neuron of each part at a scalar ``rate``: columns part, atp_per_s, share."""
    b = get_budget(budget)
    r = _rate_hz(rate)
    if r.ndim != 0:
        raise ValueError(f"rate must be one value for a breakdown; got shape {r.shape}")
    parts = {p: float(r) * getattr(b, p) for p in PARTS} | {"resting": b.resting_atp_per_s}
    total = sum(parts.values())
    return pd.DataFrame(
        {
            "budget": b.name,
            "part": list(parts),
            "atp_per_s": list(parts.values()),
            "share": [v / total for v in parts.values()],
        }
    )


def affordable_rate(atp_per_s: Any, budget: str | EnergyBudget = "attwell_laughlin_2001"):
    """Mean rate (Brian2 Hz) a supply of ``atp_per_s`` ATP/s per neuron pays for.

    ``r = (B - P_rest) / E_spike``; a supply below the resting cost raises ``ValueError``.
    """
    b = get_budget(budget)
    supply = check_number("atp_per_s", atp_per_s, nonnegative=True)
    if supply < b.resting_atp_per_s:
        raise ValueError(
            f"atp_per_s ({supply:.3g}) is below the resting cost of {b.name} "
            f"({b.resting_atp_per_s:.3g} ATP/s): no spikes are affordable"
        )
    return (supply - b.resting_atp_per_s) / b.atp_per_spike * Hz


def affordable_active_fraction(
    atp_per_s: Any,
    budget: str | EnergyBudget = "attwell_laughlin_2001",
    *,
    window: Any = None,
    active_rate: Any = None,
) -> float:
    """Largest share of neurons active at once that the supply allows (Lennie's argument).

    Give ``active_rate`` (rate of a neuron while "active", Brian2 Hz): ``r_mean / r_active``
    (capped at 1). Or give ``window`` (Brian2 time): independent Poisson neurons at the
    affordable mean rate, ``1 - exp(-r W)``. Exactly one of the two.
    """
    if (window is None) == (active_rate is None):
        raise ValueError(
            "give exactly one of window (Poisson view) or active_rate (Lennie's view); got "
            f"window={show(window)}, active_rate={show(active_rate)}"
        )
    r = float(affordable_rate(atp_per_s, budget) / Hz)
    if active_rate is not None:
        ra = to_si(active_rate, Hz, "active_rate", positive=True)
        return min(1.0, r / ra)
    w = to_si(window, second, "window", positive=True)
    return float(1.0 - math.exp(-r * w))
