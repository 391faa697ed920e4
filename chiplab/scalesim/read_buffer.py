"""SCALE-Sim 3.0.0's USER-mode IFMAP/filter read buffers (``scalesim/memory/read_buffer.py``), without its loops.

In USER mode (``InterfaceBandwidth: USER``) a read buffer fetches its operand from DRAM at a fixed number of words
per cycle and the array stalls when a request finds its word missing. SCALE-Sim's model, which chiplab follows:

* **Sets.** The operand's *prefetch matrix* (the order SCALE-Sim plans to fetch it, see :func:`prefetch_order`) is
  cut into sets of ``ceil(SRAM words / 100)`` valid words (``prepare_hashed_buffer``; note ceil here, floor in
  CALC mode); one more, possibly empty, set closes the list. A window of ``A = ceil(active half / set size)``
  consecutive sets (circular) is "in the buffer".
* **Hits.** A request hits if its word is in one of the window's sets. On a miss the window slides by
  ``P = ceil(prefetch half / set size)`` sets (``new_prefetch``) until it hits; every slide is one prefetch.
  *Which* data is fetched never matters: SCALE-Sim always fetches the same fetch-matrix rows (its
  ``next_line_prefetch_idx`` never advances), and only counts them.
* **Time.** The first request fetches ``ceil(active half / bandwidth)`` lines so that they arrive on cycles
  -lines .. -1. Prefetches are chained back to back, whatever the array does: the j-th ends on cycle
  ``-1 + j * (lines + 1)`` with ``lines = ceil(prefetch half / bandwidth)`` (1 cycle DRAM latency). A demand line
  that triggers prefetches stalls by its lateness, accumulated with SCALE-Sim's double counting (see
  :func:`line_offset`).

Whether a request misses depends only on the request order, never on time, so chiplab finds the demand lines that
prefetch with a vectorised scan over the request stream, timed in :func:`chiplab.scalesim.dram.simulate_ofmap_buffer`.
When the whole operand fits in the window (``A`` covers all sets: large SRAMs) nothing is missed, nothing scanned.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.demand import fold_request_counts, request_streams
from chiplab.scalesim.jump_scan import fast_misses
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.window_scan import RepeatedStream, Window, repeated_request_stream, scan, scan_repeated
from chiplab.scalesim.window_words import WindowWords, order_words
from chiplab.systolic.dataflow import Dataflow

SETS_PER_BUFFER = 100  # prepare_hashed_buffer: elems_per_set = ceil(total_size_elems / 100)
BYTES_PER_PREFETCH_CELL = 24  # valid address (int64), its set (int64) and the address -> set table (int32)
CELLS_PER_PIECE = 1 << 20  # the prefetch order is built this many cells at a time
# Requests checked against the window per second: 2e7 measured on a 5124 x 2048 ifmap at 8x8 WS (2026-12-07).
REQUESTS_PER_S = 1e7


@dataclass(frozen=True, kw_only=True)
class UserReadBuffer:
    """What one USER-mode read buffer does in a layer: where it prefetches, how much it reads from DRAM."""

    event_lines: np.ndarray  # demand lines with at least one prefetch, ascending
    event_counts: np.ndarray  # prefetches in each of those lines
    prefetches_before: np.ndarray  # prefetches in all earlier event lines
    first_fill_lines: int  # DRAM lines of the initial fill (arriving on cycles -lines .. -1)
    prefetch_lines: int  # DRAM lines per prefetch
    words_per_line: int  # the bandwidth

    @property
    def num_prefetches(self) -> int:
        return int(self.event_counts.sum())

    @property
    def num_dram_reads(self) -> int:
        # read_buffer.num_access counts whole fetch lines, padding included.
        return (self.first_fill_lines + self.num_prefetches * self.prefetch_lines) * self.words_per_line

    @property
    def dram_start_cycle(self) -> int:
        return -self.first_fill_lines

    @property
    def dram_stop_cycle(self) -> int:
        return -1 + self.num_prefetches * (self.prefetch_lines + 1)

    def line_offset(self, index: int, cycle: int) -> int:
        """Cycles after ``cycle`` at which the index-th event line's reads are served (1 = hit latency only).

        read_buffer.service_reads, per prefetch j: ``potential = last_prefetch_cycle - (cycle + offset)``, then
        ``offset += potential`` and, if potential > 0, ``offset += potential`` *again* (SCALE-Sim 3.0.0's double
        counting; a negative potential even pulls the offset below the hit latency). That loop in closed form:
        prefetch j ends on E_j = -1 + j Q (Q = lines + 1), and after it the line is served y_j = max(0, potential_j)
        cycles past E_j, so potential_{j+1} = Q - y_j: y_1 = max(0, E_first - cycle - 1), then y alternates
        y_1, Q - y_1 (y_1 <= Q) or Q, 0 (y_1 > Q) -- period 2 -- and the offset is E_last + y_last - cycle.
        """
        done, count, q = int(self.prefetches_before[index]), int(self.event_counts[index]), self.prefetch_lines + 1
        first_late = max(0, -1 + (done + 1) * q - cycle - 1)
        if count == 1:
            late = first_late
        elif first_late <= q:
            late = first_late if count % 2 else q - first_late
        else:
            late = q if count % 2 else 0
        return -1 + (done + count) * q + late - cycle


def _prefetch_shape(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> tuple[int, int, int]:
    """(blocks, block height, width) of an operand's prefetch matrix (see :func:`prefetch_order`)."""
    flow = plan.dataflow
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.OS, "filter"), (Dataflow.IS, "ifmap")):
        return plan.num_col_folds, layer.k, plan.num_cols
    height = {Dataflow.WS: layer.m, Dataflow.OS: layer.k, Dataflow.IS: layer.n}[flow]
    return plan.num_row_folds, height, plan.num_rows


