"""What the report says: the claims first, then one section per experiment, with captions.

:func:`build_report` reads a run folder's tables (never simulating or training) and returns a
:class:`~neuroact.report.document.Document`: the claims section (the claims figure, a count
of verdicts and the claims table), then per experiment a short introduction (:data:`INTROS`),
its wall time, its key tables (:data:`KEY_TABLES`) and its figures, each with the title and
caption of :data:`CAPTIONS` saying what it shows and what to read from it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from neuroact import experiments
from neuroact.claims import claims_table
from neuroact.report.document import Block, Document, Figure, Paragraph, Section, Table, readable
from neuroact.report.tables import KEY_TABLES, key_frame

__all__ = [
    "CAPTIONS",
    "CLAIM_HEADERS",
    "CLAIMS_FIGURE",
    "INTROS",
    "QUICK_NOTE",
    "SECTIONS",
    "TITLE",
    "build_report",
    "claims_section",
    "experiment_section",
    "figure_block",
    "read_timings",
    "wall_time",
]

TITLE = "neuroact report"

SECTIONS = {
    "fi_curves": "Biological f-I curves (Brian2)",
    "population_sparsity": "Population sparsity of a balanced spiking network (Brian2)",
    "train_networks": "Artificial networks: training, sparsity and gradients (PyTorch)",
    "glorot_table1": "Glorot et al. 2011, Table 1",
    "sparsity_vs_error": "Sparsity against test error",
    "training_speed": "Training speed",
    "vanishing_gradients": "Vanishing gradients",
    "activity_at_init": "Activity at initialisation and after training",
    "compare": "Comparison: fitted f-I curves and the sparsity contrast",
    "bridge": "The bridge: trained networks run as spiking neurons",
}
"""Section titles by experiment; an experiment without one is titled by its name."""

INTROS = {
    "fi_curves": "Firing rate against injected current for five spiking models (LIF, noisy LIF, "
    "Hodgkin-Huxley, AdEx, Izhikevich), simulated with Brian2 and checked against the analytic "
    "LIF and Siegert rates.",
    "population_sparsity": "How many neurons of a Brunel (2000) balanced network are active at "
    "once, over its external drive η and inhibition g, against Lennie's 1-4% (2003) and the "
    "energy budget of Attwell & Laughlin (2001).",
    "train_networks": "Multilayer perceptrons on MNIST with each unit (and ReLU with L1 "
    "activation penalties): how sparse every hidden layer becomes and how the gradients flow, "
    "epoch by epoch.",
    "glorot_table1": "Test error of deep rectifier, softplus and tanh networks, with and without "
    "denoising-autoencoder pre-training, beside Glorot, Bordes & Bengio (2011), Table 1.",
    "sparsity_vs_error": "Rectifier networks trained with L1 activation penalties of growing "
    "weight: how sparse they become and what it costs in test error (Glorot et al. 2011, "
    "Sec. 4.1: accuracy unharmed up to about 85% zeros).",
    "training_speed": "Epochs to a target training error per unit, each at its own best learning "
    "rate, relative to ReLU (Krizhevsky et al. 2012 found ReLU six times faster than tanh).",
    "vanishing_gradients": "Gradient norms per layer of deep networks at initialisation and "
    "during training, by unit and initialisation (Glorot & Bengio 2010).",
    "activity_at_init": "Hidden units active at initialisation and after training, per unit and "
    "initialisation: are sigmoid networks about half active and rectifier networks sparser?",
    "compare": "Activation families fitted to simulated and measured f-I curves, activations "
    "built from neurons, and how sparse spiking networks are against trained ones.",
    "bridge": "Trained rectifier networks (dense and L1-sparse) and a soft-LIF network converted "
    "into integrate-and-fire (IF) and leaky integrate-and-fire (LIF) spiking twins (Diehl et al. "
    "2015; Rueckauer et al. 2017; Hunsberger & Eliasmith 2015), simulated on the test set and "
    "measured like cortex: accuracy against simulated time, mean rate and the share of hidden "
    "neurons active per 50 ms against Lennie's 1-4%, spikes and ATP per image.",
}
"""One or two sentences introducing each experiment's section."""

