"""Assignment 09: a design project — design a chip for a workload, a power budget and a time target.

Open-ended: each student gets a base chip (TPU or Trainium), a workload (one transformer GEMM of m tokens through
a d × d weight matrix, bf16), a power budget and a time target, and designs a chip with
:func:`chiplab.hardware.custom.design_chip` by choosing its array rows and columns, cores, clock and HBM
bandwidth. The autograded part is a report of the design's numbers — its PEs, peak, power and time — which must
equal what chiplab computes *for the design submitted* (``SUBMITTED_NAMES`` in the grader's module) and meet the
budget and the target; the written justification is graded by hand with a rubric.

Power is chiplab's energy model at full rate (assignment 06): every PE doing one multiply-accumulate per cycle at
the table's bf16 MAC energy, plus the HBM streaming at its full bandwidth at the table's off-chip energy per byte
(:func:`chiplab.memory.horowitz_2014`, 45 nm — absolute watts are high for today's processes; the trade-off between
compute and bandwidth under one budget is the point). Time is :func:`chiplab.perf.gemm_on_chip`. Each variant's
budget and target come from a reference design drawn for its workload, so at least one design meets both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache

from chiplab.errors import ChiplabInputError
from chiplab.grading.checks import AnswerFormat
from chiplab.grading.problems._shown import none_near
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.chip import Chip
from chiplab.hardware.custom import design_chip
from chiplab.memory.energy import horowitz_2014
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "09_design_project"
BASES = ("trainium1", "trainium2", "tpu_v4", "tpu_v5e", "tpu_v5p")
DTYPE = "bf16"
WIDTHS = (2048, 3072, 4096, 5120, 6144, 8192)
ARRAY_SIDES = (64, 128, 256)
MIN_M, MAX_M = 16, 8192  # from a decode batch to a training micro-batch, log-uniform: both bounds occur
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


@dataclass(frozen=True)
class DesignReport:
    """What chiplab computes for one design on one variant's workload."""

    num_pes: int
    peak_flops_per_s: float
    power_w: float
    time_s: float
    fraction_of_peak: float


def full_rate_power_w(chip: Chip) -> float:
    """Every PE at one MAC per cycle (bf16) plus HBM at full bandwidth, at chiplab's energy table."""
    table = horowitz_2014()
    bandwidth = chip.hbm.bandwidth_bytes_per_s
    if bandwidth is None:  # a designable base always has one (design_chip checks it)
        raise ChiplabInputError(f"{chip.id} has no HBM bandwidth, so its memory power is unknown")
    return chip.peak_flops_per_s(DTYPE) / 2 * table.mac_j(DTYPE) + bandwidth * table.byte_j("offchip")


@lru_cache(maxsize=8192)
def report(base: str, gemm: Gemm, num_rows: int, num_cols: int, num_cores: int, clock_hz: float,
           hbm_bandwidth_bytes_per_s: float) -> DesignReport:
    """The numbers of a design (raises ChiplabInputError for a design chiplab refuses)."""
    chip = design_chip(base, num_rows=num_rows, num_cols=num_cols, num_cores=num_cores, clock_hz=clock_hz,
                       hbm_bandwidth_bytes_per_s=hbm_bandwidth_bytes_per_s, chip_id="your_design")
    peak = chip.peak_flops_per_s(DTYPE)
    time_s = gemm_on_chip(gemm, chip).time_s
    return DesignReport(num_pes=chip.num_matrix_units * num_rows * num_cols, peak_flops_per_s=peak,
                        power_w=full_rate_power_w(chip), time_s=time_s, fraction_of_peak=gemm.num_flops / time_s / peak)


def reference_design(base: str, m: int, d: int) -> tuple[tuple[int, int, int, float, float], DesignReport] | None:
    """The design a variant's budget and target are made from (knobs in ``DESIGN_NAMES`` order, and its report);
    None where chiplab refuses it. Drawn from the workload alone, so the grader re-derives it from the parameters
    (its numbers are the expected answers when no design is submitted: tests, answer keys)."""
    pick = Picker(ASSIGNMENT, f"reference/{base}/{m}/{d}")
    knobs = (pick.choice("rows", ARRAY_SIDES), pick.choice("cols", ARRAY_SIDES), pick.integer("cores", 1, 16),
             pick.integer("clock_50mhz", 16, 40) * 50e6, pick.integer("hbm_100gb_per_s", 4, 40) * 1e11)
    try:
        return knobs, report(base, Gemm(m=m, n=d, k=d, dtype=DTYPE), *knobs)
    except ChiplabInputError:
        return None


def _draw(pick: Picker) -> DesignParams | None:
    base = pick.choice("base", BASES)
    m = round(MIN_M * (MAX_M / MIN_M) ** (pick.integer("m_log", 0, 999) / 999))
    d = pick.choice("d", WIDTHS)
    reference = reference_design(base, m, d)
    if reference is None:
        return None
    ref = reference[1]
    budget_w = float(round(ref.power_w * (1 + pick.integer("power_slack_percent", 10, 40) / 100)))
    target_s = float(f"{ref.time_s * (1 + pick.integer('time_slack_percent', 10, 40) / 100):.3g}")
    return DesignParams(base=base, m=m, d=d, power_budget_w=budget_w, target_time_s=target_s)


def _telling(p: DesignParams | None) -> bool:
    """A reference design exists, and no number of its report is within 3 % of a number shown."""
    reference = None if p is None else reference_design(p.base, p.m, p.d)
    if p is None or reference is None:
        return False
    ref = reference[1]
    return none_near([float(getattr(ref, f.name)) for f in dataclasses.fields(ref)], p)


def make_params(pick: Picker) -> DesignParams:
    params = pick.first_fitting(_draw, _telling)
    assert params is not None  # _telling refuses None
    return params


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
                        make_params, formats)
