"""Renderers of the report's document model: Markdown and one self-contained HTML file.

Both walk the same :class:`~neuroact.report.document.Document` and number its tables and
figures in the same order, so the two files say the same thing. :func:`to_markdown` links the
figure files; :func:`to_html` embeds them (base64 PNG, or SVG as a data URI), with plain CSS
and no JavaScript, so the HTML file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from pathlib import Path

import pandas as pd

from neuroact.figures.claims import VERDICT_COLOURS
from neuroact.report.document import Block, Document, Figure, Paragraph, Table

__all__ = ["CSS", "html_table", "markdown_table", "to_html", "to_markdown"]

MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
VERDICT_HEADER = "verdict"  # cells under this header are drawn as coloured verdict badges

# A cell that is a number, possibly with a spread, an interval or a unit ("1.51 ± 0.06",
# "-0.02 to +0.26", "1.58 nA", "–"): right-aligned in tabular figures.
_NUMERIC = re.compile(
    r"[-+–]?(\d[\d,]*\.?\d*(e[-+]?\d+)?%?|–)( ± \d[\d.]*| to [-+]?\d[\d.]*)?( [A-Za-zµ/²]+)?"
)


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


def _sentence(title: str) -> str:
    """A title ending as a sentence: a full stop added unless it ends in ``.``, ``?`` or ``!``."""
    return title if title.endswith((".", "?", "!")) else f"{title}."


def _numbered(document: Document) -> dict[int, str]:
    """``"Table 3"`` / ``"Figure 2"`` for each table and figure block, by ``id``."""
    labels: dict[int, str] = {}
    counts = {"Table": 0, "Figure": 0}
    blocks = [*document.preamble, *(b for s in document.sections for b in s.blocks)]
    for block in blocks:
        kind = type(block).__name__
        if kind in counts:
            counts[kind] += 1
            labels[id(block)] = f"{kind} {counts[kind]}"
    return labels


# --- Markdown -----------------------------------------------------------------------------------


def markdown_table(frame: pd.DataFrame, max_rows: int | None = 30, digits: int = 4) -> str:
    """A pipe table of ``frame`` (floats to ``digits`` significant digits, NaN as blank)."""
    frame = frame if max_rows is None else frame.head(max_rows)

    def cell(value: object) -> str:
        return _cell(value, digits).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def _markdown_block(block: Block, number: str) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text, ""]
    if isinstance(block, Table):
        note = f" Full table: `{block.source}`." if block.source else ""
        head = [f"**{number}.** {block.caption}{note}".rstrip(), ""]
        return [*head, markdown_table(block.frame, block.max_rows, block.digits), ""]
    if isinstance(block, Figure):
        caption = f"**{number}. {_sentence(block.title)}** {block.caption}".rstrip()
        return [f"![{block.title}]({block.path})", "", caption, ""]
    raise TypeError(f"block must be a Paragraph, Table or Figure; got {type(block).__name__}")


def to_markdown(document: Document) -> str:
    """The document as Markdown: ``#`` title, ``##`` sections, numbered pipe tables and
    figures (image links relative to the report's folder), each with its caption."""
    if not isinstance(document, Document):
        raise TypeError(f"document must be a Document; got {type(document).__name__}")
    numbers = _numbered(document)
    lines = [f"# {document.title}", ""]
    for block in document.preamble:
        lines += _markdown_block(block, numbers.get(id(block), ""))
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            lines += _markdown_block(block, numbers.get(id(block), ""))
    return "\n".join(lines) + "\n"


# --- HTML ---------------------------------------------------------------------------------------

CSS = """
body { font: 15px/1.55 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
  max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .4rem; }
h2 { font-size: 1.35rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem;
  margin-top: 2.6rem; }
nav { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
  padding: .6rem 1.2rem; margin: 1rem 0 1.5rem; font-size: .92rem; }
nav ol { margin: .3rem 0; padding-left: 1.3rem; columns: 2; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
code { font: .86em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #f6f8fa; padding: .05rem .3rem; border-radius: 3px; }
.table-wrap { overflow-x: auto; margin: .3rem 0 1.6rem; }
table { border-collapse: collapse; font-size: .84rem; }
th, td { border: 1px solid #d0d7de; padding: .32rem .55rem; vertical-align: top;
  text-align: left; }
th { background: #f6f8fa; font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.caption { font-size: .92rem; margin: 1.2rem 0 .2rem; }
.label { font-weight: 600; }
.source { color: #57606a; }
.verdict { display: inline-block; font-weight: 600; white-space: nowrap; color: #111;
  border-radius: 4px; padding: .05rem .45rem; }
figure { margin: 1.4rem 0 2.2rem; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .92rem; color: #3d444d; margin: .6rem auto 0; max-width: 60rem; }
.missing { color: #b35900; font-style: italic; }
@media print { body { max-width: none; } figure, table { break-inside: avoid; }
  nav { display: none; } }
"""
"""The report's style sheet (plain CSS, inlined in the HTML file)."""


def _inline(text: str) -> str:
    """Escape ``text`` for HTML, then render the two inline marks (bold, code)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"


def _td(header: str, text: str) -> str:
    if header == VERDICT_HEADER and text in VERDICT_COLOURS:
        colour = VERDICT_COLOURS[text]
        return f'<td><span class="verdict" style="background:{colour}">{_inline(text)}</span></td>'
    numeric = _NUMERIC.fullmatch(text) is not None
    return f'<td class="num">{_inline(text)}</td>' if numeric else f"<td>{_inline(text)}</td>"


def html_table(frame: pd.DataFrame, max_rows: int | None = 30, digits: int = 4) -> str:
    """An HTML table of ``frame`` (cells escaped; numbers right-aligned; verdicts coloured)."""
    frame = frame if max_rows is None else frame.head(max_rows)
    headers = [str(c) for c in frame.columns]
    head = "".join(f"<th>{_inline(h)}</th>" for h in headers)
    rows = [
        "".join(_td(h, _cell(v, digits)) for h, v in zip(headers, row, strict=True))
        for row in frame.itertuples(False)
    ]
    body = "\n".join(f"<tr>{r}</tr>" for r in rows)
    return (
        f'<div class="table-wrap"><table>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def _image(path: Path, alt: str) -> str:
    """The image at ``path`` embedded as a data URI, or a note that the file is missing."""
    mime = MIME.get(path.suffix.lower())
    if mime is None or not path.is_file() or path.stat().st_size == 0:
        return f'<p class="missing">Figure file not available: {html.escape(path.name)}</p>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:{mime};base64,{data}" alt="{html.escape(alt)}">'


def _html_block(block: Block, number: str, base: Path) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Table):
        note = f' <span class="source">Full table: <code>{html.escape(block.source)}</code>.</span>'
        caption = (
            f'<p class="caption"><span class="label">{number}.</span> {_inline(block.caption)}'
            f"{note if block.source else ''}</p>"
        )
        return caption + "\n" + html_table(block.frame, block.max_rows, block.digits)
    if isinstance(block, Figure):
        title = _inline(_sentence(block.title))
        caption = f'<span class="label">{number}. {title}</span> {_inline(block.caption)}'
        image = _image(base / block.path, block.title)
        return f"<figure>\n{image}\n<figcaption>{caption}</figcaption>\n</figure>"
    raise TypeError(f"block must be a Paragraph, Table or Figure; got {type(block).__name__}")


def to_html(document: Document, base: str | os.PathLike = ".") -> str:
    """The document as one self-contained HTML page: a contents list, numbered tables and
    figures with their captions, every image embedded from ``base / figure.path``.

    Parameters
    ----------
    document : the report.
    base : the folder the figures' paths are relative to (the report's folder).
    """
    if not isinstance(document, Document):
        raise TypeError(f"document must be a Document; got {type(document).__name__}")
    base = Path(base)
    numbers = _numbered(document)
    parts = [f"<h1>{_inline(document.title)}</h1>"]
    parts += [_html_block(b, numbers.get(id(b), ""), base) for b in document.preamble]
    toc = "".join(
        f'<li><a href="#{_slug(s.title)}">{_inline(s.title)}</a></li>' for s in document.sections
    )
    parts.append(f"<nav><strong>Contents</strong><ol>{toc}</ol></nav>")
    for section in document.sections:
        parts.append(f'<h2 id="{_slug(section.title)}">{_inline(section.title)}</h2>')
        parts += [_html_block(b, numbers.get(id(b), ""), base) for b in section.blocks]
    title = html.escape(document.title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )
