"""Rooflines: the classic one (peak compute and off-chip bandwidth) and the hierarchical one (a ceiling per level).

Operational intensity is work per byte moved at a level. Papers count work differently, so the convention is
explicit: ``"flops_per_byte"`` (2 FLOPs per multiply-accumulate, how vendors quote peaks; chiplab's default) or
``"macs_per_byte"`` — the TPU v1 paper's (Jouppi et al., ISCA 2017, Fig. 5) ridge point of 1350 is MACs per byte of
weight memory: 46e12 MAC/s ÷ 34e9 B/s ≈ 1353. The same chip's ridge is about 2700 in FLOPs per byte.

>>> from chiplab.hardware import load_chip
>>> round(roofline(load_chip("tpu_v1"), "int8", "macs_per_byte").ridge_point())
1353
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import instance_of, non_negative, one_of, positive
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip

CONVENTIONS = ("flops_per_byte", "macs_per_byte")


@dataclass(frozen=True)
class Ceiling:
    """One sloped roof: a memory level's bandwidth (summed over the chip)."""

    label: str
    role: str
    bandwidth_bytes_per_s: float


@dataclass(frozen=True)
class RooflinePoint:
    """A workload placed on a roofline at one level."""

    label: str
    level: str
    intensity: float  # in the roofline's convention
    attainable_flops_per_s: float
    bound: str  # "compute" or the level's label


@dataclass(frozen=True)
class Roofline:
    chip_id: str
    dtype: str
    peak_flops_per_s: float
    ceilings: tuple[Ceiling, ...]  # outermost → innermost, only levels with a known bandwidth
    convention: str = "flops_per_byte"

    @property
    def _work_per_flop(self) -> float:
        return 0.5 if self.convention == "macs_per_byte" else 1.0

    def ceiling(self, level: str = "offchip") -> Ceiling:
        for ceiling in self.ceilings:
            if level in (ceiling.label, ceiling.role):
                return ceiling
        known = ", ".join(c.label for c in self.ceilings)
        raise ChiplabInputError(f"chip {self.chip_id!r} has no roofline ceiling for level {level!r}; levels with a "
                                f"known bandwidth: {known}")

    def ridge_point(self, level: str = "offchip") -> float:
        """The intensity where the sloped roof meets the flat one: peak ÷ bandwidth, in this convention."""
        return self.peak_flops_per_s * self._work_per_flop / self.ceiling(level).bandwidth_bytes_per_s

    def attainable_flops_per_s(self, intensity: float, level: str = "offchip") -> float:
        """min(peak, intensity × bandwidth), with intensity converted from the convention to FLOPs per byte."""
        intensity = positive("intensity", intensity)
        flops_per_byte = intensity / self._work_per_flop
        return min(self.peak_flops_per_s, flops_per_byte * self.ceiling(level).bandwidth_bytes_per_s)

    def place(self, label: str, flops: float, num_bytes: float, level: str = "offchip") -> RooflinePoint:
        """Place a workload doing ``flops`` while moving ``num_bytes`` at ``level``."""
        flops = non_negative("flops", flops)
        if not isinstance(num_bytes, bool) and isinstance(num_bytes, int | float) and num_bytes == 0:
            raise ChiplabInputError(f"num_bytes must be > 0 to place {label!r} on a roofline; got {num_bytes!r}")
        num_bytes = positive("num_bytes", num_bytes)
        intensity = flops * self._work_per_flop / num_bytes
        attainable = self.attainable_flops_per_s(intensity, level)
        bound = "compute" if attainable >= self.peak_flops_per_s else self.ceiling(level).label
        return RooflinePoint(label, self.ceiling(level).label, intensity, attainable, bound)


def roofline(chip: Chip, dtype: str = "bf16", convention: str = "flops_per_byte") -> Roofline:
    """The chip's roofline: its dense peak for ``dtype`` and a ceiling per level whose bandwidth is known."""
    instance_of("chip", chip, Chip, "a chiplab Chip (from chiplab.hardware.load_chip)")
    convention = one_of("convention", convention, CONVENTIONS)
    ceilings = tuple(
        Ceiling(level.vendor_label, level.role,
                level.bandwidth_bytes_per_s * (chip.num_cores if level.per_core else 1))
        for level in chip.memory_levels if level.bandwidth_bytes_per_s is not None
    )
    return Roofline(chip.id, dtype, chip.peak_flops_per_s(dtype), ceilings, convention)
