"""The comparison report of a run folder: the claims table, then one section per experiment.

The report reads tables only (it never simulates or trains), so ``neuroact figures`` can redo it
at any time. It is built in two steps:

1. :func:`build_report` gathers a small document model: a :class:`Document` of
   :class:`Section` objects holding :class:`Paragraph`, :class:`Table` and :class:`Figure`
   blocks. The claims come from :mod:`neuroact.claims`; each experiment's section has its doc
   line, wall time, key table and figures.
2. A renderer walks the blocks: :func:`to_markdown` writes ``report.md``. Another format (one
   self-contained HTML file, say) is a second function over the same blocks; neither the claims
   nor the document change.

Paragraph text uses two inline marks only, ``**bold**`` and ```code```, which both Markdown and
a simple HTML renderer understand.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from neuroact import experiments
from neuroact.claims import claims_table
from neuroact.results import atomic_write_text, write_csv

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
}
"""Section titles by experiment; an experiment without one is titled by its name."""

# The table a reader wants beside each experiment's figures: (table, columns shown).
KEY_TABLES = {
    "glorot_table1": (
        "table1",
        ["dataset", "activation", "pretrain", "n", "test_error_pct_mean", "test_error_pct_sd",
         "paper_test_error_pct", "diff_vs_paper_pct", "rank", "train_error_pct_mean",
         "frac_zero_mean", "frac_zero_eps"],
    ),
    "sparsity_vs_error": (
        "bands",
        ["sparsity_low", "sparsity_high", "n", "n_collapsed", "test_error_pct_mean",
         "diff_vs_below85_pct", "diff_ci_low", "diff_ci_high"],
    ),
    "training_speed": (
        "ratios",
        ["model", "activation", "lr", "n_seeds", "n_censored", "ratio_mean", "ratio_sd",
         "ratio_min", "ratio_max", "seconds_ratio_mean"],
    ),
}  # fmt: skip

CLAIM_COLUMNS = ["claim", "source", "measured", "verdict", "why"]
"""The columns of the claims table shown in the report (claims.csv has them all)."""

QUICK_NOTE = (
    "Quick profile: small networks on the embedded 5,000-image MNIST subset, few epochs and "
    "short simulations. These numbers show the pipeline end to end; the papers' settings are "
    "in the full profile (`neuroact run --profile full`)."
)


# --- the document model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text (inline marks: ``**bold**`` and ```code```)."""

    text: str


@dataclass(frozen=True, eq=False)
class Table:
    """A table: a data frame, the file it comes from (relative to the run folder; "" if none),
    the significant digits of its floats and the most rows shown (None: all)."""

    frame: pd.DataFrame
    source: str = ""
    digits: int = 4
    max_rows: int | None = 30


@dataclass(frozen=True)
class Figure:
    """A figure file, its path relative to the run folder, and a short caption."""

    path: str
    caption: str


Block = Paragraph | Table | Figure


