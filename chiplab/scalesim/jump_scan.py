"""USER-mode window scans that jump over the requests certain to hit (issue 17).

Every request *is* one cell of its operand's prefetch matrix -- its **own position** in the prefetch order -- so a
request whose own set is in the window hits, whatever else holds its word (chiplab.scalesim.window_scan has the
model). Where own positions have a closed form (no off-input holes; no pruned window with overlapping windows) the
scans here jump over every stretch of requests whose own sets stay in the window and look only at the requests past
its edge, so their work grows with the prefetches, not with the requests:

* a *skewed* operand (WS/OS ifmap, IS/OS filter) is a stack of blocks read along anti-diagonals of the whole stack;
  its requests walk each block along the block's own anti-diagonals, so own positions rise within a block and
  blocks overlap only where their diagonals meet (:class:`SkewedStack`, :func:`scan_skewed`);
* the *stationary* operand (WS filter, IS ifmap) is read row by row per column fold; a fold's flipped block covers
  one contiguous range of positions, the folds one after another (:func:`scan_stationary`).

A word without repeats is held by its own set only; an im2col word (overlapping windows) is also held by the sets of
its other cells, found in closed form (:func:`im2col_distance`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.demand import ramp_sum, smallest_diagonal_count
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.window_scan import Events, Window, add_event, scan, scan_repeated
from chiplab.systolic.dataflow import Dataflow

MIN_CELLS, MAX_CELLS = 1 << 6, 1 << 16  # look-ahead past the window's edge


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
        wb = self.block_width(b)
        return ramp_sum(d, wb) - ramp_sum(d - self.height, wb)

    def cells(self, b: int, first: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of block b's cells first .. end - 1 in request order."""
        d0, d1 = self.diagonal_of(b, first), self.diagonal_of(b, end - 1) + 1
        c, t = operands.skewed_order(self.block_width(b), self.height, d0, d1)
        skip = first - self.cells_before_diagonal(b, d0)
        return t[skip:skip + end - first], c[skip:skip + end - first]

    def diagonal_of(self, b: int, index: int) -> int:
        """Local diagonal of block b's cell ``index`` (request order): one less than the smallest y whose diagonals
        0 .. y - 1 hold more than ``index`` cells."""
        return smallest_diagonal_count(index + 1, self.block_width(b), self.height) - 1

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


def scan_skewed(stack: SkewedStack, blocks: range, line_start: Callable[[int], int], start: int, window: Window,
                distance: Callable[[int, np.ndarray, np.ndarray, int], np.ndarray] | None = None) -> Events:
    """The requests of ``blocks`` (in order) through the window from ``start``, skipping those whose own set is in
    the window. ``distance(b, rows, cols, start)`` is the im2col distance of repeated words (None: own set only)."""
    sw, n, size = window.set_words, window.num_sets, window.size
    first_pos, last_pos = stack.block_ends()
    event_lines: list[int] = []
    event_counts: list[int] = []
    b, i, chunk = blocks.start, 0, MIN_CELLS

    while b < blocks.stop:
        num_cells = stack.height * stack.block_width(b)
        if i >= num_cells:
            b, i, chunk = b + 1, 0, MIN_CELLS
            continue
        d = stack.diagonal_of(b, i)
        c0 = max(0, d - stack.height + 1) + i - stack.cells_before_diagonal(b, d)
        own = stack.position_of(b, d - c0, c0) // sw
        offset = (own - start) % n
        if offset < size:  # own sets stay in the window up to set `leave` (exclusive) and down to `low`
            leave, low = own + size - offset, max(0, own - offset)
            if leave < n and leave * sw <= last_pos[b]:
                i = stack.first_index_at(b, leave * sw)
                continue
            nxt = b + 1
            if nxt < blocks.stop and first_pos[nxt] >= low * sw:  # later blocks start inside the window
                nxt = max(nxt, int(np.searchsorted(last_pos, leave * sw)) if leave < n else blocks.stop)
            b, i, chunk = min(nxt, blocks.stop), 0, MIN_CELLS
            continue
        if distance is None:  # a word without repeats is in its own set only: this request misses
            slides = 0
            while offset >= size:  # new_prefetch until it hits
                start = (start + window.step) % n
                offset = (own - start) % n
                slides += 1
            add_event(event_lines, event_counts, line_start(b) + stack.base + d, slides)
            i += 1
            continue
        t, c = stack.cells(b, i, min(i + chunk, num_cells))
        missing = np.flatnonzero(distance(b, t, c, start) >= size)
        if len(missing) == 0:
            i, chunk = i + len(t), min(2 * chunk, MAX_CELLS)
            continue
        at = int(missing[0])
        slides = 0
        while distance(b, t[at:at + 1], c[at:at + 1], start)[0] >= size:  # new_prefetch until it hits
            start = (start + window.step) % n
            slides += 1
        add_event(event_lines, event_counts, line_start(b) + stack.base + int(t[at] + c[at]), slides)
        i, chunk = i + at + 1, MIN_CELLS
    return start, event_lines, event_counts


