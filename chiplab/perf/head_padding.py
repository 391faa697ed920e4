"""How the Neuron stacks lay a model out on more tensor-parallel ranks than its heads divide evenly.

Megatron-style tensor parallelism gives every rank whole attention heads and an equal slice of the MLP, so the
rank count must divide the head count and the MLP width. Transformers NeuronX (TNx, the stack of AWS's Inferentia2
and Trainium1 decoder benchmark tables) accepts any rank count (NeuronCores) and pads instead:

* **Query heads** are padded with zero heads up to the next multiple of the ranks: ``DecoderLayer.to_neuron`` pads the
  Q, K, V and output projections to ``round_up_to_divisor(n_heads, tp_degree)`` heads (``allow_pad``).
* **MLP width** (intermediate size) is padded the same way, and so is the vocabulary of the LM head.
* **Key/value heads** (grouped-query attention): the default ``shard-over-heads`` needs the ranks to split the KV heads
  evenly; when they do not, TNx warns "KV head replication will be enabled since the number of KV heads is not evenly
  divisible by the tensor parallel degree" and switches to ``replicated-heads``, which "transforms a GQA attention
  mechanism into a traditional MHA mechanism by replicating the K/V heads to evenly match the corresponding Q heads"
  (it "consumes more memory ... but avoids collective communications"). The KV cache is then sized for the padded
  query heads (``DecoderLayer.init_caches``).

Sources: aws-neuron/transformers-neuronx, ``src/transformers_neuronx/decoder.py`` (``DecoderLayer.to_neuron``,
``init_caches``), ``src/transformers_neuronx/config.py`` (the GQA fallback) and ``constants.py`` (``GQA`` docstrings),
https://github.com/aws-neuron/transformers-neuronx, accessed 2026-12-07.

NxD Inference (NxDI, the stack of the Trainium2 tutorials and of vllm-neuron) replicates instead of converting where
it can: ``determine_sharding_strategy`` defaults to ``GQA.REPLICATE_TO_TP_DEGREE``, and ``get_shardable_head_counts``
then gives the model ``tp_degree`` key/value heads (one per rank) when there are fewer KV heads than ranks or the ranks
do not split them; where the ranks are not a multiple of the KV heads it falls back to ``GQA.CONVERT_TO_MHA`` (one KV
head per padded query head). Query heads are padded to a multiple of the ranks (``get_number_of_extra_heads``, read
by its use here only: the runs in the record need no query padding). The KV cache holds the replicated heads
(``KVCacheManager._get_num_kv_heads_per_rank``). Source: aws-neuron/neuronx-distributed-inference,
``src/neuronx_distributed_inference/modules/attention/gqa.py`` and ``modules/kvcache/kv_cache_manager.py`` at 4bcdc54
(2026-07-28), accessed 2026-12-08. A textbook case: Llama 3 70B (64 heads, 8 KV heads) on 64 ranks keeps 64 query
heads and gets 64 KV heads, 8 times the KV cache of the unreplicated model.

Padding costs real work: the padded heads are computed, stored and read like real ones. A textbook case: 32 query
heads on 24 ranks are padded to 48 (two per rank), so attention costs 48/32 of the unpadded model; with 8 KV heads,
24 ranks do not split them evenly, so every padded query head gets its own K/V head (48 cached heads instead of 8).
"""

from __future__ import annotations

import dataclasses

from chiplab._checks import instance_of, positive_int, positive_int_at_most
from chiplab.workloads.footprint import kv_heads_per_rank
from chiplab.workloads.transformer import TransformerConfig


def round_up_to_multiple(value: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is >= ``value`` (TNx's ``round_up_to_divisor``)."""
    value, multiple = positive_int("value", value), positive_int("multiple", multiple)
    return -(-value // multiple) * multiple


def _ranks_and_padded_heads(config: object, ranks: object) -> tuple[int, int]:
    """``ranks`` checked against the model, and its query heads padded to a multiple of them. At most one rank per
    query head: a rank beyond them would hold only zero padding heads (and a huge count would build a model of that
    many padded heads)."""
    config = instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    ranks = positive_int_at_most("ranks", ranks, config.num_heads)
    return ranks, round_up_to_multiple(config.num_heads, ranks)


def pad_for_tensor_parallel(config: TransformerConfig, ranks: int) -> TransformerConfig:
    """``config`` as Transformers NeuronX runs it on ``ranks`` tensor-parallel ranks (NeuronCores).

    Query heads, MLP width and vocabulary are padded up to multiples of ``ranks``; key/value heads are kept when
    ``ranks`` divides them, else replicated to one per padded query head (TNx's ``replicated-heads`` fallback). A
    model the ranks already divide evenly comes back unchanged (same object).
    """
    ranks, heads = _ranks_and_padded_heads(config, ranks)
    kv_heads = config.num_kv_heads
    if kv_heads % ranks:  # also when ranks > kv_heads: TNx replicates to MHA rather than sharing a head
        kv_heads = heads
    d_ff = round_up_to_multiple(config.d_ff, ranks)
    vocab = round_up_to_multiple(config.vocab_size, ranks)
    if (heads, kv_heads, d_ff, vocab) == (config.num_heads, config.num_kv_heads, config.d_ff, config.vocab_size):
        return config
    return dataclasses.replace(config, num_heads=heads, num_kv_heads=kv_heads, d_ff=d_ff, vocab_size=vocab,
                               name=f"{config.name} (padded for {ranks} ranks)")


def replicate_kv_for_nxdi(config: TransformerConfig, ranks: int) -> TransformerConfig:
    """``config`` as NxD Inference shards it on ``ranks`` tensor-parallel ranks (see the module docstring): query
    heads padded to a multiple of ``ranks``; grouped KV heads replicated to one per rank when ``ranks`` is a multiple
    of them and they do not already split evenly, else converted to one per padded query head. A model the ranks
    already divide evenly comes back unchanged (same object)."""
    ranks, heads = _ranks_and_padded_heads(config, ranks)
    kv_heads = config.num_kv_heads
    if kv_heads == config.num_heads or (kv_heads % ranks and ranks % kv_heads):  # MHA, or CONVERT_TO_MHA
        kv_heads = heads
    else:  # REPLICATE_TO_TP_DEGREE: each rank keeps KV/ranks heads, or its own copy of one
        kv_heads = ranks * kv_heads_per_rank(config, ranks)
    if (heads, kv_heads) == (config.num_heads, config.num_kv_heads):
        return config
    return dataclasses.replace(config, num_heads=heads, num_kv_heads=kv_heads,
                               name=f"{config.name} (KV heads for {ranks} NxDI ranks)")


__all__ = ["pad_for_tensor_parallel", "replicate_kv_for_nxdi", "round_up_to_multiple"]
