"""Markdown tables of the memory model's data, for the book: the energy of computing vs moving a byte.

>>> print(energy_table().splitlines()[0])
| operation | energy (pJ) | relative to an int8 MAC |
"""

from __future__ import annotations

from chiplab._checks import instance_of
from chiplab.memory.energy import PICO, EnergyTable, horowitz_2014
from chiplab.tables import markdown_table

# Rows of the energy table: (what a reader sees, "mac" or "byte", dtype or role).
ENERGY_ROWS = (
    ("one int8 multiply-accumulate (int32 add)", "mac", "int8"),
    ("one fp16/bf16 multiply-accumulate (fp32 add)", "mac", "bf16"),
    ("one fp32 multiply-accumulate", "mac", "fp32"),
    ("one byte from a small SRAM (8 KB: accumulator, registers)", "byte", "accumulator"),
    ("one byte from a large SRAM (1 MB: scratchpad, shared)", "byte", "scratchpad"),
    ("one byte from off-chip DRAM", "byte", "offchip"),
)


def energy_table(table: EnergyTable | None = None) -> str:
    """Energy per operation and per byte moved, in picojoules and relative to an int8 MAC (default: Horowitz,
    ISSCC 2014, 45 nm). Newer processes are cheaper per operation; the ratios are what matter."""
    if table is not None:
        instance_of("table", table, EnergyTable, "an EnergyTable such as chiplab.memory.horowitz_2014()")
    table = table or horowitz_2014()
    reference = table.mac_j("int8")
    rows = []
    for text, kind, key in ENERGY_ROWS:
        joules = table.mac_j(key) if kind == "mac" else table.byte_j(key)
        rows.append([text, f"{joules / PICO:.3g}", f"{joules / reference:,.3g}×"])
    return markdown_table(["operation", "energy (pJ)", "relative to an int8 MAC"], rows)
