"""The ``simulations/`` scripts: one shared command line, and docstring commands that work."""

import ast
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from neuroact import experiments
from neuroact.experiments import collect_overrides, resolve_configs, run_script, script_parser

SCRIPTS = Path(__file__).resolve().parents[1] / "simulations"


def _commands(doc: str, name: str) -> list[list[str]]:
    """The shell commands of a docstring (continuation lines joined), without ``python X.py``."""
    text = doc.replace("\\\n", " ")
    prefix = f"python simulations/{name}.py "
    return [
        shlex.split(line.strip()[len(prefix) :]) for line in text.splitlines() if prefix in line
    ]


def test_one_script_per_experiment():
    assert sorted(p.stem for p in SCRIPTS.glob("*.py")) == sorted(experiments.EXPERIMENTS)


@pytest.mark.parametrize("name", experiments.EXPERIMENTS)
def test_each_script_is_short_and_its_documented_commands_parse(name):
    source = (SCRIPTS / f"{name}.py").read_text()
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert [c.func.id for c in calls if isinstance(c.func, ast.Name)] == ["run_script"]
    assert calls[0].args[0].value == name
    assert len(source.splitlines()) <= 25
    commands = _commands(ast.get_docstring(tree), name)
    assert len(commands) >= 2 and any("--quick" in c for c in commands)
    for argv in commands:
        args = script_parser(None).parse_args(argv)  # exits on an unknown option
        overrides = collect_overrides(args.config, [f"{name}.{a}" for a in args.assignments])
        resolve_configs("quick" if args.quick else "full", overrides, [name])


def test_a_script_runs_with_set_and_records_its_config(tmp_path, capsys):
    out = tmp_path / "run"
    run = run_script(
        "vanishing_gradients",
        None,
        show="grads_at_init",
        argv=["--quick", "--out", str(out), "--set", "depths=[2]", "--set", 'activations=["relu"]'],
    )
    assert run.path == out
    recorded = json.loads((out / "config.json").read_text())
    assert recorded["depths"] == [2] and recorded["activations"] == ["relu"]
    printed = capsys.readouterr().out
    assert "relu" in printed and "sigmoid" not in printed


def test_a_script_with_a_bad_field_stops_in_one_line_before_any_work(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / "fi_curves.py"), "--quick", "--out", str(out)]
        + ["--set", "n_current=5"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("fi_curves.py: error: fi_curves has no field 'n_current'; did you mean")
    assert "Traceback" not in proc.stderr and not out.exists()
