"""TPU v6e's matmul efficiency comes from its own measurement (an XLA bf16 8192^3 GEMM at 727.7 TFLOPS by JAX
profiler device time: yangwhale/gpu-tpu-pedia results_trace_test.csv, 79.3 % of 918 TFLOPS), not from TPU v5e's
(92.3 % of 197 TFLOPS, the JAX Pallas matmul notebook), which it took before it had an entry.

The fit's rule (README of chiplab/data/measurements/): efficiency = the ideal model's time for the same GEMM on the
same chip ÷ the measured time; a chip without an entry takes the median over its family's chips.
"""

import statistics

import pytest

from chiplab.hardware import load_chip
from chiplab.perf.calibration_fit import default_fit
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.workloads.gemm import Gemm

GEMM = Gemm(m=8192, n=8192, k=8192, dtype="bf16")


def test_v6e_bf16_is_fitted_from_its_own_entry():
    found = default_fit().factor("matmul", "tpu_v6e", "bf16")
    assert found.level == "own" and found.entry_ids == ("xla_dot_tpu_v6e_bf16_8192_trace",)
    measured_s = 1510.94375e-6  # the trace's median device duration
    assert found.value == pytest.approx(gemm_on_chip(GEMM, load_chip("tpu_v6e")).time_s / measured_s)


def test_tpu_peers_without_an_entry_take_the_median_of_v5e_and_v6e():
    fit = default_fit()
    v5e, v6e = (fit.factor("matmul", chip, "bf16").value for chip in ("tpu_v5e", "tpu_v6e"))
    assert v6e < v5e  # 256x256 MXUs reach less of their peak on the same GEMM than v5e's 128x128
    for chip in ("tpu_v5p", "tpu_v4"):
        found = fit.factor("matmul", chip, "bf16")
        assert found.level == "family tpu" and found.value == pytest.approx(statistics.median([v5e, v6e]))
