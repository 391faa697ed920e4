"""Assignment 07: mapping a GEMM onto a core — choose tiles that fit, count the traffic, find the bottleneck.

The student maps C[m, n] = A[m, k] @ B[k, n] (bf16, fp32 partial sums) onto one core of a TPU or Trainium chip
with the loop nest of :mod:`chiplab.memory.tiling`: output tiles of tile_m × tile_n, stepping through k in slices
of tile_k, double-buffered A and B tiles in the scratchpad (SBUF, VMEM) and the C tile in the accumulator (PSUM;
in VMEM itself on TPUs, which have no separate accumulator). The student *chooses* the tiles; the grader checks
that they fit, that the traffic the student counts is the traffic of those tiles, and that it is within
:data:`WITHIN_FRACTION` of the least traffic chiplab's tile search (:func:`chiplab.memory.best_tiling`) finds.
Answers therefore depend on the submitted tiles (``SUBMITTED`` in the grader's module); without them (tests,
answer keys) the reference tiles are chiplab's best.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.memory.core_views import CoreView, core_view
from chiplab.memory.search import best_tiling
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "07_mapping_tiling"
CHIPS = ("trainium1", "trainium2", "inferentia2", "tpu_v4", "tpu_v5e", "tpu_v5p", "tpu_v6e")
DTYPE = "bf16"
TILE_NAMES = ("tile_m", "tile_n", "tile_k")
WITHIN_FRACTION = 0.10  # a chosen tiling may move at most 10 % more off-chip bytes than chiplab's best
BOUND_WORDS = {"memory-bound": "memory", "hbm": "memory", "offchip": "memory", "bandwidth": "memory",
               "compute-bound": "compute", "array": "compute"}
MIN_M, MAX_M = 64, 8192  # from a decode batch to a training micro-batch (log-uniform): both bounds occur


@dataclass(frozen=True)
class TilingParams:
    chip: str = field(metadata={"doc": "the chip; map the GEMM onto ONE of its cores (chiplab.memory.core_view)"})
    m: int = field(metadata={"doc": "rows of A and C (tokens)"})
    n: int = field(metadata={"doc": "columns of B and C"})
    k: int = field(metadata={"doc": "columns of A, rows of B (the reduction)"})

    @property
    def gemm(self) -> Gemm:
        return Gemm(m=self.m, n=self.n, k=self.k, dtype=DTYPE)

    @property
    def view(self) -> CoreView:
        return core_view(load_chip(self.chip), DTYPE)


def _draw(pick: Picker) -> TilingParams:
    m = round(MIN_M * (MAX_M / MIN_M) ** (pick.integer("m_log", 0, 999) / 999))
    return TilingParams(chip=pick.choice("chip", CHIPS), m=m, n=256 * pick.integer("n_256", 4, 64),
                        k=256 * pick.integer("k_256", 4, 64))


def _telling(p: TilingParams) -> bool:
    """The GEMM does not fit on chip whole (so tiles matter), and its best tiling is not on the ridge: compute and
    HBM time differ by more than 5 %, so "compute" or "memory" is clear and one-sided times are wrong."""
    best = best_tiling(p.gemm, p.view).best
    offchip_s = best.levels[0].time_s  # HBM's bandwidth is in the catalog for every chip of CHIPS
    if offchip_s is None or (best.tiling.tile_m >= p.m and best.tiling.tile_n >= p.n and best.tiling.tile_k >= p.k):
        return False
    return abs(offchip_s - best.compute_s) > 0.05 * max(offchip_s, best.compute_s)



def formats(p: TilingParams) -> tuple[AnswerFormat, ...]:
    return (*(AnswerFormat(name, "count", "elements") for name in TILE_NAMES),
            AnswerFormat("q1_operand_bytes", "count", "bytes"),
            AnswerFormat("q2_output_tile_bytes", "count", "bytes"),
            AnswerFormat("q3_offchip_bytes", "count", "bytes"),
            AnswerFormat("q4_bound", "choice", "", options=("compute", "memory"), synonyms=BOUND_WORDS),
            AnswerFormat("q5_time_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q6_best_offchip_bytes", "count", "bytes"))


PARAMETERS = ProblemSet(ASSIGNMENT, "Mapping and tiling: tiles that fit, traffic per level, the bottleneck",
                        _draw, formats, fits=_telling)
