"""Where each dollar of an owner's chip-hour goes, GPUs beside custom chips: stacked bars of the make-versus-buy
components (:mod:`chiplab.cost.make_or_buy`), with the band from the inputs' ranges as an error bar on each total.
Nothing here computes the model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from chiplab.cost.make_or_buy import COMPONENTS, ENDS, ChipHourCost
from chiplab.errors import ChiplabInputError
from chiplab.units import format_usd_short
from chiplab.viz.style import FONT_SIZE, OKABE_ITO, chip_label, get_axes, set_alt_text

# One colour per component, in COMPONENTS order; the vendor margin is the loud one, the running costs are greys.
COMPONENT_COLORS = dict(zip(COMPONENTS, (OKABE_ITO["blue"], OKABE_ITO["sky_blue"], OKABE_ITO["green"],
                                         OKABE_ITO["yellow"], OKABE_ITO["purple"], OKABE_ITO["vermillion"],
                                         OKABE_ITO["orange"], "#6E6E6E", "#BDBDBD"), strict=True))
PER = ("chip-hour", "peak-hour")


def draw_chip_hour_breakdown(costs: Sequence[ChipHourCost], ax: Axes | None = None, per: str = "chip-hour") -> Axes:
    """One horizontal stacked bar per chip: the central inputs' owner cost per chip-hour by component, and a black
    error bar from the all-cheap to the all-dear ends of the inputs' ranges. ``per="peak-hour"`` divides by the
    chip's BF16 peak in PFLOP/s, putting chips of different size on one scale."""
    if per not in PER:
        raise ChiplabInputError(f"per must be one of {', '.join(PER)}; got {per!r}")
    costs = tuple(costs)
    if not costs or not all(isinstance(c, ChipHourCost) for c in costs):
        raise ChiplabInputError("costs must be a non-empty sequence of ChipHourCost (from chiplab.cost.make_or_buy)")
    ax = get_axes(ax, figsize=(6.4, 0.5 * len(costs) + 1.9))
    scale = np.array([1.0 if per == "chip-hour" else 1e15 / c.peak_bf16_flops_per_s for c in costs])
    rows = np.arange(len(costs))
    left = np.zeros(len(costs))
    for name in COMPONENTS:
        widths = np.array([c.central.component_usd_per_chip_hour(name) for c in costs]) * scale
        ax.barh(rows, widths, left=left, color=COMPONENT_COLORS[name], label=name, height=0.62,
                edgecolor="white", linewidth=0.4)
        left += widths
    totals = {end: np.array([getattr(c, end).total_usd_per_chip_hour for c in costs]) * scale for end in ENDS}
    ax.errorbar(totals["central"], rows, xerr=[totals["central"] - totals["low"], totals["high"] - totals["central"]],
                fmt="none", ecolor="black", elinewidth=1.0, capsize=3)
    for row, (cost, central, high) in enumerate(zip(costs, totals["central"], totals["high"], strict=True)):
        how = "made" if cost.made else "bought"
        ax.annotate(f"{format_usd_short(central)} ({how})", (high, row), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=FONT_SIZE - 1, parse_math=False)
    ax.set_yticks(rows, [chip_label(c.chip_id) for c in costs], fontsize=FONT_SIZE - 1)
    ax.invert_yaxis()
    ax.set_xlim(0, totals["high"].max() * 1.45)
    unit = "USD per chip-hour" if per == "chip-hour" else "USD per hour per PFLOP/s of BF16 peak"
    ax.set_xlabel(f"{unit}\n(bar: central inputs; line: from all-cheap to all-dear inputs)", fontsize=FONT_SIZE - 1)
    ax.tick_params(axis="x", labelsize=FONT_SIZE - 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    described = "; ".join(
        f"{chip_label(c.chip_id)} ({'made' if c.made else 'bought'}) {format_usd_short(t)} "
        f"({format_usd_short(lo)} to {format_usd_short(hi)})"
        for c, t, lo, hi in zip(costs, totals["central"], totals["low"], totals["high"], strict=True))
    set_alt_text(ax, f"Horizontal stacked bars of an owner's {unit}, split into {', '.join(COMPONENTS)}, with the "
                     f"range of each total as an error bar: {described}. Bought GPUs carry a large vendor-margin "
                     "segment; custom chips carry a design-cost segment instead.")
    return ax
