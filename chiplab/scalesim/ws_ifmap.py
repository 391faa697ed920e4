"""The weight-stationary IFMAP request stream of a convolution, described by which requests share a word.

Row fold f of a sweep puts window elements j = f * R + c on its ports c (R = array rows) and requests, along
diagonals d = c + p, pixel p of every port (each diagonal's ports in order; SCALE-Sim's skewed demand matrix).
Counting holes (-1 requests) as positions too, the request (c, p) of a fold with ``rows`` ports sits at
``cells_before(c + p) + rank`` inside the fold, and the sweep over the row folds comes round once per column fold.

Two window elements share an ifmap word when they read the same channel at window offsets a whole number of
strides apart; then pixel p of one and pixel p + dy * E_w + dx of the other (E_w ofmap columns) read one word.
From this geometry alone this module answers, without building the stream:

* :func:`ws_ifmap_reuse_bound`: a lower bound on how far apart (in requests) two requests of one word are;
* :func:`ws_ifmap_misses`: SCALE-Sim's tumbling-window misses (chiplab.scalesim.tumbling), fold by fold. Words
  shared *inside* a fold come back a few diagonals later; words shared *between* folds (or column folds) come back
  at least a fold later. When no window's worth of requests spans that far, only the in-fold sharing matters, and
  inside a fold the stream is periodic: one ofmap row (E_w diagonals) later every request reads the word one stride
  of input rows further on. The fold is then a head, one period repeated, and a tail, and the walk from window to
  window is arithmetic on their prefix counts.
"""

from __future__ import annotations

import functools

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.diagonals import cell_position
from chiplab.scalesim.fold_sharing import (
    BYTES_PER_CELL,
    BYTES_PER_GRID_CELL,
    CELLS_PER_CHUNK,
    CELLS_PER_S,
    KEEP_BYTES,
    Fold,
)
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.systolic.dataflow import Dataflow


