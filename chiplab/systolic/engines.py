"""The two cycle-stepped engines behind :func:`chiplab.systolic.simulate`: they move real values.

Both follow the pipelined convention of :mod:`chiplab.systolic.closed_form` (fold f starts streaming at
L + f·P, L and P being the fold plan's ``preload_cycles`` and ``period_cycles``). They are written to be read
next to a drawing of the array; every grid is R×C and indexed [row, column].

* ``run_stationary`` (WS, and IS on the transposed product): a tile of the stationary operand sits in the PEs.
  Each cycle the streaming operand moves one PE to the right (entering skewed: row r is r cycles late) and the
  partial sums move one PE down, each PE adding its product. Sums leave the bottom edge into accumulators.
  A fold's weights switch in along the anti-diagonal wave r + c = cycle - start, exactly when that fold's first
  operand reaches each PE (the TPU's weight-swap wave); the next tile was shifted in under the current stream.
* ``run_output_stationary`` (OS): A moves right, B moves down, each PE accumulates its own output; when a PE
  has seen all T steps it writes its result out on its column's output port (one per cycle: rows finish one
  cycle apart) and starts the next fold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from chiplab.systolic.dataflow import FoldPlan

# A recorder is called once per cycle with (cycle, left_values, top_values, stationary_values, busy_mask).
Recorder = Callable[[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]


def _anti_diagonals(num_rows: int, num_cols: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, cols) index arrays of the PEs with r + c = d, for d = 0 … R + C - 2."""
    rr, cc = np.indices((num_rows, num_cols))
    order = np.argsort((rr + cc).ravel(), kind="stable")
    sums = (rr + cc).ravel()[order]
    bounds = np.searchsorted(sums, np.arange(num_rows + num_cols))
    flat_r, flat_c = rr.ravel()[order], cc.ravel()[order]
    return [(flat_r[lo:hi], flat_c[lo:hi]) for lo, hi in itertools.pairwise(bounds)]


def _layout(plan: FoldPlan) -> tuple[int, int, int, int, int, int]:
    """(R, C, row folds, column folds, folds, P) of a fold plan, as the engines loop over them."""
    return (plan.num_rows, plan.num_cols, plan.num_row_folds, plan.num_col_folds, plan.num_folds,
            plan.period_cycles)


def _schedule(offset: np.ndarray, period: int, span: int, num_folds: int) -> tuple[np.ndarray, ...]:
    """For cycle offsets since the first fold's start: (fold index, step within fold, valid mask)."""
    fold = offset // period
    step = offset - fold * period
    valid = (offset >= 0) & (step < span) & (fold < num_folds)
    return np.where(valid, fold, 0), np.where(valid, step, 0), valid


