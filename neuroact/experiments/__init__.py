"""Experiments: one module per experiment, each a config with profiles and a ``run``.

The protocol every experiment module follows::

    @dataclass
    class Config:            # every field has a default; seeds and Brian2 targets included
        ...

    PROFILES = {"quick": Config(...), "full": Config(...)}

    def run(config: Config, out, *, workers=1, scheduler=None, progress=True,
            data_dir=None, inputs=None) -> RunFolder:
        '''Write config.json, tidy CSV tables, figures and metadata.json into ``out``.
        Resumes: work whose result file already exists is not redone.'''

    def draw(run: RunFolder) -> list[Path]:
        '''Redraw every figure of this experiment from its tables alone.'''

``inputs`` maps the names of earlier experiments to their run folders, for experiments that
build on others (``compare`` reads ``fi_curves``, ``population_sparsity``, ``train_networks``).
``data_dir`` is the folder of the data sets (None = the embedded subset or the default cache).
"""

from __future__ import annotations

import importlib
from types import ModuleType

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
)


def get(name: str) -> ModuleType:
    """The experiment module called ``name``."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; expected one of {list(EXPERIMENTS)}")
    return importlib.import_module(f"neuroact.experiments.{name}")


def script_parser(doc: str | None):
    """The command-line options every ``simulations/<experiment>.py`` script shares."""
    import argparse

    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized profile (seconds)")
    parser.add_argument("--out", required=True, help="run folder (created; reused to resume)")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/")
    parser.add_argument("--workers", type=int, default=1, help="local processes")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    return parser


def run_script(name: str, doc: str | None, show: str, argv=None):
    """Parse the shared options, run experiment ``name`` and print its table ``show``."""
    args = script_parser(doc).parse_args(argv)
    from neuroact.figures import use_agg  # heavy (matplotlib); a script draws without a display

    use_agg()
    module = get(name)
    run = module.run(
        module.PROFILES["quick" if args.quick else "full"],
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        data_dir=args.data_dir,
    )
    print(run.read_table(show).to_string(index=False))
    return run
