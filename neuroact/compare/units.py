"""Currents and rates as plain float arrays in a named unit, from arrays or Brian2 quantities.

The fits of :mod:`neuroact.compare.fit` work on float arrays: currents in a unit the caller
names (``"pA"``, ``"nA"``, or a current density such as ``"uA/cm2"`` for the Hodgkin-Huxley
model) and rates in Hz. A Brian2 quantity is checked for its dimensions and converted; Brian2
itself is imported only when one is given (it is slow to import).

See Also
--------
neuroact.compare.fit.fit_curve : takes currents and rates in either form.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CURRENT_UNITS", "CURRENT_DENSITY_UNITS", "as_current", "as_rate"]

# Current units understood for plain arrays, with their value in amperes (or A/m^2).
CURRENT_UNITS = {
    "A": 1.0,
    "mA": 1e-3,
    "uA": 1e-6,
    "nA": 1e-9,
    "pA": 1e-12,
    "fA": 1e-15,
}
CURRENT_DENSITY_UNITS = {
    "A/m2": 1.0,
    "uA/cm2": 1e-6 / 1e-4,
    "mA/cm2": 1e-3 / 1e-4,
    "nA/cm2": 1e-9 / 1e-4,
}


def _is_quantity(x) -> bool:
    # Detect Brian2 quantities without importing Brian2 (slow) for plain arrays.
    return type(x).__module__.split(".")[0] == "brian2" and hasattr(x, "dim")


def as_current(current, current_unit: str = "nA") -> np.ndarray:
    """``current`` as a float array in ``current_unit``.

    A Brian2 quantity must have the dimensions of a current (``nA``) or of a current density
    (``uA/cm2`` style units); it is converted. A plain array is taken to be in ``current_unit``.
    """
    if current_unit not in CURRENT_UNITS and current_unit not in CURRENT_DENSITY_UNITS:
        raise ValueError(
            f"current_unit must be one of {list(CURRENT_UNITS) + list(CURRENT_DENSITY_UNITS)}; "
            f"got {current_unit!r}"
        )
    if _is_quantity(current):
        from brian2 import amp, metre  # heavy: only for a Brian2 quantity
        from brian2.units.fundamentalunits import get_dimensions

        dims = get_dimensions(current)
        if current_unit in CURRENT_UNITS:
            if dims != get_dimensions(amp):
                raise TypeError(
                    f"current must have the dimensions of a current (amp) for "
                    f"current_unit={current_unit!r}; got a quantity with dimensions {dims}"
                )
            return np.asarray(current / amp, dtype=float).ravel() / CURRENT_UNITS[current_unit]
        if dims != get_dimensions(amp / metre**2):
            raise TypeError(
                f"current must have the dimensions of a current density (amp/metre**2) for "
                f"current_unit={current_unit!r}; got a quantity with dimensions {dims}"
            )
        si = np.asarray(current / (amp / metre**2), dtype=float).ravel()
        return si / CURRENT_DENSITY_UNITS[current_unit]
    try:
        return np.asarray(current, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"current must be numbers or a Brian2 quantity; got {current!r}") from exc


def as_rate(rate) -> np.ndarray:
    """``rate`` as a float array in Hz (a Brian2 quantity must have dimensions of Hz)."""
    if _is_quantity(rate):
        from brian2 import Hz  # heavy: only for a Brian2 quantity
        from brian2.units.fundamentalunits import get_dimensions

        if get_dimensions(rate) != get_dimensions(Hz):
            raise TypeError(
                f"rate must have the dimensions of a frequency (Hz); got {get_dimensions(rate)}"
            )
        return np.asarray(rate / Hz, dtype=float).ravel()
    try:
        return np.asarray(rate, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"rate must be numbers or a Brian2 quantity; got {rate!r}") from exc
