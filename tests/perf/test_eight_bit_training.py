"""8-bit training recipes: which GEMMs of a training step run in 8 bits (chiplab.workloads.eight_bit_training).

Sources (read for facts): NVIDIA Transformer Engine casts only its Linear layers to FP8 unless FP8 dot-product
attention is asked for (``DelayedScaling(fp8_dpa=False)`` by default), and Megatron-Core's output layer is a plain
``tensor_parallel.ColumnParallelLinear`` outside it; MaxText's int8 training uses AQT ``config_v3(fwd_bits=8,
dlhs_bits=8, drhs_bits=8)`` whenever ``quantization_local_shard_count`` is not 0 (its default -1 becomes the number of
slices; MaxText ``layers/quantizations.py`` and ``pyconfig.py``, mlperf/4.1 branch): forward, activation-gradient and
weight-gradient GEMMs in int8, and "We do not quantize the logits matmul" (``layers/models.py``).
"""

import dataclasses

from chiplab.hardware.catalog import load_chip
from chiplab.perf import Calibration, estimate_serving, estimate_step, op_of
from chiplab.workloads.eight_bit_training import activation_bytes_per_element
from chiplab.workloads.presets import load_model


def _dtypes(step):
    return {(op.name, op.stage): op.gemm.dtype for op in step.gemm_ops}


def test_fp8_training_keeps_core_attention_in_bf16_and_every_linear_gemm_in_fp8():
    model = dataclasses.replace(load_model("llama3-8b"), dtype="fp8")
    dtypes = _dtypes(model.training_step(batch=1, seq_len=2048, recompute="full"))
    for name in ("scores", "attn_values"):
        assert dtypes[(name, "forward")] == dtypes[(name, "recompute")] == "bf16"
        assert dtypes[(f"{name}.grad_a", "backward")] == dtypes[(f"{name}.grad_b", "backward")] == "bf16"
    for name in ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"):  # TE: fprop, dgrad and wgrad all in FP8
        assert dtypes[(name, "forward")] == "fp8"
        assert dtypes[(f"{name}.grad_a", "backward")] == dtypes[(f"{name}.grad_b", "backward")] == "fp8"
    # Megatron-Core's output layer is not a Transformer Engine module
    assert dtypes[("logits", "forward")] == dtypes[("logits.grad_a", "backward")] == "bf16"


def test_int8_training_quantizes_all_three_gemms_of_a_layer_but_not_the_logits():
    model = dataclasses.replace(load_model("gpt3-175b"), dtype="int8")
    dtypes = _dtypes(model.training_step(batch=1, seq_len=2048))
    for name in ("qkv_proj", "o_proj", "up_proj", "down_proj"):  # fwd, dlhs, drhs: AQT with the default shard count
        assert dtypes[(name, "forward")] == dtypes[(f"{name}.grad_a", "backward")] == "int8"
        assert dtypes[(f"{name}.grad_b", "backward")] == "int8"
    assert {dtypes[("logits", "forward")], dtypes[("logits.grad_a", "backward")],
            dtypes[("logits.grad_b", "backward")]} == {"bf16"}  # "We do not quantize the logits matmul"
    assert dtypes[("scores", "forward")] == "bf16"  # flash attention kernel in bf16


def test_bf16_training_and_serving_are_unchanged():
    model = load_model("llama3-8b")
    assert set(_dtypes(model.training_step(batch=1, seq_len=2048)).values()) == {"bf16"}
    fp8 = dataclasses.replace(model, dtype="fp8")
    assert set(_dtypes(fp8.decode_step(batch=8, context_len=1024)).values()) == {"fp8"}  # FP8 KV cache read


def test_the_flops_are_the_same_only_their_rate_changes():
    """On H100 SXM the FP8 dense peak is twice the BF16 one (1978.9 vs 989.4 TFLOPS, NVIDIA's datasheet), so with
    the ideal calibration an FP8 step's MLP GEMMs take half the BF16 time while its attention GEMMs take the same."""
    chip, ideal = load_chip("h100_sxm"), Calibration.ideal()
    bf16 = load_model("llama3-8b")
    fp8 = dataclasses.replace(bf16, dtype="fp8")
    steps = [m.training_step(batch=1, seq_len=8192) for m in (bf16, fp8)]
    assert steps[0].model_flops == steps[1].model_flops
    times = [estimate_step(step, chip, ideal).time_by("name") for step in steps]
    for name in ("scores", "attn_values", "scores.grad_a", "attn_values.grad_b"):
        assert times[1][name] == times[0][name]
    assert abs(times[1]["gate_up_proj"] / times[0]["gate_up_proj"] - 0.5) < 0.02


def test_activations_between_ops_stay_bf16_and_the_kv_cache_takes_the_8_bit_format():
    """An FP8 model's residual stream, norms and activation functions move bf16 values (2 B each); its KV cache is
    written and read at 1 B (an "FP8 KV cache"). Llama 3 8B decode, batch 8: attn_norm reads 8 × 4096 values plus
    4096 norm weights and writes 8 × 4096 values, 2 B each = (32,768 + 4,096 + 32,768) × 2 = 139,264 B per layer."""
    assert [activation_bytes_per_element(d) for d in ("fp8", "int8", "bf16", "fp32")] == [2, 2, 2, 4]
    bf16 = load_model("llama3-8b")
    fp8 = dataclasses.replace(bf16, dtype="fp8")
    steps = [m.decode_step(batch=8, context_len=1024) for m in (bf16, fp8)]
    norms = [op_of(step, "attn_norm") for step in steps]
    assert norms[0].read_bytes + norms[0].written_bytes == norms[1].read_bytes + norms[1].written_bytes == 139_264
    kv_writes = [op_of(step, "kv_cache_write") for step in steps]
    assert kv_writes[1].written_bytes * 2 == kv_writes[0].written_bytes  # 1 B vs 2 B per cached value
    assert op_of(steps[1], "scores").gemm.b_bytes * 2 == op_of(steps[0], "scores").gemm.b_bytes


def test_tensor_parallel_all_reduces_move_bf16_hidden_states_whatever_the_gemm_format():
    """Megatron-LM's 2 all-reduces per layer carry batch × d_model hidden states (Shoeybi et al. 2019, Sec. 3), in
    the activation format: the same bytes, so the same time, for an FP8 and a BF16 Llama 3 70B on 8 H100s."""
    chip = load_chip("h100_sxm")
    bf16 = load_model("llama3-70b")
    fp8 = dataclasses.replace(bf16, dtype="fp8")
    runs = [estimate_serving(m, chip, batch=64, prompt_len=128, output_len=128, tensor_parallel=8) for m in (bf16, fp8)]
    assert runs[0].decode_comm_s == runs[1].decode_comm_s > 0
    assert runs[0].prefill_comm_s == runs[1].prefill_comm_s
