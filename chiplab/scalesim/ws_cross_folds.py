"""The WS IFMAP tumbling window fold by fold, words shared *between* folds included (for chiplab.scalesim.tumbling).

chiplab.scalesim.ws_ifmap counts the misses fold by fold while no window spans two requests of a word shared
between folds; when folds are shorter than a window (alexnet_full's Conv2 at 64x64: folds of 2.6M requests, a
window of 3.1M words) it declines. This module drops that condition. After a window reset at position A, request
x misses iff the previous request of its word lies before A, i.e. iff ``back(x) > x - A`` where ``back(x)`` is the
distance to that previous request anywhere earlier in the stream (this fold, an earlier row fold of the sweep, or
the previous sweep, one column fold back; infinite for a word's very first request, 0 for a hole).

For each fold, ``back`` is worked out on a ports x diagonals grid from the sharing pairs
(chiplab.scalesim.ws_ifmap._sharing_pairs): pair (a, b) with a in this fold puts b's request of the same word at
a fixed diagonal offset, in b's fold. Where every partner fold has as many ports as this one, the distance of a
pair depends only on the diagonal's place in its ofmap row, so away from the fold's ends ``back`` repeats every
ofmap row (E_w diagonals, ``rows * E_w`` positions): the fold is a head, one period repeated, and a tail (else one
explicit part). In the periodic part the requests at residue r miss for the first ``ceil((back_r - x_r + A) / P)``
periods, so a window's misses are counted per residue in O(P), and the walk from window to window is arithmetic.
"""

from __future__ import annotations

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.diagonals import cells_before_diagonals, diagonal_of
from chiplab.scalesim.fold_sharing import CELLS_PER_CHUNK, CELLS_PER_S
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.ws_ifmap import _sharing_pairs
from chiplab.systolic.dataflow import Dataflow

NEVER = np.int64(1) << 60  # back distance of a word's first request: it always misses
BYTES_PER_POSITION = 24  # a built fold keeps back distances and a prefix count of first requests per position
KEEP_BYTES = 256 << 20  # built folds are kept for the next column fold while they fit in this much memory


