"""What-if chips: the same chip with one memory level changed, validated like the original.

A what-if is ``dataclasses.replace`` all the way down (the chip's level tuple is rebuilt with one level
replaced), so every check in ``MemoryLevel.__post_init__`` and ``Chip.__post_init__`` runs again and a bad value
is rejected with a message naming the field. The chip keeps its id: a what-if is "Trainium2, but with half the
SBUF", not a new catalog entry.

>>> from chiplab.hardware import load_chip
>>> trn2 = load_chip("trainium2")
>>> with_level(trn2, "SBUF", capacity_bytes=8 * 2**20).memory_level("scratchpad").capacity_bytes
8388608
>>> scale_level(trn2, "offchip", bandwidth_factor=2).hbm.bandwidth_bytes_per_s
5800000000000.0
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import MemoryLevel

# The fields of a MemoryLevel a what-if may change; role and label stay, so the level keeps its place.
CHANGEABLE_FIELDS = ("capacity_bytes", "bandwidth_bytes_per_s", "per_core", "technology")


def with_level(chip: Chip, label_or_role: str, **changes: Any) -> Chip:
    """``chip`` with the memory level ``label_or_role`` ("SBUF", "HBM", or a role such as "scratchpad")
    replaced by a copy carrying ``changes`` (any of :data:`CHANGEABLE_FIELDS`)."""
    if not isinstance(chip, Chip):
        raise ChiplabInputError(f"chip must be a chiplab Chip (from load_chip); got {type(chip).__name__}")
    unknown = sorted(set(changes) - set(CHANGEABLE_FIELDS))
    if unknown:
        raise ChiplabInputError(f"with_level cannot change {', '.join(unknown)}; the changeable fields are "
                                f"{', '.join(CHANGEABLE_FIELDS)}")
    old = chip.memory_level(label_or_role)
    new = dataclasses.replace(old, **changes)
    levels = tuple(new if level is old else level for level in chip.memory_levels)
    return dataclasses.replace(chip, memory_levels=levels)


def _factor(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ChiplabInputError(f"{name} must be a number > 0 (1 keeps the catalog value); got {value!r}")
    return float(value)


def scale_level(chip: Chip, label_or_role: str, capacity_factor: float = 1.0,
                bandwidth_factor: float = 1.0) -> Chip:
    """``chip`` with one level's capacity and/or bandwidth multiplied by a factor (1 leaves it as is).

    A factor other than 1 on a quantity no source publishes is refused: a what-if cannot scale an unknown.
    Capacities are rounded to whole bytes (at least 1).
    """
    capacity_factor = _factor("capacity_factor", capacity_factor)
    bandwidth_factor = _factor("bandwidth_factor", bandwidth_factor)
    level: MemoryLevel = chip.memory_level(label_or_role)
    changes: dict[str, object] = {}
    for factor, name, value in ((capacity_factor, "capacity_bytes", level.capacity_bytes),
                                (bandwidth_factor, "bandwidth_bytes_per_s", level.bandwidth_bytes_per_s)):
        if factor == 1.0:
            continue
        if value is None:
            raise ChiplabInputError(f"chip {chip.id!r}: the {name} of {level.vendor_label} is not published, "
                                    "so it cannot be scaled; use with_level to give it a value")
        changes[name] = max(1, round(value * factor)) if name == "capacity_bytes" else value * factor
    return with_level(chip, label_or_role, **changes) if changes else chip
