"""Running sparsity statistics of one layer, accumulated batch by batch on the tensor's device.

:class:`RunningLayerStats` receives a layer's pre-activations, activations and (optionally)
back-propagated gradients one mini-batch at a time and keeps only running sums, per-unit vectors
and one fixed-size histogram, as tensors on the device the activations live on: memory does not
grow with the number of examples and nothing is copied to the host until :meth:`result`. The
measures are those of :func:`neuroact.ann.probes.layer_stats` (the in-memory reference) and of
:mod:`neuroact.sparsity`, with the same definitions.

What a unit is
--------------
The activations of a batch are seen as a ``(samples, units)`` array, samples = examples:

``conv_unit="channel_position"`` (default)
    every entry of an example's feature map is a unit: a conv layer with ``C`` channels on an
    ``H x W`` map has ``C H W`` units, like the neurons of a retinotopic map (one per feature
    and position). A fully connected layer's units are its features.
``conv_unit="channel"``
    a channel is one unit, its activity on an example the mean of its feature map over
    positions (global average pooling), and its pre-activation likewise the spatial mean. A
    rectifier channel is then silent on an example only if it is zero at every position.

Exact and approximate measures
------------------------------
Every measure is a sum over entries, units or examples and is exact to the activations'
precision (each batch is reduced in float32, or float64 for float64 activations, and the batches
are added up in float64; float32 on Apple's MPS, which has no float64): about 1e-6 relative.
Except one: the output view of smooth units compares ``|a|`` with ``eps * P_q(|a|)``, a
percentile of the whole evaluation set, which cannot be known before the last batch. It is read
from a histogram of ``|a|`` on a fixed grid of 2^16 bins, the float32 values with their 15
lowest mantissa bits dropped (relative bin width at most 2^-8 = 0.4%), interpolating linearly
within a bin (``percentile=100`` takes the exact running maximum). The fraction below the cut is
counted on the same histogram, so ``frac_zero`` and ``dead_frac`` of smooth units are within the
share of entries in one bin of their exact values (typically 1e-4). Rectifiers (``eps = 0``) are
exact.

One pass over the data
----------------------
:func:`accumulate` runs a model in eval mode over batches with a :class:`RunningLayerStats` per
layer site (:mod:`neuroact.ann.hooks`) and, given a loss, back-propagates each batch to its
inputs so that hooks on the pre-activations see ``dL/dz``; :mod:`neuroact.ann.probes` builds its
reports on it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from neuroact.ann.activations import ActivationSpec
from neuroact.ann.hooks import Layer, LayerHooks

__all__ = [
    "STAT_COLUMNS",
    "CONV_UNITS",
    "LayerPass",
    "RunningLayerStats",
    "accumulate",
    "check_positive",
    "check_view",
    "model_device",
    "tensor_batches",
    "unit_view",
]

# the output view of smooth units: |a| <= DEFAULT_EPS * (DEFAULT_PERCENTILE-th percentile of |a|)
DEFAULT_EPS = 0.01
DEFAULT_PERCENTILE = 99.0

STAT_COLUMNS = (
    "units",
    "eval_samples",
    "frac_zero",
    "frac_zero_eps",
    "frac_active_output",
    "frac_active_input",
    "dead_frac",
    "population_sparseness",
    "lifetime_sparseness",
    "population_hoyer",
    "lifetime_hoyer",
    "mean_activation",
    "std_activation",
    "saturation_frac",
)

CONV_UNITS = ("channel_position", "channel")
_SHIFT = 15  # float32 bits >> 15: sign (always 0 for |a|), 8 exponent and 8 mantissa bits
_BINS = 1 << (32 - _SHIFT - 1)


def check_view(eps: float, percentile: float, conv_unit: str) -> None:
    """Raise a ValueError naming ``eps``, ``percentile`` or ``units`` if it is not a finite
    number >= 0, a number in (0, 100] or one of :data:`CONV_UNITS`."""
    if not _real(eps) or not (math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be a finite number >= 0; got {eps!r}")
    if not _real(percentile) or not 0 < percentile <= 100:
        raise ValueError(f"percentile must be a number in (0, 100]; got {percentile!r}")
    if conv_unit not in CONV_UNITS:
        raise ValueError(f"conv_unit must be one of {list(CONV_UNITS)}; got {conv_unit!r}")


def check_positive(value: object, name: str, none_ok: bool = False) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a positive integer (or None)."""
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        expected = "a positive integer or None" if none_ok else "a positive integer"
        raise ValueError(f"{name} must be {expected}; got {value!r}")


