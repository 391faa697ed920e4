"""A GEMM on a whole chip: split across its cores, tiled into each core's memories, fed by the chip's HBM.

How the pieces combine (each a stated assumption):

* **Cores.** The GEMM is cut into a grid of cm × cn × ck blocks, one per core: along m and n the cores own
  separate output blocks; along k ("split-K", as FlashDecoding does for long contexts) they each produce a
  partial C that is then summed, costing an extra write and read of ck fp32 partial outputs. Of the few grids
  tried (all rows, all columns, balanced, all k, and tile-aligned: blocks of whole array tiles with the cores
  left over idle, as a GEMM library's wave quantization does, so one row more than a tile per core does not
  double every core's tiles) the fastest wins. Each core runs its block through
  :func:`chiplab.memory.gemm_on_core` (systolic array + its own tiling), all cores in parallel.
* **Stationary operand and dataflow, chosen per GEMM** (as XLA and the Neuron compiler do). A systolic array
  (TPU MXU, Trainium Tensor Engine) holds one operand in its PEs while the other streams past. Which one is the
  compiler's choice: C = A·B holds B (weight-stationary, "ws"), and the same array computing Cᵀ = Bᵀ·Aᵀ holds A
  (input-stationary, "is"). Every fold of a stationary tile costs a tile load, R cycles at one row a cycle (TPU)
  or fewer where the chip's data says so (Trainium's 64-cycle "Fast LoadStationary"; see
  :mod:`chiplab.systolic.closed_form`), so the operand that gives the fewest folds × cycles wins; for a
  GEMV-like op (a handful of rows against a long matrix) no choice keeps the array busy, the matrix must be read
  from HBM anyway, and the op comes out bandwidth-bound, as measured. A GPU tensor core accumulates C in
  registers while A and B stream past it, i.e. output-stationary ("os") only — the catalog marks such units
  ``is_systolic_array = false``. The choice is reported in :attr:`ChipGemm.mapping`.
* **Batches of same-shape GEMMs** (attention heads × sequences, experts, micro-batches: ``num_batched``) run as
  one stream whose folds overlap (one fill and drain per stream), spread over cores by whole GEMMs where that is
  faster than splitting each GEMM (see :mod:`chiplab.memory.core_gemm`).
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

from chiplab._checks import instance_of, positive_int, published
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.memory.core_gemm import COMPUTE, BatchThroughput, GemmOnCore, place_gemm
from chiplab.memory.core_views import core_view
from chiplab.memory.search import best_tiling
from chiplab.memory.tiling import offchip_traffic
from chiplab.systolic.dataflow import MAPPINGS, parse_dataflow
from chiplab.workloads.gemm import Gemm


@dataclass(frozen=True)
class ChipGemm(BatchThroughput):
    """``num_batched`` same-shape GEMMs on a whole chip (one, unless a batch was asked for)."""

    gemm: Gemm
    chip_id: str
    core_grid: tuple[int, int, int]  # blocks of each GEMM along (m, n, k)
    per_core: GemmOnCore  # the stream of one core: its GEMMs' blocks
    hbm_bytes: int  # of the whole batch
    hbm_bandwidth_bytes_per_s: float
    shared_level: str | None  # label of the level through which cores share tiles, if any
    time_s: float  # of the whole batch
    bottleneck: str
    peak_flops_per_s: float  # of the whole chip
    dataflow: str = "ws"
    num_batched: int = 1
    num_batch_groups: int = 1  # groups of cores, each running whole GEMMs of the batch

    @property
    def compute_s(self) -> float:
        return self.per_core.compute_s

    @property
    def hbm_s(self) -> float:
        return self.hbm_bytes / self.hbm_bandwidth_bytes_per_s

    @property
    def mapping(self) -> str:
        """The compiler's choice in words, e.g. "WS (B stationary), 1,536 GEMMs batched, cores 1×1×2, units split k"."""
        mapping = MAPPINGS[parse_dataflow(self.dataflow)]
        cm, cn, ck = self.core_grid
        parts = [f"{mapping.dataflow.value.upper()} ({mapping.stationary_operand} stationary)"]
        if self.num_batched > 1:
            parts.append(f"{self.num_batched:,} GEMMs batched over {self.num_batch_groups} core group(s)")
        parts.append(f"cores {cm}×{cn}×{ck} (m×n×k)")
        parts.append(f"units split {self.per_core.unit_split}")
        return ", ".join(parts)