@dataclass(frozen=True)
class Section:
    """A titled section: a sequence of blocks."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """The report: a title, the blocks before the first section, the sections."""

    title: str
    preamble: tuple[Block, ...]
    sections: tuple[Section, ...]


# --- building the report ------------------------------------------------------------------------


def claims_section(claims: pd.DataFrame, profile: str | None = None) -> Section:
    """The "Claims" section: a note on the quick profile (if it is one), then the table."""
    note = (Paragraph(QUICK_NOTE),) if profile == "quick" else ()
    table = Table(claims[CLAIM_COLUMNS], digits=4, max_rows=None)
    return Section("Claims", (*note, table))


def experiment_section(
    root: str | os.PathLike, name: str, timings: dict[str, float] | None = None
) -> Section | None:
    """The section of experiment ``name``: its doc line, wall time, key table and figures;
    None if the run folder has no results of it."""
    folder = Path(root) / name
    if not folder.is_dir():
        return None
    doc = (experiments.get(name).__doc__ or "").strip().split("\n\n")[0]
    blocks: list[Block] = [Paragraph(doc.replace("\n", " "))]
    if timings and name in timings:
        blocks.append(Paragraph(f"Wall time: {timings[name]:.0f} s."))
    if name in KEY_TABLES and (folder / f"{KEY_TABLES[name][0]}.csv").is_file():
        table, cols = KEY_TABLES[name]
        frame = pd.read_csv(folder / f"{table}.csv")
        shown = frame[[c for c in cols if c in frame]]
        blocks.append(Table(shown, source=f"{name}/{table}.csv", digits=3))
    blocks += [Figure(f"{name}/{png.name}", png.stem) for png in sorted(folder.glob("*.png"))]
    return Section(SECTIONS.get(name, name), tuple(blocks))


def read_timings(root: str | os.PathLike) -> dict[str, float]:
    """Wall time per experiment in seconds, from ``ROOT/timings.json`` ({} without one)."""
    path = Path(root) / "timings.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def build_report(
    root: str | os.PathLike, profile: str | None = None, claims: pd.DataFrame | None = None
) -> Document:
    """The report of run folder ``root`` as a :class:`Document`.

    ``claims`` is :func:`neuroact.claims.claims_table` of ``root`` (computed if None).
    """
    claims = claims_table(root) if claims is None else claims
    intro = Paragraph(
        f"Profile: **{profile or 'unknown'}**. Every number below was computed from the tables "
        "in this folder; `neuroact figures` on this folder redraws every figure and this report."
    )
    timings = read_timings(root)
    sections = [experiment_section(root, name, timings) for name in experiments.EXPERIMENTS]
    return Document(
        TITLE,
        (intro,),
        (claims_section(claims, profile), *(s for s in sections if s is not None)),
    )


# --- the Markdown renderer ----------------------------------------------------------------------


def _md_cell(value: object, digits: int) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, max_rows: int | None = 30, digits: int = 4) -> str:
    """A pipe table of ``frame`` (floats to ``digits`` significant digits, NaN as blank)."""
    frame = frame if max_rows is None else frame.head(max_rows)
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_md_cell(v, digits) for v in row) + " |")
    return "\n".join(lines)


def markdown_block(block: Block) -> list[str]:
    """The Markdown lines of one block, followed by a blank line."""
    if isinstance(block, Paragraph):
        return [block.text, ""]
    if isinstance(block, Table):
        caption = [f"`{block.source}`:", ""] if block.source else []
        return [*caption, markdown_table(block.frame, block.max_rows, block.digits), ""]
    if isinstance(block, Figure):
        return [f"![{block.caption}]({block.path})", ""]
    raise TypeError(f"block must be a Paragraph, Table or Figure; got {type(block).__name__}")


def to_markdown(document: Document) -> str:
    """The document as Markdown: ``#`` title, ``##`` sections, pipe tables, image links."""
    lines = [f"# {document.title}", ""]
    for block in document.preamble:
        lines += markdown_block(block)
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            lines += markdown_block(block)
    return "\n".join(lines) + "\n"


def write_report(root: str | os.PathLike, profile: str | None = None) -> Path:
    """Write ``ROOT/claims.csv`` and ``ROOT/report.md`` of run folder ``root``; return the
    report's path.

    Every claim is checked before anything is written: a table of the wrong shape raises
    :class:`neuroact.claims.TableError` and leaves both files as they were.
    """
    if not isinstance(root, str | os.PathLike):
        raise TypeError(f"root must be a run folder path; got {type(root).__name__}")
    if profile is not None and not isinstance(profile, str):
        raise TypeError(f"profile must be a string such as 'quick' or None; got {profile!r}")
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"root must be an existing run folder; {str(root)!r} is not a folder")
    claims = claims_table(root)
    text = to_markdown(build_report(root, profile, claims))
    write_csv(root / "claims.csv", claims)
    return atomic_write_text(root / "report.md", text)
