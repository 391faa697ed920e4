"""Counting the cells of a skewed block along its anti-diagonals: the one home of this idea for scalesim.

A block of ``rows`` x ``cols`` cells read along its anti-diagonals (row + column ascending) holds, on the diagonals
before d, F(d) = sum over its columns c of clamp(d - c, 0, rows) cells -- a triangle while the diagonals grow, then
min(rows, cols) a diagonal, then the whole block less a triangle. The skewed operand orders (operands.skewed_order),
the demand lines of a fold (demand.py), a WS ifmap fold's positions (fold_sharing.py) and the prefetch positions of a
stack of blocks (prefetch_positions.py) all count with F or invert it.
"""

from __future__ import annotations

import math

import numpy as np


def ramp_sum(y: int, num_cols: int) -> int:
    """sum over c in [0, num_cols) of max(y - c, 0)."""
    k = min(num_cols, max(y, 0))
    return k * y - k * (k - 1) // 2


def cells_before_diagonal(d: int, rows: int, cols: int) -> int:
    """F(d): cells of a ``rows`` x ``cols`` block on its anti-diagonals < d (clamp = ramp - ramp)."""
    return ramp_sum(d, cols) - ramp_sum(d - rows, cols)


def cells_before_diagonals(d: np.ndarray | int, rows: int, cols: int) -> np.ndarray:
    """F(d) for an array of diagonals 0 <= d <= rows + cols - 1, worked out part by part (the triangle, the straight
    part, the whole block less a triangle) without materialising the ramps."""
    d = np.asarray(d, dtype=np.int64)
    short, long = min(rows, cols), max(rows, cols)
    before = short * (short + 1) // 2 + (d - short) * short  # the straight part, fixed up at both ends
    rising, falling = d < short, d > long
    if rising.any():
        before = np.where(rising, d * (d + 1) // 2, before)
    if falling.any():
        left = rows + cols - 1 - d
        before = np.where(falling, rows * cols - left * (left + 1) // 2, before)
    return before


def cell_position(c: np.ndarray, p: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Position in diagonal order of cell (c, p), 0 <= c < rows, 0 <= p < cols, when a diagonal's cells run c
    ascending (a WS ifmap fold: port c, pixel p): the cells on earlier diagonals, then those of its diagonal before
    c (from max(0, d - cols + 1) on)."""
    d = c + p
    found: np.ndarray = cells_before_diagonals(d, rows, cols) + c - np.maximum(0, d - cols + 1)
    return found


def _triangle(z: int) -> int:
    return z * (z + 1) // 2


def smallest_diagonal_count(e: int, cols: int, height: int) -> int:
    """Smallest y >= 1 with F(y) >= e, F(y) = sum over c < cols of clamp(y - c, 0, height) (1 <= e <= F(inf)):
    F is the triangle T(y) = y (y + 1) / 2 up to y = short, then grows by `short` per line up to y = long, then
    is cols * height - T(cols + height - 1 - y)."""
    short, long = min(cols, height), max(cols, height)
    ramp_up = _triangle(short)
    if e <= ramp_up:
        y = (math.isqrt(8 * e + 1) - 1) // 2
        return y if _triangle(y) >= e else y + 1
    if e <= ramp_up + (long - short) * short:
        return short + -(-(e - ramp_up) // short)
    z = (math.isqrt(8 * (cols * height - e) + 1) - 1) // 2  # the largest z with T(z) <= total - e
    return cols + height - 1 - z


def diagonal_of(index: int, rows: int, cols: int) -> int:
    """The anti-diagonal holding cell ``index`` (0 <= index < rows * cols, in diagonal order) of a ``rows`` x
    ``cols`` block: the last d with F(d) <= index.

    A 2 x 3 block, counted by hand: its diagonals hold 1, 2, 2 and 1 cells.

    >>> [cells_before_diagonal(d, 2, 3) for d in range(5)]
    [0, 1, 3, 5, 6]
    >>> [diagonal_of(i, 2, 3) for i in range(6)]
    [0, 1, 1, 2, 2, 3]
    >>> cell_position(np.array([0, 1]), np.array([1, 0]), 2, 3).tolist()  # diagonal 1, c ascending
    [1, 2]
    """
    return smallest_diagonal_count(index + 1, cols, rows) - 1
