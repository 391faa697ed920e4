"""The event-level timing model of one core: in-order engines that overlap, instructions that wait for their data.

Each engine (every DMA queue, the matrix unit, the vector and the scalar engine) runs its instructions in program
order. An instruction starts when its engine is free AND its inputs have landed (read-after-write) AND every
earlier read of the buffer it overwrites has finished (write-after-read: buffer reuse). Engines overlap freely.
Because a kernel issues instructions in program order and every dependency points backwards, start times can be
computed the moment an instruction is issued: one pass, constant work per instruction.

DMA queues share one pipe to HBM: a transfer occupies it for bytes / bandwidth after the queue's latency, so
several queues hide each other's latency but never exceed the bandwidth. The pipe is a calendar, not a queue: a
transfer issued late in the program but ready early (a load for the next block) takes the earliest free slot,
ahead of a store that was issued earlier but is still waiting for its result.

Matmuls follow chiplab.systolic's pipelined convention: a matmul that follows another on the matrix unit with no
gap streams back to back (its stationary tile was preloaded under the previous stream), exactly like consecutive
folds of one GEMM; one that finds the unit idle pays the preload. A single matmul therefore takes exactly
``chiplab.systolic.estimate(...).total_cycles``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from chiplab.kernels.params import CoreParams
from chiplab.systolic import estimate, plan_folds
from chiplab.workloads.gemm import Gemm

# One instruction as the timeline keeps it: (label, destination view, source views...), e.g. ("load", tile, hbm).
Op = tuple[Any, ...]


@dataclass(frozen=True)
class MatmulTiming:
    """Closed-form timing of one matmul instruction, in seconds."""

    total_s: float       # issue → result ready, when the unit was idle (= the closed form)
    preload_s: float     # part of total_s hidden when the matmul follows another back to back
    occupancy_s: float   # how long the unit is busy streaming (the next matmul may start after this)


class Calendar:
    """Busy intervals of one shared resource (the HBM pipe), kept sorted and merged where they touch."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []

    def reserve(self, earliest: float, duration: float) -> float:
        """Book the first free slot of ``duration`` at or after ``earliest``; return its start."""
        starts, ends = self.starts, self.ends
        i = bisect_right(ends, earliest)
        start = earliest
        while i < len(starts) and starts[i] - start < duration:
            start = max(start, ends[i])
            i += 1
        end = start + duration
        touches_left = i > 0 and ends[i - 1] >= start
        touches_right = i < len(starts) and starts[i] <= end
        if touches_left and touches_right:
            ends[i - 1] = ends.pop(i)
            starts.pop(i)
        elif touches_left:
            ends[i - 1] = end
        elif touches_right:
            starts[i] = start
        else:
            starts.insert(i, start)
            ends.insert(i, end)
        return start


class Scheduler:
    """Start and end times of every instruction, and the per-engine busy time."""

    def __init__(self, params: CoreParams, dataflow: str):
        self.params, self.dataflow = params, dataflow
        self.engine_names = [f"{params.engine_labels['dma']} {q}" for q in range(params.num_dma_queues)]
        self.engine_names += [params.engine_labels[e] for e in ("matrix", "vector", "scalar")]
        self.matrix = params.num_dma_queues
        self.vector, self.scalar = self.matrix + 1, self.matrix + 2
        self.free_s = [0.0] * len(self.engine_names)
        self.busy_s = [0.0] * len(self.engine_names)
        self.pipe = Calendar()
        self.last_matmul_end_s = -1.0
        self._matmul_cache: dict[tuple[int, int, int, str], MatmulTiming] = {}
        # The timeline: parallel lists, one entry per instruction (turned into arrays at the end).
        self.engines: list[int] = []
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.ops: list[Op] = []   # formatted on demand
        self.lines: list[int] = []

    def _record(self, engine: int, start: float, end: float, busy: float, op: Op, line: int) -> None:
        self.free_s[engine] = start + busy if engine == self.matrix else end
        self.busy_s[engine] += busy
        self.engines.append(engine)
        self.starts.append(start)
        self.ends.append(end)
        self.ops.append(op)
        self.lines.append(line)

    def dma(self, queue: int, ready_s: float, num_bytes: int, op: Op, line: int) -> float:
        start = max(self.free_s[queue], ready_s)
        transfer_s = num_bytes / self.params.offchip_bandwidth_bytes_per_s
        end = self.pipe.reserve(start + self.params.dma_latency_s, transfer_s) + transfer_s
        self._record(queue, start, end, end - start, op, line)
        return end

    def matmul_timing(self, m: int, n: int, k: int, dtype: str) -> MatmulTiming:
        """C[m, n] += A[m, k] @ B[k, n] on the core's matrix units: the closed form, split over the units."""
        key = (m, n, k, dtype)
        cached = self._matmul_cache.get(key)
        if cached is not None:
            return cached
        params = self.params
        # TPU TensorCores have several MXUs: the rows of A (the streamed dimension in WS) are shared among them.
        gemm = Gemm(m=math.ceil(m / params.num_matrix_units), n=n, k=k)
        plan = plan_folds(gemm, params.array, self.dataflow)
        cycles = estimate(gemm, params.array, self.dataflow).total_cycles
        preload, period = plan.preload_cycles, plan.period_cycles  # the same offset and period as ``cycles``
        # A dtype at r MACs per PE per cycle takes 1/r as long (fp32 at 0.25 on Trainium: 4 passes).
        seconds_per_cycle = 1.0 / (params.matrix_clock_hz * params.macs_per_pe_per_cycle(dtype))
        timing = MatmulTiming(total_s=cycles * seconds_per_cycle, preload_s=preload * seconds_per_cycle,
                              occupancy_s=(preload + plan.num_folds * period) * seconds_per_cycle)
        self._matmul_cache[key] = timing
        return timing

    def matmul(self, ready_s: float, timing: MatmulTiming, op: Op, line: int) -> float:
        free = self.free_s[self.matrix]
        start = max(free, ready_s)
        back_to_back = start == free and self.last_matmul_end_s >= 0 and start > 0
        hidden = timing.preload_s if back_to_back else 0.0
        end = start + timing.total_s - hidden
        self._record(self.matrix, start, end, timing.occupancy_s - hidden, op, line)
        self.last_matmul_end_s = end
        return end

    def elementwise(self, engine: int, ready_s: float, rows: int, cols: int, op: Op, line: int) -> float:
        """Vector or scalar engine: fixed overhead + one pass per (rows_per_cycle x cols_per_cycle) block."""
        p = self.params
        if engine == self.vector:
            per_rows, per_cols, clock = p.vector_rows_per_cycle, p.vector_cols_per_cycle, p.vector_clock_hz
        else:
            per_rows, per_cols, clock = p.scalar_rows_per_cycle, p.scalar_cols_per_cycle, p.scalar_clock_hz
        cycles = p.instruction_overhead_cycles + -(-rows // per_rows) * -(-cols // per_cols)
        start = max(self.free_s[engine], ready_s)
        end = start + cycles / clock
        self._record(engine, start, end, end - start, op, line)
        return end

    @property
    def total_s(self) -> float:
        return max(self.ends, default=0.0)
