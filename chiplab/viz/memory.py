"""Figures of the memory model: time per level, the tile landscape, rooflines and energy breakdowns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from chiplab.memory.energy import EnergyBreakdown
from chiplab.memory.gemm_on_core import COMPUTE, GemmOnCore
from chiplab.memory.roofline import Roofline, RooflinePoint
from chiplab.memory.search import TileSearch
from chiplab.units import format_bytes
from chiplab.viz.style import COLORS, FONT_SIZE, OKABE_ITO, SEQUENTIAL_CMAP, get_axes, set_alt_text

_LEVEL_COLORS = [OKABE_ITO[c] for c in ("vermillion", "orange", "sky_blue", "green", "purple")]


def draw_level_times(result: GemmOnCore, ax: Axes | None = None) -> Axes:
    """Horizontal bars: compute time and each level's transfer time; the longest bar is the bottleneck."""
    ax = get_axes(ax, figsize=(6.4, 2.8))
    labels = [COMPUTE] + [lvl.label for lvl in result.levels]
    times = [result.compute_s] + [lvl.time_s or 0.0 for lvl in result.levels]
    colors = [COLORS["busy"], *_LEVEL_COLORS[: len(result.levels)]]
    bars = ax.barh(labels, np.array(times) * 1e6, color=colors)
    for bar, level in zip(bars[1:], result.levels, strict=True):
        note = format_bytes(level.num_bytes) + ("" if level.time_s is not None else ", bandwidth unknown")
        ax.annotate(note, (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=FONT_SIZE - 2)
    ax.invert_yaxis()
    ax.set_xlabel("time (µs)")
    ax.set_title(f"{result.gemm} on one core of {result.chip_id}: bottleneck = {result.bottleneck}",
                 fontsize=FONT_SIZE)
    set_alt_text(ax, f"Bar chart of time per part for {result.gemm} on one {result.chip_id} core: compute takes "
                     f"{result.compute_s * 1e6:.3g} µs and the slowest part is {result.bottleneck}, so the GEMM "
                     f"reaches {result.fraction_of_peak:.0%} of the core's peak.")
    return ax


def draw_tile_landscape(search: TileSearch, ax: Axes | None = None) -> Axes:
    """Off-chip traffic for every output-tile shape (best tile_k each); blank cells do not fit; ★ = winner."""
    ax = get_axes(ax, figsize=(5.6, 4.4))
    tiles, traffic = search.candidate_tiles, search.candidate_offchip_bytes
    tm_values, tn_values = np.unique(tiles[:, 0]), np.unique(tiles[:, 1])
    grid = np.full((tm_values.size, tn_values.size), np.nan)
    rows, cols = np.searchsorted(tm_values, tiles[:, 0]), np.searchsorted(tn_values, tiles[:, 1])
    np.fmin.at(grid, (rows, cols), traffic.astype(float))
    image = ax.imshow(grid / search.best.gemm.num_flops, cmap=SEQUENTIAL_CMAP, origin="lower", aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="off-chip bytes per FLOP (lower is better)")
    ax.set_xticks(range(tn_values.size), [str(v) for v in tn_values], rotation=45, fontsize=FONT_SIZE - 2)
    ax.set_yticks(range(tm_values.size), [str(v) for v in tm_values], fontsize=FONT_SIZE - 2)
    best = search.best.tiling
    ax.plot(np.searchsorted(tn_values, best.tile_n), np.searchsorted(tm_values, best.tile_m), marker="*",
            markersize=16, color=COLORS["padding"], markeredgecolor="black")
    ax.set_xlabel("tile_n (columns of the output tile)")
    ax.set_ylabel("tile_m (rows of the output tile)")
    ax.set_title(f"{search.num_fitting} of {search.num_candidates} tilings fit", fontsize=FONT_SIZE)
    set_alt_text(ax, f"Heat map of off-chip traffic over output-tile shapes; larger tiles reuse more and move less, "
                     f"until they no longer fit on chip. The best fitting tile is {best.tile_m}×{best.tile_n} "
                     f"(tile_k {best.tile_k}).")
    return ax


def draw_roofline(roof: Roofline, points: Sequence[RooflinePoint] = (), ax: Axes | None = None,
                  intensity_range: tuple[float, float] = (0.1, 1e5)) -> Axes:
    """A log-log roofline: a flat roof at peak, a sloped roof per level, and workloads placed on it."""
    ax = get_axes(ax)
    unit = "FLOP/byte" if roof.convention == "flops_per_byte" else "MAC/byte"
    intensity = np.geomspace(*intensity_range, 400)
    for color, ceiling in zip(_LEVEL_COLORS, roof.ceilings, strict=False):
        attainable = [roof.attainable_flops_per_s(i, ceiling.label) for i in intensity]
        ax.loglog(intensity, np.array(attainable) / 1e12, color=color,
                  label=f"{ceiling.label} (ridge {roof.ridge_point(ceiling.label):.3g} {unit})")
    ax.axhline(roof.peak_flops_per_s / 1e12, color="black", linewidth=0.8, linestyle="--")
    for point in points:
        ax.plot(point.intensity, point.attainable_flops_per_s / 1e12, "o", color=COLORS["stationary"])
        ax.annotate(point.label, (point.intensity, point.attainable_flops_per_s / 1e12), xytext=(4, -10),
                    textcoords="offset points", fontsize=FONT_SIZE - 2)
    ax.set_xlabel(f"operational intensity ({unit})")
    ax.set_ylabel(f"attainable {roof.dtype} TFLOP/s")
    ax.set_title(f"{roof.chip_id} roofline ({roof.dtype})", fontsize=FONT_SIZE)
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False, loc="lower right")
    set_alt_text(ax, f"Roofline of {roof.chip_id}: attainable {roof.dtype} throughput rises with operational "
                     f"intensity until the ridge point of {roof.ridge_point(roof.ceilings[0].label):.3g} {unit} "
                     f"and is flat at the peak above it; {len(points)} workloads are marked.")
    return ax


def draw_energy_breakdown(breakdowns: Mapping[str, EnergyBreakdown], ax: Axes | None = None) -> Axes:
    """Stacked bars of energy (µJ): compute, then each memory level, one bar per case."""
    ax = get_axes(ax)
    names = list(breakdowns)
    parts: dict[str, np.ndarray] = {"compute": np.array([b.compute_j for b in breakdowns.values()])}
    for i, breakdown in enumerate(breakdowns.values()):
        for level in breakdown.levels:
            parts.setdefault(level.label, np.zeros(len(names)))[i] += level.energy_j
    bottom = np.zeros(len(names))
    colors = [COLORS["busy"], *_LEVEL_COLORS]
    for color, (label, values) in zip(colors, parts.items(), strict=False):
        ax.bar(names, values * 1e6, bottom=bottom * 1e6, color=color, label=label)
        bottom += values
    ax.set_ylabel("energy (µJ)")
    ax.legend(fontsize=FONT_SIZE - 2, frameon=False)
    shares = ", ".join(f"{n}: {1 - b.compute_j / b.total_j:.0%} data movement" for n, b in breakdowns.items())
    set_alt_text(ax, f"Stacked bar chart of energy split into compute and memory levels ({shares}).")
    return ax
