"""Hand-checkable cases a student can redo on paper (one fold, tiny arrays).

Pipelined convention, WS/IS: the stationary tile shifts in for R cycles (cycles 0 … R-1); row t of the
streaming operand enters array row r at cycle R + t + r, reaches column c at R + t + r + c, and the last partial
sum leaves the bottom of the last column at R + (T-1) + (R-1) + (C-1): a single full fold takes 2R + C + T - 2
cycles — the per-fold formula of the SCALE-Sim paper (Samajdar et al., ISPASS 2020, Sec. III-B).
OS: no preload; PE (r, c) does its last MAC at (T-1) + r + c, so one fold takes T + R + C - 2 cycles.
"""

import numpy as np
import pytest

from chiplab import Gemm, SystolicArraySpec, estimate, simulate

A = np.array([[1, 2], [3, 4]])
B = np.array([[5, 6], [7, 8]])
ARRAY_2X2 = SystolicArraySpec(num_rows=2, num_cols=2)


@pytest.mark.parametrize(
    ("dataflow", "paper_cycles"),
    [("ws", 2 * 2 + 2 + 2 - 2), ("is", 2 * 2 + 2 + 2 - 2), ("os", 2 + 2 + 2 - 2)],
)
def test_two_by_two_one_fold_cycles_by_hand(dataflow, paper_cycles):
    run = simulate(A, B, ARRAY_2X2, dataflow)
    assert run.total_cycles == paper_cycles
    assert estimate(Gemm(m=2, n=2, k=2), ARRAY_2X2, dataflow).total_cycles == paper_cycles
    np.testing.assert_array_equal(run.product, [[19, 22], [43, 50]])


def test_weight_stationary_trace_by_hand():
    """Cycle by cycle on paper: WS holds B; A enters skewed from the left; partial sums flow down."""
    trace = simulate(A, B, ARRAY_2X2, "ws", trace="full").trace
    # Cycle 2 (after the 2-cycle weight preload): A[0,0]=1 enters PE(0,0), which holds B[0,0]=5.
    np.testing.assert_array_equal(trace.stationary_values[2], [[5, 0], [0, 0]])
    np.testing.assert_array_equal(trace.left_values[2], [[1, 0], [0, 0]])
    np.testing.assert_array_equal(trace.top_values[2], [[5, 0], [0, 0]])
    # Cycle 3: A[1,0]=3 follows into PE(0,0); A[0,0] moved right to PE(0,1) (weight B[0,1]=6);
    # A[0,1]=2 enters row 1 one cycle late; PE(1,0) adds 2·7 to the 5 from above: 19 = C[0,0] leaves.
    np.testing.assert_array_equal(trace.stationary_values[3], [[5, 6], [7, 0]])
    np.testing.assert_array_equal(trace.left_values[3], [[3, 1], [2, 0]])
    np.testing.assert_array_equal(trace.top_values[3], [[15, 6], [19, 0]])
    np.testing.assert_array_equal(trace.busy_pes_per_cycle, [0, 0, 1, 3, 3, 1])


def test_output_stationary_accumulators_by_hand():
    trace = simulate(A, B, ARRAY_2X2, "os", trace="full").trace
    # PE(0,0) sees A[0,0]·B[0,0] at cycle 0 and A[0,1]·B[1,0] at cycle 1: 5 + 14 = 19.
    assert trace.stationary_values[0][0, 0] == 5
    assert trace.stationary_values[1][0, 0] == 19
    # PE(1,1) is the last to finish: its two MACs are at cycles 2 and 3 → 6·3 + 8·4 = 50.
    assert trace.stationary_values[3][1, 1] == 50
    assert trace.busy.sum() == 8  # m·n·k useful MACs, no more


def test_four_by_four_fold_counts():
    """A 10×5×6 GEMM on 4×4 WS: k=6 on rows → 2 row folds, n=5 on columns → 2 column folds, T=m=10."""
    array = SystolicArraySpec(num_rows=4, num_cols=4)
    timing = estimate(Gemm(m=10, n=5, k=6), array, "ws")
    assert (timing.plan.num_row_folds, timing.plan.num_col_folds, timing.num_folds) == (2, 2, 4)
    # Folds start every P = max(T, R) = 10 cycles after the R = 4 preload; the last fold (index 3) uses one
    # column: 4 + 3·10 + 10 + 4 + 1 - 2 = 47.
    assert timing.total_cycles == 47
    # Padding: (6·5) real PEs of 4 folds × 16 PEs.
    assert timing.mapping_efficiency_fraction == pytest.approx(30 / 64)
    # Every weight read once; A re-read per column fold; partial sums written per row fold, read back once.
    assert timing.sram.num_b_reads == 6 * 5
    assert timing.sram.num_a_reads == 10 * 6 * 2
    assert (timing.sram.num_c_writes, timing.sram.num_c_reads) == (10 * 5 * 2, 10 * 5 * 1)


def test_short_stream_pays_for_tile_swaps():
    """When T < R a fold cannot be shorter than the R cycles needed to swap a stationary tile."""
    array = SystolicArraySpec(num_rows=8, num_cols=8)
    timing = estimate(Gemm(m=1, n=8, k=16), array, "ws")  # T = 1, two row folds
    assert timing.total_cycles == 8 + 1 * 8 + 1 + 8 + 8 - 2
