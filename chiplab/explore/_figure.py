"""Shared plumbing for explorers: a persistent matplotlib figure shown as a PNG in an ipywidgets Image, and a
message line that shows a clear error instead of a traceback. When an explorer cannot compute, the message line
marks its figures stale (greyed, with a "not possible" note), so a reader never takes the old picture for an answer.

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
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from chiplab.errors import ChiplabInputError

DPI = 80
STALE_NOTE = "Not possible for these settings:\nthis figure shows the last valid ones"


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
        self.stale = False
        # Drawn over the last picture only when it goes stale; never part of the figure, so clearing or
        # re-rendering the figure removes them.
        self._veil = Rectangle((0, 0), 1, 1, transform=self.figure.transFigure, facecolor="white", alpha=0.75)
        self._note = Text(0.5, 0.5, STALE_NOTE, transform=self.figure.transFigure, ha="center", va="center",
                          fontsize=13, color="#D55E00", fontweight="bold", multialignment="center")
        for artist in (self._veil, self._note):
            artist.set_figure(self.figure)

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
        self.stale = False
        self._publish()
        if self.image.layout.display == "none":
            self.image.layout.display = None

    def mark_stale(self) -> None:
        """Grey out the picture shown and say it is not for the current settings (until the next render)."""
        if self.stale or self.image.layout.display == "none":  # already marked, or nothing shown yet
            return
        for artist in (self._veil, self._note):
            self.figure.draw_artist(artist)  # over the canvas's last picture; the cached background stays clean
        self.stale = True
        self._publish()

    def _publish(self) -> None:
        rgba = np.asarray(self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()


class Quiet:
    """Raised while an explorer sets its own controls (``with self._quiet: ...``), so that their observers, which
    test ``if self._quiet``, skip the recompute each change would start; the explorer refreshes once afterwards."""

    def __init__(self) -> None:
        self._depth = 0

    def __bool__(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> None:
        self._depth += 1

    def __exit__(self, *exc_info: object) -> None:
        self._depth -= 1


class MessageLine:
    """An HTML line: a summary when all is well, the error's message (in red) when the input is invalid. The
    ``figures`` it speaks for are marked stale whenever it shows an error."""

    def __init__(self, *figures: FigureImage):
        self.widget = widgets.HTML()
        self.figures = figures

    def show(self, text: str) -> None:
        self.widget.value = text

    def guard(self, action: Callable[[], str]) -> bool:
        """Run ``action`` (which returns the summary HTML); on bad input show why and return False."""
        try:
            self.show(action())
        except ChiplabInputError as exc:
            self.show(f'<span style="color:#D55E00"><b>Not possible:</b> {exc}</span>')
            for figure in self.figures:
                figure.mark_stale()
            return False
        return True
