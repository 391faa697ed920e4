"""One row fold of the weight-stationary IFMAP stream, described by its in-fold word sharing (for ws_ifmap).

Positions of a fold (holes counted) run diagonal by diagonal; window elements that read one channel at window
offsets a whole number of strides apart share words (chiplab.scalesim.ws_ifmap._sharing_pairs). Inside the fold,
one ofmap row (E_w diagonals) later every request reads the word one stride of input rows further on, so away from
the fold's first and last ofmap rows and its ramps the sharing pattern repeats: the fold is a head, one period
repeated, and a tail. For each position this module works out whether it is the fold's first request of its word,
how many word pairs (a request and the next request of its word) open minus close there, and how far back the
previous request of its word lies; prefix counts over the three parts then answer any range in O(1).
"""

from __future__ import annotations

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.diagonals import cells_before_diagonals, diagonal_of
from chiplab.scalesim.topology import ScaleSimLayer

CELLS_PER_CHUNK = 1 << 19  # ports x diagonals worked out at once (a few int64 arrays of this size)
BYTES_PER_GRID_CELL = 80  # the grid's int64 arrays and temporaries, per cell of a chunk
BYTES_PER_CELL = 26  # a built fold keeps, per position: first flag, balance, distance, two prefix counts
NO_DISTANCE = np.iinfo(np.int64).max  # no earlier request of the word in the fold
KEEP_BYTES = 256 << 20  # built folds are kept for the next column fold while they fit in this much memory
# Grid cells x (1 + pair classes) worked out a second: 8.4e7 per CPU second measured on the layers of UNet_2d,
# Resnet50_4k_no_pool and yolo at 256x256 (2026-12-07, 2-core machine); taken lower for a loaded machine.
CELLS_PER_S = 4e7


class Fold:
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
        self.holes = operands.ifmap_has_holes(layer)
        self.filter_row, self.filter_col, _ = operands.window_parts(
            layer, self.first_element + np.arange(self.rows, dtype=np.int64))
        self.num_diagonals = self.rows + self.m - 1
        self.length = int(cells_before_diagonals(self.num_diagonals, self.rows, self.m))
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
        self.head_end = int(cells_before_diagonals(lo, self.rows, self.m))
        self.period = self.rows * self.e_w if self.periods else 0
        self.tail_start = self.head_end + self.periods * self.period
        self.diagonals = ((0, lo), (lo, lo + self.e_w if self.periods else lo),
                          (lo + self.periods * self.e_w, self.num_diagonals))  # head, one period, tail
        self.num_cells = self.head_end + self.period + self.length - self.tail_start
        self.num_classes = len(self.classes)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (first, balance, distance) once built
        self.firsts: list[np.ndarray] = []
        self.balance: list[np.ndarray] = []
        self.max_distance = 0

    def build(self) -> Fold:
        """Work out the sharing of the head, the period and the tail (the costly part; kept until release)."""
        if not self.parts:
            self.parts = [self._flags(first, end) for first, end in self.diagonals]
            self.firsts = [_prefix(first) for first, _, _ in self.parts]
            self.balance = [_prefix(balance) for _, balance, _ in self.parts]
            self.max_distance = max(int(distance.max(initial=0)) for _, _, distance in self.parts)
        return self

    def release(self) -> None:
        self.parts, self.firsts, self.balance = [], [], []

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
            pixel = (d[None, :] - ports).astype(np.int32)  # m < 2**31: int32 halves the grid's memory traffic
            inside = (pixel >= 0) & (pixel < m)
            oy, ox = np.divmod(np.clip(pixel, 0, m - 1), np.int32(e_w))
            valid = inside
            if self.holes:
                valid = valid & (oy * layer.stride + self.filter_row[:, None] < layer.ifmap_height) & (
                    ox * layer.stride + self.filter_col[:, None] < layer.ifmap_width)
            start = cells_before_diagonals(d, rows, m) - np.maximum(0, d - m + 1)  # position of (port c, d) less c
            back = np.full(pixel.shape, NO_DISTANCE, dtype=np.int64)  # distance back to the word's previous request
            later = np.zeros(pixel.shape, dtype=bool)
            for shift, dy, dx, group in self.classes:
                d_b = np.clip(d + shift + dy * e_w + dx, 0, rows + m - 1)  # the partner's diagonal
                # position(partner) - position(own) does not depend on the port: one number per diagonal
                apart = cells_before_diagonals(d_b, rows, m) - np.maximum(0, d_b - m + 1) + shift - start
                exists = valid[group]
                if dy:
                    exists = exists & (oy[group] >= -dy) & (oy[group] < e_h - dy)
                if dx:
                    exists = exists & (ox[group] >= -dx) & (ox[group] < e_w - dx)
                if (apart < 0).any():
                    back[group] = np.where(exists & (apart < 0), np.minimum(back[group], -apart), back[group])
                if (apart > 0).any():
                    later[group] |= exists & (apart > 0)
            keep = inside.T.ravel()  # request order: diagonal by diagonal, ports in order
            back_t = back.T.ravel()[keep]
            has_prev = back_t < NO_DISTANCE
            firsts.append(valid.T.ravel()[keep] & ~has_prev)
            balances.append((later.T.ravel()[keep].astype(np.int8) - has_prev).astype(np.int8))
            distances.append(np.where(has_prev, back_t, 0))
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
        return diagonal_of(x, self.rows, self.m)


def _as_slice(ports: np.ndarray) -> slice | np.ndarray:
    """Ascending ports as a slice when they are consecutive (a view, not a copy, of the grid rows)."""
    if len(ports) and int(ports[-1]) - int(ports[0]) == len(ports) - 1:
        return slice(int(ports[0]), int(ports[-1]) + 1)
    return ports


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(values, dtype=np.int64)])
