"""Bad input for fitting, in the API and in `neuroact fit`: one line naming the culprit, raised
before any fit, and no file left behind."""

from __future__ import annotations

import argparse
import math
import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from neuroact.compare.curves import relu
from neuroact.compare.measured import fit_cells, read_fi_table

CURRENT = np.linspace(0.0, 4.0, 11)


def _table(**columns) -> pd.DataFrame:
    """Two cells of a rectifier, 20 Hz/nA above 1 nA, with the columns given overriding."""
    data = {
        "cell": ["a"] * 11 + ["b"] * 11,
        "I": np.r_[CURRENT, CURRENT],
        "rate": np.r_[relu(CURRENT, 20.0, 1.0), relu(CURRENT, 10.0, 2.0)],
        "count": np.r_[relu(CURRENT, 20.0, 1.0), relu(CURRENT, 10.0, 2.0)] * 0.5,
        "T": np.full(22, 500.0),
        "protocol": ["IDrest"] * 22,
    }
    data.update(columns)
    return pd.DataFrame(data)


def _cli(argv: list[str]) -> int:
    from neuroact import cli_fit

    parser = argparse.ArgumentParser(prog="neuroact")
    cli_fit.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def _refused(tmp_path, capsys, table_path, *extra: str, rate: tuple = ("--rate-col", "rate")):
    """Run `neuroact fit` on a bad input: exit 2, one stderr line, and no output folder."""
    out = tmp_path / "out"
    argv = ["fit", str(table_path), "--cell-col", "cell", "--current-col", "I", *rate]
    status = _cli(argv + ["--out", str(out), "--no-figure", *extra])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1 and err.startswith("neuroact fit: error: "), err
    assert not out.exists()
    return err


# --- negative rates -----------------------------------------------------------------------------


def test_negative_rates_raise_unless_declared(tmp_path, capsys):
    rate = np.r_[relu(CURRENT, 20.0, 1.0), relu(CURRENT, 10.0, 2.0)] - 3.0  # baseline removed
    table = _table(rate=rate)
    with pytest.raises(ValueError, match=r"rate_col='rate' gives 9 negative firing rates \(min -3"):
        read_fi_table(table, cell_col="cell", current_col="I", rate_col="rate")
    with pytest.raises(ValueError, match="count_col='count' gives 9 negative"):
        read_fi_table(
            _table(count=rate * 0.5),
            cell_col="cell",
            current_col="I",
            count_col="count",
            duration=500,
        )
    curves = read_fi_table(
        table, cell_col="cell", current_col="I", rate_col="rate", allow_negative_rates=True
    )
    assert_allclose(curves.data["rate_Hz"], rate)  # kept as given, not clipped
    with pytest.raises(ValueError, match="curves gives 9 negative"):
        fit_cells(curves, "relu", progress=False)  # refused before the first fit
    fits = fit_cells(curves, "relu", progress=False, allow_negative_rates=True)
    # the rising parts g (I - theta) - 3 are fitted exactly: theta moves up by 3 / g
    assert_allclose(fits.table.set_index("cell_id").loc[["a", "b"], "theta"], [1.15, 2.3])
    path = tmp_path / "neg.csv"
    table.to_csv(path, index=False)
    err = _refused(tmp_path, capsys, path)
    assert "negative firing rates" in err and "--allow-negative-rates" in err
    assert _cli(["fit", str(path), "--cell-col", "cell", "--current-col", "I", "--rate-col",
                 "rate", "--out", str(tmp_path / "ok"), "--no-figure",
                 "--allow-negative-rates"]) == 0  # fmt: skip


# --- NaN durations and other non-numbers --------------------------------------------------------


def test_nan_durations_raise_instead_of_nan_rates(tmp_path, capsys):
    with pytest.raises(ValueError, match="duration must be a finite number > 0; got nan"):
        read_fi_table(
            _table(), cell_col="cell", current_col="I", count_col="count", duration=math.nan
        )
    holes = _table(T=np.where(np.arange(22) % 5 == 0, np.nan, 500.0))
    with pytest.raises(
        ValueError, match=r"duration_col='T' has 5 rows that are not finite .*row 0"
    ):
        read_fi_table(holes, cell_col="cell", current_col="I", count_col="count", duration_col="T")
    with pytest.raises(ValueError, match="duration_col='T' must hold durations > 0"):
        read_fi_table(
            _table(T=np.zeros(22)), cell_col="cell", current_col="I", count_col="count",
            duration_col="T",
        )  # fmt: skip
    text = _table(rate=["12 Hz"] + list(_table()["rate"][1:]))
    with pytest.raises(ValueError, match=r"rate_col='rate' has 1 rows .* value '12 Hz'"):
        read_fi_table(text, cell_col="cell", current_col="I", rate_col="rate")
    path = tmp_path / "holes.csv"
    holes.to_csv(path, index=False)
    err = _refused(tmp_path, capsys, path, "--duration-col", "T", rate=("--count-col", "count"))
    assert "duration_col='T'" in err
    _table().to_csv(path, index=False)
    err = _refused(tmp_path, capsys, path, "--duration", "nan", rate=("--count-col", "count"))
    assert "duration must be a finite number" in err


