"""Issue 17: the closed forms of CALC mode's tumbling-window DRAM reads (chiplab.scalesim.tumbling, .ws_ifmap).

The reference is the explicit walk (``operand_misses(..., replay=True)``: every request followed through the
window), itself checked against a transcription of SCALE-Sim 3.0.0's read_buffer_estimate_bw in
test_scalesim_parity.py and against SCALE-Sim's own reports in the goldens. The reuse-distance bound is checked
against the distances measured on the materialised request stream (numpy sort), on seeded random layers.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from chiplab.scalesim import ScaleSimLayer, operands
from chiplab.scalesim.compute import FoldPlan, plan_layer
from chiplab.scalesim.demand import request_streams
from chiplab.scalesim.tumbling import operand_misses
from chiplab.scalesim.ws_cross_folds import ws_ifmap_misses_across
from chiplab.scalesim.ws_ifmap import ws_ifmap_misses, ws_ifmap_reuse_bound

NUM_CASES = 400


def _layer_without_holes(rng: random.Random) -> ScaleSimLayer:
    """A random convolution whose windows tile the input exactly (no -1 requests), often overlapping, sometimes
    pruned N:M (layer-wise sparsity keeps N of every M window elements)."""
    filter_height, filter_width, stride = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3)
    ofmap_height, ofmap_width = rng.randint(1, 9), rng.randint(1, 9)
    ratio_m = rng.choice([1, 1, 2, 4])
    ratio_n = rng.randint(1, ratio_m)
    return ScaleSimLayer(name="x", ifmap_height=filter_height + stride * (ofmap_height - 1),
                         ifmap_width=filter_width + stride * (ofmap_width - 1), filter_height=filter_height,
                         filter_width=filter_width, num_channels=rng.choice([1, 2, 3, 4, 8, 16]),
                         num_filters=rng.randint(1, 20), stride=stride, sparsity_ratio=(ratio_n, ratio_m),
                         window_pruned=ratio_m > 1)


def _cases() -> list[tuple[ScaleSimLayer, int, int]]:
    rng = random.Random(17)
    cases = []
    while len(cases) < NUM_CASES:
        layer = _layer_without_holes(rng)
        if not operands.ifmap_has_holes(layer):
            cases.append((layer, rng.choice([1, 2, 4, 8]), rng.randint(1, 8)))
    return cases


def _measured_reuse_distance(layer: ScaleSimLayer, rows: int, cols: int) -> int | None:
    """The smallest distance, in requests, between two requests of one word in the WS ifmap stream (None: none)."""
    plan = plan_layer(layer, "ws", rows, cols)
    addresses = np.concatenate([a for a, _ in request_streams(layer, plan, "ifmap")])
    order = np.argsort(addresses, kind="stable")  # positions of each word in request order, words one after another
    same_word = addresses[order][1:] == addresses[order][:-1]
    gaps = np.diff(order)[same_word]
    return int(gaps.min()) if len(gaps) else None


@pytest.mark.slow
def test_reuse_bound_never_exceeds_the_measured_reuse_distance():
    """A lower bound must hold on every layer; it must also be useful (positive) on a good share of them, or the
    closed form would never be taken."""
    positive = 0
    for layer, rows, cols in _cases():
        bound = ws_ifmap_reuse_bound(layer, plan_layer(layer, "ws", rows, cols))
        measured = _measured_reuse_distance(layer, rows, cols)
        if measured is not None:
            assert 0 <= bound <= measured, (layer, rows, cols, bound, measured)
            positive += bound > 0
    assert positive >= NUM_CASES // 10, positive


@pytest.mark.slow
def test_every_request_misses_closed_form_matches_the_walk():
    """Where the bound says no word comes back within a window, the closed form (misses = requests, last window
    line from the request count) must equal the explicit walk; windows at, just below and just above the bound."""
    taken = 0
    for layer, rows, cols in _cases():
        plan = plan_layer(layer, "ws", rows, cols)
        bound = ws_ifmap_reuse_bound(layer, plan)
        for window in {max(bound - 1, 1), max(bound, 1), bound + 1}:
            if operands.num_distinct_ifmap_words(layer) < window:
                continue  # read_buffer_traffic never asks: the words fit in one window
            fast = operand_misses(layer, plan, "ifmap", window)
            slow = operand_misses(layer, plan, "ifmap", window, replay=True)
            assert fast[0] == slow[0] and fast[1][-1:] == slow[1][-1:], (layer, rows, cols, window)
            taken += operands.ifmap_has_repeats(layer) and window <= bound  # the closed form was taken
    assert taken >= 50, taken


def _random_layer(rng: random.Random) -> ScaleSimLayer:
    """A random small convolution: overlapping or strided windows, windows hanging off the input (holes) or not,
    often pruned N:M (layer-wise sparsity), so that words are shared inside folds, between folds, or not at all."""
    filter_height, filter_width, stride = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3)
    ratio_m = rng.choice([1, 2, 4])
    ratio_n = rng.randint(1, ratio_m)
    return ScaleSimLayer(name="x", ifmap_height=rng.randint(filter_height, filter_height + 20),
                         ifmap_width=rng.randint(filter_width, filter_width + 20), filter_height=filter_height,
                         filter_width=filter_width, num_channels=rng.choice([1, 2, 3, 4, 8]),
                         num_filters=rng.randint(1, 20), stride=stride, sparsity_ratio=(ratio_n, ratio_m),
                         window_pruned=ratio_m > 1)


def _random_ws_case(rng: random.Random) -> tuple[ScaleSimLayer, FoldPlan, int]:
    """A random layer on a random small WS array, with a random window of at most its distinct ifmap words."""
    layer = _random_layer(rng)
    plan = plan_layer(layer, "ws", rng.choice([1, 2, 3, 4, 8, 16]), rng.randint(1, 8))
    return layer, plan, rng.randint(1, max(1, operands.num_distinct_ifmap_words(layer)))


@pytest.mark.slow
def test_fold_by_fold_walk_matches_the_explicit_walk():
    """ws_ifmap_misses (head + periods + tail per fold, arithmetic from window to window) against the explicit
    walk on 400 seeded random layers, arrays and windows; it may decline (None) when a window spans words shared
    between folds, but must answer most cases, exactly."""
    rng = random.Random(1717)
    answered = 0
    for _ in range(NUM_CASES):
        layer, plan, window = _random_ws_case(rng)
        got = ws_ifmap_misses(layer, plan, window)
        if got is None:
            continue
        misses, lines = operand_misses(layer, plan, "ifmap", window, replay=True)
        assert got == (misses, lines[-1:]), (layer, plan.num_rows, plan.num_cols, window)
        answered += 1
    assert answered >= NUM_CASES * 0.6, answered


@pytest.mark.slow
def test_fold_by_fold_across_folds_matches_the_explicit_walk():
    """ws_ifmap_misses_across (words shared between folds counted too) against the explicit walk on 400 seeded
    random layers, arrays and windows: always an answer, always the walk's. ``far`` = 1 leaves every partner out
    at first, so each window that reaches one rebuilds its fold (the widening path); the cases ws_ifmap_misses
    declines must be among them."""
    rng = random.Random(1414)
    declined_before = 0
    for _ in range(NUM_CASES):
        layer, plan, window = _random_ws_case(rng)
        far = rng.choice([None, 1, window])
        got = ws_ifmap_misses_across(layer, plan, window, far=far)
        misses, lines = operand_misses(layer, plan, "ifmap", window, replay=True)
        assert got == (misses, lines[-1:]), (layer, plan.num_rows, plan.num_cols, window, far)
        declined_before += ws_ifmap_misses(layer, plan, window) is None
    assert declined_before >= NUM_CASES // 10, declined_before  # the cases this module exists for are covered


@pytest.mark.slow
def test_os_filter_repeated_blocks_match_the_explicit_walk():
    """OS filter stream (each column fold's block of distinct filter words requested once per row fold, in a row):
    repeated_block_misses against the explicit walk on 300 seeded random layers, arrays and windows, from windows
    smaller than one block (resets inside every run) to larger than the stream."""
    rng = random.Random(1515)
    for _ in range(300):
        layer = _random_layer(rng)
        plan = plan_layer(layer, "os", rng.choice([1, 2, 3, 4, 8, 16]), rng.randint(1, 8))
        counts_total = layer.window_size * layer.n
        window = rng.choice([1, 2, rng.randint(1, counts_total), rng.randint(1, 3 * counts_total)])
        fast = operand_misses(layer, plan, "filter", window)
        slow = operand_misses(layer, plan, "filter", window, replay=True)
        assert fast[0] == slow[0] and fast[1][-1:] == slow[1][-1:], (layer, plan.num_rows, plan.num_cols, window)
