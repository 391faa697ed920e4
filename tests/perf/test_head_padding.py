"""Head padding and KV-head replication as Transformers NeuronX does them (chiplab.perf.head_padding).

Expected layouts come from TNx's own rules, not from chiplab: ``DecoderLayer.to_neuron`` pads query heads and the
MLP width to ``round_up_to_divisor(n, tp_degree)``; ``NeuronConfig``'s GQA fallback replicates K/V heads to match
the query heads when the ranks do not split them evenly (aws-neuron/transformers-neuronx, src/transformers_neuronx/
decoder.py and config.py). Llama 3 8B's shape is its config.json: 32 heads, 8 KV heads, d_ff 14336, vocab 128256.
"""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf import estimate_serving
from chiplab.perf.head_padding import pad_for_tensor_parallel, replicate_kv_for_nxdi, round_up_to_multiple
from chiplab.perf.measurements import end_to_end_runs
from chiplab.perf.validation_cases import case_setup
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.llm_steps import prefill_step
from chiplab.workloads.presets import load_model

LLAMA_8B = load_model("llama3-8b")


def _flops(config, names):
    step = prefill_step(config, batch=1, prompt_len=256)
    return sum(op.total_flops for op in step.ops if op.name in names)


def test_round_up_to_multiple_by_hand():
    assert [round_up_to_multiple(v, 24) for v in (1, 24, 25, 32, 14336)] == [24, 24, 48, 48, 14352]


def test_32_heads_on_24_ranks_pad_to_48_and_replicate_kv_to_mha():
    padded = pad_for_tensor_parallel(LLAMA_8B, 24)
    assert (padded.num_heads, padded.num_kv_heads, padded.head_dim) == (48, 48, 128)
    assert padded.d_ff == 14352 and padded.vocab_size == 128256  # 128256 = 5344 x 24 already
    Parallelism(tensor=24).check(padded)
    Parallelism(tensor=12).check(padded)  # 24 NeuronCores on 12 chips: 4 heads per chip


def test_padding_costs_48_over_32_of_core_attention():
    # Scores and attention x values scale with the query heads: 48 padded heads do 48/32 of the work.
    padded = pad_for_tensor_parallel(LLAMA_8B, 24)
    core = ("scores", "attn_values")
    assert _flops(padded, core) == pytest.approx(_flops(LLAMA_8B, core) * 48 / 32)
    # The O projection reads 48 heads of 128 instead of 32.
    assert _flops(padded, ("o_proj",)) == pytest.approx(_flops(LLAMA_8B, ("o_proj",)) * 48 / 32)


def test_even_split_is_unchanged():
    assert pad_for_tensor_parallel(LLAMA_8B, 8) is LLAMA_8B  # 8 ranks divide 32 heads, 8 KV heads and 14336
    assert pad_for_tensor_parallel(LLAMA_8B, 4) is LLAMA_8B


def test_kv_heads_replicated_when_ranks_exceed_them_even_if_query_heads_divide():
    # TNx's fallback triggers on n_kv_heads % tp_degree != 0: 8 KV heads on 32 NeuronCores become 32 (MHA).
    padded = pad_for_tensor_parallel(LLAMA_8B, 32)
    assert (padded.num_heads, padded.num_kv_heads, padded.d_ff) == (32, 32, 14336)


# The cache per chip under each stack's layout against plain GQA on the same 16 chips. TNx, Llama 3 8B on 16 Trn1
# chips = 32 NeuronCores: plain GQA keeps ceil(8/16) = 1 KV head per chip; TNx replicates to 32 (MHA), 1 per core =
# 2 per chip. NxDI, Llama 3 70B on 16 Trn2 chips at 64 ranks: 64 KV heads, 4 per chip (one per rank, 4 ranks per
# chip), where the 8 heads spread over 16 chips leave each chip one (a head's cache on the 2 chips that share it).
@pytest.mark.parametrize(("layout", "model", "chip", "ranks", "setup", "ratio"), [
    (pad_for_tensor_parallel, "llama3-8b", "trainium1", 32, {"batch": 8, "prompt_len": 128, "output_len": 1024}, 2),
    (replicate_kv_for_nxdi, "llama3-70b", "trainium2", 64, {"batch": 1, "prompt_len": 1000, "output_len": 100}, 4),
])
def test_replicated_kv_heads_multiply_the_cache_per_chip(layout, model, chip, ranks, setup, ratio):
    model, chip = load_model(model), load_chip(chip)
    plain = estimate_serving(model, chip, tensor_parallel=16, **setup)
    replicated = estimate_serving(layout(model, ranks), chip, tensor_parallel=16, **setup)
    assert replicated.memory.kv_cache_bytes == pytest.approx(ratio * plain.memory.kv_cache_bytes)
    assert replicated.mean_decode.time_s > plain.mean_decode.time_s


