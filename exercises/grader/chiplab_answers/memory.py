"""Assignment 02: a GEMM in a memory hierarchy — bytes moved under a tiling, reuse, time, and the bottleneck level.

Part A is the toy 4×4 chip (int8, 4 GB/s DRAM, a 64-byte accumulator), by hand: off-chip traffic follows the
loop nest in :mod:`chiplab.memory.tiling` (A re-loaded once per column of output tiles, B once per row, C written
once). Part B puts a bigger GEMM on one core of a real TPU or Trainium with chiplab's best tiling.
"""

from __future__ import annotations

import math

from chiplab.grading.problems.memory import (
    TOY_CHIP,
    MemoryParams,
)
from chiplab.hardware.catalog import load_chip
from chiplab.memory.core_gemm import COMPUTE, GemmOnCore, gemm_on_core
from chiplab.memory.tiling import unique_footprint_bytes
from chiplab.units import GB, GiB
from chiplab_answers.answer import Answer, Mistake


def toy_result(p: MemoryParams) -> GemmOnCore:
    return gemm_on_core(p.gemm_a, load_chip(TOY_CHIP), p.tiling)


def real_result(p: MemoryParams) -> GemmOnCore:
    return gemm_on_core(p.gemm_b, load_chip(p.chip))


def _toy(p: MemoryParams) -> list[Answer]:
    result = toy_result(p)
    m, n, k, tm, tn = p.a_m, p.a_n, p.a_k, p.tile_m, p.tile_n
    a_loads, b_loads = m * k * math.ceil(n / tn), k * n * math.ceil(m / tm)
    offchip = result.level("offchip").num_bytes
    dram_s = result.level("offchip").time_s
    return [
        Answer(
            "q1_offchip_bytes",
            offchip,
            "count the loads of A and of B under this tiling, and the store of C, at 1 byte per int8 element",
            mistakes=(
                Mistake(
                    unique_footprint_bytes(p.gemm_a),
                    "that is each matrix moved exactly once, the minimum; "
                    "with output tiles smaller than the matrices, A is re-loaded for every column of output "
                    "tiles and B for every row of output tiles",
                ),
                Mistake(a_loads + b_loads, "don't forget writing C back to DRAM once"),
                Mistake(
                    m * k * math.ceil(m / tm) + k * n * math.ceil(n / tn) + m * n,
                    "A is re-loaded once per column of output tiles (⌈n/Tn⌉ times), B once per row (⌈m/Tm⌉)",
                ),
                Mistake(
                    a_loads + b_loads + 4 * m * n,
                    "C is stored in the GEMM's dtype (int8, 1 byte); only the accumulator holds 4-byte partial sums",
                ),
                Mistake(2 * offchip, "this GEMM is int8: one byte per element, not two"),
            ),
        ),
        Answer(
            "q2_a_reuse",
            result.a_reuse,
            "reuse = MACs / elements of A loaded",
            mistakes=(
                Mistake(result.b_reuse, "that is B's reuse (MACs per element of B loaded); this asks about A"),
                Mistake(1 / result.a_reuse, "reuse is MACs per element loaded (bigger is better), not the inverse"),
                Mistake(
                    float(tn),
                    "close: n is not a multiple of Tn, so the last column of output tiles is "
                    "narrower — count the loads, don't assume Tn",
                ),
            ),
        ),
        Answer(
            "q3_dram_time_s",
            dram_s,
            "time = bytes moved across DRAM / DRAM bandwidth",
            mistakes=(
                Mistake(dram_s * 1e3, "give the time in seconds, not milliseconds"),
                Mistake(dram_s * 1e6, "give the time in seconds, not microseconds"),
                Mistake(dram_s * 1e9, "give the time in seconds, not nanoseconds"),
                Mistake(dram_s * 8, "the bandwidth is in bytes per second, not bits"),
                Mistake(dram_s * GB / GiB, "4 GB/s is 4e9 bytes per second: rates are decimal, not GiB/s"),
            ),
        ),
        Answer(
            "q4_stall_s",
            result.stall_s,
            "use gemm_on_core(gemm, load_chip('toy_4x4'), tiling): stall = time_s - compute_s",
            mistakes=(
                Mistake(result.time_s, "that is the total time; the stall is only the part beyond the compute"),
                Mistake(result.compute_s, "that is the compute time; the stall is the time the array waits"),
            ),
        ),
    ]


def _real(p: MemoryParams) -> list[Answer]:
    result = real_result(p)
    chip = load_chip(p.chip)
    labels = {level.vendor_label.lower(): level for level in chip.memory_levels}
    synonyms = {level.role: label for label, level in labels.items()}
    synonyms |= {
        "memory": chip.hbm.vendor_label.lower(),
        "hbm-bound": chip.hbm.vendor_label.lower(),
        "compute-bound": COMPUTE,
        "array": COMPUTE,
        "mxu": COMPUTE,
        "pe array": COMPUTE,
    }
    untimed = {label for label, level in labels.items() if level.bandwidth_bytes_per_s is None}
    expected = result.bottleneck.lower()
    wrong_way = chip.hbm.vendor_label.lower() if expected == COMPUTE else COMPUTE
    return [
        Answer(
            "q5_bottleneck",
            {expected},
            "compare the compute time with the time of every level that has a known bandwidth",
            mistakes=(
                Mistake(
                    untimed,
                    "no source publishes that level's bandwidth, so chiplab cannot time it and it "
                    "cannot be the bottleneck; say so when you quote the result",
                ),
                Mistake({wrong_way}, "compare result.compute_s with each level's time_s: the other one is longer"),
            ),
        ),
        Answer(
            "q6_fraction_of_peak",
            result.fraction_of_peak,
            "use gemm_on_core(gemm, load_chip(chip)).fraction_of_peak (chiplab picks the best tiling)",
            mistakes=(Mistake(1 - result.fraction_of_peak, "that is the fraction of peak *lost*, not achieved"),),
        ),
    ]


def answers(p: MemoryParams) -> list[Answer]:
    return _toy(p) + _real(p)