# Tile-aligned block counts tried per dimension: each core's block is j whole array tiles for this many values of j,
# starting at the fewest tiles that every core can hold. Four keeps the list short (the search runs in every
# estimate) while reaching one more tile per core on either side of a tile boundary.
ALIGNED_COUNTS_PER_DIMENSION = 4


def _aligned_block_counts(size: int, tile: int, cores: int) -> set[int]:
    """Block counts along a dimension of ``size`` elements that give each block a whole number j of ``tile``-wide
    array tiles (the last block may be short), for the smallest j that needs no more than ``cores`` blocks and
    the next few. A GEMM library picks its tiles this way and lets the cores left over idle (wave quantization)
    rather than cutting a dimension evenly into one element more than a tile per core, which doubles the tiles
    each core computes."""
    num_tiles = math.ceil(size / tile)
    fewest_tiles_per_block = math.ceil(num_tiles / cores)
    return {math.ceil(num_tiles / j)
            for j in range(fewest_tiles_per_block, fewest_tiles_per_block + ALIGNED_COUNTS_PER_DIMENSION)}


def _padded_tiles_per_core(gemm: Gemm, grid: tuple[int, int, int], tile_rows: int, tile_cols: int) -> int:
    """Output tiles (``tile_rows`` × ``tile_cols``) in one core's block of an m × n ``grid``, padded to whole
    tiles: how many waves of tiles the grid needs, what a GEMM library's tile heuristic minimises."""
    cm, cn = grid[:2]
    return math.ceil(math.ceil(gemm.m / cm) / tile_rows) * math.ceil(math.ceil(gemm.n / cn) / tile_cols)


