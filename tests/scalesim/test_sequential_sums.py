"""Issue 17: left-to-right float sums of repeated runs (chiplab.scalesim.sequential_sums) against the additions done
one by one (numpy's add.accumulate rounds each addition in order, as Python 3.11's sum() does; checked here against
sum() itself on short lists), bit for bit."""

from __future__ import annotations

import random

import numpy as np
import pytest

from chiplab.scalesim.sequential_sums import add_pattern


def _one_by_one(total: float, pattern: list[tuple[float, int]], times: int) -> float:
    values = np.concatenate([np.full(count, value) for value, count in pattern] * times + [np.zeros(0)])
    return float(np.add.accumulate(np.concatenate([[total], values]))[-1])


def _random_value(rng: random.Random) -> float:
    """Ratios like SCALE-Sim's per-fold ones (dyadic: used / (R*C) with R*C a power of two; or not: divided by a
    fold's cycles), tiny and large values, zero, and values a few units off a power of two."""
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randint(1, 64 * 64) / rng.choice([64, 256, 1024, 4096])
    if kind == 1:
        return rng.randint(1, 10**6) / rng.randint(1, 10**6)
    if kind == 2:
        return rng.choice([0.0, 1e-12, 3.0e-7, 1e6, 2.0**-30])
    if kind == 3:
        return float(np.nextafter(2.0 ** rng.randint(-8, 4), rng.choice([0.0, 1e9])))
    return rng.random()


def test_python_sum_is_the_one_by_one_reference():
    rng = random.Random(5)
    for _ in range(200):
        values = [_random_value(rng) for _ in range(rng.randint(1, 40))]
        assert sum(values) == _one_by_one(0.0, [(v, 1) for v in values], 1)


@pytest.mark.slow
def test_repeated_patterns_match_the_additions_one_by_one():
    """400 random patterns (one to four runs of up to 3000 values) repeated up to 2000 times from random starts:
    the closed form must equal the sum added one value at a time, to the last bit."""
    rng = random.Random(1717)
    skipped_most = 0
    for _ in range(400):
        pattern = [(_random_value(rng), rng.choice([1, 1, 2, 7, rng.randint(1, 3000)]))
                   for _ in range(rng.randint(1, 4))]
        times = rng.choice([1, 2, rng.randint(1, 2000)])
        start = rng.choice([0.0, 0.0, _random_value(rng), 1e9 * rng.random()])
        assert add_pattern(start, pattern, times) == _one_by_one(start, pattern, times), (start, pattern, times)
        skipped_most += times * sum(count for _, count in pattern) > 10_000
    assert skipped_most >= 40, skipped_most  # long sums, where whole binades are skipped, are well covered


@pytest.mark.slow
def test_a_long_sum_crosses_many_binades():
    """1e7 values of 0.1 (not dyadic: every addition rounds) and of 1/3 in a pattern: 23 binades crossed."""
    pattern = [(0.1, 9), (1 / 3, 1)]
    assert add_pattern(0.0, pattern, 10**6) == _one_by_one(0.0, pattern, 10**6)
