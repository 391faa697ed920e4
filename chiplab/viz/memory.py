"""Figures of the memory model: time per level, the tile landscape, rooflines and energy breakdowns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm

from chiplab.memory.core_gemm import COMPUTE, GemmOnCore
from chiplab.memory.energy import EnergyBreakdown
from chiplab.memory.roofline_model import Roofline, RooflinePoint
from chiplab.memory.search import TileSearch
from chiplab.memory.tiling import Tiling
from chiplab.units import format_bytes, format_seconds, time_scale
from chiplab.viz.roofline import LabelsApart
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, SEQUENTIAL_CMAP, chip_label, get_axes, set_alt_text

_LEVEL_COLORS = [OKABE_ITO[c] for c in ("vermillion", "orange", "sky_blue", "green", "purple")]

# Tile landscapes colour each tile by its off-chip traffic relative to the best tile's, on this fixed scale, so
# the colour bar never changes (explorers then redraw only the map).
TRAFFIC_RATIO_RANGE = (1.0, 32.0)


class LevelTimesPicture:
    """The artists of :func:`draw_level_times`, kept so an explorer can update them in place: one bar for compute
    and one per memory level.

    ``relative=True`` draws each bar as a share of the GEMM's total time on a fixed axis (100% = the whole
    GEMM; with double buffering the bottleneck's bar reaches it, without it compute and off-chip add up to it)
    and writes absolute times next to the bars. It keeps a bar for every possible level (unused ones are empty),
    so any result, from any chip, updates the same artists and an explorer can blit them.
    """

    def __init__(self, result: GemmOnCore, ax: Axes, relative: bool = False):
        self.ax, self.relative = ax, relative
        num_bars = len(result.levels) + 1
        if relative:
            num_bars = max(num_bars, len(_LEVEL_COLORS) + 1)
        colors = [COLORS["busy"], *(_LEVEL_COLORS * 2)[: num_bars - 1]]
        self.bars = ax.barh(np.arange(num_bars), np.zeros(num_bars), color=colors)
        self.notes = [ax.annotate("", (0, bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                                  textcoords="offset points", va="center", fontsize=FONT_SIZE - 2)
                      for bar in self.bars]
        self.caption = ax.text(0.0, 1.03, "", transform=ax.transAxes, fontsize=FONT_SIZE - 1, va="bottom")
        if relative:
            ax.set_xlim(0, 1.55)
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25%", "50%", "75%", "100%"])
            ax.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
            ax.set_xlabel("share of the GEMM's time")
        self.update(result)

    @property
    def dynamic_artists(self) -> list:
        """What :meth:`update` changes: bars, texts and level names (relative), or the whole axes (absolute: the
        time scale moves)."""
        return [*self.bars, *self.notes, self.caption, self.ax.yaxis] if self.relative else [self.ax]

    def fits(self, result: GemmOnCore) -> bool:
        """Can this picture show ``result`` (enough bars)?"""
        return len(result.levels) + 1 <= len(self.bars)

    def update(self, result: GemmOnCore) -> None:
        labels = [COMPUTE] + [lvl.label for lvl in result.levels]
        seconds = np.array([result.compute_s] + [lvl.time_s or 0.0 for lvl in result.levels])
        scale, unit = (result.time_s, "") if self.relative else time_scale(seconds.max())
        widths = np.zeros(len(self.bars))
        widths[: seconds.size] = seconds / scale
        texts = [""] * len(self.bars)
        for i, (value, level) in enumerate(zip(seconds, (None, *result.levels), strict=True)):
            if level is None:
                texts[i] = format_seconds(value) if self.relative else ""
            elif level.time_s is None:
                texts[i] = f"{format_bytes(level.num_bytes)}, bandwidth unknown"
            else:
                texts[i] = (f"{format_seconds(value)} · " if self.relative else "") + format_bytes(level.num_bytes)
        for bar, note, width, text in zip(self.bars, self.notes, widths, texts, strict=True):
            bar.set_width(width)  # an unused bar has width 0 and no text: nothing to see
            note.set_text(text)
            note.xy = (width, bar.get_y() + bar.get_height() / 2)
        self.ax.set_yticks(np.arange(len(labels)), labels)
        self.ax.set_ylim(len(labels) - 0.5, -0.5)  # first bar on top
        if self.relative:  # short: explorers redraw it on every change, and every glyph costs time
            self.caption.set_text(f"{format_seconds(result.time_s)}, bottleneck = {result.bottleneck}")
        else:
            overlap = ("transfers overlap compute (double-buffered)" if result.tiling.double_buffered
                       else "compute and off-chip loads take turns")
            self.ax.set_title(f"{result.gemm} on one "
                              f"{chip_label(result.chip_id)} core\n{format_seconds(result.time_s)}, "
                              f"bottleneck = {result.bottleneck}; {overlap}", fontsize=FONT_SIZE)
            self.ax.set_xlim(0, seconds.max() / scale * 1.35)  # room for the byte counts right of the longest bar
            self.ax.set_xlabel(f"time ({unit})")
        set_alt_text(self.ax, f"Bar chart of time per part for {result.gemm} on one {chip_label(result.chip_id)} core: "
                              f"compute takes {format_seconds(result.compute_s)} and the slowest part is "
                              f"{result.bottleneck}, so the GEMM takes {format_seconds(result.time_s)} and reaches "
                              f"{result.fraction_of_peak:.0%} of the core's peak.")


def draw_level_times(result: GemmOnCore, ax: Axes | None = None) -> Axes:
    """Horizontal bars: compute time and each level's transfer time; the longest bar is the bottleneck."""
    return LevelTimesPicture(result, get_axes(ax, figsize=(6.4, 2.8))).ax


