"""A thin Pallas-style front end for TPU TensorCores, lowered onto the same simulated core as the tile language.

As in Pallas (JAX docs, "Grids and BlockSpecs"): the kernel body runs once per point of a ``grid``; each input and
the output have a :class:`BlockSpec` (a block shape and an ``index_map`` from grid indices to block indices); the
body sees its blocks as VMEM tiles plus any VMEM ``scratch`` it asked for. The front end does what Pallas's TPU
pipeline does for you: it copies a block HBM → VMEM only when its block index changes, into one of two buffers,
so the next block loads while this one computes; and it writes the output block back when its index is about to
change. The body calls MXU/VPU operations through ``pl`` (``pl.dot``, ``pl.tensor_tensor``, ...).

>>> import numpy as np
>>> x, y = np.ones((256, 256)), np.ones((256, 256))
>>> def body(x_ref, y_ref, o_ref, acc_ref, pl):
...     if pl.program_id(2) == 0:
...         pl.fill(acc_ref, 0.0)
...     pl.dot(acc_ref, x_ref, y_ref, accumulate=True)
...     if pl.program_id(2) == pl.num_programs(2) - 1:
...         pl.copy(o_ref, acc_ref)
>>> run = pallas_call(body, chip="tpu_v5e", grid=(2, 2, 2),
...                   in_specs=[BlockSpec((128, 128), lambda i, j, k: (i, k)),
...                             BlockSpec((128, 128), lambda i, j, k: (k, j))],
...                   out_spec=BlockSpec((128, 128), lambda i, j, k: (i, j)), out_shape=(256, 256),
...                   scratch_shapes=[((128, 128), "fp32")])(x, y)
>>> float(run.outputs["out"][0, 0])
256.0
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from chiplab._checks import positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels.language import Kernel
from chiplab.kernels.result import KernelRun
from chiplab.kernels.tiles import float_array, shape_of


@dataclass(frozen=True)
class BlockSpec:
    """A block shape and the map from grid indices to block indices (block i covers i·shape … (i+1)·shape)."""

    block_shape: tuple[int, ...]
    index_map: Callable[..., tuple[int, ...]]


class ProgramContext:
    """What a kernel body sees as ``pl``: its grid position, and the core's operations (those of
    :class:`chiplab.kernels.Kernel`, which give every error the body's line)."""

    def __init__(self, kernel: Kernel, grid: tuple[int, ...]):
        self.kernel, self.grid, self.position = kernel, grid, (0,) * len(grid)
        for name in ("dot", "tensor_tensor", "activation", "reduce", "copy", "transpose", "fill"):
            setattr(self, name, getattr(kernel, name))

    def program_id(self, axis: int) -> int:
        return self.position[axis]

    def num_programs(self, axis: int) -> int:
        return self.grid[axis]


def _block_slices(spec: BlockSpec, index: tuple[int, ...], full_shape: tuple[int, ...], what: str) -> tuple:
    if len(index) != len(spec.block_shape):
        raise ChiplabInputError(f"{what}: index_map returned {index!r}; it must give one block index per axis "
                                f"of the block shape {spec.block_shape}")
    slices = []
    for axis, (i, size, full) in enumerate(zip(index, spec.block_shape, full_shape, strict=True)):
        if i < 0 or (i + 1) * size > full:
            raise ChiplabInputError(f"{what}: block {index!r} is out of bounds on axis {axis} "
                                    f"({i * size}:{(i + 1) * size} of {full})")
        slices.append(slice(i * size, (i + 1) * size))
    return tuple(slices)


