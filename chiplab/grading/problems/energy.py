"""Assignment 06: energy and power — joules per operation and per access, reuse, and the power budget of a chip.

Part A prices one GEMM, C[m, n] = A[m, k] @ B[k, n], with chiplab's energy table (Horowitz, ISSCC 2014, 45 nm:
:func:`chiplab.memory.horowitz_2014`): its multiply-accumulates, A, B and C crossing DRAM once, and the same GEMM
with no reuse at all (every MAC fetching its operands from SRAM, :func:`chiplab.memory.no_reuse_energy`).
Part B gives a small accelerator of the TPU v1 kind (one array of PEs, DRAM, a TDP) and asks what its power
supply allows: the power of the array at full rate and of the DRAM at full bandwidth, the highest clock the TDP
allows, and which of three roofs — compute, memory bandwidth or power — limits the GEMM.

The table shows the GEMM, the array, its clock, its DRAM bandwidth and its TDP; energies are looked up in chiplab,
so no answer can be read off the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.grading.checks import AnswerFormat
from chiplab.grading.problems._shown import none_near
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.memory.energy import horowitz_2014
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "06_energy_power"
DTYPES = ("int8", "bf16", "fp32")
ARRAY_SIDES = (32, 64, 128, 256)
LIMITS = ("compute", "memory", "power")
LIMIT_WORDS = {"compute-bound": "compute", "array": "compute", "peak": "compute", "memory-bound": "memory",
               "bandwidth": "memory", "dram": "memory", "offchip": "memory", "tdp": "power",
               "power-bound": "power", "power-limited": "power"}


@dataclass(frozen=True)
class EnergyParams:
    dtype: str = field(metadata={"doc": "number format of A, B, C and the multiply-accumulates"})
    m: int = field(metadata={"doc": "rows of A and C"})
    n: int = field(metadata={"doc": "columns of B and C"})
    k: int = field(metadata={"doc": "columns of A, rows of B (the reduction)"})
    num_rows: int = field(metadata={"doc": "Part B: rows of the accelerator's PE array (one MAC per PE per cycle)"})
    num_cols: int = field(metadata={"doc": "Part B: columns of the PE array"})
    clock_hz: float = field(metadata={"doc": "Part B: the array's clock, Hz"})
    dram_bandwidth_bytes_per_s: float = field(metadata={"doc": "Part B: DRAM bandwidth, bytes/s"})
    tdp_w: float = field(metadata={"doc": "Part B: the chip's power budget (TDP), W"})

    @property
    def gemm(self) -> Gemm:
        return Gemm(m=self.m, n=self.n, k=self.k, dtype=self.dtype)


@dataclass(frozen=True)
class PowerBudget:
    """Part B's numbers for one variant (shared with the grader's answers, so the two cannot drift)."""

    compute_energy_j: float
    offchip_energy_j: float
    compute_power_w: float  # the whole array at full rate
    memory_power_w: float  # DRAM at full bandwidth
    compute_s: float
    memory_s: float
    power_s: float  # the GEMM's energy at exactly the TDP

    @property
    def limit(self) -> str:
        return LIMITS[max(range(3), key=lambda i: (self.compute_s, self.memory_s, self.power_s)[i])]

    @property
    def time_s(self) -> float:
        return max(self.compute_s, self.memory_s, self.power_s)


def power_budget(p: EnergyParams) -> PowerBudget:
    """The GEMM's energy and the three roofs of Part B, at chiplab's table (Horowitz 2014)."""
    table, gemm = horowitz_2014(), p.gemm
    num_pes = p.num_rows * p.num_cols
    compute_j = gemm.num_macs * table.mac_j(p.dtype)
    offchip_j = gemm.unique_bytes * table.byte_j("offchip")
    return PowerBudget(compute_energy_j=compute_j, offchip_energy_j=offchip_j,
                       compute_power_w=num_pes * p.clock_hz * table.mac_j(p.dtype),
                       memory_power_w=p.dram_bandwidth_bytes_per_s * table.byte_j("offchip"),
                       compute_s=gemm.num_macs / (num_pes * p.clock_hz),
                       memory_s=gemm.unique_bytes / p.dram_bandwidth_bytes_per_s,
                       power_s=(compute_j + offchip_j) / p.tdp_w)


def _draw(pick: Picker) -> EnergyParams:
    dtype = pick.choice("dtype", DTYPES)
    sides = {name: 64 * pick.integer(name, 4, 64) for name in ("m", "n", "k")}  # 256 .. 4096
    rows, cols = pick.choice("num_rows", ARRAY_SIDES), pick.choice("num_cols", ARRAY_SIDES)
    clock_hz = pick.integer("clock_mhz", 500, 1500) * 1e6
    bandwidth = pick.integer("dram_gb_per_s", 20, 400) * 1e9
    table = horowitz_2014()
    full_w = rows * cols * clock_hz * table.mac_j(dtype) + bandwidth * table.byte_j("offchip")
    tdp_w = float(max(1, round(full_w * pick.integer("tdp_percent", 40, 130) / 100)))
    return EnergyParams(dtype=dtype, num_rows=rows, num_cols=cols, clock_hz=clock_hz,
                        dram_bandwidth_bytes_per_s=bandwidth, tdp_w=tdp_w, **sides)


def _telling(p: EnergyParams) -> bool:
    """The DRAM alone stays within the TDP (a highest clock exists); the three roofs are not within 3 % of each
    other (so the limit is clear, and ignoring the power roof gives another time); no power, clock or time
    answer is within 3 % of a number shown (256 W of compute next to a 256-row array)."""
    b = power_budget(p)
    if b.memory_power_w >= 0.9 * p.tdp_w:
        return False
    times = sorted((b.compute_s, b.memory_s, b.power_s))
    max_clock_hz = (p.tdp_w - b.memory_power_w) / (p.num_rows * p.num_cols * horowitz_2014().mac_j(p.dtype))
    return times[2] > 1.03 * times[1] and none_near((b.compute_power_w, b.memory_power_w, max_clock_hz, b.time_s), p)



def formats(p: EnergyParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_compute_energy_j", "quantity", "J", rel_tol=0.01),
            AnswerFormat("q2_offchip_energy_j", "quantity", "J", rel_tol=0.01),
            AnswerFormat("q3_no_reuse_energy_j", "quantity", "J", rel_tol=0.01),
            AnswerFormat("q4_compute_power_w", "quantity", "W", rel_tol=0.01),
            AnswerFormat("q5_memory_power_w", "quantity", "W", rel_tol=0.01),
            AnswerFormat("q6_max_clock_hz", "quantity", "Hz", rel_tol=0.01),
            AnswerFormat("q7_limit", "choice", "", options=LIMITS, synonyms=LIMIT_WORDS),
            AnswerFormat("q8_time_s", "quantity", "s", rel_tol=0.01))


PARAMETERS = ProblemSet(ASSIGNMENT, "Energy and power: joules per operation and access, and the power budget",
                        _draw, formats, fits=_telling)
