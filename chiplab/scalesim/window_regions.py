"""Which input words the windows of a raster range of ofmap pixels cover, counted without listing them.

A SCALE-Sim convolution's pixel p = (oy, ox) = divmod(p, E_w) reads the window of input rows oy*s .. oy*s + fh - 1
and columns ox*s .. ox*s + fw - 1, every channel, clipped to the input (a window hanging off it reads holes; E_w the
ofmap width, s the stride). A raster range of pixels is at most three rectangles of the ofmap (a partial row,
whole rows, a partial row); the windows of a rectangle of pixels cover a product set, rows x columns, each an
interval (windows overlapping or touching) or evenly spaced runs (strides wider than the window), so the union of
the three is counted by inclusion-exclusion over products of one-axis counts. The reverse question -- which pixels
cover an input position -- is a rectangle of the ofmap too (:func:`covering_range`). Used by the input-stationary
IFMAP tumbling window (chiplab.scalesim.is_ifmap), where column folds sweep the pixels in raster order.
"""

from __future__ import annotations

import itertools

import numpy as np

from chiplab.scalesim.topology import ScaleSimLayer

Rect = tuple[tuple[int, int], tuple[int, int]]  # ((first ofmap row, last), (first ofmap column, last)), inclusive


def _axis_common(ranges: list[tuple[int, int]], stride: int, extent: int, size: int) -> int:
    """Input coordinates along one axis (of ``size``) covered by a window (``extent`` long, ``stride`` apart) of
    some position in *every* one of the position ranges [a, b]. Windows that overlap or touch (stride <= extent)
    cover one interval per range; wider strides leave gaps and each coordinate belongs to one position at most."""
    lo, hi = max(a for a, _ in ranges), min(b for _, b in ranges)
    if stride <= extent:
        return max(0, min(hi * stride + extent, size) - lo * stride)
    if lo > hi:
        return 0
    # only the last window of the axis can hang off the input, even wholly (ofmap size rounds up)
    last_whole = min(hi, (size - extent) // stride)
    whole = max(0, last_whole - lo + 1) * extent
    return whole + (max(0, size - hi * stride) if hi > last_whole else 0)


def pixel_rects(layer: ScaleSimLayer, first_pixel: int, end_pixel: int) -> list[Rect]:
    """Pixels first_pixel .. end_pixel - 1 as rectangles of the ofmap, in raster order (at most three)."""
    if end_pixel <= first_pixel:
        return []
    e_w = layer.ofmap_width
    (oy1, ox1), (oy2, ox2) = divmod(first_pixel, e_w), divmod(end_pixel - 1, e_w)
    if oy1 == oy2:
        return [((oy1, oy1), (ox1, ox2))]
    middle = [((oy1 + 1, oy2 - 1), (0, e_w - 1))] if oy2 > oy1 + 1 else []
    return [((oy1, oy1), (ox1, e_w - 1)), *middle, ((oy2, oy2), (0, ox2))]


def covered_words(layer: ScaleSimLayer, first_pixel: int, end_pixel: int) -> int:
    """Distinct IFMAP words (holes excluded) in the windows of pixels first_pixel .. end_pixel - 1 (raster order):
    the windows' union over at most three rectangles of pixels, by inclusion-exclusion."""
    rects, total = pixel_rects(layer, first_pixel, end_pixel), 0
    for size in range(1, len(rects) + 1):
        for group in itertools.combinations(rects, size):
            rows = _axis_common([r for r, _ in group], layer.stride, layer.filter_height, layer.ifmap_height)
            cols = _axis_common([c for _, c in group], layer.stride, layer.filter_width, layer.ifmap_width)
            total += (-1) ** (size + 1) * rows * cols
    return total * layer.num_channels


def covering_range(coordinate: np.ndarray, stride: int, extent: int, num_positions: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The window positions (first, last) along one axis whose window holds the input coordinate."""
    return (np.maximum(0, -((extent - 1 - coordinate) // stride)),
            np.minimum(num_positions - 1, coordinate // stride))


def next_cover(layer: ScaleSimLayer, y: np.ndarray, x: np.ndarray, first_pixel: int) -> np.ndarray:
    """For requested input positions (y, x): the first pixel p >= first_pixel whose window covers the position
    (layer.m: none). The covering pixels form a rectangle of the ofmap (covering_range); the first one in raster
    order at or after first_pixel is arithmetic."""
    s, e_w = layer.stride, layer.ofmap_width
    oy_lo, oy_hi = covering_range(y, s, layer.filter_height, layer.ofmap_height)
    ox_lo, ox_hi = covering_range(x, s, layer.filter_width, e_w)
    oy0, ox0 = divmod(first_pixel, e_w)
    same_row = np.where(ox0 <= ox_lo, oy0 * e_w + ox_lo,
                        np.where(ox0 <= ox_hi, first_pixel,
                                 np.where(oy0 + 1 <= oy_hi, (oy0 + 1) * e_w + ox_lo, layer.m)))
    return np.where(oy0 < oy_lo, oy_lo * e_w + ox_lo, np.where(oy0 > oy_hi, layer.m, same_row))
