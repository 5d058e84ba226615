"""Experiments: one module per experiment, each a config with profiles and a ``run``.

The protocol every experiment module follows::

    @dataclass
    class Config:            # every field has a default; seeds and Brian2 targets included
        ...

    PROFILES = {"quick": Config(...), "full": Config(...)}

    def run(config: Config, out, *, workers=1, scheduler=None, progress=True,
            data_dir=None, inputs=None, figures=True) -> RunFolder:
        '''Write config.json, tidy CSV tables, figures (unless ``figures`` is False) and
        metadata.json into ``out``. Resumes: work whose result file already exists is not
        redone.'''

    def draw(run: RunFolder) -> list[Path]:
        '''Redraw every figure of this experiment from its tables alone.'''

``inputs`` maps the names of earlier experiments to their run folders, for experiments that
build on others (``compare`` reads ``fi_curves``, ``population_sparsity``, ``train_networks``;
``bridge`` reads ``population_sparsity`` for the Brunel band).
``data_dir`` is the folder of the data sets (None = the embedded subset or the default cache).

:func:`resolve_configs` gives each experiment its profile's ``Config`` with a user's overrides
applied (:mod:`neuroact.config`); :func:`run_script` is the one command line of the
``simulations/<experiment>.py`` scripts.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from neuroact.config import (
    apply_overrides,
    did_you_mean,
    merge,
    nest,
    parse_assignment,
    read_config_file,
)
from neuroact.logs import configure_logging
from neuroact.parallel import check_workers
from neuroact.results import RunFolder, check_writable_dir

# Dependency order: an experiment only reads the results of experiments before it.
EXPERIMENTS = (
    "fi_curves",
    "population_sparsity",
    "train_networks",
    "glorot_table1",
    "sparsity_vs_error",
    "training_speed",
    "vanishing_gradients",
    "activity_at_init",
    "compare",
    "bridge",
)
PROFILES = ("quick", "full")


def get(name: str) -> ModuleType:
    """The experiment module called ``name``."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}{did_you_mean(str(name), EXPERIMENTS)}")
    return importlib.import_module(f"neuroact.experiments.{name}")


def resolve_configs(
    profile: str,
    overrides: Mapping[str, Any] | None = None,
    names: Sequence[str] | None = None,
    configs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``Config`` of each experiment of ``names``, with a user's ``overrides`` applied.

    Parameters
    ----------
    profile : ``"quick"`` or ``"full"``: whose ``Config`` each experiment starts from.
    overrides : ``{experiment: {field: value}}``, nested or with dotted keys
        (``{"glorot_table1.train.lr": 0.02}``), as read from a TOML file or ``--set``.
    names : the experiments to configure (default: all). Overrides of experiments not named
        are checked all the same, so a mistake is found before any work.
    configs : ``{experiment: Config}`` to start from instead of the profile's.

    Returns
    -------
    dict
        ``{experiment: Config}`` in the order of ``names``.

    Raises
    ------
    ValueError
        An unknown profile, experiment or field (with the closest names).
    TypeError
        A value of the wrong type.

    See Also
    --------
    neuroact.config.apply_overrides : the checks made on each field.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}; got {profile!r}")
    overrides = nest(overrides or {})
    configs = dict(configs or {})
    names = list(EXPERIMENTS if names is None else names)
    for name in [*names, *overrides, *configs]:
        get(name)  # an unknown experiment fails here, before any work
    resolved = {}
    for name in dict.fromkeys([*names, *overrides]):
        base = configs.get(name) or get(name).PROFILES[profile]
        resolved[name] = apply_overrides(base, overrides.get(name, {}), where=name)
    return {name: resolved[name] for name in names}


def collect_overrides(
    config_file: str | os.PathLike | None = None, assignments: Sequence[str] = ()
) -> dict[str, Any]:
    """The overrides of a TOML ``config_file`` and of ``EXPERIMENT.FIELD=VALUE`` strings (these
    win), as one nested mapping for :func:`resolve_configs`."""
    layers = [read_config_file(config_file)] if config_file else []
    layers.append(nest(parse_assignment(text) for text in assignments))
    return merge(*layers)


