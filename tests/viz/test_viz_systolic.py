"""Figures render headless without warnings, describe themselves (alt text) and show what the trace holds."""

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from chiplab import ChiplabInputError, Gemm, SystolicArraySpec, simulate
from chiplab.systolic import sweep_utilization
from chiplab.viz import alt_text, animation_html, draw_array_state, draw_utilization_sweep

SMALL = SystolicArraySpec(num_rows=4, num_cols=4)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def small_run():
    return simulate(np.arange(12).reshape(3, 4), np.arange(20).reshape(4, 5), SMALL, "ws", trace="full")


def test_small_array_shows_values_and_busy_pes(small_run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = draw_array_state(small_run.trace.snapshot(8))
        ax.figure.canvas.draw()
    busy = int(small_run.trace.busy[8].sum())
    assert f"{busy} of 16 PEs busy" in ax.texts[0].get_text()
    texts = [t.get_text() for t in ax.texts[1:]]
    assert len(texts) == 16 and all(t.startswith("B:") for t in texts)
    # The image is the busy mask of that cycle, not of another.
    np.testing.assert_array_equal(ax.collections[0].get_array().reshape(4, 4), small_run.trace.busy[8])
    assert "4 by 4 systolic array" in alt_text(ax)


def test_large_array_is_an_occupancy_heatmap():
    run = simulate(np.ones((200, 150)), np.ones((150, 130)), SystolicArraySpec(num_rows=128, num_cols=128),
                   "os", trace="busy")
    ax = draw_array_state(run.trace.snapshot(150))
    ax.figure.canvas.draw()
    assert len(ax.texts) == 1  # the caption only: no per-PE values at this size
    assert ax.collections[0].get_array().size == 128 * 128


def test_cycle_out_of_range_is_a_clear_error(small_run):
    with pytest.raises(ChiplabInputError, match=r"cycle must be between 0 and \d+; got 999"):
        small_run.trace.snapshot(999)


def test_values_need_a_full_trace():
    run = simulate(np.ones((2, 2)), np.ones((2, 2)), SMALL, trace="busy")
    with pytest.raises(ChiplabInputError, match="trace='full'"):
        draw_array_state(run.trace.snapshot(0), show_values=True)


def test_animation_is_self_contained_html(small_run):
    html = animation_html(small_run, max_frames=10)
    assert "<script" in html and "animation" in html
    assert "http://" not in html.split("<script", 1)[1][:2000]  # no CDN: it plays offline
    assert html.count("data:image/png;base64") == min(10, small_run.trace.num_cycles)
    # Nothing from the network (matplotlib's player links Font Awesome from a CDN for its button icons).
    assert "https://" not in html and 'class="fa ' not in html
    alt = re.search(r'<img alt="([^"]*)" id="_anim_img', html)
    assert alt and "Animation of a 4×4 array" in alt.group(1), "the animation's frame image needs its alt text"


def test_animation_needs_a_trace():
    run = simulate(np.ones((2, 2)), np.ones((2, 2)), SMALL)
    with pytest.raises(ChiplabInputError, match="needs a run made with simulate"):
        animation_html(run)


def test_utilization_sweep_figure():
    sweep = sweep_utilization(SystolicArraySpec(num_rows=128, num_cols=128), Gemm(m=1024, n=128, k=512), "n",
                              range(1, 400, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = draw_utilization_sweep(sweep)
        ax.figure.canvas.draw()
    assert len(ax.lines) >= 2 + 3  # two curves and a dotted line at every fold boundary 128, 256, 384
    np.testing.assert_allclose(ax.lines[1].get_ydata(), sweep.compute_utilization_fraction * 100)
    assert "utilisation of a 128×128 array" in alt_text(ax)


def test_closed_form_snapshot_draws_real_size_arrays_without_a_trace():
    from chiplab.systolic import plan_folds
    from chiplab.systolic.occupancy import snapshot

    plan = plan_folds(Gemm(m=4096, n=256, k=256), SystolicArraySpec(num_rows=256, num_cols=256), "ws")
    ax = draw_array_state(snapshot(plan, 1000))
    assert ax.collections[0].get_array().size == 256 * 256
    assert "of 65536 PEs busy" in ax.texts[0].get_text()


def test_weights_show_as_soon_as_they_are_loaded():
    """Issue 16 item 3: during the R weight-load cycles the PEs show the weights arriving row by row (row r holds
    B[r, :] from cycle r), not B:0 until their first MAC; the expected values are B itself."""
    from chiplab.systolic.frames import loading_snapshot

    b = np.arange(1, 21).reshape(4, 5)
    run = simulate(np.arange(1, 13).reshape(3, 4), b, SMALL, "ws", trace="full")
    for cycle in range(SMALL.num_rows):
        shown = loading_snapshot(run, cycle).stationary_values
        assert np.array_equal(shown[: cycle + 1], b[: cycle + 1, :4]), f"cycle {cycle}"
        assert np.isnan(shown[cycle + 1 :]).all(), "rows not loaded yet show a dot, not 0"
    first_mac = SMALL.num_rows  # PE (0, 0) computes first; the others still wait with their weight loaded
    assert np.array_equal(loading_snapshot(run, first_mac).stationary_values, b[:4, :4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = draw_array_state(loading_snapshot(run, 0))
    texts = [t.get_text() for t in ax.texts if t.get_text().startswith("B:")]
    assert texts[:4] == ["B:1\n→0 ↓0", "B:2\n→0 ↓0", "B:3\n→0 ↓0", "B:4\n→0 ↓0"] and texts[4].startswith("B:·")
    assert "loading B" in ax.texts[0].get_text() or any("loading B" in t.get_text() for t in ax.texts)
    plt.close(ax.figure)
