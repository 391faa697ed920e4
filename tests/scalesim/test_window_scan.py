"""Issue 17, USER mode: the jumping window scans (chiplab.scalesim.jump_scan) against the exact scan.

Expected numbers: the prefetch events of the same read buffer found by following every request through the window
(``read_buffer.user_read_buffer`` given the dense source explicitly), the path the USER-mode golden cases made by
SCALE-Sim 3.0.0 checked first (tests/golden/scalesim, ``user_*``). Random small GEMMs and convolutions (overlapping
and strided windows, all dataflows, arrays up to 12 x 12, SRAMs of 20..400 words: many prefetches, wrapped windows,
partial last folds), seeded.
"""

from __future__ import annotations

import random

import pytest

from chiplab.scalesim import ScaleSimLayer, jump_scan, read_buffer
from chiplab.scalesim.compute import plan_layer


def _random_case(rng: random.Random) -> ScaleSimLayer:
    if rng.random() < 0.4:  # a GEMM as SCALE-Sim reads it: ifmap M x K, filter 1 x K, N filters
        m, k = rng.randint(1, 60), rng.randint(1, 60)
        return ScaleSimLayer(name="g", ifmap_height=m, ifmap_width=k, filter_height=1, filter_width=k,
                             num_channels=1, num_filters=rng.randint(1, 50), stride=1)
    height, width = rng.randint(1, 24), rng.randint(1, 24)
    return ScaleSimLayer(name="c", ifmap_height=height, ifmap_width=width,
                         filter_height=rng.randint(1, min(height, 4)), filter_width=rng.randint(1, min(width, 4)),
                         num_channels=rng.randint(1, 5), num_filters=rng.randint(1, 30), stride=rng.randint(1, 3))


@pytest.mark.slow
def test_jumping_scans_find_the_events_of_the_request_by_request_scan(monkeypatch):
    rng = random.Random(1717)
    taken = with_events = 0
    real_fast_misses = jump_scan.fast_misses

    def counting(*args):
        nonlocal taken, with_events
        found = real_fast_misses(*args)
        taken += found is not None
        with_events += found is not None and len(found[0]) > 0
        return found

    monkeypatch.setattr(read_buffer, "fast_misses", counting)
    for _ in range(320):
        layer = _random_case(rng)
        plan = plan_layer(layer, rng.choice(["ws", "os", "is"]), rng.randint(1, 12), rng.randint(1, 12))
        for operand in ("ifmap", "filter"):
            sram, bandwidth = rng.randint(20, 400), rng.randint(1, 9)
            exact = read_buffer.user_read_buffer(layer, plan, operand, sram_words=sram, words_per_cycle=bandwidth,
                                                 source=read_buffer.dense_source(layer, plan, operand))
            fast = read_buffer.user_read_buffer(layer, plan, operand, sram_words=sram, words_per_cycle=bandwidth)
            assert fast.event_lines.tolist() == exact.event_lines.tolist(), (layer, plan.dataflow, operand, sram)
            assert fast.event_counts.tolist() == exact.event_counts.tolist(), (layer, plan.dataflow, operand, sram)
    # The comparison means something only if the jumping scans ran, and found prefetches, in most cases.
    assert taken > 300 and with_events > 250, (taken, with_events)


def test_own_positions_are_the_prefetch_order():
    """Expected: the index of every cell in the prefetch order built cell by cell (read_buffer.prefetch_order of a
    GEMM, whose addresses are all distinct), for each skewed stack shape."""
    import numpy as np

    rng = random.Random(7)
    for _ in range(60):
        m, k, n = rng.randint(1, 30), rng.randint(1, 30), rng.randint(1, 30)
        layer = ScaleSimLayer(name="g", ifmap_height=m, ifmap_width=k, filter_height=1, filter_width=k,
                              num_channels=1, num_filters=n, stride=1)
        plan = plan_layer(layer, "ws", rng.randint(1, 9), rng.randint(1, 9))
        order = read_buffer.prefetch_order(layer, plan, "ifmap")  # WS ifmap: row folds of m pixels x R
        where = np.empty(order.max() + 1, dtype=np.int64)
        where[order] = np.arange(len(order))
        stack = jump_scan.SkewedStack(blocks=plan.num_row_folds, height=m, width=plan.num_rows,
                                        last_width=plan.rows_used(plan.num_row_folds - 1), base=plan.num_rows)
        for b in range(plan.num_row_folds):
            t, c = stack.cells(b, 0, m * stack.block_width(b))
            addresses = t * k + b * plan.num_rows + c  # ifmap address of (pixel t, window element bR + c)
            assert stack.position(b, t, c).tolist() == where[addresses].tolist()
            assert [stack.position_of(b, int(tt), int(cc)) for tt, cc in zip(t[:5], c[:5], strict=True)] == \
                where[addresses[:5]].tolist()
