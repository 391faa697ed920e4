"""Mixed precision (issue 12, item 4): weights stored narrower than the arithmetic, accumulators, bad combinations."""

import dataclasses

import pytest

from chiplab import ChiplabInputError, Gemm
from chiplab.hardware import load_chip
from chiplab.perf import Calibration, estimate_serving, gemm_on_chip
from chiplab.workloads.presets import load_model


def test_int4_weights_take_half_a_byte():
    """4096 × 4096 int4 weights: 16,777,216 values at 4 bits = 8 MiB; the bf16 activations stay 2 bytes."""
    gemm = Gemm(m=8, n=4096, k=4096, weight_dtype="int4")
    assert gemm.b_bytes == 4096 * 4096 // 2
    assert gemm.unique_bytes == (8 * 4096 + 8 * 4096) * 2 + 4096 * 4096 // 2
    assert repr(gemm) == "Gemm(m=8, n=4096, k=4096, dtype='bf16', weight_dtype='int4')"
    assert Gemm(m=1, n=1, k=1, weight_dtype="bf16") == Gemm(m=1, n=1, k=1)  # same width: nothing mixed


@pytest.mark.parametrize(("weight_dtype", "bits"), [(None, 16), ("int8", 8), ("fp8", 8), ("int4", 4)])
def test_a_weight_only_quantised_gemv_reads_fewer_bytes(weight_dtype, bits):
    """A decode GEMV (m = 1) on H100 is HBM-bound: its time is its bytes ÷ 3.35 TB/s, the weights at their width."""
    chip = load_chip("h100_sxm")
    gemm = Gemm(m=1, n=8192, k=8192, weight_dtype=weight_dtype)
    placed = gemm_on_chip(gemm, chip)
    weight_bytes = 8192 * 8192 * bits // 8
    floor_s = (weight_bytes + 2 * 8192 * 2) / chip.hbm.bandwidth_bytes_per_s
    assert placed.bottleneck == "HBM"
    assert floor_s <= placed.time_s <= 1.05 * floor_s
    assert placed.peak_flops_per_s == chip.peak_flops_per_s("bf16")  # the arithmetic is still bf16


def test_accumulators_are_fp32_or_int32_unless_given():
    assert Gemm(m=1, n=1, k=1).accumulator_bytes == 4
    assert Gemm(m=1, n=1, k=1, dtype="int8").accumulator_bytes == 4  # int32
    assert Gemm(m=1, n=1, k=1, dtype="fp16", accumulator_dtype="fp16").accumulator_bytes == 2


def test_combinations_no_kernel_runs_are_refused():
    with pytest.raises(ChiplabInputError, match="weight_dtype 'fp32' is wider than the arithmetic dtype 'bf16'"):
        Gemm(m=1, n=1, k=1, weight_dtype="fp32")
    with pytest.raises(ChiplabInputError, match="int8 arithmetic needs integer weights"):
        Gemm(m=1, n=1, k=1, dtype="int8", weight_dtype="fp8")
    with pytest.raises(ChiplabInputError, match="dtype must be one of"):
        Gemm(m=1, n=1, k=1, dtype="int4")  # int4 is a storage format here, not an arithmetic one
    with pytest.raises(ChiplabInputError, match="accumulator_dtype must be one of"):
        Gemm(m=1, n=1, k=1, accumulator_dtype="int4")


def test_arithmetic_a_chip_cannot_execute_is_refused():
    """The A100 has no fp8 tensor-core mode (Hopper added it)."""
    with pytest.raises(ChiplabInputError, match="fp8"):
        gemm_on_chip(Gemm(m=64, n=64, k=64, dtype="fp8"), load_chip("a100_80gb"))


def test_a_model_with_int4_weights_decodes_faster_and_fits_more():
    """Llama 3 70B: 70.6e9 weights at 2 bytes vs 0.5 bytes, over 8 GPUs: 17.6 GB vs 4.4 GB per GPU."""
    model = load_model("llama3-70b")
    int4 = dataclasses.replace(model, weight_dtype="int4")
    chip = load_chip("h100_sxm")
    # The ideal calibration: the weight bytes are the mechanism (calibrated, NCCL's fixed per-call latency of the
    # 160 tensor-parallel all-reduces per token is the same for both and dilutes the ratio).
    ideal = Calibration.ideal()
    bf16_est = estimate_serving(model, chip, batch=1, prompt_len=128, output_len=128, tensor_parallel=8,
                                calibration=ideal)
    int4_est = estimate_serving(int4, chip, batch=1, prompt_len=128, output_len=128, tensor_parallel=8,
                                calibration=ideal)
    assert int4_est.memory.weights_bytes == pytest.approx(model.num_params * 0.5 / 8)
    assert int4_est.decode_step_s < 0.5 * bf16_est.decode_step_s
    with pytest.raises(ChiplabInputError, match="wider than the arithmetic"):
        dataclasses.replace(model, weight_dtype="fp32")
