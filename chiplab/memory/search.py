"""Tile search: the tiling that minimises time (then off-chip traffic) under the capacity limits.

Candidates are the array's dimensions times powers of two, plus the GEMM's own dimensions, so every candidate
tile is a whole number of array folds or the whole matrix. All candidates are scored at once with numpy; only
the winner is evaluated in full, so a typical search takes well under a millisecond to a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.memory.core_gemm import GemmOnCore, place_gemm
from chiplab.memory.core_views import CoreView
from chiplab.memory.tiling import Tiling
from chiplab.systolic.dataflow import Dataflow
from chiplab.units import format_bytes
from chiplab.workloads.gemm import Gemm


@dataclass(frozen=True)
class TileSearch:
    """The winner and how the candidates compared (for showing *why* it wins)."""

    best: GemmOnCore
    num_candidates: int
    num_fitting: int
    candidate_tiles: np.ndarray  # (num_fitting, 3): tile_m, tile_n, tile_k that fit (int64)
    # off-chip bytes of each fitting candidate, each operand at its own width as place_gemm counts them (float64:
    # may exceed 2**63)
    candidate_offchip_bytes: np.ndarray


def _sizes(dim: int, step: int) -> np.ndarray:
    sizes = {dim}
    size = step
    while size < dim:
        sizes.add(size)
        size *= 2
    return np.array(sorted(sizes), dtype=np.int64)


def _offchip_bytes(gemm: Gemm, tm: np.ndarray, tn: np.ndarray, sizes_m: np.ndarray, sizes_n: np.ndarray
                   ) -> np.ndarray:
    """Off-chip bytes of each candidate (``tm``, ``tn``) as :func:`place_gemm` counts them: the loads and stores of
    :func:`chiplab.memory.tiling.offchip_traffic` (A: m·k·⌈n/Tn⌉, B: k·n·⌈m/Tm⌉, C: m·n), each operand at its own
    width (:meth:`Gemm.operand_bytes`: narrow weights, the bf16 output of 8-bit GEMMs). A's loads depend on Tn only
    and B's on Tm only, so each is counted exactly, in integers, once per tile size; only the sums are float64."""
    m, n, k = gemm.m, gemm.n, gemm.k
    a_bytes = np.array([float(gemm.operand_bytes(m * k * -(-n // int(size)), 0, 0)) for size in sizes_n])
    b_bytes = np.array([float(gemm.operand_bytes(0, k * n * -(-m // int(size)), 0)) for size in sizes_m])
    c_bytes = float(gemm.operand_bytes(0, 0, gemm.m * gemm.n))
    total: np.ndarray = a_bytes[np.searchsorted(sizes_n, tn)] + b_bytes[np.searchsorted(sizes_m, tm)] + c_bytes
    return total


def best_tiling(gemm: Gemm, view: CoreView, dataflow: Dataflow | str = "ws", accumulator_bytes: int = 4,
                double_buffered: bool = True) -> TileSearch:
    instance_of("gemm", gemm, Gemm, "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)")
    instance_of("view", view, CoreView, "a CoreView from chiplab.memory.core_view(chip)")
    rows, cols = view.array.num_rows, view.array.num_cols
    sizes_m, sizes_n = _sizes(gemm.m, rows), _sizes(gemm.n, cols)
    tm, tn, tk = np.meshgrid(sizes_m, sizes_n, _sizes(gemm.k, rows), indexing="ij")
    tm, tn, tk = tm.ravel(), tn.ravel(), tk.ravel()
    # Byte counts are scored in float64: products such as m·k·⌈n/Tn⌉ exceed 2**63 for GEMMs of 1e7³ and wrap
    # around in int64 (negative byte counts picked the wrong winner); float64 keeps their order to 1 part in 2**53.
    tm, tn, tk = tm.astype(np.float64), tn.astype(np.float64), tk.astype(np.float64)
    buffers = 2 if double_buffered else 1
    # On chip the A and B tiles are held at the arithmetic width (narrow weights are widened as they arrive), as
    # memory.tiling.footprint counts them for place_gemm: the two must agree on what fits.
    operand_bytes = buffers * (tm * tk + tk * tn) * gemm.bytes_per_element
    output_bytes = tm * tn * accumulator_bytes
    if view.accumulator is not None and view.accumulator.capacity_bytes is not None:
        fits = (operand_bytes <= view.scratchpad.capacity_bytes) & (output_bytes <= view.accumulator.capacity_bytes)
    else:
        fits = operand_bytes + output_bytes <= view.scratchpad.capacity_bytes
    if not fits.any():
        smallest = int((operand_bytes + output_bytes).min())
        raise ChiplabInputError(
            f"no tiling of {gemm} fits: even the smallest tiles need {format_bytes(smallest)} on chip, more than "
            f"{view.scratchpad.vendor_label} ({format_bytes(cast(int, view.scratchpad.capacity_bytes))} per core) "
            "allows")
    tm, tn, tk = tm[fits], tn[fits], tk[fits]
    offchip_bytes = _offchip_bytes(gemm, tm, tn, sizes_m, sizes_n)
    # Compute time does not depend on these tiles, so less off-chip traffic is never slower; among equals, a
    # deeper k tile means fewer, larger transfers.
    order = np.lexsort((-tk, -(tm * tn), offchip_bytes))
    winner = order[0]
    tiling = Tiling(tile_m=int(tm[winner]), tile_n=int(tn[winner]), tile_k=int(tk[winner]),
                    double_buffered=double_buffered)
    best = place_gemm(gemm, view, tiling, dataflow, accumulator_bytes)
    return TileSearch(best=best, num_candidates=int(fits.size), num_fitting=int(tm.size),
                      candidate_tiles=np.stack([tm, tn, tk], axis=1).astype(np.int64),
                      candidate_offchip_bytes=offchip_bytes)
