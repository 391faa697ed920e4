"""Training a transformer on many chips: data, tensor and pipeline parallelism, first order but honest.

One training step of a global batch on t·p·d chips (t tensor-, p pipeline-, d data-parallel ways):

* **Compute** of one chip = its shard of the model: Megatron tensor parallelism gives each chip 1/t of the heads
  and of the MLP (and of the vocabulary), which is exactly a narrower transformer; a pipeline stage holds
  num_layers/p layers. Every microbatch runs through :func:`chiplab.perf.step.estimate_step`.
* **Pipeline bubble** (1F1B or GPipe, Narayanan et al. SC'21): the stages idle for (p − 1) microbatch slots, so the
  fwd/bwd time grows by (p − 1)/m for m microbatches — or (p − 1)/(v·m) with the interleaved schedule of v
  virtual stages per chip (same paper, Sec. 2.2), ``num_virtual_stages``.
* **Tensor-parallel communication**: 2 all-reduces of the layer's activations (batch × seq × d_model) in the
  forward pass and 2 in the backward pass, per layer (Shoeybi et al. 2019, Megatron-LM, Sec. 3), not overlapped —
  unless ``tp_comm_overlap`` (Megatron-LM/Transformer Engine ``--tp-comm-overlap``: each collective is cut into
  chunks that move while the GEMM that consumes or produces them computes the previous chunk; Wang et al.,
  "Overlap Communication with Dependent Computation via Decomposition", ASPLOS 2023): then only what exceeds the
  time of the linear layers' GEMMs is exposed.
* **Replicated KV heads** (more tensor ranks than KV heads): an all-reduce of the K/V output gradients per layer
  in each backward pass, counted with the tensor-parallel comm (:mod:`chiplab.perf.kv_replication`).
* **Pipeline communication**: each stage boundary sends the activations forward and their gradients back.
* **Data-parallel gradient synchronisation**, hidden behind the last microbatch's backward pass as far as it can be
  (:mod:`chiplab.perf.data_parallel`: DDP buckets, ZeRO's reduce-scatter and all-gather, or a stated hidden share).
* **Context parallelism** c (Megatron-Core/Transformer Engine, :mod:`chiplab.perf.context_parallel`): each
  sequence is split over c chips; a chip computes its T/c tokens and 1/c of core attention, K and V go around a ring
  of the c chips beside the attention blocks, and gradients are reduced over the d·c chips (``context_parallel``).
* **Fully sharded data parallelism** (ZeRO stage 3, PyTorch FSDP): each chip keeps 1/d of its stage's weights and
  all-gathers them before every microbatch's forward and backward pass; only what the compute cannot cover is
  exposed (:mod:`chiplab.perf.data_parallel`).
* **Interleaved 1F1B** with v virtual stages per chip shrinks the bubble v-fold but sends every microbatch's
  activations across v times as many stage boundaries (Narayanan et al. SC'21, Sec. 2.2).
* **Activation checkpointing** as a source states it: none, selective, full, or full for
  ``recompute_num_layers`` layers per pipeline stage (Megatron-LM's block method), the others keeping theirs.
* The optimizer runs once per step on each chip's shard; with ZeRO (stage >= 1) the optimizer state, and so the
  update, is split further over the d replicas (Rajbhandari et al., SC'20).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chiplab._checks import fraction, instance_of, positive_int, positive_int_at_most, published
from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import Calibration
from chiplab.perf.calibration_fit import calibration_or_fitted
from chiplab.perf.collectives import Network, neighbour_transfer_time_s, network_for
from chiplab.perf.context_parallel import context_parallel_step, ring_exposed_s, ring_passes_per_layer, ring_step_s
from chiplab.perf.data_parallel import gradient_sync
from chiplab.perf.estimate_bands import BandRanges, speed_range, training_band
from chiplab.perf.kv_replication import kv_gradient_allreduce_s
from chiplab.perf.lora import CORE_ATTENTION_GEMMS, frozen_base_memory, frozen_base_step
from chiplab.perf.step import StepEstimate, estimate_step
from chiplab.perf.validation_bands import ErrorBand
from chiplab.units import format_bytes
from chiplab.workloads.activation_memory import MAX_SEQUENCES, MAX_TOKENS_PER_SEQUENCE
from chiplab.workloads.eight_bit_training import activation_bytes_per_element
from chiplab.workloads.footprint import (
    MemoryFootprint,
    Parallelism,
    kv_heads_per_rank,
    params_per_chip,
    training_memory,
)
from chiplab.workloads.transformer import TransformerConfig

# The parts of TrainingEstimate.breakdown_s, in order: the one list figures size their legends and bars from.
BREAKDOWN_PARTS = ("compute", "pipeline bubble", "tensor-parallel comm", "context-parallel comm (exposed)",
                   "pipeline comm", "data-parallel comm (exposed)", "optimizer")


@dataclass(frozen=True)
class TrainingEstimate(BandRanges):
    """One training step on the whole machine, with where its time goes."""

    model_name: str
    chip_id: str
    parallelism: Parallelism
    global_batch: int
    seq_len: int
    num_microbatches: int
    microbatch_step: StepEstimate  # one microbatch on one chip (its shard), optimizer excluded
    compute_s: float  # all microbatches' forward + backward on one chip
    bubble_s: float
    tensor_comm_s: float
    pipeline_comm_s: float
    data_comm_exposed_s: float
    optimizer_s: float
    memory: MemoryFootprint
    memory_capacity_bytes: float
    model_flops: float  # of the whole global batch
    peak_flops_per_s: float  # of one chip
    network: Network
    assumptions: tuple[str, ...]
    fsdp_gather_exposed_s: float = 0.0  # ZeRO-3 parameter all-gathers the compute could not hide
    context_parallel: int = 1  # c: chips each sequence is split over (parallelism counts t·p·d of the t·p·d·c)
    context_comm_exposed_s: float = 0.0  # ring exchange of K and V the attention blocks could not hide
    # chiplab's error band on published training runs of this chip's family (chiplab.perf.estimate_bands); None
    # where the record says nothing about this estimate (ideal or hand-typed calibration, toy chip)
    band: ErrorBand | None = None

    @property
    def time_s(self) -> float:
        return (self.compute_s + self.bubble_s + self.tensor_comm_s + self.pipeline_comm_s
                + self.data_comm_exposed_s + self.fsdp_gather_exposed_s + self.optimizer_s
                + self.context_comm_exposed_s)

    @property
    def mfu_fraction_range(self) -> tuple[float, float] | None:
        """(low, high) of the true MFU over :attr:`band`; None without a band."""
        return speed_range(self.band, self.mfu_fraction)

    @property
    def num_chips(self) -> int:
        return self.parallelism.num_chips * self.context_parallel

    @property
    def calibration(self) -> Calibration:
        """The calibration this estimate used (its ``name`` and ``source``)."""
        return self.microbatch_step.calibration

    @property
    def tokens_per_s(self) -> float:
        return self.global_batch * self.seq_len / self.time_s

    @property
    def mfu_fraction(self) -> float:
        return self.model_flops / (self.time_s * self.num_chips * self.peak_flops_per_s)

    def breakdown_s(self) -> dict[str, float]:
        """Where the step's time goes; data-parallel communication includes ZeRO-3's exposed parameter gathers
        (``fsdp_gather_exposed_s`` on its own)."""
        return dict(zip(BREAKDOWN_PARTS, (
            self.compute_s, self.bubble_s, self.tensor_comm_s, self.context_comm_exposed_s, self.pipeline_comm_s,
            self.data_comm_exposed_s + self.fsdp_gather_exposed_s, self.optimizer_s), strict=True))


def shard(config: TransformerConfig, parallelism: Parallelism, tensor_ranks_per_chip: int = 1) -> TransformerConfig:
    """The part of the model one chip computes: 1/t of heads, MLP and vocabulary; 1/p of the layers.

    With more tensor-parallel ranks than KV heads each rank holds its own copy of one
    (:func:`chiplab.workloads.footprint.kv_heads_per_rank`): with r ranks on one chip (Trainium's NeuronCores,
    ``tensor_ranks_per_chip``) the chip computes the KV heads of all r."""
    instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    instance_of("parallelism", parallelism, Parallelism, "a Parallelism, e.g. Parallelism(tensor=8)")
    parallelism.check(config)
    t, p = parallelism.tensor, parallelism.pipeline
    ranks = positive_int("tensor_ranks_per_chip", tensor_ranks_per_chip)
    if config.num_heads % (t * ranks):
        raise ChiplabInputError(f"tensor_ranks_per_chip ({ranks}) x tensor parallelism ({t}) = {t * ranks} ranks "
                                f"must divide num_heads ({config.num_heads}) of model {config.name!r}: every rank "
                                "computes whole query heads")
    return dataclasses.replace(
        config, num_heads=config.num_heads // t, num_kv_heads=ranks * kv_heads_per_rank(config, t * ranks),
        head_dim=config.head_dim, d_ff=config.d_ff // t, vocab_size=-(-config.vocab_size // t),
        num_layers=-(-config.num_layers // p), name=f"{config.name} shard (t={t}, p={p})")


# GEMMs that are not a tensor-parallel linear layer: core attention runs between the collectives, not beside them.
_NOT_LINEAR = (*CORE_ATTENTION_GEMMS, "logits")


def _linear_gemm_s(step: StepEstimate) -> float:
    """Time of one microbatch's linear-layer GEMMs (forward, recomputed and backward): what TP overlap hides behind."""
    return sum(op.time_s for op in step.ops if op.is_gemm and op.name.split(".")[0] not in _NOT_LINEAR)


