"""Calibration: the efficiency factors the hardware model cannot derive, as named, sourced parameters.

chiplab's array, memory and network models describe *hardware*: what the silicon can do with a perfectly
scheduled kernel. Real software loses some of it — kernel launch and synchronisation gaps, imperfect overlap of
transfers with compute, clocks that throttle under power limits, achievable DRAM bandwidth below the datasheet's.
Those losses are not hidden in the model; they live here, each with a value, a source and a one-line reason, and
every estimate reports which calibration it used. ``IDEAL`` (all ones, no overhead) is the default, so an
uncalibrated estimate is an upper bound on performance.
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import fraction, instance_of, non_negative


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """Efficiency factors applied on top of the hardware model (see the module docstring)."""

    name: str = "ideal"
    matmul_efficiency_fraction: float = 1.0  # achieved ÷ modelled matrix-unit throughput on large GEMMs
    memory_efficiency_fraction: float = 1.0  # achievable ÷ datasheet off-chip bandwidth
    network_efficiency_fraction: float = 1.0  # achievable ÷ datasheet link bandwidth in collectives
    kernel_overhead_s: float = 0.0  # fixed time per kernel (op instance group) launched: dispatch, sync
    source: str = "no calibration: the ideal hardware of chiplab's models (an upper bound on performance)"

    def __post_init__(self) -> None:
        instance_of("name", self.name, str, "a short name such as 'measured'")
        instance_of("source", self.source, str, "the source of the factors (a URL or paper and table)")
        # An efficiency of 0 would make every time infinite, so the fractions exclude it; NaN, infinities and
        # booleans are refused by the shared checks (a True overhead is not 1 second).
        for field in ("matmul_efficiency_fraction", "memory_efficiency_fraction", "network_efficiency_fraction"):
            object.__setattr__(self, field, fraction(field, getattr(self, field), allow_zero=False))
        object.__setattr__(self, "kernel_overhead_s", non_negative("kernel_overhead_s", self.kernel_overhead_s))


IDEAL = Calibration()
