"""Figures of cost scenarios that explorers update in place: A against B in dollars per million tokens, one chip
owned against rented, and several chips (a design among them) in tokens per dollar.

Each ``*Picture`` draws on a fixed, relative scale (bars as a share of the largest), with its labels and numbers
as text artists, so an explorer redraws only :attr:`dynamic_artists` over a cached background (blitting) on any
change. The ``draw_*`` functions are the one-call figures for pages. Nothing here computes the model: results
come from :mod:`chiplab.cost.scenarios`.
"""

from __future__ import annotations

from typing import cast

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text

from chiplab.cost.scenarios import ChipSide, OfferComparison, OwnOrRent, ScenarioResult
from chiplab.units import format_ratio_range, format_usd_range
from chiplab.units import format_usd_estimate as _estimate
from chiplab.units import format_usd_short as _money
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, chip_label, get_axes, set_alt_text

SCALE_LIMIT = 2.3  # x-axis end, in multiples of the largest bar: room for the numbers right of each bar
_TCO_COLORS = [OKABE_ITO[c] for c in ("blue", "sky_blue", "yellow", "green", "purple")]
_TCO_PARTS = ("depreciation", "capital", "energy", "hosting", "maintenance")


def _how_paid(side: ChipSide) -> str:
    if side.is_owned:
        return "owned, TCO"
    if side.price is None or side.price.provenance is None:
        return "what-if"
    return str(side.price.kind)