def pallas_call(body: Callable, *, chip: str | Chip, grid: Sequence[int], in_specs: Sequence[BlockSpec],
                out_spec: BlockSpec, out_shape: tuple[int, ...], scratch_shapes: Sequence[tuple] = (),
                dtype: str = "bf16", out_dtype: str = "fp32", values: bool = True,
                name: str = "pallas kernel") -> Callable[..., KernelRun]:
    """Return a function of the input arrays (or of their shapes when ``values=False``) that runs ``body``."""
    grid = tuple(positive_int(f"grid[{i}]", g) for i, g in enumerate(grid))

    def run(*inputs) -> KernelRun:
        if len(inputs) != len(in_specs):
            raise ChiplabInputError(f"{name}: {len(in_specs)} in_specs but {len(inputs)} inputs")
        kernel = Kernel(chip, values=values, name=name)
        tensors = [kernel.hbm(f"in{i}", x, dtype=dtype) if values else kernel.hbm(f"in{i}", shape=tuple(x), dtype=dtype)
                   for i, x in enumerate(inputs)]
        out = kernel.hbm_output("out", tuple(out_shape), out_dtype)
        in_bufs = [[kernel.tile(spec.block_shape, dtype, name=f"in{i} block {b}") for b in range(2)]
                   for i, spec in enumerate(in_specs)]
        out_bufs = [kernel.tile(out_spec.block_shape, out_dtype, name=f"out block {b}") for b in range(2)]
        scratch = [kernel.tile(tuple(shape), sdtype, name=f"scratch {i}", memory="accumulator")
                   for i, (shape, sdtype) in enumerate(scratch_shapes)]
        pl = ProgramContext(kernel, grid)
        points = list(itertools.product(*(range(g) for g in grid)))
        current = [None] * len(in_specs)
        loads = [0] * len(in_specs)
        out_step = 0
        for n, point in enumerate(points):
            pl.position = point
            refs = []
            for i, spec in enumerate(in_specs):
                index = tuple(spec.index_map(*point))
                if index != current[i]:
                    slices = _block_slices(spec, index, tensors[i].shape, f"{name}: in_specs[{i}]")
                    loads[i] += 1
                    kernel.load(in_bufs[i][loads[i] % 2], tensors[i][slices])
                    current[i] = index
                refs.append(in_bufs[i][loads[i] % 2])
            out_index = tuple(out_spec.index_map(*point))
            o_ref = out_bufs[out_step % 2]
            body(*refs, o_ref, *scratch, pl)
            following = tuple(out_spec.index_map(*points[n + 1])) if n + 1 < len(points) else None
            if following != out_index:
                kernel.store(out[_block_slices(out_spec, out_index, out.shape, f"{name}: out_spec")], o_ref)
                out_step += 1
        return kernel.finish()

    return run


def pallas_matmul(chip: str | Chip, x: np.ndarray | None = None, y: np.ndarray | None = None, *,
                  shape: tuple[int, int, int] | None = None, block: tuple[int, int, int] = (512, 512, 512),
                  dtype: str = "bf16", values: bool = True) -> KernelRun:
    """The Pallas TPU tutorial's blocked matmul, x (m, k) @ y (k, n), with blocks (bm, bn, bk) in VMEM."""
    if values:
        x, y = float_array("pallas_matmul: x", x, 2), float_array("pallas_matmul: y", y, 2)
        if x.shape[1] != y.shape[0]:
            raise ChiplabInputError(f"pallas_matmul: x must be (m, k) and y (k, n); got {x.shape} and {y.shape}")
        (m, k), n = x.shape, y.shape[1]
    else:
        m, n, k = shape_of("shape", shape, 3)
    bm, bn, bk = (min(b, s) for b, s in zip(shape_of("block", block, 3), (m, n, k), strict=True))
    if m % bm or n % bn or k % bk:
        raise ChiplabInputError(f"pallas_matmul: (m, n, k) = {(m, n, k)} must be multiples of the block {block}")

    def body(x_ref, y_ref, o_ref, acc_ref, pl):
        if pl.program_id(2) == 0:
            pl.fill(acc_ref, 0.0)
        pl.dot(acc_ref, x_ref, y_ref, accumulate=True)
        if pl.program_id(2) == pl.num_programs(2) - 1:
            pl.copy(o_ref, acc_ref)

    call = pallas_call(body, chip=chip, grid=(m // bm, n // bn, k // bk),
                       in_specs=[BlockSpec((bm, bk), lambda i, j, kk: (i, kk)),
                                 BlockSpec((bk, bn), lambda i, j, kk: (kk, j))],
                       out_spec=BlockSpec((bm, bn), lambda i, j, kk: (i, j)), out_shape=(m, n),
                       scratch_shapes=[((bm, bn), "fp32")], dtype=dtype, values=values,
                       name=f"Pallas matmul, blocks {bm}x{bn}x{bk}")
    return call(x, y) if values else call((m, k), (k, n))
