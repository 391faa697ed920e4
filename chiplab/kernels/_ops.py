"""What each instruction checks, computes and costs. Called by :class:`chiplab.kernels.language.Kernel`, whose
methods are the public spelling; every error names the instruction and the kernel line it came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from chiplab._checks import finite
from chiplab.errors import ChiplabInputError
from chiplab.kernels.tiles import TILE_DTYPE_BYTES, Tensor, Tile, View

if TYPE_CHECKING:
    from chiplab.hardware import MemoryLevel
    from chiplab.kernels.language import Kernel

BINARY: dict[str, np.ufunc] = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
          "divide": np.divide}
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    # GELU with the tanh approximation (Hendrycks & Gimpel 2016, eq. for the fast approximation).
    "gelu": lambda x: 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3))),
    "reciprocal": lambda x: 1.0 / x,
    "rsqrt": lambda x: 1.0 / np.sqrt(x),
}
REDUCTIONS: dict[str, Callable[..., np.ndarray]] = {"sum": np.sum, "max": np.max}


# A guard against runaway loops: a kernel with more instructions than this is refused, not simulated for hours.
MAX_INSTRUCTIONS = 2_000_000


def check_instruction_budget(num_instructions: int, what: str) -> None:
    """Refuse up front a worked kernel that would issue more instructions than chiplab simulates."""
    if num_instructions > MAX_INSTRUCTIONS:
        raise ChiplabInputError(f"{what} would issue about {num_instructions:,} instructions; chiplab simulates at "
                                f"most {MAX_INSTRUCTIONS:,}: use a smaller problem or larger blocks")


def _fail(what: tuple[str, View], line: int, message: str) -> NoReturn:
    """Raise naming the instruction (``what`` = its label and destination, formatted only now) and its line."""
    label, dst = what
    raise ChiplabInputError(f"{label} into {dst.describe()} at line {line}: {message}")


def _count(kernel: Kernel, level: str, read_bytes: int, written_bytes: int) -> None:
    counts = kernel.traffic.setdefault(level, [0, 0])
    counts[0] += read_bytes
    counts[1] += written_bytes


def _level_of(view: View) -> str:
    return view.buffer.memory


def _guard(kernel: Kernel, what: tuple[str, View], line: int) -> None:
    if len(kernel.schedule.ops) >= MAX_INSTRUCTIONS:
        _fail(what, line, f"the kernel has issued {MAX_INSTRUCTIONS:,} instructions, the most chiplab simulates; "
                          f"use larger tiles or a smaller problem")


def _check_written(view: View, what: tuple[str, View], line: int) -> None:
    if not view.buffer.written:
        _fail(what, line, f"reads {view.buffer.kind} {view.buffer.name!r} (allocated at line {view.buffer.line}) "
                          f"before anything was written to it; load or compute it first")


def allocate(kernel: Kernel, tile: Tile, level: MemoryLevel, where: str) -> None:
    """Static allocation: per-partition accounting where the memory has partitions, whole bytes otherwise."""
    params = kernel.params
    label = level.vendor_label
    total_bytes = level.capacity_bytes
    if total_bytes is None:   # core_params refuses such a chip; a CoreParams made by hand might not
        raise ChiplabInputError(f"{where}: {label} has no capacity in the chip's catalog entry, so nothing can be "
                                f"allocated in it")
    partitions = params.num_partitions
    element = TILE_DTYPE_BYTES[tile.dtype]
    if partitions:
        if tile.shape[0] > partitions:
            raise ChiplabInputError(f"{where}: {tile.shape[0]} partitions is over the limit; axis 0 of a "
                                    f"{label} tile is the partition axis and must be <= {partitions}")
        need = int(np.prod(tile.shape[1:])) * element
        capacity = total_bytes // partitions
        unit = "bytes per partition"
        bank = params.accumulator_bank_bytes_per_partition
        if level is params.accumulator and bank and not params.accumulates_in_scratchpad:
            if need > bank:
                raise ChiplabInputError(f"{where}: {need:,} {unit} is over the {label} bank size; a {label} tile "
                                        f"must fit one bank of {bank:,} {unit} ({bank // 4} fp32 elements)")
            need = bank  # accumulators are handed out in whole banks
    else:
        need, capacity, unit = tile.num_bytes, total_bytes, "bytes"
    used = kernel.used_bytes[label]
    if used + need > capacity:
        held = [t for t in kernel.tiles if t.memory == label]
        holders = ", ".join(f"{t.name!r} (line {t.line})" for t in held[:4]) or "none"
        holders += f" and {len(held) - 4} more" if len(held) > 4 else ""
        raise ChiplabInputError(f"{where}: {label} is over capacity by {used + need - capacity:,} {unit}: this "
                                f"tile needs {need:,}, {used:,} are already allocated (by {holders}), and "
                                f"{label} holds {capacity:,} {unit}")
    kernel.used_bytes[label] = used + need


def dma(kernel: Kernel, dst: View, src: View, queue: int | None, kind: str, line: int) -> None:
    what = (kind, dst)
    _guard(kernel, what, line)
    on_chip, hbm = (dst, src) if kind == "load" else (src, dst)
    if not isinstance(hbm.buffer, Tensor):
        _fail(what, line, f"a {kind} moves data between HBM and a tile; {hbm.describe()} is not in HBM")
    if not isinstance(on_chip.buffer, Tile):
        _fail(what, line, f"a {kind} moves data between HBM and a tile; {on_chip.describe()} is not a tile")
    if dst.shape != src.shape:
        _fail(what, line, f"shapes differ: {dst.describe()} is {dst.shape}, {src.describe()} is {src.shape}; "
                          f"a DMA copies equal shapes")
    if dst.buffer.dtype != src.buffer.dtype:
        _fail(what, line, f"dtype mismatch: {src.buffer.dtype} → {dst.buffer.dtype}; a DMA copies bytes and "
                          f"does not convert, so cast on an engine (copy) first")
    _check_written(src, what, line)
    if queue is None:
        queue = kernel.next_queue()
    elif not (isinstance(queue, int) and 0 <= queue < kernel.params.num_dma_queues):
        _fail(what, line, f"queue must be a whole number in 0..{kernel.params.num_dma_queues - 1}; got {queue!r}")
    if kernel.values:
        # A whole-tile load borrows the source's numbers (no copy); both sides then copy before writing in place.
        dst.write(src.read(), rounded=True, borrow=True)
        src.buffer.shared = True
    target, source = dst.buffer, src.buffer
    ready = max(source.ready_s, target.reads_done_s, target.ready_s if isinstance(target, Tile) else 0.0)
    end = kernel.schedule.dma(queue, ready, src.num_bytes, (kind, dst, src), line)
    source.reads_done_s = max(source.reads_done_s, end)
    # max: two stores into one HBM tensor (different regions, different queues) may end out of order.
    target.ready_s, target.written, target.writer_engine = max(target.ready_s, end), True, queue
    _count(kernel, _level_of(src), src.num_bytes, 0)
    _count(kernel, _level_of(dst), 0, dst.num_bytes)


def matmul(kernel: Kernel, dst: View, a: View, b: View, accumulate: bool, style: str, line: int) -> None:
    """style "matmul": dst = a.T @ b (NKI, a stationary); style "dot": dst = a @ b (b stationary)."""
    what = (style, dst)
    _guard(kernel, what, line)
    params = kernel.params
    scratch, acc = params.scratchpad.vendor_label, params.accumulator.vendor_label
    for view in (a, b):
        if not isinstance(view.buffer, Tile) or view.buffer.memory != scratch:
            _fail(what, line, f"operand {view.describe()} is in {_level_of(view)}; matmul operands must be tiles "
                              f"in {scratch}")
        _check_written(view, what, line)
    if not isinstance(dst.buffer, Tile) or dst.buffer.memory != acc or dst.buffer.dtype != "fp32":
        _fail(what, line, f"the result must go to an fp32 tile in {acc} (allocate it with psum()); "
                          f"got {dst.describe()} in {_level_of(dst)} ({dst.buffer.dtype})")
    if a.buffer.dtype != b.buffer.dtype:
        _fail(what, line, f"dtype mismatch: operands are {a.buffer.dtype} and {b.buffer.dtype}; both must match")
    if len(a.shape) != 2 or len(b.shape) != 2:
        _fail(what, line, f"operands must be 2-D; got {a.shape} and {b.shape}")
    if style == "matmul":
        (k, m), (k2, n) = a.shape, b.shape
        limits = ((k, params.matmul_max_partitions, "partition (contraction) size"),
                  (m, params.matmul_max_stationary_free, "stationary free size"),
                  (n, params.matmul_max_moving_free, "moving free size"))
        for size, limit, label in limits:
            if limit and size > limit:
                _fail(what, line, f"{label} {size} is over the {params.engine_labels['matrix']} limit of {limit}")
        # Timing: the stationary operand sits in the array (k rows x m columns) while n moving columns stream.
        gemm_m, gemm_n = n, m
    else:
        (m, k), (k2, n) = a.shape, b.shape
        gemm_m, gemm_n = m, n
    if k != k2:
        _fail(what, line, f"contraction sizes differ: {a.shape} and {b.shape}")
    if dst.shape != (m, n):
        _fail(what, line, f"the result tile must have shape {(m, n)}; got {dst.shape}")
    if accumulate:
        _check_written(dst, what, line)
    dtype = a.buffer.dtype
    if kernel.values:
        _matmul_values(kernel, dst, a, b, style == "matmul", accumulate)
    schedule = kernel.schedule
    target = dst.buffer
    ready = max(a.buffer.ready_s, b.buffer.ready_s, target.reads_done_s)
    # Accumulation into the same tile chains inside the matrix unit's pipeline; anything else waits for the write.
    if not (accumulate and target.writer_engine == schedule.matrix):
        ready = max(ready, target.ready_s)
    timing = schedule.matmul_timing(gemm_m, gemm_n, k, dtype)
    end = schedule.matmul(ready, timing, (style, dst, a, b), line)
    for view in (a, b):
        view.buffer.reads_done_s = max(view.buffer.reads_done_s, end)
    target.ready_s, target.written, target.writer_engine = end, True, schedule.matrix
    kernel.matrix_flops[dtype] = kernel.matrix_flops.get(dtype, 0) + 2 * m * n * k
    _count(kernel, scratch, a.num_bytes + b.num_bytes, 0)
    _count(kernel, acc, dst.num_bytes if accumulate else 0, dst.num_bytes)


def _matmul_values(kernel: Kernel, dst: View, left: View, right: View, transposed_left: bool,
                   accumulate: bool) -> None:
    """Extend the pending chain of ``dst``, or start one (computing any other pending chain first)."""
    chain = dst.buffer.pending
    if chain is not None and accumulate and chain.target.index == dst.index:
        chain.add(left, right)
        return
    base = dst.read().copy() if accumulate else None   # read() computes any other pending chain first
    if chain is not None and not accumulate:
        chain.flush()
    kernel.products.start(dst, transposed_left, base).add(left, right)


def _expected_shape(op: str, dst: View, sources: list[View]) -> tuple[int, ...]:
    src = sources[0].shape
    if op == "transpose":
        return tuple(reversed(src))
    if op in REDUCTIONS:
        return (src[0], 1)
    return src


def elementwise(kernel: Kernel, engine: str, dst: View, views: list[View], op: str, label: str, line: int,
                scale: float = 1.0, offset: float = 0.0) -> None:
    what = (label, dst)
    _guard(kernel, what, line)
    for view in [dst, *views]:
        if not isinstance(view.buffer, Tile):
            _fail(what, line, f"{view.describe()} is in HBM; engines compute on tiles only, so load it first")
    for view in views:
        _check_written(view, what, line)
    if op == "transpose" and len(views[0].shape) != 2:
        _fail(what, line, f"transpose needs a 2-D tile; got {views[0].shape}")
    expected = _expected_shape(op, dst, views)
    if dst.shape != expected:
        _fail(what, line, f"the result must have shape {expected}; got {dst.shape}")
    for extra in views[1:]:
        if extra.shape not in (views[0].shape, (views[0].shape[0], 1)):
            _fail(what, line, f"second operand {extra.describe()} has shape {extra.shape}; it must be "
                              f"{views[0].shape} or one column {(views[0].shape[0], 1)} (broadcast)")
    if kernel.values:
        result = _compute(op, [v.read() for v in views], scale, offset)
        if not np.all(np.isfinite(result)):
            _fail(what, line, f"{label} produced inf or NaN (an exp above ~88, a reciprocal of 0, a division by "
                              f"0); subtract the row maximum before exp, or check the inputs")
        dst.write(result)
    schedule = kernel.schedule
    engine_index = schedule.vector if engine == "vector" else schedule.scalar
    target = dst.buffer
    ready = max([v.buffer.ready_s for v in views] + [target.reads_done_s, target.ready_s])
    rows, cols = views[0].rows_cols()
    end = schedule.elementwise(engine_index, ready, rows, cols, (label, dst), line)
    for view in views:
        view.buffer.reads_done_s = max(view.buffer.reads_done_s, end)
        _count(kernel, view.buffer.memory, view.num_bytes, 0)
    target.ready_s, target.written, target.writer_engine = end, True, engine_index
    kernel.vector_elements += views[0].num_elements
    _count(kernel, target.memory, 0, dst.num_bytes)


def _compute(op: str, arrays: list[np.ndarray], scale: float, offset: float) -> np.ndarray:
    result: np.ndarray
    with np.errstate(all="ignore"):
        if op in BINARY:
            result = BINARY[op](arrays[0], arrays[1])
        elif op in REDUCTIONS:
            result = REDUCTIONS[op](arrays[0], axis=tuple(range(1, arrays[0].ndim)), keepdims=True).reshape(-1, 1)
        elif op == "copy":
            result = arrays[0]
        elif op == "transpose":
            result = arrays[0].T
        else:
            x = arrays[0] * np.float32(scale) + np.float32(offset)
            if len(arrays) > 1:
                x = x + arrays[1]
            result = ACTIVATIONS[op](x)
    return result


def fill(kernel: Kernel, dst: View, value: float, line: int) -> None:
    what = ("fill", dst)
    _guard(kernel, what, line)
    if not isinstance(dst.buffer, Tile):
        _fail(what, line, f"{dst.describe()} is in HBM; fill works on tiles")
    value = finite(f"fill {dst.describe()} at line {line}: value", value)
    if kernel.values:
        dst.write(np.full(dst.shape, value, dtype=np.float32))
    schedule, target = kernel.schedule, dst.buffer
    rows, cols = dst.rows_cols()
    end = schedule.elementwise(schedule.vector, max(target.reads_done_s, target.ready_s), rows, cols,
                               ("fill", dst), line)
    target.ready_s, target.written, target.writer_engine = end, True, schedule.vector
    _count(kernel, target.memory, 0, dst.num_bytes)
