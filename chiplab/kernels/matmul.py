"""Worked matmul kernels, from naive to double-buffered: the same C = A @ B three ways, each faster for a reason
the run shows.

* ``naive``: one output tile at a time; for each, load its strip of Aᵀ and of B, multiply, store. Every byte of
  A is loaded N / tile_n times and of B M / tile_m times, and with one buffer the DMAs and the matrix unit take
  turns (each load must wait until the previous tile's matmuls have read the buffer: write-after-read).
* ``tiled``: blocks of several output tiles share one Aᵀ strip (kept while the block row lasts) and one B strip,
  so HBM traffic falls by the block factors; still one buffer, so loading and computing still take turns.
* ``double_buffered``: the tiled kernel with two B-strip buffers and two Aᵀ-strip buffers: the next block loads
  while this one computes, so time → max(DMA time, matmul time) instead of their sum.

The Tensor Engine contracts over the partition axis, so the kernel takes Aᵀ (K × M) in HBM, as NKI's tutorials do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiplab._checks import instance_of, one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels._ops import check_instruction_budget
from chiplab.kernels.inputs import checked_inputs
from chiplab.kernels.language import Kernel
from chiplab.kernels.params import CoreParams, core_params
from chiplab.kernels.result import KernelRun
from chiplab.kernels.tiles import Tensor, shape_of

VARIANTS = ("naive", "tiled", "double_buffered")


@dataclass(frozen=True)
class MatmulTiling:
    """Instruction tile sizes (tile_k partitions × tile_m stationary × tile_n moving) and block sizes."""

    tile_k: int
    tile_m: int
    tile_n: int
    block_m: int
    block_n: int
    num_buffers: int


def instruction_tile(params: CoreParams) -> tuple[int, int, int]:
    """The largest matmul one instruction takes: the published limits, or the array size where there are none."""
    instance_of("params", params, CoreParams, "a CoreParams, e.g. core_params('trn2')")
    array = params.array
    tile_k = params.matmul_max_partitions or array.num_rows
    tile_m = params.matmul_max_stationary_free or array.num_cols
    tile_n = params.matmul_max_moving_free or array.num_cols
    return tile_k, tile_m, tile_n


def default_tiling(params: CoreParams, variant: str, shape: tuple[int, int, int]) -> MatmulTiling:
    """Block sizes for a variant: the naive kernel's block is one instruction tile; the tiled ones take up to
    4 × 4 instruction tiles (fewer where the matrix or the accumulator is smaller)."""
    variant = one_of("variant", variant, VARIANTS)
    m, n, _ = shape_of("shape", shape, 3)
    tile_k, tile_m, tile_n = instruction_tile(params)
    if variant == "naive":
        return MatmulTiling(tile_k, tile_m, tile_n, tile_m, tile_n, 1)
    acc_tiles = _accumulator_tiles(params, tile_m, tile_n)
    m_tiles = max(1, min(4, m // tile_m))
    n_tiles = max(1, min(4, n // tile_n, acc_tiles // m_tiles))
    buffers = 2 if variant == "double_buffered" else 1
    return MatmulTiling(tile_k, tile_m, tile_n, m_tiles * tile_m, n_tiles * tile_n, buffers)


def _accumulator_tiles(params: CoreParams, tile_m: int, tile_n: int) -> int:
    """How many (tile_m × tile_n) fp32 accumulator tiles fit (PSUM banks on Trainium)."""
    capacity_bytes = params.accumulator.capacity_bytes or 0   # core_params refuses an accumulator without one
    if params.num_partitions and params.accumulator_bank_bytes_per_partition:
        return capacity_bytes // params.num_partitions // params.accumulator_bank_bytes_per_partition
    return max(1, capacity_bytes // (4 * tile_m * tile_n) // 2)


def run_matmul(chip: str | Chip, a: np.ndarray | None = None, b: np.ndarray | None = None, *,
               shape: tuple[int, int, int] | None = None, dtype: str = "bf16",
               variant: str = "double_buffered", tiling: MatmulTiling | None = None,
               values: bool = True, dataflow: str = "ws") -> KernelRun:
    """C = A @ B with the ``variant`` kernel (see the module docstring). Give ``a`` and ``b``, or with
    ``values=False`` just ``shape=(m, n, k)``. The result is ``run.outputs["c"]`` (fp32)."""
    variant = one_of("variant", variant, VARIANTS)
    params = core_params(chip)
    arrays, given_shape = checked_inputs("run_matmul", {"a": a, "b": b}, values=values, shape=shape,
                                         shape_text="(m, n, k)")
    if values:
        a_in, b_in = arrays["a"], arrays["b"]
        if a_in.shape[1] != b_in.shape[0]:
            raise ChiplabInputError(f"run_matmul: a must be (m, k) and b (k, n); got {a_in.shape} and {b_in.shape}")
        m, n, k = a_in.shape[0], b_in.shape[1], a_in.shape[1]
    else:
        m, n, k = given_shape
    if tiling is None:
        tiling, name = default_tiling(params, variant, (m, n, k)), f"matmul ({variant.replace('_', '-')})"
    else:
        buffers = "double-buffered" if tiling.num_buffers == 2 else f"{tiling.num_buffers} buffer(s)"
        name = f"matmul ({tiling.block_m}x{tiling.block_n} blocks, {buffers})"
    for size, block, axis in ((m, tiling.block_m, "m"), (n, tiling.block_n, "n"), (k, tiling.tile_k, "k")):
        if size % block:
            raise ChiplabInputError(f"run_matmul: {axis} = {size} must be a multiple of the block size {block} "
                                    f"(pad the matrices, or pass a MatmulTiling with smaller blocks)")
    check_instruction_budget((m // tiling.tile_m) * (n // tiling.tile_n) * (k // tiling.tile_k + 2),
                             f"run_matmul of shape {(m, n, k)}")
    kernel = Kernel(params, values=values, dataflow=dataflow, name=name)
    if values:
        # A view, not a transposed copy: rounding to the dtype writes a fresh array anyway (in a's memory order).
        a_t = kernel.hbm("a_t", arrays["a"].T, dtype=dtype)
        b_t = kernel.hbm("b", arrays["b"], dtype=dtype)
    else:
        a_t = kernel.hbm("a_t", shape=(k, m), dtype=dtype)
        b_t = kernel.hbm("b", shape=(k, n), dtype=dtype)
    c = kernel.hbm_output("c", (m, n), "fp32")
    _matmul_body(kernel, a_t, b_t, c, tiling, dtype)
    return kernel.finish()


def _matmul_body(kernel: Kernel, a_t: Tensor, b: Tensor, c: Tensor, t: MatmulTiling, dtype: str) -> None:
    """The loop nest every variant shares; only the block sizes and the number of buffers differ."""
    k_dim, m_dim = a_t.shape
    n_dim = b.shape[1]
    num_k = k_dim // t.tile_k
    a_strips = [[kernel.tile((t.tile_k, t.block_m), dtype, name=f"a_t strip {s}.{kk}") for kk in range(num_k)]
                for s in range(t.num_buffers)]
    b_strips = [[kernel.tile((t.tile_k, t.block_n), dtype, name=f"b strip {s}.{kk}") for kk in range(num_k)]
                for s in range(t.num_buffers)]
    m_tiles, n_tiles = t.block_m // t.tile_m, t.block_n // t.tile_n
    # The instruction-sized parts of every strip, sliced once (slicing inside the innermost loop costs time).
    a_parts = [[[strip[:, i * t.tile_m:(i + 1) * t.tile_m] for i in range(m_tiles)] for strip in strips]
               for strips in a_strips]
    b_parts = [[[strip[:, j * t.tile_n:(j + 1) * t.tile_n] for j in range(n_tiles)] for strip in strips]
               for strips in b_strips]
    accs = [[kernel.psum((t.tile_m, t.tile_n), name=f"acc {i}.{j}") for j in range(n_tiles)] for i in range(m_tiles)]
    outs = [kernel.tile((t.tile_m, t.tile_n), "fp32", name=f"out {s}") for s in range(2)]
    # Stores wait for their results; on a queue of their own they never hold up the next block's loads
    # (a DMA queue runs in order, so a store queued ahead of a load would block it).
    store_queue = kernel.params.num_dma_queues - 1
    step = block = 0
    for bi in range(m_dim // t.block_m):
        a_strip, a_part = a_strips[bi % t.num_buffers], a_parts[bi % t.num_buffers]
        m0 = bi * t.block_m
        for kk in range(num_k):
            kernel.load(a_strip[kk], a_t[kk * t.tile_k:(kk + 1) * t.tile_k, m0:m0 + t.block_m],
                        queue=_load_queue(kernel))
        for bj in range(n_dim // t.block_n):
            b_strip, b_part = b_strips[block % t.num_buffers], b_parts[block % t.num_buffers]
            block += 1
            n0 = bj * t.block_n
            for kk in range(num_k):
                kernel.load(b_strip[kk], b[kk * t.tile_k:(kk + 1) * t.tile_k, n0:n0 + t.block_n],
                            queue=_load_queue(kernel))
            # Every output tile's matmuls first, then the copies out of PSUM: each engine runs the same stream in
            # the same order either way (so the time is the same), and the block's products are all issued before
            # any is read, so the values are computed as one product (chiplab.kernels.chains).
            for i in range(m_tiles):
                for j in range(n_tiles):
                    for kk in range(num_k):
                        kernel.matmul(accs[i][j], a_part[kk][i], b_part[kk][j], accumulate=kk > 0)
            for i in range(m_tiles):
                for j in range(n_tiles):
                    out = outs[step % 2]
                    step += 1
                    kernel.copy(out, accs[i][j])
                    rows, cols = m0 + i * t.tile_m, n0 + j * t.tile_n
                    kernel.store(c[rows:rows + t.tile_m, cols:cols + t.tile_n], out, queue=store_queue)


def _load_queue(kernel: Kernel) -> int:
    """Round-robin over every queue but the last (kept for stores) where there is more than one."""
    queues = kernel.params.num_dma_queues
    queue = kernel.next_queue()
    if queues > 1 and queue == queues - 1:
        queue = kernel.next_queue()
    return queue
