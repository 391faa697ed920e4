"""SCALE-Sim's demand matrices, described instead of built.

SCALE-Sim (systolic_compute_*.create_*_demand_mat) builds, per fold, a matrix with one row per cycle and one
column per array edge port, holding the address each port requests in that cycle (-1 for none), then stacks the
folds. chiplab needs only two things from them:

* how many OFMAP writes fall before a given line (closed form, for the write-buffer model), and
* for the read-buffer model in its rare overflow case, the IFMAP/filter request stream of each fold in request
  order (built one fold at a time, holes dropped).

Per fold, each operand's block is either *skewed* (port c requests its column at local lines base + c + tau) or
a *flipped block* (row r of the tile on line R - 1 - r, all its columns at once):

========  ===========================  ===========================  =============================
dataflow  ifmap                        filter                       ofmap (writes)
========  ===========================  ===========================  =============================
ws        skewed, base R, height m     flipped block                skewed, base 2R - 1, height m
os        skewed, base 0, height k     skewed, base 0, height k     skewed, base k-1+R-rows, height rows
is        flipped block                skewed, base R, height n     skewed, base 2R - 1, height n
========  ===========================  ===========================  =============================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.diagonals import cells_before_diagonal, diagonal_of, smallest_diagonal_count
from chiplab.scalesim.stationary_stream import stationary_pieces
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.systolic.dataflow import Dataflow


def ofmap_writes_before_line(plan: FoldPlan) -> Callable[[int], int]:
    """A function i -> number of OFMAP writes in demand lines 0 .. i-1 of the whole layer."""
    r, t, rows_total = plan.num_rows, plan.temporal, plan.spatial_rows
    os_flow = plan.dataflow is Dataflow.OS
    per_col_total = rows_total if os_flow else plan.num_row_folds * t  # writes per array column, all row folds

    # Hoisted out of before(): the replay calls it millions of times on layers with many drains.
    num_lines, lines_per_fold, num_folds = plan.num_lines, plan.lines_per_fold, plan.num_folds
    num_row_folds, num_cols = plan.num_row_folds, plan.num_cols
    last_rows, last_cols = plan.rows_used(num_row_folds - 1), plan.cols_used(plan.num_col_folds - 1)
    last_fc = plan.num_col_folds - 1

    def before(i: int) -> int:
        if i >= num_lines:
            i = num_lines
            fold, line = num_folds - 1, lines_per_fold
        else:
            fold, line = divmod(i, lines_per_fold)
        fc, fr = divmod(fold, num_row_folds)
        cols = last_cols if fc == last_fc else num_cols
        rows = last_rows if fr == num_row_folds - 1 else r
        height = rows if os_flow else t
        base = t - 1 + r - rows if os_flow else 2 * r - 1
        earlier = fc * num_cols * per_col_total + cols * (fr * r if os_flow else fr * t)
        # Column c writes `height` words on lines base + c .. base + c + height - 1 (clamp = ramp - ramp).
        return earlier + cells_before_diagonal(line - base, height, cols)

    return before


def ofmap_line_of_write(plan: FoldPlan) -> Callable[[int], int]:
    """The inverse of :func:`ofmap_writes_before_line`: element e (1-based) -> the demand line of the e-th write.

    O(1) per call (the OFMAP replay calls it once or twice per drain): the fold comes from the per-fold write
    counts, the line inside the fold from inverting the skewed block's cumulative count F(y) = sum over its
    columns of clamp(y - c, 0, height) -- a triangle, a straight line, then a triangle again.
    """
    r, t, rows_total = plan.num_rows, plan.temporal, plan.spatial_rows
    os_flow = plan.dataflow is Dataflow.OS
    per_col_total = rows_total if os_flow else plan.num_row_folds * t
    lines_per_fold, num_row_folds, num_cols = plan.lines_per_fold, plan.num_row_folds, plan.num_cols
    last_fc = plan.num_col_folds - 1
    last_rows, last_cols = plan.rows_used(num_row_folds - 1), plan.cols_used(last_fc)
    col_fold_words = num_cols * per_col_total

    def line_of(e: int) -> int:
        fc = min((e - 1) // col_fold_words, last_fc)
        e -= fc * col_fold_words
        cols = last_cols if fc == last_fc else num_cols
        fr = min((e - 1) // (cols * (r if os_flow else t)), num_row_folds - 1)
        e -= cols * (fr * r if os_flow else fr * t)
        rows = last_rows if fr == num_row_folds - 1 else r
        height = rows if os_flow else t
        base = t - 1 + r - rows if os_flow else 2 * r - 1
        y = smallest_diagonal_count(e, cols, height)
        return (fc * num_row_folds + fr) * lines_per_fold + base + y - 1

    return line_of


def _fold_requests(layer: ScaleSimLayer, plan: FoldPlan, operand: str, fc: int, fr: int, first_diag: int = 0,
                   end_diag: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(addresses, local lines) of one fold's requests for ``operand`` in request order, with holes; for a skewed
    block only the lines (diagonals) first_diag .. end_diag - 1 of it."""
    r_arr, c_arr = plan.num_rows, plan.num_cols
    rows, cols = plan.rows_used(fr), plan.cols_used(fc)
    flow = plan.dataflow
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap")):
        r, c, lines = operands.block_order(rows, cols, r_arr)
        if operand == "filter":
            return operands.filter_addresses(layer, fr * r_arr + r, fc * c_arr + c), lines
        return operands.ifmap_addresses(layer, fc * c_arr + c, fr * r_arr + r), lines
    if flow is Dataflow.WS:  # ifmap: port c streams pixels tau of window element fr*R + c
        c, tau = operands.skewed_order(rows, layer.m, first_diag, end_diag)
        return operands.ifmap_addresses(layer, tau, fr * r_arr + c), r_arr + c + tau
    if flow is Dataflow.IS:  # filter: port c streams filters tau of window element fr*R + c
        c, tau = operands.skewed_order(rows, layer.n, first_diag, end_diag)
        return operands.filter_addresses(layer, fr * r_arr + c, tau), r_arr + c + tau
    if operand == "ifmap":  # OS: port c streams window elements tau of pixel fr*R + c
        c, tau = operands.skewed_order(rows, layer.k, first_diag, end_diag)
        return operands.ifmap_addresses(layer, fr * r_arr + c, tau), c + tau
    c, tau = operands.skewed_order(cols, layer.k, first_diag, end_diag)  # OS filter: window tau of filter fc*C + c
    return operands.filter_addresses(layer, tau, fc * c_arr + c), c + tau


