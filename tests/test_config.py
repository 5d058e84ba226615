"""User configuration: TOML files and EXPERIMENT.FIELD=VALUE overrides onto the Config dataclasses.

The mechanism is checked on small dataclasses of its own (a nested template, tuples, dicts,
optional fields, a ``__post_init__`` check) and on the experiments' real profiles.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from neuroact import experiments
from neuroact.ann.train import TrainConfig
from neuroact.config import (
    apply_overrides,
    coerce,
    merge,
    nest,
    parse_assignment,
    parse_value,
    read_config_file,
)


@dataclass(frozen=True)
class Template:
    lr: float = 0.05
    epochs: int = 20
    widths: tuple[int, ...] = (1000, 1000)
    dataset: str = "mnist"
    train_size: int | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer; got {self.epochs}")


@dataclass
class Outer:
    train: Template = field(default_factory=Template)
    pretrain: Template | None = None
    blocks: tuple = (("mnist", False, (0, 1)),)
    source: tuple[str, float | None] = ("lif", 0.0)
    lr_by_unit: dict[str, float] = field(default_factory=lambda: {"softplus": 0.02})
    extra: dict = field(default_factory=lambda: {"lr": 0.05, "widths": (300,)})
    flag: bool = False


def test_values_are_toml_literals_and_bare_words_are_strings():
    assert parse_value("0.02") == 0.02 and parse_value("1e-4") == 1e-4
    assert parse_value("[1000, 1000]") == [1000, 1000]
    assert parse_value('"mnist"') == "mnist" and parse_value("fashion-mnist") == "fashion-mnist"
    assert parse_value("true") is True and parse_value("{a = 1}") == {"a": 1}
    assert parse_assignment("glorot_table1.train.lr = 0.02") == ("glorot_table1.train.lr", 0.02)
    for bad in ("[1000,", "1 2", ""):
        with pytest.raises(ValueError, match="not a TOML literal"):
            parse_value(bad)
    for bad in ("glorot_table1.lr", "=1", "a..b=1", "a b=1"):
        with pytest.raises(ValueError, match="EXPERIMENT.FIELD=VALUE"):
            parse_assignment(bad)


def test_nested_dataclass_tuple_dict_and_optional_fields():
    base = Outer()
    new = apply_overrides(
        base,
        nest(
            {
                "train.lr": 1,  # an integer where a float is expected: 1.0
                "train.widths": [500, 500, 500],
                "train.train_size": 5000,
                "pretrain.epochs": 2,  # None so far: starts from Template()
                "blocks": [["mnist", True, [0]], ["fashion-mnist", False, [1, 2]]],
                "source": ["noisy_lif", "none"],
                "lr_by_unit.tanh": 0.01,  # dicts are updated key by key
                "extra": {"widths": [10, 10]},
                "flag": True,
            }
        ),
        where="exp",
    )
    assert new.train == Template(lr=1.0, widths=(500, 500, 500), train_size=5000)
    assert isinstance(new.train.lr, float)
    assert new.pretrain == Template(epochs=2)
    assert new.blocks == (("mnist", True, (0,)), ("fashion-mnist", False, (1, 2)))
    assert new.source == ("noisy_lif", None)
    assert new.lr_by_unit == {"softplus": 0.02, "tanh": 0.01}
    assert new.extra == {"lr": 0.05, "widths": (10, 10)}
    assert new.flag is True
    assert base == Outer()  # the profile itself is untouched
    none = apply_overrides(new, {"train": {"train_size": "none"}, "pretrain": "none"})
    assert none.train.train_size is None and none.pretrain is None


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"trian": {"lr": 0.1}},
            ValueError,
            r"exp has no field 'trian'; did you mean 'train', 'pretrain' or 'extra'\?",
        ),
        ({"train": {"lrr": 0.1}}, ValueError, r"exp.train has no field 'lrr'; did you mean 'lr'"),
        ({"zzz": 1}, ValueError, r"no field 'zzz'; expected one of train, pretrain, blocks"),
        ({"train": {"epochs": 2.5}}, TypeError, r"exp.train.epochs must be int; got 2.5 \(float"),
        ({"train": {"epochs": True}}, TypeError, r"exp.train.epochs must be int; got True"),
        ({"train": {"lr": "0.1"}}, TypeError, r"exp.train.lr must be float; got '0.1' \(str\)"),
        (
            {"train": {"widths": "300"}},
            TypeError,
            r"widths must be tuple\[int, \.\.\.\]; got '300'",
        ),
        ({"train": {"widths": [300, "a"]}}, TypeError, r"exp.train.widths\[1\] must be int"),
        ({"train": {"dataset": 3}}, TypeError, r"exp.train.dataset must be str; got 3"),
        ({"train": 0.1}, TypeError, r"exp.train must be a table of Template fields; got 0.1"),
        ({"source": ["lif"]}, TypeError, r"exp.source must have 2 items"),
        ({"lr_by_unit": {"tanh": "fast"}}, TypeError, r"exp.lr_by_unit.tanh must be float"),
        ({"extra": {"lr": "fast"}}, TypeError, r"exp.extra.lr must be float; got 'fast'"),
        ({"flag": 1}, TypeError, r"exp.flag must be bool; got 1 \(int\)"),
        ({"train": {"epochs": 0}}, ValueError, r"exp.train: epochs must be a positive integer"),
        ({"pretrain": {"lrr": 0.1}}, ValueError, r"exp.pretrain has no field 'lrr'; did you mean"),
    ],
)
def test_unknown_fields_and_wrong_types_are_one_line_errors(changes, error, message):
    with pytest.raises(error, match=message) as info:
        apply_overrides(Outer(), changes, where="exp")
    assert "\n" not in str(info.value)


def test_file_and_assignments_merge_with_the_later_winning(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[exp]\nflag = true\n[exp.train]\nlr = 0.1\nepochs = 3\n")
    layered = merge(read_config_file(path), nest([parse_assignment("exp.train.lr=0.2")]))
    assert layered == {"exp": {"flag": True, "train": {"lr": 0.2, "epochs": 3}}}
    path.write_text("[exp\nflag = true\n")
    with pytest.raises(ValueError, match=r"mine.toml' is not valid TOML"):
        read_config_file(path)
    with pytest.raises(FileNotFoundError, match="absent.toml"):
        read_config_file(tmp_path / "absent.toml")


def test_coerce_leaves_well_typed_values_alone():
    assert coerce((1, 2), tuple[int, ...]) == (1, 2)
    assert coerce([0.5, 1], list[float]) == [0.5, 1.0]
    assert coerce(None, int | None) is None
    with pytest.raises(TypeError, match="must be int | None"):
        coerce("many", int | None, "n")


def test_experiment_profiles_take_overrides():
    configs = experiments.resolve_configs(
        "quick",
        {
            "fi_curves": {"models": ["lif"], "n_currents": 5, "current_ranges": {"lif": [0, 3]}},
            "population_sparsity.gs": [8],
            "compare.soft_lif_source": ["lif", "none"],
        },
        names=["fi_curves", "population_sparsity", "compare"],
    )
    fi = configs["fi_curves"]
    quick = experiments.get("fi_curves").PROFILES["quick"]
    assert fi == dataclasses.replace(
        quick,
        models=("lif",),
        n_currents=5,
        current_ranges={**quick.current_ranges, "lif": (0.0, 3.0)},
    )
    assert configs["population_sparsity"].gs == (8.0,)
    assert configs["compare"].soft_lif_source == ("lif", None)
    assert list(configs) == ["fi_curves", "population_sparsity", "compare"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"glorot.epochs": 1}, r"unknown experiment 'glorot'; did you mean 'glorot_table1'\?"),
        ({"fi_curves.n_current": 1}, r"fi_curves has no field 'n_current'; did you mean"),
        ({"fi_curves.models": "lif"}, r"fi_curves.models must be tuple\[str, \.\.\.\]"),
    ],
)
def test_experiment_overrides_are_checked_even_for_experiments_not_run(overrides, message):
    with pytest.raises((ValueError, TypeError), match=message):
        experiments.resolve_configs("quick", overrides, names=["vanishing_gradients"])


@dataclass
class WithTrainTemplate:
    """The shape the ANN experiments' Configs take: a TrainConfig template inside."""

    activations: tuple[str, ...] = ("relu", "tanh")
    train: TrainConfig = field(default_factory=lambda: TrainConfig(widths=(300, 300), epochs=6))


def test_a_nested_train_config_template():
    new = apply_overrides(
        WithTrainTemplate(),
        nest({"train.lr": 0.02, "train.widths": [100], "train.train_size": 1000}),
        where="glorot_table1",
    )
    assert new.train == TrainConfig(widths=(100,), epochs=6, lr=0.02, train_size=1000)
    with pytest.raises(TypeError, match=r"glorot_table1.train.epochs must be int; got 2.5"):
        apply_overrides(WithTrainTemplate(), {"train": {"epochs": 2.5}}, where="glorot_table1")
    momentum_error = r"^glorot_table1.train: momentum must be a number in \[0, 1\)"
    with pytest.raises(ValueError, match=momentum_error):
        apply_overrides(WithTrainTemplate(), {"train": {"momentum": 1.5}}, where="glorot_table1")
