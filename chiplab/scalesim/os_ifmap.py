"""The output-stationary IFMAP tumbling window counted sweep by sweep (for chiplab.scalesim.tumbling).

In OS, row fold f puts ofmap pixels f * R + c on the array's ports c (R = array rows) and streams every window
element j of each, along diagonals c + j; one sweep over the row folds requests the im2col matrix pixel block by
pixel block, and the sweep comes round once per column fold, identical each time. Overlapping windows make
neighbouring pixels (one fold later, or one ofmap row of folds later) request the same ifmap words.

After a window reset at a, request y misses iff no request of its word lies in [a, y): the misses in [a, y] are
the *distinct words* requested there. Inside one sweep, with F(x) the words whose first request of the sweep lies
before x and L(x) those whose last request does, the distinct words of [a, y] are F(y + 1) - L(a) as soon as
y - a + 1 reaches ``span`` (no word's requests lie further apart, so none can skip the range). F and L at a fold
boundary are closed form, pixel by pixel: a word is first requested by the first pixel (raster order) whose window
holds it, and pixel (oy, ox) is first for new_rows(oy) x new_cols(ox) x C words -- the input rows its window adds
to the previous ofmap row's, times the input columns it adds to the pixel on its left. Inside a fold the first
(last) requests are found from the fold's own addresses. So a window's end is the (L(a) + window)-th first request
of the sweep, found by bisection; near a reset (within ``span``) the requests are read one by one. A window that
runs into the next sweep counts F there (words of the next sweep far enough before a were not requested since a);
when a window spans nearly a whole sweep this module declines (None) and the caller walks the stream.
"""

from __future__ import annotations

import functools

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.diagonals import diagonal_of
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.systolic.dataflow import Dataflow

BYTES_PER_CELL = 64  # one fold's addresses, sort order and prefix counts, per request
FOLDS_KEPT = 4  # folds whose addresses and prefix counts are kept (the resets of one layer revisit a few)
FOLDS_BUILT = 8  # folds worked out per layer, typically: the folds where windows end and begin
BYTES_PER_FOLD = 16  # the two closed-form prefix counts kept per fold of a sweep
MIN_WINDOW_PER_SPAN = 16  # windows smaller than span / 16 (toy SRAMs) would mostly be read request by request
# Fold cells sorted a second when a fold's first/last requests are worked out (np.argsort dominates): 2e7 measured
# on 3x3 and 7x7 convolutions, 8x8 to 256x256 arrays (2026-12-08, 2-core machine); taken lower for a loaded machine.
CELLS_PER_S = 1e7


def _new_lines(size: int, window: int, stride: int, positions: int) -> tuple[np.ndarray, np.ndarray]:
    """Along one axis (input rows or columns): for each window position i, how many of the input lines its window
    covers are not covered by position i - 1 (first coverage) and not by position i + 1 (last coverage)."""
    i = np.arange(positions, dtype=np.int64)
    lo, hi = i * stride, np.minimum(i * stride + window, size)  # windows hanging off the input are clipped
    firsts = np.maximum(0, hi - np.maximum(lo, np.where(i > 0, (i - 1) * stride + window, 0)))
    lasts = np.maximum(0, np.where(i < positions - 1, np.minimum(hi, (i + 1) * stride), hi) - lo)
    return firsts, lasts


def _pixel_prefix(rows: np.ndarray, cols: np.ndarray, channels: int, pixels: np.ndarray) -> np.ndarray:
    """Words counted by pixels before each of ``pixels`` (raster order), pixel (oy, ox) counting
    rows[oy] * cols[ox] * channels: whole ofmap rows above, then the pixels on its left."""
    oy, ox = np.divmod(pixels, len(cols))
    above = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(rows)])
    left = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(cols)])
    row_here = np.concatenate([rows, np.zeros(1, dtype=np.int64)])
    counted: np.ndarray = channels * (above[oy] * left[-1] + row_here[oy] * left[ox])
    return counted


