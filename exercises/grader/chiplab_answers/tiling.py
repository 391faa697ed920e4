"""Assignment 07: mapping a GEMM onto a core — the student's tiles, their traffic, and chiplab's best tiling.

The expected values follow the tiles the student submitted (``SUBMITTED_NAMES``): a tiling that does not fit, or
that moves more than ``WITHIN_FRACTION`` more off-chip bytes than chiplab's tile search, fails with a hint that says
so; the arithmetic is then checked for the student's own tiles. Without submitted tiles, chiplab's best tiles.
"""

from __future__ import annotations

from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.grading.checks import as_count
from chiplab.grading.problems.tiling import TILE_NAMES, WITHIN_FRACTION, TilingParams
from chiplab.memory.core_gemm import GemmOnCore, place_gemm
from chiplab.memory.search import best_tiling
from chiplab.memory.tiling import Tiling
from chiplab_answers.answer import NO_ANSWER, Answer, Mistake, telling

SUBMITTED_NAMES = TILE_NAMES


def _placed(p: TilingParams, submitted: dict[str, Any] | None, best: GemmOnCore) -> tuple[GemmOnCore | None, str]:
    """The GEMM placed with the submitted tiles, or None and why not."""
    if submitted is None:
        return best, ""
    sizes = {name: as_count(submitted.get(name)) for name in TILE_NAMES}
    if any(size is None or size < 1 for size in sizes.values()):
        return None, "set tile_m, tile_n and tile_k to whole numbers of at least 1 (your tiles), then answer for them"
    try:
        return place_gemm(p.gemm, p.view, Tiling(**sizes)), ""
    except ChiplabInputError as error:
        return None, f"your tiles cannot be used: {error}"


def _unusable(names: tuple[str, ...], why: str) -> list[Answer]:
    return [Answer(name, set() if name == "q4_bound" else NO_ANSWER, why) for name in names]


def answers(p: TilingParams, submitted: dict[str, Any] | None = None) -> list[Answer]:
    gemm, search = p.gemm, best_tiling(p.gemm, p.view)
    best = search.best
    best_offchip_bytes = best.levels[0].num_bytes
    element_bytes = gemm.bytes_per_element
    unique_bytes = gemm.unique_bytes
    best_answer = Answer("q6_best_offchip_bytes", best_offchip_bytes,
                         "run best_tiling(gemm, view) and read its off-chip level's bytes",
                         mistakes=tuple(m for m in (Mistake(unique_bytes, "that is the unique footprint (each matrix "
                                                             "once); the best tiling that fits moves more"),)
                                        if m.value != best_offchip_bytes))
    placed, why = _placed(p, submitted, best)
    if placed is None:
        return [*_unusable(("q1_operand_bytes", "q2_output_tile_bytes", "q3_offchip_bytes", "q4_bound",
                            "q5_time_s"), why), best_answer]
    tiling, offchip = placed.tiling, placed.levels[0]
    operand_bytes, output_bytes = placed.footprint.operand_bytes, placed.footprint.output_bytes
    excess_fraction = offchip.num_bytes / best_offchip_bytes - 1
    if excess_fraction > WITHIN_FRACTION:
        traffic = Answer("q3_offchip_bytes", NO_ANSWER, "count A's loads, B's loads and C's stores for your tiles",
                         mistakes=(Mistake(offchip.num_bytes,
                                           f"that is right for your tiles, but they move {excess_fraction:.0%} more "
                                           f"off-chip bytes than the best tiling (at most {WITHIN_FRACTION:.0%} "
                                           "more is accepted): make the output tile (tile_m × tile_n) larger"),))
    else:
        loads_floor = (gemm.m * gemm.k * (gemm.n // tiling.tile_n) + gemm.k * gemm.n * (gemm.m // tiling.tile_m)
                       + gemm.m * gemm.n) * element_bytes
        slips = [Mistake(offchip.num_bytes - gemm.m * gemm.n * element_bytes,
                         "C is stored back to HBM once: add its m·n elements"),
                 Mistake(offchip.num_bytes // element_bytes, "count bytes (2 per bf16 element), not elements"),
                 Mistake(unique_bytes, "A is loaded again for every column of output tiles (⌈n / tile_n⌉ times) "
                                       "and B for every row (⌈m / tile_m⌉ times)"),
                 Mistake(loads_floor, "a partial last tile is loaded too: round the tile counts up")]
        traffic = Answer("q3_offchip_bytes", offchip.num_bytes,
                         "A: m·k·⌈n / tile_n⌉, B: k·n·⌈m / tile_m⌉, C: m·n elements, 2 bytes each",
                         mistakes=tuple(m for m in slips if m.value != offchip.num_bytes))
    bound = "compute" if placed.bottleneck == "compute" else "memory"
    return [
        Answer("q1_operand_bytes", operand_bytes,
               "two copies (double buffering) of the A tile (tile_m × tile_k) and the B tile (tile_k × tile_n)",
               mistakes=(Mistake(operand_bytes // 2, "double buffering keeps two copies of each tile, at 2 bytes per "
                                                     "bf16 element"),)),
        Answer("q2_output_tile_bytes", output_bytes, "the C tile (tile_m × tile_n) in fp32 partial sums",
               mistakes=(Mistake(output_bytes // 2, "partial sums are fp32: 4 bytes per element, not bf16's 2"),
                         Mistake(output_bytes * 2, "only the A and B tiles are double-buffered: the C tile stays "
                                                   "on chip, one copy, until its k loop ends"))),
        traffic,
        Answer("q4_bound", {bound}, "compare the compute time with the HBM time of your tiling",
               mistakes=(Mistake({"compute", "memory"} - {bound},
                                 "compare compute time (from the array) with off-chip bytes ÷ the core's share of "
                                 "HBM bandwidth: the longer one is the bottleneck"),)),
        Answer("q5_time_s", placed.time_s, "time = max(compute time, off-chip bytes ÷ bandwidth) with double buffering",
               mistakes=telling(placed.time_s, (
                   Mistake(placed.compute_s + offchip.time_s,
                           "with double buffering transfers overlap compute: take the longer, not the sum"),
                   Mistake(placed.time_s * 1e3, "give the time in seconds, not milliseconds"),
                   *([Mistake(placed.compute_s, "the HBM traffic takes longer than the compute here")]
                     if bound == "memory" else [Mistake(offchip.time_s, "the array needs longer than the HBM "
                                                                        "traffic here: compute is the bottleneck")]),
               ))),
        best_answer,
    ]