def prefetch_order(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> np.ndarray:
    """Valid addresses in SCALE-Sim's prefetch order (every valid operand cell once).

    systolic_compute_*.create_*_prefetch_mat stacks one block per fold of the operand (padded with -1 to the array
    edge) and reads it either row by row or along anti-diagonals (row + column ascending, row descending):

    ========  =====================================  ===========================================
    dataflow  ifmap block (rows x edge), order        filter block, order
    ========  =====================================  ===========================================
    ws        per row fold: pixels x R, diagonal     per column fold: window x C, row by row
    os        per row fold: window x R, diagonal     per column fold: window x C, diagonal
    is        per column fold: window x C, by row    per row fold: filters x R, diagonal
    ========  =====================================  ===========================================
    """
    # Walk the matrix in pieces of about CELLS_PER_PIECE cells (rows, or anti-diagonals), keeping only the valid
    # addresses: memory stays at a few bytes per cell however large the operand.
    return np.concatenate(list(_prefetch_pieces(layer, plan, operand)))


def _prefetch_pieces(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> Iterator[np.ndarray]:
    """:func:`prefetch_order` a piece of about CELLS_PER_PIECE cells at a time."""
    flow = plan.dataflow
    blocks, height, width = _prefetch_shape(layer, plan, operand)
    rows = blocks * height
    by_row = (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap"))
    step = max(1, CELLS_PER_PIECE // width)
    for first in range(0, rows if by_row else rows + width - 1, step):
        if by_row:
            last = min(first + step, rows)
            row = np.repeat(np.arange(first, last, dtype=np.int64), width)
            col = np.tile(np.arange(width, dtype=np.int64), last - first)
        else:
            col, row = operands.skewed_order(width, rows, first, min(first + step, rows + width - 1))
        yield _addresses(layer, flow, operand, row, col, height, width)


def _addresses(layer: ScaleSimLayer, flow: Dataflow, operand: str, row: np.ndarray, col: np.ndarray, height: int,
               width: int) -> np.ndarray:
    """Valid addresses of prefetch-matrix cells (row, col), in the given order."""
    block, inner = np.divmod(row, height)
    edge = block * width + col  # index along the folded dimension
    if (flow, operand) == (Dataflow.WS, "ifmap"):  # (pixel, window element)
        addresses = np.where(edge < layer.k, operands.ifmap_addresses(layer, inner, np.minimum(edge, layer.k - 1)), -1)
    elif (flow, operand) in ((Dataflow.OS, "ifmap"), (Dataflow.IS, "ifmap")):  # (window element, pixel)
        addresses = np.where(edge < layer.m, operands.ifmap_addresses(layer, np.minimum(edge, layer.m - 1), inner), -1)
    elif flow is Dataflow.IS:  # filter: (filter, window element)
        addresses = np.where(edge < layer.k, operands.filter_addresses(layer, np.minimum(edge, layer.k - 1), inner),
                             -1)
    else:  # WS / OS filter: (window element, filter)
        addresses = np.where(edge < layer.n, operands.filter_addresses(layer, inner, np.minimum(edge, layer.n - 1)),
                             -1)
    return addresses[addresses >= 0]


@dataclass(frozen=True, kw_only=True)
class PrefetchSource:
    """What a USER-mode read buffer needs to know of its operand (chiplab.scalesim.rowwise builds its own)."""

    shape: tuple[int, int, int]  # (blocks, block height, width) of the padded prefetch matrix
    num_valid: int  # valid words in it
    order: Callable[[], np.ndarray]  # its valid words in prefetch order
    streams: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]  # (addresses, lines) per fold, holes dropped
    num_requests: int  # valid or not: the scan's work
    repeats: bool  # can a word sit in several sets (im2col)?
    repeated: RepeatedStream | None = None  # the same stream by its repetitions (scanned once per window state)
    # Without repeats: the address -> set table built piece by piece (4 bytes a word, no whole prefetch order)
    set_table: Callable[[int], np.ndarray] | None = None


def dense_source(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> PrefetchSource:
    """The operand as systolic_compute_{ws,os,is} lays it out (no row-wise sparsity)."""
    return PrefetchSource(
        shape=_prefetch_shape(layer, plan, operand),
        num_valid=operands.num_valid_ifmap_cells(layer) if operand == "ifmap" else layer.k * layer.n,
        order=lambda: prefetch_order(layer, plan, operand),
        streams=lambda: request_streams(layer, plan, operand),
        num_requests=fold_request_counts(layer, plan, operand).total(),
        repeats=operand == "ifmap" and operands.ifmap_has_repeats(layer),
        repeated=repeated_request_stream(layer, plan, operand),
        set_table=lambda set_words: _set_table(layer, plan, operand, set_words))


def _address_space(layer: ScaleSimLayer, operand: str) -> int:
    # filter addresses run to n * window_size even when the window is pruned (operands.filter_addresses)
    return (layer.ifmap_height * layer.ifmap_width * layer.num_channels if operand == "ifmap"
            else layer.window_size * layer.n)


def _set_table(layer: ScaleSimLayer, plan: FoldPlan, operand: str, set_words: int) -> np.ndarray:
    """address -> set of an operand whose every word is in one set, from the prefetch order piece by piece."""
    table = np.zeros(_address_space(layer, operand), dtype=np.int32)
    done = 0
    for piece in _prefetch_pieces(layer, plan, operand):
        table[piece] = (done + np.arange(len(piece), dtype=np.int64)) // set_words
        done += len(piece)
    return table


def user_read_buffer(layer: ScaleSimLayer, plan: FoldPlan, operand: str, *, sram_words: int,
                     words_per_cycle: int, source: PrefetchSource | None = None) -> UserReadBuffer:
    """Prefetch events and DRAM traffic of one operand's USER-mode read buffer in one layer.

    A dense operand (``source`` None) is scanned by the jumping scans of chiplab.scalesim.jump_scan where they
    apply; a ``source`` given (row-wise sparsity, or the dense one passed explicitly) is followed request by request.
    """
    fast = source is None
    source = dense_source(layer, plan, operand) if source is None else source
    blocks, height, width = source.shape
    num_valid = source.num_valid
    set_words = math.ceil(sram_words / SETS_PER_BUFFER)
    active = math.ceil(sram_words * 0.5)  # read_buffer.set_params with active_buf_frac = 0.5
    prefetch = sram_words - active
    num_sets = num_valid // set_words + 1  # prepare_hashed_buffer always closes one more (maybe empty) set
    window = min(math.ceil(active / set_words), num_sets)
    step = min(math.ceil(prefetch / set_words), num_sets - window)
    # set_fetch_matrix: the whole padded prefetch matrix, re-wrapped into lines as wide as the bandwidth
    fetch_rows = math.ceil(blocks * height * width / words_per_cycle)
    first_fill = min(math.ceil(active / words_per_cycle), fetch_rows)  # prefetch_active_buffer
    empty = np.zeros(0, dtype=np.int64)
    common = dict(first_fill_lines=first_fill, prefetch_lines=math.ceil(prefetch / words_per_cycle),
                  words_per_line=words_per_cycle)
    if window >= num_sets:  # every set is always in the window: nothing is ever missed
        return UserReadBuffer(event_lines=empty, event_counts=empty, prefetches_before=empty, **common)
    sliding = Window(set_words=set_words, num_sets=num_sets, size=window, step=step)
    found = fast_misses(layer, plan, operand, sliding, lambda: _prefetch_pieces(layer, plan, operand)) if fast else None
    if found is not None:
        return UserReadBuffer(event_lines=found[0], event_counts=found[1],
                              prefetches_before=np.cumsum(found[1]) - found[1], **common)
    # The operand does not fit: its prefetch order is built, every request checked against the window. Estimate first.
    check_resources(f"the USER-mode {operand} read buffer of layer {layer.name!r} (operand larger than half its "
                    "SRAM: every request is followed through SCALE-Sim's prefetch window)",
                    # without repeats: the address -> set table (int32 per word) and one piece of the order
                    memory_bytes=(4 * _address_space(layer, operand) + BYTES_PER_PREFETCH_CELL * CELLS_PER_PIECE
                                  if source.set_table and not source.repeats
                                  else BYTES_PER_PREFETCH_CELL * blocks * height * width),
                    work=_scan_work(source, num_sets), work_unit="requests",
                    work_per_s=REQUESTS_PER_S, shrink_hint="Use larger SRAMs or a smaller layer")
    lines, counts = _scan_misses(source, None if source.set_table and not source.repeats else source.order(),
                                 sliding)
    return UserReadBuffer(event_lines=lines, event_counts=counts, prefetches_before=np.cumsum(counts) - counts,
                          **common)


def _scan_misses(source: PrefetchSource, valid: np.ndarray | None,
                 window: Window) -> tuple[np.ndarray, np.ndarray]:
    set_words, num_sets = window.set_words, window.num_sets
    if valid is None:  # the table comes straight from the source
        assert source.set_table is not None
        set_of = source.set_table(set_words)

        def distance(addresses: np.ndarray, start: int) -> np.ndarray:  # sets past the window start
            return (set_of[addresses] - start) % num_sets
    elif not source.repeats:
        sets = np.arange(len(valid), dtype=np.int64) // set_words
        # Every word is in exactly one set: a dense address -> set table.
        set_of = np.zeros(int(valid.max()) + 1, dtype=np.int32)
        set_of[valid] = sets

        def distance(addresses: np.ndarray, start: int) -> np.ndarray:  # sets past the window start
            return (set_of[addresses] - start) % num_sets
    else:  # an im2col word can be in several sets: the window's words are marked per window start
        distance = WindowWords(order_words(valid), window, int(valid.max()) + 1).distance

    rep = source.repeated
    if rep is None:
        _, lines, counts = scan(source.streams(), 0, distance, window)
        return np.array(lines, dtype=np.int64), np.array(counts, dtype=np.int64)
    return scan_repeated(rep.num_units, rep.repeats, rep.lines_per_repeat,
                         lambda unit, start: scan(rep.unit(unit), start, distance, window))


def _scan_work(source: PrefetchSource, num_sets: int) -> int:
    """Requests the scan examines: a unit is scanned once per window position it starts from (a repeated start
    means every later time round repeats an earlier one), so at most num_sets + 1 times."""
    rep = source.repeated
    if rep is None:
        return source.num_requests
    return rep.num_units * min(rep.repeats, num_sets + 1) * rep.requests_per_unit
