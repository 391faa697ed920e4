"""Which GEMMs of a training step really run in 8 bits when a model "trains in FP8" or "in int8".

Published 8-bit training recipes quantize the weight GEMMs of the transformer layers and leave the rest in bf16:

* **Core attention stays in bf16** (QKᵀ and P·V, forward, recomputed and backward). NVIDIA Transformer Engine's
  FP8 recipe casts the inputs of its Linear layers only; FP8 dot-product attention is an opt-in
  (``DelayedScaling(fp8_dpa=False)`` by default; TE docs, "FP8 attention"), and NeMo's recipes leave it off.
  MaxText's int8 training (``quantization=int8``, AQT) replaces the ``dot_general`` of its dense layers; its flash
  attention kernel runs in bf16.
* **The output head (the logits GEMM) stays in bf16.** MaxText: "We do not quantize the logits matmul"
  (``layers/models.py``, ``logits_dense`` built without ``quant``; GPT-3's logits via the tied embedding are a plain
  ``jnp.dot``, ``layers/embeddings.py`` ``attend``) — read in the MLPerf Training v4.1 submission's fork,
  mlcommons/training_results_v4.1 ``Google/benchmarks/gpt3/implementations/maxtext/maxtext_fork``, 2026-12-08.
  Megatron-Core (NeMo): ``output_layer`` is ``tensor_parallel.ColumnParallelLinear`` (``megatron/core/models/gpt/
  gpt_model.py``), a plain PyTorch GEMM outside Transformer Engine, which ``fp8_autocast`` does not reach.
* **Both recipes quantize all three GEMMs of a linear layer** (forward, activation gradient and weight gradient).
  Transformer Engine's FP8 recipe runs fprop, dgrad and wgrad in FP8. MaxText's ``quantization=int8`` is AQT
  ``config_v3(fwd_bits=8, dlhs_bits=8, drhs_bits=8 if quantization_local_shard_count != 0 else None)``
  (``layers/quantizations.py`` ``_get_int8_quant_config``), and ``quantization_local_shard_count`` defaults to -1,
  which ``pyconfig.py`` turns into the number of slices (>= 1): the weight gradient (drhs, our ``grad_b``) is int8
  too, with the quantization range found per slice ("local AQT"). Same code in the mlperf/4.1 branch (a6b44b3a),
  commit 07700cbd and MaxText's main branch; none of the recorded int8 runs sets the count to 0.

* **Forward-only 8-bit linear layers** (``forward_only_linears``): Google's MLPerf Training v4.1 Trillium GPT-3
  runs pass ``tff_quant=true`` (mlcommons/training_results_v4.1 ``Google/benchmarks/gpt3/implementations/maxtext/
  cloud-tpu-trillium/trillium-{512,1024,2048,3072}.sh``). MaxText's "TFF" quantization (mlperf/4.1 commit a08ba225,
  "Adding Zhiyu's tff quant change", from branch lizhiyu/mlperf4.1_quant commits 04af2e48 and 9813868d, and the
  submission's fork, ``layers/gpt3.py``) gives the attention output projection and both MLP layers
  ``config_v3(fwd_bits=8, dlhs_bits=None, drhs_bits=None)``: "quantize forward only since backward is already
  communication-bounded". Their activation and weight gradients (our ``grad_a``/``grad_b``) run in bf16; the
  q/k/v projections keep ``quantization=int8`` (all three GEMMs int8). Read 2026-12-08.

The FLOPs do not change, only the rate at which the chip issues them (a bf16 GEMM runs at the bf16 peak).

* **Activations between ops stay in bf16**, in training and in serving: 8-bit recipes quantize a GEMM's inputs on
  the fly (fused into the op before it) and keep the residual stream, the norms, the activation functions and the
  hidden states that tensor-parallel ranks all-reduce in bf16 (Transformer Engine: FP8 only inside its modules;
  TensorRT-LLM's FP8 checkpoints keep the model's bf16/fp16 activation dtype; AQT quantizes each dot's operands
  inside the dot). Only the KV cache takes the 8-bit format where a recipe says so (an "FP8 KV cache").
* **So an 8-bit GEMM writes its output in bf16** (:func:`activation_dtype`; ``Gemm.output_dtype``): the scales are
  applied to the fp32/int32 accumulator in the GEMM's epilogue and C is stored in the activation format, 2 bytes an
  element, not 1. Transformer Engine (``pytorch/module/linear.py`` at d0067d0d, read 2026-12-08): the forward and
  dgrad ``general_gemm`` calls pass ``out_dtype=activation_dtype``; the wgrad passes ``main_grad.dtype`` with
  ``fuse_wgrad_accumulation`` (fp32, accumulated in place), else ``activation_dtype`` — chiplab writes weight
  gradients in bf16 for every recipe, bf16 training included (the fp32 accumulation is not modelled). AQT
  (``aqt/jax/v2/aqt_dot_general.py`` at 9d1667eb): the int8 dot accumulates in int32
  (``dg_accumulator_dtype``), ``out.dequant()`` scales it to ``promote_types(lhs.dtype, rhs.dtype)`` (bf16), and
  the forward returns ``ret.astype(lhs.dtype)``. Serving engines alike: vLLM's ``apply_fp8_linear`` ("Fused
  GEMM_DQ", ``quantization/utils/w8a8_utils.py`` at 0039d4bd: ``cutlass_scaled_mm``/``torch._scaled_mm`` with
  ``out_dtype=input.dtype``) and TensorRT-LLM's ``FP8QDQLinearMethod``/``NVFP4LinearMethod``
  (``tensorrt_llm/_torch/modules/linear.py``: ``out_dtype=module.dtype or input.dtype``, ``nvfp4_gemm(...,
  module.dtype)``), read 2026-12-08.

**Getting the operands into 8 bits is work of its own** (:func:`quantization_ops`): memory-bound passes that read
a bf16 tensor and write its 8-bit copy, timed by the chip's memory model like any vector op. What each recipe adds,
as its code states it:

* **Transformer Engine (FP8, the NeMo/Megatron-Core recipes)**, per linear layer (TE v1.11
  ``pytorch/module/linear.py``, ``layernorm_linear.py``, ``base.py`` ``grad_output_preprocess``; v2.x keeps the
  same row-wise + column-wise copies; https://github.com/NVIDIA/TransformerEngine, read 2026-12-08). Hopper's FP8
  GEMMs take both operands K-major (the "TN" layout), so every FP8 tensor that meets a GEMM along two axes is written
  twice, as is and transposed (Blackwell's MXFP8 writes a row-wise and a column-wise block-scaled copy instead: the
  same bytes):

  - a plain ``Linear`` (``o_proj``, ``down_proj``) casts its bf16 input with ``fp8_cast_transpose_fused``: read 2 B,
    write 1 B + its 1 B transpose per element, again when the forward is recomputed. Megatron-Core's dense MLP is
    ``MLPSubmodules(linear_fc1=TELayerNormColumnParallelLinear, linear_fc2=TERowParallelLinear)``
    (``models/gpt/gpt_layer_specs.py``) with its own activation in between, so ``down_proj``'s input arrives in bf16;
  - a ``LayerNormLinear`` (``qkv_proj`` and the first MLP GEMM: Megatron-Core's
    ``TELayerNormColumnParallelLinear``) has the norm kernel write FP8 directly (fused: no cast pass); the weight
    gradient's transposed copy is made in the backward pass (``tex.fp8_transpose``: read 1 B, write 1 B);
  - every linear layer's output gradient is cast and transposed before its dgrad and wgrad GEMMs
    (``fp8_cast_transpose_bgrad_fused``: read 2 B, write 1 + 1 B);
  - the weights are cast and transposed once per step, not per microbatch (``is_first_microbatch``, which
    Megatron-Core passes: the FP8 weight workspace is cached for the later microbatches; NVIDIA's MLPerf Training
    v4.1 GPT-3 code graphs its layers with ``fp8_weight_caching=True``, ``b200_n8_preview_nemo/custom_callbacks.py``),
    counted with the optimizer (so split over the replicas with ZeRO, as a cast of FP8 parameters on the optimizer's
    shard is; unsplit it would be at most 1 % of a recorded step: MLPerf GPT-3 on 11,616 H100s, 6 microbatches);
  - delayed scaling (``DelayedScaling``, TE's default; MLPerf's "FP8 hybrid", the same file) takes each cast's scale
    from earlier steps' amax history and reduces the new amax inside these kernels; the history, its all-reduce
    (``FP8_REDUCE_AMAX``) and the scale update are a few scalars per tensor, not modelled;
  - current scaling (``Float8CurrentScaling``, NeMo's "FP8-CS"; TE v2.9 ``csrc/quantizer.cpp``
    ``Float8CurrentScalingQuantizer::quantize``: ``nvte_compute_amax``, then ``nvte_compute_scale_from_amax``, then
    ``nvte_quantize_v2``) reads every tensor once more for its amax before the cast (read 2 B per element). A norm
    cannot write FP8 before its amax is known: it writes bf16 and its amax (``csrc/extensions/normalization.cpp``,
    "Compute norm and amax in high precision, then quantize to FP8"), and a cast-transpose pass follows (read 2 B,
    write 1 + 1 B) instead of the delayed recipe's backward transpose.

* **AQT int8 (MaxText ``quantization=int8``: ``config_v3``; google/aqt ``aqt/jax/v2/config.py``, read
  2026-12-08)** quantizes both operands of every int8 dot (forward, dlhs, drhs) on the fly: the weights in every dot
  of every microbatch (no cached copy in training mode), and the backward dots re-quantize the forward operands along
  their new contraction axis (``cfg.dlhs.rhs.use_fwd_quant = False``, ``cfg.drhs.rhs.use_fwd_quant = False``). Each
  operand takes an abs-max pass over the contraction axis (per-channel scale: read 2 B per element), then a pass that
  scales, rounds, clips and writes int8 (read 2 B, write 1 B). The gradient operands round stochastically
  (``rng_type="jax.uniform"``); the random bits are taken to be generated inside that pass (no extra bytes).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from chiplab._checks import one_of, some_of
from chiplab.workloads.gemm import DTYPE_BYTES, Gemm
from chiplab.workloads.ops import FP8_CAST_FLOPS_PER_ELEMENT, INT8_QUANTIZE_FLOPS_PER_ELEMENT, GemmOp, Op, VectorOp

EIGHT_BIT_DTYPES = ("fp8", "int8")
HIGH_PRECISION_DTYPE = "bf16"  # what 8-bit recipes keep for the GEMMs they do not quantize
# Weight GEMMs 8-bit recipes leave in bf16 (with their gradients): the output head (see the module docstring).
HIGH_PRECISION_WEIGHT_GEMMS = ("logits",)
# MaxText's TFF quantization (``tff_quant``): the attention output projection and the MLP layers int8 in the forward
# pass only, their gradients in bf16 (see the module docstring)
MAXTEXT_TFF_LINEARS = ("o_proj", "up_proj", "gate_up_proj", "down_proj")
# The weight GEMMs of a transformer layer (chiplab.workloads.llm_steps names them)
LINEAR_LAYERS = ("qkv_proj", "o_proj", "gate_up_proj", "up_proj", "down_proj")
# Linear layers fed by a norm: Transformer Engine fuses the FP8 cast into the norm (LayerNormLinear)
NORM_FED_LINEARS = ("qkv_proj", "gate_up_proj", "up_proj")
# The op a step's once-per-step weight casts run beside (the update that produces the new weights)
_OPTIMIZER_OP = ("adamw_update", "optimizer")
_BF16_BYTES = DTYPE_BYTES[HIGH_PRECISION_DTYPE]
# Transformer Engine's FP8 scaling recipes: "delayed" (DelayedScaling, TE's default and MLPerf's "FP8 hybrid": the
# scale comes from earlier steps' amax history) or "current" (Float8CurrentScaling, NeMo's "FP8-CS": each tensor's
# own amax, computed in a pass before its cast)
FP8_SCALINGS = ("delayed", "current")
_EIGHT_BIT_BYTES = 1


def activation_dtype(dtype: str) -> str:
    """The format activations take between ops (and GEMMs write their outputs in) when the matrix unit computes
    in ``dtype``: bf16 for the 8-bit formats, else ``dtype`` itself (see the module docstring)."""
    return HIGH_PRECISION_DTYPE if one_of("dtype", dtype, tuple(DTYPE_BYTES)) in EIGHT_BIT_DTYPES else dtype


def activation_bytes_per_element(dtype: str) -> int:
    """Bytes of one activation element between ops when the matrix unit computes in ``dtype``: never narrower
    than bf16 (see the module docstring)."""
    return DTYPE_BYTES[activation_dtype(dtype)]


def _runs_in_high_precision(op: GemmOp, forward_only_linears: tuple[str, ...]) -> bool:
    if op.kind == "activation":  # core attention: QKᵀ and P·V and their gradients
        return True
    linear, _, gradient = op.name.partition(".")
    return linear in HIGH_PRECISION_WEIGHT_GEMMS or (linear in forward_only_linears and gradient != "")


def check_forward_only_linears(linears: object) -> tuple[str, ...]:
    """``linears`` as a tuple of a transformer layer's linear-layer names (:data:`LINEAR_LAYERS`)."""
    return some_of("forward_only_linears", linears, LINEAR_LAYERS)


