"""Activation families by name, and a registry for custom ones.

Built in (``x`` is the pre-activation)

=============  ==================================================  ============  ==========
name           formula                                             exact zeros   range
=============  ==================================================  ============  ==========
relu           ``max(0, x)`` (the rectifier of Glorot et al. 2011)  yes           [0, inf)
softplus       ``log(1 + exp(beta x)) / beta`` (beta = sharpness;   no            (0, inf)
               beta -> inf gives relu; Glorot et al. used beta = 1)
sigmoid        ``1 / (1 + exp(-x))``                                no            (0, 1)
tanh           ``tanh(x)``                                          no            (-1, 1)
leaky_relu     ``max(x, slope x)``, ``slope = 0.01`` by default     no            (-inf, inf)
soft_lif       smoothed LIF rate (:class:`SoftLIF`), ``tau``,      no            (0, r_sat)
               ``t_ref``, ``gamma``; Hunsberger & Eliasmith 2015
=============  ==================================================  ============  ==========

Each family has an :class:`ActivationSpec` that the probes read: whether silent units give exact
zeros (the "output view" of sparsity then uses ``eps = 0``) and, for saturating units, the
output bounds (a unit within ``saturation_tol`` of a bound counts as saturated, the measure of
Glorot & Bengio 2010).

Names go through :mod:`neuroact.vocabulary`: an alias finds its unit (``"rectifier"`` is
``relu``, ``"logistic"`` is ``sigmoid``) and a registered name is the canonical key.

Custom activations: register a factory under a new name. The factory is called with the
keyword parameters given to :func:`make_activation` (an ``activation_params`` dict in
:class:`~neuroact.ann.train.TrainConfig`) and must return an ``nn.Module`` applied
elementwise:

>>> from torch import nn
>>> spec = register_activation("sharp_softplus", lambda beta=10.0: nn.Softplus(beta=beta))
>>> make_activation("sharp_softplus", beta=20.0)
Softplus(beta=20.0, threshold=20.0)
>>> get_spec("rectifier").name, spec.exact_zeros
('relu', False)
>>> unregister_activation("sharp_softplus")

See Also
--------
neuroact.ann.models.MLP : builds a network from a registered name.
neuroact.ann.probes : reads ``exact_zeros`` and ``bounds`` of the spec.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from neuroact.vocabulary import TERMS, canonical

ActivationFactory = Callable[..., nn.Module]


@dataclass(frozen=True)
class ActivationSpec:
    """What the code needs to know about an activation family.

    Attributes
    ----------
    name : registry name.
    factory : ``factory(**params) -> nn.Module``.
    exact_zeros : True if inactive units output exactly 0 (rectifiers).
    bounds : ``(low, high)`` output bounds of a saturating unit, else None.
    saturation_tol : distance to a bound that counts as saturated (output units).
    description : one line, formula and source.
    """

    name: str
    factory: ActivationFactory
    exact_zeros: bool = False
    bounds: tuple[float, float] | None = None
    saturation_tol: float = 0.01
    description: str = ""

    def make(self, **params) -> nn.Module:
        try:
            module = self.factory(**params)
        except TypeError as exc:
            raise TypeError(
                f"activation {self.name!r} does not accept parameters {params}: {exc}"
            ) from exc
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"the factory of activation {self.name!r} returned {type(module).__name__}; "
                "expected a torch.nn.Module"
            )
        return module


_REGISTRY: dict[str, ActivationSpec] = {}


def _registry_key(name: str) -> str:
    """``name`` itself, or its canonical key when it is a vocabulary term or alias."""
    key = canonical(name)
    return key if key in TERMS else name


def register_activation(
    name: str,
    factory: ActivationFactory,
    *,
    exact_zeros: bool = False,
    bounds: tuple[float, float] | None = None,
    saturation_tol: float = 0.01,
    description: str = "",
    overwrite: bool = False,
) -> ActivationSpec:
    """Add an activation family under ``name`` (its canonical key if it is a known unit's
    alias); returns its spec.

    Raises ``ValueError`` if ``name`` exists (unless ``overwrite=True``) and ``TypeError`` if
    ``factory`` is not callable.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier such as 'soft_lif'; got {name!r}")
    if not callable(factory):
        raise TypeError(f"factory must be callable (returning an nn.Module); got {factory!r}")
    key = _registry_key(name)
    if key in _REGISTRY and not overwrite:
        raise ValueError(f"activation {key!r} is already registered; pass overwrite=True")
    if bounds is not None and not bounds[0] < bounds[1]:
        raise ValueError(f"bounds must be (low, high) with low < high; got {bounds}")
    spec = ActivationSpec(key, factory, exact_zeros, bounds, saturation_tol, description)
    _REGISTRY[key] = spec
    return spec


def unregister_activation(name: str) -> None:
    """Remove a (custom) activation from the registry."""
    del _REGISTRY[get_spec(name).name]


def activation_names() -> list[str]:
    """Names of all registered activation families."""
    return sorted(_REGISTRY)


