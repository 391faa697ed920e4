"""Serving at a latency target (issue 12, item 6), with the textbook quantities a student can redo by hand."""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import estimate_serving
from chiplab.perf.serving_target import largest_fitting_batch, serve_at_speed
from chiplab.workloads.footprint import Parallelism, inference_memory
from chiplab.workloads.presets import load_model

LLAMA_70B = load_model("llama3-70b")
LLAMA_8B = load_model("llama3-8b")


def test_kv_cache_size_by_hand():
    """Llama 3 70B (model card: 80 layers, 8 KV heads of 128): K and V, 2 bytes each, per token:
    2 · 80 · 8 · 128 · 2 = 327,680 bytes; a batch of 4 at 1,000 tokens holds 4,000 times that."""
    assert LLAMA_70B.kv_cache_bytes(batch=1, context_len=1, bytes_per_element=2) == 327_680
    assert LLAMA_70B.kv_cache_bytes(batch=4, context_len=1000, bytes_per_element=2) == 4000 * 327_680


def test_decode_step_cannot_beat_reading_weights_and_cache():
    """Each decode step reads every matmul weight and the whole KV cache once: bytes / HBM bandwidth is a floor."""
    chip = load_chip("tpu_v5p")
    est = estimate_serving(LLAMA_8B, chip, batch=16, prompt_len=1024, output_len=128)
    mid_context = 1024 + 64
    floor_bytes = LLAMA_8B.num_matmul_params * 2 + LLAMA_8B.kv_cache_bytes(batch=16, context_len=mid_context,
                                                                           bytes_per_element=2)
    assert est.mean_decode.time_s >= floor_bytes / chip.hbm.bandwidth_bytes_per_s


def test_largest_fitting_batch_fits_and_one_more_does_not():
    chip = load_chip("h100_sxm")
    batch = largest_fitting_batch(LLAMA_70B, chip, context_len=4096, tensor_parallel=8)
    par = Parallelism(tensor=8)
    assert inference_memory(LLAMA_70B, batch=batch, context_len=4096, parallelism=par).total_bytes \
        <= chip.hbm.capacity_bytes
    assert inference_memory(LLAMA_70B, batch=batch + 1, context_len=4096, parallelism=par).total_bytes \
        > chip.hbm.capacity_bytes


def test_the_chosen_batch_is_the_largest_that_meets_the_speed():
    chip = load_chip("tpu_v5p")
    result = serve_at_speed(LLAMA_70B, chip, tokens_per_s_per_request=20, prompt_len=2048, output_len=256,
                            tensor_parallel=4)
    assert result.limited_by == "speed"
    assert result.estimate.output_tokens_per_s_per_request >= 20
    one_more = estimate_serving(LLAMA_70B, chip, batch=result.batch + 1, prompt_len=2048, output_len=256,
                                tensor_parallel=4)
    assert one_more.output_tokens_per_s_per_request < 20


def test_a_lax_target_is_limited_by_memory():
    result = serve_at_speed(LLAMA_8B, load_chip("h100_sxm"), tokens_per_s_per_request=1, prompt_len=512,
                            output_len=128)
    assert result.limited_by == "memory" and result.batch == result.largest_fitting_batch


def test_cost_per_million_tokens_by_hand():
    """$2 per chip-hour, 4 chips, the batch's wall time T: 4 · 2 · T / 3600 dollars for batch · (prompt + output)
    tokens."""
    est = estimate_serving(LLAMA_70B, load_chip("h100_sxm"), batch=8, prompt_len=1000, output_len=200,
                           tensor_parallel=4)
    expected = 4 * 2.0 * est.time_s / 3600 / (8 * 1200) * 1e6
    assert est.cost_per_million_tokens_usd(2.0) == pytest.approx(expected)
    with pytest.raises(ChiplabInputError, match="usd_per_chip_hour"):
        est.cost_per_million_tokens_usd(0)


def test_a_target_no_batch_can_meet_is_refused():
    with pytest.raises(ChiplabInputError, match=r"no batch meets 1e\+06 tokens/s per request .* even a batch of 1"):
        serve_at_speed(LLAMA_8B, load_chip("h100_sxm"), tokens_per_s_per_request=1e6, prompt_len=128,
                       output_len=16)
    with pytest.raises(ChiplabInputError, match="tokens_per_s_per_request must be > 0"):
        serve_at_speed(LLAMA_8B, load_chip("h100_sxm"), tokens_per_s_per_request=0, prompt_len=128, output_len=16)


def test_kv_cache_split_along_the_context_beyond_the_kv_heads():
    """Llama 3 8B has 8 KV heads; on 16 TPU v5e chips each head's cache sits on r = 2 chips. Split along the
    context, each chip stores half of what replication stores and its decode step reads half the positions."""
    chip = load_chip("tpu_v5e")
    kwargs = {"batch": 32, "prompt_len": 8192, "output_len": 512, "tensor_parallel": 16}
    replicated = estimate_serving(LLAMA_8B, chip, **kwargs)
    split = estimate_serving(LLAMA_8B, chip, kv_sharding="sequence", **kwargs)
    assert split.memory.kv_cache_bytes == pytest.approx(replicated.memory.kv_cache_bytes / 2)
    assert split.mean_decode.time_s < replicated.mean_decode.time_s
    assert split.decode_comm_s > replicated.decode_comm_s  # the partial outputs are combined across the 2 chips
    same = estimate_serving(LLAMA_8B, chip, kv_sharding="sequence", **{**kwargs, "tensor_parallel": 8})
    assert same.memory.kv_cache_bytes == pytest.approx(
        estimate_serving(LLAMA_8B, chip, **{**kwargs, "tensor_parallel": 8}).memory.kv_cache_bytes)  # t <= KV
    with pytest.raises(ChiplabInputError, match="kv_sharding must be one of replicate, sequence"):
        estimate_serving(LLAMA_8B, chip, kv_sharding="pages", **kwargs)


def test_sequence_sharded_kv_doubles_the_batch_that_fits_at_twice_the_kv_heads():
    """Llama 3 70B has 8 KV heads. On 16 tensor-parallel H100s each rank holds 1/8 of the KV cache when it is
    replicated over the extra ranks, 1/16 when its positions are split over them: per sequence the cache per chip
    halves, and the weights per chip are the same (1/16), so about twice the sequences fit."""
    config, chip = load_model("llama3-70b"), load_chip("h100_sxm")
    replicated = largest_fitting_batch(config, chip, context_len=8192, tensor_parallel=16)
    sharded = largest_fitting_batch(config, chip, context_len=8192, tensor_parallel=16, kv_sharding="sequence")
    assert sharded / replicated == pytest.approx(2, rel=0.02)
    with pytest.raises(ChiplabInputError, match="kv_sharding must be one of replicate, sequence"):
        largest_fitting_batch(config, chip, context_len=8192, tensor_parallel=16, kv_sharding="pipeline")
