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


def model_label(model_id: str) -> str:
    """The name readers know a model by ("Llama 3 70B", not "llama3_70b"); an unknown id is kept."""
    from chiplab.errors import ChiplabInputError
    from chiplab.workloads import load_model

    try:
        return load_model(model_id).name
    except (ChiplabInputError, KeyError, ValueError, TypeError):
        return model_id


# Words for the identifiers that the models use as keys, so that figures read as prose (issue 16, item 7).
_WORDS = {
    "usd_per_chip_hour": "price per chip-hour", "matmul_efficiency_fraction": "matmul efficiency",
    "memory_efficiency_fraction": "memory efficiency", "utilization_fraction": "utilisation",
    "qkv_proj": "Q, K, V projection", "o_proj": "output projection", "gate_up_proj": "gate and up projection",
    "down_proj": "down projection", "lm_head": "output layer (LM head)", "adamw_update": "AdamW update",
    "grad_a": "activation gradient", "grad_b": "weight gradient",
}  # fmt: skip


def readable(key: str) -> str:
    """A model key as words: "a.usd_per_chip_hour" -> "A: price per chip-hour", "down_proj.grad_b" -> "down
    projection (weight gradient)"; anything else has its underscores turned into spaces."""
    side, dot, rest = key.partition(".")
    if dot and side in ("a", "b"):
        return f"{side.upper()}: {readable(rest)}"
    if dot:
        return f"{readable(side)} ({readable(rest)})"
    return _WORDS.get(key, key.replace("_", " "))


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


def draw_range(ax: Axes, x: float, low: float, high: float) -> None:
    """A vertical range bar with caps from ``low`` to ``high`` at ``x``: the range of a true value from the model's
    error band. Unlike ``errorbar``'s ± it need not contain the bar's own value (chiplab is often optimistic, so
    the whole range can lie below a predicted speed or above a predicted time)."""
    ax.vlines([x], [low], [high], colors="black", linewidth=1.2, zorder=3)
    ax.plot([x, x], [low, high], linestyle="none", marker="_", markersize=10, color="black", zorder=3)
