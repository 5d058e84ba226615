"""Figures of the biological side, drawn from small hand-made tables: panels, axis labels with
units, legend entries, log scales and the plotted values themselves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from neuroact.figures.bio_fi import plot_fi_curves
from neuroact.figures.bio_network import band_scans, phase_map, raster_and_rate, rate_distribution


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def legend_texts(fig) -> list[str]:
    """Every legend entry of ``fig``: figure legends, then axes legends."""
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def title(ax) -> str:
    """The panel title (the theme puts titles on the left)."""
    return ax.get_title("left") or ax.get_title()


def ydata(line) -> np.ndarray:
    return np.asarray(line.get_ydata(), float)


def lif_rate_hz(current_na: np.ndarray) -> np.ndarray:
    """Dayan & Abbott's LIF rate: tau 10 ms, R 10 MOhm, threshold 15 mV above rest, 2 ms t_ref."""
    drive = 10.0 * current_na  # mV
    out = np.zeros_like(drive)
    above = drive > 15.0
    out[above] = 1 / (2e-3 + 10e-3 * np.log(drive[above] / (drive[above] - 15.0)))
    return out


def fi_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    current = np.array([1.0, 2.0, 3.0])
    lif = pd.DataFrame(
        {
            "model": "lif",
            "sigma_mV": 0.0,
            "current": current,
            "current_unit": "nA",
            "rate_Hz": lif_rate_hz(current),
            "rate_sem_Hz": 0.5,
            "first_rate_Hz": lif_rate_hz(current),
        }
    )
    hh = pd.DataFrame(
        {
            "model": "hh",
            "sigma_mV": np.nan,
            "current": [5.0, 7.0],
            "current_unit": "uA/cm^2",
            "rate_Hz": [0.0, 55.0],
            "rate_sem_Hz": np.nan,
            "first_rate_Hz": [0.0, 60.0],
        }
    )
    theory = pd.DataFrame(
        {"model": "lif", "sigma_mV": 0.0, "current": current, "rate_Hz": lif_rate_hz(current)}
    )
    return pd.concat([lif, hh], ignore_index=True), theory


def test_fi_curves_draws_the_simulation_on_its_oracle():
    curves, theory = fi_tables()
    fig = plot_fi_curves(curves, theory)
    a, b, c, d = fig.axes[:4]
    assert len(fig.axes) == 4 and not c.get_visible() and not d.get_visible()  # no AdEx etc.
    assert a.get_xlabel() == "input current (nA)" and a.get_ylabel() == "firing rate (Hz)"
    assert b.get_xlabel() == "input current (µA/cm²)"  # uA/cm^2 in the table
    expected = lif_rate_hz(np.array([1.0, 2.0, 3.0]))
    assert expected[0] == 0 and expected[2] == pytest.approx(1 / (2e-3 + 10e-3 * np.log(2)))
    sim = [ln for ln in a.lines if ln.get_marker() == "o"]
    line = [ln for ln in a.lines if ln.get_linestyle() == "-" and ln.get_marker() == "None"]
    np.testing.assert_allclose(ydata(sim[0]), expected)
    np.testing.assert_allclose(ydata(line[0]), expected)
    steady, first = b.lines[:2]
    np.testing.assert_allclose(steady.get_ydata(), [0.0, 55.0])
    np.testing.assert_allclose(first.get_ydata(), [0.0, 60.0])
    band = [p for p in b.patches if isinstance(p, Rectangle)]
    assert [round(p.get_x(), 6) for p in band] == [6.2]
    assert band[0].get_width() == pytest.approx(0.1)
    texts = legend_texts(fig)
    assert {"LIF", "simulation (± SEM)", "Hodgkin-Huxley", "first interval"} <= set(texts)
    assert any("6.2-6.3 µA/cm²" in t for t in texts)


def test_fi_curves_checks_its_tables_before_drawing():
    curves, _ = fi_tables()
    with pytest.raises(ValueError, match=r"curves lacks the columns \['first_rate_Hz'\]"):
        plot_fi_curves(curves.drop(columns="first_rate_Hz"))
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure or None; got str"):
        plot_fi_curves(curves, fig="fig")
    assert plt.get_fignums() == []


def test_fi_curves_draw_into_a_users_figure():
    curves, theory = fi_tables()
    mine = plt.figure()
    assert plot_fi_curves(curves, theory, fig=mine) is mine
    assert len(mine.axes) == 4


