"""Shared plumbing for explorers: a persistent matplotlib figure shown as a PNG in an ipywidgets Image, and a
message line that shows a clear error instead of a traceback.

Speed: re-rendering a whole figure costs 60-100 ms on a 2-core machine, mostly text layout. Explorers declare
which artists change on a control move; ``render_dynamic`` restores a cached background and redraws only
those (matplotlib's "blitting"), then encodes the PNG with fast compression — a few milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from chiplab.errors import ChiplabInputError

DPI = 80


class FigureImage:
    """One Figure, re-rendered into the same Image widget on every change (no new figures, no flicker)."""

    def __init__(self, figsize: tuple[float, float]):
        # A bare Figure (not pyplot): never auto-displayed twice, never leaks into pyplot's global state.
        self.figure = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        # Hidden until its first picture: an Image widget without a value shows as a broken image (a picture drawn
        # only on request, such as the cost explorer's tornado, would otherwise sit there broken until then).
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self._background = None
        self._dynamic: list[Artist] = []

    def new_axes(self, rect: tuple[float, float, float, float] = (0.08, 0.1, 0.62, 0.8)):
        """Clear the figure and return fresh axes at a fixed position (layout engines are too slow per move)."""
        self.figure.clear()
        self._background, self._dynamic = None, []
        return self.figure.add_axes(rect)

    def set_dynamic(self, artists: Iterable[Artist]) -> None:
        """Declare the artists that ``render_dynamic`` redraws; everything else is cached background."""
        self._dynamic = list(artists)
        self._background = None

    def render(self) -> None:
        """Full redraw; caches the background (everything but the dynamic artists)."""
        for artist in self._dynamic:
            artist.set_visible(False)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self._dynamic:
            artist.set_visible(True)
        self.render_dynamic()

    def render_dynamic(self) -> None:
        """Redraw only the dynamic artists over the cached background and publish the PNG."""
        if self._background is None:
            self.render()
            return
        self.canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        rgba = np.asarray(self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()
        if self.image.layout.display == "none":
            self.image.layout.display = None


class MessageLine:
    """An HTML line: a summary when all is well, the error's message (in red) when the input is invalid."""

    def __init__(self):
        self.widget = widgets.HTML()

    def show(self, text: str) -> None:
        self.widget.value = text

    def guard(self, action: Callable[[], str]) -> bool:
        """Run ``action`` (which returns the summary HTML); on bad input show why and return False."""
        try:
            self.show(action())
        except ChiplabInputError as exc:
            self.show(f'<span style="color:#D55E00"><b>Not possible:</b> {exc}</span>')
            return False
        return True