@functools.lru_cache(maxsize=4)  # asked for by the reuse bound and the fold walk of one layer in turn
def _sharing_pairs(layer: ScaleSimLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered pair (a, b) of window elements, a == b included, that can request one ifmap word, with the
    ofmap offset (dy, dx) such that pixel (oy + dy, ox + dx) of b reads what pixel (oy, ox) of a reads: same
    channel, window offsets a whole number of strides apart, offsets smaller than the ofmap's sides.
    About k * filter_height * filter_width pairs."""
    cr, cc, ch = operands.window_parts(layer, np.arange(layer.k, dtype=np.int64))
    s, e_h, e_w = layer.stride, layer.ofmap_height, layer.ofmap_width
    order = np.argsort(ch, kind="stable")
    sizes = np.bincount(ch)
    sizes = sizes[sizes > 0]
    if len(set(sizes.tolist())) == 1:  # every channel has as many elements (a dense window): all groups at once
        groups = order.reshape(len(sizes), -1)
        size = groups.shape[1]
        a, b = np.repeat(groups, size, axis=1).ravel(), np.tile(groups, (1, size)).ravel()
    else:  # one group per channel: at most filter_height * filter_width elements
        firsts, seconds = [], []
        for group in np.split(order, np.cumsum(sizes)[:-1]):
            firsts.append(np.repeat(group, len(group)))
            seconds.append(np.tile(group, len(group)))
        a, b = np.concatenate(firsts), np.concatenate(seconds)
    dy, dx = cr[a] - cr[b], cc[a] - cc[b]  # (oy_b - oy_a) * s = cr_a - cr_b, likewise for x
    keep = (dy % s == 0) & (dx % s == 0) & (np.abs(dy // s) < e_h) & (np.abs(dx // s) < e_w)
    return a[keep], b[keep], dy[keep] // s, dx[keep] // s


def ws_ifmap_reuse_bound(layer: ScaleSimLayer, plan: FoldPlan, *, across_folds_only: bool = False) -> int:
    """A lower bound on every reuse distance of the WS ifmap request stream, holes counted as positions (0 if it
    cannot bound it); with ``across_folds_only``, of the words shared between different row or column folds.

    Window elements a (fold f_a, port c_a) and b (fold f_b, port c_b) share a word when pixel(b) = pixel(a) + delta
    (:func:`_sharing_pairs`); with x = c_a + p + 1 and y = c_b + p + delta, position(b) - position(a) >= start(f_b)
    - start(f_a) + F_b(y) - F_a(x) + 1, where F_f(d) counts fold f's positions on diagonals before d (1 to rows_f
    per diagonal), and F_b(y) - F_a(x) >= min(y - x, rows_b (y - x)) - max(0, rows_a - rows_b) * m for every p.
    The sweep comes round ``unit`` positions later. Two elements of one fold (a few diagonals apart) are not
    bounded: 0 unless ``across_folds_only``.
    """
    assert plan.dataflow is Dataflow.WS
    r_arr, m = plan.num_rows, layer.m
    unit = layer.k * m  # positions of one sweep over the row folds
    a, b, dy, dx = _sharing_pairs(layer)
    delta = dy * layer.ofmap_width + dx
    fold_a, fold_b = a // r_arr, b // r_arr
    last = plan.num_row_folds - 1
    rows_a = np.where(fold_a == last, plan.rows_used(last), r_arr)
    rows_b = np.where(fold_b == last, plan.rows_used(last), r_arr)
    gap = b % r_arr + delta - a % r_arr - 1  # y - x
    diagonals = np.where(gap >= 0, gap, rows_b * gap) - np.maximum(0, rows_a - rows_b) * m
    apart = (fold_b - fold_a) * r_arr * m + diagonals + 1  # position(b) - position(a), same sweep, at least
    if not across_folds_only and np.any((fold_a == fold_b) & (a != b)):
        return 0
    bounds = [apart[fold_b > fold_a]]
    if plan.num_col_folds > 1:  # b in the next sweep
        bounds.append(unit + apart)
    # no pair at all: no word is requested twice; the stream's length bounds every distance it could have
    smallest = min((int(x.min()) for x in bounds if len(x)), default=unit * plan.num_col_folds)
    return max(smallest, 0)


def ws_ifmap_misses(layer: ScaleSimLayer, plan: FoldPlan, window: int) -> tuple[int, list[int]] | None:
    """The tumbling window over the WS ifmap stream fold by fold: (misses, [line of the last window-completing
    miss] or []), or None when some window's span reaches words shared between folds (then only the explicit walk
    is exact).

    After a reset at a, request i misses iff no request of its word lies in [a, i). Words shared between folds lie
    at least ``far`` positions apart (:func:`ws_ifmap_reuse_bound`); while every window spans fewer positions,
    those requests always miss, so inside fold f a request misses iff it is the fold's first of its word or its
    previous in-fold request lies before a. Misses in [a, y] are then firsts(a, y) + open_pairs(a) once y lies
    the longest in-fold distance past a; nearer, they are read position by position.
    """
    pairs = _sharing_pairs(layer)
    far = ws_ifmap_reuse_bound(layer, plan, across_folds_only=True)
    r_arr, m, num_folds = plan.num_rows, layer.m, plan.num_row_folds
    units = plan.num_col_folds
    folds = [Fold(layer, plan, fold_index, pairs) for fold_index in range(num_folds)]
    kept_bytes = sum(BYTES_PER_CELL * fold.num_cells for fold in folds)
    keep = units > 1 and kept_bytes <= KEEP_BYTES  # the sweep comes round once per column fold: keep its folds
    check_resources(f"the IFMAP tumbling window of layer {layer.name!r} fold by fold (SCALE-Sim CALC mode)",
                    work=sum((1 + fold.num_classes) * fold.num_cells for fold in folds) * (1 if keep else units),
                    work_unit="cells", work_per_s=CELLS_PER_S,
                    memory_bytes=(kept_bytes if keep else max(BYTES_PER_CELL * fold.num_cells for fold in folds))
                    + BYTES_PER_GRID_CELL * CELLS_PER_CHUNK)
    in_window, misses = 0, 0  # misses since the last reset, misses before it
    start = (0, 0)  # (fold in stream order, position in it) where the current window began
    last: tuple[Fold, int, int] | None = None  # (fold, fold in stream order, position) of the last reset

    def base(t: int) -> int:  # the first position of the t-th fold of the stream
        return (t // num_folds * layer.k + t % num_folds * r_arr) * m

    def exact(t: int, y: int) -> bool:  # no word shared between folds comes back in [start, (t, y)]
        return (t == start[0] or base(t) + y - base(start[0]) - start[1] < far
                or not _shared_across(layer, plan, pairs, start, (t, y)))

    for t in range(units * num_folds):
        if t and not keep and num_folds > 1:
            folds[(t - 1) % num_folds].release()  # one fold built at a time
        fold = folds[t % num_folds].build()
        # The window began before this fold: the fold's pairs cannot hit yet, only its first requests miss.
        reset = fold.nth_first(window - in_window)
        if reset is None:
            in_window += fold.firsts_before(fold.length)
            continue
        while reset is not None:
            if not exact(t, reset):
                return None
            misses, in_window, last = misses + window, 0, (fold, t, reset)
            start = (t, reset + 1)
            reset, in_window = _next_reset(fold, reset + 1, window)
    if not exact(units * num_folds - 1, m * plan.rows_used(num_folds - 1) - 1):
        return None
    if last is None:
        return misses + in_window, []
    fold, t, position = last
    return misses + in_window, [plan.fold_start_line(t // num_folds, t % num_folds) + r_arr + fold.line(position)]


MAX_FOLDS_SPANNED = 16  # a window spanning more folds is left to the explicit walk


def _shared_across(layer: ScaleSimLayer, plan: FoldPlan, pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                   first: tuple[int, int], last: tuple[int, int]) -> bool:
    """Can two requests of one word, in different folds, both lie between position first[1] of the first[0]-th
    fold and position last[1] of the last[0]-th (folds in stream order)? For each sharing pair: the pixels p of
    element a inside the span, shifted by the pair's offset, meet the pixels of b inside the span (a pixel range
    per port, as positions grow with p)."""
    num_folds, r_arr, m = plan.num_row_folds, plan.num_rows, layer.m
    if last[0] - first[0] >= MAX_FOLDS_SPANNED:
        return True
    a, b, dy, dx = pairs
    delta = dy * layer.ofmap_width + dx

    def pixels(t: int, ports: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # [lo, hi] of p inside the span
        rows = plan.rows_used(t % num_folds)
        lo_pos = first[1] if t == first[0] else 0
        hi_pos = last[1] if t == last[0] else rows * m - 1
        return _first_pixel_at(ports, lo_pos, rows, m), _first_pixel_at(ports, hi_pos + 1, rows, m) - 1

    for t in range(first[0], last[0] + 1):
        for u in range(t + 1, last[0] + 1):
            chosen = (a // r_arr == t % num_folds) & (b // r_arr == u % num_folds)
            if not chosen.any():
                continue
            lo_a, hi_a = pixels(t, a[chosen] % r_arr)
            lo_b, hi_b = pixels(u, b[chosen] % r_arr)
            lo = np.maximum(lo_a, lo_b - delta[chosen])
            hi = np.minimum(hi_a, hi_b - delta[chosen])
            if np.any(lo <= hi):
                return True
    return False


def _first_pixel_at(ports: np.ndarray, position: int, rows: int, m: int) -> np.ndarray:
    """For each port c: the smallest pixel p with cell_position(c, p) >= position (m if none)."""
    lo, hi = np.zeros(len(ports), dtype=np.int64), np.full(len(ports), m, dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        at_or_after = cell_position(ports, np.minimum(mid, m - 1), rows, m) >= position
        hi, lo = np.where(at_or_after & (lo < hi), mid, hi), np.where(~at_or_after & (lo < hi), mid + 1, lo)
    return lo


def _next_reset(fold: Fold, a: int, window: int) -> tuple[int | None, int]:
    """After a reset at a - 1 inside ``fold``: (position of the next window-completing miss in the fold, 0), or
    (None, misses from a to the fold's end)."""
    firsts, open_now = fold.firsts_before(a), fold.open_pairs(a)
    if window > open_now:
        reset = fold.nth_first(firsts + window - open_now)
        if reset is None:  # exact: every pair open at a closes inside the fold
            return None, fold.firsts_before(fold.length) - firsts + open_now
        if reset >= a + fold.max_distance - 1:  # past every pair open at a: the count is exact
            return reset, 0
    # The window fills within the longest in-fold distance of a: read those positions one by one.
    end = min(a + fold.max_distance, fold.length)
    filled = np.cumsum(fold.misses_from(a, end))
    if len(filled) and filled[-1] >= window:
        return a + int(np.searchsorted(filled, window)), 0
    assert end == fold.length, "past the longest in-fold distance the count above is exact"
    return None, int(filled[-1]) if len(filled) else 0
