"""Tensors in HBM, tiles in on-chip memory, and slices of both: shapes, dtypes, values and the bookkeeping the
timing model needs (when the last write lands, when the last read ends).

Values are held as float32 numpy arrays already rounded to the tile's dtype, so a bf16 tile holds exactly the
numbers a bf16 register could; matmuls multiply them exactly and accumulate in fp32, as PSUM and the MXU do.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.units import FORMAT_BITS

if TYPE_CHECKING:
    from chiplab.kernels.chains import MatmulChain

# The dtypes a tile may hold — a kernels-level choice: the formats whose every value float32 holds exactly, so
# tiles stay float32 arrays rounded to their format — and their element sizes, from the one dtype table.
TILE_DTYPES = ("fp32", "bf16", "fp16")
TILE_DTYPE_BYTES = {dtype: FORMAT_BITS[dtype] // 8 for dtype in TILE_DTYPES}


def round_to_dtype(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values rounded to ``dtype`` (round to nearest even), returned as float32.

    >>> round_to_dtype(np.array([1 + 2**-9], dtype=np.float32), "bf16")[0]   # bf16 keeps 8 significand bits
    np.float32(1.0)
    """
    dtype = check_dtype(dtype, "round_to_dtype")
    return rounded_to(float_array("round_to_dtype: values", values), dtype)


def rounded_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """:func:`round_to_dtype` without the argument checks, for values the kernel computed itself."""
    values = np.asarray(values, dtype=np.float32)
    if dtype == "fp32":
        return values
    if dtype == "fp16":
        return values.astype(np.float16).astype(np.float32)
    bits = values.view(np.uint32)
    # Round to nearest even on the 16 dropped bits (finite inputs; an overflow rounds to inf, as bf16 does).
    # In place on the one new array: a 4096 x 4096 input is 64 MiB, and every fresh array costs page faults.
    rounded = bits >> 16
    rounded &= np.uint32(1)
    rounded += bits
    rounded += np.uint32(0x7FFF)
    rounded &= np.uint32(0xFFFF0000)
    return rounded.view(np.float32)


def float_array(name: str, value: object, ndim: int | None = None) -> np.ndarray:
    """``value`` as a finite float32 array (with ``ndim`` axes if given), else ChiplabInputError naming ``name``."""
    try:
        with np.errstate(over="ignore"):  # a value beyond float32's range becomes inf, refused just below
            array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):  # not numbers, ragged, or an int beyond float32's range
        raise ChiplabInputError(f"{name} must be an array of numbers; got {type(value).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise ChiplabInputError(f"{name} must have {ndim} axes; got shape {array.shape}")
    # The extremes are finite exactly when every element is (a NaN makes min and max NaN): two passes over the
    # numbers, without a boolean array as large as the input.
    if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):
        raise ChiplabInputError(f"{name} must be finite (no NaN or inf, and within float32's range)")
    return array


def shape_of(name: str, value: object, length: int) -> tuple[int, ...]:
    """A tuple of ``length`` whole numbers >= 1, such as ``shape=(m, n, k)``."""
    from chiplab._checks import positive_int

    if not isinstance(value, (tuple, list)) or len(value) != length:
        raise ChiplabInputError(f"{name} must be a tuple of {length} whole numbers; got {value!r}")
    return tuple(positive_int(f"{name}[{i}]", v) for i, v in enumerate(value))


def check_dtype(dtype: object, where: str) -> str:
    if not isinstance(dtype, str) or dtype not in TILE_DTYPE_BYTES:
        raise ChiplabInputError(f"{where}: dtype must be one of {', '.join(TILE_DTYPE_BYTES)}; got {dtype!r}")
    return dtype


def normalize_index(shape: tuple[int, ...], key: object, what: str) -> tuple[tuple[slice, ...], tuple[int, ...]]:
    """Turn ``t[0:128, 5]`` into one slice per axis and the resulting shape (ints keep their axis, length 1).

    Out-of-bounds slices are errors here: numpy would silently clip them.
    """
    key = key if isinstance(key, tuple) else (key,)
    if len(key) > len(shape):
        raise ChiplabInputError(f"{what} has {len(shape)} axes; got an index with {len(key)}: {key!r}")
    slices, sizes = [], []
    for axis, length in enumerate(shape):
        part = key[axis] if axis < len(key) else _ALL
        if type(part) is slice and part.step is None:
            start = 0 if part.start is None else part.start
            stop = length if part.stop is None else part.stop
            if type(start) is not int or type(stop) is not int:
                start, stop = _whole(start, part, what), _whole(stop, part, what)
        elif isinstance(part, (int, np.integer)) and not isinstance(part, bool):
            start, stop = int(part), int(part) + 1
        else:
            raise ChiplabInputError(f"{what}: axis {axis} must be indexed by a whole number or a slice "
                                    f"start:stop without a step; got {part!r}")
        if not 0 <= start < stop <= length:
            raise ChiplabInputError(f"{what}: axis {axis} slice {start}:{stop} is out of bounds; the axis has "
                                    f"length {length}, so 0 <= start < stop <= {length}")
        slices.append(slice(start, stop))
        sizes.append(stop - start)
    return tuple(slices), tuple(sizes)


_ALL = slice(None)


def _whole(bound: object, part: slice, what: str) -> int:
    if isinstance(bound, (int, np.integer)) and not isinstance(bound, bool):
        return int(bound)
    raise ChiplabInputError(f"{what}: slice bounds must be whole numbers; got {part!r}")


