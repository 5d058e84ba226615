"""The report: its document model, the Markdown renderer, and reports of real run folders."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from neuroact.claims import TableError
from neuroact.report import (
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
    build_report,
    to_markdown,
    write_report,
)
from neuroact.vocabulary import label

REPO = Path(__file__).resolve().parents[1]
FULL = REPO / "results" / "full"
QUICK_BASELINE = REPO.parent / "baseline_quick"  # a quick main-job run kept beside the checkout


def _write(root, experiment, name, rows):
    folder = root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def test_markdown_of_a_hand_built_document():
    frame = pd.DataFrame({"unit": ["relu", "a|b"], "error": [1.5123, float("nan")], "n": [3, 1]})
    doc = Document(
        "T",
        (Paragraph("Profile: **quick**."),),
        (
            Section(
                "S", (Paragraph("doc"), Table(frame, "e/t.csv", digits=2), Figure("e/f.png", "f"))
            ),
        ),
    )
    assert to_markdown(doc) == (
        "# T\n\nProfile: **quick**.\n\n## S\n\ndoc\n\n`e/t.csv`:\n\n| unit | error | n |\n"
        "|---|---|---|\n| relu | 1.5 | 3 |\n| a\\|b |  | 1 |\n\n![f](e/f.png)\n\n"
    )


def test_empty_folder_reports_every_claim_not_run(tmp_path):
    text = write_report(tmp_path, profile="quick").read_text()
    assert text.count("| not run |") == 9 and "Quick profile: small networks" in text
    assert pd.read_csv(tmp_path / "claims.csv").shape[0] == 9


def test_report_shows_the_key_table_beside_the_figures(tmp_path):
    rows = [dict(dataset="mnist", activation="relu", pretrain="none", n=3,
                 test_error_pct_mean=1.51, test_error_pct_sd=0.06, unshown=7)]  # fmt: skip
    _write(tmp_path, "glorot_table1", "table1", rows)
    (tmp_path / "glorot_table1" / "glorot_table1.png").write_bytes(b"")
    (tmp_path / "timings.json").write_text('{"glorot_table1": 2959.4}')
    doc = build_report(tmp_path, profile="full")
    [section] = [s for s in doc.sections if s.title == "Glorot et al. 2011, Table 1"]
    assert [type(b) for b in section.blocks] == [Paragraph, Paragraph, Table, Figure]
    text = write_report(tmp_path, profile="full").read_text()
    assert "`glorot_table1/table1.csv`:" in text and "| mnist | relu | none | 3 | 1.51 |" in text
    assert "Wall time: 2959 s." in text
    assert "![glorot_table1](glorot_table1/glorot_table1.png)" in text
    assert "unshown" not in text


def test_full_run_report_keeps_the_committed_layout(tmp_path):
    # results/full holds the tables, figures/ the figures and timings of the same run
    run = tmp_path / "full"
    shutil.copytree(FULL, run)
    for png in (REPO / "figures").glob("*/*.png"):
        (run / png.parent.name / png.name).write_bytes(b"")
    shutil.copy(REPO / "figures" / "timings.json", run)
    committed = (REPO / "figures" / "report.md").read_text()
    # the one deliberate change: fit families under the vocabulary's display labels
    for family in ("rectifier", "logistic", "power_law", "lif"):
        committed = committed.replace(f"{family} median", f"{label(family)} median")
    assert write_report(run, profile="full").read_text() == committed


def test_quick_profile_tables_give_a_report_with_nine_claims(tmp_path):
    if not QUICK_BASELINE.is_dir():
        pytest.skip(f"no quick main-job run at {QUICK_BASELINE} on this machine")
    run = tmp_path / "quick"
    shutil.copytree(QUICK_BASELINE, run, ignore=shutil.ignore_patterns("checkpoints", "jobs"))
    text = write_report(run, profile="quick").read_text()
    claims = pd.read_csv(run / "claims.csv")
    assert len(claims) == 9 and "not run" not in set(claims["verdict"])
    # one seed per Table 1 setting: no interval, said in words (this divided by zero before)
    assert claims["verdict"].iloc[-1] == "n too small" and "| n too small |" in text


def test_a_table_of_the_wrong_shape_stops_the_report_before_any_file_is_written(tmp_path):
    _write(tmp_path, "glorot_table1", "table1", [dict(dataset="mnist", activation="relu")])
    with pytest.raises(TableError, match="glorot_table1/table1.csv has no column 'pretrain'"):
        write_report(tmp_path)
    assert not (tmp_path / "claims.csv").exists() and not (tmp_path / "report.md").exists()


def test_bad_run_folder_arguments(tmp_path):
    with pytest.raises(ValueError, match="root must be an existing run folder"):
        write_report(tmp_path / "missing")
    with pytest.raises(TypeError, match="root must be a run folder path"):
        write_report(3)
    with pytest.raises(TypeError, match="profile must be a string"):
        write_report(tmp_path, profile=1)
