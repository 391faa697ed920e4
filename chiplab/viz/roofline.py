"""Several chips' rooflines on one log-log plot, with workloads placed on each.

:class:`RooflinesPicture` keeps its artists so an explorer can move the workload points without redrawing the
roofs (blitting); :func:`draw_rooflines` is the one-call figure for pages. Nothing here computes the model: roofs
come from :func:`chiplab.memory.roofline`, points from ``Roofline.place`` or
:func:`chiplab.memory.compare.compare_on_rooflines`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import cycle
from typing import cast

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter

from chiplab.memory.roofline_model import Roofline, RooflinePoint
from chiplab.viz.style import FONT_SIZE, OKABE_ITO, chip_label, get_axes, set_alt_text

# One colour and one line style per chip, so chips stay apart in grey-scale prints and for colour-blind readers.
CHIP_COLORS = [OKABE_ITO[c] for c in ("blue", "vermillion", "green", "orange", "purple", "sky_blue", "black")]
CHIP_LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
INTENSITY_RANGE = (0.1, 1e5)


def _plain_number(value: float, _position: int | None = None) -> str:
    return f"{value:,g}"


def _unit(roof: Roofline) -> str:
    return "FLOP/byte" if roof.convention == "flops_per_byte" else "MAC/byte"


class LabelsApart(Artist):
    """Keeps point labels (annotations in offset points) from overlapping each other or the legend.

    It draws nothing itself: drawn first in its axes (lowest z-order), after any layout engine has placed the axes,
    it moves each label that would touch one placed before it down (then, if that fails, up) until it is clear.
    Doing this at draw time keeps it right at any figure size, dpi or layout.
    """

    GAP_POINTS = 2.0
    MAX_MOVES = 12

    def __init__(self, ax: Axes, labels: Sequence[Annotation]):
        super().__init__()
        self.labels = list(labels)
        self._home = [label.xyann for label in self.labels]
        self.set_zorder(-100)
        ax.add_artist(self)

    def draw(self, renderer: RendererBase) -> None:
        legend = self.axes.get_legend() if self.axes is not None else None  # __init__ added it to an Axes
        placed = [legend.get_window_extent(renderer)] if legend is not None else []
        points_per_pixel = 1.0 / cast(float, renderer.points_to_pixels(1.0))  # a scalar in, a scalar out
        gap = self.GAP_POINTS / points_per_pixel
        for label, home in zip(self.labels, self._home, strict=True):
            label.xyann = home
            for direction in (-1.0, 1.0):
                label.xyann = home
                for _ in range(self.MAX_MOVES):
                    box = label.get_window_extent(renderer)
                    hit = next((other for other in placed if box.overlaps(other)), None)
                    if hit is None:
                        break
                    shift_px = (box.y1 - hit.y0 + gap) if direction < 0 else (hit.y1 - box.y0 + gap)
                    x, y = label.xyann
                    label.xyann = (x, y + direction * shift_px * points_per_pixel)
                else:
                    continue  # still touching after every move: try the other direction
                break
            placed.append(label.get_window_extent(renderer))


class RooflinesPicture:
    """Artists of a multi-chip roofline plot: one off-chip roof per chip and the workload points on it. Move the
    points with :meth:`update`; show other chips, another format or convention with :meth:`set_roofs`, which keeps
    the axes (and their tick objects, costly to rebuild) and replaces only the roofs."""

    def __init__(self, roofs: Sequence[Roofline], ax: Axes, level: str = "offchip",
                 intensity_range: tuple[float, float] = INTENSITY_RANGE):
        self.ax, self.level, self.intensity_range = ax, level, intensity_range
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*intensity_range)
        ax.grid(True, which="major", linewidth=0.3, alpha=0.5)
        ax.minorticks_off()  # a log axis's minor ticks are most of its drawing time, and add little here
        # Plain tick labels ("0.1", "1,000"): the default 10^k labels go through mathtext, which is slow to draw.
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(_plain_number))
        self.guide = ax.axvline(np.nan, color="grey", linewidth=0.8, linestyle=":")
        self.caption = ax.text(0.01, 0.98, "", transform=ax.transAxes, va="top", fontsize=FONT_SIZE - 1)
        self._roof_artists: list[Artist] = []
        self.roofs: list[Roofline] = []
        self.markers: dict[str, Line2D] = {}
        self.set_roofs(roofs)

    def set_roofs(self, roofs: Sequence[Roofline]) -> None:
        """Draw these chips' roofs (replacing any shown before); no points until :meth:`update`."""
        if not roofs:
            raise ValueError("roofs must hold at least one Roofline")
        for artist in self._roof_artists:
            artist.remove()
        ax, level = self.ax, self.level
        low, high = self.intensity_range
        self.roofs, self.markers, self._roof_artists = list(roofs), {}, []
        self.unit = _unit(self.roofs[0])
        styles = zip(cycle(CHIP_COLORS), cycle(CHIP_LINESTYLES), cycle(MARKERS), strict=False)
        for roof, (color, linestyle, marker) in zip(self.roofs, styles, strict=False):
            ridge = roof.ridge_point(level)
            corners = np.array([low, ridge, high])
            attainable = np.array([roof.attainable_flops_per_s(i, level) for i in corners]) / 1e12
            self._roof_artists += ax.plot(corners, attainable, color=color, linestyle=linestyle, linewidth=1.6,
                                          label=f"{chip_label(roof.chip_id)} (ridge {ridge:,.0f})")
            self._roof_artists += ax.plot([ridge], [roof.peak_flops_per_s / 1e12], "|", color=color,
                                          markersize=10)
            (self.markers[roof.chip_id],) = ax.plot([], [], marker=marker, linestyle="none", color=color,
                                                    markersize=9, markeredgecolor="black", zorder=5)
            self._roof_artists.append(self.markers[roof.chip_id])
        peaks = [roof.peak_flops_per_s / 1e12 for roof in self.roofs]
        floor = min(roof.attainable_flops_per_s(low, level) for roof in self.roofs) / 1e12
        ax.set_xlim(low, high)
        ax.set_ylim(floor, max(peaks) * 3)
        ax.set_xlabel(f"operational intensity ({self.unit} of off-chip traffic)")
        ax.set_ylabel(f"attainable {self.roofs[0].dtype} TFLOP/s")
        self._roof_artists.append(ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="lower right",
                                            title=f"ridge in {self.unit}", title_fontsize=FONT_SIZE - 2))
        self.update({})

    @property
    def dynamic_artists(self) -> list[Artist]:
        """The artists :meth:`update` changes (for blitting in explorers)."""
        return [self.guide, self.caption, *self.markers.values()]

    def update(self, points_by_chip: Mapping[str, Sequence[RooflinePoint]], caption: str = "") -> None:
        """Show these points (chip id → points on that chip's roof); chips not in the mapping show none."""
        intensities: set[float] = set()
        for chip_id, marker in self.markers.items():
            points = points_by_chip.get(chip_id, ())
            marker.set_data([p.intensity for p in points], [p.attainable_flops_per_s / 1e12 for p in points])
            intensities.update(p.intensity for p in points)
        # One workload on every chip: mark its intensity with a guide line (NaN hides it; visibility flags are
        # left alone because explorers use them to cache the background).
        self.guide.set_xdata([intensities.pop() if len(intensities) == 1 else np.nan] * 2)
        self.caption.set_text(caption)
        self._describe(points_by_chip)

    def _describe(self, points_by_chip: Mapping[str, Sequence[RooflinePoint]]) -> None:
        ridges = ", ".join(f"{chip_label(roof.chip_id)} {roof.ridge_point(self.level):,.0f}" for roof in self.roofs)
        placed = []
        for roof in self.roofs:
            for point in points_by_chip.get(roof.chip_id, ()):
                bound = "compute-bound" if point.bound == "compute" else f"{point.bound}-bound"
                placed.append(f"{point.label} on "
                              f"{chip_label(roof.chip_id)}: intensity {point.intensity:.3g}, {bound} at "
                              f"{point.attainable_flops_per_s / roof.peak_flops_per_s:.0%} of peak")
        text = (f"Log-log rooflines of {len(self.roofs)} chips: attainable {self.roofs[0].dtype} throughput "
                f"rises with operational intensity up to each chip's ridge point ({self.unit}: {ridges}), "
                "then stays flat at its peak.")
        set_alt_text(self.ax, text + (" " + "; ".join(placed) + "." if placed else ""))


def draw_rooflines(roofs: Sequence[Roofline], points_by_chip: Mapping[str, Sequence[RooflinePoint]] | None = None,
                   ax: Axes | None = None, label_points: bool = True) -> Axes:
    """Several chips' off-chip rooflines on one plot, with workloads (chip id → points) placed on each."""
    ax = get_axes(ax, figsize=(7.2, 4.6))
    picture = RooflinesPicture(roofs, ax)
    points_by_chip = points_by_chip or {}
    picture.update(points_by_chip)
    if label_points:  # each label once, above its highest point (the same workload sits at one intensity)
        highest: dict[str, RooflinePoint] = {}
        for chip_points in points_by_chip.values():
            for point in chip_points:
                best = highest.get(point.label)
                if best is None or point.attainable_flops_per_s > best.attainable_flops_per_s:
                    highest[point.label] = point
        LabelsApart(ax, [ax.annotate(point.label, (point.intensity, point.attainable_flops_per_s / 1e12),
                                     xytext=(-4, 9), textcoords="offset points", ha="right",
                                     fontsize=FONT_SIZE - 2) for point in highest.values()])
    ax.set_title(f"Rooflines ({roofs[0].dtype}, off-chip memory)", fontsize=FONT_SIZE)
    return ax
