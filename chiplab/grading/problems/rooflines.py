"""Assignment 03: rooflines — ridge points, memory- vs compute-bound, and the batch that reaches the ridge.

The workload is the GEMM of one weight matrix (d × d, bf16) applied to m tokens: C[m, d] = A[m, d] @ W[d, d],
with A, W and C each moved across HBM exactly once (the classic roofline's assumption). Its intensity is
2·m·d·d / (2·(m·d + d·d + m·d)) FLOP per byte, which grows with m towards d / 2: decoding (small m) is
memory-bound on every chip, and the chip's ridge point says how many tokens a batch needs to use its peak.

The table shows the chip, m and d only: students look up the peak and bandwidth with chiplab, so no answer (the
attainable rate of a compute-bound GEMM is the peak) can be read off the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab._checks import published
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
    m: int = field(metadata={"doc": "tokens in the batch (rows of A)"})
    d: int = field(metadata={"doc": "model width: the weight matrix is d × d"})

    @property
    def gemm(self) -> Gemm:
        return Gemm(m=self.m, n=self.d, k=self.d, dtype=DTYPE)


MIN_M, MAX_M = 48, 1536  # from a serving batch to a training micro-batch, log-uniform: both bounds occur
WIDTHS = (2048, 2560, 3072, 4096, 5120, 6144, 8192)


def _draw(pick: Picker) -> RooflineParams:
    m = round(MIN_M * (MAX_M / MIN_M) ** (pick.integer("m_log", 0, 999) / 999))
    return RooflineParams(chip=pick.choice("chip", CHIPS), m=m, d=pick.choice("d", WIDTHS))


def _telling(p: RooflineParams) -> bool:
    """The intensity is not ≈ m (the weights-only slip), not on the ridge (where "memory" and "compute" are both
    nearly right) and not at twice the ridge (where counting MACs would just reach the peak): every hint can tell its
    slip apart, and the ridge is no number of the table."""
    chip = load_chip(p.chip)
    ridge = chip.peak_flops_per_s(DTYPE) / published(f"{chip.id}: HBM bandwidth", chip.hbm.bandwidth_bytes_per_s)
    intensity = p.m * p.d / (2 * p.m + p.d)  # 2·m·d·d FLOPs over 2·(2·m·d + d·d) bytes
    near = [p.m, ridge, 2 * ridge]  # the weights-only slip; on the ridge; MACs for FLOPs reaching the peak
    return (all(abs(intensity - value) > 0.03 * value for value in near) and p.d > 4 * ridge
            and all(abs(ridge - shown) > 0.03 * ridge for shown in (p.m, p.d)))



def formats(p: RooflineParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_ridge_flops_per_byte", "quantity", "FLOP/byte", rel_tol=0.01),
            AnswerFormat("q2_intensity_flops_per_byte", "quantity", "FLOP/byte", rel_tol=0.01),
            AnswerFormat("q3_bound", "choice", "", options=("memory", "compute"), synonyms=BOUND_WORDS),
            AnswerFormat("q4_attainable_flops_per_s", "quantity", "FLOP/s", rel_tol=0.01),
            AnswerFormat("q5_time_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q6_min_m", "count", "tokens"))


PARAMETERS = ProblemSet(ASSIGNMENT, "Rooflines: ridge points, memory- and compute-bound", _draw, formats, fits=_telling)
