"""Frames of an array at work for explorers: simulated values for small arrays, closed-form occupancy otherwise."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic.closed_form import SystolicTiming, estimate
from chiplab.systolic.dataflow import Dataflow
from chiplab.systolic.occupancy import ArraySnapshot, snapshot
from chiplab.systolic.simulator import SystolicRun, simulate
from chiplab.workloads.gemm import Gemm

# Simulate with values only where a student can read them and it costs a few milliseconds.
MAX_PES_WITH_VALUES = 64
MAX_PE_CYCLES_WITH_VALUES = 200_000


@dataclass(frozen=True)
class ArrayFrames:
    """Everything an explorer shows about one GEMM on one array: the timing and a snapshot per cycle."""

    timing: SystolicTiming
    run: SystolicRun | None  # present when small enough to simulate with values

    @property
    def num_cycles(self) -> int:
        return self.timing.total_cycles

    def snapshot(self, cycle: int) -> ArraySnapshot:
        if self.run is not None:
            return loading_snapshot(self.run, cycle)
        return snapshot(self.timing.plan, cycle)


def loading_snapshot(run: SystolicRun, cycle: int) -> ArraySnapshot:
    """``run.trace.snapshot(cycle)``, with each PE's stationary value shown as a student should see it.

    The simulator keeps the stationary operand of WS (B) and IS (A) in a shadow register while it is loaded, and
    swaps it in as the first streaming input reaches the PE (``engines.run_stationary``: the swap wave reaches
    anti-diagonal r + c at cycle L + r + c, after the L loading cycles; L = R at one row a cycle). Its trace
    records only the register in use, so every PE would read 0 during the loading cycles and until its first MAC.
    Here a PE shows its weight from the cycle its row has been loaded (row r at cycle r // rows loaded per cycle,
    the weights shifting down from the top edge) and NaN (drawn as a dot) before; OS snapshots are unchanged
    (what stays there is the partial sum).
    """
    if run.trace is None:
        raise ChiplabInputError("loading_snapshot needs a run simulated with a trace (simulate(..., trace='full'))")
    snap = run.trace.snapshot(cycle)
    if snap.dataflow is Dataflow.OS or snap.stationary_values is None:
        return snap
    num_rows, num_cols = snap.busy.shape
    rows, cols = np.indices((num_rows, num_cols))
    swap_cycle = run.plan.preload_cycles + rows + cols
    loaded_cycle = rows // run.array.stationary_load_rows_per_cycle  # rows enter k at a time (default k = 1)
    waiting = cycle < swap_cycle
    if not waiting.any():
        return snap
    history = cast(np.ndarray, run.trace.stationary_values)  # recorded: this snapshot has stationary values
    first_weight = history[np.minimum(swap_cycle, history.shape[0] - 1), rows, cols].astype(np.float64)
    shown = snap.stationary_values.astype(np.float64)
    shown[waiting] = np.where(cycle >= loaded_cycle, first_weight, np.nan)[waiting]
    return replace(snap, stationary_values=shown)


def array_frames(gemm: Gemm, array: SystolicArraySpec, dataflow: Dataflow | str = "ws", seed: int = 0) -> ArrayFrames:
    """Time ``gemm`` (pipelined) and, for small arrays, simulate it on small random integers to show values.

    >>> frames = array_frames(Gemm(m=3, n=3, k=3), SystolicArraySpec(num_rows=2, num_cols=2))
    >>> frames.run is not None, frames.snapshot(0).cycle
    (True, 0)
    """
    timing = estimate(gemm, array, dataflow)
    small = array.num_pes <= MAX_PES_WITH_VALUES and timing.total_cycles * array.num_pes <= MAX_PE_CYCLES_WITH_VALUES
    run = None
    if small:
        rng = np.random.default_rng(seed)
        a = rng.integers(-3, 4, (gemm.m, gemm.k))
        b = rng.integers(-3, 4, (gemm.k, gemm.n))
        run = simulate(a, b, array, dataflow, trace="full")
    return ArrayFrames(timing=timing, run=run)
