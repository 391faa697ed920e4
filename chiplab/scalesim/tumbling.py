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

from collections.abc import Iterable, Sequence

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.demand import CACHE_BYTES, CELLS_PER_PIECE, fold_request_counts, nth_request_line, request_streams
from chiplab.scalesim.is_ifmap import is_ifmap_misses
from chiplab.scalesim.os_ifmap import os_ifmap_misses
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.ws_cross_folds import ws_ifmap_misses_across
from chiplab.scalesim.ws_ifmap import ws_ifmap_misses, ws_ifmap_reuse_bound
from chiplab.systolic.dataflow import Dataflow

# The tumbling-window replay follows about this many requests a second: 1.1e7 (OS, 3 channels) to 7.7e7 (IS, 1x1
# windows with holes), median 3e7, per CPU second on 3x3/7x7/1x1 convolutions of 300x300 to 1080x1920 pixels, WS/OS
# at 32x32 and IS at 8/32/256 (2026-12-08, loaded 2-core machine; the walk since the first-request mask of 45733e4).
REQUESTS_PER_S = 2e7
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
    smallest_unit = counts.smallest() if (plan.dataflow, operand) == (Dataflow.OS, "filter") else window
    every_request_misses = not holes and smallest_unit >= window and (
        not repeats or (plan.dataflow is Dataflow.WS and ws_ifmap_reuse_bound(layer, plan) >= window))
    if not replay and every_request_misses:
        total = counts.total()
        full = total // window * window
        return total, ([nth_request_line(layer, plan, operand, counts, full)] if full else [])
    if not replay and (plan.dataflow, operand) == (Dataflow.OS, "filter"):
        # each column fold's filter block (distinct words, no holes) comes rf times in a row
        rf = plan.num_row_folds
        misses, last = repeated_block_misses([(counts.of_fold(fc, 0), rf) for fc in range(plan.num_col_folds)],
                                             window)
        return misses, ([nth_request_line(layer, plan, operand, counts, last)] if last else [])
    if not replay and ifmap and plan.dataflow is Dataflow.WS:
        by_folds = ws_ifmap_misses(layer, plan, window)
        if by_folds is not None:
            return by_folds
        return ws_ifmap_misses_across(layer, plan, window)  # a window spans words shared between folds
    if not replay and ifmap and plan.dataflow is Dataflow.OS:
        by_sweeps = os_ifmap_misses(layer, plan, window)  # distinct words per window, sweep by sweep
        if by_sweeps is not None:
            return by_sweeps
    if not replay and ifmap and plan.dataflow is Dataflow.IS:
        # window to window over the pixels' windows, unless following the requests is cheaper
        by_regions = is_ifmap_misses(layer, plan, window, walk_s=counts.total() / REQUESTS_PER_S)
        if by_regions is not None:
            return by_regions
    # filter addresses run to n * window_size even when the window is pruned (operands.filter_addresses)
    address_space = (layer.ifmap_height * layer.ifmap_width * layer.num_channels if ifmap
                     else layer.window_size * layer.n)
    check_resources(f"following the {operand} request stream of layer {layer.name!r} through SCALE-Sim's "
                    "tumbling-window DRAM model", work=counts.total(), work_unit="requests",
                    work_per_s=REQUESTS_PER_S,
                    # the window stamps (2 bytes a word), one piece of a fold's requests with its temporaries,
                    # and the repeated blocks kept for reuse
                    memory_bytes=2 * address_space + BYTES_PER_FOLD_REQUEST * min(counts.largest(), CELLS_PER_PIECE)
                    + CACHE_BYTES)
    return tumbling_window_misses(request_streams(layer, plan, operand), window, address_space, repeats)


def repeated_block_misses(blocks: Sequence[tuple[int, int]], window: int) -> tuple[int, int]:
    """The tumbling window over blocks of distinct words, block i (``size`` requests) requested ``reps`` times in a
    row in the same order, no word in two blocks: (misses, 1-based index of the last window-completing request,
    0 if none). After a reset before position A, request x of the run misses iff its previous request (x - size)
    lies before A, or it is in the run's first repetition: the misses after a reset are the next ``size``
    requests (up to the run's end), then every request hits. So the walk goes from reset to reset."""
    misses, in_window, last, start = 0, 0, 0, 0
    for size, reps in blocks:
        end = start + size * reps
        stretch_from, stretch_to = start, start + size  # the requests that miss next, consecutive
        while stretch_to - stretch_from >= window - in_window:
            reset = stretch_from + window - in_window  # the window-completing miss is request number `reset`
            misses, in_window, last = misses + window - in_window, 0, reset
            stretch_from, stretch_to = reset, min(reset + size, end)
        misses += stretch_to - stretch_from
        in_window += stretch_to - stretch_from
        start = end
    return misses, last


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
                is_first = np.zeros(len(new), dtype=bool)
                is_first[first] = True
                new = new[is_first]  # `new` is increasing: a mask keeps that order without a second sort
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