def assignment_option(text: str) -> str:
    """An ``EXPERIMENT.FIELD=VALUE`` option for argparse, its syntax checked (the field and the
    value's type are checked by :func:`resolve_configs`)."""
    try:
        parse_assignment(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def field_option(text: str) -> str:
    """A script's ``FIELD=VALUE`` option (its experiment implied) for argparse."""
    try:
        parse_assignment(f"experiment.{text}")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).replace("EXPERIMENT.", "")) from None
    return text


def workers_option(text: str) -> int:
    """A ``--workers`` option for argparse: a positive integer or -1 (see ``check_workers``)."""
    try:
        workers = int(text)
        check_workers(workers)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer or -1 (all cores); got {text!r}"
        ) from None
    return workers


def _input(text: str) -> tuple[str, str]:
    name, sep, folder = text.partition("=")
    if not sep or name not in EXPERIMENTS or not folder:
        raise argparse.ArgumentTypeError(
            f"--input expects EXPERIMENT=FOLDER with EXPERIMENT one of {', '.join(EXPERIMENTS)}; "
            f"got {text!r}"
        )
    return name, folder


def script_parser(doc: str | None) -> argparse.ArgumentParser:
    """The command-line options every ``simulations/<experiment>.py`` script shares."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized profile (default: full)")
    parser.add_argument("--out", required=True, help="run folder (created; reused to resume)")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with mnist/, fashion-mnist/ and fi-measured/ (default: $NEUROACT_DATA_DIR)",
    )
    parser.add_argument(
        "--workers",
        type=workers_option,
        default=None,
        help="local processes, -1 for all cores (default: every core this process may use; "
        "1 with --scheduler)",
    )
    parser.add_argument(
        "--scheduler", default=None, help="address of a Dask scheduler (default: none)"
    )
    parser.add_argument(
        "--config",
        metavar="FILE.toml",
        default=None,
        help="TOML file with a table [EXPERIMENT] of Config fields (default: none)",
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        type=field_option,
        metavar="FIELD=VALUE",
        help="change a Config field, e.g. --set epochs=5 --set 'widths=[300, 300]' "
        "(TOML values; repeatable; after --config)",
    )
    parser.add_argument(
        "--input",
        dest="inputs",
        action="append",
        default=[],
        type=_input,
        metavar="EXPERIMENT=FOLDER",
        help="run folder of an earlier experiment to build on (repeatable; default: none)",
    )
    return parser


def run_script(
    name: str, doc: str | None, show: str | Sequence[str], argv: Sequence[str] | None = None
) -> RunFolder:
    """Parse the shared options, run experiment ``name`` and print its tables ``show``.

    Options are checked before any work (a bad field, value, worker count or output folder
    ends the script with one line and exit status 2); progress is logged to stderr.
    """
    parser = script_parser(doc)
    args = parser.parse_args(argv)
    from neuroact.figures import use_agg  # heavy (matplotlib); a script draws without a display

    use_agg()
    module = get(name)
    try:
        overrides = collect_overrides(args.config, [f"{name}.{text}" for text in args.assignments])
        config = resolve_configs("quick" if args.quick else "full", overrides, [name])[name]
        workers = check_workers(args.workers, args.scheduler)
        check_writable_dir(args.out, "--out")
    except (ValueError, TypeError, OSError) as err:
        parser.error(str(err))
    configure_logging(0)  # a script is a program: it shows progress
    run = module.run(
        config,
        args.out,
        workers=workers,
        scheduler=args.scheduler,
        data_dir=args.data_dir,
        inputs=dict(args.inputs) or None,
    )
    for table in [show] if isinstance(show, str) else show:
        if run.has(f"{table}.csv"):
            print(run.read_table(table).to_string(index=False))
    return run
