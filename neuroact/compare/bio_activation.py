"""Activation functions built from fitted f-I curves (PyTorch), for training the ANNs with them.

Two units, both registered into the ann activation registry by :func:`register_bio_activations`:

``soft_lif`` -- the LIF rate curve, smoothed as in Hunsberger & Eliasmith (2015, "Spiking deep
networks with LIF neurons", arXiv:1510.08829). The LIF rate for input current j in units of the
threshold current (j = I / I_th) is::

    r(j) = 1 / (t_ref + tau * ln(1 + 1 / (j - 1)))   for j > 1, else 0,

(the ``lif`` family of :mod:`neuroact.compare.curves` rewritten: ln(I/(I - I_th)) =
ln(1 + 1/(j - 1))). Its slope is infinite at threshold, which stops gradient descent;
Hunsberger & Eliasmith replace max(j - 1, 0) by the smooth
rho(j - 1) = gamma ln(1 + e^{(j-1)/gamma})::

    r_soft(j) = 1 / (t_ref + tau * ln(1 + 1 / rho(j - 1))).

The network's pre-activation x is the current above threshold in units of I_th (j = 1 + x, so
the threshold sits at x = 0 like ReLU's), and the output is divided by the unsmoothed rate at
twice threshold, r(2) = 1 / (t_ref + tau ln 2), so that f(1) ~ 1 as for ReLU. The shape is set by
t_ref / tau (saturation at (t_ref + tau ln 2) / t_ref) and the smoothing gamma; tau and t_ref
come from a fit of the ``lif`` family to a simulated or measured f-I curve.

``bio_softplus`` -- the softplus family fitted to an f-I curve,
r = (g / beta) ln(1 + exp(beta (I - theta))). With I = theta + x * I_scale (x in units of
``I_scale``, by default the fitted threshold theta) and the output divided by g * I_scale, it is
f(x) = ln(1 + exp(b x)) / b with sharpness b = beta * I_scale: the biological curve fixes how
sharp the rectifier's corner is.

``ln(rho)`` is evaluated as ``x/gamma + ln(gamma)`` far below threshold, so neither the value nor
the gradient underflows (rho would be 0 in float32 below about -87 gamma).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "SoftLIF",
    "BioSoftplus",
    "soft_lif_params",
    "softplus_sharpness",
    "register_bio_activations",
]


def _positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return v


class SoftLIF(nn.Module):
    """Soft-LIF rate curve of Hunsberger & Eliasmith (2015), normalised (module docstring).

    Parameters
    ----------
    tau, t_ref
        Membrane time constant and refractory period (s; only their ratio sets the shape).
    gamma
        Smoothing of the threshold (in units of I_th); gamma -> 0 gives the LIF curve.
    normalise
        Divide by r(2) = 1 / (t_ref + tau ln 2) so that f(1) ~ 1 (else output in Hz).
    """

    def __init__(
        self, tau: float = 0.01, t_ref: float = 0.002, gamma: float = 0.05, normalise: bool = True
    ):
        super().__init__()
        self.tau = _positive("tau", tau)
        self.t_ref = float(t_ref)
        if not (math.isfinite(self.t_ref) and self.t_ref >= 0):
            raise ValueError(f"t_ref must be a finite number >= 0; got {t_ref!r}")
        self.gamma = _positive("gamma", gamma)
        self.normalise = bool(normalise)
        self.scale = (self.t_ref + self.tau * math.log(2.0)) if normalise else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x / self.gamma
        # ln(rho) with rho = gamma * softplus(z); softplus(z) ~ e^z far below threshold
        log_rho = math.log(self.gamma) + torch.where(
            z < -15.0, z, torch.log(F.softplus(torch.clamp(z, min=-15.0)))
        )
        # ln(1 + 1/rho) = softplus(-ln rho), stable for both tiny and huge rho
        period = self.t_ref + self.tau * F.softplus(-log_rho)
        return self.scale / period

    def extra_repr(self) -> str:
        return f"tau={self.tau:g}, t_ref={self.t_ref:g}, gamma={self.gamma:g}"


class BioSoftplus(nn.Module):
    """f(x) = ln(1 + exp(b x)) / b with a sharpness b from a fitted f-I curve (see module)."""

    def __init__(self, sharpness: float = 1.0):
        super().__init__()
        self.sharpness = _positive("sharpness", sharpness)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softplus(x, beta=self.sharpness, threshold=20.0)

    def extra_repr(self) -> str:
        return f"sharpness={self.sharpness:g}"


def _params_of(fit) -> Mapping[str, float]:
    params = getattr(fit, "params", fit)
    if not isinstance(params, Mapping):
        raise TypeError(f"fit must be a FitResult or a mapping of parameters; got {fit!r}")
    if getattr(fit, "success", True) is False:
        raise ValueError(f"cannot build an activation from a failed fit: {fit.message}")
    return params


def soft_lif_params(lif_fit, gamma: float = 0.05) -> dict[str, float]:
    """``SoftLIF`` keyword parameters from a ``lif``-family fit (FitResult or dict)."""
    p = _params_of(lif_fit)
    return {"tau": float(p["tau"]), "t_ref": float(p["t_ref"]), "gamma": float(gamma)}


def softplus_sharpness(softplus_fit, current_scale: float | None = None) -> float:
    """Sharpness b = beta * I_scale of a ``softplus``-family fit (I_scale default: |theta|)."""
    p = _params_of(softplus_fit)
    scale = abs(float(p["theta"])) if current_scale is None else float(current_scale)
    return _positive("beta * current_scale", float(p["beta"]) * _positive("current_scale", scale))


def register_bio_activations(
    lif_fit=None,
    softplus_fit=None,
    *,
    gamma: float = 0.05,
    current_scale: float | None = None,
    overwrite: bool = True,
) -> list[str]:
    """Register ``soft_lif`` and/or ``bio_softplus`` in the ann registry with fitted defaults.

    Their factories take the fitted values as defaults, so ``make_activation("soft_lif")``
    builds the fitted unit and ``make_activation("soft_lif", gamma=0.1)`` overrides one.
    Returns the names registered.
    """
    from neuroact.ann.activations import register_activation

    names = []
    if lif_fit is not None:
        defaults = soft_lif_params(lif_fit, gamma)

        def soft_lif_factory(**params) -> nn.Module:
            return SoftLIF(**(defaults | params))

        register_activation(
            "soft_lif",
            soft_lif_factory,
            exact_zeros=False,
            description=(
                "soft-LIF (Hunsberger & Eliasmith 2015) from a fitted LIF f-I curve: "
                f"tau={defaults['tau']:.4g} s, t_ref={defaults['t_ref']:.4g} s, gamma={gamma:g}"
            ),
            overwrite=overwrite,
        )
        names.append("soft_lif")
    if softplus_fit is not None:
        b = softplus_sharpness(softplus_fit, current_scale)

        def bio_softplus_factory(sharpness: float = b) -> nn.Module:
            return BioSoftplus(sharpness)

        register_activation(
            "bio_softplus",
            bio_softplus_factory,
            exact_zeros=False,
            description=f"softplus with the sharpness of a fitted f-I curve: b={b:.4g}",
            overwrite=overwrite,
        )
        names.append("bio_softplus")
    return names
