"""Figures of a systolic array at work: one cycle, an animation over cycles, utilisation vs GEMM shape.

Every function draws results computed elsewhere (a ``SystolicTrace`` from ``chiplab.systolic.simulate`` or an
``UtilizationSweep``); nothing here computes the model.
"""

from __future__ import annotations

import html
import re
from typing import cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from chiplab.errors import ChiplabInputError
from chiplab.systolic.dataflow import MAPPINGS
from chiplab.systolic.frames import loading_snapshot
from chiplab.systolic.occupancy import ArraySnapshot
from chiplab.systolic.simulator import SystolicRun
from chiplab.systolic.sweep import UtilizationSweep
from chiplab.units import format_number
from chiplab.viz.style import COLORS, FONT_SIZE, alt_text, get_axes, set_alt_text

# Arrays up to this many PEs are drawn with their values; larger ones as an occupancy heatmap.
MAX_PES_WITH_VALUES = 64
_BUSY_CMAP = ListedColormap([COLORS["idle"], COLORS["busy"]])


def _fmt(value: float) -> str:
    """A PE's value as chiplab.units writes numbers; "·" for a stationary register not loaded yet (NaN in
    chiplab.systolic.frames.loading_snapshot)."""
    return "·" if np.isnan(value) else format_number(float(value))


