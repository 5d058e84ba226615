"""The report's document model: sections of paragraphs, tables and figures, and its words.

A report is a :class:`Document` of :class:`Section` objects holding three kinds of block
(:class:`Paragraph`, :class:`Table`, :class:`Figure`). The content is decided once, when the
document is built (:mod:`neuroact.report.content`); each output format is a renderer over the
same blocks (:mod:`neuroact.report.render`), so the Markdown and the HTML report never differ
in what they say.

Paragraph text and table cells use two inline marks only, ``**bold**`` and ```code```, which
both renderers understand. :func:`readable` turns the short names that tables and claim texts
use internally (``noisy_lif``, ``dae``, ``mlp``, ``R^2``) into the words a reader expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from neuroact.vocabulary import VARIANT_LABELS

__all__ = ["Block", "Document", "Figure", "Paragraph", "Section", "Table", "readable", "WORDS"]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text (inline marks: ``**bold**`` and ```code```)."""

    text: str


@dataclass(frozen=True, eq=False)
class Table:
    """A table of a data frame with readable column names.

    Attributes
    ----------
    frame : the rows shown; cells are text (already formatted) or numbers.
    caption : one sentence saying what the table shows ("" for none).
    source : the file holding the whole table, relative to the run folder ("" if none).
    digits : significant digits of the float cells that are not yet text.
    max_rows : the most rows shown (None: all).
    """

    frame: pd.DataFrame
    caption: str = ""
    source: str = ""
    digits: int = 4
    max_rows: int | None = 30


@dataclass(frozen=True)
class Figure:
    """A figure file and what it shows.

    Attributes
    ----------
    path : the image file, relative to the report's folder.
    title : a short name of the figure (the image's alternative text).
    caption : one or two sentences: what the figure shows and what to read from it.
    """

    path: str
    title: str
    caption: str = ""


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

    def figures(self) -> list[Figure]:
        """Every figure in reading order (the renderers number them so)."""
        blocks = [*self.preamble, *(b for s in self.sections for b in s.blocks)]
        return [b for b in blocks if isinstance(b, Figure)]


WORDS: dict[str, str] = {
    "R^2": "R²",
    "mnist-subset": "MNIST subset",
    "fashion-mnist": "Fashion-MNIST",
    "mnist": "MNIST",
    "dae": "DAE",
    "mlp": "MLP",
    "cnn4": "four-layer CNN",
    "cnn": "CNN",
    "noisy_lif": "noisy LIF",
    "lif": "LIF",
    "hh": "Hodgkin-Huxley",
    "adex": "AdEx",
    "izhikevich_rs": "Izhikevich RS",
    "izhikevich_fs": "Izhikevich FS",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "soft_lif": "soft-LIF",
    **VARIANT_LABELS,
    "power_law": "power law",
    "(torch)": "(PyTorch default init)",
    "(xavier)": "(Xavier init)",
    "(he)": "(He init)",
    "torch init": "PyTorch default init",
    "xavier init": "Xavier init",
    "he init": "He init",
    "eta": "η",
    "sigma": "σ",
}
"""Internal short names and the words the report shows instead (whole words only)."""

# Longest first, so that "mnist-subset" wins over "mnist"; whole words only, so that "eta" in
# "beta" and "lif" in "soft_lif" stay as they are.
_WORDS = re.compile(
    "|".join(rf"(?<![\w-]){re.escape(k)}(?![\w-])" for k in sorted(WORDS, key=len, reverse=True))
)


def readable(text: str) -> str:
    """``text`` with internal short names replaced by the words of :data:`WORDS`.

    Examples
    --------
    >>> readable("noisy_lif sigma=2 mV: R^2 0.986; relu (xavier) 3.2; mnist-subset dae")
    'noisy LIF σ=2 mV: R² 0.986; ReLU (Xavier init) 3.2; MNIST subset DAE'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    return _WORDS.sub(lambda m: WORDS[m.group(0)], text)
