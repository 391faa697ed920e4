"""A calibrated single-step estimate, warm (issue 13's target: under 5 ms), and what fitting the calibration costs
once per process.

A measurement, not a test: timings on a shared machine are quoted in notes, never asserted.

    .venv/bin/python benchmarks/bench_calibrated_step.py
"""

from __future__ import annotations

import time

from timing import median_ms

from chiplab.hardware import load_chip
from chiplab.perf import Calibration, estimate_step, estimate_training
from chiplab.perf.calibration_errors import leave_one_source_out
from chiplab.perf.calibration_fit import default_fit
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model


def main() -> None:
    start = time.perf_counter()
    default_fit()
    print(f"fit of the micro-benchmark record (once per process): {(time.perf_counter() - start) * 1e3:.0f} ms")
    model = load_model("llama3-8b")
    for chip_id in ("h100_sxm", "tpu_v5p", "trainium2"):
        chip = load_chip(chip_id)
        step = model.training_step(batch=1, seq_len=2048)
        estimate_step(step, chip)  # warm: the chip's GEMM placements are cached
        calibrated = median_ms(lambda chip=chip, step=step: estimate_step(step, chip))
        ideal = median_ms(lambda chip=chip, step=step: estimate_step(step, chip, Calibration.ideal()))
        print(f"{chip_id}: calibrated training step {calibrated:.2f} ms warm (ideal {ideal:.2f} ms; target < 5 ms)")
    chip = load_chip("h100_sxm")
    setup = dict(parallelism=Parallelism(tensor=8, data=4), global_batch=32, seq_len=2048)
    estimate_training(model, chip, **setup)
    print(f"h100_sxm: calibrated estimate_training {median_ms(lambda: estimate_training(model, chip, **setup)):.2f} "
          "ms warm")
    start = time.perf_counter()
    leave_one_source_out()
    print(f"leave-one-source-out over every source: {(time.perf_counter() - start) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