def test_raster_and_rate_one_column_per_network():
    raster = pd.DataFrame(
        {
            "label": ["sparse", "sparse", "standard"],
            "g": [8.0, 8.0, 5.0],
            "eta": [0.85, 0.85, 2.0],
            "heterogeneity": 0.0,
            "neuron": [3, 7, 1],
            "time_ms": [12.5, 80.0, 40.0],
        }
    )
    poprate = pd.DataFrame(
        {
            "label": ["sparse"] * 2 + ["standard"] * 2,
            "time_ms": [0.0, 1.0] * 2,
            "rate_Hz": [1, 2, 3, 4],
        }
    )
    fig = raster_and_rate(raster, poprate)
    assert len(fig.axes) == 4
    top_sparse, top_standard, rate_sparse, rate_standard = fig.axes
    np.testing.assert_allclose(top_sparse.collections[0].get_offsets(), [[12.5, 3], [80.0, 7]])
    assert "g = 8, η = 0.85" in title(top_sparse) and "2 spikes" in title(top_sparse)
    np.testing.assert_allclose(rate_standard.lines[0].get_ydata(), [3, 4])
    assert rate_sparse.get_xlabel() == "time (ms)"
    assert rate_sparse.get_ylabel() == "population rate (Hz)"


def test_rate_distribution_counts_silent_neurons_in_the_legend():
    rates = pd.DataFrame({"label": ["a"] * 4, "rate_Hz": [0.0, 0.0, 1.0, 10.0]})
    fig = rate_distribution(rates)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "firing rate over the run (Hz, log scale)"
    assert ax.get_ylabel() == "neurons per bin (%)"
    assert legend_texts(fig) == ["a: mean 2.75 Hz, 50% silent"]
    heights = ax.patches[0].get_xy()[:, 1]  # step outline: 25% of neurons in each of two bins
    assert heights.max() == pytest.approx(25.0)
    assert ax.lines[0].get_xdata()[0] == pytest.approx(2.75)  # the mean


def test_phase_map_outlines_the_lennie_band_and_reads_zero_as_zero():
    phase = pd.DataFrame(
        {
            "g": [4.0, 4.0, 8.0, 8.0],
            "eta": [0.8, 2.0, 0.8, 2.0],
            "heterogeneity": 0.0,
            "frac_active_50ms": [0.0, 0.9, 0.02, 0.3],
            "asynchronous_irregular": [False, False, True, False],
        }
    )
    fig = phase_map(phase)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.01, 90.0], [2.0, 30.0]])
    assert sorted(t.get_text() for t in ax.texts) == ["0", "2%", "30%", "90%"]
    outlined = [p for p in ax.patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)]
    assert [(p.get_x(), p.get_y()) for p in outlined] == [(-0.5, 0.5)]  # g=8, eta=0.8
    assert [tuple(ln.get_xydata()[0]) for ln in ax.lines] == [(0.0, 1.22)]  # one AI dot
    assert (
        ax.get_xlabel().startswith("external drive") and ax.get_ylabel() == "relative inhibition g"
    )
    assert fig.axes[1].get_ylabel() == "neurons active in 50 ms windows (%)"  # colour bar
    assert legend_texts(fig) == ["in Lennie's 1-4% band", "asynchronous-irregular"]


def test_band_scans_on_a_log_percent_axis_with_the_cortical_bands():
    summary = pd.DataFrame(
        {
            "sweep": ["eta_scan"] * 3 + ["g_scan"] * 2 + ["phase"],
            "g": [8.0, 8.0, 8.0, 6.0, 10.0, 4.0],
            "eta": [0.8, 0.85, 0.9, 0.85, 0.85, 2.0],
            "heterogeneity": 0.0,
            "frac_active_50ms": [0.005, 0.02, 0.05, 0.03, 0.01, 0.9],
            "asynchronous_irregular": [False, True, True, True, False, False],
        }
    )
    fig = band_scans(summary)
    eta_ax, g_ax = fig.axes
    assert eta_ax.get_yscale() == "log" and g_ax.get_yscale() == "log"
    np.testing.assert_allclose(eta_ax.lines[0].get_ydata(), [0.5, 2.0, 5.0])
    np.testing.assert_allclose(g_ax.lines[0].get_xdata(), [6.0, 10.0])
    np.testing.assert_allclose(eta_ax.lines[1].get_xdata(), [0.85, 0.9])  # AI rings
    assert title(eta_ax) == "η scan at g = 8" and title(g_ax) == "g scan at η = 0.85"
    lennie = [p for p in eta_ax.patches if p.get_label() == "Lennie 2003: 1-4%"][0]
    assert (lennie.get_y(), lennie.get_y() + lennie.get_height()) == (1.0, 4.0)
    assert legend_texts(fig) == [
        "Attwell & Laughlin 2001: 0-15%",
        "Lennie 2003: 1-4%",
        "heterogeneity 0",
        "asynchronous-irregular",
    ]
