"""What a student sees after running a kernel: the values, the time, how busy each engine was, the bytes each
memory level moved, the kernel's place on the core's roofline, and the timeline the figure draws."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.kernels.params import CoreParams
from chiplab.tables import markdown_table
from chiplab.units import format_bytes, format_rate, format_seconds

if TYPE_CHECKING:
    from chiplab.kernels.language import Kernel
    from chiplab.kernels.program import Recording
    from chiplab.kernels.schedule import Op


@dataclass(frozen=True)
class EngineUsage:
    """One engine's share of the run."""

    name: str
    busy_s: float
    num_instructions: int
    total_s: float

    @property
    def idle_s(self) -> float:
        return max(self.total_s - self.busy_s, 0.0)

    @property
    def busy_fraction(self) -> float:
        return min(self.busy_s / self.total_s, 1.0) if self.total_s > 0 else 0.0


@dataclass(frozen=True)
class LevelTraffic:
    """Bytes read from and written to one memory level (HBM, SBUF, PSUM, VMEM, ...)."""

    level: str
    read_bytes: int
    written_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.read_bytes + self.written_bytes


@dataclass(frozen=True)
class RooflinePosition:
    """Where the kernel sits on one core's roofline (matrix peak; off-chip bandwidth share of the core)."""

    intensity_flops_per_byte: float
    ridge_flops_per_byte: float
    attainable_flops_per_s: float
    achieved_flops_per_s: float
    peak_flops_per_s: float
    bandwidth_bytes_per_s: float

    @property
    def bound(self) -> str:
        return "compute" if self.intensity_flops_per_byte >= self.ridge_flops_per_byte else "memory"


@dataclass(frozen=True)
class Timeline:
    """One row per instruction: which engine, when it started and ended, what it was, its kernel line."""

    engine_names: tuple[str, ...]
    engine: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    ops: tuple[Op, ...]
    lines: np.ndarray

    @property
    def num_instructions(self) -> int:
        return len(self.ops)

    def label(self, i: int) -> str:
        """The instruction's kind: "load", "store", "matmul", "dot", "copy", "activation:exp", ..."""
        return str(self.ops[i][0])

    def op_text(self, i: int) -> str:
        """The instruction as a student would write it: ``matmul acc 0.0[0:128, 0:512] ← a_t strip ...``."""
        label, dst, *sources = self.ops[i]
        text = f"{label} {dst.describe()}"
        return text + (" ← " + ", ".join(s.describe() for s in sources) if sources else "")

    def describe(self, i: int) -> str:
        """What hovering over instruction ``i`` shows."""
        return (f"{self.engine_names[self.engine[i]]}: {self.op_text(i)} (kernel line {self.lines[i]}), "
                f"{format_seconds(self.start_s[i])} → {format_seconds(self.end_s[i])}")