class _Part:
    """Positions start + r + j * size (0 <= r < size, 0 <= j < reps) of one fold, with their back distances."""

    def __init__(self, start: int, back: np.ndarray, reps: int) -> None:
        self.start, self.back, self.reps, self.size = start, back, reps, len(back)
        self.end = start + reps * self.size
        self.residues = np.arange(self.size, dtype=np.int64)

    def _in_rep(self, g: int, j: int, r0: int) -> np.ndarray:
        """Misses at residues r0.. of repetition j, window offset g (= fold base - reset position)."""
        x = self.start + j * self.size + self.residues[r0:]
        missed: np.ndarray = self.back[r0:] > g + x
        return missed

    def nth_miss(self, g: int, x0: int, n: int) -> tuple[int | None, int]:
        """(position of the n-th miss at or after x0, 0) or (None, misses from x0 to the part's end)."""
        if x0 >= self.end:
            return None, 0
        x0 = max(x0, self.start)
        j, r0 = divmod(x0 - self.start, self.size)
        counted = 0
        if r0:  # the partial first repetition
            found = np.cumsum(self._in_rep(g, j, r0))
            if len(found) and found[-1] >= n:
                return x0 + int(np.searchsorted(found, n)), 0
            counted, j = int(found[-1]) if len(found) else 0, j + 1
        if j >= self.reps:
            return None, counted
        # Residue r misses in repetitions j' < limit_r (back_r > g + start + r + j' * size).
        limit = -((g + self.start + self.residues - self.back) // self.size)
        limit = np.clip(limit, j, self.reps)

        def through(k: int) -> int:  # misses in repetitions j .. k - 1
            return int(np.minimum(limit, k).sum()) - j * self.size

        total = through(self.reps)
        if counted + total < n:
            return None, counted + total
        lo, hi = j + 1, self.reps  # the smallest k with through(k) >= n - counted
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if through(mid) >= n - counted else (mid + 1, hi)
        rest = n - counted - through(lo - 1)
        found = np.cumsum(self._in_rep(g, lo - 1, 0))
        return self.start + (lo - 1) * self.size + int(np.searchsorted(found, rest)), 0


class CrossFold:
    """Row fold ``fold`` of a sweep (``later_sweep``: one that has a sweep before it) as parts with back distances."""

    def __init__(self, layer: ScaleSimLayer, plan: FoldPlan, fold: int, later_sweep: bool,
                 pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], far: int) -> None:
        r_arr, m, e_w, e_h = plan.num_rows, layer.m, layer.ofmap_width, layer.ofmap_height
        self.layer, self.rows, self.m = layer, plan.rows_used(fold), m
        a, b, dy, dx = pairs
        fold_b = b // r_arr
        own = a // r_arr == fold
        # Earlier requests of a's word: b in an earlier fold or the same fold (a != b) of this sweep, or b anywhere
        # in the previous sweep (one sweep = k * m positions earlier).
        same = own & (fold_b <= fold) & ((fold_b < fold) | (a != b))
        chosen = [(same, 0)] + ([(own, 1)] if later_sweep else [])
        keys = np.concatenate([np.stack([fold_b[s], np.full(int(s.sum()), back), b[s] % r_arr - a[s] % r_arr,
                                         dy[s], dx[s], a[s] % r_arr], axis=1) for s, back in chosen])
        keys = keys[np.lexsort(keys.T[::-1])]
        self.classes: list[tuple[int, int, int, int, int, np.ndarray]] = []
        self.num_diagonals = self.rows + m - 1
        self.length = int(cells_before_diagonals(self.num_diagonals, self.rows, m))
        # Classes whose partners all lie ``far`` or more positions back are left out (as if their words were new):
        # exact while no window spans that far, which the walk checks (``ignored_from``) and widens ``far`` if not.
        self.far, self.ignored_from = far, int(NEVER)
        if len(keys):
            cuts = np.flatnonzero(np.any(np.diff(keys[:, :5], axis=0) != 0, axis=1)) + 1
            for group in np.split(keys, cuts):
                u, back, shift, dy_, dx_ = (int(v) for v in group[0, :5])
                offset = (u - fold) * r_arr * m - back * layer.k * m  # partner fold's base minus this fold's
                rows_u = plan.rows_used(u)
                nearest = -offset - int(cells_before_diagonals(rows_u + m - 1, rows_u, m)) + 1  # partner fold's end
                if nearest < far and rows_u != self.rows:  # worth the exact nearest distance (one per diagonal)
                    nearest = self._nearest(rows_u, offset, shift, shift + dy_ * e_w + dx_)
                if nearest >= far:
                    self.ignored_from = min(self.ignored_from, nearest)
                    continue
                self.classes.append((rows_u, offset, shift, dy_, dx_, group[:, 5].copy()))
        self.holes = operands.ifmap_has_holes(layer)
        self.filter_row, self.filter_col, _ = operands.window_parts(
            layer, fold * r_arr + np.arange(self.rows, dtype=np.int64))
        # The periodic interior (as in fold_sharing.Fold): partners on full diagonals, every partner's ofmap row
        # inside the ofmap, no window off the input; and every partner fold as tall as this one.
        steps = np.array([shift + dy_ * e_w + dx_ for _, _, shift, dy_, dx_, _ in self.classes], dtype=np.int64)
        dys = np.array([c[3] for c in self.classes], dtype=np.int64)
        y_min = max(0, int(-dys.min(initial=0)))
        y_max = min(e_h - 2, e_h - 1 - max(0, int(dys.max(initial=0))))
        lo = max(self.rows - 1 + max(0, int(-steps.min(initial=0))), y_min * e_w + self.rows - 1)
        hi = min(m - 1 - max(0, int(steps.max(initial=0))), (y_max + 1) * e_w - 1) + 1
        periods = max(0, (hi - lo) // e_w) if y_max >= y_min else 0
        if periods < 2 or any(rows_u != self.rows for rows_u, *_ in self.classes):
            periods, lo = 0, self.num_diagonals
        self.periods, self.lo, self.e_w = periods, lo, e_w
        self.num_cells = int(cells_before_diagonals(lo, self.rows, m)) + (self.rows * e_w if periods else 0) + (
            self.length - int(cells_before_diagonals(lo + periods * e_w, self.rows, m)))
        self.work = self.num_cells * (1 + sum(len(c[5]) for c in self.classes) / max(1, self.rows))
        self.parts: list[_Part] = []

    def _nearest(self, rows_u: int, offset: int, shift: int, step: int) -> int:
        """A lower bound on the distance back to a partner of this class (partner earlier): every diagonal
        tried, whether or not the partner exists there."""
        d = np.arange(self.num_diagonals, dtype=np.int64)
        d_b = np.clip(d + step, 0, rows_u + self.m - 1)
        apart = (offset + cells_before_diagonals(d_b, rows_u, self.m) - np.maximum(0, d_b - self.m + 1) + shift
                 - cells_before_diagonals(d, self.rows, self.m) + np.maximum(0, d - self.m + 1))
        earlier = apart[apart < 0]
        return int(-earlier.max()) if len(earlier) else int(NEVER)

    def build(self) -> CrossFold:
        """Work out the back distances of the head, the period and the tail (kept until release)."""
        if not self.parts:
            lo, e_w, periods = self.lo, self.e_w, self.periods
            spans = [(0, lo, 1), (lo, lo + e_w, periods), (lo + periods * e_w, self.num_diagonals, 1)]
            for first, end, reps in spans:
                if end > first and reps:
                    start = int(cells_before_diagonals(first, self.rows, self.m))
                    self.parts.append(_Part(start, self._back(first, end), reps))
        return self

    def release(self) -> None:
        self.parts = []

    def nth_miss(self, g: int, x0: int, n: int) -> tuple[int | None, int]:
        """After a reset ``g`` positions before this fold's start (g < 0: inside it, before x0): (position of the
        n-th miss at or after x0, 0), or (None, misses from x0 to the fold's end)."""
        counted = 0
        for part in self.parts:
            found, more = part.nth_miss(g, x0, n - counted)
            if found is not None:
                return found, 0
            counted += more
        return None, counted

    def _back(self, first_diag: int, end_diag: int) -> np.ndarray:
        """Back distances of the positions on diagonals [first_diag, end_diag), in request order."""
        layer, rows, m, e_w, e_h = self.layer, self.rows, self.m, self.e_w, self.layer.ofmap_height
        ports = np.arange(rows, dtype=np.int64)[:, None]
        out = [np.zeros(0, dtype=np.int64)]
        step = max(1, CELLS_PER_CHUNK // rows)
        for d0 in range(first_diag, end_diag, step):
            d = np.arange(d0, min(end_diag, d0 + step), dtype=np.int64)
            pixel = d[None, :] - ports
            inside = (pixel >= 0) & (pixel < m)
            oy, ox = np.divmod(np.clip(pixel, 0, m - 1), e_w)
            valid = inside
            if self.holes:
                valid = valid & (oy * layer.stride + self.filter_row[:, None] < layer.ifmap_height) & (
                    ox * layer.stride + self.filter_col[:, None] < layer.ifmap_width)
            start = cells_before_diagonals(d, rows, m) - np.maximum(0, d - m + 1)  # position of (port c, d) less c
            back = np.full(pixel.shape, NEVER, dtype=np.int64)
            for rows_u, offset, shift, dy, dx, group in self.classes:
                d_b = np.clip(d + shift + dy * e_w + dx, 0, rows_u + m - 1)  # the partner's diagonal in its fold
                apart = offset + cells_before_diagonals(d_b, rows_u, m) - np.maximum(0, d_b - m + 1) + shift - start
                exists = valid[group] & (apart < 0)
                if dy:
                    exists &= (oy[group] >= -dy) & (oy[group] < e_h - dy)
                if dx:
                    exists &= (ox[group] >= -dx) & (ox[group] < e_w - dx)
                back[group] = np.where(exists, np.minimum(back[group], -apart), back[group])
            back = np.where(valid, back, 0)  # a hole is no request: it never misses
            out.append(back.T.ravel()[inside.T.ravel()])
        return np.concatenate(out)


def ws_ifmap_misses_across(layer: ScaleSimLayer, plan: FoldPlan, window: int, *,
                           far: int | None = None) -> tuple[int, list[int]]:
    """SCALE-Sim's tumbling-window misses of the WS ifmap stream: (misses, [line of the last window-completing
    miss] or []), fold by fold with every word shared between folds accounted for (exact). Partners ``far``
    (default: two windows) or more positions back are first left out, and brought in where a window reaches them
    (a smaller ``far`` only costs rebuilds; tests use it to exercise them)."""
    assert plan.dataflow is Dataflow.WS
    pairs = _sharing_pairs(layer)
    r_arr, m, num_folds, units = plan.num_rows, layer.m, plan.num_row_folds, plan.num_col_folds
    kinds = [False, True] if units > 1 else [False]
    far = 2 * window if far is None else far
    folds = {(f, later): CrossFold(layer, plan, f, later, pairs, far) for f in range(num_folds) for later in kinds}
    kept_bytes = sum(BYTES_PER_POSITION * fold.num_cells for fold in folds.values())
    keep = kept_bytes <= KEEP_BYTES
    work = sum(folds[f, False].work for f in range(num_folds))
    work += sum(folds[f, True].work for f in range(num_folds)) * (1 if keep else units - 1) if units > 1 else 0
    check_resources(f"the IFMAP tumbling window of layer {layer.name!r} fold by fold across folds (SCALE-Sim CALC "
                    "mode)", work=int(work), work_unit="cells", work_per_s=CELLS_PER_S,
                    memory_bytes=(kept_bytes if keep else 2 * max(BYTES_PER_POSITION * f.num_cells
                                                                  for f in folds.values()))
                    + 96 * CELLS_PER_CHUNK)
    reset_at = 0  # global position where the current window began
    in_window, misses = 0, 0
    last: tuple[CrossFold, int, int] | None = None
    previous: CrossFold | None = None
    for t in range(units * num_folds):
        key = (t % num_folds, t >= num_folds)
        fold = folds[key].build()
        if previous is not None and previous is not fold and not keep:
            previous.release()
        previous = fold
        base = (t // num_folds * layer.k + t % num_folds * r_arr) * m
        x = 0
        while True:
            found, more = fold.nth_miss(base - reset_at, x, window - in_window)
            spanned = base + (fold.length - 1 if found is None else found) - reset_at
            if spanned >= fold.ignored_from:  # the window reached partners left out: rebuild with them
                fold.release()
                fold = folds[key] = CrossFold(layer, plan, key[0], key[1], pairs, 4 * spanned + 1).build()
                previous = fold
                continue
            if found is None:
                in_window += more
                break
            misses, in_window, last = misses + window, 0, (fold, t, found)
            reset_at, x = base + found + 1, found + 1
    if last is None:
        return misses + in_window, []
    fold, t, position = last
    return misses + in_window, [plan.fold_start_line(t // num_folds, t % num_folds) + r_arr
                                + diagonal_of(position, fold.rows, m)]

