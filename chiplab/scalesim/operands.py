"""SCALE-Sim's operand addresses, without materialising its operand matrices.

``scalesim/compute/operand_matrix.py`` builds three address matrices per layer:

* ifmap (m x k, im2col): row p is ofmap pixel (oy, ox) = divmod(p, ofmap_width), column j is window element
  (cr, cc, ch) = (j // (S*C), (j // C) % S, j % C); the address is ``((oy*s + cr) * W + ox*s + cc) * C + ch``
  (calc_ifmap_elem_addr). When the window hangs off the input (ofmap size rounds *up*, see
  :attr:`ScaleSimLayer.ofmap_height`) the address is -1, which SCALE-Sim treats as "no request" everywhere
  except the SRAM read counts (they count matrix cells, holes included).
* filter (k x n): ``n * k_total + j`` (calc_filter_elem_addr); ofmap (m x n): ``p * n_total + n``.

With layer-wise sparsity (``layer.window_pruned``) the window index j of every function here counts only the kept
window elements (N of every M); :func:`chiplab.scalesim.sparsity.kept_element` maps it to the dense element.

Offsets are left out: with offsets >= 0 they never change a report. This module answers the few questions the
reports need in closed form (where the last valid ifmap request of a fold is, how many distinct ifmap words a
layer touches) and builds one fold's request stream when the DRAM model must follow individual addresses.
"""

from __future__ import annotations

import functools

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import sparsity
from chiplab.scalesim.topology import ScaleSimLayer


def _dense_element(layer: ScaleSimLayer, j: np.ndarray) -> np.ndarray:
    return sparsity.kept_element(j, *layer.sparsity_ratio) if layer.window_pruned else j


