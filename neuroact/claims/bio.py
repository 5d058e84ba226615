"""Claims about biological neurons: thresholds, f-I curve shapes and cortical sparsity.

Each claim reads the tables of the ``fi_curves``, ``compare`` and ``population_sparsity``
experiments (Brian2 simulations and the 44 measured rat L5 cells) and returns a
:class:`~neuroact.claims.core.Claim`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuroact.claims.core import (
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    Claim,
    Statement,
    Tables,
    as_bool,
    percent,
    register,
    span,
)
from neuroact.literature import CORTICAL_RECORDINGS, LENNIE_2003, Recording
from neuroact.vocabulary import label

# A type II neuron (Hodgkin 1948; the 1952 squid axon) starts firing at a large fraction of the
# rate it reaches; a type I neuron can fire arbitrarily slowly just above threshold. On our
# current grids the type I models' first rate is at most 0.18 of their top rate (LIF, whose
# coarse grid steps past the slowest rates) and Hodgkin-Huxley's is 0.61 (53 of 86 Hz): 0.4
# separates the two with room on both sides.
TYPE_II_ONSET_FRACTION = 0.4

# "Fits" means R^2 >= 0.99 on every noisy curve: the diffusion LIF's curves are smooth and
# noise-free in the mean, so a family that follows their shape leaves under 1% of the variance.
SOFTPLUS_FIT_R2 = 0.99
# An AIC difference above 2 is "considerably less support" for the worse model (Burnham &
# Anderson 2002, section 2.6); below it the two fit about equally well.
AIC_BETTER = 2.0

# A power-law exponent below 1 bends the curve down above threshold (sub-linear).
LINEAR_EXPONENT = 1.0

# Sparse cortical firing: Lennie 2003's energy budget puts the mean rate well under 1 Hz.
SPARSE_MAX_RATE_HZ = 1.0
# Brunel 2000's standard asynchronous-irregular setting (g = 5, eta = 2), quoted for contrast.
STANDARD_BRUNEL = {"g": 5.0, "eta": 2.0}


THRESHOLD = Statement(
    "Neurons are silent below a threshold and respond over a broad range above it",
    "Dayan & Abbott 2001, ch. 5; measured rat L5 pyramidal cells (Blue Brain Project)",
    ("fi_curves", "compare"),
)


@register(THRESHOLD)
def claim_threshold(t: Tables) -> Claim:
    """Neurons are silent below a threshold and respond over a broad range above it.

    Source: Dayan & Abbott (2001), *Theoretical Neuroscience*, ch. 5; the measured rat L5 cells.

    Measured: for each deterministic model of ``fi_curves/fi_summary.csv`` (sigma = 0), whether
    it is silent at some current above the lowest one tested, its rate at the top current and
    that rate over its first rate above onset; from ``compare/measured_points.csv`` (when
    present) the measured cells' maximum rate and its ratio to their lowest non-zero rate.

    Verdict: not supported if a model fires at every current tested; partly if every model is
    silent below threshold but one jumps at onset to at least :data:`TYPE_II_ONSET_FRACTION` of
    its top rate (type II: a narrow range above threshold); supported otherwise.
    """
    summary = t.require(
        "fi_curves",
        "fi_summary",
        ["model", "sigma_mV", "last_silent_current", "onset_rate_Hz", "top_rate_Hz"],
    )
    curves = t.require("fi_curves", "fi_curves", ["model", "current"])
    det = summary[summary["sigma_mV"] == 0]
    if det.empty:
        return THRESHOLD.not_run(
            "needs deterministic models (sigma_mV = 0) in fi_curves/fi_summary.csv"
        )
    lowest = curves.groupby("model")["current"].min()
    # Silent below threshold = no spikes at some current above the lowest one tested (a grid
    # starting at zero current is silent there for any model without spontaneous firing).
    silent = det["last_silent_current"] > det["model"].map(lowest)
    onset = det["onset_rate_Hz"].where(det["onset_rate_Hz"] > 0)
    ratio = det["top_rate_Hz"] / onset
    jump = det.loc[onset >= TYPE_II_ONSET_FRACTION * det["top_rate_Hz"], "model"].tolist()
    measured = (
        f"{int(silent.sum())}/{len(det)} deterministic models silent below onset; rate at the top "
        f"current {span(det['top_rate_Hz'])} Hz, {span(ratio, 1)}x the "
        "first rate above onset"
    )
    points = t.optional("compare", "measured_points", ["cell_id", "rate_Hz"])
    if points is not None and len(points):
        per_cell = points.groupby("cell_id")["rate_Hz"]
        lowest_rate = per_cell.apply(lambda r: r[r > 0].min() if (r > 0).any() else np.nan)
        measured += (
            f"; measured cells ({per_cell.ngroups}): max rate median "
            f"{per_cell.max().median():.1f} Hz, {(per_cell.max() / lowest_rate).median():.1f}x "
            "the lowest non-zero rate"
        )
    if not silent.all():
        verdict, why = NOT_SUPPORTED, "some model fires at every current tested"
    elif jump:
        verdict = PARTLY
        why = (
            "every model is silent below a threshold and most rise continuously over a broad "
            f"range; {', '.join(jump)} jump(s) to a high rate at onset (type II, a narrow range)"
        )
    else:
        verdict = SUPPORTED
        why = "every curve has a silent range and rises continuously well above its onset rate"
    return THRESHOLD.result(
        measured,
        verdict,
        why,
        quantity="deterministic models silent below a threshold",
        value=float(silent.mean()),
        paper_value=1.0,
        unit="fraction",
    )


SOFTPLUS = Statement(
    "Softplus is a smooth rectifier: it fits noisy (diffusion) f-I curves",
    "Dugas et al. 2001; Glorot, Bordes & Bengio 2011",
    ("compare",),
)


@register(SOFTPLUS)
def claim_softplus(t: Tables) -> Claim:
    """Softplus is a smooth rectifier: it fits noisy (diffusion) f-I curves.

    Source: Dugas et al. (2001) NIPS; Glorot, Bordes & Bengio (2011) AISTATS.

    Measured: from ``compare/sim_fits.csv``, the softplus R^2 on each noisy-LIF curve
    (sigma > 0; a failed fit counts as R^2 = 0, a miss rather than a curve left out) and
    AIC(rectifier) - AIC(softplus) on the curves where both fits succeeded.

    Verdict: supported if softplus reaches R^2 >= :data:`SOFTPLUS_FIT_R2` on every noisy curve,
    partly if on some, not supported if on none. The why says whether softplus also beats the
    hard rectifier by more than :data:`AIC_BETTER` on every curve.
    """
    fits = t.require("compare", "sim_fits", ["curve", "sigma_mV", "family", "success", "r2", "aic"])
    noisy = fits[fits["sigma_mV"] > 0]
    if noisy.empty:
        return SOFTPLUS.not_run("needs noisy-LIF fits (sigma_mV > 0) in compare/sim_fits.csv")
    ok = as_bool(noisy["success"]) & noisy["r2"].notna()
    sp_all = noisy[noisy["family"] == "softplus"]
    if sp_all.empty:
        return SOFTPLUS.not_run("needs softplus fits of the noisy curves in compare/sim_fits.csv")
    sp = sp_all.set_index("curve")
    sp_ok = ok[sp_all.index].to_numpy()
    rect = noisy[ok & (noisy["family"] == "relu")].set_index("curve")
    common = sp[sp_ok].index.intersection(rect.index)
    d_aic = (rect.loc[common, "aic"] - sp.loc[common, "aic"]).to_numpy(dtype=float)
    # A failed softplus fit counts as a miss, not as a curve left out.
    r2 = sp["r2"].where(sp_ok, 0.0)
    aic_text = (
        f"AIC(rectifier) - AIC(softplus) = {d_aic.min():.0f} to {d_aic.max():.0f}"
        if d_aic.size
        else "no curve where both the rectifier and softplus fits succeeded"
    )
    measured = (
        f"softplus R^2 {r2.min():.4f}-{r2.max():.4f} on {len(r2)} noisy curve(s) "
        f"({', '.join(f'{c}: {v:.4f}' for c, v in r2.items())}); {aic_text}"
    )
    if r2.min() >= SOFTPLUS_FIT_R2:
        verdict = SUPPORTED
    else:
        verdict = PARTLY if r2.max() >= SOFTPLUS_FIT_R2 else NOT_SUPPORTED
    why = "softplus follows the noise-smoothed threshold of the diffusion LIF"
    if verdict == PARTLY:
        why += " at the stronger noise; at the weaker noise the knee is sharper than it fits"
    if not d_aic.size:
        why += "; the AIC comparison with the hard rectifier was not possible"
    elif np.all(d_aic > AIC_BETTER):
        why += "; it beats the hard rectifier on AIC"
    else:
        why += "; on these curves the hard rectifier fits about as well (its beta runs large)"
    return SOFTPLUS.result(
        measured,
        verdict,
        why,
        quantity="lowest softplus R^2 on the noisy-LIF f-I curves",
        value=float(r2.min()),
        unit="R^2",
    )


RECTIFIER_FITS = Statement(
    "ReLU and softplus fit f-I curves better than sigmoids",
    "Glorot, Bordes & Bengio 2011 (motivation); measured L5 cells",
    ("compare",),
)
_FIT_FAMILIES = ("relu", "softplus", "sigmoid", "power_law", "lif")


@register(RECTIFIER_FITS)
def claim_rectifier_fits(t: Tables) -> Claim:
    """ReLU and softplus fit f-I curves better than sigmoids.

    Source: the motivation of Glorot, Bordes & Bengio (2011) AISTATS, section 2; tested on 44
    measured rat L5 pyramidal cells (Blue Brain Project).

    Measured: from ``compare/measured_summary.csv``, each family's median R^2 over the cells and
    its number of wins (best AICc); from ``compare/measured_fits.csv`` (when present) the median
    power-law exponent, which tells whether the curves bend (exponent < 1: sub-linear).

    Verdict: supported if the better of rectifier and softplus beats the logistic sigmoid on
    both median R^2 and wins, partly if on one, not supported if on neither.
    """
    summary = t.require("compare", "measured_summary", ["family", "median_r2", "n_wins", "n_cells"])
    s = summary.drop_duplicates("family").set_index("family")
    rectifiers = [f for f in ("relu", "softplus") if f in s.index]
    if not rectifiers or "sigmoid" not in s.index:
        return RECTIFIER_FITS.not_run(
            "needs rectifier or softplus and logistic fits in compare/measured_summary.csv"
        )
    families = [f for f in _FIT_FAMILIES if f in s.index]
    measured = "; ".join(
        f"{label(f)} median R^2 {s.loc[f, 'median_r2']:.3f}, wins {int(s.loc[f, 'n_wins'])}/"
        f"{int(s.loc[f, 'n_cells'])}"
        for f in families
    )
    rect_r2 = max(s.loc[f, "median_r2"] for f in rectifiers)
    logi_r2 = s.loc["sigmoid", "median_r2"]
    rect_wins = sum(int(s.loc[f, "n_wins"]) for f in rectifiers)
    logi_wins = int(s.loc["sigmoid", "n_wins"])
    if rect_r2 > logi_r2 and rect_wins >= logi_wins:
        verdict, why = SUPPORTED, "rectifier/softplus beat the logistic sigmoid on measured cells"
    elif rect_r2 > logi_r2 or rect_wins >= logi_wins:
        verdict, why = PARTLY, "rectifier/softplus win on one measure, the sigmoid on the other"
    else:
        verdict = NOT_SUPPORTED
        why = "the logistic sigmoid fits the measured cells better than rectifier and softplus"
    fits = t.optional("compare", "measured_fits", ["family", "success", "n"])
    if fits is not None:
        n = fits.loc[(fits["family"] == "power_law") & as_bool(fits["success"]), "n"].dropna()
        if len(n) and n.median() < LINEAR_EXPONENT:
            why += (
                f"; the measured curves are sub-linear above threshold (power-law exponent median "
                f"{n.median():.2f}, {int((n < LINEAR_EXPONENT).sum())}/{len(n)} cells below 1), "
                "a bend that neither a straight rectifier nor softplus can follow"
            )
    return RECTIFIER_FITS.result(
        measured,
        verdict,
        why,
        quantity="median R^2 of the better rectifier family minus the logistic sigmoid's",
        value=float(rect_r2 - logi_r2),
        unit="R^2",
    )


CORTICAL_SPARSITY = Statement(
    "Only 1-4% of cortical neurons are active at once",
    "Lennie 2003 (quoted as 1-4% by Glorot et al. 2011)",
    ("population_sparsity",),
)
_NETWORK_KEYS = ["n_neurons", "g", "eta", "heterogeneity"]


def _band_spans(band: pd.DataFrame) -> str:
    """``"eta in band for 0.85;0.86; g in band for 6;7"`` from the band scans' table."""

    def values(v) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    return "; ".join(
        f"{r.parameter} in band for {values(r.inside_values)}"
        + (f" (heterogeneity {r.heterogeneity:g})" if r.heterogeneity > 0 else "")
        for r in band.itertuples()
        if not pd.isna(r.inside_values) and str(r.inside_values)
    )