class _Buffer:
    """State shared by HBM tensors and on-chip tiles."""

    kind = "buffer"

    def __init__(self, name: str, shape: tuple[int, ...], dtype: str, line: int, memory: str):
        self.name, self.shape, self.dtype, self.line = name, shape, dtype, line
        self.memory = memory  # vendor label of the level holding it (HBM, DRAM; SBUF, PSUM, VMEM, ...)
        self.value: np.ndarray | None = None
        self.written = False
        self.ready_s = 0.0            # when the latest write has landed
        self.reads_done_s = 0.0       # when every read issued so far has finished (write-after-read)
        self.writer_engine = -1       # engine of the latest write (accumulating matmuls chain on one engine)
        self.number = -1              # its place among the kernel's tensors and tiles (a kernel program's name)
        self._whole: View | None = None
        self.pending: MatmulChain | None = None   # matmul values not yet computed (see chiplab.kernels.chains)
        self.shared = False   # True while ``value`` may be seen elsewhere (a matmul chain, a DMA'd tile): copy on write

    @property
    def num_bytes(self) -> int:
        return math.prod(self.shape) * TILE_DTYPE_BYTES[self.dtype]

    def __getitem__(self, key: object) -> View:
        index, shape = normalize_index(self.shape, key, f"{self.kind} {self.name!r}")
        return View.unchecked(self, index, shape)

    def whole(self) -> View:
        if self._whole is None:
            self._whole = View.unchecked(self, tuple(slice(0, n) for n in self.shape), self.shape)
        return self._whole

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, shape={self.shape}, dtype={self.dtype!r})"


class Tensor(_Buffer):
    """An array in HBM (off-chip): a kernel's input or output. Engines never compute on it; DMAs move it."""

    kind = "HBM tensor"


class Tile(_Buffer):
    """An allocation in on-chip memory (SBUF/PSUM, VMEM, SRAM/ACC). Axis 0 is the partition axis where the memory
    has partitions; the rest is the free axis."""

    kind = "tile"


class View:
    """A rectangular part of a tensor or tile (``t[0:128, 512:1024]``); whole buffers are views too."""

    __slots__ = ("buffer", "index", "num_elements", "shape")

    def __init__(self, buffer: _Buffer, index: tuple[slice, ...], shape: tuple[int, ...]):
        if not isinstance(buffer, _Buffer):
            raise ChiplabInputError(f"View: buffer must be a Tensor or Tile (from Kernel.hbm or Kernel.tile); got "
                                    f"{buffer!r} ({type(buffer).__name__})")
        index, expected = normalize_index(buffer.shape, index, f"View of {buffer.kind} {buffer.name!r}")
        if not isinstance(shape, tuple) or shape != expected:
            raise ChiplabInputError(f"View: shape must be the shape the index selects, {expected}; got {shape!r}")
        self._set(buffer, index, shape)

    @classmethod
    def unchecked(cls, buffer: _Buffer, index: tuple[slice, ...], shape: tuple[int, ...]) -> View:
        """A view from an index :func:`normalize_index` already checked (slicing in a kernel's inner loops)."""
        view = cls.__new__(cls)
        view._set(buffer, index, shape)
        return view

    def _set(self, buffer: _Buffer, index: tuple[slice, ...], shape: tuple[int, ...]) -> None:
        self.buffer, self.index, self.shape = buffer, index, shape
        self.num_elements = math.prod(shape)

    @property
    def num_bytes(self) -> int:
        return self.num_elements * TILE_DTYPE_BYTES[self.buffer.dtype]

    def rows_cols(self) -> tuple[int, int]:
        """(partition rows, free elements per row): how engines see the view."""
        rows = self.shape[0] if self.shape else 1
        return rows, self.num_elements // rows

    @property
    def is_whole(self) -> bool:
        return self.shape == self.buffer.shape

    def read(self) -> np.ndarray:
        """The values (a numpy view: never written in place while a pending matmul chain holds it)."""
        buffer = self.buffer
        if buffer.pending is not None:
            buffer.pending.flush()
        if buffer.value is None:   # the instructions check that what they read was written; values=False keeps none
            raise ChiplabInputError(f"{self.describe()} holds no values (a time-only kernel keeps none)")
        return buffer.value[self.index]

    def write(self, values: np.ndarray, *, rounded: bool = False, borrow: bool = False, owned: bool = False) -> None:
        """Write ``values`` here; ``borrow``: a whole-buffer write may keep ``values`` itself (a DMA's source,
        which is then copied before anyone writes either in place) instead of copying it; ``owned``: ``values``
        is a fresh array no one else holds (a matmul's product), kept as it is by a whole-buffer write."""
        buffer = self.buffer
        if buffer.pending is not None:
            buffer.pending.flush()
        values = values if rounded else rounded_to(values, buffer.dtype)
        if (borrow or owned) and self.is_whole:
            buffer.value = np.reshape(values, buffer.shape)
            buffer.shared = not owned
            return
        if self.is_whole:
            # A fresh array, never an in-place write: earlier reads handed out (to matmul chains) stay valid.
            buffer.value = np.array(np.reshape(values, buffer.shape), dtype=np.float32)
            buffer.shared = False
            return
        if buffer.value is None:
            buffer.value = np.zeros(buffer.shape, dtype=np.float32)
        elif buffer.shared:  # a pending matmul chain holds the current array: copy on write
            buffer.value = buffer.value.copy()
        buffer.shared = False
        buffer.value[self.index] = np.reshape(values, self.shape)

    def describe(self) -> str:
        parts = ", ".join(f"{s.start}:{s.stop}" for s in self.index)
        return f"{self.buffer.name}[{parts}]"
