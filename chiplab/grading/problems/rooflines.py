"""Assignment 03: rooflines — ridge points, memory- vs compute-bound, and the batch that reaches the ridge.

The workload is the GEMM of one weight matrix (d × d, bf16) applied to m tokens: C[m, d] = A[m, d] @ W[d, d],
with A, W and C each moved across HBM exactly once (the classic roofline's assumption). Its intensity is
2·m·d·d / (2·(m·d + d·d + m·d)) FLOP per byte, which grows with m towards d / 2: decoding (small m) is
memory-bound on every chip, and the chip's ridge point says how many tokens a batch needs to use its peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "03_rooflines"
CHIPS = ("tpu_v4", "tpu_v5e", "tpu_v6e", "trainium1", "trainium2", "h100_sxm", "a100_80gb", "mi300x")
DTYPE = "bf16"
BOUND_WORDS = {"memory-bound": "memory", "bandwidth": "memory", "bandwidth-bound": "memory", "hbm": "memory",
               "offchip": "memory", "compute-bound": "compute", "peak": "compute"}


@dataclass(frozen=True)
class RooflineParams:
    chip: str = field(metadata={"doc": "the chip (chiplab.hardware.load_chip name)"})
    peak_flops_per_s: float = field(metadata={"doc": "its dense bf16 peak, FLOP/s"})
    hbm_bandwidth_bytes_per_s: float = field(metadata={"doc": "its HBM bandwidth, bytes/s"})
    m: int = field(metadata={"doc": "tokens in the batch (rows of A)"})
    d: int = field(metadata={"doc": "model width: the weight matrix is d × d"})

    @property
    def gemm(self) -> Gemm:
        return Gemm(m=self.m, n=self.d, k=self.d, dtype=DTYPE)


def make_params(pick: Picker) -> RooflineParams:
    chip = load_chip(pick.choice("chip", CHIPS))
    return RooflineParams(chip=chip.id, peak_flops_per_s=chip.peak_flops_per_s(DTYPE),
                          hbm_bandwidth_bytes_per_s=chip.hbm.bandwidth_bytes_per_s,
                          m=pick.choice("m", (1, 2, 4, 8, 16, 32)), d=pick.choice("d", (2048, 4096, 8192)))


def formats(p: RooflineParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_ridge_flops_per_byte", "quantity", "FLOP/byte", rel_tol=0.01),
            AnswerFormat("q2_intensity_flops_per_byte", "quantity", "FLOP/byte", rel_tol=0.01),
            AnswerFormat("q3_bound", "choice", "", options=("memory", "compute"), synonyms=BOUND_WORDS),
            AnswerFormat("q4_attainable_flops_per_s", "quantity", "FLOP/s", rel_tol=0.01),
            AnswerFormat("q5_time_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q6_min_m", "count", "tokens"))


PARAMETERS = ProblemSet(ASSIGNMENT, "Rooflines: ridge points, memory- and compute-bound", make_params, formats)