def window_parts(layer: ScaleSimLayer, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window element j -> (filter row, filter column, channel) (dense element when the window is pruned)."""
    j = _dense_element(layer, j)
    per_row = layer.filter_width * layer.num_channels
    cr, rest = np.divmod(j, per_row)
    cc, ch = np.divmod(rest, layer.num_channels)
    return cr, cc, ch


def ifmap_addresses(layer: ScaleSimLayer, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Ifmap address (offset 0) of im2col cell (pixel p, window element j); -1 where the window is off the input."""
    p, j = np.asarray(p), np.asarray(j)
    if max(p.size, j.size) >= MIN_LOOKUP_CELLS and layer.m + layer.k <= MAX_TABLE_ENTRIES:
        # a large batch: the pixel and window parts looked up (two gathers) instead of four divisions per cell
        (base, rows_left, cols_left), (offset, cr, cc) = _address_parts(layer)
        if (p.size == 0 or (int(p.min()) >= 0 and int(p.max()) < layer.m)) and (
                j.size == 0 or (int(j.min()) >= 0 and int(j.max()) < layer.k)):
            return np.where((cr[j] < rows_left[p]) & (cc[j] < cols_left[p]), base[p] + offset[j], -1)
    base, rows_left, cols_left = pixel_corner(layer, p)
    offset, cr, cc = window_offset(layer, j)
    return np.where((cr < rows_left) & (cc < cols_left), base + offset, -1)


# Batches of at least this many cells take the look-up tables (below it the divisions cost less than a table's
# first build); tables are built for layers with at most MAX_TABLE_ENTRIES pixels + window elements (20 bytes each).
MIN_LOOKUP_CELLS = 1 << 12
MAX_TABLE_ENTRIES = 1 << 22


@functools.lru_cache(maxsize=2)
def _address_parts(layer: ScaleSimLayer) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """:func:`pixel_corner` of every pixel and :func:`window_offset` of every window element of the layer."""
    base, rows_left, cols_left = pixel_corner(layer, np.arange(layer.m, dtype=np.int64))
    offset, cr, cc = window_offset(layer, np.arange(layer.k, dtype=np.int64))
    small = np.int32  # input rows / columns and filter rows / columns
    return ((base, rows_left.astype(small), cols_left.astype(small)),
            (offset, cr.astype(small), cc.astype(small)))


# The address ((oy*s + cr) * W + ox*s + cc) * C + ch splits into a pixel part and a window part, so a block of
# pixels x window elements is an outer sum of two short vectors (demand's stationary stream builds it that way).
def pixel_corner(layer: ScaleSimLayer, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel p -> (address of its window's corner, input rows and columns left from that corner)."""
    oy, ox = np.divmod(p, layer.ofmap_width)
    y, x = oy * layer.stride, ox * layer.stride
    return (y * layer.ifmap_width + x) * layer.num_channels, layer.ifmap_height - y, layer.ifmap_width - x


def window_offset(layer: ScaleSimLayer, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window element j -> (its address relative to the window's corner, its filter row, its filter column)."""
    cr, cc, ch = window_parts(layer, j)
    return (cr * layer.ifmap_width + cc) * layer.num_channels + ch, cr, cc


def filter_addresses(layer: ScaleSimLayer, j: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Filter address (offset 0) of filter-matrix cell (window element j, filter n)."""
    return n * layer.window_size + _dense_element(layer, j)


def last_valid_pixel(layer: ScaleSimLayer, j: np.ndarray) -> np.ndarray:
    """For window element j: the largest pixel index p whose request is valid (pixel 0 always is)."""
    cr, cc, _ = window_parts(layer, j)
    oy = np.minimum((layer.ifmap_height - 1 - cr) // layer.stride, layer.ofmap_height - 1)
    ox = np.minimum((layer.ifmap_width - 1 - cc) // layer.stride, layer.ofmap_width - 1)
    return oy * layer.ofmap_width + ox


def last_valid_window(layer: ScaleSimLayer, p: np.ndarray) -> np.ndarray:
    """For pixel p: the largest window element j whose request is valid, or -1 if the whole window is off."""
    oy, ox = np.divmod(p, layer.ofmap_width)
    rows_left = layer.ifmap_height - 1 - oy * layer.stride
    cols_left = layer.ifmap_width - 1 - ox * layer.stride
    cr = np.minimum(rows_left, layer.filter_height - 1)
    cc = np.minimum(cols_left, layer.filter_width - 1)
    j = (cr * layer.filter_width + cc) * layer.num_channels + layer.num_channels - 1
    j = np.where((rows_left >= 0) & (cols_left >= 0), j, -1)
    if layer.window_pruned:
        j = _last_kept_valid(layer, j, np.minimum(cc, layer.filter_width - 1))
    return j


def _last_kept_valid(layer: ScaleSimLayer, dense_last: np.ndarray, cc_max: np.ndarray) -> np.ndarray:
    """Pruned window: the last *kept* element inside the valid region ``window row <= (its row), window column <=
    cc_max`` whose dense last element is ``dense_last`` (-1: none). The valid region is not contiguous in j, so
    step back one window row at a time (at most filter_height steps)."""
    per_row, channels = layer.filter_width * layer.num_channels, layer.num_channels
    j = sparsity.last_kept_at_most(dense_last, *layer.sparsity_ratio)
    for _ in range(layer.filter_height + 1):
        dense = _dense_element(layer, np.maximum(j, 0))
        cr, rest = np.divmod(dense, per_row)
        ok = (j < 0) | (rest // channels <= cc_max)
        if ok.all():
            return np.where(j < 0, -1, j)
        # Outside the region: the last valid element of the same window row is (cr, cc_max, C - 1).
        cap = cr * per_row + cc_max * channels + channels - 1
        j = np.where(ok, j, sparsity.last_kept_at_most(cap, *layer.sparsity_ratio))
    raise AssertionError("the walk back over window rows always ends")


def any_valid_pixel(layer: ScaleSimLayer, j: np.ndarray, first_pixel: int, end_pixel: int) -> np.ndarray:
    """For each window element j: is some pixel p in [first_pixel, end_pixel) a valid request?"""
    limit_y, limit_x = np.divmod(last_valid_pixel(layer, j), layer.ofmap_width)
    oy, ox = divmod(first_pixel, layer.ofmap_width)
    # Valid pixels form the rectangle oy' <= limit_y, ox' <= limit_x; ox' = 0 is always inside it.
    first_row_hit = (oy <= limit_y) & (ox <= limit_x)
    next_row_hit = (oy + 1 <= limit_y) & ((oy + 1) * layer.ofmap_width < end_pixel)
    return first_row_hit | next_row_hit


def _covered(size: int, window: int, stride: int, num_positions: int) -> int:
    """How many of ``size`` input rows (or columns) some window position touches."""
    starts = np.arange(num_positions, dtype=np.int64) * stride
    ends = np.minimum(np.minimum(starts + window, size), np.append(starts[1:], size))
    return int(np.maximum(ends - starts, 0).sum())


def num_distinct_ifmap_words(layer: ScaleSimLayer) -> int:
    """Distinct valid ifmap addresses the layer requests (= m*k for a GEMM; fewer when windows overlap)."""
    if layer.window_pruned:
        return _num_distinct_pruned(layer)
    rows = _covered(layer.ifmap_height, layer.filter_height, layer.stride, layer.ofmap_height)
    cols = _covered(layer.ifmap_width, layer.filter_width, layer.stride, layer.ofmap_width)
    return rows * cols * layer.num_channels


def _valid_positions(layer: ScaleSimLayer, size: int, window: int, positions: int) -> np.ndarray:
    """For each window offset 0..window-1: how many of the ``positions`` windows keep it on the input."""
    offsets = np.arange(window, dtype=np.int64)
    return np.minimum(positions, (size - 1 - offsets) // layer.stride + 1)


def num_valid_ifmap_cells(layer: ScaleSimLayer) -> int:
    """Cells of the im2col ifmap matrix (m x k) with a valid address, repeats counted: window element
    (cr, cc, ch) of pixel (oy, ox) is valid iff oy*s + cr < H and ox*s + cc < W, so the count factorises."""
    rows = _valid_positions(layer, layer.ifmap_height, layer.filter_height, layer.ofmap_height)
    cols = _valid_positions(layer, layer.ifmap_width, layer.filter_width, layer.ofmap_width)
    if not layer.window_pruned:
        return int(rows.sum()) * int(cols.sum()) * layer.num_channels
    if not ifmap_has_holes(layer):
        return layer.m * layer.k
    cr, cc, _ = window_parts(layer, np.arange(layer.k, dtype=np.int64))  # pruned conv windows: one per element
    return int((rows[cr] * cols[cc]).sum())


def _num_distinct_pruned(layer: ScaleSimLayer) -> int:
    """Distinct valid ifmap words of a pruned layer: without overlapping windows every valid cell is its own word;
    otherwise mark the words each kept window offset (cr, cc) touches, one strided slice per offset."""
    if not ifmap_has_repeats(layer):
        return num_valid_ifmap_cells(layer)
    check_resources(f"counting the distinct IFMAP words of the pruned layer {layer.name!r}",
                    memory_bytes=layer.ifmap_height * layer.ifmap_width * layer.num_channels + 32 * layer.k,
                    work=layer.filter_height * layer.filter_width, work_unit="window offsets")
    cr, cc, ch = window_parts(layer, np.arange(layer.k, dtype=np.int64))
    touched = np.zeros((layer.ifmap_height, layer.ifmap_width, layer.num_channels), dtype=bool)
    s, e_h, e_w = layer.stride, layer.ofmap_height, layer.ofmap_width
    for row, col in set(zip(cr.tolist(), cc.tolist(), strict=True)):
        channels = ch[(cr == row) & (cc == col)]
        view = touched[row:row + s * (e_h - 1) + 1:s, col:col + s * (e_w - 1) + 1:s]
        view[:, :, channels] = True
    return int(touched.sum())


def ifmap_has_holes(layer: ScaleSimLayer) -> bool:
    """Does some window hang off the input (ofmap size rounded up), leaving -1 requests in the ifmap stream?
    (For a pruned window: *may* it — the dense answer, which the callers only use to pick the exact slow path.)"""
    return ((layer.ifmap_height - layer.filter_height) % layer.stride != 0
            or (layer.ifmap_width - layer.filter_width) % layer.stride != 0)


def ifmap_has_repeats(layer: ScaleSimLayer) -> bool:
    """Can one ifmap word appear twice in the im2col matrix (overlapping windows)? (Pruned window: the dense
    answer, an upper bound that only sends callers down their exact general path.)"""
    return ((layer.ofmap_height > 1 and layer.filter_height > layer.stride)
            or (layer.ofmap_width > 1 and layer.filter_width > layer.stride))


def skewed_order(num_cols: int, height: int, first_diag: int = 0,
                 end_diag: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cells (c, tau) of a skewed demand block, in the order SCALE-Sim walks them.

    Column c of the block is requested at local line c + tau (``skew_matrix`` in systolic_compute_*.py shifts
    column c down by c); SCALE-Sim reads the demand matrix line by line, left to right.
    Returns (c, tau), each of length num_cols*height; or only the cells on diagonals (lines) c + tau in
    [first_diag, end_diag), for walking a large block in pieces.
    """
    end_diag = num_cols + height - 1 if end_diag is None else end_diag
    diag = np.arange(first_diag, end_diag, dtype=np.int64)
    c_lo = np.maximum(0, diag - height + 1)
    counts = np.minimum(num_cols - 1, diag) - c_lo + 1
    starts = np.cumsum(counts) - counts
    which = np.repeat(diag, counts)
    c = np.repeat(c_lo, counts) + np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return c, which - c


def block_order(num_rows: int, num_cols: int, array_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells (r, c) of a flipped, unskewed block (WS filter, IS ifmap) and their local lines.

    The block is padded to ``array_rows`` rows and flipped (``np.flip(.., 0)``), so row r sits on line
    array_rows - 1 - r; lines are walked top to bottom, each left to right.
    """
    r = np.repeat(np.arange(num_rows - 1, -1, -1, dtype=np.int64), num_cols)
    c = np.tile(np.arange(num_cols, dtype=np.int64), num_rows)
    return r, c, array_rows - 1 - r
