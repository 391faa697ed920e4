"""KV heads per tensor-parallel rank (chiplab.workloads.footprint.kv_heads_per_rank), the one rule that serving
memory, training shards and NxD Inference's layout share.

Expected counts follow vLLM's ``QKVParallelLinear`` (vllm/model_executor/layers/linear.py): with tp_size >=
total_num_kv_heads each rank has ``num_kv_heads = 1`` and ``num_kv_head_replicas = tp_size / total_num_kv_heads``,
else ``total_num_kv_heads / tp_size`` heads and no replicas. Llama 3's shapes are Meta's config.json files: 8B 32
heads / 8 KV heads, 70B 64 / 8.
"""

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.workloads import TransformerConfig, kv_heads_per_rank, load_model
from chiplab.workloads.footprint import Parallelism, inference_memory


@pytest.mark.parametrize(("ranks", "per_rank"), [(1, 8), (2, 4), (4, 2), (8, 1), (16, 1), (32, 1)])
def test_kv_heads_split_then_copied_per_rank(ranks, per_rank):
    assert kv_heads_per_rank(load_model("llama3-8b"), ranks) == per_rank


def test_ranks_that_do_not_split_the_kv_heads_are_refused():
    # 12 KV heads over 8 ranks: vLLM's divide(12, 8) asserts; there is no whole number of heads per rank
    config = TransformerConfig(name="toy", num_layers=2, d_model=384, num_heads=24, num_kv_heads=12, d_ff=1024,
                               vocab_size=1000)
    with pytest.raises(ChiplabInputError, match=r"8 tensor-parallel ranks must divide num_kv_heads \(12\)"):
        kv_heads_per_rank(config, 8)
    with pytest.raises(ChiplabInputError, match=r"num_kv_heads \(12\)"):
        Parallelism(tensor=8).check(config)  # the same rule, same message


@pytest.mark.parametrize("ranks", [0, -1, 1.5, True])
def test_bad_ranks_name_the_parameter(ranks):
    with pytest.raises(ChiplabInputError, match="ranks"):
        kv_heads_per_rank(load_model("llama3-8b"), ranks)
    with pytest.raises(ChiplabInputError, match="config must be a TransformerConfig"):
        kv_heads_per_rank((8, 32), 4)


def test_serving_cache_per_chip_keeps_one_copy_beyond_the_kv_heads():
    # 70B: 8 KV heads; 16 chips keep one head each (each head on 2 chips), so a chip holds 1/8 of the whole cache
    model = load_model("llama3-70b")
    whole = model.kv_cache_bytes(batch=1, context_len=1000, bytes_per_element=2)
    memory = inference_memory(model, batch=1, context_len=1000, kv_bytes_per_element=2,
                              parallelism=Parallelism(tensor=16))
    assert memory.kv_cache_bytes == pytest.approx(whole / 8)
