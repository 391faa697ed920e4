"""Which words SCALE-Sim's USER-mode prefetch window holds, one window start at a time (issue 17).

An im2col word (overlapping convolution windows) sits in several cells of the ifmap's prefetch order, so in several
sets; a request hits when *any* of them is in the window (chiplab.scalesim.window_scan has the model). Instead of
searching each requested word's sets, :class:`WindowWords` marks the words of the window's ``size x set_words``
positions in a table over the address space (kept for the most recent window starts, which come round again) and
answers a request with one look-up, whatever the convolution window's size. A start costs one pass over the
window's positions, taken from the prefetch order (:func:`order_words`) or built from a skewed stack's diagonals
(:func:`stack_words`, no prefetch order kept); :func:`cheaper_distance` marks a start only once the requests checked
there would have cost more one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.prefetch_positions import SkewedStack
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.window_scan import Window

WordsBetween = Callable[[int, int], np.ndarray]  # prefetch positions [first, end) -> their words' addresses
StackDistance = Callable[[int, np.ndarray, np.ndarray, int], np.ndarray]  # (block, rows, columns, start)
BYTES_PER_WINDOW_CELL = 64  # temporaries of building one window position from the stack (int64 arrays)
# The prefetch order is kept (4 bytes a cell) up to this size: marking a start is then one scatter, about 20 times
# cheaper than building the window's positions from the stack's diagonals (DeepSpeech_4 at 8 x 8, 2026-12-08).
ORDER_BYTES = 256 * 2**20
# A window position marked costs about 1/16 of one (request, other cell) pair checked by the holey closed form when
# the order is kept and 3/2 when built from the diagonals (measured at 8 x 8 on DeepSpeech_4, 2026-12-08).
MARK_COST_KEPT, MARK_COST_BUILT = 1 / 16, 3 / 2
TABLES_BYTES = 256 * 2**20  # the words of this many bytes' worth of recent window starts are kept (one byte a word)
# Up to this size the kept order is int64: marking a start with int32 indices costs about 2.2 times as much (numpy
# converts them to intp first; 3e6 words into an 862 kB table, 10 vs 4.5 ms, 2026-12-08).
WIDE_ORDER_BYTES = 128 * 2**20


class WindowWords:
    """The words held by the window from a given start (``words_between`` gives the prefetch order's words)."""

    def __init__(self, words_between: WordsBetween, window: Window, address_space: int) -> None:
        self._words_between = words_between
        self._window = window
        self._space = address_space
        # window start -> address -> held?, the most recent starts (starts come round again, once per column fold)
        self._held: dict[int, np.ndarray] = {}

    def _table(self, start: int) -> np.ndarray:
        if start in self._held:
            self._held[start] = self._held.pop(start)  # most recently used last
            return self._held[start]
        if self._held and (len(self._held) + 1) * self._space > TABLES_BYTES:
            del self._held[next(iter(self._held))]  # the least recently used start
        held = np.zeros(self._space, dtype=np.bool_)
        sw, size, n = self._window.set_words, self._window.size, self._window.num_sets
        held[self._words_between(start * sw, (start + size) * sw)] = True
        if start + size > n:  # the window wraps round to the first sets
            held[self._words_between(0, (start + size - n) * sw)] = True
        self._held[start] = held
        return held

    def distance(self, addresses: np.ndarray, start: int) -> np.ndarray:
        """0 for a word in the window from ``start``, the window's size (a miss) for one outside it; the scans
        compare the answer with the window's size only."""
        return np.where(self._table(start)[np.maximum(addresses, 0)], 0, self._window.size)


def order_words(order: np.ndarray) -> WordsBetween:
    return lambda first, end: order[first:end]


def stack_words(layer: ScaleSimLayer, stack: SkewedStack, pixel_major: bool) -> WordsBetween:
    """The ifmap words at prefetch positions [first, end) of a skewed stack (WS: rows pixels, column c of block b
    window element bR + c; else the reverse), from the diagonals that hold them: the stack's first cell on a
    diagonal has a closed-form position, so the diagonals are found by bisection."""
    h, r_arr = stack.height, stack.width
    total_h = stack.blocks * h
    num_diagonals = total_h + r_arr - 1

    def first_position(d: int) -> int:  # own position of the first cell of stack diagonal d
        c = max(0, d - total_h + 1)
        return stack.position_of((d - c) // h, (d - c) % h, c)

    def diagonal_at(position: int) -> int:  # the last diagonal whose first cell is at or before the position
        lo, hi = 0, num_diagonals - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if first_position(mid) <= position else (lo, mid - 1)
        return lo

    def words(first: int, end: int) -> np.ndarray:
        if end <= first:
            return np.zeros(0, dtype=np.int64)
        d0 = diagonal_at(first)
        col, row = operands.skewed_order(r_arr, total_h, d0, min(diagonal_at(end - 1) + 1, num_diagonals))
        block, t = np.divmod(row, h)
        pixel, element = (t, block * r_arr + col) if pixel_major else (block * r_arr + col, t)
        real = (element < layer.k) & (pixel < layer.m)  # the last block's padding columns hold no word
        addresses = operands.ifmap_addresses(layer, np.where(real, pixel, 0), np.where(real, element, 0))
        addresses = addresses[real & (addresses >= 0)]  # off-input cells are neither prefetched nor counted
        skip = first - first_position(d0)
        return addresses[skip:skip + end - first]

    return words


def cheaper_distance(layer: ScaleSimLayer, stack: SkewedStack, window: Window, pixel_major: bool,
                     one_by_one: StackDistance, cost_per_cell: int,
                     order_pieces: Callable[[], Iterable[np.ndarray]]) -> StackDistance:
    """The jumping scan's im2col distance: each request's other cells checked one by one (``one_by_one``, costing
    ``cost_per_cell``) until, for the current window start, that has cost as much as marking the window's words;
    from then on a look-up in the marked table (:class:`WindowWords`, built when first needed, size-checked), over
    the prefetch order (``order_pieces``, kept where it fits ORDER_BYTES) or the stack's diagonals."""
    num_valid = operands.num_valid_ifmap_cells(layer)
    keep = 4 * num_valid <= ORDER_BYTES
    mark_cost = window.size * window.set_words * (MARK_COST_KEPT if keep else MARK_COST_BUILT)
    spent = {"start": -1, "cost": 0}
    table: list[WindowWords] = []

    def distance(b: int, t: np.ndarray, c: np.ndarray, start: int) -> np.ndarray:
        if start != spent["start"]:
            spent["start"], spent["cost"] = start, 0
        if spent["cost"] + len(t) * cost_per_cell <= mark_cost:
            spent["cost"] += len(t) * cost_per_cell
            return one_by_one(b, t, c, start)
        if not table:
            space = layer.ifmap_height * layer.ifmap_width * layer.num_channels
            wide = 8 * num_valid <= WIDE_ORDER_BYTES or space >= 2**31
            check_resources(f"the USER-mode ifmap read buffer of layer {layer.name!r} (overlapping windows, "
                            "operand larger than half its SRAM: the window's words marked per window start)",
                            memory_bytes=TABLES_BYTES + space + ((8 if wide else 4) * num_valid if keep else 0)
                            + BYTES_PER_WINDOW_CELL * (window.size + 1) * window.set_words,
                            shrink_hint="Use larger SRAMs or a smaller layer")
            words = stack_words(layer, stack, pixel_major)
            if keep:  # the whole prefetch order, piece by piece
                order, done = np.empty(num_valid, dtype=np.int64 if wide else np.int32), 0
                for piece in order_pieces():
                    order[done:done + len(piece)], done = piece, done + len(piece)
                words = order_words(order)
            table.append(WindowWords(words, window, space))
        pixel, element = (t, b * stack.width + c) if pixel_major else (b * stack.width + c, t)
        return table[0].distance(operands.ifmap_addresses(layer, pixel, element), start)

    return distance
