"""The key tables of the report: which rows and columns of an experiment's tables a reader sees.

An experiment's CSV tables are tidy and complete (``test_error_pct_mean``, ``frac_zero_eps``,
...); the report shows a few of their columns under readable names, with units and one
precision per column. A :class:`KeyTable` says which file, which rows (``select``) and which
:class:`Column` objects; each column is made by a small factory (:func:`text`, :func:`fixed`,
:func:`percent`, :func:`mean_sd`, ...) that reads one or two source columns and returns text.
A column whose source is missing from a run's table is left out, so quick and full runs (and a
user's own tables) all render.

See Also
--------
neuroact.report.content : where the key tables are placed in the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from neuroact.report.document import readable
from neuroact.stats import spread_digits
from neuroact.vocabulary import label

__all__ = [
    "KEY_TABLES",
    "Column",
    "KeyTable",
    "count",
    "first_per",
    "fixed",
    "key_frame",
    "mean_sd",
    "name",
    "percent",
    "significant",
    "span",
    "text",
    "with_unit",
]

DASH = "–"  # a missing number: shown, never left as an empty cell a reader may misread as 0


@dataclass(frozen=True)
class Column:
    """A column of a key table: its header, the source columns it needs, and its cells."""

    header: str
    sources: tuple[str, ...]
    cells: Callable[[pd.DataFrame], pd.Series]


def _number(value: object) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _fixed(value: object, decimals: int, scale: float = 1.0, sign: bool = False) -> str:
    x = _number(value) * scale
    if not math.isfinite(x):
        return DASH
    return f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"


def text(col: str, header: str, words: dict[str, str] | None = None) -> Column:
    """Cells as text, through ``words`` if given, else :func:`~neuroact.report.readable`."""

    def cells(frame: pd.DataFrame) -> pd.Series:
        return frame[col].map(
            lambda v: DASH if pd.isna(v) else (words or {}).get(v, readable(str(v)))
        )

    return Column(header, (col,), cells)


def name(col: str, header: str = "unit") -> Column:
    """Unit or curve-family names under their display labels (:func:`neuroact.vocabulary.label`)."""
    return Column(header, (col,), lambda f: f[col].map(lambda v: readable(label(str(v)))))


def count(col: str, header: str) -> Column:
    """Whole numbers."""
    return Column(header, (col,), lambda f: f[col].map(lambda v: _fixed(v, 0)))


def fixed(
    col: str, header: str, decimals: int = 2, scale: float = 1.0, sign: bool = False
) -> Column:
    """Numbers times ``scale`` with ``decimals`` decimals (``sign``: always with + or -)."""
    return Column(header, (col,), lambda f: f[col].map(lambda v: _fixed(v, decimals, scale, sign)))


def percent(col: str, header: str, decimals: int = 1) -> Column:
    """Fractions in [0, 1] shown in percent (the header says "%")."""
    return fixed(col, header, decimals, scale=100.0)


def significant(col: str, header: str, digits: int = 2) -> Column:
    """Numbers to ``digits`` significant digits, for quantities spanning decades (ratios)."""

    def one(v: object) -> str:
        x = _number(v)
        return DASH if not math.isfinite(x) else f"{x:.{digits}g}"

    return Column(header, (col,), lambda f: f[col].map(one))


def mean_sd(mean: str, sd: str, header: str, decimals: int = 2, scale: float = 1.0) -> Column:
    """``mean ± sd`` (the sd left out where it is missing, e.g. one seed), with more decimals
    where the sd would read 0 (:func:`neuroact.stats.spread_digits`)."""

    def cells(frame: pd.DataFrame) -> pd.Series:
        def one(row: pd.Series) -> str:
            d = spread_digits(float(pd.to_numeric(row[sd], errors="coerce")) * scale, decimals)
            m, s = _fixed(row[mean], d, scale), _fixed(row[sd], d, scale)
            return m if DASH in (m, s) else f"{m} ± {s}"

        return frame.apply(one, axis=1)

    return Column(header, (mean, sd), cells)


def span(low: str, high: str, header: str, decimals: int = 2, scale: float = 1.0, sign=False):
    """``low to high`` (an interval or a range); a dash where either end is missing."""

    def cells(frame: pd.DataFrame) -> pd.Series:
        def one(row: pd.Series) -> str:
            a, b = (_fixed(row[c], decimals, scale, sign) for c in (low, high))
            return DASH if DASH in (a, b) else f"{a} to {b}"

        return frame.apply(one, axis=1)

    return Column(header, (low, high), cells)


def with_unit(col: str, unit_col: str, header: str, decimals: int = 2) -> Column:
    """Numbers followed by the unit of the same row (tables mixing nA and µA/cm²)."""

    def cells(frame: pd.DataFrame) -> pd.Series:
        def one(row: pd.Series) -> str:
            value = _fixed(row[col], decimals)
            unit = str(row[unit_col]).replace("uA/cm2", "µA/cm²").replace("uA/cm^2", "µA/cm²")
            return value if value == DASH else f"{value} {unit}"

        return frame.apply(one, axis=1)

    return Column(header, (col, unit_col), cells)


@dataclass(frozen=True)
class KeyTable:
    """The part of one of an experiment's tables that the report shows.

    Attributes
    ----------
    table : the file's name without ``.csv`` in the experiment's folder.
    caption : one sentence on what the table shows (units are in the headers).
    columns : the columns shown, in order.
    select : picks and orders the rows (default: all rows as they are).
    """

    table: str
    caption: str
    columns: Sequence[Column]
    select: Callable[[pd.DataFrame], pd.DataFrame] | None = field(default=None)


def key_frame(frame: pd.DataFrame, spec: KeyTable) -> pd.DataFrame:
    """The rows and columns of ``frame`` that ``spec`` shows, as text under readable headers.

    Columns whose sources ``frame`` lacks are left out; an empty selection gives no rows.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    rows = spec.select(frame) if spec.select is not None else frame
    rows = rows.reset_index(drop=True)
    shown = [c for c in spec.columns if all(s in rows.columns for s in c.sources)]
    if rows.empty:
        return pd.DataFrame(columns=[c.header for c in shown])
    return pd.DataFrame({c.header: c.cells(rows).to_numpy() for c in shown})