def _core_grids(num_cores: int, gemm: Gemm, num_batched: int = 1, tile_rows: int = 128,
                tile_cols: int = 128) -> list[tuple[int, int, int, int]]:
    """Ways to cut the work among the cores as (batch groups, m, n, k): each GEMM along n, along m, the most
    square m × n grid or along k (all cores or a power of two of them, the rest idle); tile-aligned grids (m or n
    cut into blocks of whole ``tile_rows`` × ``tile_cols`` array tiles, the other dimension over the cores left,
    some cores idle) where they need fewer padded tiles per core; with a batch, also whole GEMMs per group of
    cores (the most groups that divide the cores without exceeding the batch), each group cutting its GEMMs the
    same ways."""
    groups = {1}
    if num_batched > 1:
        groups.add(max(d for d in range(1, min(num_cores, num_batched) + 1) if num_cores % d == 0))
    grids: set[tuple[int, int, int, int]] = set()
    for group in groups:
        cores = num_cores // group
        square = max(d for d in range(1, math.isqrt(cores) + 1) if cores % d == 0)
        # Split-K over fewer cores too: each core's partial C costs HBM traffic, so a GEMV-like op with a small
        # output is fastest with just enough cores to saturate HBM (powers of two up to all of them). Only an
        # output smaller than one array tile per core needs it; larger ones fill the cores along m and n.
        small_output = gemm.m * gemm.n < cores * tile_rows * tile_cols
        split_k = [(1, 1, 2 ** i) for i in range(1, cores.bit_length()) if 2 ** i < cores] if small_output else []
        # Never more blocks along a dimension than it has elements.
        fixed = {(min(cm, gemm.m), min(cn, gemm.n), min(ck, gemm.k))
                 for cm, cn, ck in ((1, cores, 1), (cores, 1, 1), (square, cores // square, 1),
                                    (cores // square, square, 1), (1, 1, cores), *split_k)}
        grids.update((group, *grid) for grid in fixed)
        # Tile-aligned grids only where the output fills a wave of tiles (one per core; below that the op is bound
        # by HBM or one tile's latency, which the grids above span), and of them only those with the fewest padded
        # tiles per core: they are there to cut waves, and each one placed costs a tiling search.
        if small_output:
            continue
        aligned = {(min(cm, gemm.m), min(cn, gemm.n), 1) for cm, cn in (
            *((cm, cores // cm) for cm in _aligned_block_counts(gemm.m, tile_rows, cores)),
            *((cores // cn, cn) for cn in _aligned_block_counts(gemm.n, tile_cols, cores)))}
        tiles = {grid: _padded_tiles_per_core(gemm, grid, tile_rows, tile_cols) for grid in aligned}
        grids.update((group, *grid) for grid in aligned if tiles[grid] == min(tiles.values()))
    return sorted(grids)


def candidate_dataflows(chip: Chip) -> tuple[str, ...]:
    """What a compiler may choose on ``chip``: either operand stationary on a systolic array, "os" on tensor cores."""
    instance_of("chip", chip, Chip, "a Chip (load_chip('tpu_v5p'))")
    return ("ws", "is") if chip.core.matrix_unit.is_systolic_array else ("os",)


def default_dataflow(chip: Chip) -> str:
    """Weight-stationary for systolic arrays (TPU, Trainium); output-stationary for GPU-style tensor cores."""
    return candidate_dataflows(chip)[0]


def _shared_hbm_bytes(gemm: Gemm, chip: Chip, dataflow: str) -> tuple[int, str] | None:
    """HBM bytes of one GEMM when the cores share tiles through a chip-wide level (None without one)."""
    shared = next((lvl for lvl in chip.memory_levels if lvl.role == "shared" and lvl.capacity_bytes), None)
    if shared is None:
        return None
    # Tile the whole chip with the shared level as the "scratchpad" (no accumulator: partial sums stay per core).
    view = dataclasses.replace(core_view(chip, gemm.dtype, 1.0), scratchpad=shared, accumulator=None)
    tiling = best_tiling(gemm, view, dataflow).best.tiling
    return offchip_traffic(gemm, tiling).bytes_of(gemm), shared.vendor_label


# Mappings whose times differ by less than this are equally fast. Spreading a GEMV over more cores sends its
# small operand (a few activation rows) to each of them: a batch-1 to batch-8 GEMV's HBM bytes grow by up to
# ~0.5 %, a difference no compiler weighs against halving the compute (Trainium3: 4 vs 8 NeuronCores).
EQUALLY_FAST_FRACTION = 0.01


# Split-K partial sums are kept at the accumulator's width (fp32 for float inputs: cuBLAS, FlashDecoding).


def gemm_on_chip(gemm: Gemm, chip: Chip, dataflow: str | None = None, num_batched: int = 1) -> ChipGemm:
    """Time ``num_batched`` same-shape GEMMs ``gemm`` on every core of ``chip``, mapped as a compiler would.

    With no ``dataflow``, the fastest of :func:`candidate_dataflows` wins (the stationary operand is chosen per
    GEMM); name one to force it. Results are cached: a model step repeats the same shapes many times.

    >>> from chiplab.hardware import load_chip
    >>> placed = gemm_on_chip(Gemm(m=4, n=128, k=8192), load_chip("tpu_v5p"))  # a GEMV-like op
    >>> placed.bottleneck
    'HBM'
    """
    if not isinstance(gemm, Gemm):
        raise ChiplabInputError(f"gemm must be a chiplab Gemm; got {type(gemm).__name__}")
    if not isinstance(chip, Chip):
        raise ChiplabInputError(f"chip must be a chiplab Chip (load_chip(...)); got {type(chip).__name__}")
    flows = candidate_dataflows(chip) if dataflow is None else (parse_dataflow(dataflow).value,)
    return _gemm_on_chip(gemm, chip, flows, positive_int("num_batched", num_batched))


@lru_cache(maxsize=8192)
def _gemm_on_chip(gemm: Gemm, chip: Chip, dataflows: tuple[str, ...], num_batched: int) -> ChipGemm:
    hbm_bandwidth = published(f"{chip.id}: HBM bandwidth", chip.hbm.bandwidth_bytes_per_s)
    candidates: list[ChipGemm] = []
    for dataflow in dataflows:
        shared = _shared_hbm_bytes(gemm, chip, dataflow)
        array = chip.core.matrix_unit.array
        tile_rows, tile_cols = (array.num_rows, array.num_cols) if array is not None else (128, 128)
        for group, cm, cn, ck in _core_grids(chip.num_cores, gemm, num_batched, tile_rows, tile_cols):
            per_core = place_on_core_grid(gemm, chip, (cm, cn, ck), dataflow,
                                          num_batched=math.ceil(num_batched / group), num_batch_groups=group)
            per_instance = per_core.offchip.bytes_of(gemm)
            hbm_bytes = num_batched * (shared[0] if shared else cm * cn * ck * per_instance)
            if ck > 1:  # every core writes its partial C, one reduction pass reads them all back
                hbm_bytes += num_batched * 2 * ck * gemm.m * gemm.n * gemm.accumulator_bytes
            parts = {COMPUTE: per_core.compute_s, chip.hbm.vendor_label: hbm_bytes / hbm_bandwidth}
            parts.update({lvl.label: lvl.time_s for lvl in per_core.levels[1:] if lvl.time_s is not None
                          and lvl.role != "shared"})
            bottleneck, time_s = max(parts.items(), key=lambda item: item[1])
            candidates.append(ChipGemm(
                gemm=gemm, chip_id=chip.id, core_grid=(cm, cn, ck), per_core=per_core, hbm_bytes=hbm_bytes,
                hbm_bandwidth_bytes_per_s=hbm_bandwidth, shared_level=shared[1] if shared else None, time_s=time_s,
                bottleneck=bottleneck, peak_flops_per_s=chip.peak_flops_per_s(gemm.dtype), dataflow=dataflow,
                num_batched=num_batched, num_batch_groups=group))
    # Equally fast (both HBM-bound, say: within EQUALLY_FAST_FRACTION), the mapping with the least compute time
    # wins: a GEMV kernel spreads over every SM/core rather than leaving its compute a hair under the memory time,
    # where any derating of the arithmetic (calibration) would wrongly make it compute-bound. Among exact ties the
    # first tried stays.
    fastest_s = min(placed.time_s for placed in candidates)
    equally_fast = [placed for placed in candidates if placed.time_s <= fastest_s * (1 + EQUALLY_FAST_FRACTION)]
    return min(equally_fast, key=lambda placed: (placed.compute_s, placed.time_s))


# The cache's controls, as an lru_cache function has them (benchmarks clear it to time cold runs). A function takes
# attributes at run time; mypy knows of none on a plain function, hence the ignores.
gemm_on_chip.cache_clear = _gemm_on_chip.cache_clear  # type: ignore[attr-defined]
gemm_on_chip.cache_info = _gemm_on_chip.cache_info  # type: ignore[attr-defined]


def place_on_core_grid(gemm: Gemm, chip: Chip, core_grid: tuple[int, int, int], dataflow: str,
                       num_batched: int = 1, num_batch_groups: int = 1) -> GemmOnCore:
    """One core's block of ``gemm`` under a grid (its ``num_batched`` GEMMs as one stream), tiled as well as its
    memories allow."""
    cm, cn, ck = core_grid
    block = Gemm(m=math.ceil(gemm.m / cm), n=math.ceil(gemm.n / cn), k=math.ceil(gemm.k / ck), dtype=gemm.dtype)
    view = core_view(chip, gemm.dtype, 1.0 / (num_batch_groups * cm * cn * ck))
    best = best_tiling(block, view, dataflow).best
    return best if num_batched == 1 else place_gemm(block, view, best.tiling, dataflow, num_batched=num_batched)
