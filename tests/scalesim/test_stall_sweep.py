"""sweep_dram_bandwidth and its figure: USER-mode stalls against DRAM bandwidth for the three dataflows.

Expected numbers come from SCALE-Sim 3.0.0 itself: the golden case user_gemm_32x32_ws_ample (a 100x80x120 GEMM on
32x32, 64 KiB SRAMs, every bandwidth 64 words/cycle) and user_gemm_4x4_ws_starved's first layer.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from chiplab.errors import ChiplabInputError
from chiplab.scalesim import sweep_dram_bandwidth
from chiplab.viz import alt_text, draw_stall_sweep

matplotlib.use("Agg")
GOLDEN = Path(__file__).parents[1] / "golden" / "scalesim" / "cases"


def _golden_compute_row(case: str, layer: int = 0) -> list[str]:
    rows = (GOLDEN / case / "COMPUTE_REPORT.csv").read_text().splitlines()[1:]
    return rows[layer].removesuffix(",").split(", ")


def test_sweep_point_equals_scalesim_run():
    sweep = sweep_dram_bandwidth(100, 80, 120, num_rows=32, num_cols=32, sram_bytes=64 * 1024,
                                 bandwidths_words_per_cycle=(64,))
    expected = _golden_compute_row("user_gemm_32x32_ws_ample")  # LayerID, incl. prefetch, total, stalls, ...
    assert (sweep.total_cycles["ws"][0], sweep.stall_cycles["ws"][0]) == (int(expected[2]), int(expected[3]))


@pytest.fixture(scope="module")
def small_sweep():
    return sweep_dram_bandwidth(40, 24, 36, num_rows=4, num_cols=4, sram_bytes=1024,
                                bandwidths_words_per_cycle=(1, 16, 256))


def test_starved_bandwidth_stalls_and_the_knee_is_where_stalls_stop(small_sweep):
    sweep = small_sweep
    for dataflow in ("ws", "os", "is"):
        stalls = sweep.stall_cycles[dataflow]
        assert stalls[0] > sweep.compute_cycles(dataflow)  # 1 word/cycle: the array mostly waits
        knee = sweep.knee_words_per_cycle(dataflow)
        if knee is not None:
            below = [s for b, s in zip(sweep.bandwidths_words_per_cycle, stalls, strict=True) if b < knee]
            assert all(s > 0 for s in below)


def test_figure_has_a_line_per_dataflow_and_names_the_knees(small_sweep):
    ax = draw_stall_sweep(small_sweep)
    assert len(ax.get_lines()) >= 3
    assert "knees" in alt_text(ax) and "weight stationary" in alt_text(ax)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"sram_bytes": 1000}, "multiple of 1024"),
    ({"bandwidths_words_per_cycle": ()}, "at least one"),
    ({"bandwidths_words_per_cycle": (0,)}, "bandwidths_words_per_cycle"),
    ({"num_rows": 0}, "num_rows"),
    ({"bandwidths_words_per_cycle": 8}, "bandwidths_words_per_cycle must be a tuple"),  # was TypeError: not iterable
    ({"num_cols": 2**64}, "num_cols must be a whole number between 1 and 2,147,483,647"),
])
def test_bad_arguments(kwargs, expected):
    args = {"num_rows": 4, "num_cols": 4, "sram_bytes": 1024, "bandwidths_words_per_cycle": (4,)} | kwargs
    with pytest.raises(ChiplabInputError, match=expected):
        sweep_dram_bandwidth(8, 8, 8, **args)
