"""Speed of the memory and performance models (issue targets: tile search <= 10 ms; a full model-on-chip estimate
well under 100 ms, so it can drive a slider).

Run: .venv/bin/python benchmarks/bench_perf.py
"""

from __future__ import annotations

from timing import median_ms as _median_ms

from chiplab import Gemm
from chiplab.hardware import load_chip
from chiplab.memory import best_tiling, core_view
from chiplab.perf import estimate_serving, estimate_step, estimate_training, gemm_on_chip
from chiplab.perf.chip_gemm import gemm_on_chip as cached_gemm_on_chip
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model


def main() -> None:
    for chip_id in ("trainium2", "h100_sxm", "tpu_v5p"):
        view = core_view(load_chip(chip_id))
        ms = _median_ms(lambda v=view: best_tiling(Gemm(m=8192, n=8192, k=8192), v))
        print(f"tile search, 8192^3 on one {chip_id} core        {ms:7.2f} ms")
    model = load_model("llama3-70b")
    for chip_id in ("trainium2", "h100_sxm", "tpu_v5p"):
        chip = load_chip(chip_id)
        step = model.training_step(batch=1, seq_len=4096)

        def cold(chip=chip, step=step):
            cached_gemm_on_chip.cache_clear()
            estimate_step(step, chip)

        print(f"Llama 3 70B training step on {chip_id:<10} cold {_median_ms(cold, 5):7.1f} ms, "
              f"warm {_median_ms(lambda c=chip, s=step: estimate_step(s, c)):6.2f} ms")
        par = Parallelism(tensor=8, pipeline=4, data=64, zero_stage=1)
        ms = _median_ms(lambda c=chip, p=par: estimate_training(model, c, parallelism=p, global_batch=512, seq_len=4096,
                                                         recompute="full"))
        print(f"  ... 2048-chip training estimate (warm)                {ms:6.2f} ms")
        ms = _median_ms(lambda c=chip: estimate_serving(model, c, batch=16, prompt_len=2048, output_len=256,
                                                        tensor_parallel=8))
        print(f"  ... serving estimate, TP 8 (warm)                     {ms:6.2f} ms")
    print(f"gemm_on_chip cache: {gemm_on_chip.cache_info()}")


if __name__ == "__main__":
    main()
