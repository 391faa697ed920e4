"""Display formatting shared by explorers (words and units only; the numbers come from the models)."""

from __future__ import annotations

from chiplab.units import format_seconds

__all__ = ["FACTORS", "format_number", "format_seconds"]

# What-if factors offered by the sliders, as (label, factor): ×1/16 … ×16 in powers of two.
FACTORS = [(f"×1/{2 ** -e}" if e < 0 else f"×{2 ** e}", 2.0 ** e) for e in range(-4, 5)]


def format_number(value: float) -> str:
    """'1,353' for large values, '7.98' for small ones (three significant digits)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
