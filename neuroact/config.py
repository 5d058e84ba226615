"""User configuration: change fields of an experiment's ``Config`` from a TOML file or the shell.

Every experiment is configured by a dataclass (``neuroact.experiments.<name>.Config``) with a
``quick`` and a ``full`` profile. A user changes fields of a profile without editing code::

    neuroact run --profile full --config mine.toml --set glorot_table1.train.lr=0.02

with ``mine.toml`` holding a table per experiment (nested dataclasses and dicts as sub-tables)::

    [glorot_table1]
    activations = ["relu", "tanh"]
    blocks = [["mnist", false, [0, 1]]]

    [glorot_table1.train]
    lr = 0.02

Values are TOML literals (``0.02``, ``"mnist"``, ``[1000, 1000]``, ``true``); a bare word that
is not one (``--set fi_curves.target=numpy``) is taken as a string, and ``none`` sets an
optional field to None (TOML has no null). Every change is checked against the dataclass
before any work: an unknown field is named with the closest valid names, a value of the wrong
type with the type expected (lists become tuples where the field holds tuples, integers become
floats where it holds floats, never the other way round). Nested dataclasses and dicts are
updated field by field (key by key); every other value replaces the old one. Dataclasses that
validate themselves in ``__post_init__`` (``TrainConfig``) check the result too.

See Also
--------
neuroact.experiments.resolve_configs : applies overrides to the profiles of the experiments.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

NONE_WORDS = ("none", "null")
_BARE_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.+/-]*$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_+-]+)*$")


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal, else a bare word taken as a string.

    Examples
    --------
    >>> parse_value("0.02"), parse_value("[1000, 1000]"), parse_value("true"), parse_value("numpy")
    (0.02, [1000, 1000], True, 'numpy')
    """
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        if _BARE_WORD.match(text):
            return text
        raise ValueError(
            f'value {text!r} is not a TOML literal (e.g. 0.02, "mnist", [1000, 1000], true)'
        ) from None
    if set(parsed) != {"value"}:  # "1\nother = 2" parses as two keys
        raise ValueError(f"value {text!r} must be a single TOML literal")
    return parsed["value"]


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``"EXPERIMENT.FIELD[.SUBFIELD...]=VALUE"`` into the dotted path and the value.

    Examples
    --------
    >>> parse_assignment("glorot_table1.train.lr=0.02")
    ('glorot_table1.train.lr', 0.02)
    """
    path, sep, value = str(text).partition("=")
    path = path.strip()
    if not sep or not _PATH.match(path):
        raise ValueError(f"expected EXPERIMENT.FIELD=VALUE (a TOML value); got {text!r}")
    return path, parse_value(value.strip())


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """The tables of a TOML configuration file (one per experiment), as nested dicts."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {str(path)!r} does not exist")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"config file {str(path)!r} is not valid TOML: {err}") from None


