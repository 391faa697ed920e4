"""Activation memory: the bytes one transformer layer saves for its backward pass.

Korthikanti et al. (2022), "Reducing Activation Recomputation in Large Transformer Models", Section 4, stores
s·b·h·(34 + 5·a·s/h) bytes per layer for a GPT layer (16-bit activations, 1-byte dropout masks), and Table 2 gives
the same under tensor and sequence parallelism and recomputation (:func:`korthikanti_activation_bytes_per_layer`).
:func:`activation_bytes_per_layer` counts the same tensors for any config (GQA, gated MLP, no dropout,
FlashAttention) and equals that formula for GPT. :mod:`chiplab.workloads.footprint` adds the layers up per chip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._checks import instance_of, one_of, positive_int, positive_int_at_most
from chiplab.errors import ChiplabInputError
from chiplab.workloads.recompute import RECOMPUTE_MODES

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig

# Sizes past which an estimate means nothing (and Python's floats overflow): far beyond any published run. Their one
# home (perf.training and perf.inference bound their arguments by them too).
MAX_SEQUENCES = 10**8
MAX_TOKENS_PER_SEQUENCE = 10**9

DROPOUT_MASK_BYTES_PER_ELEMENT = 1   # Korthikanti et al. store dropout masks as bytes
LOGSUMEXP_BYTES_PER_ROW = 4          # FlashAttention saves one fp32 log-sum-exp per query row and head


def korthikanti_activation_bytes_per_layer(*, seq_len: int, batch: int, d_model: int, num_heads: int,
                                           tensor_parallel: int = 1, sequence_parallel: bool = False,
                                           recompute: str = "none") -> float:
    """Korthikanti et al. (2022), Table 2, per layer (a GPT layer: 16-bit activations, dropout, MHA, f = 4h).

    none: sbh(34 + 5as/h); tensor parallel: sbh(10 + 24/t + 5as/(ht)); with sequence parallelism: sbh(34/t + 5as/(ht));
    selective recomputation drops the 5as/h term; full recomputation keeps 2sbh (÷t with sequence parallelism).
    """
    s, b = (positive_int_at_most("seq_len", seq_len, MAX_TOKENS_PER_SEQUENCE),
            positive_int_at_most("batch", batch, MAX_SEQUENCES))
    h, a, t = (positive_int(name, value) for name, value in (
        ("d_model", d_model), ("num_heads", num_heads), ("tensor_parallel", tensor_parallel)))
    recompute = one_of("recompute", recompute, RECOMPUTE_MODES)
    if not isinstance(sequence_parallel, bool):
        raise ChiplabInputError(f"sequence_parallel must be True or False; got {sequence_parallel!r}")
    if recompute == "full":
        return 2 * s * b * h / (t if sequence_parallel else 1)
    attention = 0 if recompute == "selective" else 5 * a * s / h
    if sequence_parallel:
        return s * b * h * (34 / t + attention / t)
    return s * b * h * (10 + 24 / t + attention / t)


def activation_bytes_per_layer(config: TransformerConfig, *, batch: int, seq_len: int, recompute: str = "none",
                               flash_attention: bool = True, dropout: bool = False, tensor_parallel: int = 1,
                               sequence_parallel: bool = True, bytes_per_element: int = 2) -> float:
    """Bytes one layer saves for its backward pass, counted tensor by tensor as in Korthikanti et al., Sec. 4.1.

    FlashAttention saves no T × T scores, only one fp32 log-sum-exp per row (Dao et al. 2022). Modern LLMs train
    without dropout; ``dropout=True`` adds Korthikanti's masks and dropout outputs.
    """
    recompute = one_of("recompute", recompute, RECOMPUTE_MODES)
    s = positive_int_at_most("seq_len", seq_len, MAX_TOKENS_PER_SEQUENCE)
    b = positive_int_at_most("batch", batch, MAX_SEQUENCES)
    p, t = positive_int("bytes_per_element", bytes_per_element), positive_int("tensor_parallel", tensor_parallel)
    for name, flag in (("flash_attention", flash_attention), ("dropout", dropout),
                       ("sequence_parallel", sequence_parallel)):
        instance_of(name, flag, bool, "True or False")
    sb, h, a = s * b, config.d_model, config.num_heads
    replicated_divisor = t if sequence_parallel else 1
    if recompute == "full":  # only the layer's input survives (Chen et al. 2016)
        return p * sb * h / replicated_divisor
    num_norms = 1 if config.parallel_block else 2
    mask = DROPOUT_MASK_BYTES_PER_ELEMENT if dropout else 0
    # Left replicated by tensor parallelism alone: norm inputs, norm outputs (GEMM inputs), dropout masks.
    replicated = num_norms * 2 * p * sb * h + 2 * mask * sb * h
    # Split by tensor parallelism: Q, K, V, the output-projection input, the MLP's hidden activations.
    split = p * sb * (2 * config.q_dim + 2 * config.kv_dim) + (3 if config.gated_mlp else 2) * p * sb * config.d_ff
    if flash_attention:
        split += LOGSUMEXP_BYTES_PER_ROW * a * sb
    elif recompute != "selective":  # softmax output, dropout mask and dropout output: a × s × s per sequence
        split += (p + (mask + p if dropout else 0)) * a * s * sb
    return replicated / replicated_divisor + split / t
