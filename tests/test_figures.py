"""The figure machinery: import leaves matplotlib alone, the theme stays inside each figure,
``save`` writes atomically and checks its input, colours and labels follow the vocabulary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from neuroact.figures import (
    PALETTE,
    check_table,
    colour,
    colours,
    family_style,
    network_label,
    network_styles,
    save,
    theme,
    unit_label,
)
from neuroact.figures.bio_network import rate_distribution
from neuroact.vocabulary import TERMS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _python(code: str, **env) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that imports this checkout's neuroact."""
    environ = os.environ | {"PYTHONPATH": str(REPO)} | env
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=300
    )


def test_import_changes_neither_backend_nor_rcparams():
    # svg is a backend nobody would pick by accident: a forced switch to Agg would show
    code = (
        "import matplotlib as mpl\n"
        "before = mpl.get_backend(); rc = dict(mpl.rcParams)\n"
        "import neuroact.figures, neuroact.figures.compare, neuroact.figures.gradients\n"
        "after = dict(mpl.rcParams)\n"
        "changed = sorted(k for k in rc if str(rc[k]) != str(after[k]))\n"
        "print(before, mpl.get_backend(), changed)\n"
    )
    out = _python(code, MPLBACKEND="svg")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["svg", "svg", "[]"]


def test_use_agg_switches_the_backend_for_scripts():
    out = _python(
        "import matplotlib as mpl; from neuroact.figures import use_agg; use_agg(); "
        "print(mpl.get_backend())",
        MPLBACKEND="svg",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "agg"


def test_theme_applies_inside_each_figure_only():
    before = dict(mpl.rcParams)
    fig = rate_distribution(pd.DataFrame({"label": ["a"] * 3, "rate_Hz": [0.0, 1.0, 10.0]}))
    assert dict(mpl.rcParams) == before  # nothing leaks into the session
    with theme():
        themed = {k: mpl.rcParams[k] for k in ("xtick.labelsize", "xtick.minor.size")}
        assert mpl.rcParams["axes.spines.top"] is False
    assert mpl.rcParams["axes.spines.top"] is True
    assert themed != {k: mpl.rcParams[k] for k in themed}
    ax = fig.axes[0]
    fig.canvas.draw()  # rendered outside the theme, as a notebook does
    sizes = {t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()}
    assert sizes == {themed["xtick.labelsize"]}
    minor = {t.tick1line.get_markersize() for t in ax.xaxis.get_minor_ticks()}  # log axis
    assert minor == {themed["xtick.minor.size"]}
    assert not ax.spines["top"].get_visible()


def test_save_writes_each_format_and_closes_the_figure(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    paths = save(fig, tmp_path / "sub" / "line.png", formats=("png", "svg"))
    assert paths == [tmp_path / "sub" / "line.png", tmp_path / "sub" / "line.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()
    assert not plt.fignum_exists(fig.number)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["line.png", "line.svg"]


def test_save_keeps_a_dotted_name_without_format_suffix(tmp_path):
    fig, _ = plt.subplots()
    assert save(fig, tmp_path / "eta=0.85") == [tmp_path / "eta=0.85.png"]


@pytest.mark.parametrize(
    ("formats", "error", "match"),
    [
        (("png", "jpg"), ValueError, "formats must be a non-empty choice"),
        ((), ValueError, "formats must be a non-empty choice"),
        ("png", TypeError, "formats must be a sequence"),
    ],
)
def test_save_rejects_bad_formats_before_writing(tmp_path, formats, error, match):
    fig, _ = plt.subplots()
    with pytest.raises(error, match=match):
        save(fig, tmp_path / "f.png", formats=formats)
    assert list(tmp_path.iterdir()) == []


def test_save_rejects_what_is_not_a_figure(tmp_path):
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure; got str"):
        save("figure", tmp_path / "f.png")


def test_palette_has_one_distinct_colour_per_canonical_name():
    assert set(PALETTE) == set(TERMS)
    assert len({to_hex(c) for c in PALETTE.values()}) == len(PALETTE)
    assert colour("rectifier") == colour("ReLU") == PALETTE["relu"]
    assert colour("logistic") == PALETTE["sigmoid"]


def test_unknown_names_get_distinct_colours_apart_from_the_palette():
    got = colours(["relu", "bio_softplus", "my_unit", "logistic"])
    assert got["relu"] == PALETTE["relu"] and got["logistic"] == PALETTE["sigmoid"]
    assert got["bio_softplus"] != got["my_unit"]
    assert {got["bio_softplus"], got["my_unit"]}.isdisjoint(PALETTE.values())


def test_networks_of_one_unit_never_draw_alike():
    styles = network_styles([("relu", 0.0), ("relu", 1e-3), ("relu", 1e-4), ("tanh", 0.0)])
    relu = [styles[("relu", v)] for v in (0.0, 1e-4, 1e-3)]  # sorted by penalty
    assert len({(s["marker"], str(s["ls"])) for s in relu}) == 3
    assert {s["color"] for s in relu} == {PALETTE["relu"]}
    assert relu[0]["marker"] == "o" and relu[0]["ls"] == "-"  # no penalty: the plain style
    assert network_label("rectifier", 1e-4) == "rectifier (ReLU), L1 = 1e-4"
    assert network_label("logistic", 0.0, "he") == "sigmoid (logistic), he init"


def test_rectifier_and_softplus_fits_differ_in_pattern_and_width():
    relu, soft = family_style("rectifier"), family_style("softplus")
    assert relu["color"] != soft["color"] and relu["ls"] != soft["ls"]
    assert relu["lw"] > soft["lw"] and relu["zorder"] < soft["zorder"]  # wide, underneath
    assert family_style("power_law")["color"] != family_style("lif")["color"]


@pytest.mark.parametrize("unit", ["uA/cm2", "uA/cm^2", "µA/cm2", " UA/CM2 "])
def test_one_spelling_per_unit(unit):
    assert unit_label(unit) == "µA/cm²"
    assert unit_label("nA") == "nA" and unit_label("pA") == "pA"


def test_check_table_names_the_parameter_and_what_is_missing():
    with pytest.raises(TypeError, match="history must be a pandas DataFrame; got dict"):
        check_table({}, "history", ["epoch"])
    with pytest.raises(ValueError, match=r"history lacks the columns \['epoch'\]"):
        check_table(pd.DataFrame({"layer": [1]}), "history", ["layer", "epoch"])
    with pytest.raises(ValueError, match="history is empty"):
        check_table(pd.DataFrame({"epoch": []}), "history", ["epoch"])
    assert check_table(pd.DataFrame({"epoch": []}), "h", ["epoch"], allow_empty=True).empty