class _Sweep:
    """One sweep of the OS ifmap stream (positions: requests in order, holes included): prefix counts F and L of
    the sweep's first and last requests of words, their inverse, and the explicit distinct count near a reset."""

    def __init__(self, layer: ScaleSimLayer, plan: FoldPlan) -> None:
        self.layer, self.plan, self.k = layer, plan, layer.k
        s, e_h, e_w = layer.stride, layer.ofmap_height, layer.ofmap_width
        self.fold_size = plan.num_rows * layer.k  # positions of a full fold
        self.num_folds = plan.num_row_folds
        self.length = layer.m * layer.k
        first_rows, last_rows = _new_lines(layer.ifmap_height, layer.filter_height, s, e_h)
        first_cols, last_cols = _new_lines(layer.ifmap_width, layer.filter_width, s, e_w)
        starts = np.minimum(np.arange(self.num_folds + 1, dtype=np.int64) * plan.num_rows, layer.m)
        self.firsts_at_fold = _pixel_prefix(first_rows, first_cols, layer.num_channels, starts)
        self.lasts_at_fold = _pixel_prefix(last_rows, last_cols, layer.num_channels, starts)
        self.distinct = int(self.firsts_at_fold[-1])
        # The readers of a word lie at most `reach` pixels apart, so in folds at most reach // R + 1 apart.
        reach = (layer.filter_height - 1) // s * e_w + (layer.filter_width - 1) // s
        self.span = min(self.length, (reach // plan.num_rows + 2) * self.fold_size)

    @functools.lru_cache(maxsize=2)  # noqa: B019 -- full folds and the last one
    def _cells(self, rows: int) -> np.ndarray:
        """A fold of ``rows`` pixels in request order, as indices c * S + e into its (pixel, spatial window
        element) grid (S = filter height x width, e = element // C)."""
        c, j = operands.skewed_order(rows, self.k)
        cells: np.ndarray = c * (self.layer.filter_height * self.layer.filter_width) + j // self.layer.num_channels
        return cells

    @functools.lru_cache(maxsize=FOLDS_KEPT)  # noqa: B019 -- a sweep lives for one layer
    def _fold_prefix(self, fold: int, which: int) -> np.ndarray:
        """Prefix counts over fold ``fold``'s requests of its first (which = 1) or last (2) requests of words in
        the sweep: no pixel of an earlier (later) fold holds the word, nor an earlier (later) request of the fold.

        Every channel of a window position is read by the same pixels at the same window positions, and its
        requests sit on diagonals shifted by the channel, so the order of a word's requests is the same for every
        channel: the flags are worked out on the fold's pixel x spatial-element grid (rows x S cells) and read off
        for each request."""
        layer, r_arr, s = self.layer, self.plan.num_rows, self.layer.stride
        rows, e_h, e_w = self.plan.rows_used(fold), layer.ofmap_height, layer.ofmap_width
        size = layer.filter_height * layer.filter_width
        c, e = np.divmod(np.arange(rows * size, dtype=np.int64), size)
        oy, ox = np.divmod(fold * r_arr + c, e_w)
        cr, cc = np.divmod(e, layer.filter_width)
        iy, ix = oy * s + cr, ox * s + cc
        valid = (iy < layer.ifmap_height) & (ix < layer.ifmap_width)
        word = np.where(valid, iy * layer.ifmap_width + ix, -1)
        order = np.lexsort(((c + e * layer.num_channels) * rows + c, word))  # by word, then request order
        ordered = word[order]
        edge = np.ones(len(ordered), dtype=bool)  # first (which = 1) or last (2) request of its word in the fold
        if which == 1:
            edge[1:] = ordered[1:] != ordered[:-1]
            outside = np.maximum(0, -((layer.filter_height - 1 - iy) // s)) * e_w + np.maximum(
                0, -((layer.filter_width - 1 - ix) // s)) >= fold * r_arr  # no earlier fold holds it
        else:
            edge[:-1] = ordered[1:] != ordered[:-1]
            outside = np.minimum(e_h - 1, iy // s) * e_w + np.minimum(e_w - 1, ix // s) < fold * r_arr + rows
        here = np.zeros(len(ordered), dtype=bool)
        here[order[edge]] = True
        return _prefix((here & valid & outside)[self._cells(rows)])

    def _addresses(self, fold: int) -> np.ndarray:
        """Fold ``fold``'s ifmap addresses in request order (-1: a hole)."""
        c, j = operands.skewed_order(self.plan.rows_used(fold), self.k)
        found: np.ndarray = operands.ifmap_addresses(self.layer, fold * self.plan.num_rows + c, j)
        return found

    def _at(self, x: int, which: int, at_fold: np.ndarray) -> int:
        fold = min(x // self.fold_size, self.num_folds - 1)
        local = x - fold * self.fold_size
        if local == 0:
            return int(at_fold[fold])
        return int(at_fold[fold]) + int(self._fold_prefix(fold, which)[local])

    def firsts_before(self, x: int) -> int:
        """F(x): words whose first request of the sweep lies before position x."""
        return self._at(x, 1, self.firsts_at_fold)

    def lasts_before(self, x: int) -> int:
        """L(x): words whose last request of the sweep lies before position x."""
        return self._at(x, 2, self.lasts_at_fold)

    def nth_first(self, n: int) -> int:
        """Position of the sweep's n-th first request of a word (1 <= n <= distinct)."""
        fold = int(np.searchsorted(self.firsts_at_fold, n)) - 1
        prefix = self._fold_prefix(fold, 1)
        return fold * self.fold_size + int(np.searchsorted(prefix, n - int(self.firsts_at_fold[fold]))) - 1

    def fill(self, a: int, window: int) -> tuple[int | None, int]:
        """After a reset before position a: (position of the window-th distinct word from a, 0), or (None,
        distinct words from a to the sweep's end)."""
        end = min(a + self.span - 1, self.length - 1)
        # Words first requested up to the fold holding `end` bound the distinct words of [a, end]; only a window
        # that may fill there is read request by request.
        bound = int(self.firsts_at_fold[min(end // self.fold_size + 1, self.num_folds)]) - self.lasts_before(a)
        if bound >= window and self.firsts_before(end + 1) - self.lasts_before(a) >= window:
            seen = np.cumsum(self._first_occurrences(a, end + 1))
            if len(seen) and seen[-1] >= window:
                return a + int(np.searchsorted(seen, window)), 0
        if end == self.length - 1:  # every word whose last request lies at or after a: no range to skip
            return None, self.distinct - self.lasts_before(a)
        n = self.lasts_before(a) + window  # past `span`: the count F(y + 1) - L(a) is exact
        if n > self.distinct:
            return None, self.distinct - self.lasts_before(a)
        return self.nth_first(n), 0

    def _first_occurrences(self, lo: int, hi: int) -> np.ndarray:
        """For positions [lo, hi): is the request its word's first one since lo?"""
        first_fold, last_fold = lo // self.fold_size, min((hi - 1) // self.fold_size, self.num_folds - 1)
        addresses = np.concatenate([self._addresses(f) for f in range(first_fold, last_fold + 1)])
        addresses = addresses[lo - first_fold * self.fold_size:hi - first_fold * self.fold_size]
        _, index = np.unique(addresses, return_index=True)
        first = np.zeros(len(addresses), dtype=bool)
        first[index] = True
        flags: np.ndarray = first & (addresses >= 0)
        return flags

    def line(self, sweep: int, x: int) -> int:
        """Demand line of position x of the sweep-th sweep (OS ifmap: local line c + j, base 0)."""
        fold = x // self.fold_size
        rows = self.plan.rows_used(fold)
        return self.plan.fold_start_line(sweep, fold) + diagonal_of(x - fold * self.fold_size, rows, self.k)


def os_ifmap_misses(layer: ScaleSimLayer, plan: FoldPlan, window: int) -> tuple[int, list[int]] | None:
    """SCALE-Sim's tumbling-window misses of the OS ifmap stream: (misses, [line of the last window-completing
    miss] or []), sweep by sweep; None when it does not apply (a pruned or row-wise sparse window) or when a
    window spans nearly a whole sweep (then only the explicit walk is exact)."""
    assert plan.dataflow is Dataflow.OS
    if layer.window_pruned or layer.row_wise_block_size:
        return None
    fold_cells = plan.num_rows * layer.k
    check_resources(f"the IFMAP tumbling window of layer {layer.name!r} sweep by sweep (SCALE-Sim CALC mode)",
                    work=FOLDS_BUILT * fold_cells, work_unit="cells", work_per_s=CELLS_PER_S,
                    memory_bytes=BYTES_PER_FOLD * plan.num_row_folds + FOLDS_KEPT * BYTES_PER_CELL * fold_cells)
    sweep = _Sweep(layer, plan)
    if window * MIN_WINDOW_PER_SPAN < sweep.span:  # many windows, each read request by request: leave it to the walk
        return None
    sweeps, length, distinct = plan.num_col_folds, sweep.length, sweep.distinct
    s, a, misses = 0, 0, 0
    last: tuple[int, int] | None = None
    while s < sweeps:
        found, counted = sweep.fill(a, window)
        if found is not None:
            misses, last = misses + window, (s, found)
            s, a = (s + 1, 0) if found + 1 == length else (s, found + 1)
            continue
        if s == sweeps - 1:
            misses += counted
            break
        if distinct < window:  # the rest spans a whole sweep: every word once, never a full window again
            misses += distinct
            break
        found = sweep.nth_first(window - counted)  # in the next sweep, before a - span: its first requests
        if found >= a - sweep.span:
            return None
        misses, last = misses + window, (s + 1, found)
        s, a = (s + 2, 0) if found + 1 == length else (s + 1, found + 1)
    return misses, ([sweep.line(*last)] if last is not None else [])


def _prefix(flags: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(1, dtype=np.int32), np.cumsum(flags, dtype=np.int32)])  # a fold < 2**31 cells