CLAIMS_FIGURE = (
    "claims",
    "Claims against the papers",
    "Each claim's key number as measured (dot, coloured by verdict; bar: 95% interval) beside "
    "the paper's value (open diamond) or range (grey band), one row and one axis per claim; the "
    "dotted line is the reference (0, or 1 for ratios and R²). Read how far each measurement "
    "lies from the literature and whether its interval includes the paper's number.",
)
"""The claims figure's file stem, title and caption."""

CAPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "fi_curves": {
        "fi_curves": (
            "f-I curves of five neuron models",
            "(a) LIF and noisy LIF simulations (points, SEM bars) on the analytic LIF and "
            "Siegert rates (lines); (b) Hodgkin-Huxley steady-state and first-interval rates "
            "with the 1952 rheobase band; (c) AdEx and (d) Izhikevich RS/FS, steady state "
            "(solid) against first interval (dashed). The simulations should sit on their "
            "oracles; read where each curve leaves zero (the threshold), how noise rounds it "
            "into a softplus-like foot, and the gap between dashed and solid lines "
            "(spike-frequency adaptation).",
        ),
    },
    "population_sparsity": {
        "population_phase_map": (
            "Sparsity over drive and inhibition",
            "Percentage of neurons with a spike in a 50 ms window over the external drive η and "
            "the inhibition g; red outline: inside Lennie's 1-4%, white dot: "
            "asynchronous-irregular. Where both marks meet the network is as sparse as cortex "
            "is said to be; the size of that region says how finely the drive must be tuned.",
        ),
        "population_band_scans": (
            "Crossing the cortical band",
            "The same percentage along a scan of η at fixed g and of g at fixed η, without and "
            "with log-normal heterogeneity of the drive. Read how wide a range of η or g keeps "
            "the network inside 1-4%, and where heterogeneous drive puts it against Attwell & "
            "Laughlin's ceiling of about 15%.",
        ),
        "population_raster": (
            "Spikes of the standard and the sparse network",
            "Spike raster of a sample of neurons and the population rate, for the textbook "
            "setting (g = 5, η = 2) and the sparse setting near threshold drive. The standard "
            "network fires densely; the sparse one fires rare spikes, irregular in time.",
        ),
        "population_rates": (
            "Single-neuron rates",
            "Distribution of single-neuron firing rates in the two showcase networks. Read how "
            "many neurons fire below 1 Hz or stay silent over the whole run.",
        ),
        "population_band_maps": (
            "The sparse band by mechanism",
            "Per mechanism (Brunel's network, heterogeneous thresholds, heterogeneous drive, "
            "AdEx adaptation, conductance synapses), every network of the band search in the "
            "(g, η) plane, coloured by the percentage active in 50 ms (cross: not "
            "asynchronous-irregular), and the band where 1-4% are active at under 1 Hz (red). "
            "Read how wide the band is along η and whether the networks inside it are still "
            "irregular.",
        ),
        "population_band_widths": (
            "How wide the sparse band is",
            "Width of the band along η at each g, per mechanism, with the ratio to Brunel's "
            "network at the reference g above each group. A mechanism that widened the band "
            "would make cortical sparsity robust to the drive; check in the maps whether its "
            "in-band networks stay asynchronous-irregular.",
        ),
    },
    "train_networks": {
        "training_curves": (
            "Training curves",
            "Training and test error per epoch of each network (colour: unit; marker and dash: "
            "L1 penalty). Read which units learn fastest and what a penalty costs in error.",
        ),
        "layer_sparsity": (
            "Sparsity per hidden layer",
            "Per layer and epoch: units at exactly zero (output view), units with a positive "
            "input (input view, log axis, with the cortical bands) and lifetime sparseness. "
            "Read where each network's layers fall against Lennie's 1-4% and Glorot et al.'s "
            "68-83% zeros.",
        ),
        "gradient_norms": (
            "Weight-gradient norm per layer",
            "Norm of dL/dW per layer in the first and the last epoch. Gradients that shrink "
            "towards the input layer vanish; level ones keep every layer learning.",
        ),
    },
    "glorot_table1": {
        "glorot_table1": (
            "Test error beside Glorot et al. 2011, Table 1",
            "Top: test error per unit (bar: mean over seeds, dots: seeds; hatched: with "
            "denoising-autoencoder pre-training) beside the paper's values (crosses). Bottom: "
            "inactive hidden units, output view (bars) and input view (dashes), with the "
            "paper's 68-83% band. Read the ranking of the units and each bar's distance from "
            "its cross.",
        ),
    },
    "sparsity_vs_error": {
        "sparsity_vs_error": (
            "Does sparsity cost accuracy?",
            "Test error (log scale) of ReLU networks against their share of exact zeros "
            "(colour: L1 penalty), with Glorot et al.'s 68-83% band, their 85% mark, the hinge "
            "fit and the 95% bootstrap interval of its breakpoint. The error stays flat while "
            "sparsity is free; compare where it starts to rise with the paper's 85%.",
        ),
    },
    "training_speed": {
        "training_speed": (
            "Epochs to the target training error",
            "Training error (log scale) per epoch of an MLP and a small CNN, each unit at its "
            "own best learning rate (one line per seed), and the epochs to the target relative "
            "to ReLU (mean, min-max) beside AlexNet's 6. A ratio above 1 means ReLU is faster; "
            "arrows mark units that never reached the target.",
        ),
        "training_speed_cnn4": (
            "AlexNet's four-layer CNN: epochs to each target",
            "Training error (log scale) per epoch of the four-layer CNN without normalisation, "
            "ReLU and tanh each at its own best learning rate (one line per seed; a line that "
            "stays at the top is a network that never learned), and the epochs to each target "
            "relative to ReLU beside AlexNet's 6. A ratio below 1 means tanh is faster.",
        ),
    },
    "vanishing_gradients": {
        "vanishing_gradients": (
            "Gradients through depth",
            "(a-c) Weight-gradient norm per layer at initialisation of deep sigmoid, tanh and "
            "ReLU networks, one panel per init; (d) bottom/top ratio against depth; (e-g) "
            "saturation and gradient ratios during training; (h) bottom/top ratio of the "
            "back-propagated gradient dL/dz. A ratio far below 1 is a vanishing gradient; "
            "compare units under the same init.",
        ),
    },
    "activity_at_init": {
        "activity_at_init": (
            "Active units at initialisation and after training",
            "Hidden units active (%) per unit and init, output view (bars) and input view "
            "(hatched), at initialisation and after training; dots are layers x seeds. Read "
            "whether each unit starts about half active and which units training makes sparser.",
        ),
    },
    "compare": {
        "sim_fits": (
            "Activation families fitted to simulated f-I curves",
            "Each simulated f-I curve (points) with the five fitted families (rectifier wide "
            "and underneath, so that a coinciding softplus shows as dashes on it). Read which "
            "family follows the curvature near onset and the bend at high currents.",
        ),
        "measured_fits": (
            "Activation families fitted to measured cells",
            "The same fits on the measured f-I curves of rat L5 pyramidal cells (total injected "
            "current). Read whether the cells bend over at high currents, which a straight "
            "rectifier or a softplus cannot follow.",
        ),
        "measured_summary": (
            "Which family fits the cells best",
            "(a) Cells won per family (lowest AIC); (b) each cell's unexplained variance "
            "1 - R² (log scale, bar: median); (c) each cell's ΔAIC to its best family, dotted "
            "at 2 and 10 (Burnham & Anderson 2002). A family more than 10 AIC units behind has "
            "essentially no support for that cell.",
        ),
        "bio_activations": (
            "Activations made from neurons",
            "The soft-LIF activation (Hunsberger & Eliasmith 2015) and a softplus fitted to the "
            "measured cells, beside ReLU and softplus. Read how close the biological curves "
            "are to a rectifier and where they saturate.",
        ),
        "contrast": (
            "Units active at once: spiking against trained networks",
            "Units active at once (%, log axis): spiking networks (one dot per counting window, "
            "darker = longer), trained networks and networks with the biological activations "
            "(marker: layer; filled: output view, open: input view), with the literature "
            "bands. Read which networks reach Lennie's 1-4%, and in which view.",
        ),
        "accuracy_sparsity": (
            "Accuracy against sparsity",
            "Test error against hidden units active (output view, mean over layers, log axis) "
            "per network, stars for the biological activations, with the cortical bands. Read "
            "how much accuracy a network gives up on its way to the cortical range.",
        ),
    },
    "bridge": {
        "bridge_accuracy_vs_time": (
            "Accuracy against simulated time",
            "Test error of each spiking twin against simulated time (log axes): IF neurons at "
            "the densest rate scale and LIF neurons, with each network's ANN dashed. Read how "
            "many milliseconds each twin needs to come within a point of its ANN, and what the "
            "leak and refractory period of LIF neurons cost.",
        ),
        "bridge_frontier": (
            "The sparsity-accuracy frontier",
            "Accuracy lost against the ANN (points) against the share of hidden neurons active "
            "per 50 ms, for every network, rate scale and simulated time (colour: time), with "
            "Lennie's 1-4%, the Brunel network's asynchronous-irregular band and the share "
            "active in rectifier ANNs. Points low and left are as accurate as the ANN and as "
            "sparse as cortex.",
        ),
        "bridge_sparsity_vs_time": (
            "How soon sparse and accurate",
            "Share of hidden neurons active per 50 ms against simulated time, at the points "
            "within 1 point of the ANN, with Lennie's band and the 150 ms of ultra-rapid "
            "categorisation (Thorpe et al. 1996). Read the earliest time at which a network is "
            "both in the band and accurate.",
        ),
        "bridge_raster": (
            "Spikes of one image",
            "Hidden-layer spikes of one test image (layers stacked, layer 1 at the bottom) at "
            "the densest setting and at the fastest point in Lennie's band. The dense twin "
            "fires regularly in most neurons; the sparse one in a few.",
        ),
        "bridge_rates": (
            "Single-neuron rates per layer",
            "Histogram of each hidden neuron's mean rate over the showcase images, per layer, "
            "for the two settings of the raster (silent share in the legend). Read how many "
            "neurons stay silent and how far the active ones are from cortical rates.",
        ),
    },
}
"""Per experiment, per figure file stem: the figure's title and caption, in reading order."""

