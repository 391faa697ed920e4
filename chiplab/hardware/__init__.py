"""Hardware descriptions: frozen, keyword-only, self-validating dataclasses (and, later, the chip catalog)."""

from chiplab.hardware.systolic_array import SystolicArraySpec

__all__ = ["SystolicArraySpec"]
