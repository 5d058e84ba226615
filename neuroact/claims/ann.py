"""Claims about artificial networks at and after training: activity, sparsity and gradients.

Each claim reads the tables of the PyTorch experiments ``activity_at_init``, ``train_networks``,
``sparsity_vs_error`` and ``vanishing_gradients`` and returns a
:class:`~neuroact.claims.core.Claim`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from neuroact.claims.core import (
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    Claim,
    Statement,
    TableMissing,
    Tables,
    as_bool,
    percent,
    register,
)
from neuroact.literature import (
    GLOROT_2011_HARMLESS_SPARSITY,
    GLOROT_2011_SPARSITY,
)
from neuroact.stats import Estimate, mean_sd_text

# "About half active": within 10 points of 50% at initialisation, where symmetric inputs and
# weights put every unit's pre-activation at zero mean, and within 15 points after training,
# which is allowed to move the code a little.
HALF = 0.5
HALF_TOLERANCE_INIT = 0.10
HALF_TOLERANCE_TRAINED = 0.15

# The sparsity band of the claim: Glorot et al. 2011 report 68-83% exact zeros and accuracy
# unharmed up to about 85%, so a mean anywhere in 68-85% counts as in the band.
SPARSE_BAND = (GLOROT_2011_SPARSITY.low, GLOROT_2011_HARMLESS_SPARSITY)
# The paper reads "about 85%" off a figure: a hinge breakpoint up to 5 points below it agrees.
BREAKPOINT_TOLERANCE = 0.05

# Vanishing: an order of magnitude lost from the top hidden layer to the bottom one.
VANISHED_RATIO = 0.1
# Level: within a factor of about 3 of the top layer's gradient.
LEVEL_RATIO = 0.3
# ReLU "keeps" its gradients only when the sigmoid's are at least 10x smaller under that init.
SEPARATION = 0.1
# PyTorch's default U[-1/sqrt(n), 1/sqrt(n)] init shrinks every unit's gradients (Glorot &
# Bengio 2010); ReLU need not stay level under it, only under the normalised inits.
OLD_INIT = "torch"


SIGMOID_HALF = Statement(
    "Sigmoid networks are about half active; ReLU networks start near 50% and end sparser",
    "Glorot, Bordes & Bengio 2011, section 2",
    ("activity_at_init",),
)


@register(SIGMOID_HALF)
def claim_sigmoid_half(t: Tables) -> Claim:
    """Sigmoid networks are about half active; ReLU networks start near 50% and end sparser.

    Source: Glorot, Bordes & Bengio (2011) AISTATS, section 2.

    Measured: from ``activity_at_init/summary.csv`` (mean over inits), the fraction of sigmoid
    units above their midpoint (input view) at initialisation and after training, and the
    fraction of ReLU units that are non-zero (output view) at both stages.

    Verdict: three parts, each judged against :data:`HALF`: sigmoid within
    :data:`HALF_TOLERANCE_INIT` of one half at init (and :data:`HALF_TOLERANCE_TRAINED` after
    training), ReLU within :data:`HALF_TOLERANCE_INIT` at init, ReLU less active after training.
    Supported if all three hold, not supported if none, partly otherwise.
    """
    s = t.require(
        "activity_at_init",
        "summary",
        ["activation", "stage", "frac_active_input_mean", "frac_active_output_mean"],
    )

    def get(act: str, stage: str, col: str) -> float:
        r = s[(s["activation"] == act) & (s["stage"] == stage)]
        return float(r[col].mean()) if len(r) else math.nan

    sig_in = get("sigmoid", "init", "frac_active_input_mean")
    sig_tr = get("sigmoid", "trained", "frac_active_input_mean")
    relu_0 = get("relu", "init", "frac_active_output_mean")
    relu_1 = get("relu", "trained", "frac_active_output_mean")
    if not (np.isfinite(sig_in) and np.isfinite(relu_0)):
        return SIGMOID_HALF.not_run(
            "needs sigmoid and ReLU networks at init in activity_at_init/summary.csv"
        )
    measured = (
        f"sigmoid above midpoint: {percent(sig_in)} at init, {percent(sig_tr)} trained; ReLU "
        f"non-zero: {percent(relu_0)} at init, {percent(relu_1)} trained"
    )
    half = abs(sig_in - HALF) < HALF_TOLERANCE_INIT and (
        not np.isfinite(sig_tr) or abs(sig_tr - HALF) < HALF_TOLERANCE_TRAINED
    )
    relu_half = abs(relu_0 - HALF) < HALF_TOLERANCE_INIT
    relu_sparser = bool(np.isfinite(relu_1) and relu_1 < relu_0)
    if half and relu_half and relu_sparser:
        verdict = SUPPORTED
    else:
        verdict = PARTLY if (half or relu_half or relu_sparser) else NOT_SUPPORTED
    why = "; ".join(
        [
            "sigmoid units sit near their midpoint (a dense code)"
            if half
            else "sigmoid activity moved away from one half",
            "ReLU units start about half on" if relu_half else "ReLU units do not start half on",
            "training switches more ReLU units off"
            if relu_sparser
            else "ReLU activity did not fall with training",
        ]
    )
    return SIGMOID_HALF.result(
        measured,
        verdict,
        why,
        quantity="sigmoid units above their midpoint at initialisation",
        value=sig_in,
        paper_value=HALF,
        unit="fraction",
    )


RECTIFIER_SPARSITY = Statement(
    "Rectifier networks become 70-85% sparse (L1 penalty) and are not hurt until ~85%",
    "Glorot, Bordes & Bengio 2011, section 4 and Fig. 3",
    ("train_networks", "sparsity_vs_error"),
)
_NETWORK_COLUMNS = ["l1", "frac_zero", "test_error"]


def _band_differences(bands: pd.DataFrame) -> list[str]:
    """One text per sparsity band above 85%: its error minus the < 85% networks', with the
    interval the experiment computed (only where the band holds at least 2 networks)."""
    parts = []
    for b in bands[np.isfinite(bands["diff_vs_below85_pct"])].itertuples():
        k = int(b.n_collapsed) if np.isfinite(b.n_collapsed) else 0
        est = Estimate(b.diff_vs_below85_pct, b.diff_ci_low, b.diff_ci_high)
        if b.n < 2:
            est = Estimate(b.diff_vs_below85_pct, reason=f"fewer than 2 networks (n={b.n})")
        parts.append(
            f"{100 * b.sparsity_low:.0f}-{100 * b.sparsity_high:.0f}% zeros: "
            f"{b.diff_vs_below85_pct:+.2f} points of error vs below 85% "
            f"({est.interval_text(signed=True)}, n={b.n}"
            + (f", {k} of them collapsed" if k else "")
            + ")"
        )
    return parts


def _sparse_settings(
    nets: pd.DataFrame | None, sweep: pd.DataFrame | None
) -> tuple[list[str], bool]:
    """Text on the L1-penalised ReLU networks, and whether any setting lands in the band."""
    parts, in_band = [], []
    lo, hi = SPARSE_BAND
    if nets is not None:
        relu = nets[(nets["activation"] == "relu") & (nets["l1"] > 0)]
        for (ds, l1), g in relu.groupby(["dataset", "l1"]):
            parts.append(
                f"{ds} L1={l1:g}: {mean_sd_text(g['frac_zero'], 100, 1, '%')} zeros, "
                f"test error {mean_sd_text(g['test_error'], 100, 2, '%')}"
            )
            in_band.append(bool(lo <= g["frac_zero"].mean() <= hi))
    if sweep is not None and len(sweep):
        # the sweep's penalised networks in the band, against the unpenalised ones' error
        band_nets = sweep[(sweep["frac_zero"] >= lo) & (sweep["frac_zero"] <= hi)]
        base = sweep.loc[sweep["l1"] == 0, "test_error"]
        if len(band_nets):
            parts.append(
                f"L1 sweep: {len(band_nets)}/{len(sweep)} networks at 68-85% zeros, test error "
                f"{mean_sd_text(band_nets['test_error'], 100, 2, '%')} vs "
                f"{mean_sd_text(base, 100, 2, '%')} without penalty"
            )
            in_band.append(True)
    return parts, any(in_band)


def _error_threshold(
    hinge: pd.Series, sweep: pd.DataFrame | None, bands: pd.DataFrame | None
) -> tuple[list[str], bool]:
    """Text on where error starts to rise, and whether that is past about 85% sparsity with no
    network collapsed below it."""
    dropped, early_collapse = "", False
    gone = sweep[as_bool(sweep["collapsed"])] if sweep is not None else None
    if gone is not None and len(gone):
        low, high = percent(gone["frac_zero"].min()), percent(gone["frac_zero"].max())
        dropped = (
            f"; {len(gone)} networks at {low if low == high else f'{low}-{high}'} zeros did "
            "not learn and are left out"
        )
        # a network at chance below 85% zeros is the strongest "sparsity hurts" there is
        early_collapse = bool((gone["frac_zero"] < GLOROT_2011_HARMLESS_SPARSITY).any())
    rises = bool(as_bool(pd.Series([hinge["rises"]])).iloc[0])
    where = (
        f"{percent(hinge['breakpoint'])} sparsity "
        f"(95% CI {percent(hinge['ci_low'])}-{percent(hinge['ci_high'])}, hinge fit{dropped})"
    )
    # without a significant rise the breakpoint only marks where a flat line could bend
    parts = [
        f"error starts to rise at {where}"
        if rises
        else f"no significant rise of error with sparsity (hinge fit bends at {where}, but its "
        "slope's interval includes 0)"
    ]
    if bands is not None:
        parts += _band_differences(bands)
    late = bool(hinge["breakpoint"] >= GLOROT_2011_HARMLESS_SPARSITY - BREAKPOINT_TOLERANCE)
    return parts, not early_collapse and (not rises or late)


@register(RECTIFIER_SPARSITY)
def claim_rectifier_sparsity(t: Tables) -> Claim:
    """Rectifier networks become 70-85% sparse with an L1 penalty and are not hurt until ~85%.

    Source: Glorot, Bordes & Bengio (2011) AISTATS, section 4 and Fig. 3 (68-83% exact zeros
    with an L1 activation penalty; accuracy unharmed up to about 85%).

    Measured: the L1-penalised ReLU networks of ``train_networks/training_summary.csv`` (zeros
    and test error, mean ± sd); the sweep of ``sparsity_vs_error/networks.csv`` (networks in
    :data:`SPARSE_BAND` against the unpenalised ones); the hinge fit of where error starts to
    rise (``hinge.csv``, bootstrap interval) and each band's error difference from the networks
    below 85% (``bands.csv``). Networks that collapsed to chance are named.

    Verdict: supported if some setting lands in the band and the error's rise starts past
    85% (the breakpoint no more than :data:`BREAKPOINT_TOLERANCE` below it, or no rise at all)
    with no network collapsed below 85%; partly if only one of the two holds (or the threshold
    was not tested); not supported if neither.
    """
    nets = t.optional(
        "train_networks", "training_summary", ["activation", "dataset", *_NETWORK_COLUMNS]
    )
    hinge = t.optional("sparsity_vs_error", "hinge", ["breakpoint", "ci_low", "ci_high", "rises"])
    if nets is None and hinge is None:
        raise TableMissing(
            [
                Tables.key("train_networks", "training_summary"),
                Tables.key("sparsity_vs_error", "hinge"),
            ]
        )
    sweep = t.optional("sparsity_vs_error", "networks", [*_NETWORK_COLUMNS, "collapsed"])
    bands = t.optional(
        "sparsity_vs_error",
        "bands",
        ["sparsity_low", "sparsity_high", "n", "n_collapsed", "diff_vs_below85_pct",
         "diff_ci_low", "diff_ci_high"],
    )  # fmt: skip
    parts, band_hit = _sparse_settings(nets, sweep)
    rises_ok, numbers = None, {}
    if hinge is not None and len(hinge):
        more, rises_ok = _error_threshold(hinge.iloc[0], sweep, bands)
        parts += more
        numbers = {k: float(hinge[c].iloc[0]) for k, c in
                   (("value", "breakpoint"), ("low", "ci_low"), ("high", "ci_high"))}  # fmt: skip
    measured = "; ".join(parts) if parts else "-"
    if band_hit and rises_ok is None:
        verdict = PARTLY
        why = "an L1 penalty brings ReLU layers into the band; the 85% threshold was not tested"
    elif band_hit and rises_ok:
        verdict = SUPPORTED
        why = (
            "an L1 penalty brings ReLU layers into the 70-85% band; the error's rise starts "
            "past 85% (per-band differences above)"
        )
    elif band_hit or rises_ok:
        verdict = PARTLY
        why = "the band is reached, but error starts rising earlier than 85% sparsity"
        if not band_hit:
            why = "no L1 setting landed in 70-85%, but error holds up to about 85%"
    else:
        verdict, why = NOT_SUPPORTED, "neither the band nor the 85% threshold was reproduced"
    return RECTIFIER_SPARSITY.result(
        measured,
        verdict,
        why,
        quantity="sparsity (fraction of zeros) where test error starts to rise, hinge fit",
        paper_value=GLOROT_2011_HARMLESS_SPARSITY,
        unit="fraction",
        **numbers,
    )


VANISHING = Statement(
    "Sigmoid gradients vanish with depth, ReLU gradients do not",
    "Glorot & Bengio 2010; Glorot, Bordes & Bengio 2011",
    ("vanishing_gradients",),
)
_GRADIENT_RATIOS = ["bottom_over_top", "delta_bottom_over_top"]


@register(VANISHING)
def claim_vanishing(t: Tables) -> Claim:
    """Sigmoid gradients vanish with depth, ReLU gradients do not.

    Source: Glorot & Bengio (2010) AISTATS; Glorot, Bordes & Bengio (2011) AISTATS.

    Measured: from ``vanishing_gradients/grads_at_init.csv``, in the deepest networks at
    initialisation, the bottom over top hidden layer's gradient norm, both of the weights
    (dL/dW) and back-propagated to the pre-activations (dL/dz), median over seeds, per unit and
    init. The two part ways for ReLU under Xavier: level weight gradients can hide a shrinking
    dL/dz.

    Verdict: the sigmoid's gradients vanish when both ratios are under :data:`VANISHED_RATIO`
    under every init; ReLU keeps its gradients under an init when both ratios stay above
    :data:`LEVEL_RATIO` and the sigmoid's are at least 1/:data:`SEPARATION` times smaller
    there. Supported if the sigmoid vanishes everywhere and ReLU keeps its gradients under every
    normalised init (all but :data:`OLD_INIT`); partly if one of the two; not supported if
    neither. Units are compared under the same init, never the best of one with the worst of
    the other.
    """
    g = t.require(
        "vanishing_gradients",
        "grads_at_init",
        ["depth", "activation", "init", "seed", *_GRADIENT_RATIOS],
    )
    if g.empty:
        return VANISHING.not_run("vanishing_gradients/grads_at_init.csv is empty")
    deepest = g["depth"].max()
    d = g[g["depth"] == deepest].drop_duplicates(["activation", "init", "seed"])
    ratios = d.groupby(["activation", "init"])[_GRADIENT_RATIOS].median()
    if not {"sigmoid", "relu"} <= set(ratios.index.get_level_values("activation")):
        return VANISHING.not_run(
            "needs sigmoid and ReLU networks in vanishing_gradients/grads_at_init.csv"
        )

    def fmt(r: pd.Series) -> str:
        return "/".join(f"{r[c]:.2g}" for c in _GRADIENT_RATIOS)

    what = "dL/dW / dL/dz"
    measured = f"depth {deepest}, bottom/top hidden-layer {what} at init: " + ", ".join(
        f"{a} ({i}) {fmt(r)}" for (a, i), r in ratios.iterrows()
    )
    sig = ratios.xs("sigmoid", level="activation")
    relu = ratios.xs("relu", level="activation")
    same = [i for i in sig.index if i in relu.index]
    if not same:
        return VANISHING.not_run(
            "needs sigmoid and ReLU networks under the same init in "
            "vanishing_gradients/grads_at_init.csv",
            measured,
        )
    vanish_all = bool((sig[_GRADIENT_RATIOS] < VANISHED_RATIO).all(axis=None))
    keeps = [
        i
        for i in same
        if all(
            relu.loc[i, c] > LEVEL_RATIO and sig.loc[i, c] < SEPARATION * relu.loc[i, c]
            for c in _GRADIENT_RATIOS
        )
    ]
    needed = [i for i in same if i != OLD_INIT] or same
    if vanish_all and set(needed) <= set(keeps):
        verdict = SUPPORTED
    else:
        verdict = PARTLY if (vanish_all or keeps) else NOT_SUPPORTED
    why = "; ".join(f"{i} init: sigmoid {fmt(sig.loc[i])} vs ReLU {fmt(relu.loc[i])}" for i in same)
    why = f"bottom/top {what}, same init: " + why
    if keeps and len(keeps) < len(same):
        why += f" (ReLU stays level under {', '.join(keeps)} init only)"
    elif not keeps:
        why += " (ReLU also decays)"
    # the key number: how much smaller the sigmoid's bottom-layer weight gradient is than
    # ReLU's, under the paper's Xavier init where it was run
    init = "xavier" if "xavier" in same else same[0]
    return VANISHING.result(
        measured,
        verdict,
        why,
        quantity=f"bottom/top dL/dW of sigmoid over that of ReLU, depth {deepest}, {init} init",
        value=float(sig.loc[init, "bottom_over_top"] / relu.loc[init, "bottom_over_top"]),
        unit="ratio",
    )