def get_spec(name: str) -> ActivationSpec:
    """The spec of activation ``name`` (a registered name or a vocabulary alias of one); an
    unknown name lists the valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name such as 'relu'; got {name!r}")
    spec = _REGISTRY.get(name) or _REGISTRY.get(_registry_key(name))
    if spec is None:
        raise ValueError(f"activation must be one of {activation_names()}; got {name!r}")
    return spec


def make_activation(name: str, **params) -> nn.Module:
    """A new module of activation family ``name`` with ``params`` (e.g. ``beta`` for softplus)."""
    return get_spec(name).make(**params)


def _softplus(beta: float = 1.0) -> nn.Module:
    if not beta > 0:
        raise ValueError(f"softplus beta (sharpness) must be > 0; got {beta}")
    # threshold: PyTorch switches to the identity above beta*x > threshold (numerically exact).
    return nn.Softplus(beta=float(beta), threshold=20.0)


def _leaky_relu(negative_slope: float = 0.01) -> nn.Module:
    if not 0 <= negative_slope < 1:
        raise ValueError(f"leaky_relu negative_slope must be in [0, 1); got {negative_slope}")
    return nn.LeakyReLU(negative_slope=float(negative_slope))


register_activation(
    "relu", nn.ReLU, exact_zeros=True, description="max(0, x); Glorot, Bordes & Bengio 2011"
)
register_activation(
    "softplus", _softplus, description="log(1 + exp(beta x)) / beta; Dugas et al. 2001"
)
register_activation(
    "sigmoid", nn.Sigmoid, bounds=(0.0, 1.0), description="1 / (1 + exp(-x)), logistic"
)
register_activation("tanh", nn.Tanh, bounds=(-1.0, 1.0), description="tanh(x)")
register_activation(
    "leaky_relu", _leaky_relu, description="max(x, slope x); Maas, Hannun & Ng 2013"
)


# --- soft-LIF: the smoothed LIF rate curve as an activation -----------------------------------
# Kept as one block: the comparison layer fits its parameters to LIF f-I curves
# (neuroact.compare.bio_activation); the unit itself is an ordinary built-in activation, so a
# network with it is built in any process from TrainConfig(activation="soft_lif",
# activation_params={...}) alone.


class SoftLIF(nn.Module):
    """Soft-LIF rate curve of Hunsberger & Eliasmith (2015), normalised to f(1) ~ 1.

    The LIF rate for an input current j in units of the threshold current (j = I / I_th) is
    ``r(j) = 1 / (t_ref + tau ln(1 + 1 / (j - 1)))`` for j > 1, else 0 (Dayan & Abbott 2001,
    ch. 5, with V_reset = E_L). Its slope is infinite at threshold, which stops gradient
    descent; Hunsberger & Eliasmith replace max(j - 1, 0) by rho(j - 1) = gamma ln(1 +
    e^((j - 1) / gamma))::

        f(x) = (t_ref + tau ln 2) / (t_ref + tau ln(1 + 1 / rho(x)))

    with x = j - 1 the pre-activation (the current above threshold in units of I_th, so the
    threshold sits at x = 0 like ReLU's). The factor t_ref + tau ln 2 = 1 / r(2) makes f(1) ~ 1;
    the curve saturates at r_sat = (t_ref + tau ln 2) / t_ref. Only t_ref / tau and gamma set
    the shape.

    Parameters
    ----------
    tau, t_ref
        Membrane time constant and refractory period (s); defaults are Dayan & Abbott's LIF.
    gamma
        Smoothing of the threshold (in units of I_th); gamma -> 0 gives the LIF curve.
    normalise
        Divide by r(2) so that f(1) ~ 1 (else the output is the rate in Hz).

    References
    ----------
    Hunsberger E, Eliasmith C (2015) Spiking deep networks with LIF neurons.
    arXiv:1510.08829.

    See Also
    --------
    neuroact.compare.bio_activation.soft_lif_params : tau and t_ref from a fitted f-I curve.
    neuroact.compare.curves.lif : the LIF f-I family it smooths.
    """

    def __init__(
        self, tau: float = 0.01, t_ref: float = 0.002, gamma: float = 0.05, normalise: bool = True
    ):
        super().__init__()
        self.tau = _finite_number("tau", tau, minimum=0.0, strict=True)
        self.t_ref = _finite_number("t_ref", t_ref, minimum=0.0, strict=False)
        self.gamma = _finite_number("gamma", gamma, minimum=0.0, strict=True)
        self.normalise = bool(normalise)
        self.scale = (self.t_ref + self.tau * math.log(2.0)) if normalise else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x / self.gamma
        # ln(rho) with rho = gamma softplus(z); below z = -15 softplus(z) = e^z to float
        # precision, and taking z itself keeps value and gradient from underflowing to 0
        log_rho = math.log(self.gamma) + torch.where(
            z < -15.0, z, torch.log(F.softplus(torch.clamp(z, min=-15.0)))
        )
        # ln(1 + 1/rho) = softplus(-ln rho), stable for both tiny and huge rho
        period = self.t_ref + self.tau * F.softplus(-log_rho)
        return self.scale / period

    def extra_repr(self) -> str:
        return f"tau={self.tau:g}, t_ref={self.t_ref:g}, gamma={self.gamma:g}"


def _finite_number(name: str, value, *, minimum: float, strict: bool) -> float:
    """``value`` as a float, checked finite and above (or at, unless strict) ``minimum``."""
    if isinstance(value, bool):
        raise TypeError(f"soft_lif {name} must be a number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"soft_lif {name} must be a number; got {value!r}") from None
    if not (math.isfinite(v) and (v > minimum if strict else v >= minimum)):
        bound = ">" if strict else ">="
        raise ValueError(f"soft_lif {name} must be a finite number {bound} {minimum:g}; got {v!r}")
    return v


register_activation(
    "soft_lif",
    SoftLIF,
    description="smoothed LIF rate curve (tau, t_ref, gamma); Hunsberger & Eliasmith 2015",
)
