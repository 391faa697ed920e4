"""Pictures of the machines, drawn from the catalog so they stay true when the data changes: one processing
element, a systolic array with its skewed inputs, a core (NeuronCore, TPU TensorCore, GPU SM), a whole chip and
the scale-up topology that joins chips.

Boxes are labelled with the catalog's own names (the vendor's label, "SBUF", "VMEM", "PSUM") and numbers (capacities
from ``MemoryLevel.capacity_bytes``, array shapes from ``MatrixUnit.array``); nothing here is typed by hand.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.topology import load_topology
from chiplab.systolic.dataflow import MAPPINGS, parse_dataflow
from chiplab.units import format_bytes, format_rate
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, get_axes, set_alt_text

_MEMORY_COLORS = {"offchip": OKABE_ITO["sky_blue"], "shared": "#CFE8F7", "scratchpad": OKABE_ITO["yellow"],
                  "accumulator": OKABE_ITO["orange"], "register": "#F6D8B8"}  # fmt: skip
_UNIT_COLOR = "#D9D9EE"


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, color: str = "white",
         size: float = FONT_SIZE - 1, weight: str = "normal") -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08", facecolor=color,
                                edgecolor="black", linewidth=1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight, wrap=True)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], color: str = "black",
           text: str = "", size: float = FONT_SIZE - 1) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=color, linewidth=1.5))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.12, text, ha="center", va="bottom",
                fontsize=size, color=color)


def _canvas(ax: Axes | None, figsize: tuple[float, float], xlim: tuple[float, float],
            ylim: tuple[float, float]) -> Axes:
    ax = get_axes(ax, figsize=figsize)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_pe(dataflow: str = "ws", ax: Axes | None = None) -> Axes:
    """One processing element: a register that holds the stationary operand, a multiplier and an adder; one
    operand enters from the left and leaves to the right, partial sums enter from above and leave below."""
    mapping = MAPPINGS[parse_dataflow(dataflow)]
    ax = _canvas(ax, (6.0, 4.2), (0, 10), (0, 7))
    ax.add_patch(FancyBboxPatch((2.5, 1.2), 5, 4.4, boxstyle="round,pad=0.05", facecolor="#F4F4F4",
                                edgecolor="black", linewidth=1.5))
    ax.text(2.7, 5.35, "processing element (PE)", fontsize=FONT_SIZE, va="top", weight="bold")
    _box(ax, 3.0, 3.3, 2.0, 1.2, f"{mapping.stationary_operand}\n(stays)", COLORS["stationary"])
    ax.add_patch(Circle((6.2, 3.9), 0.45, facecolor="white", edgecolor="black"))
    ax.text(6.2, 3.9, "×", ha="center", va="center", fontsize=FONT_SIZE + 4)
    ax.add_patch(Circle((6.2, 2.2), 0.45, facecolor="white", edgecolor="black"))
    ax.text(6.2, 2.2, "+", ha="center", va="center", fontsize=FONT_SIZE + 4)
    _arrow(ax, (5.0, 3.9), (5.75, 3.9))
    _arrow(ax, (0.3, 4.95), (9.7, 4.95), COLORS["left_operand"])
    ax.text(0.3, 5.1, f"{mapping.left_operand} in", fontsize=FONT_SIZE - 1, color=COLORS["left_operand"])
    ax.text(7.7, 5.1, f"{mapping.left_operand} out →", fontsize=FONT_SIZE - 1, color=COLORS["left_operand"])
    _arrow(ax, (6.2, 4.95), (6.2, 4.37), COLORS["left_operand"])
    _arrow(ax, (6.2, 3.45), (6.2, 2.65))
    _arrow(ax, (7.3, 6.9), (7.3, 2.2), COLORS["top_operand"])
    _arrow(ax, (7.3, 2.2), (6.67, 2.2), COLORS["top_operand"])
    ax.text(7.5, 6.4, "partial sum in ↓", fontsize=FONT_SIZE - 1, color=COLORS["top_operand"])
    _arrow(ax, (6.2, 1.75), (6.2, 0.1), COLORS["top_operand"])
    ax.text(6.4, 0.4, "partial sum out ↓", fontsize=FONT_SIZE - 1, color=COLORS["top_operand"])
    ax.set_title(f"One PE, {mapping.long_name}: one multiply-accumulate per cycle", fontsize=FONT_SIZE)
    set_alt_text(ax, f"Diagram of one processing element: a register holding {mapping.stationary_operand}, a "
                     f"multiplier and an adder. {mapping.left_operand} enters from the left and is passed on to the "
                     "right; a partial sum enters from above, gains the product, and leaves below.")
    return ax


def draw_skewed_array(num_rows: int = 4, num_cols: int = 4, ax: Axes | None = None) -> Axes:
    """A weight-stationary array at the cycle its first operand reaches the last row: row r of the streaming
    operand enters r cycles after row 0 (the skew), so each PE gets its inputs exactly when its partial sum does."""
    ax = _canvas(ax, (6.8, 4.6), (-num_rows - 1.5, num_cols + 0.5), (-1.6, num_rows + 0.9))
    for r in range(num_rows):
        for c in range(num_cols):
            _box(ax, c + 0.1, num_rows - 1 - r + 0.1, 0.8, 0.8, f"B{r}{c}", COLORS["stationary"], FONT_SIZE - 2)
        for t in range(3):  # three activations of row r waiting, delayed by r cycles
            x = -0.8 - t - r * 1.0
            ax.text(x, num_rows - 1 - r + 0.5, f"A{t}{r}", ha="center", va="center", fontsize=FONT_SIZE - 2,
                    color=COLORS["left_operand"])
        _arrow(ax, (-0.45, num_rows - 1 - r + 0.5), (0.08, num_rows - 1 - r + 0.5), COLORS["left_operand"])
    for c in range(num_cols):
        _arrow(ax, (c + 0.5, 0.05), (c + 0.5, -0.6), COLORS["top_operand"])
        ax.text(c + 0.5, -0.95, f"C[·,{c}]", ha="center", va="top", fontsize=FONT_SIZE - 2,
                color=COLORS["top_operand"])
    ax.text(-num_rows - 1.4, num_rows + 0.55, "A streams in from the left, row r delayed by r cycles (the skew)",
            fontsize=FONT_SIZE - 1, color=COLORS["left_operand"])
    ax.set_title(f"A {num_rows}×{num_cols} weight-stationary array: B stays, A flows right, sums flow down",
                 fontsize=FONT_SIZE)
    set_alt_text(ax, f"Diagram of a {num_rows} by {num_cols} systolic array whose PEs hold the weights B. Rows of "
                     "the activations A wait at the left edge in a staircase, each row one cycle behind the row "
                     "above, and partial sums of C leave at the bottom of each column.")
    return ax


def _levels(chip: Chip, per_core: bool) -> list:
    return [level for level in chip.memory_levels if level.per_core == per_core]


def _capacity(level) -> str:
    return format_bytes(level.capacity_bytes) if level.capacity_bytes else "size unpublished"


def draw_core(chip: Chip, ax: Axes | None = None) -> Axes:
    """One core of ``chip`` (a NeuronCore, a TPU TensorCore, a GPU SM): its matrix units, its vector and scalar
    units where the catalog records them, and the memories that belong to it, innermost at the top."""
    core, unit = chip.core, chip.core.matrix_unit
    inner = sorted(_levels(chip, True), key=lambda level: ["scratchpad", "accumulator", "register"].index(level.role)
                   if level.role in ("scratchpad", "accumulator", "register") else 9)
    ax = _canvas(ax, (6.8, 4.6), (0, 12), (0, 8.2))
    ax.add_patch(FancyBboxPatch((0.2, 0.2), 11.6, 7.4, boxstyle="round,pad=0.05", facecolor="#FAFAFA",
                                edgecolor="black", linewidth=1.5))
    ax.text(0.5, 7.35, f"one {core.label} of {chip.display_name} (×{chip.num_cores} on the chip)",
            fontsize=FONT_SIZE, va="top", weight="bold")
    shape = f" ({unit.array.num_rows}×{unit.array.num_cols})" if unit.array is not None else ""
    width = 10.8 / max(unit.num_per_core, 1)
    for i in range(unit.num_per_core):
        _box(ax, 0.6 + i * width, 4.9, width - 0.2, 1.6,
             f"{unit.label}{shape}" if unit.num_per_core <= 2 or i == 0 else f"{unit.label}\n#{i + 1}",
             _UNIT_COLOR, FONT_SIZE - 1)
    others = [name for name, present in (("vector unit", core.vector_clock_hz or chip.vector_peak_flops_per_s),
                                         ("scalar unit", core.scalar_clock_hz)) if present]
    for i, name in enumerate(others):
        _box(ax, 0.6 + i * 2.8, 3.1, 2.6, 1.3, name, "#E6E6E6")
    x = 0.6 + len(others) * 2.8
    for level in inner:
        _box(ax, x, 3.1, 2.6, 1.3, f"{level.vendor_label}\n{_capacity(level)}",
             _MEMORY_COLORS.get(level.role, "white"))
        x += 2.8
    outer = chip.memory_levels[0]
    _box(ax, 0.6, 0.6, 10.8, 1.4, f"to the chip's {outer.vendor_label} ({_capacity(outer)}, shared by all cores"
         + (f", {format_rate(outer.bandwidth_bytes_per_s, 'B/s')}" if outer.bandwidth_bytes_per_s else "") + ")",
         _MEMORY_COLORS["offchip"])
    _arrow(ax, (6.0, 2.1), (6.0, 3.0))
    names = ", ".join(f"{level.vendor_label} ({level.role})" for level in inner) or "no per-core memories"
    set_alt_text(ax, f"Block diagram of one {core.label} of {chip.display_name}: {unit.num_per_core} × "
                     f"{unit.label}{shape}; {', '.join(others) or 'no separate vector or scalar unit recorded'}; "
                     f"per-core memories {names}; below it the chip's {outer.vendor_label}.")
    return ax


def draw_chip(chip: Chip, ax: Axes | None = None) -> Axes:
    """The whole chip, floorplan-style: its cores as tiles, the memories they share, and the off-chip memory."""
    ax = _canvas(ax, (6.8, 4.4), (0, 12), (0, 8))
    n = chip.num_cores
    cols = math.ceil(math.sqrt(n * 2))
    rows = math.ceil(n / cols)
    tile_w, tile_h = 8.0 / cols, 4.6 / rows
    for i in range(n):
        r, c = divmod(i, cols)
        ax.add_patch(FancyBboxPatch((1.0 + c * tile_w, 6.6 - (r + 1) * tile_h), tile_w * 0.86, tile_h * 0.8,
                                    boxstyle="round,pad=0.01", facecolor=_UNIT_COLOR, edgecolor="black",
                                    linewidth=0.6))
    if n <= 16:
        ax.text(5.0, 6.75, f"{n} × {chip.core.label}", ha="center", fontsize=FONT_SIZE - 1)
    else:
        ax.text(5.0, 6.75, f"{n} {chip.core.label}s", ha="center", fontsize=FONT_SIZE - 1)
    shared = [level for level in chip.memory_levels[1:] if not level.per_core]
    for i, level in enumerate(shared):
        _box(ax, 9.4, 5.2 - i * 1.5, 2.4, 1.3, f"{level.vendor_label}\n{_capacity(level)}",
             _MEMORY_COLORS.get(level.role, _MEMORY_COLORS["shared"]))
    hbm = chip.memory_levels[0]
    _box(ax, 1.0, 0.3, 10.8, 1.2, f"{hbm.vendor_label}: {_capacity(hbm)}"
         + (f", {format_rate(hbm.bandwidth_bytes_per_s, 'B/s')}" if hbm.bandwidth_bytes_per_s else "")
         + (f" ({hbm.technology})" if hbm.technology else ""), _MEMORY_COLORS["offchip"], FONT_SIZE - 1)
    _arrow(ax, (5.0, 1.6), (5.0, 1.95))
    ax.set_title(chip.display_name, fontsize=FONT_SIZE)
    set_alt_text(ax, f"Block diagram of {chip.display_name}: {n} {chip.core.label} cores"
                     + (f", shared {', '.join(level.vendor_label for level in shared)}" if shared else "")
                     + f", and {_capacity(hbm)} of off-chip {hbm.vendor_label}.")
    return ax


def _topology_kind(chip: Chip) -> tuple[str, int]:
    """The wiring's kind ("torus", "switch" or "full_mesh") and its domain size: the recorded topology
    (``chiplab/data/networks/topologies.toml``) where there is one, else read from the link's description."""
    link = chip.links[0]
    try:
        topology = load_topology(chip)
    except ChiplabInputError:
        description = link.topology.lower()
        kind = ("full_mesh" if "full" in description and "mesh" in description
                else "switch" if "switch" in description or "all-to-all" in description else "torus")
        return kind, link.max_chips or 8
    return topology.kind, topology.num_chips


