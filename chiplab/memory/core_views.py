"""One core of a chip as the memory model sees it: its matrix units, its levels and its share of the chip's.

Assumptions, stated once (each is a parameter where a student may want to change it):

* Off-chip (HBM) bandwidth is shared by all cores of the chip; a core running its part of a chip-wide job gets
  ``1 / num_cores`` of it (``offchip_share_fraction``).
* A core's matrix units share a GEMM as the compiler would: by output columns, rows, a split of k, or whole GEMMs
  of a batch, whichever is fastest (see :mod:`chiplab.memory.core_gemm`).
* Compute time uses the chip's published peak (which folds in clocks and per-PE rates such as Trainium2's FP8
  double rate) and the *array utilisation* from the systolic model — so a chip whose published peak does not
  close with its geometry (TPU v6e) is still timed against the number its vendor publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import MemoryLevel
from chiplab.hardware.systolic_array import SystolicArraySpec


@dataclass(frozen=True)
class CoreView:
    """The numbers of one core that the memory model needs, resolved from a :class:`Chip`."""

    chip: Chip
    dtype: str
    array: SystolicArraySpec
    num_units: int
    peak_flops_per_s: float  # of one core, for ``dtype``
    offchip: MemoryLevel
    offchip_bandwidth_bytes_per_s: float  # this core's share
    shared: MemoryLevel | None
    scratchpad: MemoryLevel
    accumulator: MemoryLevel | None


def _level_or_none(chip: Chip, role: str) -> MemoryLevel | None:
    return next((level for level in chip.memory_levels if level.role == role), None)


def core_view(chip: Chip, dtype: str = "bf16", offchip_share_fraction: float | None = None) -> CoreView:
    """Resolve a chip into one core's view; clear errors for chips the model cannot place a GEMM on."""
    instance_of("chip", chip, Chip, "a chiplab Chip (from chiplab.hardware.load_chip)")
    unit = chip.core.matrix_unit
    if unit.array is None:
        raise ChiplabInputError(f"chip {chip.id!r} has no published matrix-unit geometry (rows × columns), "
                                "so a GEMM cannot be laid onto its array; pick another chip or give it an array "
                                "with dataclasses.replace")
    peak = chip.peak_flops_per_s(dtype) / chip.num_cores
    offchip = chip.hbm
    if offchip.bandwidth_bytes_per_s is None:
        raise ChiplabInputError(f"chip {chip.id!r}: the bandwidth of {offchip.vendor_label} is unknown")
    share = 1.0 / chip.num_cores if offchip_share_fraction is None else offchip_share_fraction
    if not 0 < share <= 1:
        raise ChiplabInputError(f"offchip_share_fraction must be in (0, 1]; got {offchip_share_fraction!r}")
    scratchpad = _level_or_none(chip, "scratchpad")
    if scratchpad is None or scratchpad.capacity_bytes is None:
        raise ChiplabInputError(f"chip {chip.id!r} has no scratchpad level with a known capacity to tile into")
    return CoreView(
        chip=chip,
        dtype=dtype,
        array=unit.array,
        num_units=unit.num_per_core,
        peak_flops_per_s=peak,
        offchip=offchip,
        offchip_bandwidth_bytes_per_s=offchip.bandwidth_bytes_per_s * share,
        shared=_level_or_none(chip, "shared"),
        scratchpad=scratchpad,
        accumulator=_level_or_none(chip, "accumulator"),
    )
