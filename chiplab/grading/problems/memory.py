"""Assignment 02: a GEMM in a memory hierarchy — bytes moved under a tiling, reuse, time, and the bottleneck level.

Part A is the toy 4×4 chip (int8, 4 GB/s DRAM, a 64-byte accumulator), by hand: off-chip traffic follows the
loop nest in :mod:`chiplab.memory.tiling` (A re-loaded once per column of output tiles, B once per row, C written
once). Part B puts a bigger GEMM on one core of a real TPU or Trainium with chiplab's best tiling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from chiplab._checks import published
from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.memory.core_gemm import COMPUTE, gemm_on_core
from chiplab.memory.tiling import Tiling, unique_footprint_bytes
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "02_memory_tiling"
TOY_CHIP = "toy_4x4"
OUTPUT_TILES = ((4, 4), (2, 8), (8, 2))  # Tm × Tn: 16 outputs × 4 bytes fill the toy's 64-byte accumulator
REAL_CHIPS = ("trainium1", "trainium2", "tpu_v4", "tpu_v5e", "tpu_v6e")
PART_B_M = (8, 32, 128, 256, 512, 1024, 2048)  # tokens in the batch: from decoding to training


@dataclass(frozen=True)
class MemoryParams:
    a_m: int = field(metadata={"doc": "part A: m of the int8 GEMM on the toy chip"})
    a_n: int = field(metadata={"doc": "part A: n"})
    a_k: int = field(metadata={"doc": "part A: k"})
    tile_m: int = field(metadata={"doc": "part A: Tm, rows of each output tile"})
    tile_n: int = field(metadata={"doc": "part A: Tn, columns of each output tile"})
    tile_k: int = field(metadata={"doc": "part A: Tk, depth of each k-step"})
    dram_bandwidth_bytes_per_s: float = field(metadata={"doc": "part A: the toy chip's DRAM bandwidth"})
    chip: str = field(metadata={"doc": "part B: the chip (chiplab.hardware.load_chip name)"})
    b_m: int = field(metadata={"doc": "part B: m (tokens), bf16"})
    b_d: int = field(metadata={"doc": "part B: n = k = d (a d×d weight matrix)"})

    @property
    def gemm_a(self) -> Gemm:
        return Gemm(m=self.a_m, n=self.a_n, k=self.a_k, dtype="int8")

    @property
    def tiling(self) -> Tiling:
        return Tiling(tile_m=self.tile_m, tile_n=self.tile_n, tile_k=self.tile_k)

    @property
    def gemm_b(self) -> Gemm:
        return Gemm(m=self.b_m, n=self.b_d, k=self.b_d, dtype="bf16")


def _draw(pick: Picker) -> MemoryParams:
    tile_m, tile_n = pick.choice("output_tile", OUTPUT_TILES)
    # n is odd, so it is never a multiple of Tn: A's reuse is not simply Tn (it would be, read off the table)
    return MemoryParams(
        a_m=pick.choice("a_m", (16, 24, 32, 48, 64)), a_n=2 * pick.integer("a_n_half", 8, 23) + 1,
        a_k=pick.choice("a_k", (32, 48, 64, 96, 128)), tile_m=tile_m, tile_n=tile_n,
        tile_k=pick.choice("tile_k", (16, 32, 64)),
        dram_bandwidth_bytes_per_s=published(f"{TOY_CHIP}: HBM bandwidth",
                                             load_chip(TOY_CHIP).hbm.bandwidth_bytes_per_s),
        chip=pick.choice("chip", REAL_CHIPS), b_m=pick.choice("b_m", PART_B_M),
        b_d=pick.choice("b_d", (2048, 4096, 8192)),
    )


def _far(a: float, b: float, rel: float = 0.03) -> bool:
    return abs(a - b) > rel * abs(b)


def _telling(p: MemoryParams) -> bool:
    """The answers differ from what each slip a hint names gives (loads swapped, B's reuse for A's, Tn for the
    reuse, the compute time for the stall, the fraction lost for the fraction reached): every hint can tell them
    apart."""
    m, n, k, tm, tn = p.a_m, p.a_n, p.a_k, p.tile_m, p.tile_n
    toy = gemm_on_core(p.gemm_a, load_chip(TOY_CHIP), p.tiling)
    offchip = toy.level("offchip").num_bytes
    swapped = m * k * math.ceil(m / tm) + k * n * math.ceil(n / tn) + m * n
    fraction = gemm_on_core(p.gemm_b, load_chip(p.chip)).fraction_of_peak
    return (offchip not in (swapped, unique_footprint_bytes(p.gemm_a)) and _far(toy.b_reuse, toy.a_reuse)
            and _far(tn, toy.a_reuse) and _far(toy.compute_s, toy.stall_s) and _far(1 - fraction, fraction))



def bottleneck_words(chip_id: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The words that name a bottleneck on this chip (compute or a memory level's vendor label) and synonyms."""
    chip = load_chip(chip_id)
    labels = [level.vendor_label.lower() for level in chip.memory_levels]
    synonyms = {level.role: level.vendor_label.lower() for level in chip.memory_levels}
    synonyms |= {"memory": chip.hbm.vendor_label.lower(), "hbm-bound": chip.hbm.vendor_label.lower(),
                 "compute-bound": COMPUTE, "array": COMPUTE, "mxu": COMPUTE, "pe array": COMPUTE}
    return (COMPUTE, *labels), synonyms


def formats(p: MemoryParams) -> tuple[AnswerFormat, ...]:
    options, synonyms = bottleneck_words(p.chip)
    return (AnswerFormat("q1_offchip_bytes", "count", "bytes"),
            AnswerFormat("q2_a_reuse", "quantity", "MACs per element", rel_tol=0.01),
            AnswerFormat("q3_dram_time_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q4_stall_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q5_bottleneck", "choice", "", options=options, synonyms=synonyms),
            AnswerFormat("q6_fraction_of_peak", "quantity", "fraction", rel_tol=0.02))


PARAMETERS = ProblemSet(ASSIGNMENT, "Memory hierarchy and tiling: bytes, reuse and the bottleneck",
                        _draw, formats, fits=_telling)
