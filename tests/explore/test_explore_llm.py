"""The LLM explorer, driven programmatically: every control changes what is shown; invalid setups show a message."""

import io

import numpy as np
import pytest
from PIL import Image

from chiplab.errors import ChiplabInputError
from chiplab.explore import LLMExplorer, llm_explorer
from chiplab.explore.llm import llm_chips


@pytest.fixture
def explorer():
    return LLMExplorer(model="llama3_8b", chip="trainium2", mode="training", batch=32, seq_len=4096, output_len=256,
                       tensor=4, pipeline=1, data=8, recompute="selective")


def test_builds_a_widget_showing_a_figure_and_a_summary(explorer):
    assert llm_explorer().children
    assert explorer.figure.image.value[:4] == b"\x89PNG"
    summary = explorer.message.widget.value
    assert "per step" in summary and "MFU" in summary and "of 96 GiB HBM per chip" in summary


@pytest.mark.parametrize(("control", "value"), [
    ("model", "llama32_3b"), ("chip", "tpu_v5p"), ("batch", 64), ("seq_len", 2048), ("tensor", 8),
    ("data", 4), ("pipeline", 2), ("recompute", "full"), ("mode", "prefill"), ("mode", "decode"),
])
def test_every_control_changes_the_answer(explorer, control, value):
    summary, image = explorer.message.widget.value, explorer.figure.image.value
    getattr(explorer, control).value = value
    assert "Not possible" not in explorer.message.widget.value
    assert explorer.message.widget.value != summary
    assert explorer.figure.image.value != image


def test_output_length_matters_when_serving(explorer):
    explorer.mode.value = "decode"
    summary = explorer.message.widget.value
    explorer.output_len.value = 4096  # a longer answer: a longer mean context, a slower mean decode step
    assert explorer.message.widget.value != summary


def test_mode_enables_the_controls_that_apply(explorer):
    assert explorer.output_len.disabled and not explorer.data.disabled
    explorer.mode.value = "decode"
    assert not explorer.output_len.disabled
    assert explorer.data.disabled and explorer.pipeline.disabled and explorer.recompute.disabled
    assert explorer.estimate.num_chips == explorer.tensor.value  # data and pipeline are ignored when serving
    assert explorer.batch.description == "requests"


@pytest.mark.parametrize(("changes", "message"), [
    ({"tensor": 64}, "must divide num_heads"),
    ({"tensor": 1, "data": 1}, "does not fit"),
    ({"data": 64}, "must be divisible by data parallelism"),
    ({"model": "palm_540b"}, "does not fit"),
])
def test_invalid_combinations_show_the_reason(explorer, changes, message):
    for control, value in changes.items():
        getattr(explorer, control).value = value
    shown = explorer.message.widget.value
    assert "Not possible" in shown and message in shown


def test_recovers_after_an_invalid_combination(explorer):
    explorer.tensor.value = 64
    explorer.tensor.value = 8
    assert "Not possible" not in explorer.message.widget.value
    assert explorer.estimate.num_chips == 8 * 8


def test_starting_values_are_checked():
    with pytest.raises(ChiplabInputError, match="chip must be one the performance model supports"):
        LLMExplorer("llama3_8b", "tpu_v1", "training", 32, 4096, 256, 4, 1, 8, "none")
    with pytest.raises(ChiplabInputError, match="batch must be a power of two"):
        LLMExplorer("llama3_8b", "trainium2", "training", 33, 4096, 256, 4, 1, 8, "none")
    with pytest.raises(ChiplabInputError, match="unknown model"):
        LLMExplorer("llama9", "trainium2", "training", 32, 4096, 256, 4, 1, 8, "none")


def test_chip_list_is_the_chips_the_model_can_run():
    chips = llm_chips()
    assert {"trainium2", "tpu_v5p", "tpu_v6e", "h100_sxm"} <= set(chips)
    assert "inferentia1" in chips  # on an assumed 128 × 128 array since issue 12 (B200 on an estimated one)
    assert "tpu_v1" not in chips and "toy_4x4" not in chips


def test_switching_modes_keeps_one_picture_per_kind_of_step(explorer):
    explorer.mode.value = "decode"
    serving = explorer.picture
    assert explorer.figure_box.children == (explorer.figures["serving"].image,)
    explorer.mode.value = "training"
    assert explorer.figure_box.children == (explorer.figures["training"].image,)
    explorer.mode.value = "prefill"
    assert explorer.picture is serving  # redrawn in place, not rebuilt
    assert "prefill" in serving.caption.get_text()


def _dark_share(png: bytes) -> float:
    """Share of the picture's pixels darker than mid-grey: lines, text and bars (a white veil lightens them all)."""
    return float((np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 100).mean())


def test_an_impossible_setting_greys_out_the_old_figure(explorer):
    """After "Not possible" the old picture must not pass for an answer: it is washed out and carries a note."""
    fresh = explorer.figure.image.value
    explorer.tensor.value = 64  # does not divide the heads
    stale = explorer.figure.image.value
    assert explorer.figure.stale and stale != fresh
    assert _dark_share(stale) < 0.1 * _dark_share(fresh)  # greyed out
    explorer.tensor.value = 4
    assert not explorer.figure.stale and explorer.figure.image.value == fresh


@pytest.mark.parametrize("mode", ["training", "decode"])
def test_each_quantity_has_its_own_axis_and_unit(explorer, mode):
    """Step time per part, the step's wall time and memory are different quantities: one panel and x axis each,
    whose label names what 100% is."""
    explorer.mode.value = mode
    panels = explorer.picture.panels
    labels = [panel.get_xlabel() for panel in panels]
    assert len(panels) == 3 and len(set(labels)) == 3
    assert "step time" in labels[0] and "wall time" in labels[1] and "memory" in labels[2]
    assert all(label.startswith("%") for label in labels)
    assert all(bar.axes is panel for panel, bars in zip(panels, explorer.picture.bars, strict=True) for bar in bars)


@pytest.mark.parametrize("mode", ["training", "decode"])
def test_the_shown_error_range_equals_the_librarys(explorer, mode):
    """The range under the summary is the step estimate's own tokens_per_s_range and time_s_range (chiplab.perf,
    from the validation record's band), for the same inputs."""
    from chiplab.explore._text import format_seconds
    from chiplab.hardware import load_chip
    from chiplab.perf.llm import estimate_llm
    from chiplab.workloads import load_model
    from chiplab.workloads.footprint import Parallelism

    explorer.mode.value = mode
    training = mode == "training"
    expected = estimate_llm(load_model("llama3_8b"), load_chip("trainium2"), mode=mode, batch=32, seq_len=4096,
                            output_len=256, recompute="selective",
                            parallelism=Parallelism(tensor=4, data=8 if training else 1))
    low, high = expected.tokens_per_s_range
    low_s, high_s = expected.time_s_range
    shown = explorer.message.widget.value
    assert f"<b>{low:,.0f}–{high:,.0f}</b> tokens/s" in shown
    assert f"{format_seconds(low_s)}–{format_seconds(high_s)} per step" in shown
    assert ("training cases" if training else "serving cases") in shown  # the band's own source
