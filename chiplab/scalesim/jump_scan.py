"""USER-mode window scans that jump over the requests certain to hit (issue 17).

Every request *is* one cell of its operand's prefetch matrix -- its **own position** in the prefetch order -- so a
request whose own set is in the window hits, whatever else holds its word (chiplab.scalesim.window_scan has the
model). Where own positions have a closed form (no off-input holes; no pruned window with overlapping windows) the
scans here jump over every stretch of requests whose own sets stay in the window and look only at the requests past
its edge, so their work grows with the prefetches, not with the requests:

* a *skewed* operand (WS/OS ifmap, IS/OS filter) is a stack of blocks read along anti-diagonals of the whole stack;
  its requests walk each block along the block's own anti-diagonals, so own positions rise within a block and
  blocks overlap only where their diagonals meet (:class:`SkewedStack`, :func:`scan_skewed`);
* the *stationary* operand (WS filter, IS ifmap) is read row by row per column fold; a fold's flipped block covers
  one contiguous range of positions, the folds one after another (:func:`scan_stationary`).

A word without repeats is held by its own set only; an im2col word (overlapping windows) is also held by the sets of
its other cells, found in closed form (:func:`im2col_distance`) or, once that costs more at a window start, by
marking the window's words (chiplab.scalesim.window_words).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.prefetch_positions import HoleyWsIfmap, SkewedStack
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.window_scan import Events, Window, add_event, scan, scan_repeated
from chiplab.scalesim.window_words import cheaper_distance
from chiplab.systolic.dataflow import Dataflow

OCCURRENCES_PER_PASS = 1 << 20  # bounds the temporaries of the im2col distance (about 100 bytes each)
MIN_CELLS = 1 << 6  # first look-ahead past the window's edge (up to the stack's cells_per_look)


def scan_skewed(stack: SkewedStack, blocks: range, line_start: Callable[[int], int], start: int, window: Window,
                distance: Callable[[int, np.ndarray, np.ndarray, int], np.ndarray] | None = None) -> Events:
    """The requests of ``blocks`` (in order) through the window from ``start``, skipping those whose own set is in
    the window. ``distance(b, rows, cols, start)`` is the im2col distance of repeated words (None: own set only)."""
    sw, n, size = window.set_words, window.num_sets, window.size
    first_pos, last_pos = stack.block_ends()
    event_lines: list[int] = []
    event_counts: list[int] = []
    b, i, chunk = blocks.start, 0, MIN_CELLS

    while b < blocks.stop:
        num_cells = stack.height * stack.block_width(b)
        if i >= num_cells:
            b, i, chunk = b + 1, 0, MIN_CELLS
            continue
        d = stack.diagonal_of(b, i)
        c0 = max(0, d - stack.height + 1) + i - stack.cells_before_diagonal(b, d)
        own = stack.position_of(b, d - c0, c0) // sw
        offset = (own - start) % n
        if offset < size:  # own sets stay in the window up to set `leave` (exclusive) and down to `low`
            leave, low = own + size - offset, max(0, own - offset)
            if leave < n and leave * sw <= last_pos[b]:
                i = stack.first_index_at(b, leave * sw)
                continue
            nxt = b + 1
            if nxt < blocks.stop and first_pos[nxt] >= low * sw:  # later blocks start inside the window
                nxt = max(nxt, int(np.searchsorted(last_pos, leave * sw)) if leave < n else blocks.stop)
            b, i, chunk = min(nxt, blocks.stop), 0, MIN_CELLS
            continue
        if distance is None:  # a word without repeats is in its own set only: this request misses
            slides = 0
            while offset >= size:  # new_prefetch until it hits
                start = (start + window.step) % n
                offset = (own - start) % n
                slides += 1
            add_event(event_lines, event_counts, line_start(b) + stack.base + d, slides)
            i += 1
            continue
        t, c = stack.cells(b, i, min(i + chunk, num_cells))
        missing = np.flatnonzero(distance(b, t, c, start) >= size)
        if len(missing) == 0:
            i, chunk = i + len(t), min(2 * chunk, stack.cells_per_look)
            continue
        at = int(missing[0])
        slides = 0
        while distance(b, t[at:at + 1], c[at:at + 1], start)[0] >= size:  # new_prefetch until it hits
            start = (start + window.step) % n
            slides += 1
        add_event(event_lines, event_counts, line_start(b) + stack.base + int(t[at] + c[at]), slides)
        i, chunk = i + at + 1, MIN_CELLS
    return start, event_lines, event_counts


def scan_stationary(plan: FoldPlan, height: int, start: int, window: Window) -> Events:
    """The stationary operand (WS filter, IS ifmap, no holes, no repeats): per column fold a ``height`` x C' matrix
    read row by row; fold (fc, fr) requests rows fr*R .. fr*R + rows - 1 bottom row first (block_order), which
    cover one contiguous range of positions. Folds wholly inside the window are jumped over."""
    sw, n, size = window.set_words, window.num_sets, window.size
    r_arr, c_arr, nrf, ncf = plan.num_rows, plan.num_cols, plan.num_row_folds, plan.num_col_folds
    num_valid = height * (c_arr * (ncf - 1) + plan.cols_used(ncf - 1))
    event_lines: list[int] = []
    event_counts: list[int] = []

    def own_sets(sets: np.ndarray, start: int) -> np.ndarray:
        return (sets - start) % n

    fold = 0
    while fold < plan.num_folds:
        fc, fr = divmod(fold, nrf)
        cols, rows = plan.cols_used(fc), plan.rows_used(fr)
        lo = fc * height * c_arr + fr * r_arr * cols
        off_lo, off_hi = (lo // sw - start) % n, ((lo + rows * cols - 1) // sw - start) % n
        if off_lo <= off_hi < size:  # the whole fold hits: jump to the fold holding the window's edge
            leave = (lo + rows * cols - 1) // sw + size - off_hi
            if leave >= n or leave * sw >= num_valid:
                break
            at = leave * sw
            fc_at = min(at // (height * c_arr), ncf - 1)
            row_at = (at - fc_at * height * c_arr) // plan.cols_used(fc_at)
            fold = max(fold + 1, fc_at * nrf + row_at // r_arr)
            continue
        r, c, lines = operands.block_order(rows, cols, r_arr)
        sets = (lo + r * cols + c) // sw
        start, lines_here, counts_here = scan([(sets, lines + plan.fold_start_line(fc, fr))], start, own_sets,
                                              window)
        for line, count in zip(lines_here, counts_here, strict=True):
            add_event(event_lines, event_counts, line, count)
        fold += 1
    return start, event_lines, event_counts


def im2col_distance(layer: ScaleSimLayer, stack: SkewedStack, window: Window,
                    pixel_major: bool) -> Callable[[int, np.ndarray, np.ndarray, int], np.ndarray]:
    """Distance of an ifmap request whose word sits in several im2col cells: over every cell (pixel p', window
    element j') holding the same word -- the window offsets (cr', cc') that land on it -- the nearest set from the
    window start. ``pixel_major``: stack rows are pixels and columns window elements (WS); else the reverse (OS).
    Only for layers without off-input holes or pruned windows (every such cell is real)."""
    r_arr = stack.width
    offsets_r, offsets_c = np.divmod(np.arange(layer.filter_height * layer.filter_width, dtype=np.int64),
                                     layer.filter_width)
    s, e_h, e_w, channels = layer.stride, layer.ofmap_height, layer.ofmap_width, layer.num_channels

    # cells per pass: a pass holds (cells x offsets) occurrences, each costing a row of the stack when it has holes
    per_pass = max(1, OCCURRENCES_PER_PASS // (len(offsets_r) * stack.cells_per_position))

    def distance(b: int, t: np.ndarray, c: np.ndarray, start: int) -> np.ndarray:
        if len(t) > per_pass:
            return np.concatenate([distance(b, t[i:i + per_pass], c[i:i + per_pass], start)
                                   for i in range(0, len(t), per_pass)])
        pixel, element = (t, b * r_arr + c) if pixel_major else (b * r_arr + c, t)
        oy, ox = np.divmod(pixel, e_w)
        per_row = layer.filter_width * channels
        cr, rest = np.divmod(element, per_row)
        cc, ch = np.divmod(rest, channels)
        y = (oy * s + cr)[:, None] - offsets_r[None, :]
        x = (ox * s + cc)[:, None] - offsets_c[None, :]
        real = (y >= 0) & (x >= 0) & (y % s == 0) & (x % s == 0) & (y // s < e_h) & (x // s < e_w)
        pixels = np.where(real, (y // s) * e_w + x // s, 0)
        elements = np.where(real, (offsets_r * layer.filter_width + offsets_c)[None, :] * channels + ch[:, None], 0)
        if pixel_major:
            block, row, col = elements // r_arr, pixels, elements % r_arr
        else:
            block, row, col = pixels // r_arr, elements, pixels % r_arr
        # positions of the real cells only (with strides, most window offsets land between pixels)
        nearest = np.full(real.shape, window.num_sets, dtype=np.int64)
        sets = stack.position(block[real], row[real], col[real]) // window.set_words
        nearest[real] = (sets - start) % window.num_sets
        return nearest.min(axis=1)

    return distance


def fast_misses(layer: ScaleSimLayer, plan: FoldPlan, operand: str, window: Window,
                order_pieces: Callable[[], Iterable[np.ndarray]]) -> tuple[np.ndarray, np.ndarray] | None:
    """Event lines and prefetch counts of a dense operand by the jumping scans, or None where its own positions
    have no closed form here (off-input holes, a pruned window with overlapping windows: the caller then follows
    every request). ``order_pieces``: the operand's prefetch order in pieces (for marking the window's words)."""
    flow, ifmap = plan.dataflow, operand == "ifmap"
    repeats = ifmap and operands.ifmap_has_repeats(layer)
    holes = ifmap and operands.ifmap_has_holes(layer)
    if layer.row_wise_block_size or (repeats and layer.window_pruned) or (holes and flow is not Dataflow.WS):
        return None
    nrf, ncf = plan.num_row_folds, plan.num_col_folds
    if (flow, operand) in ((Dataflow.WS, "filter"), (Dataflow.IS, "ifmap")):
        if repeats:
            return None
        _, lines, counts = scan_stationary(plan, layer.k, 0, window)
        return np.array(lines, dtype=np.int64), np.array(counts, dtype=np.int64)
    if (flow, operand) == (Dataflow.OS, "filter"):  # block of column fold u, once per row fold
        stack = SkewedStack(blocks=ncf, height=layer.k, width=plan.num_cols, last_width=plan.cols_used(ncf - 1),
                            base=0)
        return scan_repeated(ncf, nrf, plan.lines_per_fold, lambda u, start: scan_skewed(
            stack, range(u, u + 1), lambda b: plan.fold_start_line(b, 0), start, window))
    # the left-edge operand: one sweep over the row folds, once per column fold
    height = {Dataflow.WS: layer.m, Dataflow.OS: layer.k, Dataflow.IS: layer.n}[flow]
    shape = dict(blocks=nrf, height=height, width=plan.num_rows, last_width=plan.rows_used(nrf - 1),
                 base=0 if flow is Dataflow.OS else plan.num_rows)
    holey = HoleyWsIfmap(**shape, layer=layer) if holes else None
    stack = holey or SkewedStack(**shape)
    distance = None
    if repeats:  # other cells checked one by one while that is cheaper than marking the window's words
        distance = cheaper_distance(layer, stack, window, flow is Dataflow.WS,
                                    im2col_distance(layer, stack, window, flow is Dataflow.WS),
                                    layer.filter_height * layer.filter_width * stack.cells_per_position,
                                    order_pieces)
    if holey is not None:  # an off-input cell is no request: it never misses
        sets = window.set_words

        def own(b: int, t: np.ndarray, c: np.ndarray, start: int) -> np.ndarray:
            assert holey is not None
            return (holey.position(b, t, c) // sets - start) % window.num_sets

        near = own if distance is None else distance
        valid = holey.valid
        distance = lambda b, t, c, start: np.where(valid(b, t, c), near(b, t, c, start), 0)  # noqa: E731
    return scan_repeated(1, ncf, nrf * plan.lines_per_fold, lambda _, start: scan_skewed(
        stack, range(nrf), lambda b: plan.fold_start_line(0, b), start, window, distance))
