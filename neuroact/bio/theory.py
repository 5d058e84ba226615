"""Analytic oracles of the leaky integrate-and-fire neuron: deterministic, noisy, in a network.

Public API
----------
``lif_rate(current, *, model, R_m, tau_m, E_L, V_reset, V_th, t_ref)``
    Firing rate of the deterministic LIF driven by a constant current.
``siegert_rate(mu, sigma, *, model, tau_m, E_L, V_reset, V_th, t_ref)``
    Mean firing rate of the LIF driven by white noise (diffusion approximation).
``mean_field_rate(cfg)``
    Self-consistent rate of a Brunel (2000) network (:class:`~neuroact.bio.network.BrunelConfig`)
    in the diffusion approximation.

The first two are vectorised over their first arguments (``siegert_rate`` broadcasts ``mu``
against ``sigma``).

Units and parameters
--------------------
Every argument accepts a Brian2 quantity (``2*nA``, ``10*ms``) or a plain float in SI units
(ampere, ohm, second, volt), checked by :func:`neuroact.bio.units.to_si`: a wrong dimension
raises ``TypeError``, NaN or inf ``ValueError``, naming the argument. The result is a plain
numpy float array of rates in Hz (the broadcast shape of the input), which is what tables
store (``rate_Hz``) and what the comparison layer fits.

The LIF parameters are read from ``model`` (default: the registry's ``"lif"``, Dayan & Abbott
2001 ch. 5: E_L = V_reset = -65 mV, V_th = -50 mV, tau_m = 10 ms, R_m = 10 MOhm, t_ref = 2 ms,
threshold current (V_th - E_L) / R_m = 1.5 nA), so the oracle and the simulation use one set of
numbers; a keyword overrides one of them and is checked by the model's own rules (tau_m > 0,
V_reset below V_th, ...).

See Also
--------
neuroact.bio.neurons : the simulated models (``"lif"``, ``"noisy_lif"``).
neuroact.bio.fi.fi_curve : the simulated f-I curve these oracles check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from brian2 import Quantity, mV
from brian2.units.fundamentalunits import get_dimensions
from scipy import integrate, optimize, special

from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.units import check_number, to_si

if TYPE_CHECKING:  # the network module builds on this one; only the type is needed here
    from neuroact.bio.network import BrunelConfig

__all__ = ["LIF_PARAMETERS", "lif_parameters", "lif_rate", "mean_field_rate", "siegert_rate"]

LIF_PARAMETERS = ("R_m", "tau_m", "E_L", "V_reset", "V_th", "t_ref")


def lif_parameters(model: str | NeuronModel = "lif", **overrides: Any) -> dict[str, float]:
    """The LIF parameters of ``model`` in SI units, with ``overrides`` (None: keep the model's).

    Overrides are quantities or SI floats; they are applied with
    :meth:`NeuronModel.with_params`, so an impossible value (tau_m <= 0, V_th not above
    V_reset, ...) raises the model's one-line ``ValueError``.
    """
    model = get_model(model)
    missing = [k for k in LIF_PARAMETERS if k not in model.params]
    if missing:
        raise ValueError(
            f"model must be a leaky integrate-and-fire model with parameters {LIF_PARAMETERS}; "
            f"model {model.name!r} lacks {missing}"
        )
    given = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in LIF_PARAMETERS:
            raise TypeError(f"unknown LIF parameter {key!r}; expected one of {LIF_PARAMETERS}")
        like = model.params[key]
        si = to_si(value, like, key, plain_si=True)
        given[key] = Quantity(si, dim=get_dimensions(like))
    if given:
        model = model.with_params(**given)
    return {key: float(model.params[key]) for key in LIF_PARAMETERS}


def _lif_rate_si(drive: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """The LIF rate (Hz) for ``drive = R_m I`` in volts (an array), parameters in SI."""
    above = drive > p["V_th"] - p["E_L"]
    rate = np.zeros(np.shape(drive))
    d = np.where(above, drive, np.inf)  # avoid log of negatives where there is no firing
    with np.errstate(divide="ignore", invalid="ignore"):
        climb = p["tau_m"] * np.log((d + p["E_L"] - p["V_reset"]) / (d + p["E_L"] - p["V_th"]))
    rate[above] = 1.0 / (p["t_ref"] + climb[above])
    return rate


def lif_rate(
    current: Any,
    *,
    model: str | NeuronModel = "lif",
    R_m: Any = None,
    tau_m: Any = None,
    E_L: Any = None,
    V_reset: Any = None,
    V_th: Any = None,
    t_ref: Any = None,
) -> np.ndarray:
    """Firing rate (Hz) of the deterministic leaky integrate-and-fire neuron.

    ``tau_m dV/dt = -(V - E_L) + R_m I``; a spike when V reaches V_th, then V = V_reset, held for
    t_ref. For constant I the interval is the time to climb from V_reset to V_th plus t_ref
    (Dayan & Abbott 2001, eq. 5.11 with a refractory period)::

        r = 1 / (t_ref + tau_m ln((R_m I + E_L - V_reset) / (R_m I + E_L - V_th)))
            if R_m I > V_th - E_L, else 0.

    Parameters
    ----------
    current : input current (Brian2 quantity in amp, or float array in A); finite.
    model : the LIF-type model whose parameters are used (name or ``NeuronModel``).
    R_m, tau_m, E_L, V_reset, V_th, t_ref : overrides of the model's parameters (quantities or
        SI floats); None keeps the model's.

    Returns
    -------
    numpy.ndarray
        Rates in Hz, the shape of ``current``.

    See Also
    --------
    siegert_rate : the same neuron with white-noise input.
    """
    p = lif_parameters(
        model, R_m=R_m, tau_m=tau_m, E_L=E_L, V_reset=V_reset, V_th=V_th, t_ref=t_ref
    )
    current_a = to_si(current, "amp", "current", scalar=False, plain_si=True)
    return _lif_rate_si(p["R_m"] * current_a, p)


def _siegert_integral(lower: float, upper: float) -> float:
    """``integral_lower^upper erfcx(-s) ds`` (= exp(s^2)(1 + erf(s))), robust to large bounds."""
    if upper > 26.0:  # exp(s^2) overflows the float range: the rate is zero to double precision
        return np.inf
    # erfcx(-s) decays like 1/(sqrt(pi)|s|) for s -> -inf, so any finite range is well behaved.
    value, _ = integrate.quad(lambda s: special.erfcx(-s), lower, upper, limit=200)
    return value


def _siegert_si(mu: float, sigma: float, p: dict[str, float]) -> float:
    """The Siegert rate (Hz) for one ``mu``, ``sigma`` in volts, parameters in SI."""
    if sigma == 0.0:
        return float(_lif_rate_si(np.asarray(mu), p))
    lower = (p["V_reset"] - p["E_L"] - mu) / sigma
    upper = (p["V_th"] - p["E_L"] - mu) / sigma
    integral = _siegert_integral(lower, upper)
    return 1.0 / (p["t_ref"] + p["tau_m"] * np.sqrt(np.pi) * integral)


def siegert_rate(
    mu: Any,
    sigma: Any,
    *,
    model: str | NeuronModel = "lif",
    tau_m: Any = None,
    E_L: Any = None,
    V_reset: Any = None,
    V_th: Any = None,
    t_ref: Any = None,
) -> np.ndarray:
    """Mean firing rate (Hz) of the leaky integrate-and-fire neuron with white-noise input.

    The diffusion LIF ``tau_m dV/dt = -(V - E_L) + mu + sigma sqrt(tau_m) xi(t)`` (xi unit white
    noise), threshold V_th, reset V_reset, refractory t_ref, has the Siegert (1951) rate
    (Brunel 2000, eq. 21; Fourcaud & Brunel 2002)::

        1/r = t_ref + tau_m sqrt(pi) * integral_{y_r}^{y_th} erfcx(-s) ds,
        y_r = (V_reset - E_L - mu) / sigma,  y_th = (V_th - E_L - mu) / sigma,

    with ``erfcx(-s) = exp(s^2) (1 + erf(s))``. ``mu = R_m I`` is the mean drive in volts. For
    sigma = 0 it is the deterministic rate of :func:`lif_rate` (with R_m I = mu).

    A time-stepped simulation fires slightly less (the discrete-time threshold-crossing bias,
    an effective threshold shift of about 1.03 sigma sqrt(dt / tau_m); Brunel & Hakim 1999):
    about 1-2.5% at dt = 0.01 ms without the Brownian-bridge test of the ``noisy_lif`` model.

    Parameters
    ----------
    mu : mean drive (volts, quantity or SI float array); finite.
    sigma : noise amplitude (volts, quantity or float array, >= 0); broadcast against ``mu``.
    model, tau_m, E_L, V_reset, V_th, t_ref : the LIF parameters (see :func:`lif_rate`).

    Returns
    -------
    numpy.ndarray
        Rates in Hz, the broadcast shape of ``mu`` and ``sigma``.

    See Also
    --------
    lif_rate, mean_field_rate
    """
    p = lif_parameters(model, tau_m=tau_m, E_L=E_L, V_reset=V_reset, V_th=V_th, t_ref=t_ref)
    mu_v = to_si(mu, "volt", "mu", scalar=False, plain_si=True)
    sigma_v = to_si(sigma, "volt", "sigma", scalar=False, plain_si=True, nonnegative=True)
    mu_v, sigma_v = np.broadcast_arrays(mu_v, sigma_v)
    rate = np.zeros(mu_v.shape)
    for idx in np.ndindex(mu_v.shape):
        rate[idx] = _siegert_si(float(mu_v[idx]), float(sigma_v[idx]), p)
    return rate


def mean_field_rate(cfg: BrunelConfig, *, max_rate_hz: float = 500.0) -> float:
    """Self-consistent stationary rate (Hz) of a Brunel network in the diffusion approximation.

    Brunel (2000), eqs. 4-5 and 21: solve ``nu = phi(mu(nu), sigma(nu))`` with the Siegert rate
    ``phi`` (:func:`siegert_rate`, membrane potential measured from rest) and

        mu = C_E J tau (nu_ext + nu (1 - g gamma)),
        sigma^2 = C_E J^2 tau (nu_ext + nu (1 + g^2 gamma)),   gamma = C_I / C_E,

    for the homogeneous network (heterogeneity ignored). The lowest root is returned (bisection
    on ``phi(nu) - nu``); the simulated rate is usually a little lower (finite J and dt, delays).

    Parameters
    ----------
    cfg : :class:`neuroact.bio.network.BrunelConfig`.
    max_rate_hz : upper end of the search for a root (> 0).

    Returns
    -------
    float
        The rate in Hz; 0 when the network is silent, NaN when no root lies below
        ``max_rate_hz``.
    """
    max_rate_hz = check_number("max_rate_hz", max_rate_hz, positive=True)
    # Brunel's potentials are measured from rest (E_L = 0); R_m is not used
    p = lif_parameters(
        tau_m=cfg.tau, E_L=0 * mV, V_reset=cfg.v_reset, V_th=cfg.theta, t_ref=cfg.t_ref
    )
    J, tau = float(cfg.J_eff), float(cfg.tau)
    ce, gamma = cfg.c_exc, cfg.c_inh / cfg.c_exc
    nu_ext = float(cfg.nu_ext)

    def excess(nu: float) -> float:
        mu = ce * J * tau * (nu_ext + nu * (1 - cfg.g * gamma))
        sigma = np.sqrt(ce * J**2 * tau * (nu_ext + nu * (1 + cfg.g**2 * gamma)))
        return _siegert_si(float(mu), float(sigma), p) - nu

    if excess(0.0) <= 0:
        return 0.0
    grid = np.geomspace(1e-9, max_rate_hz, 120)
    vals = [excess(x) for x in grid]
    if vals[0] <= 0:
        return float(optimize.brentq(excess, 0.0, grid[0]))
    for lo, hi, flo, fhi in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if flo > 0 >= fhi:
            return float(optimize.brentq(excess, lo, hi, xtol=1e-6))
    return float("nan")
