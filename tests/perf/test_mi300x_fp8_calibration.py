"""MI300X's FP8 matmul efficiency comes from its own measurement (hipblaslt-bench, 8192^3, 907 TFLOPS: ROCm/hipBLASLt
issue #1721), not from the GPU family's median, which only NVIDIA FP8 entries made (71-76 % of their peaks, where
MI300X's hipBLASLt run reaches 35 % of its 2614.9 TFLOPS).

The fit's rule (README of chiplab/data/measurements/): efficiency = the ideal model's time for the same GEMM on the same
chip ÷ the measured time, so 907e12 FLOP/s gives modelled_s / (2 · 8192³ / 907e12).
"""

import pytest

from chiplab.hardware import load_chip
from chiplab.perf.calibration_fit import default_fit
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.workloads.gemm import Gemm

GEMM = Gemm(m=8192, n=8192, k=8192, dtype="fp8")


def test_mi300x_fp8_is_fitted_from_its_own_entry():
    found = default_fit().factor("matmul", "mi300x", "fp8")
    assert found.level == "own" and found.entry_ids == ("hipblaslt_bench_mi300x_fp8_8192",)
    measured_s = GEMM.num_flops / 907e12
    assert found.value == pytest.approx(gemm_on_chip(GEMM, load_chip("mi300x")).time_s / measured_s)


def test_mi300x_fp8_reaches_less_of_its_peak_than_its_bf16_and_than_nvidia_fp8():
    fit = default_fit()
    fp8, bf16 = fit.factor("matmul", "mi300x", "fp8").value, fit.factor("matmul", "mi300x", "bf16").value
    assert fp8 < bf16  # 907 / 2614.9 TFLOPS against 668.4 / 1307.4 (mamf_mi300x_bf16)
    assert all(fp8 < fit.factor("matmul", chip, "fp8").value for chip in ("h100_sxm", "h200", "b200"))
