"""An Agg canvas that remembers the glyphs of each line of text it has drawn, for pictures redrawn many times a
second (the explorers' sliders).

Why: matplotlib 3.11's Agg backend lays out and rasterises every glyph of every text on every draw (FreeType
``_layout`` and ``_render_glyph``); on the systolic explorer, whose 16 processing elements each show two lines of
values, that is about 80 % of a redraw. Values move through a systolic array, so the same short lines ("→3 ↓12")
recur cycle after cycle: cached, a line costs one small bitmap copy per glyph.

Output: the same glyph bitmaps as Agg's own text, placed at the nearest whole pixel (Agg places them to 1/64 px),
so a glyph may sit up to half a pixel from where Agg would put it. Rotated, mathtext and non-antialiased text is
drawn by Agg itself.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ft2font import FT2Font, RenderMode

_MAX_CACHED_LINES = 20_000  # a few MB of small glyph bitmaps; cleared when full
_IDENTITY = (0x10000 * np.eye(2)).astype(int)  # FreeType's 16.16 fixed-point identity matrix
# The private glyph calls Agg itself uses since matplotlib 3.10; with an older matplotlib, Agg draws every text.
_GLYPH_API = all(hasattr(FT2Font, name) for name in ("_layout", "_set_transform", "_render_glyph"))


class _GlyphCachingRenderer(RendererAgg):
    # Shared by all renderers: the same line in the same font looks the same anywhere.
    _lines: ClassVar[dict[tuple, list[tuple[np.ndarray, int, int]]]] = {}

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or angle or not gc.get_antialiased() or not _GLYPH_API:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (s, hash(prop), self.dpi, features if features is None else tuple(features), language)
        glyphs = self._lines.get(key)
        if glyphs is None:
            glyphs = self._rasterise(s, prop, features, language)
            if len(self._lines) >= _MAX_CACHED_LINES:
                self._lines.clear()
            self._lines[key] = glyphs
        # Agg's y runs downwards; FreeType's (and the cached offsets') upwards from the baseline origin.
        origin_x, origin_y = round(x), round(self.height - y)
        for bitmap, left, top in glyphs:
            self._renderer.draw_text_image(bitmap, origin_x + left,
                                           int(self.height) - (origin_y + top) + bitmap.shape[0], 0, gc)
        return None

    def _rasterise(self, s, prop, features, language) -> list[tuple[np.ndarray, int, int]]:
        """Each glyph of ``s`` as (bitmap, left, top) relative to the line's origin, as Agg would render it."""
        font = get_font(fontManager._find_fonts_by_props(prop))
        font.clear()
        size = prop.get_size_in_points()
        font.set_size(size, self.dpi)
        glyphs = []
        for item in font._layout(s, flags=get_hinting_flag(), features=features, language=language):
            # The same private FT2Font calls as Agg's own _draw_text_glyphs_and_boxes (matplotlib 3.11); not in the
            # type stubs.
            glyph_font = item.ft_object
            glyph_font.set_size(size, self.dpi)
            glyph_font._set_transform(_IDENTITY, [round(0x40 * item.x), round(0x40 * item.y)])  # type: ignore[attr-defined]
            rendered = glyph_font._render_glyph(  # type: ignore[attr-defined]
                item.glyph_index, get_hinting_flag(), RenderMode.NORMAL)
            glyphs.append((np.array(rendered.buffer, copy=True), rendered.left, rendered.top))
        return glyphs


class GlyphCachingCanvas(FigureCanvasAgg):
    """``FigureCanvasAgg`` whose renderer reuses the glyphs of lines of text it has drawn before."""

    def get_renderer(self):
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _GlyphCachingRenderer(width, height, self.figure.dpi)
            self._lastKey = key
        return self.renderer
