"""The backward all-reduce that replicated K/V heads cost in training (NeuronX Distributed's GQA QKV layer).

With more tensor-parallel ranks than KV heads, every rank keeps its own copy of one KV head
(:func:`chiplab.workloads.footprint.kv_heads_per_rank`). The g = ranks / KV heads copies of a head must end with the
same gradient, so their contributions are summed. NxD Training does it on the K and V *output* gradients, once per
layer in every microbatch's backward pass (neuronx-distributed ``modules/qkv_linear_utils.py``,
``_qkvlinear_autograd_base_setup_bwd``, at commit fbac349, read 2026-12-08):

* tensors: ``grad_output_k`` and ``grad_output_v``, each tokens x (KV heads of the rank x head_dim) — the full
  sequence of the microbatch, as the QKV projection's output is (sequence parallelism gathers its input);
* dtype: cast to ``reduce_dtype`` first, ``torch.float32`` by default (``GQAQKVColumnParallelLinear``, not changed
  by the Llama training example ``examples/training/llama/modeling_llama_nxd.py``): 4 bytes an element;
* group: ``parallel_state.get_kv_shared_replica_groups()``, the ``kv_size_multiplier`` (= ``--kv_replicator``) ranks
  holding the same head. On Trn1 ``arrange_kv_groups`` interleaves them: rank j shares its head with j + H,
  j + 2H, … (H = ranks / g = the KV heads), so with r ranks per chip (NeuronCores, adjacent ranks) a group spans
  g chips when H ≥ r;
* not in the forward pass, and not repeated by activation recomputation (it sits in the backward function).

The result is needed by the QKV layer's input and weight gradients right away, so chiplab counts it exposed, like
the tensor-parallel all-reduces. Any framework training with replicated K/V must sum these gradients somewhere;
chiplab applies NxD's scheme to every such run. That is an ASSUMPTION beyond NxD: under GSPMD (PaLM's multi-query
attention on TPU v4) XLA chooses where the sum happens (the K/V output gradients, or the far smaller weight
gradients) and in which dtype; there the charge is an upper bound (it moved PaLM 540B by 0.3 points).
"""

from __future__ import annotations

from chiplab._checks import instance_of, non_negative_int, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.perf.calibration import Calibration
from chiplab.perf.collectives import Network
from chiplab.workloads.footprint import kv_heads_per_rank
from chiplab.workloads.transformer import TransformerConfig

# NxD's GQAQKVColumnParallelLinear(reduce_dtype=torch.float32): the K/V output gradients are reduced in fp32
REDUCE_BYTES_PER_ELEMENT = 4


def kv_replication_factor(config: TransformerConfig, tensor_ranks: int) -> int:
    """Ranks that hold a copy of the same KV head (NxD's ``kv_size_multiplier``): ranks / KV heads when the ranks
    outnumber the heads, else 1 (the heads are split, not copied)."""
    instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    ranks = positive_int("tensor_ranks", tensor_ranks)
    heads = config.num_kv_heads
    if ranks <= heads:
        return 1
    if ranks % heads:
        raise ChiplabInputError(f"tensor_ranks ({ranks}) must be a multiple of num_kv_heads ({heads}) of model "
                                f"{config.name!r} to copy every KV head to the same number of ranks")
    return ranks // heads


def kv_gradient_allreduce_s(config: TransformerConfig, *, tensor: int, tensor_ranks_per_chip: int, tokens: int,
                            num_layers: int, calibration: Calibration, network: Network) -> float:
    """Time one chip spends in the K/V output-gradient all-reduces of one microbatch's backward pass (module
    docstring): ``num_layers`` layers, ``tokens`` = microbatch x the chip's sequence length, ``tensor`` chips of
    ``tensor_ranks_per_chip`` ranks each. Zero without replication."""
    chips, ranks_per_chip = positive_int("tensor", tensor), positive_int("tensor_ranks_per_chip",
                                                                         tensor_ranks_per_chip)
    copies = kv_replication_factor(config, chips * ranks_per_chip)
    num_layers = non_negative_int("num_layers", num_layers)
    if num_layers > config.num_layers:
        raise ChiplabInputError(f"num_layers ({num_layers}) must be at most model {config.name!r}'s "
                                f"{config.num_layers} layers (the layers of one pipeline stage)")
    if copies == 1 or num_layers == 0:
        return 0.0
    instance_of("calibration", calibration, Calibration, "a Calibration (fitted_calibration(chip, dtype))")
    # Group members sit num_kv_heads ranks apart; members on one chip (ranks_per_chip > KV heads) add locally
    members_per_chip = max(1, ranks_per_chip // config.num_kv_heads)
    group_chips = max(1, copies // members_per_chip)
    groups_per_chip = ranks_per_chip // members_per_chip
    rank_bytes = (positive_int("tokens", tokens) * 2 * kv_heads_per_rank(config, chips * ranks_per_chip)
                  * config.head_dim * REDUCE_BYTES_PER_ELEMENT)  # dK and dV of the rank's heads
    # The chip's groups reduce at once over its links: one all-reduce of all their bytes
    return num_layers * calibration.collective_s("all_reduce", groups_per_chip * rank_bytes, group_chips, network)


__all__ = ["REDUCE_BYTES_PER_ELEMENT", "kv_gradient_allreduce_s", "kv_replication_factor"]
