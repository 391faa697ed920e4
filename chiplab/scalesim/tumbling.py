"""SCALE-Sim 3.0.0's tumbling-window DRAM reads in CALC mode (read_buffer_estimate_bw.py), per operand.

Requests that miss are collected until a window of ``50 * floor(SRAM words / 100)`` words is full; then everything
collected is forgotten (see chiplab.scalesim.dram.read_buffer_traffic). The DRAM reads are the misses; the report
also needs the demand line of the last window-completing miss. Three ways to get them, cheapest first:

* **Every request misses** when no word comes back within a window's worth of requests: if every request's
  previous request of the same word lies at least ``window`` requests earlier (its *reuse distance*), that word
  was forgotten at the last reset (resets fall every ``window`` requests while everything misses), so by induction
  everything misses and the answer is closed form. :func:`ws_ifmap_reuse_bound` bounds the reuse distance of a
  weight-stationary ifmap stream from the convolution's geometry (which window elements share a word, and in
  which folds and diagonals they are requested) without building the stream.
* Otherwise the stream is followed request by request (:func:`tumbling_window_misses`), with numpy, a piece at a
  time: exact, but its cost grows with the layer (``check_resources`` refuses what would take too long).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.demand import CACHE_BYTES, CELLS_PER_PIECE, fold_request_counts, nth_request_line, request_streams
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.systolic.dataflow import Dataflow

# The tumbling-window replay follows about this many requests a second: 1e7 to 3.4e7 per CPU second measured on
# 3x3 convolutions of 300x300 to 1080x1920 pixels, WS/OS/IS at 32x32 (2026-12-07, loaded 2-core machine).
REQUESTS_PER_S = 1e7
BYTES_PER_FOLD_REQUEST = 96  # a fold's request stream in the replay: addresses, lines, sort order, temporaries


def operand_misses(layer: ScaleSimLayer, plan: FoldPlan, operand: str, window: int, *,
                   replay: bool = False) -> tuple[int, list[int]]:
    """CALC mode's tumbling-window DRAM reads of one operand: (misses, demand lines of window-completing misses).

    In the common case only the *last* window-completing line is returned (read_buffer_traffic uses no other):
    when the stream has no holes and every request misses -- every word comes once per unit of repetition (a sweep
    over the row folds, or the OS filter block repeated per row fold) and every unit holds at least a window of
    words, or (WS ifmap) no word comes back within ``window`` requests -- the misses are the requests. Otherwise (or
    with ``replay``) the request stream is followed through the window fold by fold.
    """
    counts = fold_request_counts(layer, plan, operand)
    ifmap = operand == "ifmap"
    repeats = ifmap and operands.ifmap_has_repeats(layer)
    holes = ifmap and operands.ifmap_has_holes(layer)
    smallest_unit = int(counts.min()) if (plan.dataflow, operand) == (Dataflow.OS, "filter") else window
    every_request_misses = not holes and smallest_unit >= window and (
        not repeats or (plan.dataflow is Dataflow.WS and ws_ifmap_reuse_bound(layer, plan) >= window))
    if not replay and every_request_misses:
        total = int(counts.sum())
        full = total // window * window
        return total, ([nth_request_line(layer, plan, operand, counts, full)] if full else [])
    # filter addresses run to n * window_size even when the window is pruned (operands.filter_addresses)
    address_space = (layer.ifmap_height * layer.ifmap_width * layer.num_channels if ifmap
                     else layer.window_size * layer.n)
    check_resources(f"following the {operand} request stream of layer {layer.name!r} through SCALE-Sim's "
                    "tumbling-window DRAM model", work=int(counts.sum()), work_unit="requests",
                    work_per_s=REQUESTS_PER_S,
                    # the window stamps (2 bytes a word), one piece of a fold's requests with its temporaries,
                    # the repeated blocks kept for reuse and the per-fold request counts
                    memory_bytes=2 * address_space + BYTES_PER_FOLD_REQUEST * min(int(counts.max()), CELLS_PER_PIECE)
                    + CACHE_BYTES + 16 * len(counts))
    return tumbling_window_misses(request_streams(layer, plan, operand), window, address_space, repeats)


def _sharing_pairs(layer: ScaleSimLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered pair (a, b) of window elements, a == b included, that can request one ifmap word, and the
    pixel offset d with pixel(b) = pixel(a) + d: same channel, window offsets a whole number of strides apart, and
    pixels that both exist (|offset| less than the ofmap's side). ~ k * filter_height * filter_width pairs."""
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
    a, b, dy, dx = a[keep], b[keep], dy[keep], dx[keep]
    return a, b, dy // s * e_w + dx // s