def nest(overrides: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Dotted paths as nested dicts: ``{"a.b.c": 1}`` -> ``{"a": {"b": {"c": 1}}}``.

    Only the top-level keys are split; values that are mappings are merged into the result
    (later entries win), so ``{"a": {"b": 1}, "a.c": 2}`` gives ``{"a": {"b": 1, "c": 2}}``.
    """
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    out: dict[str, Any] = {}
    for path, value in items:
        for part in reversed(str(path).split(".")):
            value = {part: value}
        out = merge(out, value)
    return out


def merge(*overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge nested override mappings; a later value wins over an earlier one."""
    out: dict[str, Any] = {}
    for layer in overrides:
        for key, value in layer.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = merge(out[key], value)
            else:
                out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


def apply_overrides(config: Any, changes: Mapping[str, Any], where: str = "config") -> Any:
    """A copy of the dataclass ``config`` with the nested ``changes`` applied and checked.

    Parameters
    ----------
    config : a dataclass instance (left unchanged).
    changes : ``{field: value}``; a mapping value updates a nested dataclass or dict field by
        field; any other value replaces the field after a type check against its annotation.
    where : the name of ``config`` in error messages (``"glorot_table1"``).

    Raises
    ------
    ValueError
        A field that ``config`` does not have (the message suggests close names).
    TypeError
        A value of the wrong type for its field.
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"{where} must be a dataclass instance; got {type(config).__name__}")
    if not isinstance(changes, Mapping):
        raise _wrong_type(changes, type(config), where)
    names = [f.name for f in dataclasses.fields(config) if f.init]
    hints = _field_hints(type(config))
    updates = {}
    for key, value in changes.items():
        if key not in names:
            raise ValueError(f"{where} has no field {key!r}{did_you_mean(key, names)}")
        updates[key] = _override(getattr(config, key), value, hints.get(key, Any), f"{where}.{key}")
    try:
        return dataclasses.replace(config, **updates)
    except (TypeError, ValueError) as err:  # the dataclass's own validation
        kind = ValueError if isinstance(err, ValueError) else TypeError
        raise kind(f"{where}: {err}") from err


def coerce(value: Any, hint: Any, where: str = "value") -> Any:
    """``value`` checked against the type annotation ``hint`` (lists become tuples for tuple
    fields, ints become floats for float fields; ``"none"`` is None for optional fields)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return _frozen(value)
    if origin in (typing.Union, types.UnionType):
        if types.NoneType in args and (
            value is None or (isinstance(value, str) and value.lower() in NONE_WORDS)
        ):
            return None
        options = [a for a in args if a is not types.NoneType]
        if len(options) == 1 and isinstance(value, Mapping):  # an optional table: its own errors
            return coerce(value, options[0], where)
        for option in options:
            try:
                return coerce(value, option, where)
            except (TypeError, ValueError):
                continue
        raise _wrong_type(value, hint, where)
    if hint in (bool, int, float, str, types.NoneType):
        return _scalar(value, hint, where)
    if hint is tuple or origin is tuple or hint is list or origin is list:
        return _sequence(value, hint, where)
    if hint is dict or origin is dict:
        if not isinstance(value, Mapping):
            raise _wrong_type(value, hint, where)
        value_hint = args[1] if len(args) == 2 else Any
        return {k: coerce(v, value_hint, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return apply_overrides(hint(), value, where)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise _wrong_type(value, hint, where)
    return value


def _override(current: Any, value: Any, hint: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        if dataclasses.is_dataclass(current) and not isinstance(current, type):
            return apply_overrides(current, value, where)
        if isinstance(current, Mapping):
            args = typing.get_args(hint) if typing.get_origin(hint) is dict else ()
            value_hint = args[1] if len(args) == 2 else Any
            merged = dict(current)
            for k, v in value.items():
                merged[k] = _override(current.get(k), v, value_hint, f"{where}.{k}")
            return merged
    if hint is Any and isinstance(current, bool | int | float | str):
        hint = float if type(current) is float else type(current)  # untyped dict entries
    return coerce(value, hint, where)


def _scalar(value: Any, hint: type, where: str) -> Any:
    if hint is types.NoneType:
        if value is None or (isinstance(value, str) and value.lower() in NONE_WORDS):
            return None
    elif hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    elif hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif hint in (bool, str) and isinstance(value, hint):
        return value
    raise _wrong_type(value, hint, where)


def _sequence(value: Any, hint: Any, where: str) -> tuple | list:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
        raise _wrong_type(value, hint, where)
    args = typing.get_args(hint)
    kind = list if (hint is list or typing.get_origin(hint) is list) else tuple
    if not args:
        items = [_frozen(v) for v in value]
    elif len(args) == 2 and args[1] is Ellipsis:
        items = [coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    elif kind is list:
        items = [coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    elif len(value) != len(args):
        raise TypeError(
            f"{where} must have {len(args)} items ({_type_name(hint)}); got {len(value)}: {value!r}"
        )
    else:
        items = [
            coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True))
        ]
    return kind(items)


def _frozen(value: Any) -> Any:
    """Lists as tuples, at every depth: the profiles hold tuples, and tuples hash."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def _field_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation that does not resolve: fall back to the current values
        return {}


def _type_name(hint: Any) -> str:
    if isinstance(hint, type) and not typing.get_args(hint):
        return "none" if hint is types.NoneType else hint.__name__
    return str(hint).replace("typing.", "").replace("NoneType", "None")


def _wrong_type(value: Any, hint: Any, where: str) -> TypeError:
    if dataclasses.is_dataclass(hint):
        expected = f"a table of {hint.__name__} fields"
    else:
        expected = _type_name(hint)
    return TypeError(f"{where} must be {expected}; got {value!r} ({type(value).__name__})")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """The message suffix naming the entries of ``choices`` closest to ``name`` (else all)."""
    choices = list(choices)
    close = [repr(c) for c in difflib.get_close_matches(name, choices, n=3, cutoff=0.6)]
    if not close:
        return f"; expected one of {', '.join(choices)}"
    listed = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f"; did you mean {listed}?"
