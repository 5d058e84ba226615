"""The report: its document model, the Markdown renderer, and reports of real run folders."""

import html as html_lib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from neuroact.claims import TableError, claims_table
from neuroact.report import (
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
    build_report,
    readable,
    to_markdown,
    write_report,
)
from neuroact.report.content import CAPTIONS

REPO = Path(__file__).resolve().parents[1]
FULL = REPO / "results" / "full"
FIGURES = REPO / "figures"
RAW = re.compile(r"\b[a-z]+(_[a-z0-9]+)+\b")  # a raw column name such as test_error_pct_mean


def _write(root, experiment, name, rows):
    folder = root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def _full_copy(tmp_path) -> tuple[Path, Path]:
    """A copy of the committed full run: its tables and, apart, its reference figures."""
    run, figures = tmp_path / "full", tmp_path / "figures"
    shutil.copytree(FULL, run)
    shutil.copytree(FIGURES, figures, ignore=shutil.ignore_patterns("*.md"))
    return run, figures


def test_markdown_of_a_hand_built_document():
    frame = pd.DataFrame({"unit": ["relu", "a|b"], "error": [1.5123, float("nan")], "n": [3, 1]})
    doc = Document(
        "T",
        (Paragraph("Profile: **quick**."),),
        (
            Section(
                "S",
                (
                    Paragraph("doc"),
                    Table(frame, "Errors.", "e/t.csv", digits=2),
                    Figure("e/f.png", "Title", "What it shows."),
                    Figure("e/g.png", "Why?"),
                ),
            ),
        ),
    )
    assert to_markdown(doc) == (
        "# T\n\nProfile: **quick**.\n\n## S\n\ndoc\n\n"
        "**Table 1.** Errors. Full table: `e/t.csv`.\n\n| unit | error | n |\n"
        "|---|---|---|\n| relu | 1.5 | 3 |\n| a\\|b |  | 1 |\n\n"
        "![Title](e/f.png)\n\n**Figure 1. Title.** What it shows.\n\n"
        "![Why?](e/g.png)\n\n**Figure 2. Why?**\n\n"
    )


def test_readable_replaces_internal_names_by_whole_words_only():
    assert readable("noisy_lif sigma=5 mV, hh; relu (torch) vs relu (he); mlp, cnn") == (
        "noisy LIF σ=5 mV, Hodgkin-Huxley; ReLU (PyTorch default init) vs ReLU (He init); MLP, CNN"
    )
    assert readable("mnist-subset dae; fashion-mnist; R^2") == "MNIST subset DAE; Fashion-MNIST; R²"
    # parts of longer words and already readable names stay as they are
    assert readable("beta, theta, ReLU, sigmoid, eta") == "beta, theta, ReLU, sigmoid, η"
    with pytest.raises(TypeError, match="text must be a string"):
        readable(3)


def test_empty_folder_reports_every_claim_not_run(tmp_path):
    text = write_report(tmp_path, profile="quick").read_text()
    assert text.count("| not run |") == 10 and "Quick profile: small networks" in text
    assert "10 claims checked: 10 not run." in text
    assert pd.read_csv(tmp_path / "claims.csv").shape[0] == 10
    assert (tmp_path / "report.html").is_file()
    assert not (tmp_path / "claims.png").exists()  # no measured number: no claims figure


