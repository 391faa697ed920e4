"""Shape buckets of the Neuron stacks (chiplab.perf.bucketing): the ladders are transcribed from the stacks' own code
and checked on hand-counted cases; the serving estimate with buckets equals the unbucketed estimate at the bucket's
length (prefill) and at the hand-computed mean bucket (decode)."""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_serving
from chiplab.perf.bucketing import Bucketing, nxdi_buckets, tnx_buckets
from chiplab.perf.measurements import get_measurement
from chiplab.perf.validation_cases import case_setup
from chiplab.workloads.presets import load_model

LLAMA_8B = load_model("llama3-8b")


def test_tnx_ladder_doubles_from_128_then_ends_at_n_positions():
    # transformers_neuronx/utils.py power_of_two_bucket_sizes(128, n): append while below n, then n itself
    assert tnx_buckets(1152) == (128, 256, 512, 1024, 1152)
    assert tnx_buckets(4096) == (128, 256, 512, 1024, 2048, 4096)
    assert tnx_buckets(100) == (100,)


def test_nxdi_ladder_rounds_log2_so_no_bucket_sits_just_below_the_largest():
    # neuronx_distributed_inference/modules/autobucketing.py generate_buckets: range(log2(min), round(log2(max)))
    assert nxdi_buckets(1152) == (128, 256, 512, 1152)  # round(log2 1152) = 10: 1024 is left out
    assert nxdi_buckets(12800) == (128, 256, 512, 1024, 2048, 4096, 8192, 12800)  # round(13.64) = 14
    assert nxdi_buckets(2048) == (128, 256, 512, 1024, 2048)
    assert nxdi_buckets(128) == (128,)


def test_textbook_tnx_1152_prefill_pads_and_decode_reads_the_mean_bucket():
    buckets = Bucketing.tnx_default(1152)
    assert buckets.prefill_buckets == (64, 128, 256, 512, 576)  # bucket.context_sizes: half of each token bucket
    assert buckets.prefill_len(128) == 128 and buckets.prefill_len(129) == 256 and buckets.prefill_len(1) == 64
    # lengths 129..1152 by hand: 128 steps on 256, 256 on 512, 512 on 1024, 128 on 1152
    assert buckets.mean_decode_len(128, 1024) == (128 * 256 + 256 * 512 + 512 * 1024 + 128 * 1152) / 1024 == 816
    # one step at length 130 runs the 256 bucket; a single bucket is read whole (a static cache)
    assert buckets.mean_decode_len(129, 1) == 256
    assert Bucketing(decode_buckets=(2048,)).mean_decode_len(100, 50) == 2048


def test_serving_with_buckets_is_the_unbucketed_estimate_at_the_bucket_lengths():
    chip = load_chip("trainium1")
    buckets = Bucketing(decode_buckets=(256, 1024), prefill_buckets=(256,))
    bucketed = estimate_serving(LLAMA_8B, chip, batch=4, prompt_len=200, output_len=200, tensor_parallel=8,
                                bucketing=buckets)
    # prefill: the prompt padded to 256; decode lengths 201..400: 56 steps on 256, 144 on 1024 -> mean 808.96 -> 809
    # (the paged estimate's mean step is at prompt + output // 2, so a prompt of 709)
    at_256 = estimate_serving(LLAMA_8B, chip, batch=4, prompt_len=256, output_len=200, tensor_parallel=8)
    assert bucketed.prefill.time_s == at_256.prefill.time_s and bucketed.prefill_comm_s == at_256.prefill_comm_s
    mean_809 = estimate_serving(LLAMA_8B, chip, batch=4, prompt_len=809 - 100, output_len=200, tensor_parallel=8)
    assert bucketed.mean_decode.time_s == pytest.approx(mean_809.mean_decode.time_s)
    unbucketed = estimate_serving(LLAMA_8B, chip, batch=4, prompt_len=200, output_len=200, tensor_parallel=8)
    assert bucketed.time_s > unbucketed.time_s
    # memory holds the largest bucket per sequence, like a static cache of that length
    static = estimate_serving(LLAMA_8B, chip, batch=4, prompt_len=200, output_len=200, tensor_parallel=8,
                              static_kv_cache_len=1024)
    assert bucketed.memory == static.memory


