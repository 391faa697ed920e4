"""Responsiveness of every explorer: model + redraw per control change (target: well under 100 ms median).

Run: .venv/bin/python benchmarks/bench_explorers.py
"""

from __future__ import annotations

import statistics
import time

from chiplab.explore import MemoryExplorer, RooflineExplorer, SystolicExplorer


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


def bench_memory() -> None:
    e = MemoryExplorer(chip="trainium2", dtype="bf16", m=128, n=8192, k=8192)
    print(f"memory trn2            m change      {_median_ms(e.m, [64, 128, 256, 512, 1024, 2048] * 3):6.1f} ms")
    print(f"memory trn2            k change      {_median_ms(e.k, [2048, 4096, 8192, 16384] * 4):6.1f} ms")
    print(f"memory trn2            format        {_median_ms(e.dtype, ['fp8', 'bf16'] * 6):6.1f} ms")
    print(f"memory trn2            HBM what-if   {_median_ms(e.hbm, [0.5, 1.0, 2.0, 4.0] * 4):6.1f} ms")
    print(f"memory trn2            SBUF what-if  {_median_ms(e.scratchpad, [0.25, 0.5, 1.0, 2.0] * 4):6.1f} ms")
    print(f"memory trn2            double buffer {_median_ms(e.double_buffered, [False, True] * 6):6.1f} ms")
    print(f"memory trn2            auto toggle   {_median_ms(e.auto, [False, True] * 6):6.1f} ms")
    e.auto.value = False
    print(f"memory trn2 (by hand)  tile_m        {_median_ms(e.tile_m, [8, 16, 32, 64, 128] * 3):6.1f} ms")
    print(f"memory trn2 (by hand)  tile_n        {_median_ms(e.tile_n, [512, 1024, 2048, 4096] * 3):6.1f} ms")
    print(f"memory trn2 (by hand)  tile_k        {_median_ms(e.tile_k, [128, 256, 512, 1024] * 3):6.1f} ms")
    e.auto.value = True
    chips = ["tpu_v5e", "trainium2", "h100_sxm", "toy_4x4"] * 3
    print(f"memory                 chip change   {_median_ms(e.chip, chips):6.1f} ms")


def bench_roofline() -> None:
    e = RooflineExplorer(chips=("tpu_v5e", "trainium2", "h100_sxm"), dtype="bf16", m=8, n=8192, k=8192)
    print(f"roofline 3 chips       m slide       {_median_ms(e.m, [2**i for i in range(16)] * 2):6.1f} ms")
    print(f"roofline 3 chips       n change      {_median_ms(e.n, [4096, 8192, 16384] * 4):6.1f} ms")
    print(f"roofline 3 chips       k change      {_median_ms(e.k, [4096, 8192, 16384] * 4):6.1f} ms")
    print(f"roofline 3 chips       format        {_median_ms(e.dtype, ['fp8', 'bf16', 'int8', 'bf16'] * 3):6.1f} ms")
    print(f"roofline 3 chips       convention    "
          f"{_median_ms(e.convention, ['macs_per_byte', 'flops_per_byte'] * 5):6.1f} ms")
    selections = [("tpu_v5e", "trainium2"), ("tpu_v5e", "trainium2", "h100_sxm"), ("tpu_v6e", "b200", "mi300x")]
    print(f"roofline               chips change  {_median_ms(e.chips, selections * 4):6.1f} ms")



# --- LLM step explorer ------------------------------------------------------------------------------------------
# Each series starts from the explorer's default setting with estimate_llm's cache cleared and visits distinct,
# valid values, so every change runs the model afresh (a revisited setting answers from the cache); GEMM
# placements stay cached across series, as they do in a live session. "errors" counts changes that showed a
# message instead of a figure (those answer in well under a millisecond and would flatter the median).

from chiplab.explore import LLMExplorer  # noqa: E402
from chiplab.perf.llm import estimate_llm  # noqa: E402

LLM_DEFAULTS = {"model": "llama3_8b", "chip": "trainium2", "mode": "training", "batch": 32, "seq_len": 4096,
                "output_len": 256, "tensor": 4, "pipeline": 1, "data": 8, "recompute": "selective"}


def _llm_series(explorer, label: str, control: str, values, mode: str = "training", cached: bool = False) -> None:
    for name, value in {**LLM_DEFAULTS, "mode": mode}.items():
        getattr(explorer, name).value = value
    if not cached:
        estimate_llm.cache_clear()
    samples, errors = [], 0
    for value in values:
        start = time.perf_counter()
        getattr(explorer, control).value = value
        samples.append((time.perf_counter() - start) * 1000)
        errors += "Not possible" in explorer.message.widget.value
    print(f"llm {label:<19}{control:<14}{statistics.median(samples):6.1f} ms  (max {max(samples):5.1f}, "
          f"{errors} errors)")


