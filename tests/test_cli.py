"""The command line: help, errors in one line (exit status 2), logging, and ``neuroact data``."""

from __future__ import annotations

import argparse
import errno
import logging
import re
import subprocess
import sys

import pytest

from neuroact import __version__, paths
from neuroact.cli import _one_line, build_parser, configure_logging, is_user_error, main


def _subparsers(parser: argparse.ArgumentParser, prefix: str = "neuroact"):
    """Every (command name, parser), depth first."""
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subparsers(sub, f"{prefix} {name}")


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("run", "figures", "fit", "data"))


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "neuroact.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "figures" in out.stdout


def test_every_option_has_plain_help_with_its_default():
    # fit's options belong to neuroact.cli_fit, which words its own help
    for command, parser in _subparsers(build_parser()):
        text = parser.format_help()
        assert not re.search(r"``|:func:|:class:|:mod:", text), command
        if command.startswith("neuroact fit"):
            continue
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            assert action.help, f"{command} {action.dest} has no help text"
            shown = action.default not in (None, False, argparse.SUPPRESS)
            if shown and action.option_strings:
                assert "default" in parser._get_formatter()._get_help_string(action), action.dest
    assert "(default: quick)" in _help("run")
    assert "(default: every core" in _help("run")


def _help(*command: str) -> str:
    parser = build_parser()
    for name in command:
        parser = next(p for c, p in _subparsers(parser) if c.endswith(f" {name}"))
    return " ".join(parser.format_help().split())  # one line: wrapping moves words


def test_unknown_experiment_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--only", "no_such_experiment"])
    assert info.value.code == 2
    assert "no_such_experiment" in capsys.readouterr().err


def test_user_errors_are_one_line_with_status_2(tmp_path, capsys):
    assert main(["figures", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("neuroact figures: error: run_dir = ") and "is not a folder" in err
    # the same with --debug, before or after the sub-command: the traceback
    for argv in (["--debug", "figures"], ["figures", "--debug"]):
        with pytest.raises(FileNotFoundError, match="is not a folder"):
            main([*argv, str(tmp_path / "absent")])


def test_out_that_is_a_file_or_unwritable_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "taken").write_text("keep me")
    assert main(["run", "--only", "fi_curves", "--out", str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert "neuroact run: error: --out = " in err and "is an existing file" in err
    assert (tmp_path / "taken").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # nothing was written
    if sys.platform.startswith("linux"):
        assert main(["run", "--only", "fi_curves", "--out", "/proc/1/neuroact"]) == 2
        assert "is not writable" in capsys.readouterr().err


def test_full_disk_is_a_one_line_error_naming_the_path(tmp_path):
    # a real ENOSPC: /dev/full refuses every write
    if not sys.platform.startswith("linux"):
        pytest.skip("/dev/full is Linux's")
    with pytest.raises(OSError) as info, open("/dev/full", "wb") as fh:
        fh.write(b"x")
        fh.flush()
    assert info.value.errno == errno.ENOSPC and is_user_error(info.value)
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "t.csv"))
    assert _one_line(full) == f"No space left on device: {tmp_path / 'out' / 't.csv'}"
    assert not is_user_error(RuntimeError("a bug")) and not is_user_error(KeyError("x"))


def test_log_lines_go_to_stderr_at_the_chosen_level(capsys):
    logger = configure_logging(0)
    logging.getLogger("neuroact.paths").info("progress line")
    logging.getLogger("neuroact.paths").debug("detail line")
    err = capsys.readouterr().err
    assert "neuroact.paths: progress line" in err and "detail line" not in err
    assert configure_logging(1).level == logging.DEBUG
    assert configure_logging(-1).level == logging.WARNING
    assert len(logger.handlers) == 1  # configuring again replaces the handler


def test_data_where_lists_every_data_set(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    assert main(["data", "where", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["data", "set", "origin", "folder", "state"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(paths.SOURCES)
    # an empty given folder is final for MNIST; the measured cells fall through
    assert rows["mnist"][1:3] == ["data_dir", str(tmp_path)]
    assert "4 of 4 files missing" in " ".join(rows["mnist"])
    assert rows["fi-measured"][1] in ("project", "package")
    assert main(["data", "where", "cifar10"]) == 2
    assert "data set name must be one of" in capsys.readouterr().err


def test_data_where_verify_names_a_corrupt_file(tmp_path, capsys):
    folder = tmp_path / "fi-measured"
    folder.mkdir()
    for fname in paths.SOURCES["fi-measured"].files:
        (folder / fname).write_text("cell_id\n")
    assert main(["data", "where", "fi-measured", "--data-dir", str(tmp_path)]) == 0
    assert "data_dir" in capsys.readouterr().out
    assert main(["data", "where", "fi-measured", "--data-dir", str(tmp_path), "--verify"]) == 2
    err = capsys.readouterr().err
    assert "is corrupt: the sha256" in err and str(folder) in err


def test_data_fetch_from_a_local_mirror(mnist_dir, tmp_path, http_mirror, monkeypatch, capsys):
    """The real MNIST files through the download path: a local mirror laid out like the data
    folder, the known content hashes, one log line per file."""
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "mnist").symlink_to(mnist_dir)
    monkeypatch.setenv(paths.DATA_URL_ENV, http_mirror(tmp_path / "mirror"))
    assert main(["data", "fetch", "mnist", "--dir", str(tmp_path / "dl")]) == 0
    captured = capsys.readouterr()
    assert f"mnist: 4 files in {tmp_path / 'dl' / 'mnist'} (sha256 verified)" in captured.out
    assert captured.err.count("downloading") == 4  # progress visible outside a terminal
    assert main(["data", "fetch", "fi-measured"]) == 2
    assert "NAME must be one of ['mnist', 'fashion-mnist']" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["data", "fetch", "mnist", "--dir", str(tmp_path / "file")]) == 2
    assert "--dir = " in capsys.readouterr().err
