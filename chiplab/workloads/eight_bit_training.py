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

The FLOPs do not change, only the rate at which the chip issues them (a bf16 GEMM runs at the bf16 peak).

* **Activations between ops stay in bf16**, in training and in serving: 8-bit recipes quantize a GEMM's inputs on
  the fly (fused into the op before it) and keep the residual stream, the norms, the activation functions and the
  hidden states that tensor-parallel ranks all-reduce in bf16 (Transformer Engine: FP8 only inside its modules;
  TensorRT-LLM's FP8 checkpoints keep the model's bf16/fp16 activation dtype; AQT quantizes each dot's operands
  inside the dot). Only the KV cache takes the 8-bit format where a recipe says so (an "FP8 KV cache").
"""

from __future__ import annotations

import dataclasses

from chiplab._checks import one_of
from chiplab.workloads.gemm import DTYPE_BYTES, Gemm
from chiplab.workloads.ops import GemmOp, Op

EIGHT_BIT_DTYPES = ("fp8", "int8")
HIGH_PRECISION_DTYPE = "bf16"  # what 8-bit recipes keep for the GEMMs they do not quantize
# Weight GEMMs 8-bit recipes leave in bf16 (with their gradients): the output head (see the module docstring).
HIGH_PRECISION_WEIGHT_GEMMS = ("logits",)


def activation_bytes_per_element(dtype: str) -> int:
    """Bytes of one activation element between ops when the matrix unit computes in ``dtype``: never narrower
    than bf16 (see the module docstring)."""
    return max(DTYPE_BYTES[one_of("dtype", dtype, tuple(DTYPE_BYTES))], DTYPE_BYTES[HIGH_PRECISION_DTYPE])


def _runs_in_high_precision(op: GemmOp) -> bool:
    if op.kind == "activation":  # core attention: QKᵀ and P·V and their gradients
        return True
    return op.name.split(".")[0] in HIGH_PRECISION_WEIGHT_GEMMS


def eight_bit_training_ops(ops: list[Op], dtype: str) -> list[Op]:
    """``ops`` of a training step with the GEMMs an 8-bit recipe leaves unquantized set to bf16 (unchanged when
    ``dtype`` is not an 8-bit format)."""
    if dtype not in EIGHT_BIT_DTYPES:
        return ops
    return [dataclasses.replace(op, gemm=Gemm(m=op.gemm.m, n=op.gemm.n, k=op.gemm.k, dtype=HIGH_PRECISION_DTYPE))
            if isinstance(op, GemmOp) and _runs_in_high_precision(op) else op for op in ops]
