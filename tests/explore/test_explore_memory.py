"""The tiling & memory explorer, driven programmatically: every control changes what is shown; impossible
tilings show a message instead of raising."""

import pytest

from chiplab.explore import MemoryExplorer, memory_explorer
from chiplab.explore.memory import tileable_chips


@pytest.fixture
def explorer():
    return MemoryExplorer(chip="trainium2", dtype="bf16", m=128, n=8192, k=8192)


def _shown(explorer):
    return (explorer.message.widget.value, explorer.levels_figure.image.value,
            explorer.landscape_figure.image.value)


def test_builds_a_widget_with_two_figures_and_a_summary(explorer):
    assert memory_explorer().children
    assert explorer.levels_figure.image.value[:4] == b"\x89PNG"
    assert explorer.landscape_figure.image.value[:4] == b"\x89PNG"
    summary = explorer.message.widget.value
    assert "bottleneck <b>HBM</b>" in summary and "of its peak" in summary and "used" in summary


def test_chip_list_holds_only_chips_with_a_geometry():
    chips = tileable_chips()
    assert {"trainium2", "tpu_v5e", "h100_sxm", "toy_4x4"} <= set(chips)
    assert "inferentia1" in chips and "tpu_v1" in chips  # an assumed array (issue 12) / a published one
    assert "haswell_e5_2699v3" not in chips  # a baseline CPU: no scratchpad to tile into


@pytest.mark.parametrize(("control", "value"), [
    ("m", 2048), ("n", 4096), ("k", 1024), ("dtype", "fp8"), ("double_buffered", False), ("scratchpad", 1 / 16),
    ("hbm", 4.0),
])
def test_every_control_changes_the_answer(explorer, control, value):
    summary, levels, _ = _shown(explorer)
    getattr(explorer, control).value = value
    assert explorer.message.widget.value != summary
    assert explorer.levels_figure.image.value != levels


@pytest.mark.parametrize("control", ["m", "n", "k", "dtype", "double_buffered", "scratchpad"])
def test_controls_that_change_the_tile_search_redraw_the_landscape(explorer, control):
    landscape = explorer.landscape_figure.image.value
    getattr(explorer, control).value = {"m": 2048, "n": 2048, "k": 256, "dtype": "fp8", "double_buffered": False,
                                         "scratchpad": 1 / 16}[control]
    assert explorer.landscape_figure.image.value != landscape


def test_changing_the_chip_relabels_and_offers_its_formats(explorer):
    explorer.chip.value = "tpu_v5e"
    assert "VMEM" in explorer.scratchpad.description and "int8" in explorer.dtype.options
    assert "VMEM" in explorer.message.widget.value
    explorer.chip.value = "toy_4x4"  # no bf16 ... keeps bf16 if offered, else the first format
    assert explorer.dtype.value in explorer.dtype.options
    assert "DRAM" in explorer.message.widget.value


def test_tiles_by_hand(explorer):
    best = explorer.result.tiling
    assert explorer.tile_m.disabled and (explorer.tile_m.value, explorer.tile_n.value) == (best.tile_m, best.tile_n)
    explorer.tile_m.value = 8  # ignored while auto is on
    assert explorer.result.tiling == best
    explorer.auto.value = False
    assert not explorer.tile_m.disabled
    landscape = explorer.landscape_figure.image.value
    explorer.tile_m.value, explorer.tile_n.value = 32, 512
    assert "by hand" in explorer.message.widget.value and "tile 32×512×" in explorer.message.widget.value
    assert explorer.result.time_s > explorer.search.best.time_s  # less reuse than the best tiling
    assert explorer.landscape_figure.image.value != landscape  # the ring moved


def test_tiles_that_do_not_fit_show_a_message_not_a_traceback(explorer):
    explorer.auto.value = False
    explorer.tile_n.value = 8192  # with tile_k 1024 the A and B tiles overflow SBUF
    message = explorer.message.widget.value
    assert "Not possible" in message and "tiles do not fit in" in message and "over by" in message
    explorer.tile_m.value, explorer.tile_n.value = 128, 512  # and it recovers
    assert "Not possible" not in explorer.message.widget.value


def test_unknown_chip_is_refused():
    with pytest.raises(Exception, match="chip must be one with a published array"):
        MemoryExplorer(chip="haswell_e5_2699v3", dtype="fp32", m=8, n=8, k=8)