def ws_ifmap_reuse_bound(layer: ScaleSimLayer, plan: FoldPlan) -> int:
    """A lower bound on every reuse distance of the WS ifmap request stream (no holes): 0 if it cannot bound it.

    Row fold f requests, for its ports c (window element j = f * R + c, R = array rows), pixels p along diagonals
    d = c + p, each diagonal's ports in order: request position start(f) + F_f(d) + rank, where F_f(d) counts the
    fold's cells on diagonals before d (1 to rows_f cells per diagonal). Window elements a (fold f_a, port c_a) and
    b (fold f_b, port c_b) share a word when pixel(b) = pixel(a) + delta (:func:`_sharing_pairs`); with
    x = c_a + p + 1 and y = c_b + p + delta, position(b) - position(a) >= start(f_b) - start(f_a) + F_b(y) - F_a(x)
    + 1, and F_b(y) - F_a(x) >= min(y - x, rows_b (y - x)) - max(0, rows_a - rows_b) * m for every p. The sweep
    over the row folds comes round once per column fold (``unit`` requests later). Two elements of one fold
    (reused a few diagonals later) are not bounded: 0.
    """
    assert plan.dataflow is Dataflow.WS and not operands.ifmap_has_holes(layer)
    r_arr, m = plan.num_rows, layer.m
    unit = layer.k * m  # requests of one sweep over the row folds
    a, b, delta = _sharing_pairs(layer)
    fold_a, fold_b = a // r_arr, b // r_arr
    last = plan.num_row_folds - 1
    rows_a = np.where(fold_a == last, plan.rows_used(last), r_arr)
    rows_b = np.where(fold_b == last, plan.rows_used(last), r_arr)
    gap = b % r_arr + delta - a % r_arr - 1  # y - x
    diagonals = np.where(gap >= 0, gap, rows_b * gap) - np.maximum(0, rows_a - rows_b) * m
    apart = (fold_b - fold_a) * r_arr * m + diagonals + 1  # position(b) - position(a), same sweep, at least
    if np.any((fold_a == fold_b) & (a != b)):
        return 0
    later = fold_b > fold_a
    bounds = [apart[later]]
    if plan.num_col_folds > 1:  # b in the next sweep
        bounds.append(unit + apart)
    # no pair at all: no word is requested twice, so the stream's length bounds nothing it does not already
    smallest = min((int(x.min()) for x in bounds if len(x)), default=unit * plan.num_col_folds)
    return max(smallest, 0)


MIN_LOOK_AHEAD = 1 << 12  # requests examined at once by the tumbling-window replay, at least


def tumbling_window_misses(folds: Iterable[tuple[np.ndarray, np.ndarray]], window: int, address_space: int,
                           has_repeats: bool) -> tuple[int, list[int]]:
    """Follow a request stream through the tumbling window: total misses and the line of each window-filling one.

    ``folds`` yields (addresses, global demand lines) in request order, holes (-1) removed, in pieces of any size.
    A miss is a request whose word is not among the misses since the last window reset (check_hit and
    ``current_set``). Words missed in the current window are stamped with its number (2 bytes per word of the
    operand); the stream is examined a look-ahead at a time, so memory stays at a few bytes per word.
    """
    stamp = np.zeros(address_space, dtype=np.uint16)  # number of the window that last fetched each word (0: none)
    epoch, in_window, misses, window_lines = 1, 0, 0, []
    for addresses, lines in folds:
        pos = 0
        while pos < len(addresses):
            need = window - in_window
            rest = addresses[pos:pos + max(4 * need, MIN_LOOK_AHEAD)]
            new = np.flatnonzero(stamp[rest] != epoch)
            if has_repeats and len(new):  # only a word's first request here can miss
                _, first = np.unique(rest[new], return_index=True)
                new = np.sort(new[first])
            if len(new) < need:
                stamp[rest[new]] = epoch
                in_window += len(new)
                misses += len(new)
                pos += len(rest)
                continue
            fill = int(new[need - 1])  # this miss completes the window: prefetch, then forget all
            misses += need
            window_lines.append(int(lines[pos + fill]))
            epoch, in_window = epoch + 1, 0
            if epoch == np.iinfo(np.uint16).max:  # window numbers wrap: forget every stamp (rare; same result)
                stamp[:] = 0
                epoch = 1
            pos += fill + 1
    return misses, window_lines
