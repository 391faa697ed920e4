"""KV heads replicated when a tensor-parallel group has more ranks than the model has KV heads (NeuronX Distributed's
``--kv_replicator``, set to 4 in its Llama 3 8B and 70B training scripts: examples/training/llama/
tp_zero1_llama_hf_pretrain/tp_zero1_llama3_8B_hf_pretrain.sh and tp_pp_llama_hf_pretrain/run_llama3_70B_tp_pp.sh).
Expected shapes worked by hand from the Llama 3 8B config (Meta's model card: 32 heads, 8 KV heads, head_dim 128)."""

import dataclasses

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.perf.training import shard
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model


def _config():
    return dataclasses.replace(load_model("llama3_8b"), dtype="bf16")


def test_more_tensor_ranks_than_kv_heads_replicate_them_per_rank():
    """Llama 3 8B (32 query heads, 8 KV heads of 128) at TP 32 NeuronCores = 16 Trainium chips, 2 cores each: NxD's
    ``--kv_replicator 4`` gives every core 1 KV head (8 x 4 = 32), so a chip's fused QKV projection has
    2 query + 2 x 2 KV heads = 6 x 128 = 768 output features; one rank per chip would give 2 + 2 x 1 = 512."""
    config = _config()
    cores = shard(config, Parallelism(tensor=16), tensor_ranks_per_chip=2)
    chips = shard(config, Parallelism(tensor=16))
    assert (cores.num_heads, cores.num_kv_heads, cores.q_dim + 2 * cores.kv_dim) == (2, 2, 768)
    assert (chips.num_heads, chips.num_kv_heads, chips.q_dim + 2 * chips.kv_dim) == (2, 1, 512)
    # enough KV heads for every rank: nothing replicated (8 KV heads over 8 GPUs or 4 chips x 2 cores)
    assert shard(config, Parallelism(tensor=8)).num_kv_heads == 1
    assert shard(config, Parallelism(tensor=4), tensor_ranks_per_chip=2).num_kv_heads == 2


def test_ranks_that_split_query_heads_are_refused():
    """32 query heads on 16 chips x 3 cores = 48 ranks: no whole number of heads per rank (NxD's tensor-parallel
    layers split heads evenly over the ranks), so the chip's share would be a fraction of a head."""
    with pytest.raises(ChiplabInputError, match=r"tensor_ranks_per_chip \(3\) x tensor parallelism \(16\) = 48"):
        shard(_config(), Parallelism(tensor=16), tensor_ranks_per_chip=3)
    with pytest.raises(ChiplabInputError, match="tensor_ranks_per_chip"):
        shard(_config(), Parallelism(tensor=16), tensor_ranks_per_chip=0)
