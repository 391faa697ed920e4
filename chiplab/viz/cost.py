"""Figures of the cost model: the tornado of a sensitivity analysis, a price-performance matchup, and stacked
breakdowns (a chip's price from wafer to margin, an owner's cost per chip-hour)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from chiplab.cost.scenarios import ScenarioResult
from chiplab.cost.sensitivity import SensitivityResult
from chiplab.units import format_ratio_range, format_usd_estimate
from chiplab.viz.style import (
    COLORS,
    FONT_SIZE,
    OKABE_ITO,
    chip_label,
    draw_range,
    get_axes,
    model_label,
    readable,
    set_alt_text,
)

_PART_COLORS = [OKABE_ITO[c] for c in ("blue", "sky_blue", "green", "yellow", "orange", "vermillion", "purple")]


def draw_tornado(result: SensitivityResult, ax: Axes | None = None, metric_label: str = "metric") -> Axes:
    """One bar per assumption from the metric at its low value to the metric at its high value (largest swing
    on top); the vertical line is the base case, the dashed one the threshold where the winner flips."""
    ax = get_axes(ax, figsize=(6.4, 0.5 + 0.45 * len(result.parameters)))
    names = [readable(p.name) for p in result.parameters]
    lows = np.array([min(p.output_at_low, p.output_at_high) for p in result.parameters])
    highs = np.array([max(p.output_at_low, p.output_at_high) for p in result.parameters])
    colors = [OKABE_ITO["vermillion"] if p.flips_winner else COLORS["busy"] for p in result.parameters]
    ax.barh(names, highs - lows, left=lows, color=colors)
    for y, p in enumerate(result.parameters):
        ax.annotate(f"{p.low_value:g} … {p.high_value:g}", (highs[y], y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=FONT_SIZE - 3)
    ax.axvline(result.base_output, color="black", linewidth=1)
    ax.axvline(result.threshold, color="grey", linestyle="--", linewidth=1)
    ax.invert_yaxis()
    ax.set_xlabel(metric_label)
    ax.set_title("vermillion: this assumption alone can flip the winner", fontsize=FONT_SIZE - 1)
    flips = ", ".join(readable(name) for name in result.flips) or "none"
    set_alt_text(ax, f"Tornado chart of {metric_label} as each assumption moves across its range, largest effect "
                     f"first ({readable(result.parameters[0].name)}); assumptions that flip the winner: {flips}.")
    return ax


def draw_matchup(result: ScenarioResult, ax: Axes | None = None) -> Axes:
    """Tokens per dollar of the two chips of a scenario (:func:`chiplab.cost.scenarios.evaluate_cost_scenario`),
    with their price-performance ratio."""
    ax = get_axes(ax, figsize=(5.2, 3.4))
    chip_a, chip_b = chip_label(result.a.chip_id), chip_label(result.b.chip_id)
    model = model_label(result.scenario.workload.model)
    prices = (result.a.side.usd_per_chip_hour, result.b.side.usd_per_chip_hour)  # a scenario prices both chips
    ratio, ratio_range = result.price_performance_ratio, result.price_performance_ratio_range
    values = [result.a.tokens_per_usd / 1e3, result.b.tokens_per_usd / 1e3]
    ax.bar([chip_a, chip_b], values, color=[COLORS["stationary"], COLORS["mapping"]])
    tops = list(values)
    for x, cost in enumerate((result.a, result.b)):
        band = cost.tokens_per_usd_range  # the true tokens per dollar if the model errs as on published runs
        if band is not None:  # a range, not ± around the bar: it may lie wholly below an optimistic prediction
            draw_range(ax, x, band[0] / 1e3, band[1] / 1e3)
            tops[x] = max(values[x], band[1] / 1e3)
    for x, (top, price) in enumerate(zip(tops, prices, strict=True)):
        ax.annotate(f"{format_usd_estimate(price)}/chip-h", (x, top), ha="center", va="bottom", fontsize=FONT_SIZE - 2)
    ax.set_ylabel("thousand tokens per USD" + ("" if ratio_range is None else " (bars: model error band)"))
    shown = f"{ratio:.2f}×" if ratio_range is None else f"{ratio:.2f}× ({format_ratio_range(*ratio_range)})"
    ax.set_title(f"{model}: {chip_a} gives {shown} the tokens per dollar", fontsize=FONT_SIZE - 1)
    band_words = "" if ratio_range is None else f" ({format_ratio_range(*ratio_range)} over the error bands)"
    set_alt_text(ax, f"Bar chart: {result.scenario.workload.kind} {model}, {chip_a} at "
                     f"{format_usd_estimate(prices[0])} per chip-hour gives {ratio:.2f} times the tokens per dollar "
                     f"of {chip_b} at {format_usd_estimate(prices[1])}{band_words}.")
    return ax


def draw_stacked_breakdown(breakdowns: Mapping[str, Sequence[tuple[str, float]]], ax: Axes | None = None,
                           unit_label: str = "USD") -> Axes:
    """Stacked bars of (component, value) lists, one bar per case: e.g. ``SiliconCost.breakdown()`` or
    ``OwnerTco.components()``."""
    ax = get_axes(ax)
    names = list(breakdowns)
    components = list(dict.fromkeys(part for parts in breakdowns.values() for part, _ in parts))
    bottom = np.zeros(len(names))
    for color, component in zip(_PART_COLORS * 2, components, strict=False):
        values = np.array([dict(parts).get(component, 0.0) for parts in breakdowns.values()])
        ax.bar(names, values, bottom=bottom, color=color, label=component)
        bottom += values
    ax.set_ylabel(unit_label)
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False)
    totals = ", ".join(f"{n}: {t:,.3g} {unit_label}" for n, t in zip(names, bottom, strict=True))
    set_alt_text(ax, f"Stacked bars of {', '.join(components)} ({totals}).")
    return ax
