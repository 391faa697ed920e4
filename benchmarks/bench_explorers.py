"""Responsiveness of every explorer: model + redraw per control change (target: well under 100 ms median).

Run: .venv/bin/python benchmarks/bench_explorers.py
"""

from __future__ import annotations

import statistics
import time

from chiplab.explore import SystolicExplorer


def _median_ms(control, values) -> float:
    samples = []
    for value in values:
        start = time.perf_counter()
        control.value = value
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_systolic() -> None:
    small = SystolicExplorer(num_rows=4, num_cols=4, dataflow="ws", m=6, n=5, k=4)
    print(f"systolic 4x4 (values)  cycle scrub   {_median_ms(small.cycle, [i % 18 for i in range(1, 60)]):6.1f} ms")
    print(f"systolic 4x4 (values)  m change      {_median_ms(small.m, [3 + i % 6 for i in range(30)]):6.1f} ms")
    print(f"systolic 4x4 (values)  dataflow      {_median_ms(small.dataflow, ['os', 'is', 'ws'] * 5):6.1f} ms")
    print(f"systolic  (values)     rows change   {_median_ms(small.rows, [2 + i % 6 for i in range(20)]):6.1f} ms")
    big = SystolicExplorer(num_rows=128, num_cols=128, dataflow="ws", m=1024, n=256, k=256)
    print(f"systolic 128x128       cycle scrub   {_median_ms(big.cycle, [i * 37 for i in range(1, 60)]):6.1f} ms")
    print(f"systolic 128x128       m change      {_median_ms(big.m, [1000 + i for i in range(30)]):6.1f} ms")
    print(f"systolic 128-256       rows change   {_median_ms(big.rows, [128 + i * 8 for i in range(16)]):6.1f} ms")


if __name__ == "__main__":
    bench_systolic()
