"""Speed of the systolic models (issue: closed form <= 50 µs per layer; simulator >= 1e8 PE-updates/s).

Run: .venv/bin/python benchmarks/bench_systolic.py   (numbers go in the closing note, not in assertions)
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from chiplab import Conv2d, Gemm, SystolicArraySpec, estimate, simulate

# ResNet-50 layer shapes (He et al., CVPR 2016, Table 1), as im2col GEMMs.
RESNET50_LAYERS = [
    Conv2d(ifmap_h=224, ifmap_w=224, filter_h=7, filter_w=7, channels=3, num_filters=64, stride=2, padding=3),
    Conv2d(ifmap_h=56, ifmap_w=56, filter_h=1, filter_w=1, channels=64, num_filters=64),
    Conv2d(ifmap_h=56, ifmap_w=56, filter_h=3, filter_w=3, channels=64, num_filters=64, padding=1),
    Conv2d(ifmap_h=28, ifmap_w=28, filter_h=3, filter_w=3, channels=128, num_filters=128, padding=1),
    Conv2d(ifmap_h=14, ifmap_w=14, filter_h=3, filter_w=3, channels=256, num_filters=256, padding=1),
    Conv2d(ifmap_h=7, ifmap_w=7, filter_h=3, filter_w=3, channels=512, num_filters=512, padding=1),
]


def bench_closed_form(repeats: int = 2000) -> None:
    array = SystolicArraySpec(num_rows=128, num_cols=128)
    gemms = [layer.to_gemm() for layer in RESNET50_LAYERS] + [Gemm(m=1024, n=1024, k=1024)]
    for convention in ("pipelined",):
        for flow in ("ws", "os", "is"):
            samples = []
            for _ in range(repeats // len(gemms)):
                for gemm in gemms:
                    start = time.perf_counter()
                    estimate(gemm, array, flow, convention)
                    samples.append(time.perf_counter() - start)
            print(f"closed form  {convention:>9} {flow}: median {statistics.median(samples) * 1e6:6.1f} µs/layer, "
                  f"p95 {sorted(samples)[int(0.95 * len(samples))] * 1e6:6.1f} µs")


def bench_simulator(size: int = 128, n: int = 512) -> None:
    array = SystolicArraySpec(num_rows=size, num_cols=size)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    for flow in ("ws", "os", "is"):
        start = time.perf_counter()
        run = simulate(a, b, array, flow)
        elapsed = time.perf_counter() - start
        rate = run.total_cycles * array.num_pes / elapsed
        print(f"simulator {size}x{size} {flow}: {n}^3 GEMM, {run.total_cycles:,} cycles in {elapsed:.2f} s "
              f"= {rate:.3g} PE-updates/s")


if __name__ == "__main__":
    bench_closed_form()
    bench_simulator()
