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
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chiplab._checks import instance_of, non_negative_int, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels._ops import check_instruction_budget
from chiplab.kernels.language import Kernel
from chiplab.kernels.params import CoreParams, core_params
from chiplab.kernels.result import KernelRun
from chiplab.kernels.tiles import Tile, check_dtype, float_array, shape_of


@dataclass(frozen=True)
class BlockSpec:
    """A block shape and the map from grid indices to block indices (block i covers i·shape … (i+1)·shape)."""

    block_shape: tuple[int, ...]
    index_map: Callable[..., tuple[int, ...]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "block_shape", _shape("block_shape", self.block_shape))
        if not callable(self.index_map):
            raise ChiplabInputError(f"index_map must be a function of the grid indices returning block indices; "
                                    f"got {self.index_map!r}")


class ProgramContext:
    """What a kernel body sees as ``pl``: its grid position, and the core's operations (those of
    :class:`chiplab.kernels.Kernel`, which give every error the body's line)."""

    def __init__(self, kernel: Kernel, grid: tuple[int, ...]):
        instance_of("kernel", kernel, Kernel, "a Kernel, e.g. Kernel('tpu_v5e')")
        grid = _grid(grid)
        self.kernel, self.grid, self.position = kernel, grid, (0,) * len(grid)
        # The kernel's own methods, so that an error names the body's line.
        self.dot, self.tensor_tensor, self.activation = kernel.dot, kernel.tensor_tensor, kernel.activation
        self.reduce, self.copy, self.transpose, self.fill = kernel.reduce, kernel.copy, kernel.transpose, kernel.fill

    def program_id(self, axis: int) -> int:
        return self.position[self._axis(axis)]

    def num_programs(self, axis: int) -> int:
        return self.grid[self._axis(axis)]

    def _axis(self, axis: object) -> int:
        number = non_negative_int("axis", axis)
        if number >= len(self.grid):
            raise ChiplabInputError(f"axis must be below the grid's {len(self.grid)} axes; got {axis!r}")
        return number


def _grid(grid: object) -> tuple[int, ...]:
    """A grid: one or more whole numbers >= 1, with no more points than chiplab simulates instructions."""
    if isinstance(grid, str) or not isinstance(grid, Sequence) or not grid:
        raise ChiplabInputError(f"grid must be a tuple of whole numbers >= 1, e.g. (2, 2); got {grid!r}")
    checked = tuple(positive_int(f"grid[{i}]", g) for i, g in enumerate(grid))
    # Every point runs the body (at least one instruction): refuse a grid the simulator would never finish.
    check_instruction_budget(math.prod(checked), f"a grid of {checked}")
    return checked


def _shape(name: str, value: object) -> tuple[int, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ChiplabInputError(f"{name} must be a tuple of whole numbers >= 1; got {value!r}")
    return tuple(positive_int(f"{name}[{i}]", v) for i, v in enumerate(value))


def _scratch(scratch_shapes: object) -> list[tuple[tuple[int, ...], str]]:
    if isinstance(scratch_shapes, str) or not isinstance(scratch_shapes, Sequence):
        raise ChiplabInputError(f"scratch_shapes must be a list of (shape, dtype) pairs, e.g. [((128, 128), 'fp32')]; "
                                f"got {scratch_shapes!r}")
    checked = []
    for i, entry in enumerate(scratch_shapes):
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise ChiplabInputError(f"scratch_shapes[{i}] must be a (shape, dtype) pair; got {entry!r}")
        checked.append((_shape(f"scratch_shapes[{i}] shape", entry[0]), check_dtype(entry[1], f"scratch_shapes[{i}]")))
    return checked


def _block_slices(spec: BlockSpec, index: tuple[int, ...], full_shape: tuple[int, ...],
                  what: str) -> tuple[slice, ...]:
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


def pallas_call(body: Callable[..., None], *, chip: str | Chip, grid: Sequence[int], in_specs: Sequence[BlockSpec],
                out_spec: BlockSpec, out_shape: tuple[int, ...],
                scratch_shapes: Sequence[tuple[tuple[int, ...], str]] = (),
                dtype: str = "bf16", out_dtype: str = "fp32", values: bool = True,
                name: str = "pallas kernel") -> Callable[..., KernelRun]:
    """Return a function of the input arrays (or of their shapes when ``values=False``) that runs ``body``."""
    if not callable(body):
        raise ChiplabInputError(f"body must be a function (the kernel body); got {body!r} ({type(body).__name__})")
    params = chip if isinstance(chip, CoreParams) else core_params(chip)
    grid = _grid(grid)
    if isinstance(in_specs, str) or not isinstance(in_specs, Sequence) \
            or not all(isinstance(spec, BlockSpec) for spec in in_specs):
        raise ChiplabInputError(f"in_specs must be a list of BlockSpec, one per input; got {in_specs!r}")
    instance_of("out_spec", out_spec, BlockSpec, "a BlockSpec")
    out_shape = _shape("out_shape", out_shape)
    scratch_shapes = _scratch(scratch_shapes)
    dtype, out_dtype = check_dtype(dtype, "pallas_call: dtype"), check_dtype(out_dtype, "pallas_call: out_dtype")
    instance_of("values", values, bool, "True or False")
    instance_of("name", name, str, "a name for the kernel")

    def run(*inputs: Any) -> KernelRun:
        if len(inputs) != len(in_specs):
            raise ChiplabInputError(f"{name}: {len(in_specs)} in_specs but {len(inputs)} inputs")
        kernel = Kernel(params, values=values, name=name)
        tensors = [kernel.hbm(f"in{i}", x, dtype=dtype) if values else kernel.hbm(f"in{i}", shape=tuple(x), dtype=dtype)
                   for i, x in enumerate(inputs)]
        out = kernel.hbm_output("out", out_shape, out_dtype)
        in_bufs = [[kernel.tile(spec.block_shape, dtype, name=f"in{i} block {b}") for b in range(2)]
                   for i, spec in enumerate(in_specs)]
        out_bufs = [kernel.tile(out_spec.block_shape, out_dtype, name=f"out block {b}") for b in range(2)]
        scratch = [kernel.tile(shape, sdtype, name=f"scratch {i}", memory="accumulator")
                   for i, (shape, sdtype) in enumerate(scratch_shapes)]
        pl = ProgramContext(kernel, grid)
        points = list(itertools.product(*(range(g) for g in grid)))
        current: list[tuple[int, ...] | None] = [None] * len(in_specs)
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

    def body(x_ref: Tile, y_ref: Tile, o_ref: Tile, acc_ref: Tile, pl: ProgramContext) -> None:
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
