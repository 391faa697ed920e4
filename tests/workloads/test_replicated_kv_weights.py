"""K/V projection weights replicated across tensor-parallel ranks (chiplab.workloads.footprint.params_per_chip).

With more ranks than key/value heads every rank keeps whole K and V projections of its head: NxD Training's
``GQAQKVColumnParallelLinear`` (aws-neuron/neuronx-distributed ``modules/qkv_linear.py`` at fbac349, read
2026-12-08: ``kv_output_size_per_partition = output_sizes[1] * kv_size_multiplier / world_size``), vLLM's
``QKVParallelLinear`` (``num_kv_head_replicas``). Expected counts are by hand; Llama 3 shapes from Meta's config.json
(8B: 32 layers, d 4096, 8 KV heads of 128; 70B: 80 layers, d 8192, 8 KV heads of 128).
"""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.workloads import TransformerConfig, load_model, params_per_chip
from chiplab.workloads.footprint import MIXED_PRECISION_ADAM, Parallelism, training_memory

# d = 8, 4 query heads and 2 KV heads of 2: one K/V head's projections are 2 × 2 × 8 = 32 parameters a layer
TINY = TransformerConfig(name="tiny", num_layers=2, d_model=8, num_heads=4, num_kv_heads=2, d_ff=16, vocab_size=32)


def test_ranks_that_split_the_kv_heads_hold_an_even_share():
    llama = load_model("llama3-8b")
    assert params_per_chip(llama, Parallelism(tensor=8)) == llama.num_params / 8
    assert params_per_chip(TINY, Parallelism(tensor=2, pipeline=2)) == TINY.num_params / 4


def test_four_ranks_on_two_kv_heads_each_keep_a_whole_head_by_hand():
    # each chip 1 head instead of 2/4: 0.5 heads × 32 parameters × 2 layers = 32 more
    assert params_per_chip(TINY, Parallelism(tensor=4)) == TINY.num_params / 4 + 32
    # biases add one per output column: 2 × 2 × (8 + 1) = 36 a head and layer
    biased = TransformerConfig(name="tiny", num_layers=2, d_model=8, num_heads=4, num_kv_heads=2, d_ff=16,
                               vocab_size=32, bias=True)
    assert params_per_chip(biased, Parallelism(tensor=4)) == biased.num_params / 4 + 0.5 * 36 * 2


def test_llama3_8b_on_16_trainium_chips_of_two_ranks_by_hand():
    # 32 ranks (NxD --kv_replicator 4): 1 KV head a rank, 2 a chip instead of 8/16 = 0.5 → 32 × 1.5 × 2 × 128 × 4096
    llama = load_model("llama3-8b")
    assert params_per_chip(llama, Parallelism(tensor=16), tensor_ranks_per_chip=2) == \
        llama.num_params / 16 + 50_331_648


def test_training_memory_counts_the_replicated_weights_gradients_and_optimizer_state():
    even = training_memory(TINY, batch=1, seq_len=4, parallelism=Parallelism(tensor=2))
    replicated = training_memory(TINY, batch=1, seq_len=4, parallelism=Parallelism(tensor=2), tensor_ranks_per_chip=2)
    # 2 chips × 2 ranks: each rank 1 head, a chip 2 instead of 1 → 1 × 32 × 2 layers = 64 more parameters
    p = MIXED_PRECISION_ADAM
    assert replicated.weights_bytes - even.weights_bytes == 64 * p.weight_bytes_per_param == 128
    assert replicated.gradients_bytes - even.gradients_bytes == 64 * p.gradient_bytes_per_param
    assert replicated.optimizer_state_bytes - even.optimizer_state_bytes == 64 * 12
    assert replicated.activations_bytes == even.activations_bytes


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_a_bad_rank_count_is_refused_by_name(bad):
    with pytest.raises(ChiplabInputError, match="tensor_ranks_per_chip"):
        params_per_chip(TINY, Parallelism(tensor=2), tensor_ranks_per_chip=bad)


@pytest.mark.parametrize(("config", "parallelism"), [(TINY, None), (TINY, 2), ("tiny", Parallelism())])
def test_a_missing_model_or_split_is_refused_by_name(config, parallelism):
    with pytest.raises(ChiplabInputError, match=r"parallelism|config"):
        params_per_chip(config, parallelism)
