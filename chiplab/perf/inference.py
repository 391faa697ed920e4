"""Serving a transformer: prefill the prompt, then decode token by token, on one chip or a tensor-parallel group.

A request batch of ``batch`` sequences with ``prompt_len`` prompt tokens and ``output_len`` generated tokens:

* **Prefill** runs the whole prompt at once (compute-bound for long prompts).
* **Decode** runs one token per sequence per step against a growing KV cache (memory-bound: every step reads all
  weights and the cache). The cache grows linearly, so the mean decode step is the step at the midpoint context,
  prompt_len + output_len / 2 (exact for the linear part, which is all of it in this model).
* **Tensor parallelism** t splits each layer across t chips (a narrower model per chip, as in training) and adds
  2 all-reduces of the layer's activations per layer per step (Megatron-LM).
* **KV cache beyond the KV heads.** With more ranks than key/value heads (t > KV), each head's cache is either
  replicated on the t/KV ranks that share it (``kv_sharding="replicate"``, what head-parallel serving does) or
  split along the context among them (``"sequence"``): each rank then stores and reads 1/r of the head's
  positions (r = t/KV) and the partial attention outputs are combined with one all-reduce per layer of the
  rank's fp32 outputs and softmax statistics (FlashDecoding's split-KV reduction, across chips).
* **Static KV cache** (``static_kv_cache_len``). Engines that give every batch slot a cache of fixed length and
  decode without ragged attention read and attend over all of it every step, whatever the sequences' lengths:
  jetstream-pytorch without its ``ragged_mha`` option calls dense or flash attention on the whole cache with a
  mask (``jetstream_pt/layers.py``, ``AttentionKernel``). Paged engines (vLLM, TensorRT-LLM) read only the
  positions a sequence has, hence the midpoint context above.
* **Shape buckets** (``bucketing``, :mod:`chiplab.perf.bucketing`). Engines that compile fixed-shape graphs (the
  Neuron stacks) pad each prompt to a prefill bucket and run each decode step on the smallest decode bucket that
  holds the sequence: the mean step attends over the mean bucket, and the cache holds the largest one.
* **Padded CUDA graphs** (``decode_graph_batch``). An engine that replays captured graphs pads a decode batch with
  dummy requests up to the next captured size (TensorRT-LLM with ``enable_padding``): the weight GEMMs, vector ops
  and all-reduces run at the padded batch, core attention only over the real requests' caches.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chiplab._checks import instance_of, one_of, positive, positive_int, positive_int_at_most, published
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.bucketing import Bucketing
from chiplab.perf.calibration import Calibration
from chiplab.perf.calibration_fit import calibration_or_fitted
from chiplab.perf.collectives import network_for
from chiplab.perf.context_parallel import is_core_attention
from chiplab.perf.estimate_bands import BandRanges, serving_band, speed_range
from chiplab.perf.step import StepEstimate, estimate_step
from chiplab.perf.training import shard
from chiplab.perf.validation_bands import ErrorBand
from chiplab.units import format_bytes
from chiplab.workloads.activation_memory import MAX_SEQUENCES, MAX_TOKENS_PER_SEQUENCE
from chiplab.workloads.eight_bit_training import activation_bytes_per_element
from chiplab.workloads.footprint import MemoryFootprint, Parallelism, inference_memory, kv_sequence_shards
from chiplab.workloads.gemm import DTYPE_BITS
from chiplab.workloads.llm_steps import KV_DTYPES, decode_step, prefill_step
from chiplab.workloads.transformer import TransformerConfig


@dataclass(frozen=True)
class ServingEstimate(BandRanges):
    """One batch of requests served on ``tensor_parallel`` chips."""

    model_name: str
    chip_id: str
    tensor_parallel: int
    batch: int
    prompt_len: int
    output_len: int
    prefill: StepEstimate
    mean_decode: StepEstimate
    prefill_comm_s: float
    decode_comm_s: float  # per decode step
    memory: MemoryFootprint
    # chiplab's error band on published serving runs of this chip's family (chiplab.perf.estimate_bands); None
    # where the record says nothing about this estimate (ideal or hand-typed calibration, toy chip)
    band: ErrorBand | None = None
    # prefill steps run one after another: 1 when the whole batch is prefilled at once; ``batch`` when the engine
    # prefills one request at a time (``prefill`` and ``prefill_comm_s`` are then one sequence's)
    num_prefill_steps: int = 1

    @property
    def calibration(self) -> Calibration:
        """The calibration this estimate used (its ``name`` and ``source``)."""
        return self.prefill.calibration

    @property
    def prefill_s(self) -> float:
        """Prefill time of the whole batch (every prefill step)."""
        return self.num_prefill_steps * (self.prefill.time_s + self.prefill_comm_s)

    @property
    def decode_step_s(self) -> float:
        """Mean time of one decode step (one new token for every sequence of the batch)."""
        return self.mean_decode.time_s + self.decode_comm_s

    @property
    def time_s(self) -> float:
        """Wall time of the whole batch: prefill plus every decode step."""
        return self.prefill_s + self.output_len * self.decode_step_s

    @property
    def output_tokens_per_s(self) -> float:
        """Generated tokens per second of the whole group of chips."""
        return self.batch * self.output_len / self.time_s

    @property
    def output_tokens_per_s_per_chip(self) -> float:
        return self.output_tokens_per_s / self.tensor_parallel

    @property
    def time_per_output_token_s(self) -> float:
        """What one user sees between tokens: the decode step time."""
        return self.decode_step_s

    @property
    def output_tokens_per_s_per_request(self) -> float:
        """The speed one user sees while their answer streams: one token per decode step."""
        return 1.0 / self.decode_step_s

    @property
    def tokens_per_s(self) -> float:
        """Input (prompt) plus output tokens served per second by the whole group of chips."""
        return self.batch * (self.prompt_len + self.output_len) / self.time_s

    @property
    def output_tokens_per_s_range(self) -> tuple[float, float] | None:
        """(low, high) of the true output tokens/s of the group over :attr:`band`; None without a band."""
        return speed_range(self.band, self.output_tokens_per_s)

    @property
    def output_tokens_per_s_per_chip_range(self) -> tuple[float, float] | None:
        """(low, high) of the true output tokens/s per chip over :attr:`band`; None without a band."""
        return speed_range(self.band, self.output_tokens_per_s_per_chip)

    @property
    def output_tokens_per_s_per_request_range(self) -> tuple[float, float] | None:
        """(low, high) of the true per-request streaming speed over :attr:`band`; None without a band."""
        return speed_range(self.band, self.output_tokens_per_s_per_request)

    def cost_per_million_tokens_usd(self, usd_per_chip_hour: float) -> float:
        """What a million input + output tokens cost at a price per chip-hour (the ``tensor_parallel`` chips are
        paid for the whole batch's wall time: prefill and every decode step)."""
        price = positive("usd_per_chip_hour", usd_per_chip_hour)
        return price * self.tensor_parallel * self.time_s / 3600 / (self.batch * (self.prompt_len
                                                                                  + self.output_len)) * 1e6


def estimate_serving(config: TransformerConfig, chip: Chip, *, batch: int, prompt_len: int, output_len: int,
                     tensor_parallel: int = 1, calibration: Calibration | None = None,
                     check_memory: bool = True, kv_sharding: str = "replicate",
                     static_kv_cache_len: int | None = None, kv_cache_dtype: str | None = None,
                     sequential_prefill: bool = False, bucketing: Bucketing | None = None,
                     decode_graph_batch: int | None = None) -> ServingEstimate:
    """Time ``batch`` requests on ``tensor_parallel`` chips (see the module docstring for what is counted).

    ``static_kv_cache_len``: the fixed cache length per sequence of a static-cache engine (at least
    ``prompt_len + output_len``); every decode step then reads and attends over that many positions, and memory
    holds that many. None (default): a paged cache that holds and reads only the positions each sequence has.
    ``kv_cache_dtype``: the cache's dtype where it differs from the model's (an FP8 checkpoint that quantizes only
    the linear layers keeps a bf16 cache and bf16 core attention); None: the model's dtype.
    ``sequential_prefill``: the engine prefills one request at a time (vllm-neuron's scheduler admits one prompt
    per prefill step), so the batch's prefill is ``batch`` one-sequence prefills back to back; False: one step.
    ``bucketing``: the engine's shape buckets (:class:`chiplab.perf.bucketing.Bucketing`): prefill runs the prompt
    padded to its bucket, each decode step reads and attends over its bucket's positions, memory holds the largest
    bucket per sequence; None (default): no buckets. Not together with ``static_kv_cache_len`` (a single bucket).
    ``decode_graph_batch``: the batch the decode step's kernels really run where the engine pads it to a captured
    CUDA graph with dummy requests (TensorRT-LLM's ``cuda_graph_config.enable_padding``: ``_round_up_batch_size``
    pads to the smallest captured size that holds the batch): weight GEMMs, vector ops and the all-reduces run at
    that batch, core attention only over the real requests' caches (a dummy request holds one token); the tokens
    produced stay ``batch``'s. None (default): the batch itself.
    """
    instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    calibration = calibration_or_fitted(chip, config.dtype, calibration)
    batch = positive_int_at_most("batch", batch, MAX_SEQUENCES)
    prompt_len = positive_int_at_most("prompt_len", prompt_len, MAX_TOKENS_PER_SEQUENCE)
    output_len = positive_int_at_most("output_len", output_len, MAX_TOKENS_PER_SEQUENCE)
    t = positive_int("tensor_parallel", tensor_parallel)
    instance_of("sequential_prefill", sequential_prefill, bool, "True or False")
    prefill_batch = 1 if sequential_prefill else batch
    context = prompt_len + output_len
    if static_kv_cache_len is not None:
        static_kv_cache_len = positive_int_at_most("static_kv_cache_len", static_kv_cache_len,
                                                   MAX_TOKENS_PER_SEQUENCE)
        if static_kv_cache_len < context:
            raise ChiplabInputError(f"static_kv_cache_len must be >= prompt_len + output_len ({context}); got "
                                    f"{static_kv_cache_len}")
    if bucketing is not None:
        instance_of("bucketing", bucketing, Bucketing, "a Bucketing (Bucketing.tnx_default(4096)) or None")
        if static_kv_cache_len is not None:
            raise ChiplabInputError("static_kv_cache_len and bucketing are exclusive (a static cache is one decode "
                                    f"bucket); got {static_kv_cache_len} and {bucketing}")
        bucketing.mean_decode_len(prompt_len, output_len)  # refuses a context longer than the largest bucket
        static_kv_cache_len = bucketing.cache_len
    parallelism = Parallelism(tensor=t)
    shards = kv_sequence_shards(config, t, kv_sharding)
    kv_bytes = None if kv_cache_dtype is None else DTYPE_BITS[one_of("kv_cache_dtype", kv_cache_dtype, KV_DTYPES)] // 8
    memory = inference_memory(config, batch=batch, context_len=static_kv_cache_len or context,
                              parallelism=parallelism, kv_bytes_per_element=kv_bytes,
                              kv_sequence_shards=shards)
    if check_memory:
        capacity = published(f"{chip.id}: HBM capacity", chip.hbm.capacity_bytes)
        if memory.total_bytes > capacity:
            raise ChiplabInputError(
                f"does not fit: each {chip.display_name} needs {format_bytes(memory.total_bytes)} (weights "
                f"{format_bytes(memory.weights_bytes)}, KV cache {format_bytes(memory.kv_cache_bytes)}) but has "
                f"{format_bytes(capacity)}; raise tensor_parallel ({t}), or lower batch or context")
    part = shard(config, parallelism)
    prefill_len = prompt_len if bucketing is None else bucketing.prefill_len(prompt_len)
    prefill = estimate_step(prefill_step(part, batch=prefill_batch, prompt_len=prefill_len, kv_dtype=kv_cache_dtype),
                            chip, calibration)
    # A paged cache grows linearly, so the mean step attends over the midpoint; a static one is read whole; with
    # buckets each step reads its bucket (step time is affine in the context, so the mean bucket gives the mean step).
    if bucketing is not None:
        mid_context = round(bucketing.mean_decode_len(prompt_len, output_len))
    else:
        mid_context = static_kv_cache_len or prompt_len + max(1, output_len // 2)
    # Each rank attends over its 1/shards of the positions (only the attention ops depend on the context).
    per_rank_context = -(-mid_context // shards)
    decode = estimate_step(decode_step(part, batch=batch, context_len=per_rank_context, kv_dtype=kv_cache_dtype), chip,
                           calibration)
    graph_batch = batch if decode_graph_batch is None else positive_int_at_most("decode_graph_batch",
                                                                                 decode_graph_batch, MAX_SEQUENCES)
    if graph_batch < batch:
        raise ChiplabInputError(f"decode_graph_batch must be >= batch ({batch}); got {graph_batch}")
    if graph_batch > batch:
        padded = estimate_step(decode_step(part, batch=graph_batch, context_len=per_rank_context,
                                           kv_dtype=kv_cache_dtype), chip, calibration)
        decode = dataclasses.replace(decode, ops=tuple(real if is_core_attention(real) else pad
                                                       for real, pad in zip(decode.ops, padded.ops, strict=True)))
    network = network_for(chip) if t > 1 else None

    def layer_comm(tokens: int) -> float:
        if network is None:
            return 0.0
        volume = tokens * config.d_model * activation_bytes_per_element(config.dtype)  # bf16 hidden states
        return 2 * config.num_layers * calibration.collective_s("all_reduce", volume, t, network)

    def kv_combine(tokens: int) -> float:  # partial outputs (fp32) + max and sum per head, over the shards
        if network is None or shards == 1:
            return 0.0
        volume = tokens * part.num_heads * (part.head_dim + 2) * 4
        return config.num_layers * calibration.collective_s("all_reduce", volume, shards, network)

    return ServingEstimate(model_name=config.name, chip_id=chip.id, tensor_parallel=t, batch=batch,
                           prompt_len=prompt_len, output_len=output_len, prefill=prefill, mean_decode=decode,
                           prefill_comm_s=layer_comm(prefill_batch * prefill_len),
                           decode_comm_s=layer_comm(graph_batch) + kv_combine(batch),
                           memory=memory, band=serving_band(chip, config.dtype, calibration),
                           num_prefill_steps=batch // prefill_batch)
