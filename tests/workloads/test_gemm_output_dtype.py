"""The format a GEMM writes its output C in (``Gemm.output_dtype``), and the 8-bit recipes that write bf16.

Expected bytes are counted by hand: an element of A, B or C costs the bytes of its own format (fp8/int8 1 B, bf16 2 B).
Which format each recipe writes is read from its code (2026-12-08): Transformer Engine ``pytorch/module/linear.py``
(``general_gemm(..., out_dtype=activation_dtype)`` for fprop and dgrad), google/aqt ``aqt/jax/v2/aqt_dot_general.py``
(the int32 result dequantized to ``promote_types(lhs.dtype, rhs.dtype)``, the forward ``ret.astype(lhs.dtype)``),
vLLM ``apply_fp8_linear`` and TensorRT-LLM ``FP8QDQLinearMethod`` (``out_dtype`` = the model's dtype).
"""

import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.memory.tiling import Tiling, offchip_traffic
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.workloads.gemm import Gemm
from chiplab.workloads.ops import GemmOp, backward_ops
from chiplab.workloads.transformer import TransformerConfig

TINY = TransformerConfig(num_layers=1, d_model=8, num_heads=2, d_ff=32, vocab_size=16, gated_mlp=False,
                         activation="gelu", norm="layernorm", position_embedding="learned", max_seq_len=16,
                         name="tiny")
WEIGHT_GEMMS = ("qkv_proj", "o_proj", "up_proj", "down_proj")


def test_an_fp8_gemm_with_a_bf16_output_counts_c_at_two_bytes_by_hand():
    g = Gemm(m=64, n=32, k=128, dtype="fp8", output_dtype="bf16")
    # A 64×128 and B 128×32 at 1 B, C 64×32 at 2 B
    assert g.unique_bytes == 64 * 128 + 128 * 32 + 2 * 64 * 32 == 16384
    assert g.output_bytes_per_element == 2 and g.bytes_per_element == 1
    assert g.operand_bytes(10, 20, 30) == 10 + 20 + 60
    # int8 arithmetic with int4 weights and a bf16 output: each operand at its own width
    assert Gemm(m=2, n=4, k=8, dtype="int8", weight_dtype="int4", output_dtype="bf16").unique_bytes == 16 + 16 + 16


def test_without_an_output_dtype_c_keeps_the_arithmetic_format():
    assert Gemm(m=64, n=32, k=128, dtype="fp8").unique_bytes == 64 * 128 + 128 * 32 + 64 * 32
    assert Gemm(m=4, n=4, k=4, dtype="bf16", output_dtype="bf16") == Gemm(m=4, n=4, k=4)  # same format: None
    assert Gemm(m=4, n=4, k=4, dtype="bf16", output_dtype="bf16").output_dtype is None


def test_the_output_format_is_shown():
    g = Gemm(m=2, n=3, k=4, dtype="fp8", output_dtype="bf16")
    assert repr(g) == "Gemm(m=2, n=3, k=4, dtype='fp8', output_dtype='bf16')"
    assert "bf16 output" in str(g)


@pytest.mark.parametrize("bad", ["fp4", "bfloat16", 16, ["bf16"]])
def test_an_unknown_output_format_is_refused_by_name(bad):
    with pytest.raises(ChiplabInputError, match="output_dtype"):
        Gemm(m=2, n=3, k=4, dtype="fp8", output_dtype=bad)


def test_a_gemm_op_writes_c_and_its_gradients_at_the_output_width():
    op = GemmOp(name="proj", gemm=Gemm(m=4, n=8, k=16, dtype="fp8", output_dtype="bf16"), phase="mlp",
                kind="weight")
    assert op.written_bytes == 4 * 8 * 2 and op.read_bytes == 4 * 16 + 16 * 8
    grad_a, grad_b = backward_ops(op)
    assert grad_a.written_bytes == 4 * 16 * 2  # dA is m × k
    assert grad_b.written_bytes == 16 * 8 * 2  # dB is k × n
    assert grad_a.gemm.output_dtype == grad_b.gemm.output_dtype == "bf16"


def test_off_chip_traffic_counts_the_stores_of_c_at_the_output_width():
    g = Gemm(m=64, n=64, k=64, dtype="fp8", output_dtype="bf16")
    traffic = offchip_traffic(g, Tiling(tile_m=32, tile_n=32, tile_k=64))
    # A re-read for each of the 2 column tiles, B for each of the 2 row tiles, C stored once
    assert (traffic.num_a_loads, traffic.num_b_loads, traffic.num_c_stores) == (8192, 8192, 4096)
    assert traffic.bytes_of(g) == 8192 + 8192 + 2 * 4096


def test_the_chip_moves_one_more_byte_per_output_element_from_hbm():
    h100 = load_chip("h100_sxm")
    narrow = gemm_on_chip(Gemm(m=4096, n=8192, k=8192, dtype="fp8"), h100)
    wide = gemm_on_chip(Gemm(m=4096, n=8192, k=8192, dtype="fp8", output_dtype="bf16"), h100)
    assert wide.core_grid == narrow.core_grid and wide.core_grid[2] == 1  # no split-K: C stored once
    assert wide.hbm_bytes - narrow.hbm_bytes == 4096 * 8192


@pytest.mark.parametrize("dtype", ["fp8", "int8"])
def test_an_8_bit_training_step_writes_every_8_bit_gemm_output_in_bf16(dtype):
    step = dataclasses.replace(TINY, dtype=dtype).training_step(batch=1, seq_len=4)
    eight_bit = [op for op in step.gemm_ops if op.gemm.dtype == dtype]
    assert {op.name.split(".")[0] for op in eight_bit} == set(WEIGHT_GEMMS)
    assert all(op.gemm.output_dtype == "bf16" for op in eight_bit)
    down = next(op for op in eight_bit if op.name == "down_proj" and op.stage == "forward")
    assert down.written_bytes == 4 * 8 * 2  # 4 tokens × d_model 8, bf16


def test_an_fp8_serving_step_writes_bf16_and_a_bf16_model_is_unchanged():
    decode = dataclasses.replace(TINY, dtype="fp8").decode_step(batch=2, context_len=8)
    qkv = next(op for op in decode.gemm_ops if op.name == "qkv_proj")
    assert qkv.gemm.output_dtype == "bf16" and qkv.written_bytes == 2 * 24 * 2  # 2 tokens × (q + k + v = 24)
    assert all(op.gemm.output_dtype is None for op in TINY.training_step(batch=1, seq_len=4).gemm_ops)
