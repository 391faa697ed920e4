"""Memory per chip for training and inference: weights, gradients, optimizer state, activations and KV cache.

Mixed-precision Adam keeps 16 bytes per parameter (:class:`TrainingPrecision`): bf16 weights (2) and gradients (2),
plus an fp32 master copy (4) and Adam's two fp32 moments (8). These are Micikevicius et al. (2018) and Rajbhandari
et al. (2020, ZeRO, Sec. 3.1: "2Ψ + 2Ψ + 12Ψ"). Activations follow Korthikanti et al. (2022), "Reducing Activation
Recomputation in Large Transformer Models", counted per layer in :mod:`chiplab.workloads.activation_memory`.

Sharding is a divisor hook (:class:`Parallelism`). Tensor (t) and pipeline (p) parallelism split the parameters
over t·p chips. ZeRO stages 1/2/3 also split optimizer state, gradients and weights over the data-parallel
replicas. Tensor parallelism splits activations, fully with sequence parallelism and partly without (Korthikanti
et al., Table 2). Pipeline parallelism does not shrink them: under 1F1B the first stage holds p micro-batches of L/p
layers (Sec. 4.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from chiplab._checks import instance_of, non_negative_int, one_of, positive, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.tables import markdown_table
from chiplab.units import format_bytes
from chiplab.workloads.activation_memory import activation_bytes_per_layer

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig

# How a serving KV cache is laid out over tensor-parallel ranks beyond the KV heads (kv_sequence_shards says why).
KV_SHARDINGS = ("replicate", "sequence")
LOGITS_BYTES_PER_ELEMENT = 4         # the cross-entropy needs the logits (or their gradient) in fp32


@dataclass(frozen=True, kw_only=True)
class TrainingPrecision:
    """Bytes per parameter (and per activation element) of a training recipe; defaults are mixed-precision Adam."""

    weight_bytes_per_param: int = 2          # bf16 working weights, read by forward and backward
    gradient_bytes_per_param: int = 2        # bf16 gradients
    master_weight_bytes_per_param: int = 4   # fp32 copy the optimizer updates (0 for pure-bf16 training)
    optimizer_state_bytes_per_param: int = 8  # Adam's first and second moments, fp32
    activation_bytes_per_element: int = 2    # bf16 activations saved for the backward pass

    def __post_init__(self) -> None:
        for field in fields(self):
            object.__setattr__(self, field.name, non_negative_int(field.name, getattr(self, field.name)))

    @property
    def optimizer_bytes_per_param(self) -> int:
        """Master weights + optimizer moments: ZeRO's K = 12 for mixed-precision Adam."""
        return self.master_weight_bytes_per_param + self.optimizer_state_bytes_per_param

    @property
    def total_bytes_per_param(self) -> int:
        return self.weight_bytes_per_param + self.gradient_bytes_per_param + self.optimizer_bytes_per_param


MIXED_PRECISION_ADAM = TrainingPrecision()


@dataclass(frozen=True, kw_only=True)
class Parallelism:
    """How one model replica is split: ``tensor`` (t), ``pipeline`` (p) and ``data`` (d) ways, on t·p·d chips.

    ``zero_stage`` 1, 2, 3 shard optimizer state, then gradients, then weights over the d replicas (ZeRO).
    ``sequence_parallel`` splits the norm/dropout activations that tensor parallelism alone leaves replicated.
    """

    tensor: int = 1
    pipeline: int = 1
    data: int = 1
    zero_stage: int = 0
    sequence_parallel: bool = True

    def __post_init__(self) -> None:
        for field in ("tensor", "pipeline", "data"):
            object.__setattr__(self, field, positive_int(field, getattr(self, field)))
        if self.zero_stage not in (0, 1, 2, 3):
            raise ChiplabInputError(f"zero_stage must be 0, 1, 2 or 3; got {self.zero_stage!r}")

    @property
    def num_chips(self) -> int:
        return self.tensor * self.pipeline * self.data

    def check(self, config: TransformerConfig) -> None:
        """Raise if this split makes no sense for ``config``: Megatron-style tensor parallelism gives each chip
        whole attention heads and an equal slice of the MLP; each pipeline stage needs at least one layer."""
        t = self.tensor
        for name, value in (("num_heads", config.num_heads), ("d_ff", config.d_ff)):
            if value % t:
                raise ChiplabInputError(f"tensor parallelism {t} must divide {name} ({value}) of model "
                                        f"{config.name!r}; choose a divisor of {value}")
        kv_heads_per_rank(config, t)  # raises unless t splits the KV heads evenly or exceeds them
        if self.pipeline > config.num_layers:
            raise ChiplabInputError(f"pipeline parallelism {self.pipeline} exceeds num_layers "
                                    f"({config.num_layers}) of model {config.name!r}")