# Which fold index a block's content depends on when it repeats across the other fold index.
REPEATS_WITH = {(Dataflow.WS, "ifmap"): "fr", (Dataflow.OS, "ifmap"): "fr", (Dataflow.OS, "filter"): "fc",
                 (Dataflow.IS, "filter"): "fr"}
CELLS_PER_PIECE = 1 << 19  # a fold's request stream is built this many cells at a time (~50 MiB of temporaries)
CACHE_BYTES = 64 << 20  # repeated blocks are kept (not rebuilt) while they fit in this much memory
BYTES_PER_CACHED_REQUEST = 16  # address and line, int64 each


def _skew_width(layer: ScaleSimLayer, plan: FoldPlan, operand: str, fc: int, fr: int) -> tuple[int, int] | None:
    """(ports, height) of a skewed block, None for a flipped one (WS filter, IS ifmap: at most R x C cells)."""
    flow = plan.dataflow
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap")):
        return None
    if (flow, operand) == (Dataflow.OS, "filter"):
        return plan.cols_used(fc), layer.k
    return plan.rows_used(fr), {Dataflow.WS: layer.m, Dataflow.IS: layer.n, Dataflow.OS: layer.k}[flow]


def fold_pieces(layer: ScaleSimLayer, plan: FoldPlan, operand: str, fc: int,
                 fr: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One fold's (addresses, local lines) in request order, holes removed, in pieces of about CELLS_PER_PIECE."""
    shape = _skew_width(layer, plan, operand, fc, fr)
    ranges: list[tuple[int, int | None]]
    if shape is None:
        ranges = [(0, None)]
    else:
        ports, height = shape
        step = max(1, CELLS_PER_PIECE // ports)
        ranges = [(d, min(d + step, ports + height - 1)) for d in range(0, ports + height - 1, step)]
    for first, end in ranges:
        addresses, lines = _fold_requests(layer, plan, operand, fc, fr, first, end)
        keep = addresses >= 0
        yield addresses[keep], lines[keep]


def request_streams(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (addresses, global demand lines) fold by fold (column fold outer), -1 holes removed, each fold in one
    or more pieces of about CELLS_PER_PIECE requests (so memory stays bounded however large a fold is).

    Blocks that come round again (the left-edge operand once per column fold, the OS filter once per row fold) are
    kept while they fit in CACHE_BYTES and would be used again; otherwise they are rebuilt.
    """
    key_kind = REPEATS_WITH.get((plan.dataflow, operand))
    if key_kind is None:  # the stationary operand: blocks of at most R x C requests, many folds per piece
        yield from stationary_pieces(layer, plan, operand)
        return
    repeats = (plan.num_col_folds if key_kind == "fr" else plan.num_row_folds) > 1
    cache: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    cached_bytes = 0
    for fc in range(plan.num_col_folds):
        for fr in range(plan.num_row_folds):
            key = fr if key_kind == "fr" else fc
            cached = cache.get(key) if repeats else None
            pieces: Iterable[tuple[np.ndarray, np.ndarray]]
            if cached is not None:
                pieces = cached
            else:
                pieces = fold_pieces(layer, plan, operand, fc, fr)
                ports_height = _skew_width(layer, plan, operand, fc, fr)
                size = BYTES_PER_CACHED_REQUEST * (ports_height[0] * ports_height[1] if ports_height
                                                   else plan.num_rows * plan.num_cols)
                if repeats and cached_bytes + size <= CACHE_BYTES:
                    pieces = cache[key] = list(pieces)
                    cached_bytes += size
            start = plan.fold_start_line(fc, fr)
            for addresses, lines in pieces:
                yield addresses, lines + start


@dataclass(frozen=True)
class FoldCounts:
    """Requests of one operand per fold (column fold outer), holes included, without a per-fold array: fold
    (fc, fr) holds ``per_col(fc) * per_row(fr)`` requests, and each factor takes one value for every fold but the
    last (a layer may have tens of millions of folds)."""

    num_col_folds: int
    num_row_folds: int
    per_col: tuple[int, int]  # (every column fold but the last, the last)
    per_row: tuple[int, int]

    def of_fold(self, fc: int, fr: int) -> int:
        return (self.per_col[fc == self.num_col_folds - 1]) * (self.per_row[fr == self.num_row_folds - 1])

    def col_fold_total(self, fc: int) -> int:
        """Requests of column fold fc, all its row folds."""
        return self.per_col[fc == self.num_col_folds - 1] * self.per_row_total

    @property
    def per_row_total(self) -> int:
        return self.per_row[0] * (self.num_row_folds - 1) + self.per_row[1]

    def total(self) -> int:
        return (self.per_col[0] * (self.num_col_folds - 1) + self.per_col[1]) * self.per_row_total

    def _present(self) -> tuple[list[int], list[int]]:  # the factors some fold has (one fold: only "the last")
        return (list(self.per_col[self.num_col_folds == 1:]), list(self.per_row[self.num_row_folds == 1:]))

    def largest(self) -> int:
        cols, rows = self._present()
        return max(cols) * max(rows)

    def smallest(self) -> int:
        cols, rows = self._present()
        return min(cols) * min(rows)

    def locate(self, q: int) -> tuple[int, int, int]:
        """The q-th request (1-based) -> (column fold, row fold, 0-based index inside that fold)."""
        fc = min((q - 1) // (self.per_col[0] * self.per_row_total), self.num_col_folds - 1)
        q -= fc * self.per_col[0] * self.per_row_total
        per_fold = self.per_col[fc == self.num_col_folds - 1] * self.per_row[0]
        fr = min((q - 1) // per_fold, self.num_row_folds - 1)
        return fc, fr, q - fr * per_fold - 1


def fold_request_counts(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> FoldCounts:
    """Requests of ``operand`` per fold: rows_used x cols_used for a stationary block, rows_used x T for a skewed
    block along the rows, cols_used x T for the OS filter."""
    rows = (plan.num_rows, plan.rows_used(plan.num_row_folds - 1))
    cols = (plan.num_cols, plan.cols_used(plan.num_col_folds - 1))
    flow, t = plan.dataflow, plan.temporal
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap")):
        per_col, per_row = cols, rows
    elif (flow, operand) == (Dataflow.OS, "filter"):
        per_col, per_row = (cols[0] * t, cols[1] * t), (1, 1)
    else:
        per_col, per_row = (1, 1), (rows[0] * t, rows[1] * t)
    return FoldCounts(plan.num_col_folds, plan.num_row_folds, per_col, per_row)


def nth_request_line(layer: ScaleSimLayer, plan: FoldPlan, operand: str, counts: FoldCounts, q: int) -> int:
    """Demand line of the q-th (1-based) request of a stream without holes; ``counts`` from fold_request_counts.

    Closed form inside the fold: a flipped block serves ``cols`` requests per line from line R - rows; a skewed
    block of ``width`` ports x ``height`` serves, up to local line base + d, the cells with c + tau <= d.
    """
    fc, fr, local = counts.locate(q)
    r_arr, rows, cols = plan.num_rows, plan.rows_used(fr), plan.cols_used(fc)
    flow = plan.dataflow
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap")):
        return plan.fold_start_line(fc, fr) + r_arr - rows + local // cols
    base = 0 if flow is Dataflow.OS else r_arr
    width = cols if (flow, operand) == (Dataflow.OS, "filter") else rows
    height = plan.temporal
    return plan.fold_start_line(fc, fr) + base + diagonal_of(local, height, width)  # the diagonal c + tau
