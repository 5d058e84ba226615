"""The HTML report and the key tables: escaped cells, embedded images, captions, readable
column names, one precision per column."""

import base64
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from neuroact.figures.claims import VERDICT_COLOURS
from neuroact.report import Document, Figure, Paragraph, Section, Table, to_html, to_markdown
from neuroact.report.tables import (
    KEY_TABLES,
    Column,
    KeyTable,
    fixed,
    key_frame,
    mean_sd,
    name,
    percent,
    span,
)

FULL = Path(__file__).resolve().parents[1] / "results" / "full"


@pytest.fixture
def png(tmp_path):
    """A real PNG drawn by matplotlib, in ``tmp_path/exp/fig.png``."""
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    (tmp_path / "exp").mkdir()
    fig.savefig(tmp_path / "exp" / "fig.png")
    plt.close(fig)
    return tmp_path / "exp" / "fig.png"


def document() -> Document:
    frame = pd.DataFrame(
        {
            "unit <b>": ["relu", "<script>alert(1)</script>", "a & b"],
            "test error (%)": ["1.51 ± 0.06", "–", "12.30"],
            "verdict": ["supported", "partly", "not a verdict"],
        }
    )
    blocks = (
        Paragraph("Profile: **full**, see `claims.csv` & <the tables>."),
        Table(frame, "Errors per unit.", "exp/table.csv"),
        Figure("exp/fig.png", "A figure", "It shows a line; read its slope."),
        Figure("exp/missing.png", "Lost", "Never drawn."),
    )
    return Document("Report <1>", (), (Section("Results & more", blocks),))


def test_html_escapes_text_and_renders_the_inline_marks(png):
    page = to_html(document(), png.parents[1])
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<th>unit &lt;b&gt;</th>" in page and "<td>a &amp; b</td>" in page
    assert "<title>Report &lt;1&gt;</title>" in page
    assert (
        "<p>Profile: <strong>full</strong>, see <code>claims.csv</code> &amp; &lt;the tables&gt;."
        "</p>" in page
    )
    assert '<h2 id="results-more">Results &amp; more</h2>' in page
    assert '<a href="#results-more">' in page  # the contents list links the section


def test_html_embeds_every_image_and_needs_no_other_file(png):
    page = to_html(document(), png.parents[1])
    [data] = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="A figure">', page)
    assert base64.b64decode(data) == png.read_bytes()
    # nothing refers to a file or a script: one file, plain CSS
    assert not re.search(r'(src|href)="(?!data:|#)', page) and "<script" not in page
    assert "<style>" in page and "Figure file not available: missing.png" in page


def test_html_and_markdown_carry_the_same_captions_and_numbers(png):
    doc = document()
    page, text = to_html(doc, png.parents[1]), to_markdown(doc)
    assert "**Table 1.** Errors per unit. Full table: `exp/table.csv`." in text
    assert '<span class="label">Table 1.</span> Errors per unit.' in page
    assert "**Figure 1. A figure.** It shows a line; read its slope." in text
    assert (
        '<figcaption><span class="label">Figure 1. A figure.</span> It shows a line; read its '
        "slope.</figcaption>" in page
    )
    assert "Figure 2. Lost." in page and "**Figure 2. Lost.** Never drawn." in text


def test_html_table_aligns_numbers_and_colours_verdicts(png):
    page = to_html(document(), png.parents[1])
    assert '<td class="num">1.51 ± 0.06</td>' in page and '<td class="num">–</td>' in page
    colour = VERDICT_COLOURS["supported"]
    assert f'<span class="verdict" style="background:{colour}">supported</span>' in page
    assert "<td>not a verdict</td>" in page  # only real verdicts become badges


def test_renderers_reject_what_is_not_a_document():
    with pytest.raises(TypeError, match="document must be a Document"):
        to_html("# a report")
    with pytest.raises(TypeError, match="document must be a Document"):
        to_markdown(None)


# --- key tables -----------------------------------------------------------------------------------


def test_key_frame_formats_each_column_once_and_drops_missing_sources():
    frame = pd.DataFrame(
        {
            "activation": ["rectifier", "logistic"],
            "err_mean": [1.50999, 3.0],
            "err_sd": [0.0608, float("nan")],
            "frac": [0.5912, 0.0004],
            "diff": [0.08, -1.2],
            "lo": [0.078, -0.02],
            "hi": [0.235, 0.26],
        }
    )
    spec = KeyTable(
        "t",
        "caption",
        [name("activation"), mean_sd("err_mean", "err_sd", "error (%)"),
         percent("frac", "zeros (%)"), fixed("diff", "diff (points)", 2, sign=True),
         span("lo", "hi", "95% CI", 2, sign=True), fixed("absent", "never shown")],
    )  # fmt: skip
    shown = key_frame(frame, spec)
    assert list(shown.columns) == ["unit", "error (%)", "zeros (%)", "diff (points)", "95% CI"]
    assert shown.to_dict("list") == {
        "unit": ["rectifier (ReLU)", "sigmoid (logistic)"],
        "error (%)": ["1.51 ± 0.06", "3.00"],  # one seed: no spread
        "zeros (%)": ["59.1", "0.0"],
        "diff (points)": ["+0.08", "-1.20"],
        "95% CI": ["+0.08 to +0.23", "-0.02 to +0.26"],
    }
    with pytest.raises(TypeError, match="frame must be a pandas DataFrame"):
        key_frame([1, 2], spec)


def test_key_tables_of_the_committed_run_have_readable_headers():
    raw = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # test_error_pct_mean, frac_zero_eps, ...
    for experiment, specs in KEY_TABLES.items():
        for spec in specs:
            frame = pd.read_csv(FULL / experiment / f"{spec.table}.csv")
            shown = key_frame(frame, spec)
            assert len(shown.columns) == len(spec.columns), (experiment, spec.table)
            assert not [h for h in shown.columns if raw.match(h)]
            assert not shown.empty and all(isinstance(c, Column) for c in spec.columns)
    vanishing = key_frame(
        pd.read_csv(FULL / "vanishing_gradients" / "grads_at_init.csv"),
        KEY_TABLES["vanishing_gradients"][0],
    )
    # deepest networks only, one row per unit x init, the mean over seeds to 3 digits
    assert set(vanishing["layers"]) == {"20"} and len(vanishing) == 9
    row = vanishing[(vanishing["unit"] == "rectifier (ReLU)") & (vanishing["init"] == "He")]
    assert row[["dL/dW bottom / top", "dL/dz bottom / top"]].values.tolist() == [["0.593", "1.05"]]