def _real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def unit_view(t: torch.Tensor, conv_unit: str = "channel_position") -> torch.Tensor:
    """``t`` of shape ``(batch, channels, *positions)`` as ``(samples, units)`` (module
    docstring): flattened, or averaged over positions for ``conv_unit="channel"``."""
    if t.dim() < 2:
        return t.reshape(t.shape[0], -1) if t.dim() == 1 else t.reshape(1, 1)
    if conv_unit == "channel" and t.dim() > 2:
        return t.flatten(2).mean(2)
    return t.reshape(t.shape[0], -1)


def _bin_edges(b: int) -> tuple[float, float]:
    """The float32 values at the start of histogram bin ``b`` and of the next one."""
    edges = torch.tensor([b << _SHIFT, (b + 1) << _SHIFT], dtype=torch.int64)
    return tuple(float(v) for v in edges.to(torch.int32).view(torch.float32))


class RunningLayerStats:
    """Running sums of one layer's activity (see the module docstring).

    Parameters
    ----------
    spec : the layer's unit (exact zeros decide the output view; bounds the saturation).
    eps, percentile : output view of smooth units: ``|a| <= eps * P_percentile(|a|)``.
    conv_unit : ``"channel_position"`` or ``"channel"`` (module docstring).

    Call :meth:`add_input` with each batch's pre-activations, :meth:`add_output` with its
    activations and :meth:`add_gradient` with ``dL/dz`` of the summed loss; :meth:`result`
    returns the measures as plain floats.

    See Also
    --------
    neuroact.ann.probes.layer_stats : the same measures on arrays in memory (the reference).
    neuroact.sparsity : the definitions.
    """

    def __init__(
        self,
        spec: ActivationSpec,
        eps: float = DEFAULT_EPS,
        percentile: float = DEFAULT_PERCENTILE,
        conv_unit: str = "channel_position",
    ):
        check_view(eps, percentile, conv_unit)
        self.spec, self.conv_unit = spec, conv_unit
        self.eps = 0.0 if spec.exact_zeros else float(eps)
        self.percentile = float(percentile)
        self.n_units: int | None = None
        self.samples = 0
        self._s: dict[str, torch.Tensor] = {}  # running sums, created on the first batch's device
        self._pre = [0, 0]  # entries counted in the input view, of which > 0 (tensors after use)
        self._grad_sq: torch.Tensor | float = 0.0
        self._grad_samples = 0

    # accumulation ------------------------------------------------------------------------------
    def _acc(self, key: str, value: torch.Tensor, op: str = "add") -> None:
        old = self._s.get(key)
        if old is None:
            self._s[key] = value
        elif op == "add":
            self._s[key] = old + value
        else:
            self._s[key] = torch.maximum(old, value)

    @staticmethod
    def _dtype(t: torch.Tensor) -> torch.dtype:
        return torch.float32 if t.device.type == "mps" else torch.float64

    @torch.no_grad()
    def add_input(self, z: torch.Tensor) -> None:
        """Add a batch of pre-activations (input view: share of entries ``> 0``)."""
        v = unit_view(z.detach(), self.conv_unit)
        self._pre[0] = self._pre[0] + v.numel()
        self._pre[1] = self._pre[1] + torch.count_nonzero(v > 0)

    @torch.no_grad()
    def add_output(self, a: torch.Tensor) -> None:
        """Add a batch of activations (every output measure)."""
        v = unit_view(a.detach(), self.conv_unit)
        v = v if v.dtype == torch.float64 else v.float()  # float16/bfloat16: work in float32
        batch, n = v.shape
        if self.n_units is None:
            self.n_units = n
        elif n != self.n_units:
            raise ValueError(
                f"a layer gave {n} units per example after {self.n_units} in earlier batches "
                "(inputs of another size?); use conv_unit='channel' to pool over positions"
            )
        self.samples += batch
        acc = self._dtype(v)
        x = v.abs()
        unit_max = x.amax(0)
        self._acc("sum", v.sum().to(acc))
        self._acc("nonzero", torch.count_nonzero(x > 0))  # faster than on floats
        self._acc("unit_max", unit_max.to(acc), "max")
        self._acc("unit_s1", x.sum(0).to(acc))
        # squares of |a| / (the unit's batch maximum): no underflow of tiny activations, and the
        # scale is restored in the float64 accumulator
        scale = torch.where(unit_max > 0, unit_max, torch.ones_like(unit_max)).to(acc)
        self._acc("unit_s2", (x / scale.to(x.dtype)).square().sum(0).to(acc) * scale.square())
        self._add_population(x)
        if self.spec.bounds is not None:
            lo, hi = self.spec.bounds
            tol = self.spec.saturation_tol
            self._acc("saturated", torch.count_nonzero((v <= lo + tol) | (v >= hi - tol)))
        if self.eps > 0:
            bits = x.float().view(torch.int32) >> _SHIFT
            self._acc("hist", torch.bincount(bits.clamp_(0, _BINS - 1).flatten(), minlength=_BINS))

    def _add_population(self, x: torch.Tensor) -> None:
        """Per-example Treves-Rolls and Hoyer sparseness, summed over non-silent examples; each
        row is divided by its maximum first so that squares of tiny values cannot underflow."""
        n = x.shape[1]
        peak = x.amax(1, keepdim=True)
        live = peak.squeeze(1) > 0
        r = x / torch.where(peak > 0, peak, torch.ones_like(peak))
        acc = self._dtype(x)
        l1, l2 = r.sum(1).to(acc), r.square().sum(1).to(acc)
        safe = torch.where(live, l2, torch.ones_like(l2))
        self._acc("pop_n", live.sum())
        if n >= 2:
            tr = l1.square() / (n * safe)
            s = (1 - tr) / (1 - 1 / n)
            h = (math.sqrt(n) - l1 / safe.sqrt()) / (math.sqrt(n) - 1)
            self._acc("pop_tr", torch.where(live, s, torch.zeros_like(s)).sum())
            self._acc("pop_hoyer", torch.where(live, h, torch.zeros_like(h)).sum())

    @torch.no_grad()
    def add_gradient(self, g: torch.Tensor) -> None:
        """Add a batch of ``dL_n/dz`` (gradients of the summed loss with respect to the
        pre-activation; each example's row is its own gradient)."""
        g = g.detach().reshape(g.shape[0], -1).to(self._dtype(g))
        self._grad_sq = self._grad_sq + g.square().sum()
        self._grad_samples += g.shape[0]

    # results ------------------------------------------------------------------------------------
    def _quantile(self, hist: torch.Tensor, q: float) -> float:
        """``numpy.percentile(|a|, q)`` (linear interpolation) read from the histogram."""
        n = int(hist.sum())
        h = (n - 1) * q / 100.0
        lo, hi = math.floor(h), math.ceil(h)
        cum = torch.cumsum(hist, 0)
        v_lo, v_hi = (self._order_statistic(hist, cum, k) for k in (lo, hi))
        return v_lo + (h - lo) * (v_hi - v_lo)

    def _order_statistic(self, hist: torch.Tensor, cum: torch.Tensor, k: int) -> float:
        """The ``k``-th smallest ``|a|`` (0-based), spread uniformly within its bin."""
        b = int(torch.searchsorted(cum, torch.tensor(k, dtype=cum.dtype), right=True))
        before = int(cum[b - 1]) if b > 0 else 0
        left, right = _bin_edges(b)
        value = left + (right - left) * (k - before + 0.5) / int(hist[b])
        return min(value, float(self._s["unit_max"].max()))

    def _count_below(self, hist: torch.Tensor, cut: float) -> float:
        """Number of entries with ``|a| <= cut``, interpolating within the cut's bin."""
        if cut <= 0:
            return float(self._zeros())
        b = int(torch.tensor(cut, dtype=torch.float32).view(torch.int32)) >> _SHIFT
        if b >= _BINS:
            return float(hist.sum())
        left, right = _bin_edges(b)
        share = min(max((cut - left) / (right - left), 0.0), 1.0)
        return float(hist[:b].sum()) + share * float(hist[b])

    def _zeros(self) -> float:
        return float(self.samples * self.n_units - int(self._s["nonzero"]))

    def cut(self) -> float:
        """The output-view threshold ``eps * P_percentile(|a|)`` (0 for exact-zero units)."""
        if self.eps == 0 or not self.samples:
            return 0.0
        if self.percentile >= 100:
            return self.eps * float(self._s["unit_max"].max())
        return self.eps * self._quantile(self._s["hist"].cpu(), self.percentile)

    def result(self) -> dict:
        """Every measure of :func:`neuroact.ann.probes.layer_stats` as plain floats, plus
        ``backprop_grad_norm`` (RMS over examples of ``||dL_n/dz||``, ``nan`` if not taken);
        ``nan`` where a measure is undefined or nothing was added."""
        nan = math.nan
        n_pre, pos = self._pre
        out = {
            "units": self.n_units if self.n_units is not None else 0,
            "eval_samples": self.samples,
            "frac_active_input": float(pos) / n_pre if n_pre else nan,
            "backprop_grad_norm": (
                math.sqrt(float(self._grad_sq) / self._grad_samples) if self._grad_samples else nan
            ),
        }
        if not self.samples:
            return out
        s, n, units = self._s, self.samples, self.n_units
        entries = n * units
        cut = self.cut()
        below = self._count_below(s["hist"].cpu(), cut) if self.eps > 0 else self._zeros()
        mean = float(s["sum"]) / entries
        s1, s2 = s["unit_s1"], s["unit_s2"]
        live = s2 > 0
        safe = torch.where(live, s2, torch.ones_like(s2))
        lifetime = (1 - s1.square() / (n * safe)) / (1 - 1 / n) if n >= 2 else None
        hoyer = (math.sqrt(n) - s1 / safe.sqrt()) / (math.sqrt(n) - 1) if n >= 2 else None
        pop_n = int(s["pop_n"])
        out |= {
            "frac_zero": below / entries,
            "frac_zero_eps": self.eps,
            "dead_frac": float((s["unit_max"] <= cut).double().mean()),
            "population_sparseness": _ratio(s.get("pop_tr"), pop_n),
            "lifetime_sparseness": _masked_mean(lifetime, live),
            "population_hoyer": _ratio(s.get("pop_hoyer"), pop_n),
            "lifetime_hoyer": _masked_mean(hoyer, live),
            "mean_activation": mean,
            "std_activation": math.sqrt(max(float(s2.sum()) / entries - mean * mean, 0.0)),
            "saturation_frac": float(s["saturated"]) / entries if "saturated" in s else nan,
        }
        out["frac_active_output"] = 1.0 - out["frac_zero"]
        return out


