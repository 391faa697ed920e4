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


def _fold_rows(plan: FoldPlan, first_fr: int, end_fr: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row folds first_fr .. end_fr - 1, each ``rows`` rows used: (window element, local line) of every request
    row in stream order: row r of fold fr is element fr*R + r, on line R - 1 - r, rows walked r = rows-1 .. 0."""
    r_arr = plan.num_rows
    fr = np.arange(first_fr, end_fr, dtype=np.int64)[:, None]
    r = np.arange(rows - 1, -1, -1, dtype=np.int64)[None, :]
    return (fr * r_arr + r).ravel(), np.broadcast_to(r_arr - 1 - r, (len(fr), rows)).ravel()


def stationary_pieces(layer: ScaleSimLayer, plan: FoldPlan, operand: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(addresses, global demand lines) of the WS filter / IS ifmap stream, fold order, -1 holes removed, the row
    folds of a column fold built together, about CELLS_PER_PIECE requests at a time."""
    r_arr, num_row_folds, lines_per_fold = plan.num_rows, plan.num_row_folds, plan.lines_per_fold
    holes = operand == "ifmap" and operands.ifmap_has_holes(layer)
    last_rows = plan.rows_used(num_row_folds - 1)
    for fc in range(plan.num_col_folds):
        cols = plan.cols_used(fc)
        col_part, rows_left, cols_left = _col_parts(layer, operand, fc * plan.num_cols, cols)
        per_piece = max(1, CELLS_PER_PIECE // (r_arr * cols))
        for first in range(0, num_row_folds, per_piece):
            end = min(first + per_piece, num_row_folds)
            pieces = [(first, end, r_arr)] if end < num_row_folds or last_rows == r_arr else \
                [(first, end - 1, r_arr), (end - 1, end, last_rows)]
            for first_fr, end_fr, rows in pieces:
                if first_fr == end_fr:
                    continue
                j, local = _fold_rows(plan, first_fr, end_fr, rows)
                row_part, cr, cc = _row_parts(layer, operand, j)
                addresses = (row_part[:, None] + col_part[None, :]).ravel()
                fold = fc * num_row_folds + np.arange(first_fr, end_fr, dtype=np.int64)
                line_of_row = (np.repeat(fold * lines_per_fold, rows) + local)
                if not holes:
                    yield addresses, np.repeat(line_of_row, cols)
                    continue
                keep = ((cr[:, None] < rows_left[None, :]) & (cc[:, None] < cols_left[None, :])).ravel()
                yield addresses[keep], np.repeat(line_of_row, cols)[keep]
