"""What the array looks like at one cycle, without simulating: closed-form occupancy, and snapshots.

Under the pipelined convention the operand that PE (r, c) holds at cycle τ is step t of fold f, where
s = τ - L - r - c = f·P + t (L = the first tile's load for WS/IS, 0 for OS; P = FoldPlan.period_cycles). The PE does
useful work if 0 <= t < T, f is a real fold and (r, c) lies inside that fold's real (unpadded) rows and columns.
For OS the two operands meet in PE (r, c) with the same (f, t), so one formula serves every dataflow. Scrubbing a
128×128 array through thousands of cycles therefore costs microseconds per frame and no trace memory; a test
checks this mask equals the cycle-level simulator's, PE by PE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.systolic.closed_form import pipelined_cycles
from chiplab.systolic.dataflow import Dataflow, FoldPlan


@dataclass(frozen=True)
class ArraySnapshot:
    """The array at one cycle: busy PEs and, when known (small simulated arrays), the values each PE holds."""

    dataflow: Dataflow
    cycle: int
    num_cycles: int
    busy: np.ndarray  # R×C bool
    left_values: np.ndarray | None = None
    top_values: np.ndarray | None = None
    stationary_values: np.ndarray | None = None

    @property
    def num_busy(self) -> int:
        return int(self.busy.sum())

    @property
    def has_values(self) -> bool:
        return self.left_values is not None


def busy_mask(plan: FoldPlan, cycle: int) -> np.ndarray:
    """R×C boolean mask of the PEs doing a useful multiply-accumulate at ``cycle`` (closed form)."""
    rows = np.arange(plan.num_rows)[:, None]
    cols = np.arange(plan.num_cols)[None, :]
    preload, period = plan.preload_cycles, plan.period_cycles
    since = cycle - preload - rows - cols
    fold, step = np.divmod(since, period)
    col_fold, row_fold = np.divmod(fold, plan.num_row_folds)
    return (
        (since >= 0)
        & (step < plan.temporal)
        & (fold < plan.num_folds)
        & (row_fold * plan.num_rows + rows < plan.spatial_rows)
        & (col_fold * plan.num_cols + cols < plan.spatial_cols)
    )


def snapshot(plan: FoldPlan, cycle: int) -> ArraySnapshot:
    """Occupancy of the array at ``cycle`` (no values), for any size of array and GEMM."""
    num_cycles = pipelined_cycles(plan)
    if not 0 <= cycle < num_cycles:
        raise ChiplabInputError(f"cycle must be between 0 and {num_cycles - 1}; got {cycle}")
    return ArraySnapshot(dataflow=plan.dataflow, cycle=cycle, num_cycles=num_cycles, busy=busy_mask(plan, cycle))
