"""Issue 17: the OS IFMAP tumbling window counted sweep by sweep (chiplab.scalesim.os_ifmap).

The reference is the explicit walk (``operand_misses(..., replay=True)``: every request followed through the
window), itself checked against a transcription of SCALE-Sim 3.0.0's read_buffer_estimate_bw in
test_scalesim_parity.py and against SCALE-Sim's own reports in the goldens. The closed-form prefix counts of first
and last requests are checked against numpy's np.unique on the materialised request stream of one sweep.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from chiplab.scalesim import ScaleSimLayer, operands
from chiplab.scalesim.compute import FoldPlan, plan_layer
from chiplab.scalesim.os_ifmap import _Sweep, os_ifmap_misses
from chiplab.scalesim.tumbling import operand_misses

NUM_CASES = 300


def _random_case(rng: random.Random) -> tuple[ScaleSimLayer, FoldPlan]:
    """A random small convolution on a random (often non-square) OS array: overlapping or strided windows (stride
    up to 3, also larger than the filter), windows hanging off the input (holes) or not, one channel (the
    depthwise-like rows of MobileNet files) to sixteen."""
    filter_height, filter_width, stride = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 3)
    layer = ScaleSimLayer(name="x", ifmap_height=rng.randint(filter_height, filter_height + 24),
                          ifmap_width=rng.randint(filter_width, filter_width + 24), filter_height=filter_height,
                          filter_width=filter_width, num_channels=rng.choice([1, 1, 2, 3, 4, 8, 16]),
                          num_filters=rng.randint(1, 24), stride=stride)
    return layer, plan_layer(layer, "os", rng.choice([1, 2, 3, 4, 5, 8, 16, 32]), rng.randint(1, 8))


@pytest.mark.slow
def test_first_and_last_request_counts_match_numpy():
    """F(x) and L(x) (words whose first / last request of the sweep lies before x), at fold boundaries in closed
    form and inside folds from the pixel x spatial-element grid, against np.unique on the sweep itself."""
    rng = random.Random(1701)
    for _ in range(120):
        layer, plan = _random_case(rng)
        sweep = _Sweep(layer, plan)
        positions, words = _holes_removed_sweep(layer, plan)
        _, first_index = np.unique(words, return_index=True)
        _, last_index = np.unique(words[::-1], return_index=True)
        first_at = np.sort(positions[first_index])
        last_at = np.sort(positions[len(words) - 1 - last_index])
        assert sweep.distinct == len(first_at), layer
        probes = sorted({0, sweep.length, *(rng.randrange(sweep.length + 1) for _ in range(20))})
        for x in probes:
            assert sweep.firsts_before(x) == int(np.searchsorted(first_at, x)), (layer, plan.num_rows, x)
            assert sweep.lasts_before(x) == int(np.searchsorted(last_at, x)), (layer, plan.num_rows, x)
        n = rng.randint(1, sweep.distinct)
        assert sweep.nth_first(n) == int(first_at[n - 1])


def _holes_removed_sweep(layer: ScaleSimLayer, plan: FoldPlan) -> tuple[np.ndarray, np.ndarray]:
    """(position in the sweep with holes counted, address) of every real request of one sweep."""
    addresses = np.concatenate([a for a, _ in _with_holes(layer, plan)])[:layer.m * layer.k]
    positions = np.flatnonzero(addresses >= 0)
    return positions, addresses[positions]


def _with_holes(layer: ScaleSimLayer, plan: FoldPlan) -> list[tuple[np.ndarray, np.ndarray]]:
    found = []
    for fold in range(plan.num_row_folds):
        c, j = operands.skewed_order(plan.rows_used(fold), layer.k)
        found.append((operands.ifmap_addresses(layer, fold * plan.num_rows + c, j), c + j))
    return found


@pytest.mark.slow
def test_sweep_by_sweep_count_matches_the_explicit_walk():
    """os_ifmap_misses against the explicit walk on 300 seeded random layers, arrays and windows (span / 16 to
    three sweeps' worth; smaller windows are declined): exact whenever it answers; it may decline only when a
    window spans nearly a whole sweep, and the paths it exists for (windows ending near a reset, read request by
    request; windows running into the next sweep) are all taken."""
    rng = random.Random(1717)
    answered = near_reset = across_sweeps = 0
    for _ in range(NUM_CASES):
        layer, plan = _random_case(rng)
        sweep = _Sweep(layer, plan)
        distinct = sweep.distinct
        smallest = max(1, sweep.span // 16)  # smaller windows are left to the walk
        window = rng.choice([smallest, rng.randint(smallest, max(smallest, distinct)), rng.randint(1, 3 * distinct)])
        got = os_ifmap_misses(layer, plan, window)
        if got is None:
            continue
        misses, lines = operand_misses(layer, plan, "ifmap", window, replay=True)
        assert got == (misses, lines[-1:]), (layer, plan.num_rows, plan.num_cols, window)
        answered += 1
        near_reset += window <= sweep.span
        across_sweeps += plan.num_col_folds > 1 and window < distinct
    assert answered >= NUM_CASES * 0.6, answered
    assert near_reset >= 30 and across_sweeps >= 30, (near_reset, across_sweeps)


@pytest.mark.slow
def test_tumbling_takes_the_sweep_count_for_os_ifmap():
    """operand_misses (no replay) answers OS ifmap streams of overlapping windows with the walk's numbers."""
    rng = random.Random(1702)
    for _ in range(40):
        layer, plan = _random_case(rng)
        sweep = _Sweep(layer, plan)  # SCALE-Sim asks only when the distinct words fill a window (dram.py)
        window = rng.randint(min(sweep.distinct, max(1, sweep.span // 16)), sweep.distinct)
        assert _last_line_only(operand_misses(layer, plan, "ifmap", window)) == _last_line_only(
            operand_misses(layer, plan, "ifmap", window, replay=True)), (layer, plan.num_rows, window)


def _last_line_only(result: tuple[int, list[int]]) -> tuple[int, list[int]]:
    return result[0], result[1][-1:]
