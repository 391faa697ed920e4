"""The roofline explorer, driven programmatically: every control changes what is shown; impossible choices
show a message instead of raising."""

import io

import numpy as np
import pytest
from PIL import Image

from chiplab.explore import RooflineExplorer, roofline_explorer


@pytest.fixture
def explorer():
    return RooflineExplorer(chips=("tpu_v5e", "trainium2", "h100_sxm"), dtype="bf16", m=8, n=8192, k=8192)


def test_builds_a_widget_with_a_figure_and_a_summary(explorer):
    assert roofline_explorer().children
    assert explorer.figure.image.value[:4] == b"\x89PNG"
    summary = explorer.message.widget.value
    assert summary.count("HBM-bound") == 3 and "Google TPU v5e: ridge 241" in summary


def test_sliding_m_moves_the_points_until_compute_bound(explorer):
    image = explorer.figure.image.value
    explorer.m.value = 4096
    assert explorer.figure.image.value != image
    assert explorer.message.widget.value.count("compute-bound") == 3
    assert all(not placed.is_memory_bound for placed in explorer.comparison.placements)


@pytest.mark.parametrize(("control", "value"), [
    ("m", 64), ("n", 1024), ("k", 512), ("dtype", "fp8"), ("convention", "macs_per_byte"),
    ("chips", ("tpu_v6e", "trainium2")),
])
def test_every_control_changes_the_answer(explorer, control, value):
    summary, image = explorer.message.widget.value, explorer.figure.image.value
    getattr(explorer, control).value = value
    assert explorer.message.widget.value != summary
    assert explorer.figure.image.value != image


def test_chips_without_the_format_are_named(explorer):
    explorer.chips.value = ("tpu_v5e", "tpu_v1")
    assert "not shown (no bf16 peak): tpu_v1" in explorer.message.widget.value
    explorer.dtype.value = "int8"
    assert "Google TPU v1" in explorer.message.widget.value


def test_tpu_v1_ridge_in_macs_per_byte(explorer):
    explorer.chips.value = ("tpu_v1",)
    explorer.dtype.value = "int8"
    explorer.convention.value = "macs_per_byte"
    assert "ridge 1,353" in explorer.message.widget.value and "MAC/byte" in explorer.message.widget.value


@pytest.mark.parametrize(("chips", "dtype", "expected"), [
    ((), "bf16", "select at least one chip"),
    (("v100",), "bf16", "none of the selected chips has a bf16 peak"),
])
def test_impossible_choices_show_a_message(explorer, chips, dtype, expected):
    explorer.dtype.value = dtype
    explorer.chips.value = chips
    assert "Not possible" in explorer.message.widget.value and expected in explorer.message.widget.value
    explorer.chips.value = ("tpu_v5e",)  # and it recovers
    assert "Not possible" not in explorer.message.widget.value


def test_m_must_be_a_power_of_two():
    with pytest.raises(Exception, match="m must be a power of two"):
        RooflineExplorer(chips=("tpu_v5e",), dtype="bf16", m=100, n=8, k=8)


def _dark_share(png: bytes) -> float:
    """Share of the picture's pixels darker than mid-grey: lines, text and bars (a white veil lightens them all)."""
    return float((np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 100).mean())


def test_an_impossible_choice_greys_out_the_old_figure(explorer):
    """After "Not possible" the old picture must not pass for an answer: it is washed out and carries a note."""
    fresh = explorer.figure.image.value
    explorer.chips.value = ()
    assert "Not possible" in explorer.message.widget.value
    stale = explorer.figure.image.value
    assert explorer.figure.stale and _dark_share(stale) < 0.1 * _dark_share(fresh)  # greyed out
    explorer.chips.value = ("tpu_v5e", "trainium2", "h100_sxm")
    assert not explorer.figure.stale and _dark_share(explorer.figure.image.value) == _dark_share(fresh)
