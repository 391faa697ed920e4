"""Show a finished figure as an image *with its alt text*, in JupyterLab and on the book's website alike.

MyST-NB takes alt text for plot outputs only from hand-written cell metadata; the ``draw_*`` functions compute a
description of what they drew, so this wraps the rendered figure in an ``<img alt=...>`` that carries it.

The image is SVG with its text kept as text (matplotlib's ``svg.fonttype = "none"``): it stays sharp at any zoom,
and the book's site test can measure every label's size at display size (issue 16: at least 9 px).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from typing import cast

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chiplab.viz.style import alt_text

# The book's text column is 688 CSS px wide (sphinx-book-theme at a 1280 px window) = 516 pt = 7.17 in; a figure no
# wider than this is shown at its natural size, so 9 pt text is 12 px on screen.
COLUMN_WIDTH_IN = 7.0


@dataclass(frozen=True)
class AccessibleFigure:
    """A rendered figure (SVG text) and its description; notebooks display it as an ``<img>`` with ``alt``."""

    svg: str
    alt: str

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(self.alt)}" style="max-width:100%"/>'


def accessible(target: Axes | Figure, alt: str | None = None, dpi: int = 150) -> AccessibleFigure:
    """Render ``target``'s figure to SVG with the alt text its ``draw_*`` calls recorded (or ``alt``), then close
    the figure so the notebook does not show it a second time. ``dpi`` applies only to raster parts (heatmaps).
    A figure wider than the book's text column is narrowed to it (its text keeps its size)."""
    figure = target if isinstance(target, Figure) else cast(Figure, target.figure)  # an Axes' top-level figure
    if alt is None:
        alt = " ".join(text for ax in figure.axes if (text := alt_text(ax)))
    width_in, height_in = figure.get_size_inches()
    if width_in > COLUMN_WIDTH_IN:  # narrower, same text size: shrinking it on the page would shrink the text
        figure.set_size_inches(COLUMN_WIDTH_IN, height_in)
    buffer = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "chiplab"}):  # text as text; stable ids
        figure.savefig(buffer, format="svg", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return AccessibleFigure(svg=buffer.getvalue(), alt=alt or "A chiplab figure.")
