"""Issue 17, USER mode write side: the OFMAP drain replay's shortcuts against the drain-by-drain replay.

Reference: ``simulate_ofmap_buffer`` without ``line_of_write`` / ``max_writes_per_line`` locates every drain on its
line by bisection and settles every read event as it comes; the golden cases (SCALE-Sim 3.0.0's own reports) and
the word-by-word transcription of SCALE-Sim's write_buffer.py in test_scalesim_parity check it in turn. The fast
replay (closed-form line of a write, drains that cannot overlap skipped word by word, periods of identical drains
skipped at once, across read events) must give exactly the same stall timeline and DRAM columns.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from chiplab.scalesim import ScaleSimLayer, demand, dram
from chiplab.scalesim.compute import plan_layer
from chiplab.scalesim.read_buffer import UserReadBuffer


def _random_layer(rng: random.Random) -> ScaleSimLayer:
    height, width = rng.randint(1, 30), rng.randint(1, 40)
    return ScaleSimLayer(name="x", ifmap_height=height, ifmap_width=width, filter_height=rng.randint(1, min(height, 4)),
                         filter_width=rng.randint(1, min(width, 4)), num_channels=rng.randint(1, 5),
                         num_filters=rng.randint(1, 40), stride=rng.randint(1, 3))


def _prefetch_chain(rng: random.Random, num_lines: int) -> UserReadBuffer:
    """A read buffer prefetching on random lines, its chain as slow or fast as a starved or ample bandwidth makes
    it (the lateness then depends on the cycle each line starts at, with SCALE-Sim's double counting)."""
    lines = np.array(sorted(rng.sample(range(num_lines), min(num_lines, rng.choice([0, 1, 5, 40])))), dtype=np.int64)
    counts = np.array([rng.randint(1, 3) for _ in lines], dtype=np.int64)
    return UserReadBuffer(event_lines=lines, event_counts=counts, prefetches_before=np.cumsum(counts) - counts,
                          first_fill_lines=1, prefetch_lines=rng.choice([1, 3, 20, 200, 2000]), words_per_line=1)


@pytest.mark.slow  # ~20 s CPU: the reference bisects for every drain
def test_fast_ofmap_replay_equals_the_drain_by_drain_replay():
    """300 random layers, all three dataflows, drains from 1 word per cycle (starved) to wider than the array
    (ample), OFMAP SRAMs from 2 words to twice the layer's writes, read stalls on 0 to 40 lines."""
    rng = random.Random(20261208)
    seen = {"read stalls": 0, "ofmap waits": 0, "many drains": 0}
    for case in range(300):
        dataflow = ("ws", "os", "is")[case % 3]
        plan = plan_layer(_random_layer(rng), dataflow, rng.randint(1, 12), rng.randint(1, 12))
        total = demand.ofmap_writes_before_line(plan)(plan.num_lines)
        reads = _prefetch_chain(rng, plan.num_lines)
        events = reads.event_lines.tolist()
        sram_words = rng.choice([2, rng.randint(2, 64), rng.randint(2, max(2, total // 3)), 2 * total])
        drain_rate = rng.choice([1, rng.randint(1, plan.num_cols), plan.num_cols, rng.randint(plan.num_cols, 40)])

        def read_stall(index: int, cycle: int, reads: UserReadBuffer = reads) -> int:
            return max(0, reads.line_offset(index, cycle) - 1)  # as run.simulate_layer's read_stall

        kwargs = dict(writes_before_line=demand.ofmap_writes_before_line(plan), num_lines=plan.num_lines,
                      sram_words=sram_words, drain_words_per_cycle=drain_rate, read_event_lines=events,
                      read_stall=read_stall)
        plain_stalls, plain_traffic = dram.simulate_ofmap_buffer(**kwargs)
        fast_stalls, fast_traffic = dram.simulate_ofmap_buffer(
            **kwargs, line_of_write=demand.ofmap_line_of_write(plan), max_writes_per_line=plan.num_cols)
        where = f"case {case}: {plan.dataflow} sram {sram_words} drain {drain_rate} events {events}"
        assert fast_traffic == plain_traffic, where
        assert (fast_stalls.lines, fast_stalls.cycles, fast_stalls.ofmap_waits) == (
            plain_stalls.lines, plain_stalls.cycles, plain_stalls.ofmap_waits), where
        seen["read stalls"] += any(line not in plain_stalls.ofmap_waits for line in plain_stalls.lines)
        seen["ofmap waits"] += bool(plain_stalls.ofmap_waits)
        seen["many drains"] += plain_traffic.num_accesses > 20 * sram_words
    # The cases must reach every regime the shortcuts treat differently.
    assert min(seen.values()) >= 20, seen
