"""Issue 17, USER mode: UserReadBuffer.line_offset's closed form against SCALE-Sim 3.0.0's per-prefetch loop.

The reference is ``scalesim/memory/read_buffer.py`` service_reads transcribed statement by statement: per prefetch
j (ending on cycle ``-1 + j * (lines + 1)``), ``potential = last_prefetch_cycle - (cycle + offset)``,
``offset += potential``, and ``offset += potential`` again when it is positive (its double counting).
"""

from __future__ import annotations

import random

import numpy as np

from chiplab.scalesim.read_buffer import UserReadBuffer


def scalesim_offset(done: int, count: int, prefetch_lines: int, cycle: int) -> int:
    offset = 1
    for j in range(done + 1, done + count + 1):
        potential = -1 + j * (prefetch_lines + 1) - (cycle + offset)
        offset += potential
        if potential > 0:
            offset += potential
    return offset


def test_closed_form_equals_scalesim_loop() -> None:
    rng = random.Random(17)
    cases = [(rng.randint(0, 60), rng.randint(1, 12), rng.randint(1, 40), rng.randint(-60, 2500))
             for _ in range(3000)]
    # edges: a line served exactly on a prefetch's end, lateness exactly Q, one prefetch
    cases += [(d, c, p, -1 + (d + 1) * (p + 1) - 1 - late) for d in (0, 3) for c in (1, 2, 3, 4) for p in (1, 5)
              for late in (-1, 0, 1, p, p + 1, p + 2)]
    for done, count, lines, cycle in cases:
        buffer = UserReadBuffer(event_lines=np.array([0]), event_counts=np.array([count]),
                                prefetches_before=np.array([done]), first_fill_lines=1, prefetch_lines=lines,
                                words_per_line=1)
        assert buffer.line_offset(0, cycle) == scalesim_offset(done, count, lines, cycle), (done, count, lines, cycle)


def test_reference_loop_can_fail() -> None:
    # The double counting matters: one late prefetch (potential 5) moves the offset by 2 x 5, not 5.
    assert scalesim_offset(0, 1, 9, 3) == 1 + 2 * (9 - 4)
