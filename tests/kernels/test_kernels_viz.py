"""The timeline and comparison figures draw what the run says, with alt text, and answer hover look-ups."""

import pytest

from chiplab.kernels import run_matmul
from chiplab.viz import alt_text
from chiplab.viz.kernels import TimelinePicture, draw_kernel_comparison, draw_timeline


@pytest.fixture(scope="module")
def runs():
    return [run_matmul("trn2", shape=(512, 1024, 256), variant=v, values=False)
            for v in ("naive", "tiled", "double_buffered")]


def test_timeline_has_one_row_per_used_engine_and_every_instruction(runs, strict_figures):
    run = runs[-1]
    ax = draw_timeline(run)
    used = [e.name for e in run.engines if e.num_instructions]
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(used)
    assert sum(len(c.get_paths()) for c in ax.collections) == run.timeline.num_instructions
    assert f"{run.timeline.num_instructions} in all" in alt_text(ax)


def test_hover_finds_the_instruction_under_the_mouse(runs, strict_figures):
    run = runs[0]
    picture = TimelinePicture(run)
    t = run.timeline
    i = len(t.ops) // 2
    x = (t.start_s[i] + t.end_s[i]) / 2 / picture.scale
    found = picture.instruction_at(x, picture.rows[t.engine[i]])
    assert found is not None and t.engine[found] == t.engine[i]
    assert "kernel line" in t.describe(found)
    picture.connect_hover()


def test_comparison_lists_every_variant(runs, strict_figures):
    ax = draw_kernel_comparison(runs)
    assert [t.get_text() for t in ax.get_yticklabels()] == [r.name for r in runs]
    assert "double-buffered" in alt_text(ax)


def test_kernel_roofline_places_every_run_below_the_roof(runs, strict_figures):
    from chiplab.viz.kernels import draw_kernel_roofline

    ax = draw_kernel_roofline(runs)
    for run in runs:
        assert run.roofline.achieved_flops_per_s <= run.roofline.attainable_flops_per_s * (1 + 1e-9)
        assert run.name in alt_text(ax)
