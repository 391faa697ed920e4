"""The forward ops of a transformer: one layer (:func:`layer_ops`) and the whole model (:func:`model_forward_ops`).

The step builders of :mod:`chiplab.workloads.llm_steps` assemble these into training, prefill and decode steps and
state the counting conventions (FLOPs per GEMM, grouped-query attention as one GEMM per KV head, fused QKV and
gate/up projections) that the tests check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._checks import positive_int
from chiplab.errors import ChiplabInputError
from chiplab.workloads.eight_bit_training import activation_bytes_per_element, activation_dtype
from chiplab.workloads.gemm import DTYPE_BITS, Gemm
from chiplab.workloads.ops import (
    ACTIVATION_FLOPS_PER_ELEMENT,
    GATE_FLOPS_PER_ELEMENT,
    LAYERNORM_FLOPS_PER_ELEMENT,
    RESIDUAL_FLOPS_PER_ELEMENT,
    RMSNORM_FLOPS_PER_ELEMENT,
    ROTARY_FLOPS_PER_ELEMENT,
    SOFTMAX_FLOPS_PER_ELEMENT,
    GemmOp,
    Op,
    VectorOp,
    with_count,
)

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig


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


def check_length(config: TransformerConfig, name: str, value: int) -> int:
    """``value`` as a token count ``name`` that fits the model's context window."""
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
    batch, seq_len = positive_int("batch", batch), check_length(config, "seq_len", seq_len)
    kv_len = seq_len if kv_len is None else check_length(config, "kv_len", kv_len)
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


def model_forward_ops(config: TransformerConfig, *, batch: int, seq_len: int, kv_len: int, flash_attention: bool,
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