def run_stationary(
    stream: np.ndarray, stationary: np.ndarray, plan: FoldPlan, max_cycles: int, record: Recorder | None
) -> tuple[np.ndarray, int]:
    """Compute stream @ stationary (T×S_R @ S_R×S_C) weight-stationary; return (product, cycles)."""
    temporal, s_r, s_c = plan.temporal, plan.spatial_rows, plan.spatial_cols
    num_rows, num_cols, row_folds, col_folds, num_folds, period = _layout(plan)
    preload = plan.preload_cycles
    stream_pad = np.zeros((temporal, row_folds * num_rows), stream.dtype)
    stream_pad[:, :s_r] = stream
    weights_pad = np.zeros((row_folds * num_rows, col_folds * num_cols), stationary.dtype)
    weights_pad[:s_r, :s_c] = stationary
    real_pad = np.zeros(weights_pad.shape, bool)
    real_pad[:s_r, :s_c] = True
    product = np.zeros((temporal, col_folds * num_cols), stream.dtype)

    left = np.zeros((num_rows, num_cols), stream.dtype)
    psum, weights, scratch = np.zeros_like(left), np.zeros_like(left), np.zeros_like(left)
    left_real, weights_real = np.zeros(left.shape, bool), np.zeros(left.shape, bool)
    rows, cols = np.arange(num_rows), np.arange(num_cols)
    diagonals = _anti_diagonals(num_rows, num_cols)
    num_expected, num_delivered = temporal * s_c * row_folds, 0

    for cycle in range(max_cycles):
        since_start = cycle - preload
        # 1. Folds whose weight-swap wave is passing: PEs on anti-diagonal d take fold f's weights.
        first = max(0, -(-(since_start - (num_rows + num_cols - 2)) // period))
        for fold in range(first, min(since_start // period, num_folds - 1) + 1) if since_start >= 0 else ():
            d = since_start - fold * period
            dr, dc = diagonals[d]
            col_fold, row_fold = divmod(fold, row_folds)
            weights[dr, dc] = weights_pad[row_fold * num_rows + dr, col_fold * num_cols + dc]
            weights_real[dr, dc] = real_pad[row_fold * num_rows + dr, col_fold * num_cols + dc]
        # 2. The streaming operand moves right; row r receives element (t, r) of fold f, skewed by r cycles.
        folds, step, valid = _schedule(since_start - rows, period, temporal, num_folds)
        src_rows = (folds % row_folds) * num_rows + rows
        left[:, 1:] = left[:, :-1]
        left[:, 0] = np.where(valid, stream_pad[step, src_rows], 0)
        # 3. Partial sums move down one row; every PE adds its product.
        psum[1:] = psum[:-1]
        psum[0] = 0
        np.multiply(left, weights, out=scratch)
        psum += scratch
        if record is not None:
            left_real[:, 1:] = left_real[:, :-1]
            left_real[:, 0] = valid & (src_rows < s_r)
            record(cycle, left, psum, weights, left_real & weights_real)
        # 4. Sums leaving the bottom of column c belong to step t of the fold that entered R-1+c cycles ago.
        folds, step, valid = _schedule(since_start - (num_rows - 1) - cols, period, temporal, num_folds)
        dst_cols = (folds // row_folds) * num_cols + cols
        valid &= dst_cols < s_c
        product[step[valid], dst_cols[valid]] += psum[-1, valid]
        num_delivered += int(np.count_nonzero(valid))
        if num_delivered == num_expected:
            return product[:, :s_c], cycle + 1
    raise _too_many_cycles(max_cycles)


def run_output_stationary(
    a: np.ndarray, b: np.ndarray, plan: FoldPlan, max_cycles: int, record: Recorder | None
) -> tuple[np.ndarray, int]:
    """Compute a @ b (S_R×T @ T×S_C) output-stationary; return (product, cycles)."""
    temporal, s_r, s_c = plan.temporal, plan.spatial_rows, plan.spatial_cols
    num_rows, num_cols, row_folds, col_folds, num_folds, period = _layout(plan)
    a_pad = np.zeros((row_folds * num_rows, temporal), a.dtype)
    a_pad[:s_r] = a
    b_pad = np.zeros((temporal, col_folds * num_cols), b.dtype)
    b_pad[:, :s_c] = b
    product = np.zeros((s_r, s_c), a.dtype)

    left = np.zeros((num_rows, num_cols), a.dtype)
    top, acc, scratch = np.zeros_like(left), np.zeros_like(left), np.zeros_like(left)
    left_real, top_real = np.zeros(left.shape, bool), np.zeros(left.shape, bool)
    rows, cols = np.arange(num_rows), np.arange(num_cols)
    num_expected, num_delivered = s_r * s_c, 0

    for cycle in range(max_cycles):
        # 1. A enters row r skewed by r cycles; B enters column c skewed by c cycles.
        fold, step, row_valid = _schedule(cycle - rows, period, temporal, num_folds)
        src_rows = (fold % row_folds) * num_rows + rows
        left[:, 1:] = left[:, :-1]
        left[:, 0] = np.where(row_valid, a_pad[src_rows, step], 0)
        fold, step, col_valid = _schedule(cycle - cols, period, temporal, num_folds)
        src_cols = (fold // row_folds) * num_cols + cols
        top[1:] = top[:-1]
        top[0] = np.where(col_valid, b_pad[step, src_cols], 0)
        # 2. Every PE accumulates its own output.
        np.multiply(left, top, out=scratch)
        acc += scratch
        if record is not None:
            left_real[:, 1:] = left_real[:, :-1]
            left_real[:, 0] = row_valid & (src_rows < s_r)
            top_real[1:] = top_real[:-1]
            top_real[0] = col_valid & (src_cols < s_c)
            record(cycle, left, top, acc, left_real & top_real)
        # 3. In column c, row r finishes fold f at cycle f·P + (T-1) + r + c and writes out on the column port.
        fold, done_row, valid = _schedule(cycle - (temporal - 1) - cols, period, num_rows, num_folds)
        dst_rows = (fold % row_folds) * num_rows + done_row
        dst_cols = (fold // row_folds) * num_cols + cols
        real = valid & (dst_rows < s_r) & (dst_cols < s_c)
        product[dst_rows[real], dst_cols[real]] = acc[done_row[real], cols[real]]
        acc[done_row[valid], cols[valid]] = 0
        num_delivered += int(np.count_nonzero(real))
        if num_delivered == num_expected:
            return product, cycle + 1
    raise _too_many_cycles(max_cycles)


def _too_many_cycles(max_cycles: int) -> RuntimeError:
    # Only reachable through a bug: simulate() sizes max_cycles from the closed form with a margin.
    return RuntimeError(f"internal error: the simulation did not finish within {max_cycles} cycles")