def _relative_axis(ax: Axes, num_rows: int, xlabel: str) -> None:
    ax.set_xlim(0, SCALE_LIMIT)
    ax.set_ylim(num_rows - 0.4, -0.75)
    ax.set_yticks([])
    ax.set_xticks([0, 0.5, 1.0], ["0", "50%", "100%"])
    ax.axvline(1.0, color="grey", linewidth=0.6, linestyle=":")
    ax.set_xlabel(xlabel, fontsize=FONT_SIZE - 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _caption(ax: Axes) -> Text:
    return ax.text(0.0, 1.02, "", transform=ax.transAxes, va="bottom", fontsize=FONT_SIZE - 1, parse_math=False)


def _whiskers(ax: Axes, num_rows: int) -> list[Line2D]:
    """One error-band whisker per row (empty until set): the range of the true value if the model errs as it did
    on published runs (chiplab.perf.estimate_bands)."""
    return [ax.plot([], [], color="black", linewidth=1.2, marker="|", markersize=9)[0] for _ in range(num_rows)]


def _set_whisker(line: Line2D, y: float, band: tuple[float, float] | None, scale: float) -> None:
    line.set_data(([], []) if band is None else ([band[0] / scale, band[1] / scale], [y, y]))


def _row_texts(ax: Axes, num_rows: int) -> tuple[list[Text], list[Annotation]]:
    # parse_math=False: the texts hold dollar signs, which matplotlib would otherwise read as TeX math.
    names = [ax.text(0.0, y - 0.3, "", va="bottom", fontsize=FONT_SIZE - 2, parse_math=False)
             for y in range(num_rows)]
    notes = [ax.annotate("", (0, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=FONT_SIZE - 2,
                         parse_math=False) for y in range(num_rows)]
    return names, notes


class ScenarioCostPicture:
    """USD per million tokens of chips A and B, as a share of the dearer one, with price, run cost and time."""

    def __init__(self, ax: Axes):
        self.ax = ax
        _relative_axis(ax, 2, "USD per million tokens (share of the dearer chip's)")
        self.bars = list(ax.barh([0, 1], [0, 0], height=0.45, color=[COLORS["stationary"], COLORS["mapping"]]))
        self.whiskers = _whiskers(ax, 2)
        self.names, self.notes = _row_texts(ax, 2)
        self.caption = _caption(ax)

    @property
    def dynamic_artists(self) -> list[Artist]:
        return [*self.bars, *self.whiskers, *self.names, *self.notes, self.caption]

    def update(self, result: ScenarioResult, names: tuple[str, str] | None = None) -> None:
        # Short texts: an explorer redraws every glyph on every change (the details go in its message line).
        costs = (result.a, result.b)
        dearer = max(cost.usd_per_million_tokens for cost in costs)
        names = names or (result.a.chip_id, result.b.chip_id)
        for bar, whisker, name, note, cost, label in zip(self.bars, self.whiskers, self.names, self.notes, costs,
                                                         names, strict=True):
            width = cost.usd_per_million_tokens / dearer
            bar.set_width(width)
            band = cost.usd_per_million_tokens_range
            _set_whisker(whisker, bar.get_y() + bar.get_height() / 2, band, dearer)
            name.set_text(f"{label} ({_how_paid(cost.side)})")
            note.xy = (width if band is None else max(width, band[1] / dearer), bar.get_y() + bar.get_height() / 2)
            note.set_text(f"{_estimate(cost.usd_per_million_tokens)}/M tokens · run {_estimate(cost.run.cost_usd)}")
        ratio, break_even = result.price_performance_ratio, result.break_even_usd_per_chip_hour_a()
        ratio_range, even_range = result.price_performance_ratio_range, result.break_even_range_usd_per_chip_hour_a()
        ratio_text = f"{ratio:.2g}×" if ratio_range is None else f"{ratio:.2g}× ({format_ratio_range(*ratio_range)})"
        even_text = _estimate(break_even) if even_range is None else format_usd_range(*even_range)
        self.caption.set_text(f"A: {ratio_text} B's tokens per $ · A breaks even at {even_text}/chip-h"
                              + ("" if ratio_range is None else " · whiskers: model error band"))
        set_alt_text(self.ax, f"Bar chart of USD per million tokens: {names[0]} "
                              f"{_estimate(result.a.usd_per_million_tokens)}, {names[1]} "
                              f"{_estimate(result.b.usd_per_million_tokens)}; {names[0]} gives {ratio_text} the "
                              f"tokens per dollar, and breaks even at {even_text} per chip-hour.")


class OwnOrRentPicture:
    """One useful chip-hour of a chip, rented (one bar) and owned (its TCO components stacked)."""

    def __init__(self, ax: Axes):
        self.ax = ax
        _relative_axis(ax, 2, "USD per useful chip-hour (share of the dearer way)")
        (self.rent_bar,) = ax.barh([0], [0], height=0.45, color=COLORS["mapping"])
        self.own_bars = [ax.barh([1], [0], height=0.45, color=color)[0] for color in _TCO_COLORS]
        for bar, part in zip(self.own_bars, _TCO_PARTS, strict=True):
            bar.set_label(part)
        ax.legend(handles=self.own_bars, fontsize=FONT_SIZE - 3, frameon=False, loc="lower right", ncols=2,
                  title="owning, per useful hour", title_fontsize=FONT_SIZE - 3)
        self.names, self.notes = _row_texts(ax, 2)
        self.caption = _caption(ax)

    @property
    def dynamic_artists(self) -> list[Artist]:
        return [self.rent_bar, *self.own_bars, *self.names, *self.notes, self.caption]

    def clear(self, message: str) -> None:
        """Empty bars and ``message`` as the caption (e.g. why owning cannot be costed for this chip)."""
        for bar in (self.rent_bar, *self.own_bars):
            bar.set_width(0.0)
        for text in (*self.names, *self.notes):
            text.set_text("")
        self.caption.set_text(message[:110] + ("…" if len(message) > 110 else ""))
        set_alt_text(self.ax, f"Empty chart: {message}")

    def update(self, result: OwnOrRent, name: str | None = None) -> None:
        name = name or chip_label(result.chip_id)
        dearer = max(result.owner_usd_per_useful_chip_hour, result.cloud_usd_per_useful_chip_hour)
        rent_width = result.cloud_usd_per_useful_chip_hour / dearer
        self.rent_bar.set_width(rent_width)
        parts = dict(result.owner_parts)
        left = 0.0
        for bar, part in zip(self.own_bars, _TCO_PARTS, strict=True):
            width = parts.get(part, 0.0) / dearer
            bar.set_x(left)
            bar.set_width(width)
            left += width
        price = result.cloud_price
        self.names[0].set_text(f"rent ({'what-if' if price.provenance is None else price.kind})")
        self.names[1].set_text("own (TCO)")
        self.notes[0].xy = (rent_width, 0)
        self.notes[0].set_text(_money(result.cloud_usd_per_useful_chip_hour))
        self.notes[1].xy = (left, 1)
        self.notes[1].set_text(_money(result.owner_usd_per_useful_chip_hour))
        cheaper = "owning" if result.owner_to_cloud_ratio < 1 else "renting"
        self.caption.set_text(f"{name}: {cheaper} is cheaper per useful hour")
        set_alt_text(self.ax, f"Bar chart of one useful chip-hour of {name}: renting costs "
                              f"{_money(result.cloud_usd_per_useful_chip_hour)}, owning costs "
                              f"{_money(result.owner_usd_per_useful_chip_hour)} (depreciation, capital, energy, "
                              f"hosting and maintenance stacked); {cheaper} is cheaper.")


class OfferPicture:
    """Tokens per dollar of several chips on one workload (a share of the best), tokens/s per chip and price
    written next to each bar; a chip without a price shows its speed only. The first row is highlighted."""

    def __init__(self, ax: Axes, num_rows: int, highlight_first: bool = True):
        self.ax, self.num_rows = ax, num_rows
        _relative_axis(ax, num_rows, "tokens per USD (share of the best priced chip); tok/s = tokens/s per chip")
        colors = [COLORS["busy"]] * num_rows
        if highlight_first:
            colors[0] = OKABE_ITO["vermillion"]
        self.bars = list(ax.barh(range(num_rows), [0] * num_rows, height=0.45, color=colors))
        self.whiskers = _whiskers(ax, num_rows)
        self.names, self.notes = _row_texts(ax, num_rows)
        self.caption = _caption(ax)

    @property
    def dynamic_artists(self) -> list[Artist]:
        return [*self.bars, *self.whiskers, *self.names, *self.notes, self.caption]

    def fits(self, comparison: OfferComparison) -> bool:
        return len(comparison.rows) == self.num_rows

    def update(self, comparison: OfferComparison) -> None:
        best = comparison.best_tokens_per_usd
        top = cast(float, best.tokens_per_usd) if best is not None else 1.0  # the best row is a priced one
        for bar, whisker, name, note, row in zip(self.bars, self.whiskers, self.names, self.notes, comparison.rows,
                                                 strict=True):
            width = 0.0 if row.tokens_per_usd is None else row.tokens_per_usd / top
            bar.set_width(width)
            band = row.tokens_per_usd_range
            _set_whisker(whisker, bar.get_y() + bar.get_height() / 2, band, top)
            kind = "" if row.price is None else (" (what-if)" if row.price.provenance is None
                                                 else f" ({row.price.kind})")
            name.set_text(row.display_name + kind)
            note.xy = (width if band is None else max(width, band[1] / top), bar.get_y() + bar.get_height() / 2)
            speed = f"{row.tokens_per_s_per_chip:,.0f} tok/s"
            note.set_text(f"{speed} · no sourced price" if row.price is None else
                          f"{row.tokens_per_usd:,.0f} tok/$ · {speed} · {_money(row.price.usd_per_chip_hour)}/h"
                          + (" what-if" if row.price.provenance is None else ""))
        winner = best.display_name if best is not None else "no priced chip"
        banded = any(row.tokens_per_usd_range is not None for row in comparison.rows)
        self.caption.set_text(f"most tokens per dollar: {winner}" + (" · whiskers: model error band" if banded else ""))
        described = "; ".join(f"{row.display_name} {row.tokens_per_usd:,.0f}" for row in comparison.rows
                              if row.tokens_per_usd is not None)
        set_alt_text(self.ax, f"Bar chart of tokens per US dollar on {comparison.workload.label}: {described}. "
                              f"Most tokens per dollar: {winner}.")


def draw_scenario_costs(result: ScenarioResult, ax: Axes | None = None) -> Axes:
    """USD per million tokens of a scenario's two chips (:func:`chiplab.cost.scenarios.evaluate_cost_scenario`)."""
    ax = get_axes(ax, figsize=(7.5, 2.6))
    ScenarioCostPicture(ax).update(result)
    return ax


def draw_own_or_rent(result: OwnOrRent, ax: Axes | None = None) -> Axes:
    """A useful chip-hour owned (TCO components) against rented (:func:`chiplab.cost.scenarios.own_or_rent`)."""
    ax = get_axes(ax, figsize=(7.5, 2.6))
    OwnOrRentPicture(ax).update(result)
    return ax


def draw_offer_comparison(comparison: OfferComparison, ax: Axes | None = None,
                          highlight_first: bool = False) -> Axes:
    """Tokens per dollar of several chips (:func:`chiplab.cost.scenarios.compare_offers` or ``compare_design``)."""
    ax = get_axes(ax, figsize=(8.0, 0.9 + 0.55 * len(comparison.rows)))
    OfferPicture(ax, len(comparison.rows), highlight_first=highlight_first).update(comparison)
    return ax
