"""One name for one thing: the canonical keys of activation units and f-I curve families.

The same unit goes by several names across the two fields: the rectified linear unit is
"ReLU" to a deep-learning researcher and a "rectifier" or "threshold-linear" curve to a
neuroscientist; the logistic sigmoid is "sigmoid" in PyTorch and "logistic" in a curve fit.
neuroact uses one key per unit everywhere (tables, configs, the registry of activations, the
fit families, the palette) and shows a display label in figures and reports:

==============  =========================  ===========================================
key             label                      also accepted (aliases)
==============  =========================  ===========================================
``relu``        rectifier (ReLU)           ``rectifier``, ``threshold_linear``
``softplus``    softplus                   ``smooth_rectifier``
``sigmoid``     sigmoid (logistic)         ``logistic``
``tanh``        tanh
``leaky_relu``  leaky ReLU
``soft_lif``    soft-LIF                   ``softlif``
``power_law``   power law                  ``powerlaw``, ``threshold_power_law``
``lif``         LIF rate
==============  =========================  ===========================================

``relu``, ``softplus`` and ``sigmoid`` are both activation units (:mod:`neuroact.ann`) and f-I
curve families (:mod:`neuroact.compare.curves`, with a gain and a threshold); ``power_law`` and
``lif`` are curve families only, ``tanh`` and ``leaky_relu`` units only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A canonical key, its display label and the other names it is known by."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()


TERMS: dict[str, Term] = {
    t.key: t
    for t in (
        Term("relu", "rectifier (ReLU)", ("rectifier", "threshold_linear")),
        Term("softplus", "softplus", ("smooth_rectifier",)),
        Term("sigmoid", "sigmoid (logistic)", ("logistic",)),
        Term("tanh", "tanh"),
        Term("leaky_relu", "leaky ReLU"),
        Term("soft_lif", "soft-LIF", ("softlif",)),
        Term("power_law", "power law", ("powerlaw", "threshold_power_law")),
        Term("lif", "LIF rate"),
    )
}

# Names of variants that are not units of their own (no colour of their own either): a fitted
# unit is shown by what it was fitted to.
VARIANT_LABELS: dict[str, str] = {"bio_softplus": "softplus fitted to the cells"}

_ALIASES: dict[str, str] = {alias: t.key for t in TERMS.values() for alias in (t.key, *t.aliases)}


def canonical(name: str) -> str:
    """The canonical key of ``name`` (a key or an alias, case- and dash-insensitive).

    Names that are not in the table come back unchanged (lower-cased), so a user's own
    registered activation or family keeps its name.

    Examples
    --------
    >>> canonical("rectifier"), canonical("Logistic"), canonical("soft-lif")
    ('relu', 'sigmoid', 'soft_lif')
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'relu'; got {type(name).__name__}")
    norm = name.strip().lower().replace("-", "_")
    return _ALIASES.get(norm, norm)


def label(name: str) -> str:
    """The display label of ``name`` for figures and reports (the name itself if unknown).

    Examples
    --------
    >>> label("rectifier"), label("bio_softplus"), label("my_unit")
    ('rectifier (ReLU)', 'softplus fitted to the cells', 'my_unit')
    """
    key = canonical(name)
    if key in TERMS:
        return TERMS[key].label
    return VARIANT_LABELS.get(key, name)
