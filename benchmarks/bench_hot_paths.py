"""Speed of the hot paths that tests used to time (wall-clock assertions are flaky on shared CI, so they live here).

Targets: the cached catalog answers without parsing TOML (1000 × every chip well under 1 s); building a Llama 3
405B training or decode step ≤ 10 ms; one evaluation of a cost comparison's sensitivity metric well under a
slider's frame.

Run: .venv/bin/python benchmarks/bench_hot_paths.py
"""

from __future__ import annotations

import inspect
import time

from timing import median_ms

from chiplab.cost import claim_sensitivity
from chiplab.cost.claims import claim_scenario
from chiplab.hardware import list_chips, load_chip
from chiplab.workloads import llm_steps
from chiplab.workloads.presets import load_model


def main() -> None:
    chips = list_chips()
    load_chip(chips[0])
    ms = median_ms(lambda: [load_chip(chip_id) for _ in range(1000) for chip_id in chips], repeats=3)
    print(f"load_chip, 1000 × {len(chips)} chips (cached)               {ms:8.1f} ms")
    config = load_model("llama3-405b")
    ms = median_ms(lambda: inspect.unwrap(llm_steps.training_step)(config, batch=1, seq_len=8192, recompute="full"))
    print(f"Llama 3 405B training step built (uncached)            {ms:8.2f} ms")
    ms = median_ms(lambda: inspect.unwrap(llm_steps.decode_step)(config, batch=64, context_len=8192))
    print(f"Llama 3 405B decode step built (uncached)              {ms:8.2f} ms")
    claim = claim_scenario()
    claim_sensitivity(claim)  # warm the performance model's cache
    start = time.perf_counter()
    result = claim_sensitivity(claim)
    elapsed_ms = (time.perf_counter() - start) * 1000
    print(f"claim sensitivity, {len(result.parameters)} assumptions (warm cache)        {elapsed_ms:8.1f} ms")


if __name__ == "__main__":
    main()
