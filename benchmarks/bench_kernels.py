"""Speed of the kernel simulator (chiplab.kernels) and its explorer.

Targets (issue 15): a 4096 x 4096 x 4096 bf16 tiled matmul kernel on a Trainium2 core simulates with values and
time in < 2 s and time-only in < 200 ms; the explorer redraws in < 100 ms. numpy's own fp32 product of the same
size, on one BLAS thread, is printed for scale, and the same block products the simulator multiplies as the
floor the values mode cannot beat with this tiling. Wall and CPU seconds are both printed: on a busy shared machine the
CPU seconds are the fairer measure (and the load average is printed first).

Run on one core: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_kernels.py
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from chiplab.explore.kernels import KernelExplorer
from chiplab.kernels import core_params, default_tiling, run_attention, run_matmul


def _best_s(action, repeats: int = 3) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return min(samples)


def _wall_and_cpu_s(action) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, this process) of one ``action()``: on a shared machine the
    wall clock counts time spent waiting for a core, the CPU time does not."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_matmul_4096(repeats: int = 3) -> None:
    shape = (4096, 4096, 4096)
    m, n, k = shape
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores; OMP/OPENBLAS_NUM_THREADS = {os.environ.get('OMP_NUM_THREADS')}/"
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}")
    run_matmul("trn2", shape=(512, 512, 512), values=False)  # load the catalog once
    time_only = [_wall_and_cpu_s(lambda: run_matmul("trn2", shape=shape, values=False)) for _ in range(3)]
    run = run_matmul("trn2", shape=shape, values=False)
    print(f"4096^3 bf16 double-buffered on trn2, time-only  {min(w for w, _ in time_only) * 1e3:8.1f} ms wall, "
          f"{min(c for _, c in time_only) * 1e3:5.1f} ms CPU ({run.timeline.num_instructions:,} instructions; "
          f"target < 200 ms)")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    # The values mode multiplies the matmuls of one block (block_m x block_n outputs, issued before any result is
    # read) as one (block_m x K) @ (K x block_n) product (chiplab.kernels.chains); the same products straight in
    # numpy are the floor the simulator cannot beat with this tiling.
    tiling = default_tiling(core_params("trn2"), "double_buffered", shape)
    left, right = a[:tiling.block_m], b[:, :tiling.block_n]
    num_blocks = (m // tiling.block_m) * (n // tiling.block_n)
    values_s, floor_s = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeats):   # interleaved, so a busy spell on a shared machine hits both alike
            values_s.append(_wall_and_cpu_s(lambda: run_matmul("trn2", a, b)))
            floor_s.append(_wall_and_cpu_s(lambda: [left @ right for _ in range(num_blocks)]))
        whole_s = _wall_and_cpu_s(lambda: a @ b)
    values_wall, values_cpu = min(w for w, _ in values_s), min(c for _, c in values_s)
    floor_wall, floor_cpu = min(w for w, _ in floor_s), min(c for _, c in floor_s)
    print(f"4096^3 bf16 double-buffered on trn2, values+time {values_wall:8.2f} s wall, {values_cpu:5.2f} s CPU "
          f"(target < 2 s)")
    print(f"numpy, the same {num_blocks} block products (1 thread) {floor_wall:8.2f} s wall, {floor_cpu:5.2f} s CPU "
          f"(the floor of this tiling)")
    print(f"numpy a @ b (fp32, one BLAS thread), for scale   {whole_s[0]:8.2f} s wall, {whole_s[1]:5.2f} s CPU")
    print(f"simulator overhead over the block products       {values_cpu - floor_cpu:8.2f} s CPU "
          f"({values_cpu / floor_cpu:.2f} x the floor)")


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
