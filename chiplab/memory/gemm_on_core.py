"""A GEMM on one core of a chip: tiles, bytes across every level boundary, time per level, the bottleneck.

Time model: with double buffering every level transfers while the array computes, so the GEMM takes as long as
its slowest part, max(compute, each level's bytes ÷ bandwidth); without it, loads from off-chip memory and compute
take turns (compute + off-chip time). A level whose bandwidth no source publishes (most on-chip SRAMs) is
reported with its bytes but no time, and cannot be the bottleneck — say so when you quote a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chiplab.hardware.chip import Chip
from chiplab.memory.core_view import CoreView, core_view
from chiplab.memory.tiling import (
    OffchipTraffic,
    TileFootprint,
    Tiling,
    check_fits,
    footprint,
    offchip_traffic,
    require_tiling_dims,
)
from chiplab.systolic.closed_form import SystolicTiming, estimate
from chiplab.systolic.dataflow import Dataflow
from chiplab.workloads.gemm import Gemm

COMPUTE = "compute"


@dataclass(frozen=True)
class LevelTraffic:
    """Bytes moved at one memory level and the time they take at its bandwidth (None when unknown)."""

    label: str
    role: str
    num_bytes: int
    bandwidth_bytes_per_s: float | None
    time_s: float | None
    flops: int

    @property
    def intensity_flops_per_byte(self) -> float:
        """Operational intensity at this level: FLOPs (2 per MAC) per byte moved here."""
        return self.flops / self.num_bytes if self.num_bytes else math.inf


@dataclass(frozen=True)
class GemmOnCore:
    """Everything the memory model says about one GEMM on one core."""

    gemm: Gemm
    chip_id: str
    tiling: Tiling
    footprint: TileFootprint
    offchip: OffchipTraffic
    systolic: SystolicTiming  # of one matrix unit's share of the GEMM
    levels: tuple[LevelTraffic, ...]  # outermost → innermost
    compute_s: float
    time_s: float
    bottleneck: str  # a level's label, or "compute"
    peak_flops_per_s: float  # of the core

    @property
    def stall_s(self) -> float:
        """Time the array waits for data: total time beyond the compute time."""
        return self.time_s - self.compute_s

    @property
    def achieved_flops_per_s(self) -> float:
        return self.gemm.num_flops / self.time_s

    @property
    def fraction_of_peak(self) -> float:
        return self.achieved_flops_per_s / self.peak_flops_per_s

    @property
    def a_reuse(self) -> float:
        """MACs per element of A loaded from off-chip memory (≈ tile_n): how often each load is used."""
        return self.gemm.num_macs / self.offchip.num_a_loads

    @property
    def b_reuse(self) -> float:
        """MACs per element of B loaded from off-chip memory (≈ tile_m)."""
        return self.gemm.num_macs / self.offchip.num_b_loads

    def level(self, label_or_role: str) -> LevelTraffic:
        for level in self.levels:
            if label_or_role in (level.label, level.role):
                return level
        raise KeyError(label_or_role)


def _level(memory, num_bytes: int, bandwidth: float | None, flops: int) -> LevelTraffic:
    time = None if bandwidth is None else num_bytes / bandwidth
    return LevelTraffic(memory.vendor_label, memory.role, num_bytes, bandwidth, time, flops)


def _compute(view: CoreView, gemm: Gemm, dataflow: Dataflow | str) -> tuple[SystolicTiming, float]:
    """Per-unit systolic timing (each unit takes ⌈n / units⌉ columns) and the core's compute time."""
    share = Gemm(m=gemm.m, n=math.ceil(gemm.n / view.num_units), k=gemm.k, dtype=gemm.dtype)
    timing = estimate(share, view.array, dataflow)
    utilization = gemm.num_macs / (view.num_units * view.array.num_pes * timing.total_cycles)
    return timing, gemm.num_flops / (view.peak_flops_per_s * utilization)


def place_gemm(gemm: Gemm, view: CoreView, tiling: Tiling, dataflow: Dataflow | str = "ws",
               accumulator_bytes: int = 4) -> GemmOnCore:
    """Evaluate one tiling (already chosen) of ``gemm`` on the core ``view``."""
    tiling = require_tiling_dims(tiling).clipped_to(gemm)
    fp = footprint(tiling, gemm.bytes_per_element, accumulator_bytes)
    acc = view.accumulator
    check_fits(fp, view.scratchpad.vendor_label, view.scratchpad.capacity_bytes,
               None if acc is None else acc.vendor_label, None if acc is None else acc.capacity_bytes)
    systolic, compute_s = _compute(view, gemm, dataflow)
    traffic = offchip_traffic(gemm, tiling)
    offchip_bytes = traffic.num_bytes(gemm.bytes_per_element)
    flops = gemm.num_flops
    levels = [_level(view.offchip, offchip_bytes, view.offchip_bandwidth_bytes_per_s, flops)]
    if view.shared is not None:  # a chip-wide cache/SRAM between HBM and the cores: every off-chip byte passes
        bandwidth = view.shared.bandwidth_bytes_per_s
        share = view.offchip_bandwidth_bytes_per_s / view.offchip.bandwidth_bytes_per_s
        levels.append(_level(view.shared, offchip_bytes, None if bandwidth is None else bandwidth * share, flops))
    # Array side: operand reads (every unit's share) plus partial sums, into the accumulator if there is one.
    sram = systolic.sram
    operand_bytes = view.num_units * (sram.num_a_reads + sram.num_b_reads) * gemm.bytes_per_element
    psum_bytes = view.num_units * (sram.num_c_reads + sram.num_c_writes) * accumulator_bytes
    scratch_bytes = operand_bytes + offchip_bytes + (0 if acc is not None else psum_bytes)
    levels.append(_level(view.scratchpad, scratch_bytes, view.scratchpad.bandwidth_bytes_per_s, flops))
    if acc is not None:
        levels.append(_level(acc, psum_bytes, acc.bandwidth_bytes_per_s, flops))
    timed = {level.label: level.time_s for level in levels if level.time_s is not None}
    if tiling.double_buffered:
        bottleneck, time_s = max([(COMPUTE, compute_s), *timed.items()], key=lambda item: item[1])
    else:
        time_s = compute_s + levels[0].time_s
        bottleneck = COMPUTE if compute_s >= levels[0].time_s else levels[0].label
    return GemmOnCore(gemm=gemm, chip_id=view.chip.id, tiling=tiling, footprint=fp, offchip=traffic,
                      systolic=systolic, levels=tuple(levels), compute_s=compute_s, time_s=time_s,
                      bottleneck=bottleneck, peak_flops_per_s=view.peak_flops_per_s)


def gemm_on_core(gemm: Gemm, chip: Chip, tiling: Tiling | None = None, dataflow: Dataflow | str = "ws",
                 accumulator_bytes: int = 4, offchip_share_fraction: float | None = None) -> GemmOnCore:
    """Put ``gemm`` on one core of ``chip``; with no ``tiling``, use the best one (:func:`best_tiling`).

    >>> from chiplab.hardware import load_chip
    >>> result = gemm_on_core(Gemm(m=8, n=8, k=8, dtype="int8"), load_chip("toy_4x4"))
    >>> result.bottleneck, result.tiling.tile_m
    ('DRAM', 4)
    """
    view = core_view(chip, gemm.dtype, offchip_share_fraction)
    if tiling is None:
        from chiplab.memory.search import best_tiling

        return best_tiling(gemm, view, dataflow, accumulator_bytes).best
    return place_gemm(gemm, view, tiling, dataflow, accumulator_bytes)
