"""Context parallelism: each sequence split over c chips, attention's keys and values passed around a ring.

Megatron-Core's context parallelism (Megatron-Core developer guide, "Context parallelism",
https://docs.nvidia.com/megatron-core/developer-guide/latest/api-guide/context_parallel.html, read 2026-12-08;
implemented in Transformer Engine's attention) splits every activation of every layer along the sequence:

* **Compute.** Each of the c chips of a context-parallel group holds T/c tokens of every sequence. The linear layers,
  norms and the MLP have no inter-token work, so they run on those T/c tokens as usual. Core attention needs the keys
  and values of all T tokens: a chip's T/c queries meet the c chunks of T/c keys one after another (blockwise
  FlashAttention with online softmax), c blocks of (T/c)² per sequence and head, i.e. 1/c of the T² work (causal load
  balancing gives each chip two mirrored chunks, so every chip has the same share of the unmasked blocks).
* **Communication.** The all-gather of K and V in the forward pass, and in the backward pass the all-gather again
  (each chip keeps only its own chunk) plus the reduce-scatter of their gradients dK, dV, run as point-to-point
  transfers around a ring of the c chips: c − 1 steps, each moving one chunk of K and V (micro-batch × T/c ×
  2 · KV width ÷ t) to the next chip while the current block computes. A fully recomputed layer gathers again in its
  recomputed forward. What the c − 1 transfers cannot hide behind the c − 1 blocks computed beside them is exposed.
* **Gradients.** All c chips of a group hold the same weights and see different tokens: the weight gradients are
  reduced, and a distributed optimizer sharded, over the d · c chips of data × context parallelism (Megatron-Bridge
  ``docs/performance-guide.md``: "optimizer state partitioning spans both the data parallel (DP) and context
  parallel (CP) dimensions").

Megatron's rank order is tensor, context, data, pipeline (``megatron/core/parallel_state.py``): the c chips of a
group are t ranks apart, so they share a scale-up domain when t · c fits in it; otherwise the ring crosses the
scale-out network, whose per-chip bandwidth then paces every step (all hops move at once; the slowest decides).
"""

from __future__ import annotations

import dataclasses

from chiplab._checks import (
    finite,
    fraction,
    in_range,
    instance_of,
    non_negative,
    non_negative_int,
    positive_int_at_most,
)
from chiplab.perf.collectives import Network, neighbour_transfer_time_s
from chiplab.perf.step import StepEstimate
from chiplab.workloads.ops import ModelStep, with_count

# Ops of core attention (forward, FlashAttention's recomputation, backward): the work done once per ring block.
CORE_ATTENTION_OPS = ("scores", "softmax", "attn_values")
# Ring passes of one layer's K, V chunk per training stage: the forward gathers K and V; the backward gathers them
# again and reduce-scatters dK, dV (Megatron-Core guide, "Context parallelism"); a recomputed forward gathers again.
FORWARD_PASSES = 1
BACKWARD_PASSES = 2
# Sanity bounds, like workloads.activation_memory's MAX_SEQUENCES: far beyond any published run, and they keep op
# counts x FLOPs and layers x passes x ring steps finite floats (a 1e400-way group would overflow them).
MAX_CONTEXT_PARALLEL = 10**9  # as MAX_TOKENS_PER_SEQUENCE: >= 1 token a chip
MAX_LAYERS = 10**6


def _context_parallel(value: object) -> int:
    return positive_int_at_most("context_parallel", value, MAX_CONTEXT_PARALLEL)


def is_core_attention(op: object) -> bool:
    """Whether ``op`` belongs to core attention (scores, softmax, P·V, their recomputation and gradients)."""
    return getattr(op, "name", "").split(".")[0] in CORE_ATTENTION_OPS


def context_parallel_step(local_step: ModelStep, context_parallel: int) -> ModelStep:
    """One chip's share of a training step under ``context_parallel`` (c) ways, from ``local_step``: the step of its
    T/c tokens as if they were whole sequences. Core attention is then one block of (T/c)²; with c-way context
    parallelism the chip computes c such blocks (its queries against every chunk of keys), so those ops run c times."""
    instance_of("local_step", local_step, ModelStep, "a training ModelStep of the chip's T/c tokens")
    c = _context_parallel(context_parallel)
    if c == 1:
        return local_step
    ops = tuple(with_count(op, c) if is_core_attention(op) else op for op in local_step.ops)
    return dataclasses.replace(local_step, name=f"{local_step.name}, {c}-way context parallel", ops=ops)


def ring_passes_per_layer(recomputed_layer_fraction: float) -> float:
    """Ring passes of a layer's K, V chunk in one training step: forward, backward, and the recomputed forward of the
    ``recomputed_layer_fraction`` of layers that full recomputation reruns."""
    return FORWARD_PASSES + BACKWARD_PASSES + fraction("recomputed_layer_fraction", recomputed_layer_fraction)


def ring_step_s(chunk_bytes: float, network: Network, efficiency_fraction: float, *, within_domain: bool) -> float:
    """One ring step: every chip sends its ``chunk_bytes`` to the next chip of the group at once — over the scale-up
    links when the group shares a domain, else over each chip's own scale-out bandwidth (the slowest hop paces)."""
    instance_of("network", network, Network, "a Network (network_for(chip))")
    efficiency_fraction = fraction("efficiency_fraction", efficiency_fraction, allow_zero=False)
    if instance_of("within_domain", within_domain, bool, "True or False"):
        return neighbour_transfer_time_s(chunk_bytes, network, efficiency_fraction)
    return network.latency_s + non_negative("chunk_bytes", chunk_bytes) / (
        network.scale_out_bandwidth_bytes_per_s * efficiency_fraction)


def ring_exposed_s(step: StepEstimate, *, context_parallel: int, num_layers: int, ring_passes: float,
                   ring_step_time_s: float) -> float:
    """Exposed ring time of one microbatch on one chip: each of ``num_layers`` layers sends its chunk around the ring
    ``ring_passes`` times (c − 1 steps each); the c − 1 transfers of a pass overlap c − 1 of the c attention blocks
    (the first block uses the chip's own chunk), so (c − 1)/c of core attention's time can hide them."""
    instance_of("step", step, StepEstimate, "a StepEstimate (estimate_step(...))")
    c = _context_parallel(context_parallel)
    if c == 1:
        return 0.0
    num_layers = non_negative_int("num_layers", num_layers)
    if num_layers:
        positive_int_at_most("num_layers", num_layers, MAX_LAYERS)
    passes = in_range("ring_passes", ring_passes, 0, ring_passes_per_layer(1.0))  # at most every layer recomputed
    transfers_s = finite("ring_step_time_s x num_layers x ring_passes x (context_parallel - 1)",
                         num_layers * passes * (c - 1) * non_negative("ring_step_time_s", ring_step_time_s))
    attention_s = sum(op.time_s for op in step.ops if is_core_attention(op))
    return max(0.0, transfers_s - (c - 1) / c * attention_s)


__all__ = ["CORE_ATTENTION_OPS", "context_parallel_step", "is_core_attention", "ring_exposed_s",
           "ring_passes_per_layer", "ring_step_s"]
