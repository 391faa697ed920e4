"""The one timing helper of the benchmark scripts (they run as ``python benchmarks/bench_x.py``, so this module is
importable as ``timing``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(action: Callable[[], object], repeats: int = 20) -> float:
    """Median wall-clock milliseconds of ``action()`` over ``repeats`` calls (the median shrugs off a slow call)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