def _check_fits(memory: MemoryFootprint, chip: Chip, capacity: int, parallelism: Parallelism) -> None:
    if memory.total_bytes > capacity:
        raise ChiplabInputError(
            f"does not fit: each {chip.display_name} needs {format_bytes(memory.total_bytes)} (weights "
            f"{format_bytes(memory.weights_bytes)}, optimizer {format_bytes(memory.optimizer_state_bytes)}, "
            f"activations {format_bytes(memory.activations_bytes)}) but has {format_bytes(capacity)} of "
            f"{chip.hbm.vendor_label}; raise tensor ({parallelism.tensor}) or pipeline ({parallelism.pipeline}) "
            "parallelism, use ZeRO (zero_stage), recompute activations, or use smaller microbatches")


def estimate_training(config: TransformerConfig, chip: Chip, *, parallelism: Parallelism, global_batch: int,
                      seq_len: int, num_microbatches: int | None = None, recompute: str = "none",
                      dp_overlap_fraction: float = 1.0, num_virtual_stages: int = 1,
                      dp_hidden_fraction: float | None = None, fsdp_overlap_fraction: float = 1.0,
                      recompute_num_layers: int | None = None, tp_comm_overlap: bool = False,
                      calibration: Calibration | None = None,
                      network: Network | None = None, check_memory: bool = True,
                      frozen_base_weights: bool = False, context_parallel: int = 1,
                      tensor_ranks_per_chip: int = 1, fp8_scaling: str = "delayed",
                      forward_only_linears: tuple[str, ...] = ()) -> TrainingEstimate:
    """Estimate one training step of ``global_batch`` sequences of ``seq_len`` tokens (see the module docstring).

    ``frozen_base_weights``: LoRA fine-tuning (:mod:`chiplab.perf.lora`): no weight gradients, optimizer state,
    update or gradient synchronisation for the base weights. ``context_parallel`` c: each sequence split over c
    chips (:mod:`chiplab.perf.context_parallel`), on t·p·d·c chips in all. ``tensor_ranks_per_chip``: tensor-parallel
    ranks sharing one chip (NeuronCores), for the KV heads each rank replicates (:func:`shard`). ``fp8_scaling``:
    Transformer Engine's FP8 scaling recipe, ``"delayed"`` or ``"current"`` (what its casts cost,
    :mod:`chiplab.workloads.eight_bit_training`). ``forward_only_linears``: linear layers an 8-bit model quantizes
    in the forward pass only (MaxText's ``tff_quant``, ``MAXTEXT_TFF_LINEARS``). ``calibration``
    defaults to the one fitted for the chip (:func:`chiplab.perf.fitted_calibration`); ``Calibration.ideal()``
    gives the upper bound."""
    instance_of("config", config, TransformerConfig, "a TransformerConfig (load_model('llama3-8b'))")
    instance_of("chip", chip, Chip, "a Chip (load_chip('h100'))")
    instance_of("parallelism", parallelism, Parallelism,
                "a Parallelism, e.g. Parallelism(tensor=8, pipeline=4, data=64)")
    calibration = calibration_or_fitted(chip, config.dtype, calibration)
    if network is not None:
        instance_of("network", network, Network, "a Network (network_for(chip)) or None for the chip's own")
    t, p, d = parallelism.tensor, parallelism.pipeline, parallelism.data
    global_batch = positive_int_at_most("global_batch", global_batch, MAX_SEQUENCES)
    seq_len = positive_int_at_most("seq_len", seq_len, MAX_TOKENS_PER_SEQUENCE)
    c = positive_int("context_parallel", context_parallel)
    if seq_len % c:
        raise ChiplabInputError(f"seq_len ({seq_len}) must be divisible by context_parallel ({c}): each chip of a "
                                "context-parallel group holds seq_len / context_parallel tokens of every sequence")
    local_len = seq_len // c  # tokens of each sequence on one chip
    # Weight gradients are reduced (and a sharded optimizer split) over data x context parallelism
    gradient_group = dataclasses.replace(parallelism, data=d * c)
    if global_batch % d:
        raise ChiplabInputError(f"global_batch ({global_batch}) must be divisible by data parallelism ({d})")
    replica_batch = global_batch // d
    if num_microbatches is None:  # enough to keep the bubble small: the largest divisor of the batch <= 4p
        num_microbatches = max(n for n in range(1, min(replica_batch, 4 * p) + 1) if replica_batch % n == 0)
    num_microbatches = positive_int("num_microbatches", num_microbatches)
    if replica_batch % num_microbatches:
        raise ChiplabInputError(f"each replica's batch ({replica_batch} = global_batch/data) must be divisible by "
                                f"num_microbatches ({num_microbatches})")
    dp_overlap_fraction = fraction("dp_overlap_fraction", dp_overlap_fraction)
    fsdp_overlap_fraction = fraction("fsdp_overlap_fraction", fsdp_overlap_fraction)
    if dp_hidden_fraction is not None:
        dp_hidden_fraction = fraction("dp_hidden_fraction", dp_hidden_fraction)
    num_virtual_stages = positive_int("num_virtual_stages", num_virtual_stages)
    micro = replica_batch // num_microbatches
    memory = training_memory(config, batch=micro, seq_len=local_len, recompute=recompute,
                             parallelism=gradient_group, recompute_num_layers=recompute_num_layers,
                             tensor_ranks_per_chip=tensor_ranks_per_chip)
    frozen = instance_of("frozen_base_weights", frozen_base_weights, bool, "True (LoRA) or False")
    if frozen:
        memory = frozen_base_memory(memory)
    capacity = published(f"{chip.id}: HBM capacity", chip.hbm.capacity_bytes)
    if check_memory:
        _check_fits(memory, chip, capacity, parallelism)
    network = network or network_for(chip)
    part = shard(config, parallelism, tensor_ranks_per_chip)
    workload = context_parallel_step(part.training_step(batch=micro, seq_len=local_len, recompute=recompute,
                                                        recompute_num_layers=recompute_num_layers,
                                                        fp8_scaling=fp8_scaling,
                                                        forward_only_linears=forward_only_linears), c)
    step = estimate_step(frozen_base_step(workload) if frozen else workload, chip, calibration)
    by_stage = step.time_by("stage")
    optimizer_s = by_stage.pop("optimizer", 0.0) / (d * c if parallelism.zero_stage >= 1 else 1)
    per_micro = sum(by_stage.values())
    compute_s = per_micro * num_microbatches
    bubble_s = per_micro * (p - 1) / num_virtual_stages
    activation_bytes = micro * local_len * config.d_model * activation_bytes_per_element(config.dtype)
    eff = calibration.network_efficiency_fraction
    # One chip's K and V chunk of a layer (its T/c tokens, its 1/t of the KV heads), in the activations' dtype
    kv_chunk_bytes = micro * local_len * 2 * part.kv_dim * activation_bytes_per_element(config.dtype)
    recomputed = ((part.num_layers if recompute_num_layers is None else recompute_num_layers) / part.num_layers
                  if recompute == "full" else 0.0)
    ring_step = ring_step_s(kv_chunk_bytes, network, eff, within_domain=t * c <= network.scale_up_size)
    context_comm = num_microbatches * ring_exposed_s(step, context_parallel=c, num_layers=part.num_layers,
                                                     ring_passes=ring_passes_per_layer(recomputed),
                                                     ring_step_time_s=ring_step)
    tensor_comm = 4 * part.num_layers * num_microbatches * calibration.collective_s("all_reduce", activation_bytes,
                                                                                     t, network)
    if instance_of("tp_comm_overlap", tp_comm_overlap, bool, "True or False"):
        tensor_comm = max(0.0, tensor_comm - _linear_gemm_s(step) * num_microbatches)
    # Replicated KV heads: each backward pass sums the copies' K/V output gradients (chiplab.perf.kv_replication)
    tensor_comm += num_microbatches * kv_gradient_allreduce_s(
        config, tensor=t, tensor_ranks_per_chip=tensor_ranks_per_chip, tokens=micro * local_len,
        num_layers=part.num_layers, calibration=calibration, network=network)
    pipeline_comm = (2 * num_microbatches * num_virtual_stages
                     * neighbour_transfer_time_s(activation_bytes, network, eff) if p > 1 else 0.0)
    # bf16 weights and gradients of one chip's stage, the K/V projections its ranks replicate included
    stage_param_bytes = params_per_chip(config, parallelism, tensor_ranks_per_chip) * 2
    sync = gradient_sync(group=gradient_group, stage_param_bytes=stage_param_bytes, calibration=calibration,
                         network=network, by_stage=by_stage, num_microbatches=num_microbatches, compute_s=compute_s,
                         frozen_base_weights=frozen, dp_overlap_fraction=dp_overlap_fraction,
                         dp_hidden_fraction=dp_hidden_fraction, fsdp_overlap_fraction=fsdp_overlap_fraction)
    assumptions = (*step.assumptions, f"network: {network.description}; scale-out "
                   f"{network.scale_out_bandwidth_bytes_per_s:.3g} B/s per chip beyond {network.scale_up_size} chips",
                   f"calibration: {calibration.name} ({calibration.source})",
                   f"data-parallel group: {sync.peers_per_domain} of its {d * c} members per scale-up domain of "
                   f"{network.scale_up_size}")
    counted = config.training_step(batch=1, seq_len=seq_len, recompute="none")
    flops_per_token = (frozen_base_step(counted) if frozen else counted).model_flops / seq_len
    return TrainingEstimate(
        model_name=config.name, chip_id=chip.id, parallelism=parallelism, global_batch=global_batch,
        seq_len=seq_len, num_microbatches=num_microbatches, microbatch_step=step, compute_s=compute_s,
        bubble_s=bubble_s, tensor_comm_s=tensor_comm, pipeline_comm_s=pipeline_comm, data_comm_exposed_s=sync.exposed_s,
        optimizer_s=optimizer_s, memory=memory, memory_capacity_bytes=capacity,
        model_flops=flops_per_token * global_batch * seq_len, peak_flops_per_s=step.peak_flops_per_s,
        network=network, assumptions=assumptions, fsdp_gather_exposed_s=sync.fsdp_gather_exposed_s, context_parallel=c,
        context_comm_exposed_s=context_comm,
        band=training_band(chip, config.dtype, calibration))
