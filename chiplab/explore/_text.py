"""Display helpers shared by explorers (words and units only; the numbers come from the models). The formatters
themselves live in :mod:`chiplab.units`, re-exported here for the explorers."""

from __future__ import annotations

from chiplab.units import format_number, format_seconds

__all__ = ["FACTORS", "format_number", "format_seconds"]

# What-if factors offered by the sliders, as (label, factor): ×1/16 … ×16 in powers of two.
FACTORS = [(f"×1/{2 ** -e}" if e < 0 else f"×{2 ** e}", 2.0 ** e) for e in range(-4, 5)]
