"""Multi-chip rooflines and the updatable memory pictures: render headless without warnings, draw what the
results say, carry alt text, and update in place."""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from chiplab import Gemm
from chiplab.hardware import load_chip
from chiplab.memory import Tiling, best_tiling, core_view, gemm_on_core, place_gemm, roofline
from chiplab.memory.compare import compare_on_rooflines
from chiplab.viz import LevelTimesPicture, RooflinesPicture, TileLandscapePicture, alt_text, draw_rooflines
from chiplab.viz.memory import format_seconds
from chiplab.viz.style import chip_label

# Every figure renders without a single warning, and is closed afterwards (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("strict_figures")


def test_rooflines_of_several_chips_with_points():
    comparison = compare_on_rooflines(Gemm(m=8, n=8192, k=8192), ["tpu_v5e", "trainium2", "h100_sxm"])
    roofs = [p.roofline for p in comparison.placements]
    ax = draw_rooflines(roofs, {p.chip_id: [p.point] for p in comparison.placements})
    ax.figure.canvas.draw()
    assert len(ax.get_legend().get_texts()) == 3
    assert "ridge 241" in ax.get_legend().get_texts()[0].get_text()
    text = alt_text(ax)
    assert "3 chips" in text and "TPU v5e" in text and "tpu_v5e" not in text and "HBM-bound" in text


def test_roof_corner_sits_at_the_ridge_point():
    roof = roofline(load_chip("toy_4x4"), "int8")
    ax = draw_rooflines([roof])
    roof_line = next(line for line in ax.get_lines() if line.get_label().startswith(chip_label("toy_4x4")))
    x, y = roof_line.get_data()
    assert x[1] == pytest.approx(roof.ridge_point()) and y[1] == pytest.approx(roof.peak_flops_per_s / 1e12)


def test_rooflines_picture_moves_points():
    comparison = compare_on_rooflines(Gemm(m=8, n=4096, k=4096), ["tpu_v5e", "trainium2"])
    _, ax = plt.subplots()
    picture = RooflinesPicture([p.roofline for p in comparison.placements], ax)
    assert all(len(marker.get_xdata()) == 0 for marker in picture.markers.values())
    picture.update({p.chip_id: [p.point] for p in comparison.placements}, caption="m = 8")
    marker = picture.markers["tpu_v5e"]
    assert marker.get_xdata()[0] == pytest.approx(comparison.placements[0].point.intensity)
    assert np.isfinite(picture.guide.get_xdata()[0]) and picture.caption.get_text() == "m = 8"
    assert set(picture.dynamic_artists) >= set(picture.markers.values())
    picture.set_roofs([comparison.placements[1].roofline])  # other roofs on the same axes
    assert list(picture.markers) == ["trainium2"] and len(ax.get_legend().get_texts()) == 1


def test_relative_level_times_reach_100_percent_at_the_bottleneck():
    result = gemm_on_core(Gemm(m=8, n=8192, k=8192), load_chip("trainium2"))
    _, ax = plt.subplots()
    picture = LevelTimesPicture(result, ax, relative=True)
    widths = [bar.get_width() for bar in picture.bars]
    assert widths[1] == pytest.approx(1.0)  # HBM is the bottleneck
    assert widths[0] == pytest.approx(result.compute_s / result.time_s)
    assert format_seconds(result.time_s) in picture.caption.get_text()
    serial = place_gemm(result.gemm, core_view(load_chip("trainium2")),
                        Tiling(tile_m=8, tile_n=4096, tile_k=1024, double_buffered=False))
    assert picture.fits(serial)
    picture.update(serial)  # without double buffering compute and HBM add up to the whole time
    assert picture.bars[0].get_width() + picture.bars[1].get_width() == pytest.approx(1.0)


def test_tile_landscape_updates_in_place_and_rings_a_choice():
    view = core_view(load_chip("trainium2"))
    search = best_tiling(Gemm(m=4096, n=4096, k=4096), view)
    fig, ax = plt.subplots()
    picture = TileLandscapePicture(search, ax)
    grid = np.asarray(picture.image.get_array(), dtype=float)
    assert np.nanmin(grid) == pytest.approx(1.0)  # the best tile, relative to itself
    picture.show_choice(Tiling(tile_m=256, tile_n=512, tile_k=128))
    assert "ring marks the chosen tile 256×512" in alt_text(ax)
    other = best_tiling(Gemm(m=1024, n=4096, k=4096), view)
    picture.update(other)
    assert picture.tm_values.max() == 1024
    fig.canvas.draw()
    picture.show_choice(None)
    assert len(picture.choice.get_xdata()) == 0


def test_format_seconds():
    assert format_seconds(0.0123) == "12.3 ms" and format_seconds(4.2e-7) == "420 ns"
    assert format_seconds(2.0) == "2 s" and format_seconds(3e-12) == "0.003 ns"


def _book_rooflines():
    """The roofline figures the book draws (book/chapters/rooflines.md): TPU v5e with a decode-like and a
    training-like GEMM, three chips with three batch sizes, and the toy dual-core chip's hierarchical roofline."""
    from chiplab.memory import hierarchical_points, sweep_m_on_rooflines
    from chiplab.viz import draw_roofline

    v5e = sweep_m_on_rooflines(["tpu_v5e"], [8, 4096], n=8192, k=8192)
    three = sweep_m_on_rooflines(["tpu_v5e", "trainium2", "h100_sxm"], [8, 256, 4096], n=8192, k=8192)
    dual = load_chip("toy_dual")
    dual_roof = roofline(dual, "int8")
    levels = hierarchical_points(gemm_on_core(Gemm(m=256, n=256, k=256, dtype="int8"), dual), dual_roof)
    return {
        "v5e": lambda ax: draw_roofline(v5e.roofs[0], v5e.points_by_chip["tpu_v5e"], ax=ax),
        "three chips": lambda ax: draw_rooflines(three.roofs, three.points_by_chip, ax=ax),
        "hierarchical": lambda ax: draw_roofline(dual_roof, levels, ax=ax),
    }


@pytest.mark.parametrize("figsize", [(6.4, 4.0), (4.0, 2.6), (3.2, 2.2)])  # default, half and a narrow column
@pytest.mark.parametrize("figure", ["v5e", "three chips", "hierarchical"])
def test_roofline_labels_never_overlap(figure, figsize):
    """Read off the rendered figure: no two point labels, and no label and the legend, share any pixel."""
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    _book_rooflines()[figure](ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in ax.texts if text.get_visible() and text.get_text()]
    boxes.append(ax.get_legend().get_window_extent(renderer))
    assert len(boxes) >= 3
    for i, first in enumerate(boxes):
        for second in boxes[i + 1:]:
            assert not first.overlaps(second), (figure, figsize, first, second)


def test_levels_with_one_bandwidth_share_one_roof():
    """The toy dual-core chip's shared SRAM and scratchpad have the same bandwidth (chiplab/data): one line, named
    after both, not two lines drawn over each other."""
    from chiplab.viz import draw_roofline

    roof = roofline(load_chip("toy_dual"), "int8")
    ax = draw_roofline(roof)
    bandwidths = {c.bandwidth_bytes_per_s for c in roof.ceilings}
    assert len(bandwidths) < len(roof.ceilings)  # the case this test is about
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert len(legend) == len(bandwidths)
    assert any("Shared SRAM and Scratchpad" in entry for entry in legend)
