"""Speed of the kernel simulator (chiplab.kernels) and its explorer.

Targets (issue 15): a 4096 x 4096 x 4096 bf16 tiled matmul kernel on a Trainium2 core simulates with values and
time in < 2 s and time-only in < 200 ms; the explorer redraws in < 100 ms. numpy's own fp32 product of the same
size, on one BLAS thread, is printed as the floor the values mode cannot beat on this machine.

Run: .venv/bin/python benchmarks/bench_kernels.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from chiplab.explore.kernels import KernelExplorer
from chiplab.kernels import run_attention, run_matmul


def _best_s(action, repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return min(samples)


def bench_matmul_4096() -> None:
    shape = (4096, 4096, 4096)
    run_matmul("trn2", shape=(512, 512, 512), values=False)  # load the catalog once
    time_only = _best_s(lambda: run_matmul("trn2", shape=shape, values=False))
    run = run_matmul("trn2", shape=shape, values=False)
    print(f"4096^3 bf16 double-buffered on trn2, time-only  {time_only * 1e3:8.1f} ms "
          f"({run.timeline.num_instructions:,} instructions; target < 200 ms)")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4096, 4096), dtype=np.float32)
    b = rng.standard_normal((4096, 4096), dtype=np.float32)
    with_values = _best_s(lambda: run_matmul("trn2", a, b), repeats=1)
    print(f"4096^3 bf16 double-buffered on trn2, values+time {with_values:8.2f} s  (target < 2 s)")
    with threadpool_limits(limits=1, user_api="blas"):
        floor = _best_s(lambda: a @ b, repeats=1)
    print(f"numpy a @ b (fp32, one BLAS thread), for scale   {floor:8.2f} s")
    print(f"values+time / numpy's own product                 {with_values / floor:8.2f} x")


def bench_attention() -> None:
    for variant in ("unfused", "flash"):
        seconds = _best_s(lambda v=variant: run_attention("trn2", shape=(4096, 128), variant=v, values=False))
        print(f"attention seq 4096, d 128 ({variant:7s}), time-only   {seconds * 1e3:8.1f} ms")


def bench_explorer() -> None:
    explorer = KernelExplorer("trainium2", 1024, 2, 2, 2, "ws")
    samples = []
    for control, value in [(explorer.buffers, 1), (explorer.buffers, 2), (explorer.block_n, 1),
                           (explorer.block_n, 2), (explorer.dataflow, "os"), (explorer.dataflow, "ws")] * 3:
        start = time.perf_counter()
        control.value = value
        samples.append(time.perf_counter() - start)
    print(f"kernel explorer redraw (1024^3 on trn2), median   {statistics.median(samples) * 1e3:8.1f} ms "
          f"(target < 100 ms)")


if __name__ == "__main__":
    bench_matmul_4096()
    bench_attention()
    bench_explorer()
