"""Tiling a GEMM into a core's scratchpad: tile sizes, what must fit, and the bytes each boundary moves.

Loop nest (the usual one for accelerators with accumulators, e.g. the NKI matmul tutorial and TPU kernels):
for each output tile (Tm × Tn): for each k-step of Tk: load an A tile (Tm × Tk) and a B tile (Tk × Tn) from
off-chip memory into the scratchpad and accumulate into the C tile, which stays on chip until its k loop ends
and is then written back once. Hence, counting real (unpadded) elements:

* A is loaded once per column of output tiles:  m·k · ⌈n / Tn⌉ elements;
* B is loaded once per row of output tiles:     k·n · ⌈m / Tm⌉ elements;
* C is written once:                            m·n elements.

Bigger output tiles mean more reuse (each A element loaded serves Tn columns); the scratchpad's capacity caps
them. When Tm ≥ m and Tn ≥ n everything is loaded exactly once: the traffic equals the unique footprint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chiplab._checks import instance_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.units import format_bytes
from chiplab.workloads.gemm import Gemm


@dataclass(frozen=True, kw_only=True)
class Tiling:
    """Tile sizes at the scratchpad level. Double buffering keeps two copies of the A and B tiles so the next
    tiles load while the current ones compute (the overlap that lets time = max(compute, transfer))."""

    tile_m: int
    tile_n: int
    tile_k: int
    double_buffered: bool = True

    def __post_init__(self) -> None:
        for name in ("tile_m", "tile_n", "tile_k"):
            object.__setattr__(self, name, positive_int(name, getattr(self, name)))

    def clipped_to(self, gemm: Gemm) -> Tiling:
        """The same tiling with no tile larger than the GEMM itself."""
        return Tiling(tile_m=min(self.tile_m, gemm.m), tile_n=min(self.tile_n, gemm.n),
                      tile_k=min(self.tile_k, gemm.k), double_buffered=self.double_buffered)


@dataclass(frozen=True)
class TileFootprint:
    """Bytes the tiles occupy: operand tiles in the scratchpad, the output tile in the accumulator."""

    operand_bytes: int  # A and B tiles, × 2 when double-buffered
    output_bytes: int  # the C tile, at accumulator precision

    @property
    def total_bytes(self) -> int:
        return self.operand_bytes + self.output_bytes


def footprint(tiling: Tiling, element_bytes: int, accumulator_bytes: int) -> TileFootprint:
    buffers = 2 if tiling.double_buffered else 1
    operands = buffers * (tiling.tile_m * tiling.tile_k + tiling.tile_k * tiling.tile_n) * element_bytes
    return TileFootprint(operand_bytes=operands, output_bytes=tiling.tile_m * tiling.tile_n * accumulator_bytes)


def check_fits(fp: TileFootprint, scratchpad_label: str, scratchpad_bytes: int,
               accumulator_label: str | None, accumulator_bytes_capacity: int | None) -> None:
    """Raise, saying by how much and where, if the tiles do not fit."""
    if accumulator_label is not None and accumulator_bytes_capacity is not None:
        places = [(scratchpad_label, fp.operand_bytes, scratchpad_bytes, "the A and B tiles"),
                  (accumulator_label, fp.output_bytes, accumulator_bytes_capacity, "the C tile")]
    else:
        places = [(scratchpad_label, fp.total_bytes, scratchpad_bytes, "the A, B and C tiles")]
    for label, needed, capacity, what in places:
        if needed > capacity:
            raise ChiplabInputError(
                f"tiles do not fit in {label}: {what} need {format_bytes(needed)} but {label} holds "
                f"{format_bytes(capacity)} per core (over by {format_bytes(needed - capacity)}); "
                "use smaller tile_m/tile_n/tile_k or double_buffered=False")


@dataclass(frozen=True)
class OffchipTraffic:
    """Elements crossing the off-chip ↔ scratchpad boundary under a tiling (see the module docstring)."""

    num_a_loads: int
    num_b_loads: int
    num_c_stores: int

    def num_bytes(self, element_bytes: int) -> int:
        return (self.num_a_loads + self.num_b_loads + self.num_c_stores) * element_bytes

    def bytes_of(self, gemm: Gemm) -> int:
        """Bytes of these loads and stores with each operand at its own width (narrow weights: see Gemm)."""
        return gemm.operand_bytes(self.num_a_loads, self.num_b_loads, self.num_c_stores)


def offchip_traffic(gemm: Gemm, tiling: Tiling) -> OffchipTraffic:
    return OffchipTraffic(
        num_a_loads=gemm.m * gemm.k * math.ceil(gemm.n / tiling.tile_n),
        num_b_loads=gemm.k * gemm.n * math.ceil(gemm.m / tiling.tile_m),
        num_c_stores=gemm.m * gemm.n,
    )


def unique_footprint_bytes(gemm: Gemm) -> int:
    """Bytes of A, B and C themselves: no tiling can move less across the off-chip boundary."""
    return instance_of("gemm", gemm, Gemm, "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)").unique_bytes


def require_tiling_dims(tiling: object) -> Tiling:
    if not isinstance(tiling, Tiling):
        raise ChiplabInputError(f"tiling must be a chiplab.memory.Tiling; got {type(tiling).__name__}")
    return tiling
