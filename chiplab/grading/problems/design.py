"""Assignment 09: a design project — design a chip for a workload, a power budget and a time target.

Open-ended: each student gets a base chip (TPU or Trainium), a workload (one transformer GEMM of m tokens through
a d × d weight matrix, bf16), a power budget and a time target, and designs a chip with
:func:`chiplab.hardware.custom.design_chip` by choosing its array rows and columns, cores, clock and HBM
bandwidth. The autograded part is a report of the design's numbers — its PEs, peak, power and time — which must
equal what chiplab computes *for the design submitted* and meet the budget and the target; the written
justification is graded by hand with a rubric.

The brief comes from the variant's parameters alone, never from a design (so nothing here can be run backwards into
a design that meets it):

* **time target** = the base chip's own time for the GEMM (:func:`chiplab.perf.gemm_on_chip` on the catalog chip)
  × a time factor below 1: every design must beat its base;
* **power budget** = a slack factor × the least power any chip could draw at that target: the GEMM's energy floor
  (every multiply-accumulate once at the table's bf16 MAC energy, every byte of A, B and C moved once at its
  off-chip energy, :func:`chiplab.memory.horowitz_2014`) spread over the target time.

That some design meets every brief is checked on the grader's side (``exercises/grader/``, tests): its search finds
one for every sampled variant; the slack's lower end sits above the worst ratio it finds (about 1.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.memory.energy import horowitz_2014
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "09_design_project"
BASES = ("trainium1", "trainium2", "tpu_v4", "tpu_v5e", "tpu_v5p")
DTYPE = "bf16"
WIDTHS = (2048, 3072, 4096, 5120, 6144, 8192)
MIN_M, MAX_M = 16, 8192  # from a decode batch to a training micro-batch, log-uniform: both bounds occur
TIME_FACTOR_PERCENT = (50, 90)     # the target is 50-90 % of the base chip's own time
POWER_SLACK_PERCENT = (170, 230)   # the budget is 1.7-2.3 × the energy floor over the target time
DESIGN_NAMES = ("design_num_rows", "design_num_cols", "design_num_cores", "design_clock_hz",
                "design_hbm_bandwidth_bytes_per_s")


@dataclass(frozen=True)
class DesignParams:
    base: str = field(metadata={"doc": "the chip your design starts from (design_chip(base, ...))"})
    m: int = field(metadata={"doc": "workload: tokens (rows of A)"})
    d: int = field(metadata={"doc": "workload: model width, the weight matrix is d × d (bf16)"})
    power_budget_w: float = field(metadata={"doc": "your design's power at full rate may not exceed this, W"})
    target_time_s: float = field(metadata={"doc": "your design must run the workload GEMM in at most this, s"})

    @property
    def gemm(self) -> Gemm:
        return Gemm(m=self.m, n=self.d, k=self.d, dtype=DTYPE)


def energy_floor_j(gemm: Gemm) -> float:
    """The least energy any chip spends on ``gemm`` in chiplab's energy model: each MAC once, each byte of A, B and C
    moved once between HBM and the chip (Horowitz 2014's 45 nm table)."""
    table = horowitz_2014()
    return gemm.num_macs * table.mac_j(DTYPE) + gemm.unique_bytes * table.byte_j("offchip")


def _draw(pick: Picker) -> DesignParams:
    base = pick.choice("base", BASES)
    m = round(MIN_M * (MAX_M / MIN_M) ** (pick.integer("m_log", 0, 999) / 999))
    d = pick.choice("d", WIDTHS)
    gemm = Gemm(m=m, n=d, k=d, dtype=DTYPE)
    base_time_s = gemm_on_chip(gemm, load_chip(base)).time_s
    target_s = float(f"{base_time_s * pick.integer('time_factor_percent', *TIME_FACTOR_PERCENT) / 100:.3g}")
    budget_w = float(round(energy_floor_j(gemm) / target_s
                           * pick.integer("power_slack_percent", *POWER_SLACK_PERCENT) / 100))
    return DesignParams(base=base, m=m, d=d, power_budget_w=budget_w, target_time_s=target_s)


def formats(p: DesignParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("design_num_rows", "count", "PE rows per array"),
            AnswerFormat("design_num_cols", "count", "PE columns per array"),
            AnswerFormat("design_num_cores", "count", "cores"),
            AnswerFormat("design_clock_hz", "quantity", "Hz", rel_tol=0.01),
            AnswerFormat("design_hbm_bandwidth_bytes_per_s", "quantity", "bytes/s", rel_tol=0.01),
            AnswerFormat("q1_num_pes", "count", "PEs"),
            AnswerFormat("q2_peak_flops_per_s", "quantity", "FLOP/s", rel_tol=0.01),
            AnswerFormat("q3_power_w", "quantity", "W", rel_tol=0.01),
            AnswerFormat("q4_time_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q5_fraction_of_peak", "quantity", "fraction", rel_tol=0.01))


PARAMETERS = ProblemSet(ASSIGNMENT, "Design project: a chip for a workload, a power budget and a time target",
                        _draw, formats)