@dataclass(frozen=True)
class KernelRun:
    """The result of :meth:`chiplab.kernels.Kernel.finish`."""

    name: str
    params: CoreParams
    total_s: float
    outputs: Mapping[str, np.ndarray | None]
    engines: tuple[EngineUsage, ...]
    traffic: tuple[LevelTraffic, ...]
    matrix_flops_by_dtype: Mapping[str, int]
    vector_elements: int
    roofline: RooflinePosition
    timeline: Timeline = field(repr=False)
    # (chip id, dataflow, kernel name, every declaration and instruction): what ``program`` writes out
    recorded: Recording | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def program(self) -> str:
        """The kernel as one line of text that :func:`chiplab.kernels.replay` runs again on other inputs (what
        the kernel assignment hands in)."""
        from chiplab.kernels.program import program_text

        if self.recorded is None:
            raise ChiplabInputError("this run has no recorded program: only a run from Kernel.finish() has one")
        return program_text(*self.recorded)

    @property
    def matrix_flops(self) -> int:
        return sum(self.matrix_flops_by_dtype.values())

    @property
    def peak_fraction(self) -> float:
        """Achieved fraction of the matrix unit's peak: (time the matmuls need at peak) / (time taken)."""
        if self.total_s <= 0:
            return 0.0
        ideal = sum(f / self.params.peak_flops_per_s(d) for d, f in self.matrix_flops_by_dtype.items())
        return ideal / self.total_s

    def engine(self, role: str) -> EngineUsage:
        """Usage of the "matrix", "vector" or "scalar" engine, or "dma" (all queues together, busy = any busy)."""
        labels = self.params.engine_labels
        if role == "dma":
            queues = [e for e in self.engines if e.name.startswith(labels["dma"])]
            mask = self.timeline.engine < len(queues)
            busy = _union_length(self.timeline.start_s[mask], self.timeline.end_s[mask])
            return EngineUsage(labels["dma"], busy, int(mask.sum()), self.total_s)
        return next(e for e in self.engines if e.name == labels[role])

    def level(self, label: str) -> LevelTraffic:
        return next((t for t in self.traffic if t.level.lower() == label.lower()), LevelTraffic(label, 0, 0))

    def summary_table(self) -> str:
        """Markdown: the headline numbers, then one row per engine and per memory level."""
        rows: list[list[object]] = [["total time", format_seconds(self.total_s)],
                ["instructions", self.timeline.num_instructions],
                ["fraction of matrix peak", f"{self.peak_fraction:.1%}"],
                ["roofline", f"{self.roofline.intensity_flops_per_byte:.3g} FLOP/byte, {self.roofline.bound}-bound "
                             f"(ridge {self.roofline.ridge_flops_per_byte:.3g})"]]
        rows += [[f"{e.name} busy", f"{format_seconds(e.busy_s)} ({e.busy_fraction:.0%})"] for e in self.engines
                 if e.num_instructions]
        rows += [[f"{t.level} traffic", f"{format_bytes(t.read_bytes)} read, {format_bytes(t.written_bytes)} written"]
                 for t in self.traffic]
        rows.append(["achieved", format_rate(self.roofline.achieved_flops_per_s, "FLOP/s")])
        return markdown_table([self.name, self.params.chip.display_name], rows)


def _union_length(starts: np.ndarray, ends: np.ndarray) -> float:
    """Length of the union of intervals (time at least one DMA queue was busy)."""
    if len(starts) == 0:
        return 0.0
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    gaps = np.maximum(starts[1:] - ends[:-1], 0.0)
    return float(ends[-1] - starts[0] - gaps.sum())


def build_run(kernel: Kernel) -> KernelRun:
    schedule, params = kernel.schedule, kernel.params
    total = schedule.total_s
    counts = np.bincount(np.asarray(schedule.engines, dtype=np.int64), minlength=len(schedule.engine_names))
    engines = tuple(EngineUsage(name, busy, int(n), total)
                    for name, busy, n in zip(schedule.engine_names, schedule.busy_s, counts, strict=True))
    traffic = tuple(LevelTraffic(level, r, w) for level, (r, w) in kernel.traffic.items())
    flops = dict(kernel.matrix_flops)
    offchip = sum(t.total_bytes for t in traffic if t.level == params.offchip.vendor_label)
    dtype = max(flops, key=lambda d: flops[d]) if flops else "bf16"
    peak = params.peak_flops_per_s(dtype if flops else next(iter(params.chip.core.matrix_unit.macs_per_pe_per_cycle),
                                                                 "bf16"))
    bandwidth = params.offchip_bandwidth_bytes_per_s
    intensity = sum(flops.values()) / offchip if offchip else float("inf")
    achieved = sum(flops.values()) / total if total > 0 else 0.0
    roofline = RooflinePosition(intensity_flops_per_byte=intensity, ridge_flops_per_byte=peak / bandwidth,
                                attainable_flops_per_s=min(peak, intensity * bandwidth),
                                achieved_flops_per_s=achieved, peak_flops_per_s=peak,
                                bandwidth_bytes_per_s=bandwidth)
    timeline = Timeline(engine_names=tuple(schedule.engine_names),
                        engine=np.asarray(schedule.engines, dtype=np.int64),
                        start_s=np.asarray(schedule.starts), end_s=np.asarray(schedule.ends),
                        ops=tuple(schedule.ops), lines=np.asarray(schedule.lines, dtype=np.int64))
    outputs = {t.name: t.value for t in kernel.outputs}
    return KernelRun(name=kernel.name, params=params, total_s=total, outputs=outputs, engines=engines,
                     traffic=traffic, matrix_flops_by_dtype=flops, vector_elements=kernel.vector_elements,
                     roofline=roofline, timeline=timeline,
                     recorded=(params.chip.id, kernel.dataflow, kernel.name, kernel.recorded))
