"""A GEMM on a whole chip: split across its cores, tiled into each core's memories, fed by the chip's HBM.

How the pieces combine (each a stated assumption):

* **Cores.** The GEMM is cut into a grid of cm × cn × ck blocks, one per core: along m and n the cores own
  separate output blocks; along k ("split-K", as FlashDecoding does for long contexts) they each produce a
  partial C that is then summed, costing an extra write and read of ck fp32 partial outputs. Of the few grids
  tried (all rows, all columns, balanced, all k) the fastest wins. Each core runs its block through
  :func:`chiplab.memory.gemm_on_core` (systolic array + its own tiling), all cores in parallel.
* **Dataflow.** TPU and Trainium arrays hold weights (weight-stationary); a GPU tensor core accumulates C in
  registers while A and B stream past it, i.e. output-stationary — the catalog marks such units
  ``is_systolic_array = false``.
* **HBM traffic.** Cores without a shared on-chip level load their own tiles: the chip moves the sum of the
  cores' off-chip bytes. Where a chip-wide shared level exists (a GPU's L2, TPU v4's CMEM), tiles are shared
  through it: the chip is tiled once more with the shared level's capacity, and HBM moves that tiling's bytes.
  This is what lets a GPU's 100+ small SMs reach a high fraction of peak on large GEMMs.
* **Time** = max(compute, HBM bytes ÷ chip bandwidth, each per-core level with a known bandwidth), i.e. perfect
  double buffering; unknown on-chip bandwidths are not a limit (they are reported as unknown).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

from chiplab.hardware.chip import Chip
from chiplab.memory.core_view import core_view
from chiplab.memory.gemm_on_core import COMPUTE, GemmOnCore
from chiplab.memory.search import best_tiling
from chiplab.memory.tiling import offchip_traffic
from chiplab.workloads.gemm import Gemm


@dataclass(frozen=True)
class ChipGemm:
    """One GEMM on a whole chip."""

    gemm: Gemm
    chip_id: str
    core_grid: tuple[int, int, int]  # blocks along (m, n, k): cores used = product
    per_core: GemmOnCore  # the block of one core
    hbm_bytes: int
    hbm_bandwidth_bytes_per_s: float
    shared_level: str | None  # label of the level through which cores share tiles, if any
    time_s: float
    bottleneck: str
    peak_flops_per_s: float  # of the whole chip

    @property
    def num_cores_used(self) -> int:
        cm, cn, ck = self.core_grid
        return cm * cn * ck

    @property
    def compute_s(self) -> float:
        return self.per_core.compute_s

    @property
    def hbm_s(self) -> float:
        return self.hbm_bytes / self.hbm_bandwidth_bytes_per_s

    @property
    def achieved_flops_per_s(self) -> float:
        return self.gemm.num_flops / self.time_s

    @property
    def fraction_of_peak(self) -> float:
        return self.achieved_flops_per_s / self.peak_flops_per_s


def _core_grids(num_cores: int, gemm: Gemm) -> list[tuple[int, int, int]]:
    """A few ways to cut the GEMM among the cores: along n, along m, the most square m × n grid, along k."""
    square = max(d for d in range(1, math.isqrt(num_cores) + 1) if num_cores % d == 0)
    grids = {(1, num_cores, 1), (num_cores, 1, 1), (square, num_cores // square, 1),
             (num_cores // square, square, 1), (1, 1, num_cores)}
    # Never more blocks along a dimension than it has elements.
    return sorted({(min(cm, gemm.m), min(cn, gemm.n), min(ck, gemm.k)) for cm, cn, ck in grids})


def default_dataflow(chip: Chip) -> str:
    """Weight-stationary for systolic arrays (TPU, Trainium); output-stationary for GPU-style tensor cores."""
    return "ws" if chip.core.matrix_unit.is_systolic_array else "os"


def _shared_hbm_bytes(gemm: Gemm, chip: Chip, dataflow: str) -> tuple[int, str] | None:
    shared = next((lvl for lvl in chip.memory_levels if lvl.role == "shared" and lvl.capacity_bytes), None)
    if shared is None:
        return None
    # Tile the whole chip with the shared level as the "scratchpad" (no accumulator: partial sums stay per core).
    view = dataclasses.replace(core_view(chip, gemm.dtype, 1.0), scratchpad=shared, accumulator=None)
    tiling = best_tiling(gemm, view, dataflow).best.tiling
    return offchip_traffic(gemm, tiling).num_bytes(gemm.bytes_per_element), shared.vendor_label


# Split-K partial sums are kept in fp32 (4 bytes) however narrow the inputs (cuBLAS, FlashDecoding).
PARTIAL_SUM_BYTES = 4


@lru_cache(maxsize=8192)
def gemm_on_chip(gemm: Gemm, chip: Chip, dataflow: str | None = None) -> ChipGemm:
    """Time ``gemm`` on every core of ``chip`` (cached: a model step repeats the same shapes many times)."""
    dataflow = dataflow or default_dataflow(chip)
    shared = _shared_hbm_bytes(gemm, chip, dataflow)
    hbm_bandwidth = chip.hbm.bandwidth_bytes_per_s
    best: ChipGemm | None = None
    for grid in _core_grids(chip.num_cores, gemm):
        cm, cn, ck = grid
        per_core = place_on_core_grid(gemm, chip, grid, dataflow)
        hbm_bytes = shared[0] if shared else cm * cn * ck * per_core.level("offchip").num_bytes
        if ck > 1:  # every core writes its partial C, one reduction pass reads them all back
            hbm_bytes += 2 * ck * gemm.m * gemm.n * PARTIAL_SUM_BYTES
        parts = {COMPUTE: per_core.compute_s, chip.hbm.vendor_label: hbm_bytes / hbm_bandwidth}
        parts.update({lvl.label: lvl.time_s for lvl in per_core.levels[1:] if lvl.time_s is not None
                      and lvl.role != "shared"})
        bottleneck, time_s = max(parts.items(), key=lambda item: item[1])
        candidate = ChipGemm(gemm=gemm, chip_id=chip.id, core_grid=grid, per_core=per_core,
                             hbm_bytes=hbm_bytes, hbm_bandwidth_bytes_per_s=hbm_bandwidth,
                             shared_level=shared[1] if shared else None, time_s=time_s, bottleneck=bottleneck,
                             peak_flops_per_s=chip.peak_flops_per_s(gemm.dtype))
        if best is None or candidate.time_s < best.time_s:
            best = candidate
    return best


def place_on_core_grid(gemm: Gemm, chip: Chip, core_grid: tuple[int, int, int], dataflow: str) -> GemmOnCore:
    """One core's block of ``gemm`` under a grid, tiled as well as its memories allow."""
    cm, cn, ck = core_grid
    block = Gemm(m=math.ceil(gemm.m / cm), n=math.ceil(gemm.n / cn), k=math.ceil(gemm.k / ck), dtype=gemm.dtype)
    view = core_view(chip, gemm.dtype, 1.0 / (cm * cn * ck))
    return best_tiling(block, view, dataflow).best