class TileLandscapePicture:
    """The artists of :func:`draw_tile_landscape` plus a ring for a tiling chosen by hand (hidden until
    :meth:`show_choice`). :meth:`update` redraws the map for another search in place (new tick labels when the
    candidate tile sizes change), so explorers redraw only :attr:`dynamic_artists` over a cached background."""

    def __init__(self, search: TileSearch, ax: Axes):
        self.ax = ax
        self.tm_values = self.tn_values = np.array([], dtype=np.int64)
        self.image = ax.imshow(np.full((1, 1), np.nan), cmap=SEQUENTIAL_CMAP,
                               norm=LogNorm(*TRAFFIC_RATIO_RANGE, clip=True), origin="lower", aspect="auto")
        bar = ax.figure.colorbar(self.image, ax=ax, extend="max")
        bar.set_label("off-chip traffic ÷ best tile's", fontsize=FONT_SIZE - 1)
        bar.set_ticks([1, 2, 4, 8, 16, 32], labels=["1×", "2×", "4×", "8×", "16×", "32×"])
        (self.star,) = ax.plot([], [], marker="*", markersize=16, color=COLORS["padding"], markeredgecolor="black",
                               linestyle="none")
        (self.choice,) = ax.plot([], [], marker="o", markersize=13, markerfacecolor="none", linestyle="none",
                                 markeredgecolor=OKABE_ITO["vermillion"], markeredgewidth=2.5)
        ax.set_xlabel("columns of the output tile (n)")
        ax.set_ylabel("rows of the output tile (m)")
        # A plain text rather than ax.set_title: a title's position is recomputed from the tick labels on every
        # full draw, which goes wrong when the tick labels are left out of a cached background.
        self.heading = ax.text(0.5, 1.03, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=FONT_SIZE)
        self._chosen: Tiling | None = None
        self.update(search)

    @property
    def dynamic_artists(self) -> list:
        """What :meth:`update` and :meth:`show_choice` change, tick labels included."""
        return [self.image, self.star, self.choice, self.heading, self.ax.xaxis, self.ax.yaxis]

    def _set_axes(self, tm_values: np.ndarray, tn_values: np.ndarray) -> None:
        self.tm_values, self.tn_values = tm_values, tn_values
        self.image.set_extent((-0.5, tn_values.size - 0.5, -0.5, tm_values.size - 0.5))
        self.ax.set_xlim(-0.5, tn_values.size - 0.5)
        self.ax.set_ylim(-0.5, tm_values.size - 0.5)
        # Label at most about eight ticks per axis: long candidate lists would overlap (and cost time to draw).
        for setter, values, rotation in ((self.ax.set_xticks, tn_values, 45), (self.ax.set_yticks, tm_values, 0)):
            shown = np.arange(0, values.size, max(1, -(-values.size // 8)))
            setter(shown, [str(values[i]) for i in shown], rotation=rotation, fontsize=FONT_SIZE - 2)

    def update(self, search: TileSearch) -> None:
        tiles, traffic = search.candidate_tiles, search.candidate_offchip_bytes
        tm_values, tn_values = np.unique(tiles[:, 0]), np.unique(tiles[:, 1])
        if not (np.array_equal(tm_values, self.tm_values) and np.array_equal(tn_values, self.tn_values)):
            self._set_axes(tm_values, tn_values)
        grid = np.full((tm_values.size, tn_values.size), np.nan)
        np.fmin.at(grid, (np.searchsorted(tm_values, tiles[:, 0]), np.searchsorted(tn_values, tiles[:, 1])),
                   traffic.astype(float))
        best = search.best
        best_bytes = best.level("offchip").num_bytes
        self.image.set_data(grid / best_bytes)
        self.star.set_data([np.searchsorted(tn_values, best.tiling.tile_n)],
                           [np.searchsorted(tm_values, best.tiling.tile_m)])
        self.heading.set_text(f"{search.num_fitting} of {search.num_candidates} tilings fit; "
                               f"★ = least traffic ({format_bytes(best_bytes)})")
        self._alt = (f"Heat map of off-chip traffic over output-tile shapes, relative to the best tile; larger "
                     f"tiles reuse more and move less, until they no longer fit on chip (blank cells). The best "
                     f"fitting tile is {best.tiling.tile_m}×{best.tiling.tile_n} (depth {best.tiling.tile_k} along k), "
                     f"moving {format_bytes(best_bytes)} off chip.")
        self.show_choice(self._chosen)

    def _position(self, value: int, values: np.ndarray) -> float:
        """Where a tile size sits on the axis of candidate sizes (between candidates on a log scale)."""
        if values.size == 1:
            return 0.0
        return float(np.interp(np.log2(value), np.log2(values), np.arange(values.size)))

    def show_choice(self, tiling: Tiling | None) -> None:
        """Ring the hand-chosen ``tiling`` (None hides the ring)."""
        self._chosen = tiling
        if tiling is None:
            self.choice.set_data([], [])
            set_alt_text(self.ax, self._alt)
            return
        self.choice.set_data([self._position(tiling.tile_n, self.tn_values)],
                             [self._position(tiling.tile_m, self.tm_values)])
        set_alt_text(self.ax, self._alt + f" The ring marks the chosen tile {tiling.tile_m}×{tiling.tile_n}.")


def draw_tile_landscape(search: TileSearch, ax: Axes | None = None) -> Axes:
    """Off-chip traffic for every output-tile shape (best tile_k each) relative to the best tile; blank cells do
    not fit; ★ = winner."""
    return TileLandscapePicture(search, get_axes(ax, figsize=(5.6, 4.4))).ax


def draw_roofline(roof: Roofline, points: Sequence[RooflinePoint] = (), ax: Axes | None = None,
                  intensity_range: tuple[float, float] = (0.1, 1e5)) -> Axes:
    """A log-log roofline: a flat roof at peak, a sloped roof per level, and workloads placed on it."""
    ax = get_axes(ax)
    unit = "FLOP/byte" if roof.convention == "flops_per_byte" else "MAC/byte"
    intensity = np.geomspace(*intensity_range, 400)
    # Levels with the same bandwidth share one roof: one line, named after all of them (two lines drawn on top of
    # each other would hide one and crowd their labels).
    shared: dict[float, list[str]] = {}
    for ceiling in roof.ceilings:
        shared.setdefault(ceiling.bandwidth_bytes_per_s, []).append(ceiling.label)
    for color, linestyle, names in zip(_LEVEL_COLORS, ["-", "--", ":", "-."] * 2, shared.values(), strict=False):
        attainable = [roof.attainable_flops_per_s(i, names[0]) for i in intensity]
        ax.loglog(intensity, np.array(attainable) / 1e12, color=color, linestyle=linestyle, linewidth=1.6,
                  label=f"{' and '.join(names)} (ridge {roof.ridge_point(names[0]):.3g} {unit})")
    ax.axhline(roof.peak_flops_per_s / 1e12, color="black", linewidth=0.8, linestyle="--")
    labels = []
    for point in points:
        ax.plot(point.intensity, point.attainable_flops_per_s / 1e12, "o", color=COLORS["stationary"])
        labels.append(ax.annotate(point.label, (point.intensity, point.attainable_flops_per_s / 1e12),
                                  xytext=(4, -10), textcoords="offset points", fontsize=FONT_SIZE - 2))
    ax.set_xlabel(f"operational intensity ({unit})")
    ax.set_ylabel(f"attainable {roof.dtype} TFLOP/s")
    ax.set_title(f"{chip_label(roof.chip_id)} roofline ({roof.dtype})", fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="lower right")
    LabelsApart(ax, labels)
    set_alt_text(ax, f"Roofline of "
                     f"{chip_label(roof.chip_id)}: attainable {roof.dtype} throughput rises with operational "
                     f"intensity until the ridge point of {roof.ridge_point(roof.ceilings[0].label):.3g} {unit} "
                     f"and is flat at the peak above it; {len(points)} workloads are marked.")
    return ax


_ENERGY_UNITS = {"J": 1.0, "mJ": 1e-3, "µJ": 1e-6}


_ENERGY_COLORS = [COLORS["busy"], *_LEVEL_COLORS]
_SHORT_BAR_FRACTION = 0.1  # a bar under a tenth of the tallest shows too little of its stack to read: zoom on it


def _stacked_bars(ax: Axes, names: list[str], parts: list[np.ndarray], scale: float,
                  legends: list[str] | None = None) -> np.ndarray:
    """Stack ``parts`` (one array per role, one value per bar) in the energy colours; returns the bars' totals."""
    bottom = np.zeros(len(names))
    for index, (color, values) in enumerate(zip(_ENERGY_COLORS, parts, strict=False)):
        ax.bar(names, values / scale, bottom=bottom / scale, color=color,
               label=legends[index] if legends else None)
        bottom = bottom + values
    return bottom


def _zoom_on_short_bars(ax: Axes, names: list[str], parts: list[np.ndarray], scale: float, unit: str) -> None:
    """An inset with the bars too short to read next to the tallest, on their own scale, so the split of the
    small total (a tiled run beside a run without reuse) is readable too."""
    totals = np.sum(parts, axis=0)
    short = [i for i, total in enumerate(totals) if 0 < total < _SHORT_BAR_FRACTION * totals.max()]
    if not short:
        return
    inset = ax.inset_axes((0.06, 0.34, 0.36, 0.5))
    _stacked_bars(inset, [names[i] for i in short], [values[short] for values in parts], scale)
    inset.set_title("zoomed in: " + ", ".join(names[i] for i in short), fontsize=FONT_SIZE - 2)
    inset.set_ylabel(unit, fontsize=FONT_SIZE - 2)
    inset.tick_params(labelsize=FONT_SIZE - 2)


def draw_energy_breakdown(breakdowns: Mapping[str, EnergyBreakdown], ax: Axes | None = None,
                          unit: str = "µJ") -> Axes:
    """Stacked bars of energy (in ``unit``: "J", "mJ" or "µJ"): compute, then each memory role, one bar per case.
    Levels are stacked by role, so the same role has the same colour in every bar (legend: role and names)."""
    if unit not in _ENERGY_UNITS:
        raise ValueError(f"unit must be one of {', '.join(_ENERGY_UNITS)}; got {unit!r}")
    scale = _ENERGY_UNITS[unit]
    ax = get_axes(ax)
    names = list(breakdowns)
    parts: dict[str, np.ndarray] = {"compute": np.array([b.compute_j for b in breakdowns.values()])}
    labels: dict[str, list[str]] = {"compute": []}
    for i, breakdown in enumerate(breakdowns.values()):
        for level in breakdown.levels:
            parts.setdefault(level.role, np.zeros(len(names)))[i] += level.energy_j
            known = labels.setdefault(level.role, [])
            if level.label != level.role and level.label not in known:
                known.append(level.label)
    legends = [f"{role} ({', '.join(labels[role])})" if labels[role] else role for role in parts]
    bottom = _stacked_bars(ax, names, list(parts.values()), scale, legends)
    _zoom_on_short_bars(ax, names, list(parts.values()), scale, unit)
    # Every bar's total and its data-movement share, written above it: a bar far shorter than the tallest is too
    # small to read off the axis (the tiled run next to the no-reuse one).
    for index, breakdown in enumerate(breakdowns.values()):
        ax.annotate(f"{breakdown.total_j / scale:.3g} {unit}\n{breakdown.data_movement_fraction:.0%} moving data",
                    (index, breakdown.total_j / scale), xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=FONT_SIZE - 1)
    ax.set_ylim(0, bottom.max() / scale * 1.25)  # room for the text above the tallest bar
    ax.set_ylabel(f"energy ({unit})")
    # Below the axes, where it cannot cover a bar or its value.
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    shares = ", ".join(f"{n}: {b.total_j / scale:.3g} {unit}, {b.data_movement_fraction:.0%} data movement"
                       for n, b in breakdowns.items())
    set_alt_text(ax, f"Stacked bar chart of energy split into compute and memory levels ({shares}).")
    return ax
