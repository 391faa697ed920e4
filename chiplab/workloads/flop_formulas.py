"""FLOPs per token: chiplab's op-level count (summed from :mod:`chiplab.workloads.llm_steps`' matmuls) and the
reference closed forms as their papers state them, which tests and the book compare it with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._checks import non_negative, positive_int
from chiplab.workloads.llm_steps import decode_step, require_config, training_step

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig


def flops_per_token_training(config: TransformerConfig, *, seq_len: int) -> float:
    """Model FLOPs (matmuls, forward + backward) per trained token; compare :func:`palm_training_flops_per_token`."""
    require_config(config)
    return training_step(config, batch=1, seq_len=seq_len).model_flops_per_token


def flops_per_token_inference(config: TransformerConfig, *, context_len: int) -> float:
    """Matmul FLOPs to generate one token at ``context_len``; compare :func:`palm_forward_flops_per_token`."""
    require_config(config)
    return decode_step(config, batch=1, context_len=context_len).model_flops_per_token


# --- reference closed forms -------------------------------------------------------------------------------------

def six_n_d_flops(num_params: float, num_tokens: float) -> float:
    """Training compute C ≈ 6·N·D: 2 FLOPs per parameter per token forward, 4 backward (Kaplan et al. 2020,
    Sec. 2.1, "C ≈ 6NBS"; Hoffmann et al. 2022). N is the parameter count, D the number of training tokens."""
    return 6 * non_negative("num_params", num_params) * non_negative("num_tokens", num_tokens)


def _counts(**values: object) -> list[int]:
    """Each named value as a whole number >= 1 (the closed forms' model sizes and lengths)."""
    return [positive_int(name, value) for name, value in values.items()]


def kaplan_forward_flops_per_token(*, num_non_embedding_params: int, num_layers: int, seq_len: int,
                                   d_attn: int) -> float:
    """C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn (Kaplan et al. 2020, Table 1 and eq. 2.2). N excludes embeddings.
    It leaves out the output projection (2·d·V) and counts attention for a causal mask (half of T²)."""
    num_non_embedding_params, num_layers, seq_len, d_attn = _counts(
        num_non_embedding_params=num_non_embedding_params, num_layers=num_layers, seq_len=seq_len, d_attn=d_attn)
    return 2 * num_non_embedding_params + 2 * num_layers * seq_len * d_attn


def palm_training_flops_per_token(*, num_params: int, num_layers: int, num_heads: int, head_dim: int,
                                  seq_len: int) -> float:
    """6N + 12·L·H·Q·T (Chowdhery et al. 2022, App. B; nanoGPT's ``estimate_mfu``): matmul FLOPs per token of
    forward + backward, all T² attention pairs. N counts the weights used in matmuls (``num_matmul_params``)."""
    num_params, num_layers, num_heads, head_dim, seq_len = _counts(
        num_params=num_params, num_layers=num_layers, num_heads=num_heads, head_dim=head_dim, seq_len=seq_len)
    return 6 * num_params + 12 * num_layers * num_heads * head_dim * seq_len


def palm_forward_flops_per_token(*, num_params: int, num_layers: int, num_heads: int, head_dim: int,
                                 context_len: int) -> float:
    """2N + 4·L·H·Q·T: the forward third of PaLM's formula; per generated token T is the context length."""
    num_params, num_layers, num_heads, head_dim, context_len = _counts(
        num_params=num_params, num_layers=num_layers, num_heads=num_heads, head_dim=head_dim,
        context_len=context_len)
    return 2 * num_params + 4 * num_layers * num_heads * head_dim * context_len
