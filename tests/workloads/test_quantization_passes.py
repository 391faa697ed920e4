"""What getting the operands into 8 bits costs in a training step (chiplab.workloads.eight_bit_training).

The byte counts are counted by hand from the code of the two recipes (read for facts, 2026-12-08):

* Transformer Engine v1.11 ``pytorch/module/linear.py``: a ``Linear`` casts its bf16 input with
  ``fp8_cast_transpose_fused`` (read 2 B, write the FP8 copy and its transpose, 1 B each); ``layernorm_linear.py``:
  the norm writes FP8 itself and the backward pass transposes it (``tex.fp8_transpose``: read 1 B, write 1 B);
  ``base.py`` ``grad_output_preprocess``: the output gradient is cast and transposed (read 2 B, write 1 + 1 B); the
  weights once per step (``is_first_microbatch``). TE v2.9 ``csrc/quantizer.cpp``: current scaling computes the
  amax in a pass of its own (``nvte_compute_amax``) before the cast, and a norm writes bf16 plus its amax.
* google/aqt ``aqt/jax/v2/config.py`` ``config_v3`` (MaxText ``quantization=int8``): both operands of every int8 dot
  (forward, dlhs, drhs) are quantized per channel, the forward ones again in the backward dots
  (``use_fwd_quant = False``): an abs-max pass (read 2 B) and a quantizing pass (read 2 B, write 1 B) per element.
"""

import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import Calibration, estimate_step, estimate_training, op_of
from chiplab.workloads.eight_bit_training import quantization_ops
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.transformer import TransformerConfig

# One GPT-style layer small enough to count by hand: d = 8, two heads of 4 (q_dim = kv_dim = 8), d_ff = 32, and a
# microbatch of T = 4 tokens. Its four linear layers: qkv_proj 4×24×8, o_proj 4×8×8, up_proj 4×32×8, down_proj 4×8×32.
TINY = TransformerConfig(num_layers=1, d_model=8, num_heads=2, d_ff=32, vocab_size=16, gated_mlp=False,
                         activation="gelu", norm="layernorm", position_embedding="learned", max_seq_len=16,
                         name="tiny")
TOKENS = 4


def _step(dtype, **kwargs):
    return dataclasses.replace(TINY, dtype=dtype).training_step(batch=1, seq_len=TOKENS, **kwargs)


def _passes(step):
    return {(op.name, op.stage): (op.read_bytes, op.written_bytes) for op in step.vector_ops
            if op.kind == "quantize" or op.name.endswith("transpose_input")}


def test_aqt_int8_quantizes_both_operands_of_every_dot_by_hand():
    """o_proj: A is T×q_dim = 4×8 = 32 values, W is 8×8 = 64: 96 values, read twice at 2 B (abs-max pass, then the
    quantizing pass) = 384 B, written once at 1 B = 96 B. Its dlhs dot dA = dC·Wᵀ quantizes dC (4×8) and Wᵀ (8×8):
    96 values again; its drhs dot dW = Aᵀ·dC quantizes Aᵀ (8×4) and dC (4×8): 64 values, 256 B read, 64 B written.
    qkv_proj: A 4×8 + W 8×24 = 224 values forward; up_proj 4×8 + 8×32 = 288; down_proj 4×32 + 32×8 = 384."""
    passes = _passes(_step("int8"))
    assert passes[("o_proj.quantize", "forward")] == (384, 96)
    assert passes[("o_proj.grad_a.quantize", "backward")] == (384, 96)
    assert passes[("o_proj.grad_b.quantize", "backward")] == (256, 64)
    assert passes[("qkv_proj.quantize", "forward")] == (4 * 224, 224)
    assert passes[("up_proj.quantize", "forward")] == (4 * 288, 288)
    assert passes[("down_proj.quantize", "forward")] == (4 * 384, 384)
    # three dots per linear layer, four linear layers; core attention and the logits stay bf16: nothing to quantize
    assert len(passes) == 12
    assert not any(name.split(".")[0] in ("scores", "attn_values", "logits") for name, _ in passes)


def test_transformer_engine_delayed_scaling_casts_by_hand():
    """o_proj (a plain Linear): its input, 32 values, cast and transposed = 64 B read, 32 + 32 B written; its output
    gradient, 4×8 = 32 values, likewise; its weight, 64 values = 128 B read, 128 B written, once per step (counted
    with the optimizer). qkv_proj (LayerNormLinear): the norm wrote FP8, so only the backward transpose, 32 values at
    1 B each way; its output gradient is 4×24 = 96 values = 192 B read, 192 B written."""
    step = _step("fp8")
    passes = _passes(step)
    assert passes[("o_proj.cast_transpose_input", "forward")] == (64, 64)
    assert passes[("o_proj.cast_transpose_grad_output", "backward")] == (64, 64)
    assert passes[("qkv_proj.transpose_input", "backward")] == (32, 32)
    assert passes[("qkv_proj.cast_transpose_grad_output", "backward")] == (192, 192)
    assert ("qkv_proj.cast_transpose_input", "forward") not in passes  # fused into the norm
    assert passes[("down_proj.cast_transpose_input", "forward")] == (2 * 4 * 32, 2 * 4 * 32)
    weight = op_of(step, "o_proj.cast_transpose_weight", "optimizer")
    assert (weight.read_bytes, weight.written_bytes) == (128, 128)