CLAIM_HEADERS = {
    "claim": "claim",
    "source": "source",
    "measured": "measured",
    "verdict": "verdict",
    "why": "reason for the verdict",
}
"""The claims table's columns shown in the report, under these headers (claims.csv has all)."""

QUICK_NOTE = (
    "Quick profile: small networks on the embedded MNIST subset, few epochs and short "
    "simulations. These numbers show the pipeline end to end; the papers' settings are in the "
    "full profile (`neuroact run --profile full`)."
)


def wall_time(seconds: float) -> str:
    """``"Wall time: 83 s."``, ``"8.5 min"`` or ``"1.0 h"`` by size."""
    if seconds < 120:
        return f"Wall time: {seconds:.0f} s."
    if seconds < 7200:
        return f"Wall time: {seconds / 60:.1f} min."
    return f"Wall time: {seconds / 3600:.1f} h."


def figure_block(path: str, experiment: str | None, stem: str) -> Figure:
    """The :class:`Figure` of file ``path``, titled and captioned from :data:`CAPTIONS`
    (a figure without an entry is titled by its file name)."""
    if experiment is None and stem == CLAIMS_FIGURE[0]:
        return Figure(path, *CLAIMS_FIGURE[1:])
    title, caption = CAPTIONS.get(experiment or "", {}).get(stem, ("", ""))
    return Figure(path, title or readable(stem.replace("_", " ")), caption)


