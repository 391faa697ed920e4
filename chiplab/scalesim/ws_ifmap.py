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

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.systolic.dataflow import Dataflow


def _sharing_pairs(layer: ScaleSimLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered pair (a, b) of window elements, a == b included, that can request one ifmap word, with the
    ofmap offset (dy, dx) such that pixel (oy + dy, ox + dx) of b reads what pixel (oy, ox) of a reads: same
    channel, window offsets a whole number of strides apart, offsets smaller than the ofmap's sides.
    About k * filter_height * filter_width pairs."""
    cr, cc, ch = operands.window_parts(layer, np.arange(layer.k, dtype=np.int64))
    s, e_h, e_w = layer.stride, layer.ofmap_height, layer.ofmap_width
    order = np.argsort(ch, kind="stable")
    bounds = np.flatnonzero(np.diff(ch[order])) + 1
    firsts, seconds = [], []
    for group in np.split(order, bounds):  # one group per channel: at most filter_height * filter_width elements
        a, b = np.meshgrid(group, group, indexing="ij")
        firsts.append(a.ravel())
        seconds.append(b.ravel())
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


def _cells_before(d: np.ndarray | int, rows: int, m: int) -> np.ndarray:
    """Positions (c, p), 0 <= c < rows, 0 <= p < m, on diagonals c + p < d (0 <= d <= rows + m - 1): a triangle
    while diagonals grow, then min(rows, m) a diagonal, then the whole block less a triangle."""
    d = np.asarray(d, dtype=np.int64)
    short, long = min(rows, m), max(rows, m)
    before = short * (short + 1) // 2 + (d - short) * short  # the straight part, fixed up at both ends
    rising, falling = d < short, d > long
    if rising.any():
        before = np.where(rising, d * (d + 1) // 2, before)
    if falling.any():
        left = rows + m - 1 - d
        before = np.where(falling, rows * m - left * (left + 1) // 2, before)
    return before


def _position(c: np.ndarray, p: np.ndarray, rows: int, m: int) -> np.ndarray:
    d = c + p
    return _cells_before(d, rows, m) + c - np.maximum(0, d - m + 1)


CELLS_PER_CHUNK = 1 << 19  # ports x diagonals worked out at once (a few int64 arrays of this size)


class _Fold:
    """One row fold's positions as head + period (repeated) + tail, with each position's in-fold sharing: prefix
    counts of first requests (no earlier request of the word in the fold) and of word pairs opened minus closed
    (so X(a), the pairs open across position a, is one prefix count), and each position's distance back to the
    previous request of its word (0: none in the fold)."""

    def __init__(self, layer: ScaleSimLayer, plan: FoldPlan, fold: int,
                 pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
        r_arr = plan.num_rows
        self.rows, self.m, self.e_w, self.e_h = plan.rows_used(fold), layer.m, layer.ofmap_width, layer.ofmap_height
        self.layer, self.first_element = layer, fold * r_arr
        a, b, dy, dx = pairs
        inside = (a // r_arr == fold) & (b // r_arr == fold) & (a != b)
        order = np.argsort(a[inside], kind="stable")
        self.port_a, self.port_b = a[inside][order] - fold * r_arr, b[inside][order] - fold * r_arr
        self.dy, self.dx = dy[inside][order], dx[inside][order]
        # Pairs by (port shift, dy, dx): every port of a class finds its partner the same number of diagonals on.
        keys = np.stack([self.port_b - self.port_a, self.dy, self.dx], axis=1)
        shapes, which = np.unique(keys, axis=0, return_inverse=True)
        self.classes = [(int(shift), int(dy_), int(dx_), _as_slice(self.port_a[which.ravel() == i]))
                        for i, (shift, dy_, dx_) in enumerate(shapes.tolist())]
        self.filter_row, self.filter_col, _ = operands.window_parts(
            layer, self.first_element + np.arange(self.rows, dtype=np.int64))
        self.num_diagonals = self.rows + self.m - 1
        self.length = int(_cells_before(self.num_diagonals, self.rows, self.m))
        # The periodic interior: diagonals whose cells and partners all lie on full diagonals, in ofmap rows where
        # every partner exists and no window hangs off the input (so only the column decides; see the module doc).
        step = self.port_b - self.port_a + self.dy * self.e_w + self.dx  # diagonal of b minus diagonal of a
        y_min = max(0, int(-self.dy.min(initial=0)))
        y_max = min(self.e_h - 2, self.e_h - 1 - max(0, int(self.dy.max(initial=0))))
        lo = max(self.rows - 1 + max(0, int(-step.min(initial=0))), y_min * self.e_w + self.rows - 1)
        hi = min(self.m - 1 - max(0, int(step.max(initial=0))), (y_max + 1) * self.e_w - 1) + 1
        self.periods = max(0, (hi - lo) // self.e_w) if y_max >= y_min else 0
        if self.periods < 2:
            self.periods, lo = 0, self.num_diagonals
        self.head_end = int(_cells_before(lo, self.rows, self.m))
        self.period = self.rows * self.e_w if self.periods else 0
        self.tail_start = self.head_end + self.periods * self.period
        tail_diag = lo + self.periods * self.e_w
        self.parts = [self._flags(0, lo), self._flags(lo, lo + self.e_w if self.periods else lo),
                      self._flags(tail_diag, self.num_diagonals)]  # each: (first, distance back)
        self.firsts = [_prefix(first) for first, _, _ in self.parts]
        self.balance = [_prefix(balance) for _, balance, _ in self.parts]
        self.max_distance = max(int(distance.max(initial=0)) for _, _, distance in self.parts)

    def _flags(self, first_diag: int, end_diag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the positions on diagonals [first_diag, end_diag), in request order: first request of its word in
        the fold?, word pairs opened minus closed there, distance back to the previous request of its word (0:
        none). Worked out on a ports x diagonals grid, one class of pairs at a time."""
        layer, rows, m, e_w, e_h = self.layer, self.rows, self.m, self.e_w, self.e_h
        ports = np.arange(rows, dtype=np.int64)[:, None]
        firsts, balances = [np.zeros(0, dtype=bool)], [np.zeros(0, dtype=np.int8)]
        distances = [np.zeros(0, dtype=np.int64)]
        step = max(1, CELLS_PER_CHUNK // rows)
        for d0 in range(first_diag, end_diag, step):
            d = np.arange(d0, min(end_diag, d0 + step), dtype=np.int64)
            pixel = d[None, :] - ports
            inside = (pixel >= 0) & (pixel < m)
            oy, ox = np.divmod(np.clip(pixel, 0, m - 1), e_w)
            valid = inside & (oy * layer.stride + self.filter_row[:, None] < layer.ifmap_height) & (
                ox * layer.stride + self.filter_col[:, None] < layer.ifmap_width)
            own = _cells_before(d, rows, m)[None, :] + ports - np.maximum(0, d - m + 1)[None, :]
            prev = np.full(own.shape, -1, dtype=np.int64)
            later = np.zeros(own.shape, dtype=bool)
            for shift, dy, dx, group in self.classes:
                oy_b, ox_b = oy[group] + dy, ox[group] + dx
                exists = valid[group] & (oy_b >= 0) & (oy_b < e_h) & (ox_b >= 0) & (ox_b < e_w)
                d_b = np.clip(d + shift + dy * e_w + dx, 0, rows + m - 1)  # the partner's diagonal
                where = (_cells_before(d_b, rows, m)[None, :] + ports[group] + shift
                         - np.maximum(0, d_b - m + 1)[None, :])
                own_group = own[group]
                prev[group] = np.maximum(prev[group], np.where(exists & (where < own_group), where, -1))
                later[group] |= exists & (where > own_group)
            keep = inside.T.ravel()  # request order: diagonal by diagonal, ports in order
            prev_t, own_t = prev.T.ravel()[keep], own.T.ravel()[keep]
            firsts.append((valid & (prev < 0)).T.ravel()[keep])
            balances.append((later.T.ravel()[keep].astype(np.int8) - (prev_t >= 0)).astype(np.int8))
            distances.append(np.where(prev_t >= 0, own_t - prev_t, 0))
        return np.concatenate(firsts), np.concatenate(balances), np.concatenate(distances)

    def _part(self, x: int) -> tuple[int, int, int]:
        """Position x -> (part, whole periods before it, offset in the part)."""
        if x < self.head_end or (not self.periods and x < self.tail_start):
            return 0, 0, x
        if x < self.tail_start:
            q, r = divmod(x - self.head_end, self.period)
            return 1, q, r
        return 2, 0, x - self.tail_start

    def _count(self, sums: list[np.ndarray], x: int) -> int:
        """Prefix count over positions [0, x) of head, periods, tail."""
        if x <= self.head_end:
            return int(sums[0][x])
        total = int(sums[0][-1])
        if x <= self.tail_start:
            q, r = divmod(x - self.head_end, self.period)
            return total + q * int(sums[1][-1]) + int(sums[1][r])
        return total + self.periods * int(sums[1][-1]) + int(sums[2][x - self.tail_start])

    def firsts_before(self, x: int) -> int:
        return self._count(self.firsts, x)

    def open_pairs(self, x: int) -> int:
        """Word pairs (a request and the next request of its word) with the first before x and the second not."""
        return self._count(self.balance, x)

    def nth_first(self, n: int) -> int | None:
        """Position of the n-th (1-based) first request of the fold, None if it has fewer."""
        head, period, tail = (int(s[-1]) for s in self.firsts)
        if n <= head:
            return int(np.searchsorted(self.firsts[0], n)) - 1
        n -= head
        if self.periods and period and n <= self.periods * period:
            q = (n - 1) // period
            return self.head_end + q * self.period + int(np.searchsorted(self.firsts[1], n - q * period)) - 1
        n -= self.periods * period
        if n <= tail:
            return self.tail_start + int(np.searchsorted(self.firsts[2], n)) - 1
        return None

    def misses_from(self, a: int, end: int) -> np.ndarray:
        """For positions [a, end), after a window reset at a: does the request miss (no request of its word in the
        fold since a)? Read from the parts (end - a is at most the longest in-fold distance)."""
        first, distance = [], []
        x = a
        while x < end:
            part, _, offset = self._part(x)
            size = min(end - x, len(self.parts[part][0]) - offset)
            first.append(self.parts[part][0][offset:offset + size])
            distance.append(self.parts[part][2][offset:offset + size])
            x += size
        since = np.arange(end - a, dtype=np.int64)
        return np.concatenate(first) | (np.concatenate(distance) > since)

    def line(self, x: int) -> int:
        """Local demand line (diagonal + R, added by the caller) of position x: the diagonal holding it."""
        lo, hi = 0, self.num_diagonals - 1
        while lo < hi:  # last diagonal d with cells_before(d) <= x
            mid = (lo + hi + 1) // 2
            if int(_cells_before(mid, self.rows, self.m)) <= x:
                lo = mid
            else:
                hi = mid - 1
        return lo


def _as_slice(ports: np.ndarray) -> slice | np.ndarray:
    """Ascending ports as a slice when they are consecutive (a view, not a copy, of the grid rows)."""
    if len(ports) and int(ports[-1]) - int(ports[0]) == len(ports) - 1:
        return slice(int(ports[0]), int(ports[-1]) + 1)
    return ports


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(values, dtype=np.int64)])


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
    cache: dict[int, _Fold] = {}  # the sweep comes round once per column fold: keep its folds if it does
    in_window, misses = 0, 0  # misses since the last reset, misses before it
    start = (0, 0)  # (fold in stream order, position in it) where the current window began
    last: tuple[_Fold, int, int] | None = None  # (fold, fold in stream order, position) of the last reset

    def base(t: int) -> int:  # the first position of the t-th fold of the stream
        return (t // num_folds * layer.k + t % num_folds * r_arr) * m

    def exact(t: int, y: int) -> bool:  # no word shared between folds comes back in [start, (t, y)]
        return (t == start[0] or base(t) + y - base(start[0]) - start[1] < far
                or not _shared_across(layer, plan, pairs, start, (t, y)))

    for t in range(units * num_folds):
        fold_index = t % num_folds
        fold = cache.get(fold_index) or _Fold(layer, plan, fold_index, pairs)
        if units > 1:
            cache[fold_index] = fold
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
    """For each port c: the smallest pixel p with position(c, p) >= position (m if none)."""
    lo, hi = np.zeros(len(ports), dtype=np.int64), np.full(len(ports), m, dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        at_or_after = _position(ports, np.minimum(mid, m - 1), rows, m) >= position
        hi, lo = np.where(at_or_after & (lo < hi), mid, hi), np.where(~at_or_after & (lo < hi), mid + 1, lo)
    return lo


def _next_reset(fold: _Fold, a: int, window: int) -> tuple[int | None, int]:
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
