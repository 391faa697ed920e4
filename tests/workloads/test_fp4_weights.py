"""FP4 weights: a storage format (E2M1, 4 bits: two weights per byte), computed in a whole-byte format.

Textbook numbers: a weight matrix of k × n elements takes k · n · bits / 8 bytes, so fp4 weights are a quarter of
bf16's (16 bits) and half of fp8's (8 bits). The FLOPs do not change with the storage format (2 · m · n · k).
"""

import pytest

from chiplab import ChiplabInputError
from chiplab.perf.measurements import get_measurement
from chiplab.perf.validation_setup import run_model
from chiplab.units import FORMAT_BITS
from chiplab.workloads.gemm import Gemm
from chiplab.workloads.presets import load_model


def test_fp4_weights_are_a_quarter_of_bf16():
    bf16 = Gemm(m=1, n=8192, k=8192, dtype="bf16")
    fp4 = Gemm(m=1, n=8192, k=8192, dtype="fp8", weight_dtype="fp4")
    assert FORMAT_BITS["fp4"] == 4
    assert fp4.b_bytes == 8192 * 8192 // 2 == bf16.b_bytes // 4
    assert fp4.num_flops == bf16.num_flops == 2 * 8192 * 8192
    # A decode step (m = 1) is weight-bound: A and C stay in the arithmetic format (fp8, 1 byte each).
    assert fp4.unique_bytes == 8192 + 8192 * 8192 // 2 + 8192


def test_fp4_is_refused_as_arithmetic_and_as_weights_wider_than_it_could_be():
    with pytest.raises(ChiplabInputError, match="dtype"):
        Gemm(m=1, n=2, k=2, dtype="fp4")
    with pytest.raises(ChiplabInputError, match="weight_dtype"):
        Gemm(m=1, n=2, k=2, dtype="int8", weight_dtype="fp4")  # float weights for integer arithmetic


def test_an_fp4_checkpoint_run_is_modelled_with_fp4_weights_in_fp8_arithmetic():
    """The Llama 3.3 70B FP4 run: its model is stored at half a byte per weight (70.6e9 weights ≈ 35 GB, a quarter of
    the bf16 preset's) and the step names what chiplab does not model (FP4 arithmetic)."""
    defaults: list[str] = []
    config = run_model(get_measurement("trtllm_b200_llama33_70b_fp4_tp1_in128_out2048"), defaults)
    bf16 = load_model("llama3_70b")
    assert (config.dtype, config.weight_dtype) == ("fp8", "fp4")
    assert config.weight_bytes_per_param == 0.5 == bf16.weight_bytes_per_param / 4
    assert any("FP4 arithmetic not modelled" in d for d in defaults)
