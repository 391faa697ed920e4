"""The tile language: a kernel is Python code that calls these methods; each call is one instruction.

Close to AWS NKI on purpose (what students learn transfers), written fresh for chiplab:

>>> import numpy as np
>>> k = Kernel("toy_4x4")
>>> a = k.hbm("a", np.eye(4)); c = k.hbm_output("c", (4, 4), "bf16")
>>> t = k.tile((4, 4), "bf16", name="t")
>>> k.load(t, a); k.store(c, t)
>>> run = k.finish()
>>> float(run.outputs["c"][2, 2]), run.total_s > 0
(1.0, True)

Every instruction runs twice at once: its values with numpy (skipped when ``values=False``) and its timing in
:class:`chiplab.kernels.schedule.Scheduler`. Bad input raises :class:`ChiplabInputError` naming the instruction,
its line in the kernel and what is allowed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from chiplab._checks import finite, one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware import Chip
from chiplab.kernels import _ops
from chiplab.kernels._ops import MAX_INSTRUCTIONS
from chiplab.kernels.chains import PendingProducts
from chiplab.kernels.params import CoreParams, core_params
from chiplab.kernels.schedule import Scheduler
from chiplab.kernels.tiles import TILE_DTYPE_BYTES, Tensor, Tile, View, check_dtype, float_array, rounded_to
from chiplab.systolic import parse_dataflow

if TYPE_CHECKING:
    from chiplab.kernels.program import Entry
    from chiplab.kernels.result import KernelRun


def _line(depth: int = 2) -> int:
    return sys._getframe(depth).f_lineno


class Kernel:
    """A kernel being written for one core of ``chip``; call :meth:`finish` to get the :class:`KernelRun`."""

    def __init__(self, chip: str | Chip | CoreParams, *, values: bool = True, dataflow: str = "ws",
                 name: str = "kernel"):
        self.params = chip if isinstance(chip, CoreParams) else core_params(chip)
        self.values = bool(values)
        self.name = name
        self.schedule = Scheduler(self.params, parse_dataflow(dataflow).value)
        self.tensors: dict[str, Tensor] = {}
        self.outputs: list[Tensor] = []
        self.tiles: list[Tile] = []
        self.used_bytes = {self.params.scratchpad.vendor_label: 0, self.params.accumulator.vendor_label: 0}
        self.traffic: dict[str, list[int]] = {}   # level label → [bytes read, bytes written]
        self.matrix_flops: dict[str, int] = {}   # dtype → FLOPs on the matrix unit
        self.vector_elements = 0                  # elements the vector engine's elementwise ops produced
        self._next_queue = 0
        self.dataflow = parse_dataflow(dataflow).value
        # Every declaration and instruction in program order, operands as views: run.program turns it into the
        # text a grader replays on its own inputs (chiplab.kernels.program).
        self.recorded: list[Entry] = []
        self.products = PendingProducts()   # matmul values not computed yet (chiplab.kernels.chains)
        self.num_buffers = 0

    # --- memory ----------------------------------------------------------------------------------------------

    def hbm(self, name: str, array: object = None, *, shape: tuple[int, ...] | None = None,
            dtype: str = "bf16") -> Tensor:
        """An input tensor in HBM: from ``array`` (rounded to ``dtype``), or just a ``shape`` in time-only mode."""
        line = _line()
        where = f"hbm({name!r}) at line {line}"
        check_dtype(dtype, where)
        if array is not None:
            values = float_array(f"{where}: array", array)
            shape = values.shape
        elif shape is None:
            raise ChiplabInputError(f"{where}: give an array, or a shape for a time-only kernel")
        tensor = self._tensor(name, shape, dtype, line, where)
        if array is not None and self.values:
            tensor.value = rounded_to(values, dtype)
            tensor.shared = True  # for fp32 this is the caller's array: copy before a store writes into it
        elif self.values:
            raise ChiplabInputError(f"{where}: a kernel with values=True needs the array, not just a shape")
        tensor.written = True
        self.recorded.append(("hbm", name, tensor.shape, dtype))
        return tensor

    def hbm_output(self, name: str, shape: tuple[int, ...], dtype: str = "fp32") -> Tensor:
        """An output tensor in HBM; after :meth:`finish` its values are in ``run.outputs[name]``."""
        line = _line()
        where = f"hbm_output({name!r}) at line {line}"
        check_dtype(dtype, where)
        tensor = self._tensor(name, shape, dtype, line, where)
        if self.values:
            tensor.value = np.zeros(tensor.shape, dtype=np.float32)
        self.outputs.append(tensor)
        self.recorded.append(("out", name, tensor.shape, dtype))
        return tensor

    def _tensor(self, name: str, shape: object, dtype: str, line: int, where: str) -> Tensor:
        shape = _shape(shape, where)
        if name in self.tensors:
            raise ChiplabInputError(f"{where}: a tensor named {name!r} already exists (line "
                                    f"{self.tensors[name].line}); names must be unique")
        tensor = Tensor(name, shape, dtype, line, self.params.offchip.vendor_label)
        tensor.number, self.num_buffers = self.num_buffers, self.num_buffers + 1
        capacity = self.params.offchip.capacity_bytes
        if capacity is not None and tensor.num_bytes > capacity:
            raise ChiplabInputError(f"{where}: {tensor.num_bytes:,} bytes do not fit in "
                                    f"{self.params.offchip.vendor_label} ({capacity:,} bytes)")
        self.tensors[name] = tensor
        return tensor

    def tile(self, shape: tuple[int, ...], dtype: str = "bf16", *, name: str = "tile",
             memory: str | None = None) -> Tile:
        """Allocate a tile in the scratchpad (SBUF, VMEM, SRAM) or, with ``memory="PSUM"``/"accumulator", in the
        accumulator. Allocation is static: the sum of all tiles must fit, per partition where there are any."""
        return self._allocate(shape, dtype, name, memory, _line())

    def psum(self, shape: tuple[int, ...], *, name: str = "acc") -> Tile:
        """An fp32 accumulator tile for matmul results (PSUM on Trainium; VMEM on TPUs, which have no PSUM)."""
        return self._allocate(shape, "fp32", name, "accumulator", _line())

    def _allocate(self, shape: object, dtype: str, name: str, memory: str | None, line: int) -> Tile:
        where = f"tile {name!r} at line {line}"
        check_dtype(dtype, where)
        params = self.params
        labels = {params.scratchpad.vendor_label.lower(): params.scratchpad,
                  params.accumulator.vendor_label.lower(): params.accumulator,
                  "scratchpad": params.scratchpad, "accumulator": params.accumulator}
        level = params.scratchpad if memory is None else labels.get(str(memory).lower())
        if level is None:
            raise ChiplabInputError(f"{where}: memory must be one of {', '.join(sorted(labels))}; got {memory!r}")
        shape = _shape(shape, where)
        tile = Tile(name, shape, dtype, line, level.vendor_label)
        _ops.allocate(self, tile, level, where)
        self.tiles.append(tile)
        tile.number, self.num_buffers = self.num_buffers, self.num_buffers + 1
        role = "accumulator" if level is params.accumulator else "scratchpad"
        self.recorded.append(("tile", shape, dtype, name, role))
        return tile

    # --- data movement ---------------------------------------------------------------------------------------

    def load(self, dst: Tile | View, src: Tensor | View, *, queue: int | None = None) -> None:
        """DMA ``src`` (HBM) into ``dst`` (an on-chip tile)."""
        dst, src = _view(dst), _view(src)
        self.recorded.append(("load", dst, src, queue))
        _ops.dma(self, dst, src, queue, "load", _line())

    def store(self, dst: Tensor | View, src: Tile | View, *, queue: int | None = None) -> None:
        """DMA ``src`` (an on-chip tile) out to ``dst`` (HBM)."""
        dst, src = _view(dst), _view(src)
        self.recorded.append(("store", dst, src, queue))
        _ops.dma(self, dst, src, queue, "store", _line())

    # --- compute ---------------------------------------------------------------------------------------------

    def matmul(self, dst: Tile | View, stationary: Tile | View, moving: Tile | View, *,
               accumulate: bool = False) -> None:
        """NKI-style ``dst (+)= stationary.T @ moving`` on the matrix unit: the contraction runs over the
        partition axis of both operands; ``stationary`` is loaded into the array, ``moving`` streams through."""
        dst, stationary, moving = _view(dst), _view(stationary), _view(moving)
        self.recorded.append(("matmul", dst, stationary, moving, bool(accumulate)))
        _ops.matmul(self, dst, stationary, moving, accumulate, "matmul", _line())

    def dot(self, dst: Tile | View, x: Tile | View, y: Tile | View, *, accumulate: bool = False) -> None:
        """Pallas/JAX-style ``dst (+)= x @ y`` on the matrix unit (``y`` stays in the array, rows of ``x`` stream)."""
        dst, x, y = _view(dst), _view(x), _view(y)
        self.recorded.append(("dot", dst, x, y, bool(accumulate)))
        _ops.matmul(self, dst, x, y, accumulate, "dot", _line())

    def tensor_tensor(self, dst: Tile | View, x: Tile | View, y: Tile | View, op: str) -> None:
        """Vector engine: ``dst = x op y`` elementwise; ``y`` may be one column (broadcast along the free axis)."""
        op = one_of("op", op, _ops.BINARY)
        dst, x, y = _view(dst), _view(x), _view(y)
        self.recorded.append(("tensor_tensor", dst, x, y, op))
        _ops.elementwise(self, "vector", dst, [x, y], op, op, _line())

    def activation(self, dst: Tile | View, src: Tile | View, func: str, *, bias: Tile | View | float = 0.0,
                   scale: float = 1.0) -> None:
        """Scalar engine: ``dst = func(src * scale + bias)``; ``bias`` is a number, one column or a full tile."""
        line = _line()
        func = one_of("func", func, _ops.ACTIVATIONS)
        scale = finite(f"activation at line {line}: scale", scale)
        offset = 0.0 if isinstance(bias, (Tile, View)) else finite(f"activation at line {line}: bias", bias)
        sources = [_view(src)] + ([_view(bias)] if isinstance(bias, (Tile, View)) else [])
        dst = _view(dst)
        self.recorded.append(("activation", dst, sources[0], func, sources[1] if len(sources) > 1 else offset,
                              scale))
        _ops.elementwise(self, "scalar", dst, sources, func, f"activation:{func}", line, scale=scale,
                         offset=offset)

    def reduce(self, dst: Tile | View, src: Tile | View, op: str) -> None:
        """Vector engine: ``dst[p, 0] = op over the free axis of src[p, :]`` (op = sum or max)."""
        op = one_of("op", op, _ops.REDUCTIONS)
        dst, src = _view(dst), _view(src)
        self.recorded.append(("reduce", dst, src, op))
        _ops.elementwise(self, "vector", dst, [src], op, f"reduce:{op}", _line())

    def copy(self, dst: Tile | View, src: Tile | View) -> None:
        """Vector engine: copy (and cast), e.g. fp32 PSUM results into a bf16 SBUF tile."""
        dst, src = _view(dst), _view(src)
        self.recorded.append(("copy", dst, src))
        _ops.elementwise(self, "vector", dst, [src], "copy", "copy", _line())

    def transpose(self, dst: Tile | View, src: Tile | View) -> None:
        """Vector engine: ``dst = src.T`` (2-D tiles)."""
        dst, src = _view(dst), _view(src)
        self.recorded.append(("transpose", dst, src))
        _ops.elementwise(self, "vector", dst, [src], "transpose", "transpose", _line())

    def fill(self, dst: Tile | View, value: float) -> None:
        """Vector engine: set every element of ``dst`` to ``value`` (initialise running maxima and sums)."""
        dst = _view(dst)
        self.recorded.append(("fill", dst, value))
        _ops.fill(self, dst, value, _line())

    def next_queue(self) -> int:
        """Round-robin over the DMA queues (what ``queue=None`` does)."""
        queue = self._next_queue
        self._next_queue = (queue + 1) % self.params.num_dma_queues
        return queue

    def finish(self) -> KernelRun:
        """Simulate to the end and return the :class:`chiplab.kernels.KernelRun`."""
        from chiplab.kernels.result import build_run

        return build_run(self)


def _shape(shape: object, where: str) -> tuple[int, ...]:
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple) or not shape or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in shape):
        raise ChiplabInputError(f"{where}: shape must be a tuple of whole numbers >= 1; got {shape!r}")
    return tuple(int(n) for n in shape)


def _view(operand: object) -> View:
    if isinstance(operand, View):
        return operand
    if isinstance(operand, (Tensor, Tile)):
        return operand.whole()
    raise ChiplabInputError(f"operands must be tiles, HBM tensors or slices of them; got {operand!r}")


__all__ = ["MAX_INSTRUCTIONS", "TILE_DTYPE_BYTES", "Kernel"]
