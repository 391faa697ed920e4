"""Issue 17, USER mode: large and strided convolution windows (chiplab.scalesim.window_words) against a plain
transcription of SCALE-Sim 3.0.0's hashed read buffer.

Expected events: ``scalesim/memory/read_buffer.py`` transcribed request by request below (prepare_hashed_buffer's
sets of ceil(SRAM / 100) prefetch-order words, a window of ceil(active half / set) sets that new_prefetch slides by
ceil(prefetch half / set) sets until the requested word is in one of its sets), with Python sets and no numpy
vectorisation -- no code shared with the scans under test but the prefetch order and the request stream, which the
USER-mode golden reports made by SCALE-Sim itself check (tests/golden/scalesim, ``user_*``). Seeded random small
convolutions with large (up to 9 x 9) and strided windows, off-input holes, all dataflows, SRAMs of 20..400 words.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

import pytest

from chiplab.scalesim import ScaleSimLayer, jump_scan, read_buffer, window_words
from chiplab.scalesim.compute import plan_layer
from chiplab.scalesim.demand import request_streams


def _transcribed_events(layer, plan, operand, sram_words):
    order = read_buffer.prefetch_order(layer, plan, operand).tolist()
    set_words = math.ceil(sram_words / 100)
    active = math.ceil(sram_words * 0.5)
    num_sets = len(order) // set_words + 1
    size = min(math.ceil(active / set_words), num_sets)
    step = min(math.ceil((sram_words - active) / set_words), num_sets - size)
    if size >= num_sets:
        return [], []
    sets_of = defaultdict(set)
    for position, address in enumerate(order):
        sets_of[address].add(position // set_words)
    start, events = 0, {}
    for addresses, lines in request_streams(layer, plan, operand):
        for address, line in zip(addresses.tolist(), lines.tolist(), strict=True):
            while not any((s - start) % num_sets < size for s in sets_of[address]):
                start = (start + step) % num_sets
                events[line] = events.get(line, 0) + 1
    lines = sorted(events)
    return lines, [events[line] for line in lines]


def _random_conv(rng: random.Random) -> ScaleSimLayer:
    height, width = rng.randint(3, 22), rng.randint(3, 22)
    return ScaleSimLayer(name="c", ifmap_height=height, ifmap_width=width,
                         filter_height=rng.randint(1, min(height, 9)), filter_width=rng.randint(1, min(width, 9)),
                         num_channels=rng.randint(1, 3), num_filters=rng.randint(1, 20), stride=rng.randint(1, 4))


@pytest.mark.slow
def test_large_and_strided_windows_match_the_transcribed_read_buffer(monkeypatch):
    rng = random.Random(1731)
    tables = 0
    real_cheaper, real_words = jump_scan.cheaper_distance, window_words.WindowWords
    scale = {"factor": 1}

    class Counting(real_words):
        def __init__(self, *args):
            nonlocal tables
            tables += 1
            super().__init__(*args)

    def scaled(layer, stack, window, pixel_major, one_by_one, cost_per_cell, order_pieces):
        return real_cheaper(layer, stack, window, pixel_major, one_by_one, cost_per_cell * scale["factor"],
                            order_pieces)

    monkeypatch.setattr(jump_scan, "cheaper_distance", scaled)
    monkeypatch.setattr(window_words, "WindowWords", Counting)
    cases = with_events = 0
    while cases < 320:
        layer = _random_conv(rng)
        plan = plan_layer(layer, rng.choice(["ws", "os", "is"]), rng.randint(1, 12), rng.randint(1, 12))
        sram = rng.randint(20, 400)
        # the jumping scan's im2col check: one by one only, the marked table at once, or switching as it would
        scale["factor"] = rng.choice([0, 1, 10**9])
        # the marked table over the kept prefetch order or built from the stack's diagonals
        monkeypatch.setattr(window_words, "ORDER_BYTES", rng.choice([0, 256 * 2**20]))
        monkeypatch.setattr(window_words, "TABLES_BYTES", rng.choice([0, 1000, 256 * 2**20]))  # one start kept .. all
        expected = _transcribed_events(layer, plan, "ifmap", sram)
        for source in (None, read_buffer.dense_source(layer, plan, "ifmap")):  # jumping scan, every request
            found = read_buffer.user_read_buffer(layer, plan, "ifmap", sram_words=sram, words_per_cycle=4,
                                                 source=source)
            assert (found.event_lines.tolist(), found.event_counts.tolist()) == expected, \
                (layer, plan.dataflow, plan.num_rows, plan.num_cols, sram, source is None, scale)
        cases += 1
        with_events += len(expected[0]) > 0
    # The comparison means something only if prefetches happened and the marked table ran in the jumping scan.
    assert with_events > 200 and tables > 50, (with_events, tables)