class ArrayPicture:
    """The artists of one array drawing, created once and updated per cycle (fast for animations and sliders)."""

    def __init__(self, first: ArraySnapshot, ax: Axes, show_values: bool | None = None):
        num_rows, num_cols = first.busy.shape
        if show_values is None:
            show_values = first.has_values and num_rows * num_cols <= MAX_PES_WITH_VALUES
        if show_values and not first.has_values:
            raise ChiplabInputError("show_values=True needs a snapshot with values: simulate(..., trace='full')")
        self.ax, self.show_values = ax, show_values
        self.dataflow, self.has_values = first.dataflow, first.has_values
        mapping = MAPPINGS[first.dataflow]
        ax.set_aspect("equal")
        ax.set_xlabel(f"column  ({mapping.left_operand} moves right →)")
        ax.set_ylabel(f"row  ({mapping.top_operand} move down ↓)")
        ax.set_title(mapping.long_name, fontsize=FONT_SIZE, loc="left", pad=18)
        self.caption = ax.text(0.0, 1.01, "", transform=ax.transAxes, fontsize=FONT_SIZE - 1, va="bottom")
        ax.legend(handles=[Patch(color=COLORS["busy"], label="busy (useful MAC)"),
                           Patch(color=COLORS["idle"], label="idle")],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=FONT_SIZE - 1, frameon=False)
        self._draw_cells(first)  # after the caption: ax.texts lists the caption first, then the PEs row by row
        self.update(first)

    def _draw_cells(self, snap: ArraySnapshot) -> None:
        """The grid of PEs for ``snap``'s array shape: cells, axis limits and ticks, and the per-PE value texts."""
        ax, (num_rows, num_cols) = self.ax, snap.busy.shape
        self.shape = (num_rows, num_cols)
        # pcolormesh rather than imshow: its white cell edges are part of the same artist, so redrawing only
        # this artist per cycle (blitting) keeps the grid visible.
        edge = 2 if self.show_values else (0.5 if max(num_rows, num_cols) <= 32 else 0)
        self.image = ax.pcolormesh(snap.busy, cmap=_BUSY_CMAP, vmin=0, vmax=1, edgecolors="white", linewidth=edge)
        ax.set_xlim(0, num_cols)
        ax.set_ylim(num_rows, 0)
        self.texts = []
        if self.show_values:
            ax.set_xticks(np.arange(num_cols) + 0.5, [str(c) for c in range(num_cols)])
            ax.set_yticks(np.arange(num_rows) + 0.5, [str(r) for r in range(num_rows)])
            size = max(5, FONT_SIZE - max(num_rows, num_cols) // 2)
            self.texts = [[ax.text(c + 0.5, r + 0.5, "", ha="center", va="center", fontsize=size)
                           for c in range(num_cols)] for r in range(num_rows)]

    def can_reshape_to(self, snap: ArraySnapshot) -> bool:
        """Can :meth:`reshape` show ``snap`` (same dataflow and kind, values shown or not alike)?"""
        num_rows, num_cols = snap.busy.shape
        show_values = snap.has_values and num_rows * num_cols <= MAX_PES_WITH_VALUES
        return (snap.dataflow, snap.has_values, show_values) == (self.dataflow, self.has_values, self.show_values)

    def reshape(self, snap: ArraySnapshot) -> None:
        """Show ``snap`` of another array shape on the same axes: only the cells, limits and ticks are redone (the
        labels, title and legend stay), which is several times faster than new axes for an explorer's slider."""
        if not self.can_reshape_to(snap):
            raise ChiplabInputError("reshape needs the same dataflow and kind of snapshot; draw a new ArrayPicture")
        for artist in (self.image, *(text for row in self.texts for text in row)):
            artist.remove()
        self._draw_cells(snap)
        self.update(snap)

    @property
    def dynamic_artists(self) -> list[Artist]:
        """The artists that change from cycle to cycle (for blitting in explorers)."""
        return [self.image, self.caption, *(text for row in self.texts for text in row)]

    def fits(self, snap: ArraySnapshot) -> bool:
        """Can this picture show ``snap`` (same array shape, dataflow and kind), so it need not be rebuilt?"""
        return (snap.busy.shape, snap.dataflow, snap.has_values) == (self.shape, self.dataflow, self.has_values)

    def update(self, snap: ArraySnapshot) -> None:
        self.image.set_array(snap.busy.ravel())
        mapping = MAPPINGS[snap.dataflow]
        if self.show_values:
            # values are shown only for snapshots that have them (fits() keeps has_values fixed)
            held = cast(tuple[np.ndarray, np.ndarray, np.ndarray],
                        (snap.stationary_values, snap.left_values, snap.top_values))
            for r, row in enumerate(self.texts):
                for c, text in enumerate(row):
                    s, left, top = (grid[r, c] for grid in held)
                    text.set_text(f"{mapping.stationary_operand}:{_fmt(s)}\n→{_fmt(left)} ↓{_fmt(top)}")
                    text.set_color("white" if snap.busy[r, c] else "black")
        loading = ""
        if self.show_values and snap.num_busy == 0 and snap.cycle < self.shape[0] and mapping.preloads_stationary:
            rows = "row 0" if snap.cycle == 0 else f"rows 0–{snap.cycle}"
            loading = f", loading {mapping.stationary_operand} ({rows} loaded)"
        self.caption.set_text(f"cycle {snap.cycle} of {snap.num_cycles}: {snap.num_busy} of {snap.busy.size} "
                              f"PEs busy{loading}")


def _array_figsize(num_rows: int, num_cols: int) -> tuple[float, float]:
    return (1.0 + 0.9 * num_cols, 0.6 + 0.8 * num_rows) if num_cols <= 8 else (7.6, 5.0)


def draw_array_state(snap: ArraySnapshot, ax: Axes | None = None, show_values: bool | None = None) -> Axes:
    """Draw which PEs are busy at one cycle (and, for small simulated arrays, the values each PE holds).

    ``snap`` comes from ``run.trace.snapshot(cycle)`` (simulated, with values) or
    ``chiplab.systolic.occupancy.snapshot(plan, cycle)`` (closed form, any size).
    """
    num_rows, num_cols = snap.busy.shape
    ax = get_axes(ax, figsize=_array_figsize(num_rows, num_cols))
    ArrayPicture(snap, ax, show_values)
    set_alt_text(ax, f"A {num_rows} by {num_cols} systolic array ({MAPPINGS[snap.dataflow].long_name}) at "
                     f"cycle {snap.cycle}: {snap.num_busy} of {num_rows * num_cols} processing elements are doing "
                     "useful work.")
    return ax


def animate_array(run: SystolicRun, max_frames: int = 120, interval_ms: int = 300,
                  show_values: bool | None = None) -> FuncAnimation:
    """An animation of the array over the run's cycles (every cycle, or evenly spaced ones if there are many)."""
    if run.trace is None:
        raise ChiplabInputError("animate_array needs a run made with simulate(..., trace='busy' or 'full')")
    num_cycles = run.trace.num_cycles
    frames = np.unique(np.linspace(0, num_cycles - 1, min(num_cycles, max_frames)).round().astype(int))
    num_rows, num_cols = run.trace.busy.shape[1:]
    ax = get_axes(None, figsize=_array_figsize(num_rows, num_cols))
    # Stationary registers as they fill (weights appear row by row during the loading cycles, not as 0).
    picture = ArrayPicture(loading_snapshot(run, 0), ax, show_values)
    animation = FuncAnimation(cast(Figure, ax.figure), lambda i: picture.update(loading_snapshot(run, int(i))),
                              frames=frames, interval=interval_ms, blit=False)
    loading = ("the stationary operand is first loaded row by row, then " if MAPPINGS[run.trace.dataflow]
               .preloads_stationary else "")
    set_alt_text(ax, f"Animation of a {run.array} computing a GEMM over {num_cycles} cycles: {loading}a diagonal "
                     "wave of busy processing elements fills the array, sweeps through it fold by fold, and drains.")
    return animation


# matplotlib's to_jshtml player draws its buttons with Font Awesome icons loaded from a CDN; offline they are blank
# (and the request fails). Plain Unicode symbols work everywhere, and each button keeps its title for screen readers.
_PLAYER_ICONS = {
    "fa fa-minus": "−", "fa fa-fast-backward": "|◀◀", "fa fa-step-backward": "|◀", "fa fa-play fa-flip-horizontal": "◀",
    "fa fa-pause": "❚❚", "fa fa-play": "▶", "fa fa-step-forward": "▶|", "fa fa-fast-forward": "▶▶|", "fa fa-plus": "+",
}  # fmt: skip
_FONT_AWESOME_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>\s*")


def animation_html(run: SystolicRun, max_frames: int = 120, interval_ms: int = 300,
                   show_values: bool | None = None) -> str:
    """A self-contained HTML/JavaScript player of :func:`animate_array` (plays offline, no kernel needed, loads
    nothing from the network); its frame image carries the animation's alt text."""
    animation = animate_array(run, max_frames, interval_ms, show_values)
    try:
        player = animation.to_jshtml(default_mode="once")
        alt = alt_text(animation._fig.axes[0])  # type: ignore[attr-defined]  # matplotlib keeps its figure here
    finally:
        plt.close(animation._fig)  # type: ignore[attr-defined]
    player = _FONT_AWESOME_LINK.sub("", player)
    for icon, symbol in _PLAYER_ICONS.items():
        player = player.replace(f'<i class="{icon}"></i>', f'<span aria-hidden="true">{symbol}</span>')
    return player.replace('<img id="_anim_img', f'<img alt="{html.escape(alt)}" id="_anim_img', 1)


def draw_utilization_sweep(sweep: UtilizationSweep, ax: Axes | None = None) -> Axes:
    """Compute utilisation and mapping efficiency as one GEMM dimension grows; dotted lines mark where a new
    fold starts (multiples of the array dimension that this GEMM dimension is laid along)."""
    ax = get_axes(ax)
    mapping = MAPPINGS[sweep.dataflow]
    ax.plot(sweep.values, sweep.mapping_efficiency_fraction * 100, color=COLORS["mapping"],
            label="mapping efficiency (padding only)")
    ax.plot(sweep.values, sweep.compute_utilization_fraction * 100, color=COLORS["utilization"],
            label=f"compute utilisation ({sweep.convention})")
    axis_size = {mapping.rows_dim: sweep.array.num_rows, mapping.cols_dim: sweep.array.num_cols}.get(sweep.varied_dim)
    if axis_size is not None:
        for edge in range(axis_size, int(sweep.values.max()) + 1, axis_size):
            ax.axvline(edge, color="grey", linestyle=":", linewidth=0.8)
    fixed = ", ".join(f"{k}={v}" for k, v in sweep.base.dims().items() if k != sweep.varied_dim)
    ax.set_xlabel(f"{sweep.varied_dim} ({fixed})")
    ax.set_ylabel("percent of the array's peak")
    ax.set_ylim(0, 105)
    ax.set_title(f"{sweep.array}, {mapping.long_name}", fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE - 1, frameon=False, loc="lower right")
    best = int(sweep.values[np.argmax(sweep.compute_utilization_fraction)])
    set_alt_text(ax, f"Line chart: utilisation of a {sweep.array} as {sweep.varied_dim} goes from "
                     f"{sweep.values.min()} to {sweep.values.max()}; it peaks at "
                     f"{sweep.compute_utilization_fraction.max():.0%} (at {sweep.varied_dim}={best}) and drops "
                     "each time the dimension spills into a new, mostly empty fold.")
    return ax