def eight_bit_training_ops(ops: list[Op], dtype: str, fp8_scaling: str = "delayed",
                           forward_only_linears: tuple[str, ...] = ()) -> list[Op]:
    """``ops`` of a training step as an 8-bit recipe runs them: the GEMMs it leaves unquantized set to bf16 (the
    gradients of ``forward_only_linears`` too), and the passes that quantize the others' operands
    (:func:`quantization_ops`); unchanged when ``dtype`` is not an 8-bit format."""
    forward_only_linears = check_forward_only_linears(forward_only_linears)
    if dtype in EIGHT_BIT_DTYPES:
        ops = [dataclasses.replace(op, gemm=Gemm(m=op.gemm.m, n=op.gemm.n, k=op.gemm.k, dtype=HIGH_PRECISION_DTYPE))
               if isinstance(op, GemmOp) and _runs_in_high_precision(op, forward_only_linears) else op for op in ops]
    return quantization_ops(ops, dtype, fp8_scaling)


def _pass(gemm_op: GemmOp, suffix: str, stage: str, num_elements: int, *, flops_per_element: int,
          read_bytes_per_element: int, written_bytes_per_element: int, kind: str = "quantize") -> VectorOp:
    return VectorOp(name=f"{gemm_op.name}.{suffix}", kind=kind, phase=gemm_op.phase, stage=stage,
                    count=gemm_op.count, num_elements=num_elements, num_flops=flops_per_element * num_elements,
                    read_bytes=read_bytes_per_element * num_elements,
                    written_bytes=written_bytes_per_element * num_elements)


