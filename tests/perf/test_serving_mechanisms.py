"""Serving mechanisms the validation runs need: a static KV cache read whole every decode step (jetstream-pytorch
without ``ragged_mha``: ``jetstream_pt/layers.py``, ``AttentionKernel`` attends over the whole cache with a mask),
versus a paged cache that holds and reads only each sequence's positions."""

import contextlib
import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_serving, largest_fitting_batch
from chiplab.perf.measurements import end_to_end_runs, get_measurement
from chiplab.perf.validation_cases import NotMappable, case_setup
from chiplab.workloads.llm_steps import decode_step
from chiplab.workloads.presets import load_model

LLAMA_8B = load_model("llama3-8b")
SETUP = {"batch": 16, "prompt_len": 512, "output_len": 512, "tensor_parallel": 8}


def test_static_cache_holds_its_whole_length_per_sequence():
    # Llama 3 8B config.json: 32 layers, 8 KV heads of 128; K and V in bf16 (2 B). 8-way TP: one KV head per chip.
    chip = load_chip("tpu_v5e")
    static = estimate_serving(LLAMA_8B, chip, static_kv_cache_len=2048, **SETUP)
    assert static.memory.kv_cache_bytes == 16 * 2048 * 32 * 1 * 128 * 2 * 2


def test_static_cache_decode_reads_more_than_paged_and_only_attention_changes():
    chip = load_chip("tpu_v5e")
    paged = estimate_serving(LLAMA_8B, chip, **SETUP)
    static = estimate_serving(LLAMA_8B, chip, static_kv_cache_len=2048, **SETUP)
    assert static.mean_decode.time_s > paged.mean_decode.time_s
    assert static.prefill_s == paged.prefill_s and static.decode_comm_s == paged.decode_comm_s
    # The static step is the paged step of a sequence whose midpoint context is the cache length:
    # prompt 1024 + output 2048 / 2 = 2048.
    paged_at_2048 = estimate_serving(LLAMA_8B, chip, batch=16, prompt_len=1024, output_len=2048, tensor_parallel=8)
    assert static.mean_decode.time_s == pytest.approx(paged_at_2048.mean_decode.time_s)


@pytest.mark.parametrize("length", [1000, 0, 2.5, "2048"])
def test_static_cache_shorter_than_the_context_or_not_a_count_is_refused(length):
    with pytest.raises(ChiplabInputError, match="static_kv_cache_len"):
        estimate_serving(LLAMA_8B, load_chip("tpu_v5e"), static_kv_cache_len=length, **SETUP)


def test_validation_maps_a_stated_cache_length_and_nothing_else():
    static = case_setup(get_measurement("jetstream_pytorch_tpu_v5e8_llama3_8b_bf16_bs128"))
    assert static.arguments["static_kv_cache_len"] == 2048  # "cache length 2048" in the run's software field
    for run in end_to_end_runs("serving"):
        if "cache length" in run.software:
            continue
        with contextlib.suppress(NotMappable):
            assert case_setup(run).arguments["static_kv_cache_len"] is None


# Engines keep a memory margin: vLLM uses 0.9 of the GPU memory (--gpu-memory-utilization), trtllm-bench gives the KV
# cache 0.9 of what is free after the weights (--kv_cache_free_gpu_mem_fraction); both documented defaults.
def test_engine_memory_margins_shrink_the_batch_that_fits():
    model, chip = load_model("llama3-70b"), load_chip("h200")
    every_byte = largest_fitting_batch(model, chip, context_len=2176, tensor_parallel=2)
    free_90 = largest_fitting_batch(model, chip, context_len=2176, tensor_parallel=2, free_fraction=0.9)
    total_90 = largest_fitting_batch(model, chip, context_len=2176, tensor_parallel=2, total_fraction=0.9)
    assert int(0.9 * every_byte) - 1 <= free_90 <= int(0.9 * every_byte) + 1
    assert total_90 < free_90 < every_byte  # 10 % of all memory is more than 10 % of what the weights leave


@pytest.mark.parametrize("name", ["total_fraction", "free_fraction"])
@pytest.mark.parametrize("value", [0.0, 1.5, -0.1, float("nan")])
def test_engine_memory_fraction_outside_0_1_is_refused(name, value):
    with pytest.raises(ChiplabInputError, match=name):
        largest_fitting_batch(LLAMA_8B, load_chip("h100_sxm"), context_len=2048, **{name: value})


