"""``neuroact run``: --config and --set reach config.json; bad options end in one line, exit
status 2 and no file written."""

import json

import pandas as pd
import pytest

from neuroact.cli import main


def _fails(argv, capsys) -> str:
    """Run ``argv``; expect exit status 2 (argparse's SystemExit or the returned code) and
    return the error line."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    return err.splitlines()[-1]


def test_config_file_and_set_reach_config_json(tmp_path, capsys):
    config = tmp_path / "mine.toml"
    config.write_text(
        '[fi_curves]\nmodels = ["lif"]\nn_currents = 7\n[fi_curves.current_ranges]\nlif = [0, 3]\n'
    )
    out = tmp_path / "run"
    args = ["run", "--only", "fi_curves", "--out", str(out), "--config", str(config)]
    assert main([*args, "--set", "fi_curves.n_currents=5", "--set", "fi_curves.target=numpy"]) == 0
    assert str(out / "report.md") in capsys.readouterr().out
    recorded = json.loads((out / "fi_curves" / "config.json").read_text())
    assert recorded["n_currents"] == 5  # --set wins over the file
    assert recorded["models"] == ["lif"] and recorded["current_ranges"]["lif"] == [0.0, 3.0]
    curves = pd.read_csv(out / "fi_curves" / "fi_curves.csv")
    assert len(curves) == 5 and curves["current"].max() == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], "argument --workers: must be a positive integer or -1"),
        (["--workers", "-2"], "got '-2'"),
        (["--workers", "two"], "got 'two'"),
        (["--set", "fi_curves.n_currents"], "argument --set: expected EXPERIMENT.FIELD=VALUE"),
        (["--set", "fi_curves.n_currents=[5"], "not a TOML literal"),
        (["--set", "fi_curve.n_currents=5"], "unknown experiment 'fi_curve'; did you mean"),
        (["--set", "fi_curves.n_current=5"], "fi_curves has no field 'n_current'; did you mean"),
        (["--set", "fi_curves.n_currents=5.5"], "fi_curves.n_currents must be int; got 5.5"),
        (["--config", "absent.toml"], "config file 'absent.toml' does not exist"),
    ],
)
def test_bad_options_are_one_line_before_any_work(tmp_path, capsys, monkeypatch, options, message):
    monkeypatch.chdir(tmp_path)
    err = _fails(["run", "--only", "fi_curves", "--out", "run", *options], capsys)
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_an_out_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    err = _fails(["run", "--out", str(tmp_path / "taken")], capsys)
    assert err.startswith("neuroact run: error: --out") and "is an existing file" in err
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
