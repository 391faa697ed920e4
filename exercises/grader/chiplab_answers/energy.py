"""Assignment 06: energy and power — the GEMM's joules with and without reuse, and the chip's power budget."""

from __future__ import annotations

from chiplab.grading.problems.energy import LIMITS, EnergyParams, power_budget
from chiplab.memory.energy import horowitz_2014, no_reuse_energy
from chiplab_answers.answer import Answer, Mistake, telling

PICOJOULES_PER_JOULE = 1e12
BITS_PER_BYTE = 8


def _unit_slips(value: float) -> list[Mistake]:
    """Picojoules left unconverted, or a table entry per 64-bit access used as if per byte."""
    return [Mistake(value * PICOJOULES_PER_JOULE, "the table is in picojoules: convert to joules (× 10⁻¹²)")]


def answers(p: EnergyParams) -> list[Answer]:
    table, gemm = horowitz_2014(), p.gemm
    b = power_budget(p)
    num_pes = p.num_rows * p.num_cols
    no_reuse = no_reuse_energy(gemm, table)
    operands_only = no_reuse.total_j - no_reuse.levels[1].energy_j  # without the partial sums
    without_c = (gemm.m * gemm.k + gemm.k * gemm.n) * gemm.bytes_per_element * table.byte_j("offchip")
    max_clock_hz = (p.tdp_w - b.memory_power_w) / (num_pes * table.mac_j(p.dtype))
    other_limits = set(LIMITS) - {b.limit}
    return [
        Answer("q1_compute_energy_j", b.compute_energy_j,
               "energy = number of multiply-accumulates (m·n·k) × the table's energy per MAC in your format",
               mistakes=(Mistake(2 * b.compute_energy_j,
                                 "the table prices a multiply-accumulate: count m·n·k MACs, not 2·m·n·k FLOPs"),
                         *_unit_slips(b.compute_energy_j))),
        Answer("q2_offchip_energy_j", b.offchip_energy_j,
               "bytes of A, B and C (each once) × the off-chip energy per byte",
               mistakes=(Mistake(without_c, "C is written back to DRAM too: count the bytes of A, B *and* C"),
                         Mistake(b.offchip_energy_j * BITS_PER_BYTE,
                                 "the table's DRAM figure is per 64-bit access: per byte it is ÷ 8"),
                         *_unit_slips(b.offchip_energy_j))),
        Answer("q3_no_reuse_energy_j", no_reuse.total_j,
               "every MAC reads two operands from the scratchpad and reads and writes a 4-byte partial sum in the "
               "accumulator, plus the MACs themselves",
               mistakes=telling(no_reuse.total_j, (
                   Mistake(operands_only, "each MAC also reads and writes its partial sum (4 bytes each way) in the "
                                          "accumulator"),
                   Mistake(no_reuse.total_j - no_reuse.compute_j, "add the energy of the MACs themselves"),
                   *_unit_slips(no_reuse.total_j)))),
        Answer("q4_compute_power_w", b.compute_power_w,
               "power = MACs per second (PEs × clock) × joules per MAC",
               mistakes=(Mistake(2 * b.compute_power_w, "one PE does one MAC per cycle (2 FLOPs, one MAC energy)"),
                         *_unit_slips(b.compute_power_w))),
        Answer("q5_memory_power_w", b.memory_power_w,
               "power = bytes per second at full bandwidth × joules per off-chip byte",
               mistakes=(Mistake(b.memory_power_w * BITS_PER_BYTE,
                                 "the table's DRAM figure is per 64-bit access: per byte it is ÷ 8"),
                         *_unit_slips(b.memory_power_w))),
        Answer("q6_max_clock_hz", max_clock_hz,
               "the clock at which the array's power plus the DRAM's power equals the TDP",
               mistakes=(Mistake(p.tdp_w / (num_pes * table.mac_j(p.dtype)),
                                 "the DRAM draws its share of the TDP too: subtract it before sizing the clock"),)),
        Answer("q7_limit", {b.limit}, "compare the three times: compute, DRAM traffic, and energy ÷ TDP",
               mistakes=(Mistake(other_limits, "that roof is not the lowest: compare compute time, DRAM time and "
                                               "the GEMM's energy ÷ TDP — the longest one sets the pace"),)),
        Answer("q8_time_s", b.time_s, "time = the longest of compute, DRAM and energy ÷ TDP",
               mistakes=telling(b.time_s, (
                   *([Mistake(max(b.compute_s, b.memory_s), "at full speed the chip would draw more than its TDP: "
                                                            "the power roof sets the time")]
                     if b.limit == "power" else []),
                   Mistake(b.compute_s + b.memory_s, "compute and DRAM transfers overlap (double buffering): take "
                                                     "the longest roof, not the sum"),
                   Mistake(b.time_s * 1e3, "give the time in seconds, not milliseconds")))),
    ]