def _ring_positions(count: int) -> list[tuple[float, float]]:
    return [(2.5 + 3.0 * np.cos(2 * np.pi * i / count), 2.0 + 2.4 * np.sin(2 * np.pi * i / count))
            for i in range(count)]


def _chip_dot(ax: Axes, x: float, y: float, label: str, radius: float = 0.42) -> None:
    ax.add_patch(Circle((x, y), radius, facecolor=_UNIT_COLOR, edgecolor="black", zorder=2))
    ax.text(x, y, label, ha="center", va="center", fontsize=FONT_SIZE - 1, zorder=3)


def draw_topology(chip: Chip, ax: Axes | None = None, num_chips: int = 16) -> Axes:
    """How ``chip``'s scale-up link joins chips, from its recorded topology: a torus (TPU ICI, Trainium's
    NeuronLink) drawn as a 2-D grid with wrap-around links, a switch that connects every chip (NVLink through
    NVSwitch), or a full mesh with one direct link between every pair of chips (AMD Infinity Fabric on 8×MI300X)."""
    if not chip.links:
        raise ValueError(f"{chip.display_name} has no scale-up link in the catalog")
    link = chip.links[0]
    kind, domain = _topology_kind(chip)
    ax = _canvas(ax, (6.0, 4.4), (-1.6, 6.6), (-1.6, 5.0))
    if kind == "switch":
        count = min(domain, 8)
        _box(ax, 1.5, 1.6, 2.0, 0.8, "NVSwitch", "#E6E6E6")
        for i, (x, y) in enumerate(_ring_positions(count)):
            ax.plot([2.5, x], [2.0, y], color=COLORS["busy"], linewidth=1.5, zorder=0)
            _chip_dot(ax, x, y, str(i))
        shape = f"{count} chips, each one switch hop from every other"
    elif kind == "full_mesh":
        count = min(domain, 8)
        positions = _ring_positions(count)
        for i, (x0, y0) in enumerate(positions):
            for x1, y1 in positions[i + 1:]:
                ax.plot([x0, x1], [y0, y1], color=COLORS["busy"], linewidth=1.2, zorder=0)
        for i, (x, y) in enumerate(positions):
            _chip_dot(ax, x, y, str(i))
        shape = (f"a full mesh of {count} chips, a direct link between every pair "
                 f"({count * (count - 1) // 2} links, no switch)")
    else:
        side = math.isqrt(num_chips)
        for r in range(side):
            for c in range(side):
                ax.plot([c, c + 1 if c + 1 < side else c], [r, r], color=COLORS["busy"], linewidth=1.5, zorder=0)
                ax.plot([c, c], [r, r + 1 if r + 1 < side else r], color=COLORS["busy"], linewidth=1.5, zorder=0)
                ax.add_patch(Circle((c, r), 0.3, facecolor=_UNIT_COLOR, edgecolor="black"))
        for i in range(side):  # wrap-around links of the torus: each edge chip also links to the opposite edge
            for xs, ys in (([-0.35, -1.1], [i, i]), ([side - 0.65, side - 0.1], [i, i]),
                           ([i, i], [-0.35, -1.1]), ([i, i], [side - 0.65, side - 0.1])):
                ax.plot(xs, ys, color=COLORS["mapping"], linestyle="--", linewidth=1.2)
        ax.text(-1.5, side + 0.1, "dashed: wrap-around links to the opposite edge", fontsize=FONT_SIZE - 1,
                color=COLORS["mapping"])
        shape = f"a {side}×{side} slice of a torus, each chip linked to its four neighbours"
    ax.set_title(f"{link.name} ({chip.display_name}): {link.topology}", fontsize=FONT_SIZE - 1, wrap=True)
    set_alt_text(ax, f"Diagram of the {link.name} scale-up network of {chip.display_name}: {shape}.")
    return ax