def scan_stationary(plan: FoldPlan, height: int, start: int, window: Window) -> Events:
    """The stationary operand (WS filter, IS ifmap, no holes, no repeats): per column fold a ``height`` x C' matrix
    read row by row; fold (fc, fr) requests rows fr*R .. fr*R + rows - 1 bottom row first (block_order), which
    cover one contiguous range of positions. Folds wholly inside the window are jumped over."""
    sw, n, size = window.set_words, window.num_sets, window.size
    r_arr, c_arr, nrf, ncf = plan.num_rows, plan.num_cols, plan.num_row_folds, plan.num_col_folds
    num_valid = height * (c_arr * (ncf - 1) + plan.cols_used(ncf - 1))
    event_lines: list[int] = []
    event_counts: list[int] = []

    def own_sets(sets: np.ndarray, start: int) -> np.ndarray:
        return (sets - start) % n

    fold = 0
    while fold < plan.num_folds:
        fc, fr = divmod(fold, nrf)
        cols, rows = plan.cols_used(fc), plan.rows_used(fr)
        lo = fc * height * c_arr + fr * r_arr * cols
        off_lo, off_hi = (lo // sw - start) % n, ((lo + rows * cols - 1) // sw - start) % n
        if off_lo <= off_hi < size:  # the whole fold hits: jump to the fold holding the window's edge
            leave = (lo + rows * cols - 1) // sw + size - off_hi
            if leave >= n or leave * sw >= num_valid:
                break
            at = leave * sw
            fc_at = min(at // (height * c_arr), ncf - 1)
            row_at = (at - fc_at * height * c_arr) // plan.cols_used(fc_at)
            fold = max(fold + 1, fc_at * nrf + row_at // r_arr)
            continue
        r, c, lines = operands.block_order(rows, cols, r_arr)
        sets = (lo + r * cols + c) // sw
        start, lines_here, counts_here = scan([(sets, lines + plan.fold_start_line(fc, fr))], start, own_sets,
                                              window)
        for line, count in zip(lines_here, counts_here, strict=True):
            add_event(event_lines, event_counts, line, count)
        fold += 1
    return start, event_lines, event_counts


def im2col_distance(layer: ScaleSimLayer, stack: SkewedStack, window: Window,
                    pixel_major: bool) -> Callable[[int, np.ndarray, np.ndarray, int], np.ndarray]:
    """Distance of an ifmap request whose word sits in several im2col cells: over every cell (pixel p', window
    element j') holding the same word -- the window offsets (cr', cc') that land on it -- the nearest set from the
    window start. ``pixel_major``: stack rows are pixels and columns window elements (WS); else the reverse (OS).
    Only for layers without off-input holes or pruned windows (every such cell is real)."""
    r_arr = stack.width
    offsets_r, offsets_c = np.divmod(np.arange(layer.filter_height * layer.filter_width, dtype=np.int64),
                                     layer.filter_width)
    s, e_h, e_w, channels = layer.stride, layer.ofmap_height, layer.ofmap_width, layer.num_channels

    def distance(b: int, t: np.ndarray, c: np.ndarray, start: int) -> np.ndarray:
        pixel, element = (t, b * r_arr + c) if pixel_major else (b * r_arr + c, t)
        oy, ox = np.divmod(pixel, e_w)
        per_row = layer.filter_width * channels
        cr, rest = np.divmod(element, per_row)
        cc, ch = np.divmod(rest, channels)
        y = (oy * s + cr)[:, None] - offsets_r[None, :]
        x = (ox * s + cc)[:, None] - offsets_c[None, :]
        real = (y >= 0) & (x >= 0) & (y % s == 0) & (x % s == 0) & (y // s < e_h) & (x // s < e_w)
        pixels = np.where(real, (y // s) * e_w + x // s, 0)
        elements = np.where(real, (offsets_r * layer.filter_width + offsets_c)[None, :] * channels + ch[:, None], 0)
        if pixel_major:
            block, row, col = elements // r_arr, pixels, elements % r_arr
        else:
            block, row, col = pixels // r_arr, elements, pixels % r_arr
        sets = stack.position(block, row, col) // window.set_words
        return np.where(real, (sets - start) % window.num_sets, window.num_sets).min(axis=1)

    return distance


def fast_misses(layer: ScaleSimLayer, plan: FoldPlan, operand: str,
                window: Window) -> tuple[np.ndarray, np.ndarray] | None:
    """Event lines and prefetch counts of a dense operand by the jumping scans, or None where its own positions
    have no closed form here (off-input holes, a pruned window with overlapping windows: the caller then follows
    every request)."""
    flow, ifmap = plan.dataflow, operand == "ifmap"
    repeats = ifmap and operands.ifmap_has_repeats(layer)
    if layer.row_wise_block_size or (ifmap and operands.ifmap_has_holes(layer)) or (repeats and layer.window_pruned):
        return None
    nrf, ncf = plan.num_row_folds, plan.num_col_folds
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap")):
        if repeats:
            return None
        _, lines, counts = scan_stationary(plan, layer.k, 0, window)
        return np.array(lines, dtype=np.int64), np.array(counts, dtype=np.int64)
    if (flow, operand) == (Dataflow.OS, "filter"):  # block of column fold u, once per row fold
        stack = SkewedStack(blocks=ncf, height=layer.k, width=plan.num_cols, last_width=plan.cols_used(ncf - 1),
                            base=0)
        return scan_repeated(ncf, nrf, plan.lines_per_fold, lambda u, start: scan_skewed(
            stack, range(u, u + 1), lambda b: plan.fold_start_line(b, 0), start, window))
    # the left-edge operand: one sweep over the row folds, once per column fold
    height = {Dataflow.WS: layer.m, Dataflow.OS: layer.k, Dataflow.IS: layer.n}[flow]
    stack = SkewedStack(blocks=nrf, height=height, width=plan.num_rows, last_width=plan.rows_used(nrf - 1),
                        base=0 if flow is Dataflow.OS else plan.num_rows)
    distance = im2col_distance(layer, stack, window, flow is Dataflow.WS) if repeats else None
    return scan_repeated(1, ncf, nrf * plan.lines_per_fold, lambda _, start: scan_skewed(
        stack, range(nrf), lambda b: plan.fold_start_line(0, b), start, window, distance))