def test_validation_names_the_engine_default_it_used_for_an_unstated_batch():
    trtllm = case_setup(get_measurement("trtllm_h200_llama33_70b_fp8_tp1_in128_out2048"))
    vllm = case_setup(get_measurement("vllm_mi300x_llama31_70b_fp8_in2048_out2048"))
    assert any("kv_cache_free_gpu_mem_fraction" in d for d in trtllm.defaults)
    assert any("gpu-memory-utilization" in d for d in vllm.defaults)


# An FP8 checkpoint that quantizes only the linear layers (nvidia/Llama-3.1-405B-Instruct-FP8's model card: "Only the
# weights and activations of the linear operators within transformers blocks are quantized") keeps a bf16 KV cache.
def test_bf16_kv_cache_of_an_fp8_model_holds_two_bytes_per_value():
    fp8 = dataclasses.replace(load_model("llama3-405b"), dtype="fp8")
    chip = load_chip("h200")
    setup = {"batch": 8, "prompt_len": 128, "output_len": 128, "tensor_parallel": 8}
    eight_bit = estimate_serving(fp8, chip, **setup)
    sixteen_bit = estimate_serving(fp8, chip, kv_cache_dtype="bf16", **setup)
    # Llama 3.1 405B config.json: 126 layers, 8 KV heads of 128; 8-way TP leaves one KV head per GPU.
    assert sixteen_bit.memory.kv_cache_bytes == 8 * 256 * 126 * 1 * 128 * 2 * 2
    assert eight_bit.memory.kv_cache_bytes * 2 == sixteen_bit.memory.kv_cache_bytes
    assert sixteen_bit.mean_decode.time_s > eight_bit.mean_decode.time_s
    assert sixteen_bit.memory.weights_bytes == eight_bit.memory.weights_bytes  # the linear layers stay FP8


def test_unknown_kv_cache_dtype_is_refused():
    with pytest.raises(ChiplabInputError, match="kv_cache_dtype"):
        estimate_serving(LLAMA_8B, load_chip("h100_sxm"), kv_cache_dtype="fp5", **SETUP)


def test_validation_reads_an_unquantized_kv_cache_from_the_precision():
    trtllm_405b = case_setup(get_measurement("trtllm_h200_llama31_405b_fp8_tp8_in128_out2048"))
    vllm_fp8_kv = case_setup(get_measurement("vllm_mi300x_llama31_405b_fp8_in128_out2048"))
    assert trtllm_405b.arguments["kv_cache_dtype"] == "bf16"
    assert vllm_fp8_kv.arguments["kv_cache_dtype"] is None  # "FP8 weights and FP8 KV cache": the model's fp8


def test_int8_kv_cache_of_a_bf16_model_is_stored_narrow_and_widened_for_attention():
    # jetstream-pytorch --quantize_kv_cache: an int8 cache with per-position scales, attention computed in bf16.
    bf16_cache = {op.name: op for op in decode_step(LLAMA_8B, batch=4, context_len=1024).ops}
    int8_cache = {op.name: op for op in decode_step(LLAMA_8B, batch=4, context_len=1024, kv_dtype="int8").ops}
    for name in ("scores", "attn_values"):
        assert int8_cache[name].gemm.dtype == "bf16" and int8_cache[name].gemm.weight_dtype == "int8"
        assert int8_cache[name].gemm.b_bytes * 2 == bf16_cache[name].gemm.b_bytes
    assert case_setup(get_measurement("jetstream_pytorch_tpu_v5e8_llama3_8b_int8_bs256")).arguments[
        "kv_cache_dtype"] == "int8"  # "int8 weights and KV cache (--quantize_weights, --quantize_kv_cache)"


def test_an_unstated_kv_cache_precision_of_an_8_bit_model_is_listed_as_a_default():
    """NVIDIA's 8B/70B FP8 checkpoints (TRT-LLM perf overview) say nothing of the KV cache: the case takes the model's
    fp8 and says so; a run that states its KV cache (vLLM MI300X: "FP8 weights and FP8 KV cache") and a bf16 model
    (the KV cache is bf16 either way) list nothing."""
    unstated = case_setup(get_measurement("trtllm_h200_llama33_70b_fp8_tp1_in128_out2048"))
    stated = case_setup(get_measurement("vllm_mi300x_llama31_405b_fp8_in128_out2048"))
    bf16 = case_setup(get_measurement("nxdi_trn2_llama31_405b_bf16_bs1"))
    assert unstated.arguments["kv_cache_dtype"] is None
    assert any(d.startswith("KV cache precision not stated: fp8") for d in unstated.defaults)
    assert not any(d.startswith("KV cache precision") for d in (*stated.defaults, *bf16.defaults))
