"""Analytic oracles for the leaky integrate-and-fire neuron: the deterministic rate and Siegert.

Public API
----------
``lif_rate(current, *, R_m, tau_m, E_L, V_reset, V_th, t_ref)``
    Firing rate of the deterministic LIF driven by a constant current.
``siegert_rate(mu, sigma, *, tau_m, E_L, V_reset, V_th, t_ref)``
    Mean firing rate of the LIF driven by white noise (diffusion approximation).

Both are vectorised over their first arguments (and broadcast ``mu`` against ``sigma``).

Units
-----
Every argument accepts either a Brian2 quantity (``2*nA``, ``10*ms``) or a plain float in SI
units (ampere, ohm, second, volt). Quantities are checked: a wrong dimension raises
``TypeError`` naming the argument. The result is always a plain ``numpy`` float array of rates
in Hz (same shape as the broadcast input), which is what tables store (``rate_Hz``) and what the
comparison layer fits. Defaults are Dayan & Abbott's (2001, ch. 5) parameters:
E_L = V_reset = -65 mV, V_th = -50 mV, tau_m = 10 ms, R_m = 10 MOhm, t_ref = 2 ms
(threshold current (V_th - E_L) / R_m = 1.5 nA).
"""

from __future__ import annotations

import numpy as np
from brian2 import Quantity, amp, ms, mV, ohm, second, volt
from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions
from scipy import integrate, special

__all__ = ["lif_rate", "siegert_rate", "as_si"]

_DEFAULTS = {
    "R_m": 10e6 * ohm,
    "tau_m": 10 * ms,
    "E_L": -65 * mV,
    "V_reset": -65 * mV,
    "V_th": -50 * mV,
    "t_ref": 2 * ms,
}


def as_si(value, unit: Quantity, name: str) -> np.ndarray:
    """``value`` as a float array in the SI unit of ``unit``, checking its dimensions.

    Plain numbers are taken to be SI already; quantities must have ``unit``'s dimensions.
    """
    if isinstance(value, Quantity):
        dim = get_dimensions(value)
        if dim is DIMENSIONLESS and get_dimensions(unit) is not DIMENSIONLESS:
            return np.asarray(value, dtype=float)
        if dim != get_dimensions(unit):
            raise TypeError(
                f"{name} must be in units of {unit!r} (dimensions {get_dimensions(unit)}); "
                f"got {value!r}"
            )
        return np.asarray(value, dtype=float)  # quantities store SI values
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a number, an array or a Brian2 quantity; got {value!r}"
        ) from err


def _params(overrides: dict) -> dict[str, float]:
    units = {
        "R_m": ohm,
        "tau_m": second,
        "E_L": volt,
        "V_reset": volt,
        "V_th": volt,
        "t_ref": second,
    }
    out = {}
    for key, default in _DEFAULTS.items():
        value = overrides.get(key)
        out[key] = float(as_si(default if value is None else value, units[key], key))
    if out["tau_m"] <= 0:
        raise ValueError(f"tau_m must be positive; got {out['tau_m']} s")
    if out["t_ref"] < 0:
        raise ValueError(f"t_ref must be >= 0; got {out['t_ref']} s")
    if out["V_th"] <= out["V_reset"]:
        raise ValueError(
            f"V_th must lie above V_reset; got V_th={out['V_th']}, V_reset={out['V_reset']}"
        )
    return out


def lif_rate(
    current,
    *,
    R_m=None,
    tau_m=None,
    E_L=None,
    V_reset=None,
    V_th=None,
    t_ref=None,
) -> np.ndarray:
    """Firing rate (Hz) of the deterministic leaky integrate-and-fire neuron.

    ``tau_m dV/dt = -(V - E_L) + R_m I``; a spike when V reaches V_th, then V = V_reset, held for
    t_ref. For constant I the interval is the time to climb from V_reset to V_th plus t_ref
    (Dayan & Abbott 2001, eq. 5.11 with a refractory period)::

        r = 1 / (t_ref + tau_m ln((R_m I + E_L - V_reset) / (R_m I + E_L - V_th)))
            if R_m I > V_th - E_L, else 0.

    Parameters
    ----------
    current : input current (Brian2 quantity in amp, or float array in A).
    R_m, tau_m, E_L, V_reset, V_th, t_ref : model parameters (quantities or SI floats);
        None uses Dayan & Abbott's values (module docstring).

    Returns
    -------
    Float array of rates in Hz, the shape of ``current``.
    """
    p = _params(
        {"R_m": R_m, "tau_m": tau_m, "E_L": E_L, "V_reset": V_reset, "V_th": V_th, "t_ref": t_ref}
    )
    drive = p["R_m"] * as_si(current, amp, "current")  # volts above E_L at steady state
    above = drive > p["V_th"] - p["E_L"]
    rate = np.zeros(np.shape(drive))
    d = np.where(above, drive, np.inf)  # avoid log of negatives where there is no firing
    with np.errstate(divide="ignore", invalid="ignore"):
        climb = p["tau_m"] * np.log((d + p["E_L"] - p["V_reset"]) / (d + p["E_L"] - p["V_th"]))
        climb = np.where(np.isfinite(d), climb, 0.0)  # infinite drive: the climb takes no time
    rate[above] = 1.0 / (p["t_ref"] + climb[above])
    return rate


