"""The input-stationary IFMAP stream through CALC mode's tumbling window, counted by regions, not by requests.

In IS the IFMAP is the stationary operand: column fold fc holds the C ofmap pixels p = fc*C .. fc*C + C - 1 (C =
array columns) and requests every window element of each of them once, row folds in turn. So the column folds,
taken in order, sweep the pixels in raster order, and the words requested by column folds fa .. fb are the union
of the windows of a raster range of pixels: a partial ofmap row, whole rows, a partial row -- three rectangles of
pixels, whose windows are three rectangles of input positions (times every channel).

The tumbling window (chiplab.scalesim.tumbling) forgets everything after the request that completes a window.
A request therefore misses exactly when its word was not requested since the last reset: the misses of one window
are the distinct words from the reset on, and the window ends at the request that brings that count to
``window``. This module follows the windows, not the requests:

* the distinct words from a reset to the end of column fold fb are those left in the reset's own fold after it
  (carried, as a bitmap) plus the windows of the pixels of the folds after it (inclusion-exclusion over the three
  rectangles), minus the carried words those windows cover again (each carried input position knows the first
  later pixel whose window covers it); so the fold where the next window fills is found by a short search;
* only that fold is followed (:class:`_FoldWalk`), on window stamps over the input box its windows cover: one
  window element of all the fold's pixels is a strided slice of the box, whole row folds are stamped slice by
  slice, and only the row fold and the element where the window fills are looked at pixel by pixel.

Pruned (N:M) windows do not cover whole channel sets of window rectangles: the explicit walk counts those.
"""

from __future__ import annotations

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.window_regions import covered_words, covering_range, next_cover, pixel_rects

# A followed fold's input box: its stamps (2 bytes a word) and the carried mask of the previous fold (1 byte),
# slice temporaries; 0.3 to 2.3 bytes a box word of peak growth measured with 1-byte marks (yolo, UNet_2d at 8x8
# and 256x256, 2026-12-08). Rate: words of the estimated boxes and folds (below) per CPU second, 4e8 to 1e10
# measured on the same layers (loaded 2-core machine).
BYTES_PER_BOX_WORD = 5
BOX_WORDS_PER_S = 4e8
CELLS_PER_CHUNK = 1 << 16  # requests of a fold counted, then marked, at once
MIN_LOOK_AHEAD = 1 << 12  # requests of one window element looked at once, at least, when the window may fill
NO_STAMP = np.iinfo(np.uint16).max


class _Epoch:
    """The words requested since the last reset: those left in the reset's fold after it (``carried``, a mask of
    input rows y0.., columns x0.., every channel), plus the windows of pixels first_pixel onwards. For the
    carried words covered again by later pixels it keeps, per input position holding some, the first later
    pixel that covers it (sorted) and the running count of carried words at those positions."""

    def __init__(self, layer: ScaleSimLayer, first_pixel: int, carried: np.ndarray | None = None,
                 origin: tuple[int, int] = (0, 0)):
        self.layer, self.first_pixel, self.carried, self.origin = layer, first_pixel, carried, origin
        per_position = (np.zeros((0, 0), dtype=np.int64) if carried is None
                        else np.count_nonzero(carried, axis=2))
        iy, ix = np.nonzero(per_position)
        cover = next_cover(layer, iy + origin[0], ix + origin[1], first_pixel)
        order = np.argsort(cover, kind="stable")
        self.cover_sorted = cover[order]
        self.carried_before = np.concatenate([[0], np.cumsum(per_position[iy, ix][order])])

    def distinct_before(self, end_pixel: int) -> int:
        """Distinct words from the reset up to the first request of pixel end_pixel's column fold: the carried
        words, the new pixels' windows, minus the carried words those cover again."""
        again = int(self.carried_before[np.searchsorted(self.cover_sorted, end_pixel, side="left")])
        return int(self.carried_before[-1]) + covered_words(self.layer, self.first_pixel, end_pixel) - again


