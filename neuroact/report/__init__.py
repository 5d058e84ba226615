"""The comparison report of a run folder: the claims first, then one section per experiment.

The report reads tables only (it never simulates or trains), so ``neuroact figures`` can redo it
at any time. It is made in three steps:

1. :func:`build_report` gathers a small document model (:mod:`neuroact.report.document`): a
   :class:`Document` of :class:`Section` objects holding :class:`Paragraph`, :class:`Table`
   and :class:`Figure` blocks. The claims come from :mod:`neuroact.claims` and lead, with the
   claims figure (:func:`neuroact.figures.claims.claims_vs_paper`); each experiment's section
   has an introduction, its wall time, its key tables (readable column names, units, one
   precision per column: :mod:`neuroact.report.tables`) and its figures with their captions
   (:mod:`neuroact.report.content`).
2. The renderers of :mod:`neuroact.report.render` walk the blocks: :func:`to_markdown` and
   :func:`to_html` (one self-contained file, figures embedded). Neither changes the content.
3. :func:`write_report` writes ``claims.csv``, ``claims.png``, ``report.md`` and
   ``report.html``.

Examples
--------
>>> from neuroact.report import write_report
>>> write_report("runs/quick", profile="quick")  # doctest: +SKIP
PosixPath('runs/quick/report.md')
"""

from __future__ import annotations

import os
from pathlib import Path

from neuroact.claims import claims_table
from neuroact.figures.claims import claim_rows, claims_vs_paper
from neuroact.figures.style import save
from neuroact.report.content import (
    CAPTIONS,
    CLAIMS_FIGURE,
    INTROS,
    QUICK_NOTE,
    SECTIONS,
    TITLE,
    build_report,
    claims_section,
    experiment_section,
    read_timings,
)
from neuroact.report.document import Document, Figure, Paragraph, Section, Table, readable
from neuroact.report.render import html_table, markdown_table, to_html, to_markdown
from neuroact.report.tables import KEY_TABLES, KeyTable, key_frame
from neuroact.results import atomic_write_text, write_csv

__all__ = [
    "CAPTIONS",
    "INTROS",
    "KEY_TABLES",
    "QUICK_NOTE",
    "SECTIONS",
    "TITLE",
    "Document",
    "Figure",
    "KeyTable",
    "Paragraph",
    "Section",
    "Table",
    "build_report",
    "claims_section",
    "experiment_section",
    "html_table",
    "key_frame",
    "markdown_table",
    "read_timings",
    "readable",
    "to_html",
    "to_markdown",
    "write_report",
]


def _check(root: object, profile: object, figures: object) -> None:
    if not isinstance(root, str | os.PathLike):
        raise TypeError(f"root must be a run folder path; got {type(root).__name__}")
    if profile is not None and not isinstance(profile, str):
        raise TypeError(f"profile must be a string such as 'quick' or None; got {profile!r}")
    if figures is not None and not isinstance(figures, str | os.PathLike):
        raise TypeError(f"figures must be a folder path or None; got {type(figures).__name__}")
    if not Path(root).is_dir():
        raise ValueError(f"root must be an existing run folder; {str(root)!r} is not a folder")
    if figures is not None and not Path(figures).is_dir():
        raise ValueError(f"figures must be an existing folder; {str(figures)!r} is not a folder")


def write_report(
    root: str | os.PathLike,
    profile: str | None = None,
    *,
    figures: str | os.PathLike | None = None,
) -> Path:
    """Write the claims table, the claims figure and the report of run folder ``root``.

    Writes ``ROOT/claims.csv``, ``FIGURES/claims.png`` (when a claim has a measured number),
    ``ROOT/report.md`` and ``ROOT/report.html``, the same document in both formats (the HTML
    with every figure embedded).

    Parameters
    ----------
    root : the run folder written by :func:`neuroact.pipeline.run_all`.
    profile : the profile it was run with (``"quick"`` adds a note), or None.
    figures : the folder holding the experiments' figures, ``<experiment>/<name>.png``, and
        where the claims figure is written (default: ``root``). The Markdown links the figures
        relative to ``root``; a committed copy of a run can keep its tables and its figures
        in two folders.

    Returns
    -------
    pathlib.Path
        The path of ``report.md`` (``report.html`` is beside it).

    Raises
    ------
    neuroact.claims.TableError
        A table has the wrong shape; every claim is checked before anything is written, so
        all files stay as they were.
    """
    _check(root, profile, figures)
    root = Path(root)
    fig_dir = root if figures is None else Path(figures)
    claims = claims_table(root)
    rows = claim_rows(claims)
    claims_png = None
    if not rows.empty:
        quantity = rows["quantity"].fillna("").astype(str).map(readable)
        drawn = claims_vs_paper(rows.assign(quantity=quantity))
        save(drawn, fig_dir / f"{CLAIMS_FIGURE[0]}.png")
        claims_png = Path(os.path.relpath(fig_dir / f"{CLAIMS_FIGURE[0]}.png", root)).as_posix()
    document = build_report(root, profile, claims, figures=figures, claims_figure=claims_png)
    write_csv(root / "claims.csv", claims)
    atomic_write_text(root / "report.html", to_html(document, root))
    return atomic_write_text(root / "report.md", to_markdown(document))
