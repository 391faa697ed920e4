"""Left-to-right float sums of long runs of repeated values, bit for bit, without adding the values one by one.

SCALE-Sim averages per-fold ratios with ``sum(list) / len(list)`` (get_avg_mapping_efficiency,
get_avg_compute_utilization): Python 3.11 adds the floats one after another, each addition rounded. The per-fold
values of a layer take a handful of distinct values in a repeating pattern (every column fold: its full row folds,
then the last), so a layer with tens of millions of folds is a few runs repeated -- and the rounded running sum can
be followed a binade at a time:

While the running sum S stays in one binade [2**(e-1), 2**e), every representable number there is a multiple of
u = 2**(e-53) and S is one, so ``fl(S + v)`` = S + u * round(v / u) (round half to even decides only when v / u is
exactly half an integer, and then the result depends on S: those steps are added for real). Away from the binade's
top, a whole pattern therefore adds the same exact multiple of u; all the patterns that cannot reach the top are
added at once, in integers, and the few steps across a binade boundary are added for real (numpy's
``add.accumulate``, which rounds each addition in order as Python's ``sum`` does). A binade boundary is crossed at
most ~60 times, so the cost does not grow with the number of folds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Run = tuple[float, int]  # (value, how many times in a row)
STEPS_AT_ONCE = 1 << 12  # steps added for real at a time where whole patterns cannot be skipped


def _skippable(total: float, pattern: Sequence[Run], times: int) -> tuple[int, float]:
    """How many whole patterns can be added in integer multiples of the binade's unit from ``total`` without any
    addition reaching the next binade, and the sum after them: (0, total) if none, or if some value sits exactly
    half a unit off the grid (ties to even depend on the running sum)."""
    if total <= 0.0 or not math.isfinite(total):
        return 0, total
    _, exponent = math.frexp(total)  # total = mantissa * 2**exponent, mantissa in [0.5, 1)
    unit = math.ldexp(1.0, exponent - 53)
    steps = 0
    for value, count in pattern:
        quotient = value / unit  # exact: unit is a power of two
        if quotient < 0 or quotient % 1.0 == 0.5:
            return 0, total
        steps += round(quotient) * count
    units = int(total / unit)
    largest = max(math.ceil(value / unit) for value, _ in pattern)
    room = 2**53 - units - largest  # every partial sum plus one more value stays below 2**exponent
    whole = times if steps == 0 else min(times, room // steps - 1)
    if whole <= 0:
        return 0, total
    return whole, float(units + whole * steps) * unit  # < 2**53 units: exact


def _add_run(total: float, value: float, count: int) -> float:
    """``total`` plus ``value``, ``count`` times, each addition rounded in turn."""
    while count > 0:
        whole, total = _skippable(total, [(value, 1)], count)
        count -= whole
        if count > 0:
            take = min(count, STEPS_AT_ONCE)
            total = float(np.add.accumulate(np.concatenate([[total], np.full(take, value)]))[-1])
            count -= take
    return total


def add_pattern(total: float, pattern: Sequence[Run], times: int) -> float:
    """``total`` plus the runs of ``pattern`` (values in order, each repeated its count), the whole pattern
    ``times`` times over, every addition rounded in turn: what ``sum`` gives on the flattened list (plus total)."""
    pattern = [(float(value), count) for value, count in pattern if count > 0]
    while times > 0 and pattern:
        whole, total = _skippable(total, pattern, times)
        times -= whole
        if times > 0:  # one pattern across the binade boundary, each run skipping what it can
            for value, count in pattern:
                total = _add_run(total, value, count)
            times -= 1
    return total
