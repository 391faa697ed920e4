"""Assignment 03: rooflines — ridge points, memory- vs compute-bound, and the batch that reaches the ridge.

The workload is the GEMM of one weight matrix (d × d, bf16) applied to m tokens: C[m, d] = A[m, d] @ W[d, d],
with A, W and C each moved across HBM exactly once (the classic roofline's assumption). Its intensity is
2·m·d·d / (2·(m·d + d·d + m·d)) FLOP per byte, which grows with m towards d / 2: decoding (small m) is
memory-bound on every chip, and the chip's ridge point says how many tokens a batch needs to use its peak.
"""

from __future__ import annotations

import math

from chiplab.grading.problems.rooflines import DTYPE, RooflineParams
from chiplab.hardware.catalog import load_chip
from chiplab.memory.roofline_model import Roofline, RooflinePoint, roofline
from chiplab.workloads.gemm import Gemm
from chiplab_answers.answer import Answer, Mistake


def gemm_bytes(gemm: Gemm) -> int:
    """A, W and C each moved once (the unique footprint)."""
    return (gemm.m * gemm.k + gemm.k * gemm.n + gemm.m * gemm.n) * gemm.bytes_per_element


def place(roof: Roofline, m: int, d: int) -> RooflinePoint:
    gemm = Gemm(m=m, n=d, k=d, dtype=DTYPE)
    return roof.place(f"m={m}", gemm.num_flops, gemm_bytes(gemm))


def min_compute_bound_m(roof: Roofline, d: int) -> int:
    """The smallest m for which the d×d GEMM reaches the peak, by chiplab's placement (intensity grows with m).

    Solving m·d / (2m + d) = ridge gives the starting guess; the placement itself decides the edge.
    """
    ridge = roof.ridge_point()
    m = max(1, math.ceil(ridge * d / (d - 2 * ridge)))
    while place(roof, m, d).bound != "compute":
        m += 1
    while m > 1 and place(roof, m - 1, d).bound == "compute":
        m -= 1
    return m


def answers(p: RooflineParams) -> list[Answer]:
    chip = load_chip(p.chip)
    peak_flops_per_s, bandwidth_bytes_per_s = chip.peak_flops_per_s(DTYPE), chip.hbm.bandwidth_bytes_per_s
    roof = roofline(chip, DTYPE)
    ridge = roof.ridge_point()
    point = place(roof, p.m, p.d)
    gemm = p.gemm
    intensity = point.intensity
    bound = "compute" if point.bound == "compute" else "memory"
    time_s = gemm.num_flops / point.attainable_flops_per_s
    min_m = min_compute_bound_m(roof, p.d)
    weights_only = (
        "that assumes only the weights move (intensity ≈ m); count A and C as well — the ridge needs a "
        "few more tokens than that"
    )
    return [
        Answer(
            "q1_ridge_flops_per_byte",
            ridge,
            "ridge point = peak FLOP/s ÷ HBM bytes/s",
            mistakes=(
                Mistake(
                    ridge / 2,
                    "that is the ridge in MACs per byte (the TPU v1 paper's convention); "
                    "this asks for FLOPs per byte, 2 FLOPs per MAC",
                ),
                Mistake(ridge * 8, "the bandwidth is in bytes per second; you divided by bits"),
                Mistake(1 / ridge, "ridge = peak ÷ bandwidth, not bandwidth ÷ peak"),
            ),
        ),
        Answer(
            "q2_intensity_flops_per_byte",
            intensity,
            "intensity = 2·m·d·d FLOPs ÷ bytes of A, W and C at 2 bytes per bf16 element",
            mistakes=(
                Mistake(float(p.m), "that counts only the weight bytes (intensity ≈ m); A and C cross HBM too"),
                Mistake(intensity / 2, "count FLOPs (2 per multiply-accumulate), not MACs"),
                Mistake(intensity * 2, "bf16 takes 2 bytes per element, not 1"),
            ),
        ),
        Answer(
            "q3_bound",
            {bound},
            "compare the GEMM's intensity with the chip's ridge point",
            mistakes=(
                Mistake(
                    {"memory", "compute"} - {bound},
                    "compare the intensity with the ridge point: below the ridge the sloped (bandwidth) roof is lower",
                ),
            ),
        ),
        Answer(
            "q4_attainable_flops_per_s",
            point.attainable_flops_per_s,
            "attainable = min(peak, intensity × bandwidth)",
            mistakes=(
                # a compute-bound GEMM does reach the peak: the slip exists only below the ridge
                *(
                    [
                        Mistake(
                            peak_flops_per_s,
                            "that is the peak; below the ridge the attainable rate is intensity × bandwidth",
                        )
                    ]
                    if bound == "memory"
                    else []
                ),
                Mistake(intensity * bandwidth_bytes_per_s / 2, "count FLOPs, not MACs"),
            ),
        ),
        Answer(
            "q5_time_s",
            time_s,
            "time = FLOPs ÷ attainable FLOP/s (or bytes ÷ bandwidth)",
            mistakes=(
                *(
                    [
                        Mistake(
                            gemm.num_flops / peak_flops_per_s,
                            "that is the time at peak, as if the GEMM were compute-bound",
                        )
                    ]
                    if bound == "memory"
                    else []
                ),
                Mistake(time_s * 1e3, "give the time in seconds, not milliseconds"),
                Mistake(time_s * 1e6, "give the time in seconds, not microseconds"),
            ),
        ),
        Answer(
            "q6_min_m",
            min_m,
            "find the smallest m whose intensity reaches the ridge point (place() says 'compute')",
            mistakes=(
                Mistake(math.floor(ridge), weights_only),
                Mistake(math.ceil(ridge), weights_only),
                Mistake(min_m - 1, "off by one: at that m the GEMM is still just below the ridge"),
                Mistake(min_m + 1, "off by one: one token fewer already reaches the ridge"),
            ),
        ),
    ]
