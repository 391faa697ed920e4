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
