"""A GEMM on one core of a chip: tiles, bytes across every level boundary, time per level, the bottleneck.

Time model: with double buffering every level transfers while the array computes, so the GEMM takes as long as
its slowest part, max(compute, each level's bytes ÷ bandwidth); without it, loads from off-chip memory and compute
take turns (compute + off-chip time). A level whose bandwidth no source publishes (most on-chip SRAMs) is
reported with its bytes but no time, and cannot be the bottleneck — say so when you quote a result.

Work among a core's matrix units (TPU v5p: 4 MXUs per TensorCore; H100: 4 tensor cores per SM). A compiler
gives each unit part of the GEMM; which part decides how busy the units are, so the split is chosen per GEMM,
fewest cycles wins (ties: the order below):

* ``"n"``: each unit its own block of output columns (C[:, n/u]);
* ``"m"``: each unit its own block of output rows;
* ``"k"``: each unit a slice of the reduction, partial sums added in the accumulator (split-K). This is how a
  GEMV-like op (a few rows, a long k) keeps every unit busy: split along n or m, most units would idle;
* ``"batch"``: with several same-shape GEMMs in one stream (attention heads, experts), each unit takes whole GEMMs.

Batched same-shape GEMMs (``num_batched``) run as one stream: the next GEMM's folds follow the last fold of the
previous one exactly as the folds of one GEMM follow each other, so fill and drain are paid once per stream, not
once per GEMM. In the pipelined convention fold f of the stream ends at L + f·P + T + edge − 2 (see
:mod:`chiplab.systolic.closed_form`), so b GEMMs of F folds each take the cycles of one GEMM plus (b − 1)·F·P.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from chiplab._checks import instance_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import MemoryLevel
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.memory.core_views import CoreView, core_view
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


class BatchThroughput:
    """What a placed stream of ``num_batched`` same-shape GEMMs achieves, for every result that times one: a
    core's (:class:`GemmOnCore`) and a chip's (``chiplab.perf.ChipGemm``). Its subclasses are dataclasses holding
    these four fields."""

    gemm: Gemm
    num_batched: int
    time_s: float  # of the whole stream
    peak_flops_per_s: float  # of the unit the stream ran on (a core, a chip)

    @property
    def achieved_flops_per_s(self) -> float:
        return self.num_batched * self.gemm.num_flops / self.time_s

    @property
    def fraction_of_peak(self) -> float:
        return self.achieved_flops_per_s / self.peak_flops_per_s


@dataclass(frozen=True)
class GemmOnCore(BatchThroughput):
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
    num_batched: int = 1  # same-shape GEMMs run as one stream (each level's bytes and the times cover all of them)
    unit_split: str = "n"  # how the GEMM is shared among the core's matrix units: "n", "m", "k" or "batch"

    @property
    def stall_s(self) -> float:
        """Time the array waits for data: total time beyond the compute time."""
        return self.time_s - self.compute_s

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
        known = ", ".join(f"{level.label} ({level.role})" for level in self.levels)
        raise ChiplabInputError(f"label_or_role must name one of this GEMM's levels: {known}; "
                                f"got {label_or_role!r}")


def _level(memory: MemoryLevel, num_bytes: int, bandwidth: float | None, flops: int) -> LevelTraffic:
    time = None if bandwidth is None else num_bytes / bandwidth
    return LevelTraffic(memory.vendor_label, memory.role, num_bytes, bandwidth, time, flops)


UNIT_SPLITS = ("n", "m", "k", "batch")


def _stream_cycles(timing: SystolicTiming, num_batched: int) -> int:
    """Cycles of ``num_batched`` copies of ``timing``'s GEMM streamed back to back on one array (module docstring)."""
    plan = timing.plan
    return timing.total_cycles + (num_batched - 1) * plan.num_folds * plan.period_cycles


def _unit_share(gemm: Gemm, num_units: int, split: str, num_batched: int) -> tuple[Gemm, int]:
    """One unit's GEMM and how many of them it streams, under a split."""
    if split == "batch":
        return gemm, math.ceil(num_batched / num_units)
    sizes = {"m": gemm.m, "n": gemm.n, "k": gemm.k}
    sizes[split] = math.ceil(sizes[split] / num_units)
    return Gemm(m=sizes["m"], n=sizes["n"], k=sizes["k"], dtype=gemm.dtype), num_batched


@lru_cache(maxsize=16384)
def _best_unit_split(gemm: Gemm, array: SystolicArraySpec, dataflow: Dataflow | str, num_units: int,
                     num_batched: int) -> tuple[SystolicTiming, int, str]:
    """The unit split with the fewest cycles (cached: a chip's core grids repeat the same blocks)."""
    best: tuple[SystolicTiming, int, str] | None = None
    for split in UNIT_SPLITS if num_units > 1 else ("n",):
        if split == "batch" and num_batched == 1:
            continue
        share, streamed = _unit_share(gemm, num_units, split, num_batched)
        timing = estimate(share, array, dataflow)
        cycles = _stream_cycles(timing, streamed)
        if best is None or cycles < best[1]:
            best = (timing, cycles, split)
    return cast(tuple[SystolicTiming, int, str], best)  # the "n" split always runs