def _fp8_casts(op: GemmOp, scaling: str) -> list[tuple[tuple[str, str], VectorOp]]:
    """Transformer Engine's casts around one forward (or recomputed) FP8 linear layer under ``scaling``, each with
    the op it runs before (see the module docstring)."""
    g = op.gemm
    amax_pass = _BF16_BYTES if scaling == "current" else 0  # current scaling reads the tensor once for its amax

    def cast_transpose(suffix: str, stage: str, num_elements: int, amax_read: int = amax_pass) -> VectorOp:
        return _pass(op, suffix, stage, num_elements, flops_per_element=FP8_CAST_FLOPS_PER_ELEMENT,
                     read_bytes_per_element=amax_read + _BF16_BYTES,
                     written_bytes_per_element=2 * _EIGHT_BIT_BYTES)  # the copy and its transpose

    norm_fed = op.name in NORM_FED_LINEARS
    passes: list[tuple[tuple[str, str], VectorOp]] = []
    if not norm_fed or scaling == "current":  # the norm computes the amax; a cast after it still reads its output
        passes.append(((op.name, op.stage), cast_transpose("cast_transpose_input", op.stage, g.m * g.k,
                                                           0 if norm_fed else amax_pass)))
    if op.stage != "forward":  # a recomputed forward casts its input again; the rest happens once per microbatch
        return passes
    if norm_fed and scaling == "delayed":  # the norm wrote FP8; the weight gradient needs it transposed
        passes.append(((f"{op.name}.grad_b", "backward"), _pass(
            op, "transpose_input", "backward", g.m * g.k, flops_per_element=0, kind="copy",
            read_bytes_per_element=_EIGHT_BIT_BYTES, written_bytes_per_element=_EIGHT_BIT_BYTES)))
    gradient = cast_transpose("cast_transpose_grad_output", "backward", g.m * g.n)
    weight = cast_transpose("cast_transpose_weight", "optimizer", g.k * g.n)  # once per step, with the optimizer
    return [*passes, ((f"{op.name}.grad_a", "backward"), gradient), (_OPTIMIZER_OP, weight)]


