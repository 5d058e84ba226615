"""One way to check parameters and to move physical quantities between the API and the tables.

The biological API takes Brian2 quantities (``2*nA``, ``10*ms``); tables, configs and job
parameters hold plain floats in the unit named by the key's suffix (``duration_s``, ``dt_ms``,
``sigma_mV``, ``rate_Hz``), as DESIGN.md asks. This module is the only place where a value
crosses between the two, and the only place that checks a parameter's type and range:

``to_si(value, unit, name, ...)``
    Check that ``value`` has the dimensions of ``unit`` (and is finite, positive, ...) and
    return its magnitude in SI units (a float, or an array with ``scalar=False``).
``from_column(key, value)`` / ``from_columns(mapping)``
    ``("dt_ms", 0.025)`` -> ``("dt", 0.025*ms)``: a plain number named with its unit becomes a
    quantity.
``to_column(key, quantity)``
    The inverse: ``to_column("dt_ms", 0.025*ms)`` -> ``0.025`` (the dimensions are checked).
``check_number``, ``check_count``, ``check_choice``
    Dimensionless parameters: a finite number in a range, an integer count, one of a set.

Every check raises ``TypeError`` (wrong type or dimensions) or ``ValueError`` (wrong value)
with one line naming the parameter, the value given and what is expected.

Brian2 is imported on the first quantity check rather than with this module: it takes about
2 s to import, and the spike-train measures (:mod:`neuroact.bio.activity`) work without it.

See Also
--------
brian2.units.fundamentalunits.check_units : Brian2's decorator, for dimensions only.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

__all__ = [
    "COLUMN_UNITS",
    "check_choice",
    "check_count",
    "check_number",
    "from_column",
    "from_columns",
    "show",
    "to_column",
    "to_si",
]

# Unit suffixes of table columns and plain-number parameters, and the Brian2 unit each names.
COLUMN_UNITS: Mapping[str, str] = {
    "s": "second",
    "ms": "ms",
    "us": "us",
    "mV": "mV",
    "V": "volt",
    "nA": "nA",
    "pA": "pA",
    "Hz": "Hz",
}


def _brian2():
    # Imported here, not at the top: Brian2 is heavy (about 2 s) and unused by the numpy-only
    # callers; by the time a quantity is checked the caller has imported Brian2 anyway.
    import brian2

    return brian2


def show(value: Any) -> str:
    """``value`` as error messages write it: a quantity with its unit (``-10. ms``), other
    values as Python writes them (``'gpu'``, ``nan``)."""
    return str(value) if getattr(value, "dim", None) is not None else repr(value)


def _range_error(name: str, value: Any, positive: bool, nonnegative: bool, v: Any) -> None:
    if positive and np.any(v <= 0):
        raise ValueError(f"{name} must be > 0; got {show(value)}")
    if nonnegative and np.any(v < 0):
        raise ValueError(f"{name} must be >= 0; got {show(value)}")


def check_number(
    name: str,
    value: Any,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    upper: float | None = None,
) -> float:
    """``value`` as a finite float, checked to be > 0, >= 0 or <= ``upper`` on request.

    Examples
    --------
    >>> check_number("g", 5)
    5.0
    """
    if isinstance(value, bool) or getattr(value, "dim", None) is not None:
        raise TypeError(f"{name} must be a plain number; got {show(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number; got {show(value)}") from exc
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {show(value)}")
    _range_error(name, value, positive, nonnegative, v)
    if upper is not None and v > upper:
        raise ValueError(f"{name} must be <= {upper:g}; got {show(value)}")
    return v


def check_count(name: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int, checked to be an integer (not a bool or a float) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {show(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {show(value)}")
    return int(value)


def check_choice(name: str, value: Any, choices: Collection[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {show(value)}")
    return value


def to_si(
    value: Any,
    unit: Any,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    scalar: bool = True,
    plain_si: bool = False,
) -> Any:
    """Check ``value`` against ``unit`` and return its magnitude in SI units.

    Parameters
    ----------
    value : a Brian2 quantity (or, with ``plain_si``, a number or array already in SI units).
    unit : a Brian2 unit or quantity with the expected dimensions (``ms``, ``nA``,
        ``uA/cm**2``, a model's parameter), or its name in Brian2 (``"second"``, ``"Hz"``).
        A plain number as ``unit`` expects a dimensionless value.
    name : the parameter's name, for the error message.
    positive, nonnegative : also require every element to be > 0 or >= 0.
    scalar : require one value (returns a float); ``False`` allows arrays (returns an array).
    plain_si : accept plain numbers as SI magnitudes (the analytic oracles do).

    Returns
    -------
    float or numpy.ndarray
        The SI magnitude (quantities store SI values: ``float(2*ms) == 0.002``).

    Raises
    ------
    TypeError
        ``value`` is not a quantity (and not allowed plain), or has other dimensions.
    ValueError
        ``value`` is not finite, not one value where one is expected, or out of range.
    """
    b2 = _brian2()
    unit = getattr(b2, unit) if isinstance(unit, str) else unit
    expected = b2.get_dimensions(unit)
    plain = expected is b2.units.fundamentalunits.DIMENSIONLESS
    if plain:
        unit_name, example = "no unit", "a plain number"
    elif isinstance(unit, b2.Unit):
        unit_name, example = str(unit), f"e.g. 2*{unit!s}"
    else:  # a value such as a model's parameter: name its SI unit, show the value as example
        unit_name, example = str(b2.get_unit(expected)), f"like {unit!s}"
    is_quantity = isinstance(value, b2.Quantity)
    if not is_quantity and not (plain_si or plain):
        raise TypeError(
            f"{name} must be a Brian2 quantity in {unit_name} ({example}); got {show(value)}"
        )
    if is_quantity and b2.get_dimensions(value) != expected:
        raise TypeError(f"{name} must be in {unit_name} ({example}); got {show(value)}")
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number or array of numbers; got {show(value)}") from exc
    if scalar and v.ndim != 0:
        raise ValueError(f"{name} must be one value; got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no NaN or inf); got {show(value)}")
    _range_error(name, value, positive, nonnegative, v)
    return float(v) if scalar else v


def _split(key: str) -> tuple[str, Any]:
    """``"dt_ms"`` -> ``("dt", ms)``; ``ValueError`` for a key without a known unit suffix."""
    stem, _, suffix = key.rpartition("_")
    if not stem or suffix not in COLUMN_UNITS:
        raise ValueError(
            f"key must end in a unit suffix {tuple('_' + s for s in COLUMN_UNITS)}; got {key!r}"
        )
    return stem, getattr(_brian2(), COLUMN_UNITS[suffix])


def from_column(key: str, value: Any) -> tuple[str, Any]:
    """A plain number named with its unit, as ``(name, quantity)``.

    Examples
    --------
    >>> from_column("dt_ms", 0.025)
    ('dt', 25. * usecond)
    """
    stem, unit = _split(key)
    return stem, check_number(key, value) * unit


def from_columns(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every key that ends in a unit suffix turned into a quantity
    (``duration_s`` -> ``duration``); the other entries pass unchanged.

    Examples
    --------
    >>> from_columns({"dt_ms": 0.1, "n_exc": 200})
    {'dt': 100. * usecond, 'n_exc': 200}
    """
    out = {}
    for key, value in params.items():
        stem, _, suffix = key.rpartition("_")
        if stem and suffix in COLUMN_UNITS:
            stem, value = from_column(key, value)
            out[stem] = value
        else:
            out[key] = value
    return out


def to_column(key: str, value: Any) -> float:
    """A quantity as the plain float that the column ``key`` holds (``"dt_ms"`` -> in ms).

    Examples
    --------
    >>> from brian2 import ms
    >>> to_column("dt_ms", 0.025 * ms)
    0.025
    """
    stem, unit = _split(key)
    to_si(value, unit, stem)
    return float(np.asarray(value / unit))
