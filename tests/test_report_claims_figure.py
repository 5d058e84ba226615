"""The claims figure: one row per claim with a measured number, values where they are, the
paper's value and range, colours by verdict, a scale per row."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from neuroact.claims import claims_table
from neuroact.figures.claims import VERDICT_COLOURS, claim_rows, claims_vs_paper

FULL = Path(__file__).resolve().parents[1] / "results" / "full"
NAN = float("nan")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def claims() -> pd.DataFrame:
    """Four claims: a fraction with an interval and a paper value, a fraction against a
    paper range, a ratio spanning twelve decades, and one not run (no number)."""
    rows = [
        ("sparse", "supported", "breakpoint", 0.93, 0.91, 0.936, 0.85, NAN, NAN, "fraction"),
        ("cortex", "partly", "active at once", 0.022, NAN, NAN, NAN, 0.01, 0.04, "fraction"),
        ("gradients", "partly", "bottom/top", 4.7e-13, NAN, NAN, NAN, NAN, NAN, "ratio"),
        ("speed", "not run", "", NAN, NAN, NAN, 6.0, NAN, NAN, ""),
    ]
    columns = ["claim", "verdict", "quantity", "value", "low", "high", "paper_value",
               "paper_low", "paper_high", "unit"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def data_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def artist(ax, gid):
    found = [a for a in [*ax.lines, *ax.patches] if a.get_gid() == gid]
    return found[0] if found else None


def test_one_row_per_claim_with_a_number_in_table_order():
    fig = claims_vs_paper(claims())
    axes = data_axes(fig)
    assert len(axes) == 3  # the claim without a number has no row
    texts = [[t.get_text() for t in ax.texts] for ax in fig.axes if not ax.axison]
    assert [row[0] for row in texts] == ["sparse", "cortex", "gradients"]
    assert [row[2] for row in texts] == ["supported", "partly", "partly"]


def test_values_are_plotted_where_they_are_with_their_interval_and_the_paper():
    sparse, cortex, gradients = data_axes(claims_vs_paper(claims()))
    # fractions are drawn in percent
    assert artist(sparse, "measured").get_xdata() == pytest.approx([93.0])
    assert artist(sparse, "interval").get_xdata() == pytest.approx([91.0, 93.6])
    assert artist(sparse, "paper").get_xdata() == pytest.approx([85.0])
    assert artist(sparse, "paper_range") is None
    assert artist(cortex, "measured").get_xdata() == pytest.approx([2.2])
    assert artist(cortex, "paper") is None and artist(cortex, "interval") is None
    # the band spans the paper's 1-4% in data units
    band = artist(cortex, "paper_range")
    assert (band.get_x(), band.get_x() + band.get_width()) == pytest.approx((1.0, 4.0))
    assert "paper 1-4" in cortex.get_title("left")


def test_each_row_has_its_own_scale():
    sparse, cortex, gradients = data_axes(claims_vs_paper(claims()))
    # twelve decades between the ratio and its reference (1): a log axis reaching both
    assert gradients.get_xscale() == "log" and sparse.get_xscale() == "linear"
    lo, hi = gradients.get_xlim()
    assert lo < 4.7e-13 and hi > 1.0
    # a fraction's axis starts at its reference, 0, and holds the value and the paper's
    assert sparse.get_xlim()[0] < 0 < 85 < 93.6 < sparse.get_xlim()[1]
    assert cortex.get_xlim()[1] == pytest.approx(4.0 + 0.12 * 4.0)
    assert sparse.get_xlabel() == "%" and gradients.get_xlabel() == "ratio"


def test_dots_are_coloured_by_verdict():
    sparse, cortex, _ = data_axes(claims_vs_paper(claims()))
    assert to_hex(artist(sparse, "measured").get_color()) == VERDICT_COLOURS["supported"].lower()
    assert to_hex(artist(cortex, "measured").get_color()) == VERDICT_COLOURS["partly"].lower()
    legend = [t.get_text() for t in sparse.figure.legends[0].get_texts()]
    assert legend[:2] == ["measured: supported", "measured: partly"] and "paper" in legend


def test_the_committed_claims_all_get_a_row():
    table = claims_table(FULL)
    expected = int(np.isfinite(table["value"].astype(float)).sum())
    assert len(claim_rows(table)) == expected == 10
    assert len(data_axes(claims_vs_paper(table))) == expected


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="claims has no row with a finite 'value'"):
        claims_vs_paper(claims().iloc[3:])
    with pytest.raises(ValueError, match="claims lacks the columns \\['quantity'"):
        claims_vs_paper(claims().drop(columns=["quantity"]))
    with pytest.raises(TypeError, match="claims must be a pandas DataFrame"):
        claims_vs_paper([1, 2])
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        claims_vs_paper(claims(), fig="figure")
