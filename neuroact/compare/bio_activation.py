"""Activation units shaped by a fitted f-I curve: their parameters, from curve fits.

The units themselves are built-in activations of :mod:`neuroact.ann.activations`; this module
turns a fit of :mod:`neuroact.compare.fit` into the ``activation`` and ``activation_params`` of
a :class:`~neuroact.ann.train.TrainConfig`, so that a network with a biological unit is built in
any process from its configuration alone::

    fit = fit_curve(current_nA, rate_Hz, "lif")
    config = TrainConfig(**soft_lif_activation(fit), dataset="mnist-subset")

soft-LIF (Hunsberger & Eliasmith 2015)
    The ``lif`` family r = 1 / (t_ref + tau ln(I / (I - I_th))) rewritten for the input
    j = I / I_th: r(j) = 1 / (t_ref + tau ln(1 + 1 / (j - 1))), with the threshold smoothed
    (:class:`neuroact.ann.activations.SoftLIF`). The fitted ``tau`` and ``t_ref`` set the
    curve's shape (only their ratio matters after normalisation), ``gamma`` the smoothing.
softplus with a biological corner
    The ``softplus`` family r = (g / beta) ln(1 + exp(beta (I - theta))). With
    I = theta + x I_scale (x in units of ``I_scale``, by default the fitted threshold theta) and
    the output divided by g I_scale it is the ann ``softplus`` unit
    f(x) = ln(1 + exp(b x)) / b with sharpness b = beta I_scale: the biological curve fixes how
    sharp the rectifier's corner is.

References
----------
Hunsberger E, Eliasmith C (2015) Spiking deep networks with LIF neurons. arXiv:1510.08829.

See Also
--------
neuroact.ann.activations.SoftLIF : the soft-LIF unit.
neuroact.compare.curves : the ``lif`` and ``softplus`` families.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = [
    "soft_lif_params",
    "softplus_sharpness",
    "soft_lif_activation",
    "softplus_activation",
]


def _positive(name: str, value) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return v


def _params_of(fit, needed: tuple[str, ...]) -> Mapping[str, float]:
    """The parameter mapping of a FitResult (or of a plain mapping), checked for ``needed``."""
    if getattr(fit, "success", True) is False:
        raise ValueError(f"fit is a failed fit and has no usable parameters: {fit.message}")
    params = getattr(fit, "params", fit)
    if not isinstance(params, Mapping):
        raise TypeError(f"fit must be a FitResult or a mapping of parameters; got {fit!r}")
    missing = [p for p in needed if p not in params]
    if missing:
        raise ValueError(f"fit lacks the parameters {missing}; got {sorted(params)}")
    return params


def soft_lif_params(lif_fit, gamma: float = 0.05) -> dict[str, float]:
    """``SoftLIF`` parameters ``tau``, ``t_ref`` (s) and ``gamma`` from a ``lif``-family fit.

    Parameters
    ----------
    lif_fit
        A :class:`~neuroact.compare.fit.FitResult` of the ``lif`` family, or a mapping with
        ``tau`` and ``t_ref`` in seconds.
    gamma
        Smoothing of the threshold, in units of the threshold current.

    See Also
    --------
    soft_lif_activation : the same as ``TrainConfig`` fields.
    """
    p = _params_of(lif_fit, ("tau", "t_ref"))
    return {
        "tau": _positive("tau", p["tau"]),
        "t_ref": float(p["t_ref"]),
        "gamma": _positive("gamma", gamma),
    }


def softplus_sharpness(softplus_fit, current_scale: float | None = None) -> float:
    """Sharpness b = beta * I_scale of a ``softplus``-family fit (module docstring).

    Parameters
    ----------
    softplus_fit
        A :class:`~neuroact.compare.fit.FitResult` of the ``softplus`` family, or a mapping
        with ``beta`` and (unless ``current_scale`` is given) ``theta``.
    current_scale
        I_scale, the current that one unit of the network's input stands for, in the fit's
        current unit (default: the fitted threshold ``|theta|``).
    """
    p = _params_of(softplus_fit, ("beta",) if current_scale is not None else ("beta", "theta"))
    scale = abs(float(p["theta"])) if current_scale is None else current_scale
    return _positive("beta * current_scale", float(p["beta"]) * _positive("current_scale", scale))


def soft_lif_activation(lif_fit, gamma: float = 0.05) -> dict:
    """``{"activation": "soft_lif", "activation_params": {...}}`` from a ``lif``-family fit.

    Unpack it into :class:`~neuroact.ann.train.TrainConfig` (``TrainConfig(**unit, ...)``);
    ``make_activation(unit["activation"], **unit["activation_params"])`` builds the module.
    """
    return {"activation": "soft_lif", "activation_params": soft_lif_params(lif_fit, gamma)}


def softplus_activation(softplus_fit, current_scale: float | None = None) -> dict:
    """``{"activation": "softplus", "activation_params": {"beta": b}}`` from a softplus fit.

    ``b`` is :func:`softplus_sharpness`: the ann softplus unit with the fitted curve's corner.
    """
    b = softplus_sharpness(softplus_fit, current_scale)
    return {"activation": "softplus", "activation_params": {"beta": b}}
