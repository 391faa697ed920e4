"""Energy of a GEMM: compute vs data movement at each memory level.

Default table: Horowitz, ISSCC 2014 (45 nm; data in chiplab/data/energy/horowitz2014.toml). A multiply-accumulate
is a multiply at the input precision plus an add at the accumulator precision (int8 × int8 → int32;
bf16/fp16 × → fp32; bf16 has no row of its own, fp16's is used). Memory levels map onto the table by role: an
accumulator or register file ≈ an 8 KB SRAM, a scratchpad or shared SRAM ≈ a 1 MB SRAM, off-chip ≈ DRAM.
Newer processes are cheaper per operation, but the *ratios* — a DRAM byte costs ~100× an on-chip SRAM byte and
~500× an int8 MAC — are what make stationary dataflows and big on-chip memories pay; override any entry with
``dataclasses.replace`` where better data exist, citing the source.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.memory.core_gemm import GemmOnCore
from chiplab.workloads.gemm import Gemm

PICO = 1e-12


@dataclass(frozen=True, kw_only=True)
class EnergyTable:
    source: str
    mac_pj: dict[str, float] = field(hash=False)
    pj_per_byte_by_role: dict[str, float] = field(hash=False)

    def mac_j(self, dtype: str) -> float:
        if dtype not in self.mac_pj:
            raise ChiplabInputError(f"no energy per MAC for dtype {dtype!r} in {self.source}; "
                                    f"dtype must be one of {', '.join(self.mac_pj)}")
        return self.mac_pj[dtype] * PICO

    def byte_j(self, role: str) -> float:
        if role not in self.pj_per_byte_by_role:
            raise ChiplabInputError(f"no energy per byte for a {role!r} level in {self.source}")
        return self.pj_per_byte_by_role[role] * PICO


@lru_cache(maxsize=1)
def horowitz_2014() -> EnergyTable:
    """The default table, from the data file (read once)."""
    data = tomllib.loads(resources.files("chiplab").joinpath("data", "energy", "horowitz2014.toml").read_text())
    op, access = data["operation_pj"], data["access_pj_per_64_bits"]
    fp16_mac = op["fp16_mult"] + op["fp32_add"]
    return EnergyTable(
        source=data["source"],
        mac_pj={"int8": op["int8_mult"] + op["int32_add"], "fp16": fp16_mac, "bf16": fp16_mac,
                "fp32": op["fp32_mult"] + op["fp32_add"]},
        pj_per_byte_by_role={"register": access["sram_8kb"] / 8, "accumulator": access["sram_8kb"] / 8,
                             "scratchpad": access["sram_1mb"] / 8, "shared": access["sram_1mb"] / 8,
                             "offchip": access["dram_low"] / 8},
    )


@dataclass(frozen=True)
class LevelEnergy:
    label: str
    role: str
    num_bytes: int
    energy_j: float


@dataclass(frozen=True)
class EnergyBreakdown:
    compute_j: float
    levels: tuple[LevelEnergy, ...]

    @property
    def total_j(self) -> float:
        return self.compute_j + sum(level.energy_j for level in self.levels)

    @property
    def data_movement_fraction(self) -> float:
        return 1 - self.compute_j / self.total_j


def _energy_table(table: object) -> EnergyTable:
    if table is None:
        return horowitz_2014()
    return instance_of("table", table, EnergyTable, "an EnergyTable such as chiplab.memory.horowitz_2014()")


def energy_breakdown(result: GemmOnCore, table: EnergyTable | None = None) -> EnergyBreakdown:
    """Energy of a placed GEMM: MACs × energy per MAC, plus each level's bytes × its energy per byte."""
    instance_of("result", result, GemmOnCore, "a placed GEMM from chiplab.memory.gemm_on_core")
    table = _energy_table(table)
    levels = tuple(LevelEnergy(lvl.label + (" at the table's DRAM energy" if lvl.role == "offchip" else ""), lvl.role,
                               lvl.num_bytes, lvl.num_bytes * table.byte_j(lvl.role))
                   for lvl in result.levels)
    return EnergyBreakdown(compute_j=result.gemm.num_macs * table.mac_j(result.gemm.dtype), levels=levels)


def no_reuse_energy(gemm: Gemm, table: EnergyTable | None = None, accumulator_bytes: int = 4) -> EnergyBreakdown:
    """The same GEMM if every MAC fetched both operands from the scratchpad and read and wrote its partial sum
    in the accumulator — no systolic reuse. The gap to :func:`energy_breakdown` is what the dataflow saves."""
    instance_of("gemm", gemm, Gemm, "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)")
    table = _energy_table(table)
    operand_bytes = 2 * gemm.num_macs * gemm.bytes_per_element
    psum_bytes = 2 * gemm.num_macs * accumulator_bytes
    return EnergyBreakdown(
        compute_j=gemm.num_macs * table.mac_j(gemm.dtype),
        levels=(LevelEnergy("scratchpad", "scratchpad", operand_bytes, operand_bytes * table.byte_j("scratchpad")),
                LevelEnergy("accumulator", "accumulator", psum_bytes, psum_bytes * table.byte_j("accumulator"))),
    )