@pytest.mark.parametrize(("prompt_len", "output_len", "match"),
                         [(300, 10, "prefill bucket"), (200, 900, "decode bucket")])
def test_a_request_longer_than_the_buckets_is_refused(prompt_len, output_len, match):
    buckets = Bucketing(decode_buckets=(256, 1024), prefill_buckets=(256,))
    with pytest.raises(ChiplabInputError, match=match):
        estimate_serving(LLAMA_8B, load_chip("trainium1"), batch=1, prompt_len=prompt_len, output_len=output_len,
                         tensor_parallel=8, bucketing=buckets)


@pytest.mark.parametrize("bad", [(), (0, 128), ("128",), 128, None])
def test_bad_bucket_ladders_are_refused(bad):
    with pytest.raises(ChiplabInputError, match="decode_buckets"):
        Bucketing(decode_buckets=bad)


def test_buckets_and_a_static_cache_are_exclusive():
    with pytest.raises(ChiplabInputError, match="static_kv_cache_len and bucketing"):
        estimate_serving(LLAMA_8B, load_chip("trainium1"), batch=1, prompt_len=10, output_len=10, tensor_parallel=8,
                         bucketing=Bucketing(decode_buckets=(128,)), static_kv_cache_len=128)


def test_validation_reads_stated_buckets_and_names_the_defaults():
    nxdi = case_setup(get_measurement("nxdi_trn2_llama31_405b_bf16_bs1")).arguments["bucketing"]
    assert nxdi == Bucketing(decode_buckets=(12800,), prefill_buckets=(2048, 4096, 10240, 12288))  # the tutorial's
    tnx = case_setup(get_measurement("inf2_llama3_70b_bs1_in128_out1024"))
    assert tnx.arguments["bucketing"] == Bucketing.tnx_default(1152)
    assert any("TNx defaults for n_positions 1152" in d for d in tnx.defaults)
    vllm = case_setup(get_measurement("vllm_trn2_llama31_8b_baseline_c2"))
    ladder = nxdi_buckets(2048)
    assert vllm.arguments["bucketing"] == Bucketing(decode_buckets=ladder, prefill_buckets=ladder)
    assert case_setup(get_measurement("trtllm_h200_llama31_8b_fp8_tp1_in128_out2048")).arguments["bucketing"] is None


@pytest.mark.parametrize(("make", "name"), [
    (lambda size: Bucketing(decode_buckets=(128, size)), "decode_buckets entry"),
    (lambda size: Bucketing(decode_buckets=(size,), prefill_buckets=(size,)), "decode_buckets entry"),
    (tnx_buckets, "largest"), (nxdi_buckets, "largest"), (lambda size: nxdi_buckets(4096, size), "smallest"),
])
@pytest.mark.parametrize("size", [10**9 + 1, 10**400], ids=["1e9+1", "1e400"])
def test_bucket_lengths_past_any_sequence_are_refused(make, name, size):
    # a 1e400-token bucket used to overflow mean_decode_len's float (OverflowError); chiplab estimates sequences of
    # at most 1e9 tokens (workloads.activation_memory.MAX_TOKENS_PER_SEQUENCE), and the message says so
    with pytest.raises(ChiplabInputError, match=f"{name} must be a whole number between 1 and 1,000,000,000"):
        make(size)


def test_prefill_buckets_longer_than_the_cache_are_refused():
    # the prompt's K and V are written into the cache, which holds the largest decode bucket (TNx n_positions,
    # NxDI seq_len); NxDI's context buckets end at max_context_length <= seq_len
    with pytest.raises(ChiplabInputError, match=r"prefill_buckets end at 4096 tokens, beyond .* decode bucket 1024"):
        Bucketing(decode_buckets=(256, 1024), prefill_buckets=(512, 4096))
    assert Bucketing(decode_buckets=(256, 1024), prefill_buckets=(512, 1024)).cache_len == 1024


def test_nxdi_ladder_below_its_smallest_bucket_is_one_bucket():
    # generate_buckets(128, 64): range(7, 6) is empty, so the ladder is [64] (NxDI modules/autobucketing.py)
    assert nxdi_buckets(64) == (64,)
