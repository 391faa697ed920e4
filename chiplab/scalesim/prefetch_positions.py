"""Own positions of requests in a USER-mode operand's prefetch order, in closed form (chiplab.scalesim.jump_scan).

A skewed operand's prefetch matrix (read_buffer.prefetch_order: WS/OS ifmap, IS/OS filter) is a stack of blocks
read along the anti-diagonals of the whole stack; its requests walk each block along the block's own anti-diagonals
(demand.py), so within a block the request order is the prefetch order. :class:`SkewedStack` counts the cells before
a cell in closed form; :class:`HoleyWsIfmap` does the same for a WS ifmap whose windows hang off the input (the
off-input cells, -1 in SCALE-Sim's matrices, are neither prefetched nor requested).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.diagonals import cells_before_diagonal, diagonal_of
from chiplab.scalesim.topology import ScaleSimLayer

CANDIDATES = 64  # cells tried at once while bisecting for a position
MAX_CELLS = 1 << 16  # look-ahead past the window's edge (jump_scan)
SCALAR_WIDTH = 32  # HoleyWsIfmap.position_of loops over the columns in Python up to this stack width


@dataclass(frozen=True, kw_only=True)
class SkewedStack:
    """A prefetch matrix of ``blocks`` blocks of ``height`` x ``width`` cells stacked vertically, read along the
    anti-diagonals of the whole stack (row + column ascending, column ascending); every cell holds a word except
    columns >= ``last_width`` of the last block (padding). Cell (block b, row t, column c) is requested on local line
    ``base + t + c`` of its fold."""

    blocks: int
    height: int
    width: int
    last_width: int
    base: int

    @property
    def cells_per_look(self) -> int:
        """Most cells checked at once past the window's edge."""
        return MAX_CELLS

    @property
    def cells_per_position(self) -> int:
        """Array cells one position costs (1: closed form in the cell alone)."""
        return 1

    def block_width(self, b: int) -> int:
        return self.last_width if b == self.blocks - 1 else self.width

    def position(self, b: np.ndarray | int, t: np.ndarray | int, c: np.ndarray | int) -> np.ndarray:
        """Own positions of cells (b, t, c) in the prefetch order: cells on earlier diagonals of the stack, padding
        removed, plus the real cells before it on its diagonal (all in closed form)."""
        d = np.asarray(b * self.height + t + c, dtype=np.int64)
        d, cols = np.broadcast_arrays(d, np.asarray(c, dtype=np.int64))
        return self._position(d, cols, np.maximum, np.minimum)

    def position_of(self, b: int, t: int, c: int) -> int:
        """:meth:`position` of one cell in plain integers (the scans call it a few times per jump)."""
        return int(self._position(b * self.height + t + c, c, max, min))

    def _position(self, d: Any, c: Any, maximum: Any, minimum: Any) -> Any:
        h, w, wl = self.height, self.width, self.last_width
        total_h = self.blocks * h
        last_top = total_h - h

        def ramp(y: Any, n: int) -> Any:  # sum over c in [0, n) of max(y - c, 0)
            k = minimum(maximum(y, 0), n)
            return k * y - k * (k - 1) // 2

        edge = total_h if wl == w else min(total_h, last_top + wl)  # below it: no cell past the stack or padding
        if isinstance(d, int):
            if d < edge:
                return ramp(d, w) + c
        else:
            plain = d < edge
            if plain.all():
                return ramp(d, w) + c
            if plain.any():  # the few cells near the stack's end take the general form
                out = ramp(d, w) + c
                out[~plain] = self._position(d[~plain], c[~plain], maximum, minimum)
                return out
        earlier = ramp(d, w) - ramp(d - total_h, w)
        padding = ramp(d - last_top - wl, w - wl) - ramp(d - last_top - wl - h, w - wl)
        low = maximum(0, d - total_h + 1)  # smallest column of diagonal d inside the stack
        same = c - low - maximum(0, minimum(c - 1, d - last_top) - maximum(wl, low) + 1)
        return earlier - padding + same

    def cells_before_diagonal(self, b: int, d: int) -> int:
        """Cells of block b on its local diagonals < d (its request order)."""
        return cells_before_diagonal(d, self.height, self.block_width(b))

    def cells(self, b: int, first: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of block b's cells first .. end - 1 in request order."""
        d0, d1 = self.diagonal_of(b, first), self.diagonal_of(b, end - 1) + 1
        c, t = operands.skewed_order(self.block_width(b), self.height, d0, d1)
        skip = first - self.cells_before_diagonal(b, d0)
        return t[skip:skip + end - first], c[skip:skip + end - first]

    def diagonal_of(self, b: int, index: int) -> int:
        """Local diagonal of block b's cell ``index`` (request order): one less than the smallest y whose diagonals
        0 .. y - 1 hold more than ``index`` cells."""
        return diagonal_of(index, self.height, self.block_width(b))

    def first_index_at(self, b: int, position: int) -> int:
        """Index (request order) of block b's first cell whose own position is >= ``position``; cells of one local
        diagonal sit at consecutive positions."""
        h, wb = self.height, self.block_width(b)

        def first_cell(d: int) -> tuple[int, int]:
            c = max(0, d - h + 1)
            return self.position_of(b, d - c, c), min(wb - 1, d) - c + 1

        lo, hi = 0, h + wb - 1
        while lo < hi:  # the first diagonal whose last cell reaches the position
            mid = (lo + hi) // 2
            at, count = first_cell(mid)
            if at + count - 1 >= position:
                hi = mid
            else:
                lo = mid + 1
        if lo == h + wb - 1:
            return h * wb
        at, _ = first_cell(lo)
        return self.cells_before_diagonal(b, lo) + max(0, position - at)

    def block_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Own positions of every block's first and last cell (both ascend with the block)."""
        b = np.arange(self.blocks, dtype=np.int64)
        wb = np.where(b == self.blocks - 1, self.last_width, self.width)
        return self.position(b, 0, 0), self.position(b, self.height - 1, wb - 1)


@dataclass(frozen=True, kw_only=True)
class HoleyWsIfmap(SkewedStack):
    """The WS ifmap stack (rows = pixels, column c of block b = window element bR + c) of a layer whose windows
    hang off the input: window element j is valid for the pixels (oy, ox) with oy <= last_y[j], ox <= last_x[j]
    (operands.last_valid_pixel), a rectangle, so each stack column's valid cells below a row count in closed form."""

    layer: ScaleSimLayer
    last_y: np.ndarray = field(init=False, repr=False)
    last_x: np.ndarray = field(init=False, repr=False)
    column_counts: np.ndarray = field(init=False, repr=False)  # (width, blocks + 1): valid cells of whole blocks

    def __post_init__(self) -> None:
        elements = np.arange(self.blocks * self.width, dtype=np.int64)
        real = elements < self.layer.k
        last = operands.last_valid_pixel(self.layer, np.minimum(elements, self.layer.k - 1))
        last_y, last_x = np.divmod(last, self.layer.ofmap_width)
        object.__setattr__(self, "last_y", np.where(real, last_y, -1))
        object.__setattr__(self, "last_x", np.where(real, last_x, -1))
        per_block = ((self.last_y + 1) * (self.last_x + 1)).reshape(self.blocks, self.width)
        counts = np.zeros((self.width, self.blocks + 1), dtype=np.int64)
        counts[:, 1:] = np.cumsum(per_block, axis=0).T
        object.__setattr__(self, "column_counts", counts)

    @property
    def cells_per_look(self) -> int:  # a position costs a whole row of the stack here
        return max(64, (1 << 19) // self.width)

    @property
    def cells_per_position(self) -> int:
        return self.width

    def valid(self, b: np.ndarray | int, t: np.ndarray, c: np.ndarray) -> np.ndarray:
        j = b * self.width + c
        oy, ox = np.divmod(t, self.layer.ofmap_width)
        return (oy <= self.last_y[j]) & (ox <= self.last_x[j])

    def position(self, b: np.ndarray | int, t: np.ndarray | int, c: np.ndarray | int) -> np.ndarray:
        """Valid cells before (b, t, c) in the prefetch order (its own position when the cell is valid)."""
        h, w, total_h = self.height, self.width, self.blocks * self.height
        d = np.asarray(b * h + t + c, dtype=np.int64)
        d, c = np.broadcast_arrays(d, np.asarray(c, dtype=np.int64))
        shape = d.shape
        d, c = d.ravel()[:, None], c.ravel()[:, None]
        cols = np.arange(w, dtype=np.int64)[None, :]
        # cells of column c' on earlier diagonals: stack rows < d - c'
        rows = np.clip(d - cols, 0, total_h)
        block, rem = np.divmod(rows, h)
        j = np.minimum(block, self.blocks - 1) * w + cols
        q, r = np.divmod(rem, self.layer.ofmap_width)
        ly, lx = self.last_y[j], self.last_x[j]
        partial = np.where(block < self.blocks,
                           np.minimum(q, ly + 1) * (lx + 1) + (q <= ly) * np.minimum(r, lx + 1), 0)
        earlier = (self.column_counts[cols, block] + partial).sum(axis=1)
        # valid cells on diagonal d in columns c' < c
        row = d - cols
        inside = (cols < c) & (row >= 0) & (row < total_h)
        row_c = np.clip(row, 0, total_h - 1)
        same = (inside & self.valid(row_c // h, row_c % h, cols)).sum(axis=1)
        return (earlier + same).reshape(shape)

    def position_of(self, b: int, t: int, c: int) -> int:
        if self.width > SCALAR_WIDTH:
            return int(self.position(b, np.array([t]), np.array([c]))[0])
        # :meth:`position` column by column in plain integers: on a narrow stack a few dozen numpy calls on
        # width-long arrays cost more than the loop (the scans ask for one cell at a time, thousands of times)
        h, w, blocks, e_w = self.height, self.width, self.blocks, self.layer.ofmap_width
        total_h = blocks * h
        last_y, last_x, counts = self._lists
        d = b * h + t + c
        before = 0
        for col in range(w):
            rows = min(max(d - col, 0), total_h)
            block, rem = divmod(rows, h)
            before += counts[col][block]
            if block < blocks:
                j = block * w + col
                q, r = divmod(rem, e_w)
                before += min(q, last_y[j] + 1) * (last_x[j] + 1) + (min(r, last_x[j] + 1) if q <= last_y[j] else 0)
            row = d - col
            if col < c and 0 <= row < total_h:
                j = (row // h) * w + col
                oy, ox = divmod(row % h, e_w)
                before += oy <= last_y[j] and ox <= last_x[j]
        return before

    @functools.cached_property
    def _lists(self) -> tuple[list[int], list[int], list[list[int]]]:
        """last_y, last_x and column_counts as Python lists (for :meth:`position_of`)."""
        return self.last_y.tolist(), self.last_x.tolist(), self.column_counts.tolist()

    def first_index_at(self, b: int, position: int) -> int:
        """Index of block b's first cell whose (own) position is >= ``position``, bisecting CANDIDATES at a time
        (positions never fall along a block's request order)."""
        lo, hi = 0, self.height * self.block_width(b)  # the answer lies in [lo, hi]
        while hi > lo:
            probe = np.unique(np.linspace(lo, hi - 1, min(CANDIDATES, hi - lo)).astype(np.int64))
            reached = self.position(b, *self.cells_at(b, probe)) >= position
            if reached.any():
                k = int(np.argmax(reached))
                lo, hi = (int(probe[k - 1]) + 1 if k else lo), int(probe[k])
            else:
                lo = int(probe[-1]) + 1
        return lo

    def cells_at(self, b: int, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of block b's cells at request-order indices ``index``."""
        d = np.array([self.diagonal_of(b, int(i)) for i in index], dtype=np.int64)
        before = np.array([self.cells_before_diagonal(b, int(x)) for x in d], dtype=np.int64)
        c = np.maximum(0, d - self.height + 1) + index - before
        return d - c, c