def _int8_quantizations(op: GemmOp) -> list[tuple[tuple[str, str], VectorOp]]:
    """AQT's quantization of both operands of one int8 dot (forward, dlhs or drhs): an abs-max pass and a
    quantizing pass over each (see the module docstring)."""
    g = op.gemm
    return [((op.name, op.stage), _pass(
        op, "quantize", op.stage, g.m * g.k + g.k * g.n, flops_per_element=INT8_QUANTIZE_FLOPS_PER_ELEMENT,
        read_bytes_per_element=2 * _BF16_BYTES, written_bytes_per_element=_EIGHT_BIT_BYTES))]


def quantization_ops(ops: list[Op], dtype: str, fp8_scaling: str = "delayed") -> list[Op]:
    """``ops`` of a training step (its unquantized GEMMs already bf16) with the passes that bring each 8-bit
    GEMM's operands into 8 bits, each placed before the op it feeds: Transformer Engine's casts for ``"fp8"`` under
    ``fp8_scaling`` (:data:`FP8_SCALINGS`), AQT's quantizations for ``"int8"`` (see the module docstring); unchanged
    for any other ``dtype``."""
    fp8_scaling = one_of("fp8_scaling", fp8_scaling, FP8_SCALINGS)
    dtype = one_of("dtype", dtype, tuple(DTYPE_BYTES))  # a misspelt "fp8" would otherwise add nothing
    if dtype not in EIGHT_BIT_DTYPES:
        return ops
    before: defaultdict[tuple[str, str], list[Op]] = defaultdict(list)
    for op in ops:
        if not (isinstance(op, GemmOp) and op.gemm.dtype in EIGHT_BIT_DTYPES):
            continue
        if dtype == "int8":
            placed = _int8_quantizations(op)
        elif op.kind == "weight" and op.stage in ("forward", "recompute"):
            placed = _fp8_casts(op, fp8_scaling)
        else:
            placed = []
        for key, quantization in placed:
            before[key].append(quantization)
    result: list[Op] = []
    for op in ops:
        result += before.pop((op.name, op.stage), [])
        result.append(op)
    return result + [quantization for left in before.values() for quantization in left]
