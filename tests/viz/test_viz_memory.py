"""Memory-model figures render headless without warnings, draw what the results say, and carry alt text."""


import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from chiplab import Gemm
from chiplab.hardware import load_chip
from chiplab.memory import best_tiling, core_view, energy_breakdown, gemm_on_core, no_reuse_energy, roofline
from chiplab.viz import alt_text, draw_energy_breakdown, draw_level_times, draw_roofline, draw_tile_landscape

# Every figure renders without a single warning, and is closed afterwards (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("strict_figures")


def test_level_times_show_the_bottleneck():
    result = gemm_on_core(Gemm(m=8, n=8192, k=8192), load_chip("trainium2"))
    ax = draw_level_times(result)
    ax.figure.canvas.draw()
    widths = [bar.get_width() for bar in ax.patches]
    assert widths[0] == pytest.approx(result.compute_s * 1e6)
    assert widths[1] == pytest.approx(result.level("HBM").time_s * 1e6)
    assert "bottleneck = HBM" in ax.get_title() and "HBM" in alt_text(ax)


def test_tile_landscape_marks_the_winner():
    search = best_tiling(Gemm(m=4096, n=4096, k=4096), core_view(load_chip("trainium2")))
    ax = draw_tile_landscape(search)
    ax.figure.canvas.draw()
    grid = ax.images[0].get_array()
    assert np.isnan(np.asarray(grid, dtype=float)).any()  # some tilings do not fit
    assert f"{search.best.tiling.tile_m}×{search.best.tiling.tile_n}" in alt_text(ax)


def test_roofline_has_a_roof_per_level_and_the_points():
    roof = roofline(load_chip("toy_dual"))
    points = [roof.place("low", 1e6, 1e6), roof.place("high", 1e9, 1e6)]
    ax = draw_roofline(roof, points)
    ax.figure.canvas.draw()
    assert len(ax.get_legend().get_texts()) == len({c.bandwidth_bytes_per_s for c in roof.ceilings})  # one per roof
    assert "ridge point" in alt_text(ax)


def test_energy_bars_stack_to_the_total():
    result = gemm_on_core(Gemm(m=1024, n=1024, k=1024, dtype="int8"), load_chip("toy_edge"))
    cases = {"WS": energy_breakdown(result), "no reuse": no_reuse_energy(result.gemm)}
    ax = draw_energy_breakdown(cases)
    ax.figure.canvas.draw()
    first_bar_top = max(p.get_y() + p.get_height() for p in ax.patches if abs(p.get_x() + p.get_width() / 2) < 0.5)
    assert first_bar_top == pytest.approx(cases["WS"].total_j * 1e6)
    assert "data movement" in alt_text(ax)


def test_every_energy_bar_states_its_value_in_text():
    """The book's figure (memory_hierarchies.md): a tiled run on a Trainium2 core next to the same GEMM without
    reuse, about 18 times taller — too small to read off the axis, so each bar's total is written on the figure,
    inside it and clear of the legend and of the other texts."""
    square = Gemm(m=4096, n=4096, k=4096)
    cases = {"tiled, weight-stationary": energy_breakdown(best_tiling(square, core_view(load_chip("trainium2"))).best),
             "no reuse": no_reuse_energy(square)}
    ax = draw_energy_breakdown(cases, unit="J")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [text for text in ax.texts if text.get_text()]
    assert min(b.total_j for b in cases.values()) < 0.1 * max(b.total_j for b in cases.values())  # the hard case
    legend = ax.get_legend().get_window_extent(renderer)
    boxes = []
    for breakdown in cases.values():
        value = f"{breakdown.total_j:.3g} J"  # the total, formatted here independently of the figure
        (text,) = [t for t in texts if value in t.get_text()]
        assert text.get_fontsize() >= 8
        box = text.get_window_extent(renderer)
        assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)
        assert not box.overlaps(legend)
        boxes.append(box)
    assert not boxes[0].overlaps(boxes[1])
    assert f"{cases['tiled, weight-stationary'].total_j:.3g} J" in alt_text(ax)


def test_a_short_energy_bar_gets_a_zoomed_inset_that_covers_no_text():
    """Issue 16: the tiled bar beside the no-reuse one is a sliver; an inset redraws it on its own scale, so its
    compute and memory parts can be read. The inset's stack adds up to the tiled run's own total (from
    energy_breakdown, not from the figure) and hides neither bar's written value."""
    square = Gemm(m=4096, n=4096, k=4096)
    tiled = energy_breakdown(best_tiling(square, core_view(load_chip("trainium2"))).best)
    ax = draw_energy_breakdown({"tiled": tiled, "no reuse": no_reuse_energy(square)}, unit="J")
    fig = ax.figure
    fig.canvas.draw()
    (inset,) = ax.child_axes
    assert sum(patch.get_height() for patch in inset.patches) == pytest.approx(tiled.total_j)
    assert "tiled" in inset.get_title() and "no reuse" not in inset.get_title()
    renderer = fig.canvas.get_renderer()
    zoom = inset.get_tightbbox(renderer)
    assert not any(zoom.overlaps(text.get_window_extent(renderer)) for text in ax.texts if text.get_text())
    # Bars of comparable height need no zoom.
    assert not draw_energy_breakdown({"a": tiled, "b": tiled}).child_axes
