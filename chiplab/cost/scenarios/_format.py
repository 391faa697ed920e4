"""Small display helpers shared by the scenario modules."""

from __future__ import annotations

from chiplab.hardware.catalog import load_chip
from chiplab.hardware.chip import Chip


def _chips_text(num_chips: int) -> str:
    return f"{num_chips:,} chip" + ("s" if num_chips != 1 else "")


def _chip(chip: str | Chip) -> Chip:
    return chip if isinstance(chip, Chip) else load_chip(chip)