def claims_section(
    claims: pd.DataFrame, profile: str | None = None, figure: str | None = None
) -> Section:
    """The "Claims" section: the quick-profile note (if it is one), the claims figure at
    ``figure`` (a path relative to the report; None: none drawn), the count of verdicts, and
    the claims table in readable words."""
    blocks: list[Block] = [Paragraph(QUICK_NOTE)] if profile == "quick" else []
    if figure is not None:
        blocks.append(figure_block(figure, None, CLAIMS_FIGURE[0]))
    counts = claims["verdict"].value_counts()
    verdicts = ", ".join(f"{n} {v}" for v, n in counts.items())
    blocks.append(Paragraph(f"{len(claims)} claims checked: {verdicts}."))
    # the claims' own words stay as written; the numbers' texts name units and data sets
    shown = claims[list(CLAIM_HEADERS)].fillna("").astype(str)
    for col in ("measured", "why"):
        shown[col] = shown[col].map(readable)
    caption = "Each claim, its source, what we measured and the verdict with its reason."
    table = Table(shown.rename(columns=CLAIM_HEADERS), caption, "claims.csv", max_rows=None)
    blocks.append(table)
    return Section("Claims", tuple(blocks))


def _figures(folder: Path, name: str, prefix: str) -> list[Figure]:
    """The experiment's figures: those with a caption in reading order, then any others."""
    found = {png.stem: png.name for png in sorted(folder.glob("*.png"))}
    order = [s for s in CAPTIONS.get(name, {}) if s in found]
    order += [s for s in found if s not in order]
    return [figure_block(f"{prefix}{name}/{found[s]}", name, s) for s in order]