@dataclass(frozen=True, kw_only=True)
class MemoryFootprint:
    """Bytes on ONE chip. ``optimizer_state_bytes`` includes the fp32 master weights."""

    weights_bytes: float
    gradients_bytes: float
    optimizer_state_bytes: float
    activations_bytes: float
    kv_cache_bytes: float

    @property
    def total_bytes(self) -> float:
        total: float = sum(getattr(self, f.name) for f in fields(self))
        return total

    def table(self) -> str:
        """A Markdown table of the parts and the total, in binary units (GiB)."""
        rows = [[f.name.removesuffix("_bytes").replace("_", " "), format_bytes(getattr(self, f.name))]
                for f in fields(self)]
        return markdown_table(["part", "bytes per chip"], [*rows, ["total", format_bytes(self.total_bytes)]])


def _require_inputs(config: object, parallelism: object) -> None:
    from chiplab.workloads.transformer import TransformerConfig

    if not isinstance(config, TransformerConfig):
        raise ChiplabInputError(f"config must be a TransformerConfig, e.g. load_model('llama3-8b'); got {config!r}")
    if parallelism is not None and not isinstance(parallelism, Parallelism):
        raise ChiplabInputError(f"parallelism must be a Parallelism or None; got {parallelism!r}")


def training_memory(config: TransformerConfig, *, batch: int, seq_len: int,
                    precision: TrainingPrecision = MIXED_PRECISION_ADAM, recompute: str = "none",
                    flash_attention: bool = True, dropout: bool = False,
                    parallelism: Parallelism | None = None, recompute_num_layers: int | None = None,
                    tensor_ranks_per_chip: int = 1) -> MemoryFootprint:
    """Training bytes per chip; ``batch`` is the micro-batch of one model replica (Korthikanti's b).

    Parameters: :func:`params_per_chip` (``tensor_ranks_per_chip`` ranks a chip). Activations are
    ``num_layers`` × per layer, whatever p is (1F1B), plus the output layer's fp32 logits (split over t). With
    ``recompute="full"`` and ``recompute_num_layers`` N (per pipeline stage, as Megatron-LM states it), N·p of
    those layers keep only their input and the rest keep everything.
    """
    _require_inputs(config, parallelism)
    if not isinstance(precision, TrainingPrecision):
        raise ChiplabInputError(f"precision must be a TrainingPrecision; got {precision!r}")
    for flag_name, flag in (("flash_attention", flash_attention), ("dropout", dropout)):
        if not isinstance(flag, bool):
            raise ChiplabInputError(f"{flag_name} must be True or False; got {flag!r}")
    if recompute_num_layers is not None:
        recompute_num_layers = non_negative_int("recompute_num_layers", recompute_num_layers)
    parallelism = parallelism or Parallelism()
    parallelism.check(config)
    t, d, zero = parallelism.tensor, parallelism.data, parallelism.zero_stage
    params = params_per_chip(config, parallelism, tensor_ranks_per_chip)

    def layer_bytes(mode: str) -> float:
        return activation_bytes_per_layer(
            config, batch=batch, seq_len=seq_len, recompute=mode, flash_attention=flash_attention, dropout=dropout,
            tensor_parallel=t, sequence_parallel=parallelism.sequence_parallel,
            bytes_per_element=precision.activation_bytes_per_element)

    per_layer = layer_bytes(recompute)
    if recompute_num_layers is not None and recompute == "full":
        checkpointed = min(config.num_layers, recompute_num_layers * parallelism.pipeline)
        per_layer = (checkpointed * per_layer + (config.num_layers - checkpointed) * layer_bytes("none")) / \
            config.num_layers
    logits = LOGITS_BYTES_PER_ELEMENT * batch * seq_len * config.vocab_size / t
    return MemoryFootprint(
        weights_bytes=params * precision.weight_bytes_per_param / (d if zero >= 3 else 1),
        gradients_bytes=params * precision.gradient_bytes_per_param / (d if zero >= 2 else 1),
        optimizer_state_bytes=params * precision.optimizer_bytes_per_param / (d if zero >= 1 else 1),
        activations_bytes=config.num_layers * per_layer + logits,
        kv_cache_bytes=0.0,
    )


