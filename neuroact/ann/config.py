"""The settings of one training run, checked field by field before any data is loaded.

:class:`TrainConfig` is what :func:`neuroact.ann.train.train` takes and what every ANN
experiment copies with ``dataclasses.replace`` for each network it trains. A value of the
wrong type raises ``TypeError`` and an impossible one ``ValueError``, at construction, in one
line naming the field, the value and what is expected:

>>> TrainConfig(lr="0.1")
Traceback (most recent call last):
...
TypeError: lr must be a finite number > 0; got '0.1' (str)
>>> TrainConfig(dataset="mnits")
Traceback (most recent call last):
...
ValueError: dataset must be one of ['mnist', 'fashion-mnist', 'mnist-subset', 'custom']; got 'mnits'

Unit names go through :mod:`neuroact.vocabulary`:

>>> TrainConfig(activation="rectifier").activation
'relu'

See Also
--------
neuroact.ann.train.train : runs a config.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from neuroact.ann.activations import get_spec
from neuroact.ann.data import DATASETS
from neuroact.ann.models import MODELS, check_init

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
# The data set name of tensors passed to ``train(data=...)`` (the user's own data).
CUSTOM_DATASET = "custom"


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "int": (_is_int, "an integer"),
    "real": (_is_real, "a number"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool | np.bool_), "True or False"),
    "dict": (lambda v: isinstance(v, dict), "a dict"),
}


def check_field(
    name: str, value, kind: str, ok: Callable | None = None, expected: str = ""
) -> None:
    """Raise ``TypeError`` if ``value`` is not of ``kind`` (``"int"``, ``"real"``, ``"str"``,
    ``"bool"``, ``"dict"``), ``ValueError`` if ``ok(value)`` is false; both name the field, the
    value and what is expected. ``None`` passes where ``kind`` ends with ``"?"``."""
    if kind.endswith("?"):
        if value is None:
            return
        kind = kind[:-1]
    is_kind, what = _KINDS[kind]
    if not is_kind(value):
        raise TypeError(
            f"{name} must be {expected or what}; got {value!r} ({type(value).__name__})"
        )
    if ok is not None and not ok(value):
        raise ValueError(f"{name} must be {expected or what}; got {value!r}")


def _check_widths(widths) -> tuple[int, ...]:
    expected = "a non-empty sequence of positive integers such as (1000, 1000, 1000)"
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence | np.ndarray):
        raise TypeError(f"widths must be {expected}; got {widths!r} ({type(widths).__name__})")
    if len(widths) == 0 or not all(_is_int(w) and w >= 1 for w in widths):
        raise ValueError(f"widths must be {expected}; got {widths!r}")
    return tuple(int(w) for w in widths)


def _check_device(device: str) -> None:
    check_field("device", device, "str", expected="a torch device such as 'cpu' or 'cuda'")
    try:
        torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"device must be a torch device such as 'cpu' or 'cuda'; got {device!r}"
        ) from exc


@dataclass
class TrainConfig:
    """Everything that defines one training run (recorded in checkpoints and run folders).

    Every field is checked at construction (and again by :func:`train`): a value of the wrong
    type raises ``TypeError``, an impossible one ``ValueError``, naming the field, the value and
    what is expected, before any data is loaded.

    Attributes
    ----------
    dataset : ``"mnist"``, ``"fashion-mnist"``, ``"mnist-subset"`` (embedded) or ``"custom"``
        (tensors passed as ``train(data=...)``).
    model : ``"mlp"`` or ``"cnn"``.
    widths : hidden widths of the MLP (for the CNN: channels1, channels2, fc_width).
    activation, activation_params : a registered activation family (or a vocabulary alias of
        one, such as ``"rectifier"``; stored as the canonical key) and its parameters.
    init : ``"xavier"``, ``"he"`` or ``"torch"`` (PyTorch default).
    init_scale : multiplies the init's weight scale (Xavier's bound, He's sd, PyTorch's bound);
        1 is the init as published. A hyper-parameter of Glorot et al. 2011's search.
    optimizer : ``"sgd"`` (with ``momentum``) or ``"adam"``.
    lr, momentum, weight_decay : optimiser settings (weight decay is PyTorch's L2 term).
    lr_schedule : ``"constant"`` or ``"cosine"`` (annealed to 0 over ``epochs``, per epoch).
    batch_size, epochs : mini-batch size and (largest) number of passes over the training split.
    patience : early stopping on the validation error (Glorot et al. 2011): stop when it has not
        improved for ``patience`` epochs and end with the weights of its best epoch; 0 = train
        all ``epochs`` and end with the last.
    l1 : activation penalty weight (see module docstring; Glorot et al. 2011 used 0.001).
    train_size : use only the first ``train_size`` training examples (None = all).
    val_size : per-epoch validation error and loss on the first ``val_size`` validation
        examples (None = all); early stopping reads this subset.
    test_every : the full test set is evaluated before training, at the end of training (the
        epoch whose weights the model ends with) and also every ``test_every`` epochs (0 =
        only at the end).
    eval_size : examples of the validation split used by the end-of-epoch probes.
    train_eval_size : evaluate the end-of-epoch weights on the first ``train_eval_size`` training
        examples (``train_eval_error``/``train_eval_loss``; 0 = not recorded).
    probes : record sparsity and gradient probes (False = a bare loop).
    probe_eps, probe_percentile : output view of smooth units (``|a| <= eps * P(|a|)``).
    probe_every : training-time probe statistics on every ``probe_every``-th mini-batch.
    seed : seeds the init (``seed``) and the mini-batch order (``seed + 1``).
    deterministic : ``torch.use_deterministic_algorithms`` during training (restored after).
    device : ``"cpu"``, ``"cuda"``, ...
    threads : torch threads during training (None = leave as is; restored after).
    pretrain : recorded label of any pre-training applied to the model passed to :func:`train`
        (``"none"`` here; pre-training itself lives in ``neuroact.ann.pretrain``).
    """

    dataset: str = "mnist"
    model: str = "mlp"
    widths: tuple[int, ...] = (1000, 1000, 1000)
    activation: str = "relu"
    activation_params: dict = field(default_factory=dict)
    init: str = "xavier"
    init_scale: float = 1.0
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    batch_size: int = 100
    epochs: int = 20
    patience: int = 0
    l1: float = 0.0
    train_size: int | None = None
    val_size: int | None = None
    test_every: int = 0
    eval_size: int = 2000
    train_eval_size: int = 0
    probes: bool = True
    probe_eps: float = 0.01
    probe_percentile: float = 99.0
    probe_every: int = 10
    seed: int = 0
    deterministic: bool = True
    device: str = "cpu"
    threads: int | None = None
    pretrain: str = "none"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field (see the class docstring); store ``widths`` as a tuple and
        ``activation`` and ``init`` under their canonical names."""

        def one_of(options) -> tuple[Callable, str]:
            return (lambda v: v in options), f"one of {list(options)}"

        def positive(v) -> bool:
            return v >= 1

        def finite_at_least_0(v) -> bool:
            return math.isfinite(v) and v >= 0

        datasets = (*DATASETS, CUSTOM_DATASET)
        check_field("dataset", self.dataset, "str", *one_of(datasets))
        check_field("model", self.model, "str", *one_of(MODELS))
        self.widths = _check_widths(self.widths)
        check_field("activation", self.activation, "str")
        self.activation = get_spec(self.activation).name
        check_field("activation_params", self.activation_params, "dict")
        check_field("init", self.init, "str")
        self.init = check_init(self.init)
        check_field(
            "init_scale",
            self.init_scale,
            "real",
            lambda v: math.isfinite(v) and v > 0,
            "a finite number > 0",
        )
        check_field("optimizer", self.optimizer, "str", *one_of(OPTIMIZERS))
        check_field(
            "lr", self.lr, "real", lambda v: math.isfinite(v) and v > 0, "a finite number > 0"
        )
        check_field("momentum", self.momentum, "real", lambda v: 0 <= v < 1, "a number in [0, 1)")
        check_field(
            "weight_decay", self.weight_decay, "real", finite_at_least_0, "a finite number >= 0"
        )
        check_field("lr_schedule", self.lr_schedule, "str", *one_of(SCHEDULES))
        for name in ("batch_size", "epochs", "eval_size", "probe_every"):
            check_field(name, getattr(self, name), "int", positive, "a positive integer")
        check_field("train_size", self.train_size, "int?", positive, "None or an integer >= 1")
        check_field("val_size", self.val_size, "int?", positive, "None or an integer >= 1")
        for name in ("patience", "test_every"):
            check_field(name, getattr(self, name), "int", lambda v: v >= 0, "an integer >= 0")
        check_field(
            "train_eval_size", self.train_eval_size, "int", lambda v: v >= 0, "an integer >= 0"
        )
        check_field("l1", self.l1, "real", finite_at_least_0, "a finite number >= 0")
        check_field("probes", self.probes, "bool")
        check_field("probe_eps", self.probe_eps, "real", finite_at_least_0, "a finite number >= 0")
        check_field(
            "probe_percentile",
            self.probe_percentile,
            "real",
            lambda v: 0 < v <= 100,
            "a percentile in (0, 100]",
        )
        check_field("seed", self.seed, "int", lambda v: v >= 0, "an integer >= 0")
        check_field("deterministic", self.deterministic, "bool")
        _check_device(self.device)
        check_field("threads", self.threads, "int?", positive, "None or an integer >= 1")
        check_field("pretrain", self.pretrain, "str", expected="a label such as 'none' or 'dae'")

    def to_dict(self) -> dict:
        """The fields as JSON-ready values (``widths`` as a list)."""
        d = dataclasses.asdict(self)
        d["widths"] = list(self.widths)
        return d