def experiment_section(
    root: str | os.PathLike,
    name: str,
    timings: dict[str, float] | None = None,
    figures: str | os.PathLike | None = None,
) -> Section | None:
    """The section of experiment ``name``: introduction, wall time, key tables and figures;
    None if the run folder has no results of it.

    ``figures`` is the folder holding ``<experiment>/<figure>.png`` (default: ``root``); the
    figures' paths are relative to ``root``, where the report is written.
    """
    folder = Path(root) / name
    if not folder.is_dir():
        return None
    intro = INTROS.get(name) or (experiments.get(name).__doc__ or "").strip().split("\n\n")[0]
    blocks: list[Block] = [Paragraph(" ".join(intro.split()))]
    if timings and name in timings:
        blocks.append(Paragraph(wall_time(float(timings[name]))))
    for spec in KEY_TABLES.get(name, ()):
        path = folder / f"{spec.table}.csv"
        if path.is_file():
            frame = key_frame(pd.read_csv(path), spec)
            if not frame.empty:
                source = f"{name}/{spec.table}.csv"
                blocks.append(Table(frame, spec.caption, source=source, max_rows=None))
    fig_root = Path(root) if figures is None else Path(figures)
    prefix = Path(os.path.relpath(fig_root, Path(root))).as_posix() + "/"
    blocks += _figures(fig_root / name, name, "" if prefix == "./" else prefix)
    return Section(SECTIONS.get(name, name), tuple(blocks))


def read_timings(root: str | os.PathLike) -> dict[str, float]:
    """Wall time per experiment in seconds, from ``ROOT/timings.json`` ({} without one)."""
    path = Path(root) / "timings.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def build_report(
    root: str | os.PathLike,
    profile: str | None = None,
    claims: pd.DataFrame | None = None,
    *,
    figures: str | os.PathLike | None = None,
    claims_figure: str | None = None,
) -> Document:
    """The report of run folder ``root`` as a :class:`~neuroact.report.document.Document`.

    Parameters
    ----------
    root : the run folder (``ROOT/<experiment>/<table>.csv``); the report is written there.
    profile : ``"quick"`` adds a note that the numbers are CI-sized.
    claims : :func:`neuroact.claims.claims_table` of ``root`` (computed if None).
    figures : the folder holding the experiments' figures (default: ``root``).
    claims_figure : the claims figure's path relative to ``root`` (None: no claims figure).
    """
    claims = claims_table(root) if claims is None else claims
    intro = Paragraph(
        f"Profile: **{profile or 'unknown'}**. Every number below was computed from the tables "
        "in this folder; `neuroact figures` on this folder redraws every figure and this report."
    )
    timings = read_timings(root)
    sections = [experiment_section(root, n, timings, figures) for n in experiments.EXPERIMENTS]
    return Document(
        TITLE,
        (intro,),
        (claims_section(claims, profile, claims_figure), *(s for s in sections if s)),
    )
