"""Frames of an array at work for explorers: simulated values for small arrays, closed-form occupancy otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
            return self.run.trace.snapshot(cycle)
        return snapshot(self.timing.plan, cycle)


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
