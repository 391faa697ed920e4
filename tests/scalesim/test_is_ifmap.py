"""Issue 17: the input-stationary IFMAP stream through CALC mode's tumbling window, counted by regions
(chiplab.scalesim.is_ifmap, chiplab.scalesim.window_regions), against the explicit walk.

The reference is ``operand_misses(..., replay=True)``: every request of the stream followed through the window, the
walk that test_scalesim_parity.py checks against a transcription of SCALE-Sim 3.0.0's read_buffer_estimate_bw and
the goldens check against SCALE-Sim's own reports. The region counts are also checked against numpy on the
materialised stream (np.unique over the requests of a raster range of pixels).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from chiplab.scalesim import ScaleSimLayer, operands
from chiplab.scalesim.compute import plan_layer
from chiplab.scalesim.is_ifmap import is_ifmap_misses
from chiplab.scalesim.tumbling import operand_misses
from chiplab.scalesim.window_regions import covered_words, next_cover

NUM_CASES = 320


def _random_layer(rng: random.Random) -> ScaleSimLayer:
    """A random small convolution: windows that overlap, touch or leave gaps (stride up to 4 against filters of
    1..4), windows hanging off the input (holes) or not, tall, wide or square ofmaps."""
    filter_height, filter_width, stride = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
    return ScaleSimLayer(name="x", ifmap_height=rng.randint(filter_height, filter_height + 18),
                         ifmap_width=rng.randint(filter_width, filter_width + 18), filter_height=filter_height,
                         filter_width=filter_width, num_channels=rng.choice([1, 2, 3, 4, 8]),
                         num_filters=rng.randint(1, 6), stride=stride)


def _im2col(layer: ScaleSimLayer) -> np.ndarray:
    """The m x k ifmap address matrix, -1 for holes (operands.ifmap_addresses, itself checked cell by cell against
    calc_ifmap_elem_addr in test_stationary_stream.py)."""
    p = np.arange(layer.m, dtype=np.int64)[:, None]
    j = np.arange(layer.k, dtype=np.int64)[None, :]
    return operands.ifmap_addresses(layer, p, j)


def test_covered_words_match_numpy_on_pixel_ranges():
    """covered_words(first, end) = np.unique over the valid addresses of the pixels first .. end - 1, on 40 random
    ranges (one row, two rows, many rows; empty; the whole layer) of each of 80 random layers (gaps and holes)."""
    rng = random.Random(2024)
    for _ in range(80):
        layer = _random_layer(rng)
        cells = _im2col(layer)
        ranges = [(0, layer.m), (layer.m // 2, layer.m // 2)]
        ranges += [tuple(sorted((rng.randint(0, layer.m), rng.randint(0, layer.m)))) for _ in range(38)]
        for first, end in ranges:
            words = cells[first:end]
            expected = len(np.unique(words[words >= 0]))
            assert covered_words(layer, first, end) == expected, (layer, first, end)


def test_next_cover_matches_a_search_over_the_pixels():
    """next_cover = the first pixel at or after `first` whose window holds the word's input position (m: none),
    read off a word x pixel incidence matrix of the im2col addresses, for every requested word of 80 random
    layers and 8 starts each (pixel 0, the last pixel, m, random ones)."""
    rng = random.Random(2025)
    for _ in range(80):
        layer = _random_layer(rng)
        cells = _im2col(layer)
        words = np.unique(cells[cells >= 0])
        holds = np.zeros((len(words), layer.m + 1), dtype=bool)  # column m: "no pixel", always true
        pixel, _ = np.nonzero(cells >= 0)
        holds[np.searchsorted(words, cells[cells >= 0]), pixel] = True
        holds[:, layer.m] = True
        for first in [0, layer.m - 1, layer.m, *(rng.randint(0, layer.m) for _ in range(5))]:
            expected = first + np.argmax(holds[:, first:], axis=1)
            y, x = np.divmod(words // layer.num_channels, layer.ifmap_width)
            assert np.array_equal(next_cover(layer, y, x, first), expected), (layer, first)


@pytest.mark.slow
def test_region_walk_matches_the_explicit_walk():
    """is_ifmap_misses against the explicit walk on 320 seeded random layers, square and non-square arrays, and
    windows from 1 word (a reset every few requests, many in one fold) to more than the layer's distinct words."""
    rng = random.Random(1717)
    resets_inside_a_fold = 0
    for _ in range(NUM_CASES):
        layer = _random_layer(rng)
        plan = plan_layer(layer, "is", rng.choice([1, 2, 3, 4, 8, 16]), rng.choice([1, 2, 3, 5, 8, 16, 32]))
        distinct = operands.num_distinct_ifmap_words(layer)
        window = rng.choice([1, 2, rng.randint(1, max(1, distinct // 4)), rng.randint(1, distinct),
                             rng.randint(distinct, 2 * distinct)])
        got = is_ifmap_misses(layer, plan, window)
        misses, lines = operand_misses(layer, plan, "ifmap", window, replay=True)
        assert got == (misses, lines[-1:]), (layer, plan.num_rows, plan.num_cols, window)
        resets_inside_a_fold += len(lines) > plan.num_col_folds
    assert resets_inside_a_fold >= NUM_CASES // 10, resets_inside_a_fold


def test_tiny_windows_on_wide_boxes_are_left_to_the_walk():
    """Window 1 on a 1x1 convolution with holes: a box of whole input rows per 4-pixel fold, every fold followed:
    the explicit walk (given its estimate) is cheaper, so the region count declines; without an estimate it
    answers, and both answers are the walk's."""
    layer = ScaleSimLayer(name="x", ifmap_height=40, ifmap_width=401, filter_height=1, filter_width=1,
                          num_channels=2, num_filters=2, stride=2)
    plan = plan_layer(layer, "is", 4, 4)
    assert is_ifmap_misses(layer, plan, 1, walk_s=layer.m * layer.k / 2e7) is None
    misses, lines = operand_misses(layer, plan, "ifmap", 1, replay=True)
    assert is_ifmap_misses(layer, plan, 1) == (misses, lines[-1:])
    got_misses, got_lines = operand_misses(layer, plan, "ifmap", 1)
    assert (got_misses, got_lines[-1:]) == (misses, lines[-1:])


def test_pruned_windows_are_left_to_the_walk():
    layer = ScaleSimLayer(name="x", ifmap_height=6, ifmap_width=6, filter_height=3, filter_width=3, num_channels=4,
                          num_filters=2, stride=1, sparsity_ratio=(2, 4), window_pruned=True)
    assert is_ifmap_misses(layer, plan_layer(layer, "is", 4, 4), 10) is None
