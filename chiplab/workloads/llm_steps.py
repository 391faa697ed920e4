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
    check_forward_only_linears,
    eight_bit_training_ops,
)
from chiplab.workloads.footprint import MIXED_PRECISION_ADAM, TrainingPrecision
from chiplab.workloads.forward_pass import check_length, layer_ops, model_forward_ops
from chiplab.workloads.gemm import DTYPE_BITS
from chiplab.workloads.ops import (
    ADAMW_FLOPS_PER_PARAM,
    CROSS_ENTROPY_FLOPS_PER_ELEMENT,
    ModelStep,
    Op,
    VectorOp,
    backward_ops,
)
from chiplab.workloads.recompute import RECOMPUTE_MODES, check_recompute_num_layers, recomputed_ops

if TYPE_CHECKING:
    from chiplab.workloads.transformer import TransformerConfig

LOSS_BYTES_PER_TOKEN = 4  # the cross-entropy loss of each token, in fp32
# Dtypes a KV cache is stored (and core attention computed) in by the serving engines chiplab models.
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8")


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
    ops = model_forward_ops(config, batch=batch, seq_len=seq_len, kv_len=seq_len, flash_attention=flash_attention,
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
    tokens = positive_int("batch", batch) * check_length(config, "seq_len", seq_len)
    elements = tokens * config.vocab_size
    forward = model_forward_ops(config, batch=batch, seq_len=seq_len, kv_len=seq_len, flash_attention=flash_attention,
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
    batch, prompt_len = positive_int("batch", batch), check_length(config, "prompt_len", prompt_len)
    ops = model_forward_ops(config, batch=batch, seq_len=prompt_len, kv_len=prompt_len, flash_attention=flash_attention,
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
    batch, context_len = positive_int("batch", batch), check_length(config, "context_len", context_len)
    ops = model_forward_ops(config, batch=batch, seq_len=1, kv_len=context_len, flash_attention=flash_attention,
                         num_logit_rows=batch, kv_dtype=kv_dtype)
    ops.append(_kv_cache_write(config, batch, kv_dtype))
    return _step(config, "decode", ops, batch=batch, seq_len=1, kv_len=context_len, num_tokens=batch)
