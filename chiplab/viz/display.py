"""Show a finished figure as an image *with its alt text*, in JupyterLab and on the book's website alike.

MyST-NB takes alt text for plot outputs only from hand-written cell metadata; the ``draw_*`` functions compute a
description of what they drew, so this wraps the rendered PNG in an ``<img alt=...>`` that carries it.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chiplab.viz.style import alt_text


@dataclass(frozen=True)
class AccessibleFigure:
    """A rendered figure and its description; notebooks display it as an ``<img>`` with ``alt``."""

    png: bytes
    alt: str

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" style="max-width:100%"/>'


def accessible(target: Axes | Figure, alt: str | None = None, dpi: int = 100) -> AccessibleFigure:
    """Render ``target``'s figure to PNG with the alt text its ``draw_*`` calls recorded (or ``alt``), then close
    the figure so the notebook does not show it a second time."""
    figure = target if isinstance(target, Figure) else target.figure
    if alt is None:
        alt = " ".join(text for ax in figure.axes if (text := alt_text(ax)))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return AccessibleFigure(png=buffer.getvalue(), alt=alt or "A chiplab figure.")
