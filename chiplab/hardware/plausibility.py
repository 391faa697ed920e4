"""Unit-slip checks for every chip: plausible ranges and agreement with the figure as the source printed it.

Three checks, from loosest to strictest:

* **Any chip** (catalog, user file, :func:`~chiplab.hardware.custom.design_chip`, ``with_level``,
  ``dataclasses.replace``): every number stays below :data:`RANGES`' ``any_high``, about 100× the largest value
  any shipped chip has, so a 16× what-if passes and a ×1000 slip (TB/s typed where GB/s was meant) does not.
  :class:`~chiplab.hardware.chip.Chip` runs it in ``__post_init__``.
* **A real chip read from a file** (the catalog or :func:`~chiplab.hardware.load_chip_file` with
  ``kind = "real"`` or ``"baseline"``): every number lies in the narrow range of shipped chips, so ÷1000 and
  bits-for-bytes (÷8) slips of typical values are caught too.
* **Any chip read from a file**: a value whose provenance gives ``as_published`` must equal that figure in SI
  units (to 0.5%), which catches GiB-vs-GB and ``2.9e9`` stored next to ``"2.9 TB/s"``.

What-ifs keep the provenance of the chip they came from, so the last two checks run where a file is read, never on
a what-if whose numbers were changed on purpose.

>>> from chiplab.hardware import load_chip
>>> plausible_range(load_chip("h100"), "memory.HBM.bandwidth_bytes_per_s")
(10000000000.0, 10000000000000.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.provenance import published_value_si

if TYPE_CHECKING:  # chip.py imports this module
    from chiplab.hardware.chip import Chip

# A stored value agrees with its published figure within this fraction (published figures carry 3-4 digits).
AS_PUBLISHED_TOLERANCE_FRACTION = 5e-3


@dataclass(frozen=True)
class PlausibleRange:
    """Where a number of a shipped chip lies (``low``..``high``), and the most any chip may claim (``any_high``)."""

    pattern: str  # regex on the provenance key
    where: str | None  # "offchip" or "onchip" for memory levels, else None
    low: float
    high: float
    any_high: float
    example: str  # the smallest and largest shipped values, for the reader


# Each shipped range is narrow enough that a ×1000 slip (GB/s stored as MB/s) or a bits/bytes slip (÷8) of a
# typical value leaves it; ``any_high`` is ~100× the largest shipped value.
RANGES = (
    PlausibleRange(r"^memory\.[^.]+\.capacity_bytes$", "offchip", 1e9, 1e12, 1e14, "8 GiB (TPU v1) .. 192 GiB"),
    PlausibleRange(r"^memory\.[^.]+\.bandwidth_bytes_per_s$", "offchip", 1e10, 1e13, 1e15,
                   "34 GB/s (TPU v1) .. 7.7 TB/s"),
    PlausibleRange(r"^memory\.[^.]+\.capacity_bytes$", "onchip", 1e4, 1e9, 1e11,
                   "64 KiB LDS .. 256 MiB Infinity Cache"),
    PlausibleRange(r"^memory\.[^.]+\.bandwidth_bytes_per_s$", "onchip", 1e11, 1e16, 1e18, "on-chip SRAM"),
    PlausibleRange(r"clock_hz$", None, 1e8, 5e9, 1e11, "700 MHz (TPU v1) .. 2.8 GHz"),
    PlausibleRange(r"^tdp_w$", None, 10, 2000, 1e5, "75 W (TPU v1) .. 1 kW"),
    PlausibleRange(r"^peak_flops_per_s\.", None, 1e12, 1e17, 1e19, "46 TFLOPS (TPU v2) .. 9 PFLOPS (B200 fp4)"),
    PlausibleRange(r"^vector_peak_flops_per_s\.", None, 1e12, 1e15, 1e17, "up to 80 TFLOPS"),
    PlausibleRange(r"^links\.[^.]+\.bandwidth_bytes_per_s$", None, 1e10, 1e13, 1e15,
                   "32 GiB/s (Inferentia1) .. 2.56 TB/s"),
    PlausibleRange(r"^links\.[^.]+\.per_link_one_way_bytes_per_s$", None, 1e9, 1e12, 1e14, "up to 100 GB/s"),
    PlausibleRange(r"^links\.[^.]+\.num_links$", None, 1, 32, 1024, "up to 18 (NVLink 4)"),
    PlausibleRange(r"^links\.[^.]+\.max_chips$", None, 2, 100_000, 10_000_000, "up to 9,216 (TPU7x pod)"),
    PlausibleRange(r"^num_cores$", None, 1, 1024, 4096, "1 .. 304 (MI300X CUs)"),
    PlausibleRange(r"^core\.matrix_unit\.num_per_core$", None, 1, 16, 64, "1 .. 8"),
    PlausibleRange(r"^core\.matrix_unit\.num_(rows|cols)$", None, 4, 512, 4096, "4 .. 256"),
    PlausibleRange(r"^core\.matrix_unit\.macs_per_pe_per_cycle\.", None, 0.1, 8, 64, "0.25 .. 4"),
    PlausibleRange(r"^core\.matrix_unit\.stationary_load_rows_per_cycle$", None, 1, 8, 4096,
                   "1 (one row a cycle) .. 2 (AWS Tensor Engine)"),
    PlausibleRange(r"^die_area_mm2$", None, 50, 1000, 100_000, "up to 826 mm² (reticle limit)"),
    PlausibleRange(r"^num_transistors$", None, 1e9, 1e12, 1e14, "up to 208 billion (B200)"),
)


def _range_entry(chip: Chip, key: str) -> PlausibleRange | None:
    for entry in RANGES:
        if not re.search(entry.pattern, key):
            continue
        if entry.where is not None:
            is_offchip = chip.memory_level(key.split(".")[1]).role == "offchip"
            if (entry.where == "offchip") != is_offchip:
                continue
        return entry
    return None


def plausible_range(chip: Chip, key: str) -> tuple[float, float] | None:
    """(low, high) of shipped chips for the number ``key`` of ``chip`` (a provenance key), or None if none set."""
    from chiplab.hardware.chip import Chip  # chip.py imports this module

    instance_of("chip", chip, Chip, "a chiplab Chip (from chiplab.hardware.load_chip)")
    if key not in chip.numeric_fields():
        raise ChiplabInputError(f"key must be one of chip {chip.id!r}'s numbers, e.g. "
                                f"'memory.HBM.bandwidth_bytes_per_s' (see Chip.numeric_fields()); got {key!r}")
    entry = _range_entry(chip, key)
    return None if entry is None else (entry.low, entry.high)


def check_any_chip(chip: Chip) -> None:
    """Refuse numbers no chip could have (beyond ``any_high``): the ×1000 slips, for any chip, what-ifs too."""
    for key, value in chip.numeric_fields().items():
        entry = _range_entry(chip, key)
        if entry is not None and value > entry.any_high:
            raise ChiplabInputError(
                f"chip {chip.id!r}: {key} = {value:g} is implausible (no chip has more than {entry.any_high:g}; "
                f"shipped chips: {entry.example}); check the unit (SI base units: bytes, bytes/s, Hz, W, FLOP/s)")


def check_shipped_ranges(chip: Chip, origin: str) -> None:
    """Refuse a real chip's number outside the range of shipped chips, naming the file, key and range."""
    for key, value in chip.numeric_fields().items():
        entry = _range_entry(chip, key)
        if entry is not None and not entry.low <= value <= entry.high:
            raise ChiplabInputError(
                f"{origin}: {key} = {value:g} lies outside [{entry.low:g}, {entry.high:g}], the range of shipped "
                f"chips ({entry.example}); check the unit (SI base units: bytes, bytes/s, Hz, W, FLOP/s), or "
                'use kind = "toy" for an invented chip')


def check_as_published(chip: Chip, origin: str) -> None:
    """Refuse a number that disagrees with the figure its provenance says the source printed."""
    for key, value in chip.numeric_fields().items():
        record = chip.provenance.get(key)
        if record is None or not record.as_published:
            continue
        published = published_value_si(record.as_published)
        if published is None:
            raise ChiplabInputError(
                f"{origin}: [provenance.{key!r}] as_published = {record.as_published!r} does not start with a "
                "number; give the figure as the source printed it, e.g. \"2.9 TB/s\" or \"96 GiB\"")
        if abs(value - published) > AS_PUBLISHED_TOLERANCE_FRACTION * abs(published):
            raise ChiplabInputError(
                f"{origin}: {key} = {value:g} but as_published = {record.as_published!r} is {published:g} in SI "
                "units; one of them has a unit slip (GB vs GiB, bits vs bytes, or a factor of 1000)")
