"""The systolic explorer, driven programmatically: every control changes what is shown."""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.explore import SystolicExplorer, systolic_explorer
from chiplab.explore._figure import MessageLine


@pytest.fixture
def explorer():
    return SystolicExplorer(num_rows=4, num_cols=4, dataflow="ws", m=6, n=5, k=4)


def test_builds_a_widget_showing_a_figure_and_a_summary(explorer):
    assert systolic_explorer().children
    assert explorer.figure.image.value[:4] == b"\x89PNG"
    assert "cycles" in explorer.message.widget.value


def test_scrubbing_cycles_redraws_the_array(explorer):
    before = explorer.figure.image.value
    explorer.cycle.value = 7
    assert explorer.figure.image.value != before
    assert "cycle 7 of" in explorer.picture.caption.get_text()


@pytest.mark.parametrize(("control", "value"), [("m", 9), ("n", 2), ("k", 11), ("rows", 3), ("cols", 8),
                                                  ("dataflow", "os")])
def test_every_problem_control_changes_the_answer(explorer, control, value):
    summary, image = explorer.message.widget.value, explorer.figure.image.value
    getattr(explorer, control).value = value
    assert explorer.message.widget.value != summary
    assert explorer.figure.image.value != image


def test_cycle_slider_range_follows_the_problem(explorer):
    explorer.cycle.value = explorer.cycle.max
    explorer.m.value = 1  # a much shorter run: the scrubber must shrink and stay in range
    assert explorer.cycle.max == explorer.frames.num_cycles - 1
    assert explorer.cycle.value <= explorer.cycle.max


def test_real_size_array_switches_to_occupancy(explorer):
    explorer.rows.value, explorer.cols.value = 128, 128
    explorer.m.value = 512
    assert "occupancy only" in explorer.message.widget.value
    assert explorer.frames.run is None


def test_bad_input_shows_a_message_instead_of_a_traceback():
    line = MessageLine()

    def fail():
        raise ChiplabInputError("m must be a whole number >= 1; got 0")

    assert line.guard(fail) is False
    assert "Not possible" in line.widget.value and "got 0" in line.widget.value


def test_a_new_array_shape_redraws_on_the_same_axes_with_one_value_per_pe(explorer):
    """Rows/cols sliders reshape the picture in place (faster than new axes) and the picture still has one value
    text per PE of the new array, with the caption counting the new array's PEs."""
    axes = explorer.picture.ax
    explorer.rows.value = 5
    assert explorer.picture.ax is axes and explorer.picture.shape == (5, 4)
    assert sum(len(row) for row in explorer.picture.texts) == 20
    assert explorer.picture.ax.get_ylim() == (5, 0)
    assert "of 20 PEs busy" in explorer.picture.caption.get_text()
    pe_texts = [text for text in axes.texts if text is not explorer.picture.caption]
    assert len(pe_texts) == 20  # the old array's texts are gone, not hidden under the new ones