@pytest.mark.parametrize("ranks", [0, -24, 2.5, True, "24"])
@pytest.mark.parametrize("layout", [pad_for_tensor_parallel, replicate_kv_for_nxdi])
def test_bad_ranks_name_the_parameter(layout, ranks):
    with pytest.raises(ChiplabInputError, match="ranks"):
        layout(LLAMA_8B, ranks)


@pytest.mark.parametrize("ranks", [33, 10**6, 10**400], ids=["33", "1e6", "1e400"])
@pytest.mark.parametrize("layout", [pad_for_tensor_parallel, replicate_kv_for_nxdi])
def test_more_ranks_than_query_heads_are_refused(layout, ranks):
    # Llama 3 8B has 32 query heads: a 33rd rank would hold only zero padding heads, and 1e400 ranks would build a
    # model of 1e400 heads; the message names the parameter and the allowed range
    with pytest.raises(ChiplabInputError, match=r"ranks must be a whole number between 1 and 32"):
        layout(LLAMA_8B, ranks)
    assert layout(LLAMA_8B, 32).num_heads == 32  # one query head per rank is the most


def test_transformers_neuronx_runs_are_mapped_with_the_padded_model():
    runs = [r for r in end_to_end_runs("serving") if "transformers neuronx" in r.software.lower()]
    assert runs
    for run in runs:
        setup = case_setup(run)  # every TNx run maps now, 24-core Inferentia2 runs included
        assert setup.config.num_heads % run.tensor_parallel == 0
        assert setup.config.num_kv_heads % run.tensor_parallel == 0


# NxD Inference's rules (neuronx_distributed_inference/modules/attention/gqa.py, determine_sharding_strategy and
# get_shardable_head_counts): GQA.REPLICATE_TO_TP_DEGREE by default, so fewer KV heads than ranks become one per rank
# when the ranks are a multiple of them, else GQA.CONVERT_TO_MHA. Llama 3 70B / 405B: 64 / 128 heads, 8 KV heads.
@pytest.mark.parametrize(("model", "ranks", "heads", "kv_heads"), [
    ("llama3-70b", 64, 64, 64),    # 8 KV heads < 64 ranks, 64 % 8 == 0: replicated to tp_degree
    ("llama3-405b", 64, 128, 64),  # query heads already a multiple of the ranks; KV to one per rank
    ("llama3-8b", 24, 48, 24),     # 32 query heads padded to 48; 24 % 8 == 0: KV to 24
    ("llama3-8b", 16, 32, 16),
])
def test_nxdi_replicates_kv_heads_to_the_ranks(model, ranks, heads, kv_heads):
    padded = replicate_kv_for_nxdi(load_model(model), ranks)
    assert (padded.num_heads, padded.num_kv_heads) == (heads, kv_heads)
    assert padded.d_ff == load_model(model).d_ff  # only the heads change (NxDI pads no MLP width here)


def test_nxdi_converts_to_mha_when_the_ranks_are_not_a_multiple_of_the_kv_heads():
    # 8 KV heads on 12 ranks: 12 % 8 != 0 -> CONVERT_TO_MHA, one KV head per padded query head (32 -> 36)
    padded = replicate_kv_for_nxdi(LLAMA_8B, 12)
    assert (padded.num_heads, padded.num_kv_heads) == (36, 36)


def test_nxdi_leaves_kv_heads_the_ranks_divide():
    assert replicate_kv_for_nxdi(LLAMA_8B, 8) is LLAMA_8B  # one KV head per rank already
    assert replicate_kv_for_nxdi(LLAMA_8B, 4) is LLAMA_8B  # two per rank
