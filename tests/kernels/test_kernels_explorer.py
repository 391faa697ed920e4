"""The kernel explorer: its summary states the library's numbers, and every control redraws."""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.explore.kernels import KernelExplorer, kernel_explorer
from chiplab.kernels import run_matmul
from chiplab.units import format_seconds


def test_summary_shows_the_library_numbers():
    explorer = KernelExplorer("trainium2", 1024, 2, 2, 2, "ws")
    run = run_matmul("trainium2", shape=(1024, 1024, 1024), tiling=explorer.tiling(), values=False)
    assert format_seconds(run.total_s) in explorer.message.widget.value
    assert f"{run.peak_fraction:.0%}" in explorer.message.widget.value
    assert explorer.figure.image.value  # a PNG was rendered


def test_every_control_redraws_and_bad_combinations_say_why():
    explorer = KernelExplorer("trainium2", 1024, 1, 1, 1, "ws")
    before = explorer.run.total_s
    explorer.buffers.value = 2
    explorer.block_n.value = 2
    explorer.dataflow.value = "os"
    explorer.chip.value = "tpu_v5e"
    assert explorer.run.total_s != before
    explorer.chip.value = "trainium2"
    explorer.size.value = 256
    explorer.block_m.value = 4          # 4 x 128 rows > m = 256: not a whole number of blocks
    assert "Not possible" in explorer.message.widget.value


def test_arguments_are_checked():
    with pytest.raises(ChiplabInputError, match="size must be one of"):
        kernel_explorer(size=300)
    with pytest.raises(ChiplabInputError, match="chip must be one of"):
        kernel_explorer(chip="h100")


def test_the_run_is_named_after_its_tiling():
    explorer = KernelExplorer("trainium2", 1024, 2, 2, 1, "ws")
    assert explorer.message.widget.value.startswith("matmul (256x1024 blocks, 1 buffer(s))")
