"""Figures: one function per figure, drawn from result tables only, returned as objects.

Every figure function takes the tidy tables an experiment wrote (or a user's own tables with
the same columns) and ``ax=None`` (one panel) or ``fig=None`` (several panels), draws under the
package's seaborn theme and returns the matplotlib :class:`~matplotlib.figure.Figure`; it never
simulates or trains. Saving is separate::

    from neuroact.figures import save
    from neuroact.figures.bio_fi import plot_fi_curves

    fig = plot_fi_curves(curves, theory)  # shown inline in a notebook
    save(fig, "fi_curves.png", formats=("png", "svg"))  # atomic; closes the figure

Importing this package changes neither matplotlib's backend nor its rcParams; the command
line and the scripts call :func:`use_agg` to draw without a display.

Sub-modules: ``bio_fi`` (f-I curves), ``bio_network`` (population activity), ``ann`` (training,
layer sparsity, gradients of ``train_networks``), ``ann_claims`` (the rectifier-paper
experiments), ``compare`` (fits, family summary, sparsity contrast); ``style`` holds the theme,
palette, labels, units, literature bands and :func:`save`.
"""

from __future__ import annotations

from neuroact.figures.style import (
    FORMATS,
    LINESTYLES,
    PALETTE,
    band_label,
    check_axes,
    check_table,
    colour,
    colours,
    draw_band,
    family_style,
    figure,
    figure_axes,
    figure_legend,
    label,
    network_label,
    network_styles,
    plain_log_axis,
    save,
    single_axes,
    theme,
    themed,
    tick_label,
    unit_label,
    use_agg,
)

__all__ = [
    "FORMATS",
    "LINESTYLES",
    "PALETTE",
    "band_label",
    "check_axes",
    "check_table",
    "colour",
    "colours",
    "draw_band",
    "family_style",
    "figure",
    "figure_axes",
    "figure_legend",
    "label",
    "plain_log_axis",
    "network_label",
    "network_styles",
    "save",
    "single_axes",
    "theme",
    "themed",
    "tick_label",
    "unit_label",
    "use_agg",
]
