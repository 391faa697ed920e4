"""The design-your-own-chip explorer, driven programmatically: it starts as an exact copy of its base, every knob
changes the answer, a new base resets the knobs, and a design the model rejects shows a message."""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.explore.design import DESIGN_ID, DesignExplorer, design_bases, design_explorer
from chiplab.hardware import load_chip
from chiplab.units import GiB

SMALL = "pre-train Llama 3 8B"


@pytest.fixture(scope="module")
def explorer():
    return DesignExplorer("trainium2", SMALL, usd_per_chip_hour=3.0)


def _shown(explorer):
    return explorer.message.widget.value, explorer.figure.image.value


def test_builds_and_starts_as_a_copy_of_its_base(explorer):
    assert design_explorer().children
    assert explorer.figure.image.value[:4] == b"\x89PNG"
    mine, trn2 = explorer.comparison.row(DESIGN_ID), explorer.comparison.row("trainium2")
    assert mine.tokens_per_s_per_chip == pytest.approx(trn2.tokens_per_s_per_chip)
    assert explorer.design.peak_flops_per_s("bf16") == load_chip("trainium2").peak_flops_per_s("bf16")
    summary = explorer.message.widget.value
    assert "tokens per USD at $3.00/chip-hour" in summary and "must cost less than" in summary


@pytest.mark.parametrize(("control", "value"), [
    ("rows", 256), ("cols", 64), ("arrays", 2), ("cores", 16), ("clock", 1.5e9), ("hbm", 8.0e12),
    ("price", 2.0), ("workload", "serve Llama 3 8B (decode-heavy)"),
])
def test_every_knob_changes_the_answer(explorer, control, value):
    before = _shown(explorer)
    getattr(explorer, control).value = value
    after = _shown(explorer)
    assert after[0] != before[0] and after[1] != before[1]
    assert "Not possible" not in after[0]


def test_scratchpad_reaches_the_design(explorer):
    value = explorer.sram.options[0][1]
    explorer.sram.value = value
    assert explorer.design.memory_level("scratchpad").capacity_bytes == value


def test_a_new_base_resets_every_knob():
    explorer = DesignExplorer("trainium2", SMALL)
    explorer.rows.value = 512
    explorer.base.value = "h100_sxm"
    h100 = load_chip("h100_sxm")
    assert explorer.rows.value == h100.core.matrix_unit.array.num_rows
    assert explorer.cores.value == h100.num_cores and explorer.clock.value == h100.core.matrix_unit.clock_hz
    assert explorer.comparison.row(DESIGN_ID).tokens_per_s_per_chip == pytest.approx(
        explorer.comparison.row("h100_sxm").tokens_per_s_per_chip)


def test_a_design_that_does_not_fit_shows_a_message():
    explorer = DesignExplorer("trainium2", "serve Llama 3 8B (chat)")  # weights + KV cache: about 25 GiB
    explorer.hbm_capacity.value = 16 * GiB
    assert "Not possible" in explorer.message.widget.value and "does not fit" in explorer.message.widget.value


def test_bases_and_bad_arguments():
    bases = design_bases()
    assert {"trainium2", "h100_sxm", "tpu_v5p"} <= set(bases) and "tpu_v6e" not in bases
    with pytest.raises(ChiplabInputError, match=r"base must be one of"):
        DesignExplorer("toy_4x4", SMALL)
    with pytest.raises(ChiplabInputError, match=r"workload must be one of"):
        DesignExplorer("trainium2", "train GPT-9")