@register(CORTICAL_SPARSITY)
def claim_cortical_sparsity(t: Tables) -> Claim:
    """Only 1-4% of cortical neurons are active at once.

    Source: Lennie (2003) Curr Biol 13:493 ("possibly fewer than 1%"), quoted as 1-4% by
    Glorot, Bordes & Bengio (2011).

    Measured: from ``population_sparsity/population_summary.csv``, each distinct Brunel network
    (a network in several sweeps counts once) with its fraction of neurons active in 50 ms
    windows, mean rate and irregularity; how many fall in Lennie's band, and how many of those
    are asynchronous-irregular (the experiment's criterion, on CV2) under
    :data:`SPARSE_MAX_RATE_HZ`; the standard setting g = 5, eta = 2 for contrast; from
    ``band.csv`` (when present) the parameter ranges inside the band; and from
    ``band_width_summary.csv`` (when present) how wide the band is along the drive eta in
    Brunel's network and which mechanisms widen it (:func:`band_width_text`).

    Weighed against recordings: the measured fractions of :data:`neuroact.literature.
    CORTICAL_RECORDINGS`, each with its preparation and window (:func:`recordings_text`).

    Verdict: at best partly: a model network can show that the regime exists and how wide it
    is, not that cortex is in it. Partly if an asynchronous-irregular network under 1 Hz lies in
    the band; not supported otherwise.
    """
    summary = t.require(
        "population_sparsity",
        "population_summary",
        [*_NETWORK_KEYS, "frac_active_50ms", "mean_rate_Hz", "cv_isi", "cv2_isi",
         "asynchronous_irregular"],
    )  # fmt: skip
    # The same network can appear in several sweeps (phase map, scans, showcase): count it once.
    nets = summary.drop_duplicates(_NETWORK_KEYS)
    if nets.empty:
        return CORTICAL_SPARSITY.not_run("population_sparsity/population_summary.csv is empty")
    f50 = nets["frac_active_50ms"]
    inside = nets[(f50 >= LENNIE_2003.low) & (f50 <= LENNIE_2003.high)]
    ai = inside[as_bool(inside["asynchronous_irregular"])]
    ai = ai[ai["mean_rate_Hz"] < SPARSE_MAX_RATE_HZ]
    measured = (
        f"{len(inside)}/{len(nets)} distinct simulated networks in the 1-4% band (50 ms "
        f"windows), {len(ai)} of them asynchronous-irregular below 1 Hz"
    )
    example = None
    if len(ai):
        example = ai.sort_values("frac_active_50ms").iloc[len(ai) // 2]
        measured += (
            f"; e.g. N={int(example['n_neurons'])}, g={example['g']:g}, "
            f"eta={example['eta']:g}: {percent(example['frac_active_50ms'])} active in 50 ms at "
            f"{example['mean_rate_Hz']:.2f} Hz, CV of ISIs {example['cv_isi']:.2f}, CV2 "
            f"{example['cv2_isi']:.2f} (CV2 is the irregularity criterion: a few spikes per "
            "neuron bias the CV low)"
        )
    std = nets[(nets["g"] == STANDARD_BRUNEL["g"]) & (nets["eta"] == STANDARD_BRUNEL["eta"])]
    if len(std):
        measured += (
            f"; standard Brunel g=5, eta=2: {percent(std['frac_active_50ms'].iloc[0])} "
            f"at {std['mean_rate_Hz'].iloc[0]:.1f} Hz"
        )
    band = t.optional(
        "population_sparsity", "band", ["parameter", "inside_values", "heterogeneity"]
    )
    spans = _band_spans(band) if band is not None else ""
    if spans:
        measured += f" ({spans})"
    widths = t.optional(
        "population_sparsity",
        "band_width_summary",
        ["condition", "label", "width", "width_vs_brunel", "reference_g"],
    )
    width_text = band_width_text(widths) if widths is not None else ""
    if width_text:
        measured += f"; {width_text}"
    measured += f"; recordings: {recordings_text()}"
    # A model network can show the regime exists and how wide it is; it cannot show that cortex
    # is in it. So the verdict is at best "partly".
    if len(ai):
        verdict = PARTLY
        why = (
            "a balanced network can be that sparse (asynchronous, irregular, under 1 Hz), but "
            f"only in a narrow range of external drive{_band_why(widths)}; the textbook "
            "settings are far denser; recordings find about 10% of neurons spiking per Up "
            "state or per touch and depend on brain state"
        )
    else:
        verdict = NOT_SUPPORTED
        why = "no asynchronous-irregular network under 1 Hz was found in the band"
    return CORTICAL_SPARSITY.result(
        measured,
        verdict,
        why,
        quantity="fraction of neurons active in 50 ms, median sparse asynchronous-irregular "
        "network",
        value=float(example["frac_active_50ms"]) if example is not None else float("nan"),
        paper_low=LENNIE_2003.low,
        paper_high=LENNIE_2003.high,
        unit="fraction",
    )


# A mechanism "widens" the band when its width at the reference g is at least this multiple of
# Brunel's network's: the edges are found to within the search's tolerance (0.01 in eta), so a
# smaller ratio on a band 0.04 wide is within the measurement's resolution.
WIDENS = 1.5


def band_width_text(summary: pd.DataFrame) -> str:
    """The band's width along eta in Brunel's network and the mechanisms that widen it.

    From ``band_width_summary.csv``: ``"band width along eta at g = 8: 0.039 in Brunel's
    network (eta 0.842-0.881); widened by drive log-sd 0.4 x3.1 (20% of its in-band networks
    asynchronous-irregular), ...; not widened (under x1.5) by AdEx x1.1, ..."``.
    """
    rows = summary.assign(condition=summary["condition"].fillna("")).set_index("condition")
    if "" not in rows.index or not np.isfinite(rows.loc["", "width"]):
        return ""
    base = rows.loc[""]
    text = (
        f"band width along eta at g = {base['reference_g']:g}: {base['width']:.3f} in Brunel's "
        f"network (eta {base['eta_low']:.3f}-{base['eta_high']:.3f})"
    )
    others = rows.drop(index="").sort_values("width_vs_brunel", ascending=False)
    wide = [_widened(r) for r in others.itertuples() if _widens(r)]
    narrow = [
        f"{r.label} x{r.width_vs_brunel:.1f}"
        for r in others.itertuples()
        if np.isfinite(r.width_vs_brunel) and not _widens(r)
    ]
    if wide:
        text += f"; widened by {', '.join(wide)}"
    if narrow:
        text += f"; not widened (under x{WIDENS:g}) by {', '.join(narrow)}"
    return text


def _band_why(summary: pd.DataFrame | None) -> str:
    """What the band-width search says about widening the band, for the claim's reason: which
    mechanisms widen it and whether their in-band networks stay asynchronous-irregular."""
    if summary is None or "ai_inside" not in summary:
        return ""
    rows = summary[summary["condition"].fillna("") != ""]
    wide = rows[np.isfinite(rows["width_vs_brunel"]) & (rows["width_vs_brunel"] >= WIDENS)]
    if not len(wide):
        return "; no mechanism tried widens it"
    irregular = wide[wide["ai_inside"] >= 0.5]
    if len(irregular):
        best = irregular.loc[irregular["width_vs_brunel"].idxmax()]
        return (
            f"; {best['label']} widens it x{best['width_vs_brunel']:.1f} with its in-band "
            "networks still asynchronous-irregular"
        )
    top = wide["ai_inside"].max()
    share = "none" if top == 0 else f"at most {percent(top, 0)}"
    return (
        f"; {', '.join(wide['label'])} widen it (up to x{wide['width_vs_brunel'].max():.1f}), "
        f"but {share} of their in-band networks are asynchronous-irregular, so none gives a "
        "wider band of asynchronous-irregular sparse activity"
    )


def _widened(row) -> str:
    """``"drive log-sd 0.4 x3.1"``, with a note when the band's networks are not all
    asynchronous-irregular (``ai_inside`` below 1: irregularity lost where the band widened)."""
    text = f"{row.label} x{row.width_vs_brunel:.1f}"
    ai = getattr(row, "ai_inside", np.nan)
    if np.isfinite(ai) and ai < 1:
        text += f" ({percent(ai, 0)} of its in-band networks asynchronous-irregular)"
    return text


def _widens(row) -> bool:
    return bool(np.isfinite(row.width_vs_brunel) and row.width_vs_brunel >= WIDENS)


def _recording(r: Recording) -> str:
    if r.unit == "Hz":
        value = f"under {r.high:g} Hz" if r.low is None else f"{r.low:g}-{r.high:g} Hz"
        return f"{r.quantity}: {value} ({r.name})"
    if r.low is None:
        value = f"under {percent(r.high)}"
    else:
        value = percent(r.low) if r.low == r.high else f"{percent(r.low)}-{percent(r.high)}"
    return f"{value} {r.quantity} ({r.name})"


def recordings_text(recordings: tuple[Recording, ...] = CORTICAL_RECORDINGS) -> str:
    """The measured fractions and rates the claim is weighed against, one clause each."""
    return "; ".join(_recording(r) for r in recordings)
