"""GlyphCachingCanvas draws text as Agg does (the explorers use it to redraw faster): the same glyphs, at most half
a pixel apart, and rotated or math text drawn by Agg itself. The reference is matplotlib's own FigureCanvasAgg."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chiplab.viz.fast_text import GlyphCachingCanvas


def _pixels(figure: Figure, canvas_class) -> np.ndarray:
    canvas = canvas_class(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(int).copy()


def _figure(**text_options) -> Figure:
    figure = Figure(figsize=(3, 2), dpi=80)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.axis("off")
    for i, line in enumerate(["B:-3\n→12 ↓·", "cycle 7 of 19", "→0 ↓0"]):
        ax.text(0.1, 0.2 + 0.3 * i, line, fontsize=9, **text_options)
    return figure


def test_text_has_the_same_ink_as_agg_within_half_a_pixel():
    figure = _figure()
    agg, cached = _pixels(figure, FigureCanvasAgg), _pixels(figure, GlyphCachingCanvas)
    ink_agg, ink_cached = (255 - agg).sum(), (255 - cached).sum()
    assert ink_cached == ink_agg or abs(ink_cached - ink_agg) / ink_agg < 0.02
    # Shifting a glyph by under a pixel changes pixels only along its edges: a small share of the inked ones.
    inked = ((255 - agg).max(axis=2) > 0).sum()
    assert ((np.abs(agg - cached)).max(axis=2) > 128).sum() < 0.25 * inked


def test_a_redraw_from_remembered_glyphs_is_identical():
    figure = _figure()
    canvas = GlyphCachingCanvas(figure)
    canvas.draw()
    first = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    assert np.array_equal(first, np.asarray(canvas.buffer_rgba()))


def test_rotated_text_is_left_to_agg():
    figure = _figure(rotation=30)
    assert np.array_equal(_pixels(figure, FigureCanvasAgg), _pixels(figure, GlyphCachingCanvas))