def _siegert_integral(lower: float, upper: float) -> float:
    """``integral_lower^upper erfcx(-s) ds`` (= exp(s^2)(1 + erf(s))), robust to large bounds."""
    if upper > 26.0:  # exp(s^2) overflows the float range: the rate is zero to double precision
        return np.inf
    # erfcx(-s) decays like 1/(sqrt(pi)|s|) for s -> -inf, so any finite range is well behaved.
    value, _ = integrate.quad(lambda s: special.erfcx(-s), lower, upper, limit=200)
    return value


def siegert_rate(
    mu,
    sigma,
    *,
    tau_m=None,
    E_L=None,
    V_reset=None,
    V_th=None,
    t_ref=None,
) -> np.ndarray:
    """Mean firing rate (Hz) of the leaky integrate-and-fire neuron with white-noise input.

    The diffusion LIF ``tau_m dV/dt = -(V - E_L) + mu + sigma sqrt(tau_m) xi(t)`` (xi unit white
    noise), threshold V_th, reset V_reset, refractory t_ref, has the Siegert (1951) rate
    (Brunel 2000, eq. 21; Fourcaud & Brunel 2002)::

        1/r = t_ref + tau_m sqrt(pi) * integral_{y_r}^{y_th} erfcx(-s) ds,
        y_r = (V_reset - E_L - mu) / sigma,  y_th = (V_th - E_L - mu) / sigma,

    with ``erfcx(-s) = exp(s^2) (1 + erf(s))``. ``mu = R_m I`` is the mean drive in volts. For
    sigma = 0 it reduces to :func:`lif_rate` (with R_m I = mu), which is used there.

    A time-stepped simulation fires slightly less (the discrete-time threshold-crossing bias,
    an effective threshold shift of about 1.03 sigma sqrt(dt / tau_m); Brunel & Hakim 1999):
    about 1-2.5% at dt = 0.01 ms.

    Parameters
    ----------
    mu : mean drive (volts, quantity or SI float array).
    sigma : noise amplitude (volts, quantity or float array, >= 0); broadcast against ``mu``.
    tau_m, E_L, V_reset, V_th, t_ref : LIF parameters (see :func:`lif_rate`).

    Returns
    -------
    Float array of rates in Hz, the broadcast shape of ``mu`` and ``sigma``.
    """
    p = _params({"tau_m": tau_m, "E_L": E_L, "V_reset": V_reset, "V_th": V_th, "t_ref": t_ref})
    mu_v, sigma_v = np.broadcast_arrays(as_si(mu, volt, "mu"), as_si(sigma, volt, "sigma"))
    if np.any(sigma_v < 0) or np.any(~np.isfinite(sigma_v)):
        raise ValueError(f"sigma must be finite and >= 0; got {sigma!r}")
    rate = np.zeros(mu_v.shape)
    for idx in np.ndindex(mu_v.shape):
        m, s = float(mu_v[idx]), float(sigma_v[idx])
        if s == 0.0:
            rate[idx] = lif_rate(
                m,
                R_m=1.0,
                tau_m=p["tau_m"],
                E_L=p["E_L"],
                V_reset=p["V_reset"],
                V_th=p["V_th"],
                t_ref=p["t_ref"],
            )
            continue
        lower = (p["V_reset"] - p["E_L"] - m) / s
        upper = (p["V_th"] - p["E_L"] - m) / s
        integral = _siegert_integral(lower, upper)
        rate[idx] = 1.0 / (p["t_ref"] + p["tau_m"] * np.sqrt(np.pi) * integral)
    return rate