def kv_heads_per_rank(config: TransformerConfig, ranks: int) -> int:
    """Key/value heads each of ``ranks`` tensor-parallel ranks computes and caches: KV/ranks when the ranks split the
    KV heads evenly, else (more ranks than KV heads) one, its own copy of the head its query heads read.

    chiplab's one home for KV-head replication across ranks. Frameworks copy a KV head to every rank that needs it
    rather than split one head's projection: vLLM's ``QKVParallelLinear`` (``num_kv_head_replicas`` = ranks / KV),
    NeuronX Distributed Training's ``--kv_replicator`` (KV x replicator = the tensor-parallel degree in its Llama 3
    scripts), NxD Inference's ``GQA.REPLICATE_TO_TP_DEGREE`` (:func:`chiplab.perf.head_padding.replicate_kv_for_nxdi`).
    A chip that runs r ranks (Trainium's NeuronCores) computes r times this. Llama 3 8B (8 KV heads) on 32 ranks: 1.
    """
    _require_inputs(config, None)
    ranks = positive_int("ranks", ranks)
    heads = config.num_kv_heads
    if heads > ranks and heads % ranks:
        raise ChiplabInputError(f"{ranks} tensor-parallel ranks must divide num_kv_heads ({heads}) of model "
                                f"{config.name!r}, or exceed it (then every rank keeps its own copy of a KV head)")
    return max(1, heads // ranks)


def params_per_chip(config: TransformerConfig, parallelism: Parallelism, tensor_ranks_per_chip: int = 1) -> float:
    """Parameters one chip holds: 1/(t·p) of the model, plus the K and V projections of the KV heads its ranks
    replicate (:func:`kv_heads_per_rank`; NxD Training's ``GQAQKVColumnParallelLinear``, ``modules/qkv_linear.py``
    at neuronx-distributed fbac349, read 2026-12-08). ``tensor_ranks_per_chip`` r: ranks a chip runs (NeuronCores).
    Llama 3 8B on 16 chips × 2 ranks: 2 KV heads a chip, not 0.5: 32·1.5·2·128·4096 = 50,331,648 more."""
    t, p = instance_of("parallelism", parallelism, Parallelism, "a Parallelism").tensor, parallelism.pipeline
    ranks = positive_int("tensor_ranks_per_chip", tensor_ranks_per_chip)
    extra_heads = ranks * kv_heads_per_rank(config, t * ranks) - config.num_kv_heads / t
    kv_params_per_head = 2 * config.head_dim * (config.d_model + (1 if config.bias else 0))  # K and V, per layer
    return config.num_params / (t * p) + extra_heads * kv_params_per_head * config.num_layers / p


def kv_sequence_shards(config: TransformerConfig, tensor_parallel: int, kv_sharding: str) -> int:
    """Parts each KV head's cached positions are split into over ``tensor_parallel`` ranks.

    With more ranks than key/value heads (t > KV), the t/KV ranks sharing a head either each keep the whole of its
    cache (``"replicate"``, head-parallel serving: 1 part) or each keep 1/(t/KV) of its positions (``"sequence"``,
    FlashDecoding's split-KV across chips: t // KV parts).
    """
    kv_sharding = one_of("kv_sharding", kv_sharding, KV_SHARDINGS)
    tensor_parallel = positive_int("tensor_parallel", tensor_parallel)
    heads = config.num_kv_heads
    return tensor_parallel // heads if kv_sharding == "sequence" and tensor_parallel > heads else 1


def inference_memory(config: TransformerConfig, *, batch: int, context_len: int,
                     weight_bytes_per_param: int | None = None, kv_bytes_per_element: int | None = None,
                     parallelism: Parallelism | None = None, kv_sequence_shards: int = 1) -> MemoryFootprint:
    """Serving bytes per chip for ``batch`` sequences of ``context_len`` tokens (weights, KV cache, working set).

    Byte widths default to the config's (``weight_dtype`` for the weights); pass 1 for an int8/fp8 cache. With
    tensor parallelism each chip keeps ceil(KV/t) key/value heads (and their weights): beyond t = KV they are
    replicated, or split along the context into ``kv_sequence_shards`` parts (:func:`kv_sequence_shards`). There is
    no backward pass, so the activations are one layer's transient working set for one decode token per sequence.
    """
    _require_inputs(config, parallelism)
    batch, context_len = positive_int("batch", batch), positive_int("context_len", context_len)
    for name, width in (("weight_bytes_per_param", weight_bytes_per_param),
                        ("kv_bytes_per_element", kv_bytes_per_element)):
        if width is not None:
            positive(name, width)
    parallelism = parallelism or Parallelism()
    parallelism.check(config)
    t, pp = parallelism.tensor, parallelism.pipeline
    weight_bytes = config.weight_bytes_per_param if weight_bytes_per_param is None else weight_bytes_per_param
    kv_bytes = config.bytes_per_element if kv_bytes_per_element is None else kv_bytes_per_element
    kv_heads_per_chip = kv_heads_per_rank(config, t)
    kv_cache = config.kv_cache_bytes(batch=batch, context_len=context_len, bytes_per_element=kv_bytes)
    working_set = activation_bytes_per_layer(config, batch=batch, seq_len=1, tensor_parallel=t,
                                             bytes_per_element=config.bytes_per_element)
    return MemoryFootprint(
        weights_bytes=params_per_chip(config, parallelism) * weight_bytes,
        gradients_bytes=0.0,
        optimizer_state_bytes=0.0,
        activations_bytes=working_set,
        kv_cache_bytes=kv_cache * kv_heads_per_chip / config.num_kv_heads / pp
        / positive_int("kv_sequence_shards", kv_sequence_shards),
    )
