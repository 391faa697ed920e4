"""Small display helpers shared by the scenario modules."""

from __future__ import annotations


def _chips_text(num_chips: int) -> str:
    return f"{num_chips:,} chip" + ("s" if num_chips != 1 else "")
