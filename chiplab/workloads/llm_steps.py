"""A transformer's training step, prefill and decode as op lists, and the closed forms they must agree with.

Counting conventions (the tests check each one):

- A GEMM costs 2·m·n·k FLOPs. Attention scores are computed for all T × T (query, key) pairs, causal mask or not,
  as in PaLM's 6N + 12·L·H·Q·T (Chowdhery et al. 2022, App. B). Kaplan et al. (2020, Table 1) halve it for the
  mask. Kernels that skip masked blocks do less work, but this count follows PaLM.
- Backward GEMMs cost exactly 2 × forward: each forward GEMM has a dA and a dB GEMM (:func:`ops.backward_ops`).
- Model FLOPs (for MFU) count matmuls of forward + backward only. Recomputed work carries ``stage="recompute"``:
  full or selective activation recomputation (Korthikanti et al. 2022), and FlashAttention's backward, which
  recomputes QKᵀ and the softmax (Dao et al. 2022, Sec. 3.1).
- Grouped-query attention: the H/KV query heads that share a key/value head form one GEMM
  (m = H/KV · new tokens), as GQA-aware kernels do. The FLOPs are the same either way; the shape is not.
- Prefill and decode compute logits only for the last position, which is all that sampling needs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec

from chiplab._checks import non_negative_int, one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.workloads.eight_bit_training import (
    FP8_SCALINGS,
    activation_bytes_per_element,
    activation_dtype,
    check_forward_only_linears,
    eight_bit_training_ops,
)
from chiplab.workloads.footprint import MIXED_PRECISION_ADAM, RECOMPUTE_MODES, TrainingPrecision
from chiplab.workloads.gemm import DTYPE_BITS, Gemm
from chiplab.workloads.ops import (
    ACTIVATION_FLOPS_PER_ELEMENT,
    ADAMW_FLOPS_PER_PARAM,
    CROSS_ENTROPY_FLOPS_PER_ELEMENT,
    GATE_FLOPS_PER_ELEMENT,
    LAYERNORM_FLOPS_PER_ELEMENT,
    RESIDUAL_FLOPS_PER_ELEMENT,
    RMSNORM_FLOPS_PER_ELEMENT,
    ROTARY_FLOPS_PER_ELEMENT,
    SOFTMAX_FLOPS_PER_ELEMENT,
    GemmOp,
    ModelStep,
    Op,
    VectorOp,
    backward_ops,
    with_count,
)
from chiplab.workloads.recompute import check_recompute_num_layers, recomputed_ops

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig

LOSS_BYTES_PER_TOKEN = 4  # the cross-entropy loss of each token, in fp32
# Dtypes a KV cache is stored (and core attention computed) in by the serving engines chiplab models.
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8")


def _norm(config: TransformerConfig, name: str, phase: str, num_rows: int) -> VectorOp:
    per_element = RMSNORM_FLOPS_PER_ELEMENT if config.norm == "rmsnorm" else LAYERNORM_FLOPS_PER_ELEMENT
    elements = num_rows * config.d_model
    p = activation_bytes_per_element(config.dtype)
    return VectorOp(name=name, kind="norm", phase=phase, num_elements=elements, num_flops=per_element * elements,
                    num_transcendentals=num_rows, read_bytes=(elements + config.num_norm_params) * p,
                    written_bytes=elements * p)


def _residual(config: TransformerConfig, name: str, phase: str, num_tokens: int) -> VectorOp:
    elements = num_tokens * config.d_model
    p = activation_bytes_per_element(config.dtype)
    return VectorOp(name=name, kind="elementwise", phase=phase, num_elements=elements,
                    num_flops=RESIDUAL_FLOPS_PER_ELEMENT * elements, read_bytes=2 * elements * p,
                    written_bytes=elements * p)


def _weight_gemm(config: TransformerConfig, name: str, phase: str, m: int, n: int, k: int) -> GemmOp:
    gemm = Gemm(m=m, n=n, k=k, dtype=config.dtype, weight_dtype=config.weight_dtype,
                output_dtype=activation_dtype(config.dtype))  # 8-bit GEMMs write bf16 (eight_bit_training)
    return GemmOp(name=name, gemm=gemm, phase=phase, kind="weight")


def _check_len(config: TransformerConfig, name: str, value: int) -> int:
    value = positive_int(name, value)
    if value > config.max_seq_len:
        raise ChiplabInputError(
            f"{name} ({value}) exceeds the context window max_seq_len ({config.max_seq_len}) of model "
            f"{config.name!r}; for a what-if use dataclasses.replace(config, max_seq_len={value})")
    return value


def _attention_gemm(config: TransformerConfig, *, m: int, n: int, k: int, kv_dtype: str | None) -> Gemm:
    """A core-attention GEMM; the KV cache is its B operand. A cache wider than the model's arithmetic (bf16 beside
    FP8 linear layers) computes in the cache's dtype; a narrower one (an int8 cache of a bf16 model) is stored
    narrow and widened for the arithmetic, like narrow weights."""
    if kv_dtype is None or DTYPE_BITS[kv_dtype] >= DTYPE_BITS[config.dtype]:
        return Gemm(m=m, n=n, k=k, dtype=kv_dtype or config.dtype)
    return Gemm(m=m, n=n, k=k, dtype=config.dtype, weight_dtype=kv_dtype)


def layer_ops(config: TransformerConfig, *, batch: int, seq_len: int, kv_len: int | None = None,
              flash_attention: bool = True, kv_dtype: str | None = None) -> tuple[Op, ...]:
    """Forward ops of ONE layer for ``batch`` sequences of ``seq_len`` new tokens attending to ``kv_len`` positions.

    ``kv_len`` defaults to ``seq_len`` (training, prefill). A decode step is ``seq_len=1, kv_len=context_len``.
    Q, K and V come from one fused GEMM, and so do gate and up of a gated MLP (as Megatron-LM and vLLM fuse them).
    Bias adds are folded into the GEMMs.
    """
    batch, seq_len = positive_int("batch", batch), _check_len(config, "seq_len", seq_len)
    kv_len = seq_len if kv_len is None else _check_len(config, "kv_len", kv_len)
    if kv_len < seq_len:
        raise ChiplabInputError(f"kv_len ({kv_len}) must be >= seq_len ({seq_len}): new tokens attend to themselves")
    tokens, d, f, p = batch * seq_len, config.d_model, config.d_ff, activation_bytes_per_element(config.dtype)
    ops: list[Op] = [
        _norm(config, "attn_norm", "attention", tokens),
        _weight_gemm(config, "qkv_proj", "attention", tokens, config.q_dim + 2 * config.kv_dim, d),
    ]
    if config.position_embedding == "rope":
        elements = tokens * (config.q_dim + config.kv_dim)  # rotate the queries and the keys
        ops.append(VectorOp(name="rotary", kind="rotary", phase="attention", num_elements=elements,
                            num_flops=ROTARY_FLOPS_PER_ELEMENT * elements, read_bytes=elements * p,
                            written_bytes=elements * p))
    score_elements = batch * config.num_heads * seq_len * kv_len
    # One batched kernel per layer covers every sequence and KV head (the GEMMs are independent and alike).
    num_gqa = batch * config.num_kv_heads
    ops += [
        GemmOp(name="scores", gemm=_attention_gemm(config, m=config.group_size * seq_len, n=kv_len,
                                                   k=config.head_dim, kv_dtype=kv_dtype),
               phase="attention", kind="activation", count=num_gqa, num_batched=num_gqa,
               c_offchip=not flash_attention),
        VectorOp(name="softmax", kind="softmax", phase="attention", num_elements=score_elements,
                 num_flops=SOFTMAX_FLOPS_PER_ELEMENT * score_elements, num_transcendentals=score_elements,
                 read_bytes=0 if flash_attention else score_elements * p,
                 written_bytes=0 if flash_attention else score_elements * p),
        GemmOp(name="attn_values", gemm=_attention_gemm(config, m=config.group_size * seq_len, n=config.head_dim,
                                                        k=kv_len, kv_dtype=kv_dtype),
               phase="attention", kind="activation", count=num_gqa, num_batched=num_gqa,
               a_offchip=not flash_attention),
        _weight_gemm(config, "o_proj", "attention", tokens, d, config.q_dim),
        _residual(config, "attn_residual", "attention", tokens),
    ]
    if not config.parallel_block:
        ops.append(_norm(config, "mlp_norm", "mlp", tokens))
    num_in = 2 if config.gated_mlp else 1
    act_elements = tokens * f
    act_flops = ACTIVATION_FLOPS_PER_ELEMENT[config.activation] + (GATE_FLOPS_PER_ELEMENT if config.gated_mlp else 0)
    act_name = {"silu": "swiglu", "gelu": "geglu", "relu": "reglu"}[config.activation] if config.gated_mlp \
        else config.activation
    ops += [
        _weight_gemm(config, "gate_up_proj" if config.gated_mlp else "up_proj", "mlp", tokens, num_in * f, d),
        VectorOp(name=act_name, kind="activation_fn", phase="mlp", num_elements=act_elements,
                 num_flops=act_flops * act_elements,
                 num_transcendentals=0 if config.activation == "relu" else act_elements,
                 read_bytes=num_in * act_elements * p, written_bytes=act_elements * p),
        _weight_gemm(config, "down_proj", "mlp", tokens, d, f),
        _residual(config, "mlp_residual", "mlp", tokens),
    ]
    return tuple(ops)


def _model_forward(config: TransformerConfig, *, batch: int, seq_len: int, kv_len: int, flash_attention: bool,
                   num_logit_rows: int, kv_dtype: str | None = None) -> list[Op]:
    """Embedding, all layers (one op per layer op, count × num_layers), final norm and the logits GEMM."""
    tokens, p = batch * seq_len, activation_bytes_per_element(config.dtype)
    elements = tokens * config.d_model
    learned = config.position_embedding == "learned"
    ops: list[Op] = [VectorOp(
        name="embed_tokens", kind="gather", phase="embedding", num_elements=elements,
        num_flops=elements if learned else 0,  # adding a learned position embedding
        read_bytes=(2 if learned else 1) * elements * p, written_bytes=elements * p)]
    layer = layer_ops(config, batch=batch, seq_len=seq_len, kv_len=kv_len, flash_attention=flash_attention,
                      kv_dtype=kv_dtype)
    ops += [with_count(op, config.num_layers) for op in layer]
    ops += [_norm(config, "final_norm", "logits", num_logit_rows),
            _weight_gemm(config, "logits", "logits", num_logit_rows, config.vocab_size, config.d_model)]
    return ops


_STEP_LENGTHS = ("batch", "seq_len", "prompt_len", "context_len")
_StepArgs = ParamSpec("_StepArgs")


def _checked_step(build: Callable[Concatenate[TransformerConfig, _StepArgs], ModelStep]
                  ) -> Callable[Concatenate[TransformerConfig, _StepArgs], ModelStep]:
    """Cache a step builder (a step repeats for every layer count and sweep point) and check its arguments before
    they reach the cache (an unhashable or mistyped argument would otherwise fail inside ``lru_cache`` or deep in
    the builder with a TypeError)."""
    # lru_cache takes Hashable arguments only, which a ParamSpec cannot state: the checks below (lengths to ints,
    # names to strings, a TrainingPrecision, a config) are what guarantee it, so the cache is typed by its result.
    cached: Callable[..., ModelStep] = functools.lru_cache(maxsize=512)(build)

    @functools.wraps(build)
    def checked(config: TransformerConfig, /, *args: _StepArgs.args, **kwargs: _StepArgs.kwargs) -> ModelStep:
        require_config(config)
        for name, value in kwargs.items():
            if name in _STEP_LENGTHS:
                kwargs[name] = positive_int(name, value)
            elif name == "flash_attention" and not isinstance(value, bool):
                raise ChiplabInputError(f"flash_attention must be True or False; got {value!r}")
            elif name == "recompute":
                kwargs[name] = one_of("recompute", value, RECOMPUTE_MODES)
            elif name == "recompute_num_layers" and value is not None:
                kwargs[name] = non_negative_int("recompute_num_layers", value)
            elif name == "fp8_scaling":
                kwargs[name] = one_of("fp8_scaling", value, FP8_SCALINGS)
            elif name == "forward_only_linears":
                kwargs[name] = check_forward_only_linears(value)
            elif name == "kv_dtype" and value is not None:
                kwargs[name] = one_of("kv_dtype", value, KV_DTYPES)
            elif name == "precision" and not isinstance(value, TrainingPrecision):
                raise ChiplabInputError(f"precision must be a TrainingPrecision; got {value!r}")
        return cached(config, *args, **kwargs)

    return checked


def require_config(config: object) -> None:
    """Raise unless ``config`` is a :class:`TransformerConfig` (a preset: ``load_model("llama3-8b")``)."""
    from chiplab.workloads.transformer import TransformerConfig

    if not isinstance(config, TransformerConfig):
        raise ChiplabInputError(f"config must be a TransformerConfig, e.g. load_model('llama3-8b'); got "
                                f"{config!r} ({type(config).__name__})")


def _step(config: TransformerConfig, kind: str, ops: list[Op], *, batch: int, seq_len: int, kv_len: int,
          num_tokens: int) -> ModelStep:
    name = f"{config.name} {kind} (batch {batch}, {seq_len} new tokens, {kv_len} attended)"
    return ModelStep(name=name, kind=kind, ops=tuple(ops), num_tokens=num_tokens, batch=batch, seq_len=seq_len,
                     kv_len=kv_len)


@_checked_step
def forward_step(config: TransformerConfig, *, batch: int, seq_len: int, flash_attention: bool = True) -> ModelStep:
    """The forward pass over ``batch`` whole sequences, with logits for every position (no loss)."""
    ops = _model_forward(config, batch=batch, seq_len=seq_len, kv_len=seq_len, flash_attention=flash_attention,
                         num_logit_rows=batch * seq_len)
    return _step(config, "forward", ops, batch=batch, seq_len=seq_len, kv_len=seq_len, num_tokens=batch * seq_len)


@_checked_step
def training_step(config: TransformerConfig, *, batch: int, seq_len: int, recompute: str = "none",
                  flash_attention: bool = True, precision: TrainingPrecision = MIXED_PRECISION_ADAM,
                  recompute_num_layers: int | None = None, fp8_scaling: str = "delayed",
                  forward_only_linears: tuple[str, ...] = ()) -> ModelStep:
    """Forward + loss + backward + AdamW update, for ``batch`` sequences of ``seq_len`` tokens.

    ``recompute`` is ``"none"``, ``"selective"`` (core attention; Korthikanti et al. 2022) or ``"full"`` (every
    layer's forward again, or only ``recompute_num_layers`` of them as a source may state it: checkpoints per
    layer). The optimizer reads and writes ``precision``'s bytes per parameter. ``fp8_scaling``: Transformer Engine's
    ``"delayed"`` or ``"current"`` scaling, what an FP8 model's casts cost (:mod:`.eight_bit_training`).
    ``forward_only_linears``: linear layers an 8-bit model quantizes in the forward pass only, their gradients in
    bf16 (MaxText's ``tff_quant``: :data:`.eight_bit_training.MAXTEXT_TFF_LINEARS`)."""
    recompute_num_layers = check_recompute_num_layers(config, recompute, recompute_num_layers)
    tokens = positive_int("batch", batch) * _check_len(config, "seq_len", seq_len)
    elements = tokens * config.vocab_size
    forward = _model_forward(config, batch=batch, seq_len=seq_len, kv_len=seq_len, flash_attention=flash_attention,
                             num_logit_rows=tokens)
    forward.append(VectorOp(name="cross_entropy", kind="loss", phase="loss", num_elements=elements,
                            num_flops=CROSS_ENTROPY_FLOPS_PER_ELEMENT * elements, num_transcendentals=elements,
                            read_bytes=elements * activation_bytes_per_element(config.dtype),
                            written_bytes=tokens * LOSS_BYTES_PER_TOKEN))
    layer = layer_ops(config, batch=batch, seq_len=seq_len, flash_attention=flash_attention)
    backward = [grad for op in reversed(forward) for grad in backward_ops(op)]
    n = config.num_params
    optimizer = VectorOp(
        name="adamw_update", kind="optimizer", phase="optimizer", stage="optimizer", num_elements=n,
        num_flops=ADAMW_FLOPS_PER_PARAM * n, num_transcendentals=n,  # one square root per parameter
        read_bytes=n * (precision.optimizer_bytes_per_param + precision.gradient_bytes_per_param),
        written_bytes=n * (precision.optimizer_bytes_per_param + precision.weight_bytes_per_param))
    ops = forward + recomputed_ops(config, layer, recompute, flash_attention, recompute_num_layers) + backward + [
        optimizer]
    # 8-bit: bf16 attention + logits (+ forward-only layers' gradients), quantize passes
    ops = eight_bit_training_ops(ops, config.dtype, fp8_scaling, forward_only_linears)
    return _step(config, "training", ops, batch=batch, seq_len=seq_len, kv_len=seq_len, num_tokens=tokens)


def _kv_cache_write(config: TransformerConfig, num_tokens: int, kv_dtype: str | None) -> VectorOp:
    elements = 2 * num_tokens * config.kv_dim  # K and V of every new token, in every layer
    p = DTYPE_BITS[kv_dtype] // 8 if kv_dtype else config.bytes_per_element
    return VectorOp(name="kv_cache_write", kind="copy", phase="attention", num_elements=elements, num_flops=0,
                    read_bytes=elements * p, written_bytes=elements * p, count=config.num_layers)


@_checked_step
def prefill_step(config: TransformerConfig, *, batch: int, prompt_len: int, flash_attention: bool = True,
                 kv_dtype: str | None = None) -> ModelStep:
    """Process ``batch`` prompts of ``prompt_len`` tokens, fill the KV cache, produce the first new token's logits.

    ``kv_dtype``: the KV cache's dtype where it differs from the model's (an FP8 checkpoint that quantizes only the
    linear layers keeps a bf16 cache, and its core attention runs in bf16); None: the model's dtype.
    """
    batch, prompt_len = positive_int("batch", batch), _check_len(config, "prompt_len", prompt_len)
    ops = _model_forward(config, batch=batch, seq_len=prompt_len, kv_len=prompt_len, flash_attention=flash_attention,
                         num_logit_rows=batch, kv_dtype=kv_dtype)
    ops.append(_kv_cache_write(config, batch * prompt_len, kv_dtype))
    return _step(config, "prefill", ops, batch=batch, seq_len=prompt_len, kv_len=prompt_len,
                 num_tokens=batch * prompt_len)


@_checked_step
def decode_step(config: TransformerConfig, *, batch: int, context_len: int, flash_attention: bool = True,
                kv_dtype: str | None = None) -> ModelStep:
    """One new token for each of ``batch`` sequences, attending to ``context_len`` positions (the new one included).

    Weight GEMMs have m = batch: every weight is read once per step for only ``batch`` rows, which is why decode is
    memory-bound. The attention GEMMs read the whole KV cache (their B operands). ``kv_dtype`` as in
    :func:`prefill_step`.
    """
    batch, context_len = positive_int("batch", batch), _check_len(config, "context_len", context_len)
    ops = _model_forward(config, batch=batch, seq_len=1, kv_len=context_len, flash_attention=flash_attention,
                         num_logit_rows=batch, kv_dtype=kv_dtype)
    ops.append(_kv_cache_write(config, batch, kv_dtype))
    return _step(config, "decode", ops, batch=batch, seq_len=1, kv_len=context_len, num_tokens=batch)