def _compute(view: CoreView, gemm: Gemm, dataflow: Dataflow | str,
             num_batched: int = 1) -> tuple[SystolicTiming, float, str]:
    """Per-unit systolic timing, the core's compute time and the unit split with the fewest cycles."""
    timing, cycles, split = _best_unit_split(gemm, view.array, dataflow, view.num_units, num_batched)
    utilization = num_batched * gemm.num_macs / (view.num_units * view.array.num_pes * cycles)
    return timing, num_batched * gemm.num_flops / (view.peak_flops_per_s * utilization), split


def place_gemm(gemm: Gemm, view: CoreView, tiling: Tiling, dataflow: Dataflow | str = "ws",
               accumulator_bytes: int | None = None, num_batched: int = 1) -> GemmOnCore:
    """Evaluate one tiling (already chosen) of ``gemm`` on the core ``view``; ``num_batched`` same-shape GEMMs
    (each tiled alike) run as one stream. Off-chip bytes count each operand at its stored width (narrow weights
    cost their narrow bytes); partial sums are ``accumulator_bytes`` wide (default: the GEMM's accumulator)."""
    instance_of("gemm", gemm, Gemm, "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)")
    instance_of("view", view, CoreView, "a CoreView from chiplab.memory.core_view(chip)")
    num_batched = positive_int("num_batched", num_batched)
    accumulator_bytes = gemm.accumulator_bytes if accumulator_bytes is None else accumulator_bytes
    tiling = require_tiling_dims(tiling).clipped_to(gemm)
    fp = footprint(tiling, gemm.bytes_per_element, accumulator_bytes)
    acc = view.accumulator
    # core_view() refuses a chip without a scratchpad capacity or an off-chip bandwidth, so neither is None here
    check_fits(fp, view.scratchpad.vendor_label, cast(int, view.scratchpad.capacity_bytes),
               None if acc is None else acc.vendor_label, None if acc is None else acc.capacity_bytes)
    systolic, compute_s, unit_split = _compute(view, gemm, dataflow, num_batched)
    traffic = offchip_traffic(gemm, tiling)
    offchip_bytes = num_batched * traffic.bytes_of(gemm)
    flops = num_batched * gemm.num_flops
    levels = [_level(view.offchip, offchip_bytes, view.offchip_bandwidth_bytes_per_s, flops)]
    if view.shared is not None:  # a chip-wide cache/SRAM between HBM and the cores: every off-chip byte passes
        bandwidth = view.shared.bandwidth_bytes_per_s
        share = view.offchip_bandwidth_bytes_per_s / cast(float, view.offchip.bandwidth_bytes_per_s)
        levels.append(_level(view.shared, offchip_bytes, None if bandwidth is None else bandwidth * share, flops))
    # Array side: operand reads (every unit's share) plus partial sums, into the accumulator if there is one.
    sram = systolic.sram
    # Each unit reads its share's operands (``systolic`` is one unit's share of one GEMM): scale by the number of
    # such shares in the stream (units × GEMMs, or the GEMMs themselves under the "batch" split).
    num_shares = num_batched * (1 if unit_split == "batch" else view.num_units)
    operand_bytes = num_shares * (sram.num_a_reads + sram.num_b_reads) * gemm.bytes_per_element
    psum_bytes = num_shares * (sram.num_c_reads + sram.num_c_writes) * accumulator_bytes
    scratch_bytes = operand_bytes + offchip_bytes + (0 if acc is not None else psum_bytes)
    levels.append(_level(view.scratchpad, scratch_bytes, view.scratchpad.bandwidth_bytes_per_s, flops))
    if acc is not None:
        levels.append(_level(acc, psum_bytes, acc.bandwidth_bytes_per_s, flops))
    timed = {level.label: level.time_s for level in levels if level.time_s is not None}
    if tiling.double_buffered:
        bottleneck, time_s = max([(COMPUTE, compute_s), *timed.items()], key=lambda item: item[1])
    else:
        offchip_s = cast(float, levels[0].time_s)  # timed: the off-chip bandwidth is known
        time_s = compute_s + offchip_s
        bottleneck = COMPUTE if compute_s >= offchip_s else levels[0].label
    return GemmOnCore(gemm=gemm, chip_id=view.chip.id, tiling=tiling, footprint=fp, offchip=traffic,
                      systolic=systolic, levels=tuple(levels), compute_s=compute_s, time_s=time_s,
                      bottleneck=bottleneck, peak_flops_per_s=view.peak_flops_per_s, num_batched=num_batched,
                      unit_split=unit_split)


def gemm_on_core(gemm: Gemm, chip: Chip, tiling: Tiling | None = None, dataflow: Dataflow | str = "ws",
                 accumulator_bytes: int = 4, offchip_share_fraction: float | None = None) -> GemmOnCore:
    """Put ``gemm`` on one core of ``chip``; with no ``tiling``, use the best one (:func:`best_tiling`).

    >>> from chiplab.hardware import load_chip
    >>> result = gemm_on_core(Gemm(m=8, n=8, k=8, dtype="int8"), load_chip("toy_4x4"))
    >>> result.bottleneck, result.tiling.tile_m
    ('DRAM', 4)
    """
    instance_of("gemm", gemm, Gemm, "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)")
    view = core_view(chip, gemm.dtype, offchip_share_fraction)
    if tiling is None:
        from chiplab.memory.search import best_tiling

        return best_tiling(gemm, view, dataflow, accumulator_bytes).best
    return place_gemm(gemm, view, tiling, dataflow, accumulator_bytes)