class _FoldWalk:
    """Column fold fc followed through the window. ``stamp`` holds, for each word of the input box the fold's
    windows cover (rows y0.., columns x0.., every channel), the number of the window that last requested it, so
    a reset is one increment; window element j = o * channels + ch (o = cr * filter_width + cc) of all the
    fold's pixels is, per pixel rectangle, the strided slice ``stamp[oy*s + cr, ox*s + cc, ch]`` (slices stop at
    the box, which stops at the input: holes drop out)."""

    def __init__(self, layer: ScaleSimLayer, plan: FoldPlan, fc: int, window: int):
        self.layer, self.plan, self.fc, self.window = layer, plan, fc, window
        first, end = fc * plan.num_cols, min((fc + 1) * plan.num_cols, layer.m)
        self.rects = pixel_rects(layer, first, end)
        s, e_w = layer.stride, layer.ofmap_width
        (oy1, ox1), (oy2, ox2) = divmod(first, e_w), divmod(end - 1, e_w)
        self.y0, y_end = oy1 * s, min(oy2 * s + layer.filter_height, layer.ifmap_height)
        self.x0, x_end = ((ox1 * s, min(ox2 * s + layer.filter_width, layer.ifmap_width)) if oy1 == oy2
                          else (0, layer.ifmap_width))
        self.stamp = np.zeros((y_end - self.y0, x_end - self.x0, layer.num_channels), dtype=np.uint16)
        self.now, self.need, self.resets, self.last_line = 1, 0, 0, -1

    def start(self, epoch: _Epoch) -> None:
        """Stamp the words the window already holds (carried ones, and the earlier pixels' windows) in the box."""
        layer, (ny, nx, _) = self.layer, self.stamp.shape
        self.need = self.window - epoch.distinct_before(self.fc * self.plan.num_cols)
        if epoch.carried is not None:  # the part of the carried box inside this box
            (cy, cx), (cny, cnx, _) = epoch.origin, epoch.carried.shape
            ya, yb = max(self.y0, cy), min(self.y0 + ny, cy + cny)
            xa, xb = max(self.x0, cx), min(self.x0 + nx, cx + cnx)
            if ya < yb and xa < xb:
                region = self.stamp[ya - self.y0:yb - self.y0, xa - self.x0:xb - self.x0]
                region[epoch.carried[ya - cy:yb - cy, xa - cx:xb - cx]] = self.now
        for (a, b), (c, d) in pixel_rects(layer, epoch.first_pixel, self.fc * self.plan.num_cols):
            rows = self._covered(self.y0 + np.arange(ny), a, b, layer.filter_height)
            cols = self._covered(self.x0 + np.arange(nx), c, d, layer.filter_width)
            self.stamp[np.ix_(rows, cols)] = self.now

    def _covered(self, coordinate: np.ndarray, first: int, last: int, extent: int) -> np.ndarray:
        lo, hi = covering_range(coordinate, self.layer.stride, extent, last + 1)
        return np.asarray(np.maximum(lo, first) <= hi)

    def _views(self, o: int, ch_lo: int, ch_hi: int) -> list[np.ndarray]:
        """Window offset o, channels ch_lo .. ch_hi - 1, of the fold's pixels: one view per pixel rectangle."""
        cr, cc = divmod(o, self.layer.filter_width)
        s, y0, x0 = self.layer.stride, self.y0, self.x0
        return [self.stamp[a * s + cr - y0:b * s + cr - y0 + 1:s, c * s + cc - x0:d * s + cc - x0 + 1:s, ch_lo:ch_hi]
                for (a, b), (c, d) in self.rects]

    def _unseen(self, view: np.ndarray) -> int:
        return view.size - int(np.count_nonzero(view == self.now))

    def _groups(self, j_lo: int, j_hi: int) -> list[tuple[int, int, int]]:
        """Window elements j_lo .. j_hi - 1 as (offset, first channel, end channel), offsets descending."""
        channels = self.layer.num_channels
        return [(o, max(j_lo - o * channels, 0), min(j_hi - o * channels, channels))
                for o in range((j_hi - 1) // channels, j_lo // channels - 1, -1)]

    def row_folds(self, first: int, end: int) -> None:
        """Follow row folds first .. end - 1, a chunk of about CELLS_PER_CHUNK requests at a time: unseen words
        counted without stamping bound a chunk's new words from above (words shared between its elements counted
        twice); below the window's need, stamp them all; otherwise halve the chunk, down to one row fold."""
        step = max(1, CELLS_PER_CHUNK // (self.plan.num_rows * self.plan.num_cols))
        for chunk in range(first, end, step):
            self._row_fold_range(chunk, min(chunk + step, end))

    def _row_fold_range(self, first: int, end: int) -> None:
        r_arr, k = self.plan.num_rows, self.layer.k
        groups = self._groups(first * r_arr, min(end * r_arr, k))
        if sum(self._unseen(v) for g in groups for v in self._views(*g)) < self.need:
            for g in groups:
                for view in self._views(*g):
                    self.need -= self._unseen(view)
                    view[...] = self.now
        elif end - first > 1:
            self._row_fold_range(first, (first + end) // 2)
            self._row_fold_range((first + end) // 2, end)
        else:  # one row fold: its elements in request order (row r on line R - 1 - r, r = rows used - 1 .. 0)
            for o, ch_lo, ch_hi in groups:
                self._channels(first, o, ch_lo, ch_hi)

    def _channels(self, fr: int, o: int, ch_lo: int, ch_hi: int) -> None:
        """Elements of offset o, channels ch_hi - 1 down to ch_lo (request order), of row fold fr, a look-ahead of
        channels at a time (a small window may fill many times here). Different channels never share a word, so
        the unseen counts per channel are exact."""
        per_channel = max(1, sum(v.shape[0] * v.shape[1] for v in self._views(o, ch_lo, ch_lo + 1)))
        while ch_lo < ch_hi:
            first = max(ch_lo, ch_hi - max(1, max(4 * self.need, MIN_LOOK_AHEAD) // per_channel))
            views = self._views(o, first, ch_hi)
            unseen = sum(((v != self.now).sum(axis=(0, 1)) for v in views), np.zeros(ch_hi - first, dtype=np.int64))
            running = np.cumsum(unseen[::-1])
            if running[-1] < self.need:
                for view in views:
                    view[...] = self.now
                self.need -= int(running[-1])
                ch_hi = first
                continue
            i = int(np.searchsorted(running, self.need))  # channel ch_hi - 1 - i holds the filling request
            ch = ch_hi - 1 - i
            for view in views:
                view[:, :, ch - first + 1:] = self.now
            self.need -= int(running[i - 1]) if i else 0
            self._element(fr, o, ch)
            ch_hi = ch

    def _element(self, fr: int, o: int, ch: int) -> None:
        """The window fills inside element (o, ch): find the request, forget everything, and start the next window
        with the element's later pixels (distinct words, all new; the window may fill again among them)."""
        views = [v[:, :, 0] for v in self._views(o, ch, ch + 1)]
        seen = np.concatenate([(v == self.now).ravel() for v in views])  # the element's pixels, raster order
        cut = int(np.flatnonzero(~seen)[self.need - 1])
        rest = len(seen) - cut - 1
        self.resets += 1 + rest // self.window
        cut, rest = cut + rest // self.window * self.window, rest % self.window
        j, r_arr = o * self.layer.num_channels + ch, self.plan.num_rows
        self.last_line = self.plan.fold_start_line(self.fc, fr) + r_arr - 1 - (j - fr * r_arr)
        self.now += 1  # forget every word: none carries the new window's number yet
        if self.now == NO_STAMP:
            self.stamp[...], self.now = 0, 1
        later = np.arange(len(seen)) > cut
        for view, part in zip(views, np.split(later, np.cumsum([v.size for v in views])[:-1]), strict=True):
            view[part.reshape(view.shape)] = self.now
        self.need = self.window - rest

    def next_epoch(self, first_pixel: int) -> _Epoch:
        """The window after the fold: its words all come from the fold (the window filled in it)."""
        return _Epoch(self.layer, first_pixel, self.stamp == self.now, (self.y0, self.x0))


def _box_words(layer: ScaleSimLayer, plan: FoldPlan) -> int:
    """An upper bound on a column fold's input box: the ofmap rows its pixels span, whole input rows."""
    rows = min(layer.ifmap_height, ((plan.num_cols - 1) // layer.ofmap_width + 1) * layer.stride
               + layer.filter_height)
    return rows * layer.ifmap_width * layer.num_channels


def _filling_fold(epoch: _Epoch, first: int, last: int, window: int, cols: int) -> int | None:
    """The first column fold in first .. last at whose end the epoch holds ``window`` words (None: none does).
    The count grows about linearly with the pixels, so the guess interpolates, every other guess halving the
    bracket (a handful of region counts per window instead of a bisection over every fold)."""
    def count(fc: int) -> int:
        return epoch.distinct_before(min((fc + 1) * cols, epoch.layer.m))

    if first > last or count(last) < window:
        return None
    lo, hi, count_hi = first - 1, last, count(last)  # count(lo) < window <= count(hi); lo = first - 1: nothing
    count_lo = epoch.distinct_before(first * cols)
    halve = False
    while hi - lo > 1:
        guess = ((lo + hi) // 2 if halve
                 else lo + -(-(window - count_lo) * (hi - lo) // max(1, count_hi - count_lo)))
        guess = min(max(guess, lo + 1), hi - 1)
        value = count(guess)
        if value < window:
            lo, count_lo = guess, value
        else:
            hi, count_hi = guess, value
        halve = not halve
    return hi


def is_ifmap_misses(layer: ScaleSimLayer, plan: FoldPlan, window: int,
                    walk_s: float | None = None) -> tuple[int, list[int]] | None:
    """IS IFMAP: (misses, [demand line of the last window-completing miss] or []), as the explicit walk gives them.
    None for a pruned window (its words are not whole channel sets of window rectangles), or when following one
    column fold per window is estimated to cost more than ``walk_s``, the explicit walk's estimate (windows so
    small that nearly every fold is followed, boxes much wider than their folds)."""
    if layer.window_pruned:
        return None
    c_arr, num_col_folds, m = plan.num_cols, plan.num_col_folds, layer.m
    box = _box_words(layer, plan)
    folds_to_follow = min(num_col_folds, m * layer.k // window + 1)  # at most one per window, and every fold
    work = folds_to_follow * (box + c_arr * layer.k)
    if walk_s is not None and work / BOX_WORDS_PER_S > walk_s:
        return None
    check_resources(f"following the ifmap windows of layer {layer.name!r} through SCALE-Sim's tumbling-window "
                    "DRAM model, one column fold per window", work=work, work_unit="words of input boxes and folds",
                    work_per_s=BOX_WORDS_PER_S, memory_bytes=BYTES_PER_BOX_WORD * box)
    epoch = _Epoch(layer, 0)
    misses, last_line, followed = 0, None, -1  # followed: the fold the epoch's carried words come from
    while True:
        fc = _filling_fold(epoch, followed + 1, num_col_folds - 1, window, c_arr)
        if fc is None:
            return misses + epoch.distinct_before(m), ([] if last_line is None else [last_line])
        walk = _FoldWalk(layer, plan, fc, window)
        walk.start(epoch)
        walk.row_folds(0, plan.num_row_folds)
        assert walk.resets, "the window fills in the fold the region counts point to"
        misses, last_line, followed = misses + walk.resets * window, walk.last_line, fc
        epoch = walk.next_epoch(min((fc + 1) * c_arr, m))