def bench_llm() -> None:
    e = LLMExplorer(**LLM_DEFAULTS)
    _llm_series(e, "training", "batch", [16, 64, 128, 8, 256])
    _llm_series(e, "training", "seq_len", [512, 1024, 2048, 8192, 256])
    _llm_series(e, "training", "tensor", [8, 2, 16, 32, 2])
    _llm_series(e, "training", "data", [2, 4, 16, 32, 1])
    _llm_series(e, "training", "pipeline", [2, 4, 8, 16, 32])
    _llm_series(e, "training", "recompute", ["none", "full", "selective", "full"])
    _llm_series(e, "training", "chip", ["tpu_v5p", "h100_sxm", "a100_80gb", "trainium3", "tpu_v5p", "h200"])
    _llm_series(e, "training", "model", ["llama32_3b", "llama3_8b", "llama32_3b", "llama3_8b"])
    _llm_series(e, "training", "mode", ["prefill", "decode", "training", "decode", "prefill"])
    _llm_series(e, "decode", "batch", [1, 2, 4, 8, 16, 64, 128, 256], mode="decode")
    _llm_series(e, "decode", "seq_len", [512, 1024, 2048, 8192, 16384], mode="decode")
    _llm_series(e, "decode", "output_len", [64, 128, 512, 1024, 2048], mode="decode")
    _llm_series(e, "decode", "tensor", [1, 2, 8, 2, 1], mode="decode")
    _llm_series(e, "decode (cached)", "batch", [1, 2, 4, 8, 16, 64, 128, 256] * 2, mode="decode", cached=True)


# --- cost and design-your-own-chip explorers ----------------------------------------------------------------------


def _series_ms(explorer, control: str, values: list) -> str:
    """Median and max ms per change of ``control`` over ``values`` (first visits are model cache misses)."""
    samples = []
    for value in values:
        start = time.perf_counter()
        getattr(explorer, control).value = value
        samples.append((time.perf_counter() - start) * 1000)
    assert "Not possible" not in explorer.message.widget.value, explorer.message.widget.value
    return f"{statistics.median(samples):6.1f} ms  (max {max(samples):5.1f})"


def bench_cost() -> None:
    from chiplab.cost.scenarios import WORKLOADS
    from chiplab.explore.cost import CostExplorer

    e = CostExplorer("trainium2", "h200", "pre-train Llama 3 70B", 1e12)
    print(f"cost trn2 vs h200      what-if price {_series_ms(e, 'what_if_a', [2.0, 3.0, 4.0, 5.0] * 3)}")
    print(f"cost trn2 vs h200      utilisation   {_series_ms(e, 'utilization', [0.5, 0.6, 0.7, 0.8, 0.9, 1.0] * 2)}")
    print(f"cost trn2 vs h200      tokens        {_series_ms(e, 'tokens', [1e9, 1e10, 1e11, 1e12] * 3)}")
    print(f"cost trn2 vs h200      A matmul eff. {_series_ms(e, 'matmul_a', [0.5, 0.6, 0.7, 0.8, 0.9, 1.0] * 2)}")
    print(f"cost trn2 vs h200      owner capex   {_series_ms(e, 'capex', [20000.0, 30000.0, 40000.0] * 3)}")
    print(f"cost trn2 vs h200      owner PUE     {_series_ms(e, 'pue', [1.1, 1.3, 1.58, 2.0] * 3)}")
    print(f"cost trn2 vs h200      B price kind  {_series_ms(e, 'price_b', [0, 'what-if', 'own'] * 3)}")
    print(f"cost                   workload      {_series_ms(e, 'workload', list(WORKLOADS) * 2)}")
    print(f"cost                   chip B        "
          f"{_series_ms(e, 'chip_b', ['h100_sxm', 'tpu_v5p', 'a100_80gb', 'h200'] * 2)}")
    start = time.perf_counter()
    e.tornado_button.click()
    print(f"cost                   tornado click {(time.perf_counter() - start) * 1000:6.1f} ms  (on request)")


def bench_design() -> None:
    from chiplab.explore.design import DesignExplorer

    e = DesignExplorer("trainium2", "pre-train Llama 3 70B")
    print(f"design trn2            price         {_series_ms(e, 'price', [2.0, 3.0, 4.0, 5.0] * 3)}")
    print(f"design trn2            array rows    {_series_ms(e, 'rows', [64, 256, 512, 128] * 3)}")
    print(f"design trn2            clock         {_series_ms(e, 'clock', [1.0e9, 1.5e9, 2.0e9, 2.4e9] * 3)}")
    print(f"design trn2            HBM bandwidth {_series_ms(e, 'hbm', [1.2e12, 2.0e12, 4.8e12, 2.9e12] * 3)}")
    print(f"design trn2            cores         {_series_ms(e, 'cores', [4, 16, 32, 8] * 3)}")
    print(f"design trn2            scratchpad    "
          f"{_series_ms(e, 'sram', [value for _, value in e.sram.options][2:8] * 2)}")
    print(f"design                 base chip     "
          f"{_series_ms(e, 'base', ['h100_sxm', 'tpu_v5p', 'tpu_v4', 'trainium2'] * 2)}")


if __name__ == "__main__":
    bench_systolic()
    bench_memory()
    bench_roofline()
    bench_llm()
    bench_cost()
    bench_design()