def _ratio(total: torch.Tensor | None, count: int) -> float:
    return float(total) / count if total is not None and count else math.nan


def _masked_mean(values: torch.Tensor | None, mask: torch.Tensor) -> float:
    if values is None or not bool(mask.any()):
        return math.nan
    return float(values[mask].mean())


# -------------------------------------------------------------------------------------------
# One pass over the data, every chosen layer accumulating


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a model without any)."""
    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


def tensor_batches(x: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
    """Consecutive slices of ``batch_size`` examples of ``x``."""
    for start in range(0, x.shape[0], batch_size):
        yield x[start : start + batch_size]


def _split_batch(batch: object) -> tuple[torch.Tensor, object]:
    """``(inputs, targets)`` of one batch: a tensor, or a sequence ``(inputs, targets, ...)``."""
    if isinstance(batch, torch.Tensor):
        return batch, None
    if isinstance(batch, list | tuple) and batch and isinstance(batch[0], torch.Tensor):
        return batch[0], batch[1] if len(batch) > 1 else None
    raise TypeError(
        "each batch must be a tensor of inputs or a sequence (inputs, targets, ...) as a "
        f"DataLoader over a torch Dataset gives; got {type(batch).__name__}"
    )


@dataclass
class LayerPass:
    """The running statistics of every layer site over one pass (:func:`accumulate`).

    Attributes
    ----------
    stats : site name -> its running statistics.
    sites : site name -> its layer, in the order the forward pass first called them.
    batches, examples : how much data went through.
    """

    stats: dict[str, RunningLayerStats] = field(default_factory=dict)
    sites: dict[str, Layer] = field(default_factory=dict)
    batches: int = 0
    examples: int = 0

    def rows(self) -> list[dict]:
        """One dict per site: ``layer`` (site), ``module`` (class name), ``unit``, then
        :data:`STAT_COLUMNS` and ``backprop_grad_norm``; the input view and the gradient are
        ``nan`` for a layer that is not an activation module (its input is not ``z``)."""
        out = []
        for site, layer in self.sites.items():
            if site not in self.stats:
                continue
            result = self.stats[site].result()
            if not layer.elementwise:
                result |= {"frac_active_input": math.nan, "backprop_grad_norm": math.nan}
            out.append(
                {"layer": site, "module": type(layer.module).__name__, "unit": layer.spec.name}
                | {k: result.get(k, math.nan) for k in (*STAT_COLUMNS, "backprop_grad_norm")}
            )
        return out


def accumulate(
    model: nn.Module,
    batches: Iterable,
    layers: list[Layer],
    *,
    conv_unit: str = "channel_position",
    eps: float = DEFAULT_EPS,
    percentile: float = DEFAULT_PERCENTILE,
    loss_fn: Callable | None = None,
    max_batches: int | None = None,
    device: torch.device | None = None,
) -> LayerPass:
    """Run ``model`` in eval mode over ``batches`` with every layer's statistics accumulating.

    With ``loss_fn`` (``(outputs, targets) -> one loss per example``) each batch's summed loss
    is also back-propagated to the inputs only: the hooks on the pre-activations receive each
    example's ``dL_n/dz`` and the parameters' ``.grad`` stay as they were. The model's mode is
    restored and the hooks removed afterwards, also on an error.

    See Also
    --------
    neuroact.ann.probes.measure : the checked, user-facing call.
    """
    device = device if device is not None else model_device(model)
    run = LayerPass()

    def stats(site: str, layer: Layer) -> RunningLayerStats:
        if site not in run.stats:
            run.stats[site] = RunningLayerStats(layer.spec, eps, percentile, conv_unit)
        return run.stats[site]

    def on_input(site: str, layer: Layer, z: torch.Tensor) -> None:
        acc = stats(site, layer)
        acc.add_input(z)
        if z.requires_grad and torch.is_grad_enabled():
            z.register_hook(acc.add_gradient)  # before an in-place activation: dL/dz itself

    def on_output(site: str, layer: Layer, a: torch.Tensor) -> None:
        stats(site, layer).add_output(a)

    was_training = model.training
    model.eval()
    try:
        with LayerHooks(model, layers, on_output, on_input) as hooks:
            for batch in batches:
                if max_batches is not None and run.batches >= max_batches:
                    break
                x, y = _split_batch(batch)
                x = x.to(device, non_blocking=True)
                if loss_fn is None:
                    with torch.no_grad():
                        model(x)
                else:
                    _backward(model, x, y, loss_fn, device)
                run.batches += 1
                run.examples += x.shape[0]
            run.sites = dict(hooks.sites)
    finally:
        model.train(was_training)
    return run


def _backward(model: nn.Module, x: torch.Tensor, y: object, loss_fn: Callable, device) -> None:
    """Forward and backward of the summed per-example loss, differentiated with respect to the
    inputs only."""
    if not x.is_floating_point():
        raise ValueError(
            f"gradients=True needs floating-point inputs to back-propagate to; got {x.dtype}"
        )
    if y is None:
        raise ValueError("gradients=True needs batches of (inputs, targets); got inputs only")
    y = y.to(device, non_blocking=True) if isinstance(y, torch.Tensor) else y
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        losses = loss_fn(model(x), y)
        if not isinstance(losses, torch.Tensor) or losses.dim() == 0:
            raise ValueError(
                "loss_fn must return one loss per example (e.g. reduction='none'), so that each "
                "example's gradient is its own; got a single number"
            )
        torch.autograd.grad(losses.sum(), x)