# --- empty selections and unreadable files ------------------------------------------------------


def test_empty_selection_and_query_on_a_missing_column(tmp_path, capsys):
    table = _table()
    with pytest.raises(ValueError, match=r"query=\"protocol == 'IDthresh'\" selected no rows of"):
        read_fi_table(
            table, cell_col="cell", current_col="I", rate_col="rate",
            query="protocol == 'IDthresh'",
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"query='stim > 2' names a column that is not in the"):
        read_fi_table(table, cell_col="cell", current_col="I", rate_col="rate", query="stim > 2")
    with pytest.raises(ValueError, match="cannot be evaluated"):
        read_fi_table(table, cell_col="cell", current_col="I", rate_col="rate", query="I >")
    # a working query selects as asked
    one = read_fi_table(table, cell_col="cell", current_col="I", rate_col="rate", query="cell=='b'")
    assert one.cells == ["b"] and len(one.data) == 11
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    assert "selected no rows" in _refused(tmp_path, capsys, path, "--query", "I > 100")
    assert "names a column" in _refused(tmp_path, capsys, path, "--query", "stim > 2")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty (0 bytes)"),
        (b"cell,I,rate\n", "has a header but no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is not UTF-8 text"),
        (b"cell,I,rate\x00\na,1,2\n", "holds NUL bytes"),
        ("cell,I,rate\nµ,1,2\n".encode("latin-1"), "is not UTF-8 text"),
        (b"\n\n", "is not a readable CSV table"),
    ],
    ids=["zero-bytes", "header-only", "png", "nul", "latin-1", "blank-lines"],
)
def test_files_that_are_not_tables_are_refused(tmp_path, capsys, content, expected):
    path = tmp_path / "cells.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(expected)):
        read_fi_table(path, cell_col="cell", current_col="I", rate_col="rate")
    assert expected in _refused(tmp_path, capsys, path)


def test_missing_table_and_folder_are_refused(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_fi_table(tmp_path / "nope.csv", cell_col="cell", current_col="I", rate_col="rate")
    assert "does not exist" in _refused(tmp_path, capsys, tmp_path / "nope.csv")
    assert "is not a file" in _refused(tmp_path, capsys, tmp_path)


def test_missing_cell_ids_are_refused():
    table = _table(cell=["a"] * 10 + [None] + ["b"] * 11)
    with pytest.raises(ValueError, match=r"cell_col='cell' has rows without a cell id .*row 10"):
        read_fi_table(table, cell_col="cell", current_col="I", rate_col="rate")


# --- the output folder ----------------------------------------------------------------------------


def test_out_that_is_a_file_is_refused_before_fitting(tmp_path, capsys):
    path = tmp_path / "t.csv"
    _table().to_csv(path, index=False)
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    argv = ["fit", str(path), "--cell-col", "cell", "--current-col", "I", "--rate-col", "rate"]
    assert _cli(argv + ["--out", str(blocker), "--no-figure"]) == 2
    err = capsys.readouterr().err
    assert "--out is an existing file" in err and "fitted" not in capsys.readouterr().out
    assert blocker.read_text() == "not a folder"
    assert _cli(argv + ["--out", str(blocker / "sub"), "--no-figure"]) == 2
    assert "--out's parent" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "t.csv"]


def test_bad_numbers_on_the_command_line_are_usage_errors(tmp_path, capsys):
    path = tmp_path / "t.csv"
    _table().to_csv(path, index=False)
    argv = ["fit", str(path), "--cell-col", "cell", "--current-col", "I", "--rate-col", "rate"]
    with pytest.raises(SystemExit) as exc:
        _cli(argv + ["--out", str(tmp_path / "o"), "--bootstrap", "-5"])
    assert exc.value.code == 2
    assert "--bootstrap: expected an integer >= 0; got '-5'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