def test_transformer_engine_current_scaling_reads_each_tensor_once_more_for_its_amax():
    """Current scaling: o_proj's input is read for its amax and again for the cast: 4 B per value read (128 B), 2 B
    written (64 B). The norm cannot write FP8 before its amax is known: qkv_proj's input is cast after it (64 B read,
    64 B written) and there is no backward transpose."""
    passes = _passes(_step("fp8", fp8_scaling="current"))
    assert passes[("o_proj.cast_transpose_input", "forward")] == (128, 64)
    assert passes[("o_proj.cast_transpose_grad_output", "backward")] == (128, 64)
    assert passes[("qkv_proj.cast_transpose_input", "forward")] == (64, 64)
    assert ("qkv_proj.transpose_input", "backward") not in passes


def test_a_recomputed_forward_quantizes_again_but_the_backward_does_not():
    """Full recomputation reruns each layer's forward, its casts included; the output-gradient casts happen once."""
    te = _passes(_step("fp8", recompute="full"))
    assert te[("o_proj.cast_transpose_input", "recompute")] == te[("o_proj.cast_transpose_input", "forward")]
    assert ("o_proj.cast_transpose_grad_output", "recompute") not in te
    aqt = _passes(_step("int8", recompute="full"))
    assert aqt[("o_proj.quantize", "recompute")] == aqt[("o_proj.quantize", "forward")] == (384, 96)
    assert len(aqt) == 16  # 12 as without recomputation, plus the 4 recomputed forward dots


def test_bf16_training_has_no_quantization_passes_and_the_flops_of_the_gemms_do_not_change():
    bf16 = _step("bf16")
    assert not _passes(bf16)
    assert all(op.kind != "quantize" for op in bf16.vector_ops)
    assert _step("fp8").model_flops == _step("int8").model_flops == bf16.model_flops


def test_the_passes_are_timed_by_the_chips_memory_bandwidth():
    """With the ideal calibration a cast is its bytes over the datasheet bandwidth: H100 SXM 3.35 TB/s (NVIDIA's
    datasheet). Llama-3-8B-like o_proj at 8192 tokens: 8192 × 4096 values, 2 B read + 2 B written each."""
    model = dataclasses.replace(TransformerConfig(num_layers=1, d_model=4096, num_heads=32, num_kv_heads=8,
                                                  d_ff=14336, vocab_size=128256, max_seq_len=8192, name="l8"),
                                dtype="fp8")
    step = model.training_step(batch=1, seq_len=8192)
    estimate = estimate_step(step, load_chip("h100_sxm"), Calibration.ideal())
    cast = next(op for op in estimate.ops if op.name == "o_proj.cast_transpose_input")
    assert cast.bottleneck == "HBM"
    assert cast.time_s == pytest.approx(8192 * 4096 * 4 / 3.35e12, rel=1e-3)


def test_a_chip_with_more_int8_peak_per_byte_of_bandwidth_pays_a_larger_share_for_quantizing():
    """TPU v6e has twice TPU v5p's int8 peak (1836 vs 918 TOPS) but less HBM bandwidth (1.64 vs 2.76 TB/s; Google
    Cloud's TPU pages): the same int8 step spends a larger share of its time quantizing on v6e."""
    model = dataclasses.replace(TransformerConfig(num_layers=2, d_model=4096, num_heads=32, d_ff=16384,
                                                  vocab_size=50257, gated_mlp=False, activation="gelu",
                                                  norm="layernorm", max_seq_len=2048, name="gpt-ish"), dtype="int8")
    step = model.training_step(batch=2, seq_len=2048)
    shares = []
    for chip in ("tpu_v6e", "tpu_v5p"):
        estimate = estimate_step(step, load_chip(chip), Calibration.ideal())
        quantizing = sum(op.time_s for op in estimate.ops if op.name.endswith(".quantize"))
        shares.append(quantizing / estimate.time_s)
    assert shares[0] > shares[1] > 0


@pytest.mark.parametrize("bad", ["dynamic", "", None, 8])
def test_an_unknown_fp8_scaling_recipe_is_refused_by_name(bad):
    with pytest.raises(ChiplabInputError, match="fp8_scaling"):
        _step("fp8", fp8_scaling=bad)
    with pytest.raises(ChiplabInputError, match="fp8_scaling"):
        estimate_training(dataclasses.replace(TINY, dtype="fp8"), load_chip("h100_sxm"),
                          parallelism=Parallelism(), global_batch=1, seq_len=TOKENS, fp8_scaling=bad)


@pytest.mark.parametrize("bad", ["e4m3", "fp-8", None, 8])
def test_an_unknown_dtype_is_refused_not_left_unquantized(bad):
    # before, any text that was not exactly "fp8" or "int8" returned the ops without a single quantization pass
    with pytest.raises(ChiplabInputError, match="dtype"):
        quantization_ops(list(_step("fp8").ops), bad)