def test_report_shows_the_key_table_beside_the_figures(tmp_path):
    rows = [dict(dataset="mnist", activation="relu", pretrain="none", n=3,
                 test_error_pct_mean=1.5099, test_error_pct_sd=0.0608, unshown=7,
                 paper_test_error_pct=1.43, diff_vs_paper_pct=0.08, frac_zero_mean=0.591,
                 frac_zero_eps=0.0)]  # fmt: skip
    _write(tmp_path, "glorot_table1", "table1", rows)
    (tmp_path / "glorot_table1" / "glorot_table1.png").write_bytes(b"")
    (tmp_path / "glorot_table1" / "extra_panel.png").write_bytes(b"")
    (tmp_path / "timings.json").write_text('{"glorot_table1": 2959.4}')
    doc = build_report(tmp_path, profile="full")
    [section] = [s for s in doc.sections if s.title == "Glorot et al. 2011, Table 1"]
    assert [type(b) for b in section.blocks] == [Paragraph, Paragraph, Table, Figure, Figure]
    # the captioned figure first, with its caption; an unknown one titled by its file name
    title, caption = CAPTIONS["glorot_table1"]["glorot_table1"]
    assert section.blocks[3] == Figure("glorot_table1/glorot_table1.png", title, caption)
    assert section.blocks[4].title == "extra panel"
    text = write_report(tmp_path, profile="full").read_text()
    assert "Full table: `glorot_table1/table1.csv`." in text
    assert "| data set | pre-training | unit | seeds | test error (%) | paper (%) |" in text
    assert "| MNIST | none | rectifier (ReLU) | 3 | 1.51 ± 0.06 | 1.43 | +0.08 |" in text
    assert "| 59.1 | a = 0 |" in text and "Wall time: 49.3 min." in text
    assert f"![{title}](glorot_table1/glorot_table1.png)" in text and caption in text
    rows = [line for line in text.split("## Glorot")[1].splitlines() if line.startswith("|")]
    assert "unshown" not in text and not any(RAW.search(line) for line in rows)


def test_write_report_writes_markdown_and_html_with_the_same_claims(tmp_path):
    run, figures = _full_copy(tmp_path)
    md = write_report(run, profile="full", figures=figures)
    html = (run / "report.html").read_text()
    claims = pd.read_csv(run / "claims.csv")
    assert md == run / "report.md" and len(claims) == 10
    text = md.read_text()
    for claim, verdict in zip(claims["claim"], claims["verdict"], strict=True):
        assert f"| {readable(claim)} |" in text and f"<td>{readable(claim)}</td>" in html
        assert f"| {verdict} |" in text
    verdicts = re.findall(r'<span class="verdict"[^>]*>([^<]+)</span>', html)
    assert verdicts == list(claims["verdict"])
    # same figures in the same order, the claims figure first, drawn into the figures folder
    linked = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    embedded = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)">', html)
    # band maps and widths, the four-layer CNN's speed
    assert [t for t, _ in linked] == [html_lib.unescape(t) for t in embedded]
    assert len(embedded) == 28
    assert linked[0] == ("Claims against the papers", "../figures/claims.png")
    assert (figures / "claims.png").stat().st_size > 10_000 and not (run / "claims.png").exists()


def test_committed_full_report_is_the_one_its_tables_give(tmp_path):
    run, figures = _full_copy(tmp_path)
    committed = (FULL / "report.md").read_text()
    assert write_report(run, profile="full", figures=figures).read_text() == committed.replace(
        "../../figures/", "../figures/"
    )


def test_a_table_of_the_wrong_shape_stops_the_report_before_any_file_is_written(tmp_path):
    _write(tmp_path, "glorot_table1", "table1", [dict(dataset="mnist", activation="relu")])
    with pytest.raises(TableError, match="glorot_table1/table1.csv has no column 'pretrain'"):
        write_report(tmp_path)
    written = ("claims.csv", "claims.png", "report.md", "report.html")
    assert not any((tmp_path / name).exists() for name in written)


def test_bad_run_folder_arguments(tmp_path):
    with pytest.raises(ValueError, match="root must be an existing run folder"):
        write_report(tmp_path / "missing")
    with pytest.raises(TypeError, match="root must be a run folder path"):
        write_report(3)
    with pytest.raises(TypeError, match="profile must be a string"):
        write_report(tmp_path, profile=1)
    with pytest.raises(ValueError, match="figures must be an existing folder"):
        write_report(tmp_path, figures=tmp_path / "nope")
    with pytest.raises(TypeError, match="figures must be a folder path"):
        write_report(tmp_path, figures=1)


def test_claims_of_the_committed_run_match_its_claims_table():
    committed = pd.read_csv(FULL / "claims.csv")
    fresh = claims_table(FULL)
    assert list(committed["verdict"]) == list(fresh["verdict"])
    assert list(committed.columns) == list(fresh.columns)
