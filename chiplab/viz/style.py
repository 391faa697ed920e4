"""One consistent, colour-blind-safe style for every chiplab figure, and the alt-text registry.

Colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), distinguishable under the
common colour-vision deficiencies; sequential maps use viridis/cividis for the same reason.
"""

from __future__ import annotations

import weakref

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
# Roles, so every figure uses the same colour for the same idea.
COLORS = {
    "busy": OKABE_ITO["blue"],
    "idle": "#E8E8E8",
    "padding": OKABE_ITO["yellow"],
    "left_operand": OKABE_ITO["vermillion"],
    "top_operand": OKABE_ITO["green"],
    "stationary": OKABE_ITO["purple"],
    "utilization": OKABE_ITO["blue"],
    "mapping": OKABE_ITO["orange"],
}
SEQUENTIAL_CMAP = "cividis"
FONT_SIZE = 10

_ALT_TEXT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def chip_label(chip_id: str) -> str:
    """The name readers know a chip by ("TPU v5e", not the catalog key "tpu_v5e"); a chip that is not in the
    catalog (a what-if or a custom design) keeps the name it was given."""
    from chiplab.errors import ChiplabInputError
    from chiplab.hardware import load_chip

    try:
        return load_chip(chip_id).display_name
    except (ChiplabInputError, KeyError, ValueError, TypeError):
        return chip_id


def get_axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    """Return ``ax``, or a fresh figure's axes with chiplab's default size."""
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def set_alt_text(ax: Axes, text: str) -> None:
    """Record a short description of what ``ax`` shows (for the book's alt text and screen readers)."""
    _ALT_TEXT[ax] = text


def alt_text(ax: Axes) -> str:
    """The description set by the ``draw_*`` function that drew ``ax`` ('' if none)."""
    return _ALT_TEXT.get(ax, "")
