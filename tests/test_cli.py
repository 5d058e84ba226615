"""The command line: --help, --version, and clear errors for bad arguments."""

import subprocess
import sys

import pytest

from neuroact import __version__
from neuroact.cli import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 0
    assert "run" in capsys.readouterr().out


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "neuroact.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "figures" in out.stdout


def test_unknown_experiment_is_rejected(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--only", "no_such_experiment"])
    assert info.value.code == 2
    assert "no_such_experiment" in capsys.readouterr().err


def test_figures_on_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        main(["figures", str(tmp_path / "absent")])
