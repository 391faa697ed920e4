"""The stationary operand's request stream (WS filter, IS ifmap), built as outer sums of two short vectors.

Each fold's stationary block is flipped and unskewed (:func:`chiplab.scalesim.operands.block_order`): row r of the
tile (rows_used of them) sits on local line R - 1 - r and requests all its columns on that line, left to right. Its
address splits into a part that depends only on the row index and a part that depends only on the column index:

* IS ifmap, rows = window elements j, columns = pixels p: corner(p) + offset(j), valid iff the element stays on
  the input (filter row < rows left below the corner, filter column < columns left);
* WS filter, rows = window elements j, columns = filters n: n * window_size + j (always valid).

So the stream of many row folds at once is ``row_part[:, None] + col_part[None, :]`` raveled: no per-cell divmod,
and no hole mask when the layer has no windows hanging off the input.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan
from chiplab.scalesim.topology import ScaleSimLayer

CELLS_PER_PIECE = 1 << 19  # requests built at once (a few MiB of temporaries)


def _row_parts(layer: ScaleSimLayer, operand: str, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window elements j -> (address part, filter row, filter column); the last two only matter for the ifmap."""
    if operand == "filter":
        return operands.filter_addresses(layer, j, np.zeros_like(j)), j, j
    return operands.window_offset(layer, j)


def _col_parts(layer: ScaleSimLayer, operand: str, first: int, cols: int) -> tuple[np.ndarray, ...]:
    """Columns first .. first + cols - 1 -> (address part, rows left, columns left)."""
    index = np.arange(first, first + cols, dtype=np.int64)
    if operand == "filter":
        return index * layer.window_size, index, index
    return operands.pixel_corner(layer, index)


def _row_sequence(plan: FoldPlan, first_fr: int, end_fr: int) -> tuple[np.ndarray, np.ndarray]:
    """Row folds first_fr .. end_fr - 1 of one column fold: (window element, line relative to the column fold's
    first line) of every request row in stream order. Row r of fold fr is element fr*R + r, on local line R - 1 - r,
    rows walked r = rows_used - 1 .. 0; the last row fold may use fewer rows."""
    r_arr, lines_per_fold = plan.num_rows, plan.lines_per_fold
    elements, lines = [], []
    last_full = end_fr if plan.rows_used(end_fr - 1) == r_arr else end_fr - 1
    for first, end, rows in ((first_fr, last_full, r_arr), (last_full, end_fr, plan.rows_used(end_fr - 1))):
        if first < end:
            fr = np.arange(first, end, dtype=np.int64)[:, None]
            r = np.arange(rows - 1, -1, -1, dtype=np.int64)[None, :]
            elements.append((fr * r_arr + r).ravel())
            lines.append((fr * lines_per_fold + r_arr - 1 - r).ravel())
    return np.concatenate(elements), np.concatenate(lines)


def _pieces_plan(plan: FoldPlan) -> Iterator[tuple[int, int, int, int]]:
    """(first column fold, end, first row fold, end) of each piece: when a whole column fold is small, many column
    folds of equal width at once (a tall thin layer has hundreds of thousands of them); otherwise one column fold,
    its row folds a few at a time."""
    c_arr, num_col_folds, num_row_folds = plan.num_cols, plan.num_col_folds, plan.num_row_folds
    col_fold_cells = plan.spatial_rows * c_arr
    if col_fold_cells <= CELLS_PER_PIECE:
        full = num_col_folds if plan.cols_used(num_col_folds - 1) == c_arr else num_col_folds - 1
        step = CELLS_PER_PIECE // col_fold_cells
        for first in range(0, full, step):
            yield first, min(first + step, full), 0, num_row_folds
        if full < num_col_folds:
            yield full, num_col_folds, 0, num_row_folds
        return
    per_piece = max(1, CELLS_PER_PIECE // (plan.num_rows * c_arr))
    for fc in range(num_col_folds):
        for first in range(0, num_row_folds, per_piece):
            yield fc, fc + 1, first, min(first + per_piece, num_row_folds)


def stationary_pieces(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(addresses, global demand lines) of the WS filter / IS ifmap stream, fold order, -1 holes removed, about
    CELLS_PER_PIECE requests at a time (see _pieces_plan)."""
    c_arr = plan.num_cols
    lines_per_col_fold = plan.num_row_folds * plan.lines_per_fold
    holes = operand == "ifmap" and operands.ifmap_has_holes(layer)
    for first_fc, end_fc, first_fr, end_fr in _pieces_plan(plan):
        cols = plan.cols_used(first_fc)
        j, row_lines = _row_sequence(plan, first_fr, end_fr)
        row_part, cr, cc = _row_parts(layer, operand, j)
        col_part, rows_left, cols_left = (part.reshape(end_fc - first_fc, cols) for part in
                                          _col_parts(layer, operand, first_fc * c_arr, (end_fc - first_fc) * cols))
        addresses = (row_part[None, :, None] + col_part[:, None, :]).ravel()
        fc_start = np.arange(first_fc, end_fc, dtype=np.int64)[:, None] * lines_per_col_fold
        lines = np.repeat((fc_start + row_lines[None, :]).ravel(), cols)
        if not holes:
            yield addresses, lines
            continue
        keep = ((cr[None, :, None] < rows_left[:, None, :]) & (cc[None, :, None] < cols_left[:, None, :])).ravel()
        yield addresses[keep], lines[keep]