def first_per(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per distinct ``keys`` (the first), for tables listing a network in two sweeps."""
    return frame.drop_duplicates(subset=[k for k in keys if k in frame.columns])


# --- the key table of each experiment -----------------------------------------------------------

PRETRAIN = {"none": "none", "dae": "DAE"}
INITS = {"xavier": "Xavier", "torch": "PyTorch default", "he": "He", "kaiming": "He"}
STAGES = {"init": "at initialisation", "trained": "trained"}
ORACLES = {"lif_rate": "LIF rate (Dayan & Abbott)", "siegert_rate": "Siegert rate"}


def _inactive_view(frame: pd.DataFrame) -> pd.Series:
    """How a unit counts as inactive: exactly zero, or within eps of zero for smooth units."""
    return frame["frac_zero_eps"].map(
        lambda e: "a = 0" if not _number(e) else f"|a| ≤ {_number(e) * 100:g}% of P99"
    )


def _band_name(frame: pd.DataFrame) -> pd.Series:
    return frame.apply(
        lambda r: f"{_fixed(r['sparsity_low'], 0, 100)}-{_fixed(r['sparsity_high'], 0, 100)}%",
        axis=1,
    )


def _showcases(frame: pd.DataFrame) -> pd.DataFrame:
    """The showcase networks (standard, sparse), else the asynchronous-irregular networks in
    the band, one row per network."""
    rows = frame[frame["sweep"] == "showcase"] if "sweep" in frame else frame.iloc[:0]
    if rows.empty and "in_band_50ms" in frame:
        rows = frame[frame["in_band_50ms"].astype(str) == "True"]
    return first_per(rows, ("g", "eta", "heterogeneity", "label"))


FRONTIER_KINDS = {
    "sparsest_active_50ms": "fewest active per 50 ms",
    "sparsest_rate": "lowest mean rate",
    "fastest_in_band": "fastest in Lennie's band",
    "fastest_in_band_full_window": "fastest in band, full 50 ms window",
}
V_INIT = {0.0: "rest", 0.5: "half-way", "0.0": "rest", "0.5": "half-way"}


def _all_relu_frontier(frame: pd.DataFrame) -> pd.DataFrame:
    """The bridge's frontier over all ReLU networks, the points found (within 1 point)."""
    rows = frame[(frame["group_network"] == "all ReLU networks") & frame["found"].astype(bool)]
    return rows.drop_duplicates(subset=["kind", "group_v_init", "job", "time_ms"])


def _deepest_at_init(frame: pd.DataFrame) -> pd.DataFrame:
    """Bottom/top gradient ratios of the deepest networks, mean over seeds, per unit x init."""
    deep = frame[frame["depth"] == frame["depth"].max()]
    cols = [c for c in ("bottom_over_top", "delta_bottom_over_top") if c in deep]
    per_net = deep.drop_duplicates(subset=["activation", "init", "seed"])
    out = per_net.groupby(["activation", "init"], sort=False)[cols].mean().reset_index()
    return out.assign(depth=deep["depth"].max())


KEY_TABLES: dict[str, tuple[KeyTable, ...]] = {
    "fi_curves": (
        KeyTable(
            "fi_accuracy",
            "Simulated integrate-and-fire curves against their analytic rates (currents where "
            "the oracle is above 5 Hz).",
            [text("model", "model"), fixed("sigma_mV", "noise σ (mV)", 0),
             text("oracle", "oracle", ORACLES), count("points_above_5Hz", "currents"),
             percent("max_rel_error", "largest error (%)", 2),
             percent("mean_rel_error", "mean error (%)", 2),
             percent("max_rel_sem", "largest SEM (% of rate)", 2), count("trials", "trials")],
        ),
        KeyTable(
            "fi_summary",
            "Threshold and range of each model's f-I curve.",
            [text("model", "model"), fixed("sigma_mV", "noise σ (mV)", 0),
             with_unit("last_silent_current", "current_unit", "last silent current"),
             with_unit("onset_current", "current_unit", "first firing current"),
             significant("onset_rate_Hz", "rate there (Hz)", 3),
             fixed("top_rate_Hz", "rate at the top current (Hz)", 1),
             fixed("adaptation_ratio", "first-interval / steady rate", 2)],
        ),
    ),
    "population_sparsity": (
        KeyTable(
            "population_summary",
            "The showcase networks: rate, neurons active at once and irregularity.",
            [text("label", "network"), fixed("g", "g", 1), fixed("eta", "η", 2),
             fixed("mean_rate_Hz", "mean rate (Hz)", 2),
             percent("frac_active_10ms", "active in 10 ms (%)", 2),
             percent("frac_active_50ms", "active in 50 ms (%)", 2),
             percent("frac_active_200ms", "active in 200 ms (%)", 1),
             percent("silent_frac", "silent all run (%)", 1), fixed("cv2_isi", "CV2", 2),
             fixed("synchrony_chi", "synchrony χ", 3),
             text("asynchronous_irregular", "asynchronous-irregular",
                  {True: "yes", False: "no", "True": "yes", "False": "no"})],
            _showcases,
        ),
        KeyTable(
            "band_width_summary",
            "The 1-4% band along η at the reference g, per mechanism: its edges, its width "
            "against Brunel's network's and the share of its networks that are "
            "asynchronous-irregular.",
            [text("label", "mechanism"), fixed("reference_g", "g", 0),
             fixed("eta_low", "η low", 3), fixed("eta_high", "η high", 3),
             fixed("width", "width", 3), fixed("width_vs_brunel", "x Brunel", 2),
             percent("ai_inside", "asynchronous-irregular (%)", 0),
             count("networks", "networks simulated")],
        ),
    ),
    "train_networks": (
        KeyTable(
            "training_summary",
            "Each trained network at its last epoch.",
            [name("activation"), significant("l1", "L1 penalty", 3), text("init", "init", INITS),
             count("epochs", "epochs"), percent("test_error", "test error (%)", 2),
             percent("frac_zero", "exact zeros (%)", 1),
             percent("frac_active_input", "positive input (%)", 1),
             percent("dead_frac", "dead units (%)", 2),
             fixed("lifetime_sparseness", "lifetime sparseness", 2)],
        ),
    ),
    "glorot_table1": (
        KeyTable(
            "table1",
            "Test error per unit (mean ± sd over seeds) beside Glorot et al. 2011, Table 1.",
            [text("dataset", "data set"), text("pretrain", "pre-training", PRETRAIN),
             name("activation"), count("n", "seeds"),
             count("n_collapsed", "collapsed to chance"),
             mean_sd("test_error_pct_mean", "test_error_pct_sd", "test error (%)"),
             fixed("paper_test_error_pct", "paper (%)", 2),
             fixed("diff_vs_paper_pct", "ours - paper (points)", 2, sign=True),
             count("rank", "rank"), fixed("train_error_pct_mean", "training error (%)", 2),
             percent("frac_zero_mean", "inactive units (%)", 1),
             Column("inactive if", ("frac_zero_eps",), _inactive_view)],
        ),
    ),
    "sparsity_vs_error": (
        KeyTable(
            "bands",
            "Test error by sparsity band, and its difference from the networks below 85% zeros.",
            [Column("exact zeros", ("sparsity_low", "sparsity_high"), _band_name),
             count("n", "networks"), count("n_collapsed", "collapsed to chance"),
             mean_sd("test_error_pct_mean", "test_error_pct_sd", "test error (%)"),
             fixed("diff_vs_below85_pct", "minus below 85% (points)", 2, sign=True),
             span("diff_ci_low", "diff_ci_high", "95% CI (points)", 2, sign=True)],
        ),
    ),
    "training_speed": (
        KeyTable(
            "ratios",
            "Epochs to the target training error relative to ReLU's, each unit at its own "
            "learning rate (above 1: ReLU faster).",
            [text("model", "model"), percent("target", "target error (%)", 0), name("activation"),
             fixed("lr", "learning rate", 2),
             count("n_seeds", "seeds"), count("n_censored", "never reached"),
             fixed("epochs_mean", "epochs to target", 1),
             mean_sd("ratio_mean", "ratio_sd", "epochs / ReLU's"),
             span("ratio_min", "ratio_max", "range"),
             fixed("seconds_ratio_mean", "wall time / ReLU's", 2)],
        ),
    ),
    "vanishing_gradients": (
        KeyTable(
            "grads_at_init",
            "Bottom over top hidden layer's gradient norm at initialisation, deepest networks "
            "(mean over seeds; 1: level, far below 1: vanishing).",
            [count("depth", "layers"), name("activation"), text("init", "init", INITS),
             significant("bottom_over_top", "dL/dW bottom / top", 3),
             significant("delta_bottom_over_top", "dL/dz bottom / top", 3)],
            _deepest_at_init,
        ),
    ),
    "activity_at_init": (
        KeyTable(
            "summary",
            "Hidden units active at initialisation and after training (mean ± sd over layers "
            "and seeds).",
            [name("activation"), text("init", "init", INITS), text("stage", "stage", STAGES),
             mean_sd("frac_active_output_mean", "frac_active_output_sd",
                     "active, output view (%)", 1, 100),
             mean_sd("frac_active_input_mean", "frac_active_input_sd",
                     "active, input view (%)", 1, 100),
             percent("test_error_mean", "test error (%)", 1)],
        ),
    ),
    "compare": (
        KeyTable(
            "measured_summary",
            "Activation families fitted to the measured cells.",
            [name("family", "family"), count("n_cells", "cells"),
             count("n_success", "fits converged"), count("n_wins", "cells won (AIC)"),
             fixed("median_r2", "median R²", 3), span("r2_q25", "r2_q75", "R² quartiles", 3),
             fixed("median_rmse_Hz", "median RMSE (Hz)", 2)],
        ),
        KeyTable(
            "bio_training_summary",
            "Networks with activations made from neurons, at their last epoch.",
            [name("activation"), count("epochs", "epochs"),
             percent("test_error", "test error (%)", 2),
             percent("frac_zero", "exact zeros (%)", 1),
             percent("frac_active_input", "positive input (%)", 1)],
        ),
    ),
    "bridge": (
        KeyTable(
            "networks",
            "The trained networks as ANNs: test accuracy and sparsity of the hidden layers.",
            [text("network", "network"), name("unit"), significant("l1", "L1 penalty", 3),
             percent("accuracy", "test accuracy (%)", 2),
             percent("frac_zero", "exact zeros (%)", 1),
             percent("activation_sparsity", "activation sparsity (%)", 1)],
        ),
        KeyTable(
            "frontier",
            "Operating points of the spiking twins over all ReLU networks within 1 point of "
            "their ANN, by membrane potential at image onset.",
            [text("kind", "point", FRONTIER_KINDS), text("v_init", "start", V_INIT),
             text("network", "network"), text("neuron", "neuron", {"if": "IF", "lif": "LIF"}),
             fixed("max_rate_Hz", "rate scale (Hz)", 0), fixed("time_ms", "time (ms)", 0),
             fixed("error_pct", "error (%)", 2), fixed("ann_error_pct", "ANN error (%)", 2),
             significant("mean_rate_Hz", "mean rate (Hz)", 2),
             percent("frac_active_50ms", "active per 50 ms (%)", 1),
             significant("atp_total_per_image", "ATP per image", 2)],
            _all_relu_frontier,
        ),
        KeyTable(
            "brian2",
            "The Brian2 reference engine against the fast engine on the same images.",
            [count("images", "images"), fixed("duration_ms", "time (ms)", 0),
             percent("identical_spike_trains_float64", "identical spike trains (%)", 1),
             percent("same_prediction_float32", "same prediction, float32 (%)", 1),
             percent("accuracy_brian2", "accuracy Brian2 (%)", 1),
             percent("accuracy_fast", "accuracy fast (%)", 1),
             significant("brian2_images_per_second", "Brian2 images/s", 2),
             significant("fast_images_per_second", "fast images/s", 2)],
        ),
    ),
}  # fmt: skip
"""Per experiment, the key tables shown beside its figures, in order."""
