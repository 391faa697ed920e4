"""Serving at a latency target: the largest batch whose decode still gives every request its output speed.

A decode step reads all the weights once however many sequences share it, so a bigger batch buys throughput
almost for free, until the KV cache's reads and the matmuls' compute make the step longer. A service promises
each user a speed (say 20 output tokens/s, i.e. a step of at most 50 ms), so the batch it can run is the
largest whose step time stays under 1 / speed and whose weights + KV cache still fit in memory. Step time
never falls as the batch grows, so the largest such batch is found by bisection. Prefill and decode are timed
separately (:func:`chiplab.perf.estimate_serving`); the cost per million input + output tokens follows from the
batch's wall time and the chips' price.
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import (
    fraction,
    instance_of,
    non_negative_int,
    one_of,
    positive,
    positive_int,
    positive_int_at_most,
)
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import Calibration
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.workloads.activation_memory import MAX_SEQUENCES, activation_bytes_per_layer
from chiplab.workloads.footprint import Parallelism, inference_memory, kv_sequence_shards
from chiplab.workloads.gemm import DTYPE_BITS
from chiplab.workloads.llm_steps import KV_DTYPES
from chiplab.workloads.transformer import TransformerConfig


@dataclass(frozen=True)
class SpeedTargetResult:
    """The largest batch meeting a per-request output speed, and what limits it."""

    target_tokens_per_s_per_request: float
    estimate: ServingEstimate  # at the chosen batch
    largest_fitting_batch: int  # what memory alone would allow
    limited_by: str  # "speed" (a bigger batch would be too slow) or "memory" (a bigger one would not fit)

    @property
    def batch(self) -> int:
        return self.estimate.batch


def largest_fitting_batch(config: TransformerConfig, chip: Chip, *, context_len: int, tensor_parallel: int = 1,
                          limit: int = MAX_SEQUENCES, kv_sharding: str = "replicate",
                          total_fraction: float = 1.0, free_fraction: float = 1.0,
                          kv_cache_dtype: str | None = None, reserved_tokens: int = 0) -> int:
    """Sequences of ``context_len`` tokens whose weights and KV cache fit in one chip's HBM (0 if none).

    Memory grows linearly with the batch (KV cache and working set per sequence), so two evaluations give it.
    Serving engines keep a margin: ``total_fraction`` is the share of the HBM the engine uses at all (vLLM's
    ``gpu_memory_utilization``), ``free_fraction`` the share of what is left after the weights that the KV cache
    may take (TensorRT-LLM's ``kv_cache_free_gpu_mem_fraction``); both 1 by default (every byte).
    ``kv_cache_dtype`` as in :func:`estimate_serving`. ``reserved_tokens``: the tokens of one forward pass whose
    transient working set the engine keeps free before it sizes the KV cache (vLLM profiles a dummy forward of
    ``max_num_batched_tokens`` tokens and gives the KV cache only what is left: ``determine_available_memory`` in
    ``vllm/v1/worker/gpu_worker.py``, ``determine_num_available_blocks`` in V0's worker); counted as one layer's
    activations at that many tokens (the decode working set's measure, :func:`inference_memory`); 0: none.
    """
    instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    context_len = positive_int_at_most("context_len", context_len, 10**9)
    limit = positive_int("limit", limit)
    total_fraction = fraction("total_fraction", total_fraction, allow_zero=False)
    free_fraction = fraction("free_fraction", free_fraction, allow_zero=False)
    parallelism = Parallelism(tensor=positive_int("tensor_parallel", tensor_parallel))
    shards = kv_sequence_shards(config, parallelism.tensor, kv_sharding)
    kv_bytes = None if kv_cache_dtype is None else DTYPE_BITS[one_of("kv_cache_dtype", kv_cache_dtype, KV_DTYPES)] // 8
    one, two = (inference_memory(config, batch=batch, context_len=context_len, parallelism=parallelism,
                                 kv_sequence_shards=shards, kv_bytes_per_element=kv_bytes).total_bytes
                for batch in (1, 2))
    per_sequence, fixed = two - one, 2 * one - two
    capacity_bytes = chip.hbm.capacity_bytes
    if capacity_bytes is None:
        raise ChiplabInputError(f"chip {chip.id!r} publishes no HBM capacity, so no batch can be shown to fit")
    reserved_tokens = non_negative_int("reserved_tokens", reserved_tokens)
    reserved_bytes = (activation_bytes_per_layer(config, batch=1, seq_len=reserved_tokens,
                                                 tensor_parallel=parallelism.tensor,
                                                 bytes_per_element=config.bytes_per_element)
                      if reserved_tokens else 0.0)
    free = (capacity_bytes * total_fraction - fixed - reserved_bytes) * free_fraction
    if free < per_sequence:
        return 0
    return min(limit, int(free // per_sequence))


def serve_at_speed(config: TransformerConfig, chip: Chip, *, tokens_per_s_per_request: float, prompt_len: int,
                   output_len: int, tensor_parallel: int = 1, calibration: Calibration | None = None,
                   kv_sharding: str = "replicate") -> SpeedTargetResult:
    """The largest batch that gives each request ``tokens_per_s_per_request`` output tokens/s and fits
    (``kv_sharding`` as in :func:`estimate_serving`)."""
    instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    target = positive("tokens_per_s_per_request", tokens_per_s_per_request)
    prompt_len = positive_int_at_most("prompt_len", prompt_len, 10**9)
    output_len = positive_int_at_most("output_len", output_len, 10**9)
    fitting = largest_fitting_batch(config, chip, context_len=prompt_len + output_len,
                                    tensor_parallel=tensor_parallel, kv_sharding=kv_sharding)
    if fitting == 0:
        raise ChiplabInputError(f"not even one sequence of {prompt_len + output_len} tokens fits on "
                                f"{tensor_parallel} {chip.id}; raise tensor_parallel or shorten the context")

    def at(batch: int) -> ServingEstimate:
        return estimate_serving(config, chip, batch=batch, prompt_len=prompt_len, output_len=output_len,
                                tensor_parallel=tensor_parallel, calibration=calibration, kv_sharding=kv_sharding)

    best = at(1)
    if best.output_tokens_per_s_per_request < target:
        raise ChiplabInputError(
            f"no batch meets {target:g} tokens/s per request on {tensor_parallel} {chip.id}: even a batch of 1 "
            f"decodes at {best.output_tokens_per_s_per_request:.3g} tokens/s; lower the target or raise "
            "tensor_parallel")
    low, high = 1, fitting  # invariant: low meets the target
    top = at(high)
    if top.output_tokens_per_s_per_request >= target:
        return SpeedTargetResult(target, top, fitting, "memory")
    while high - low > 1:
        middle = (low + high) // 2
        if at(middle).output_tokens_per_s_per_request >= target:
            low = middle
        else:
            high = middle
    return SpeedTargetResult(target, at(low), fitting, "speed")
