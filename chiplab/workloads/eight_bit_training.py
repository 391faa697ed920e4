"""Which GEMMs of a training step really run in 8 bits when a model "trains in FP8" or "in int8".

Published 8-bit training recipes quantize the weight GEMMs (the linear layers) and leave the rest in bf16:

* **Core attention stays in bf16** (QKᵀ and P·V, forward, recomputed and backward). NVIDIA Transformer Engine's
  FP8 recipe casts the inputs of its Linear layers only; FP8 dot-product attention is an opt-in
  (``DelayedScaling(fp8_dpa=False)`` by default; TE docs, "FP8 attention"), and NeMo's recipes leave it off.
  MaxText's int8 training (``quantization=int8``, AQT) replaces the ``dot_general`` of its dense layers; its flash
  attention kernel runs in bf16.
* **int8 (AQT) keeps the weight gradient in bf16**: MaxText's int8 configuration is AQT
  ``config_v3(fwd_bits=8, dlhs_bits=8, drhs_bits=None)`` (MaxText ``layers/quantizations.py``): the forward GEMM
  and the activation gradient (dlhs, our ``grad_a``) are int8, the weight gradient (drhs, ``grad_b``) is not
  quantized. Transformer Engine's FP8 recipe runs all three (fprop, dgrad, wgrad) in FP8, so FP8 keeps them.

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
# Recipes that quantize only the forward GEMM and the activation gradient (AQT int8 in MaxText).
WEIGHT_GRADIENT_UNQUANTIZED = ("int8",)


def activation_bytes_per_element(dtype: str) -> int:
    """Bytes of one activation element between ops when the matrix unit computes in ``dtype``: never narrower
    than bf16 (see the module docstring)."""
    return max(DTYPE_BYTES[one_of("dtype", dtype, tuple(DTYPE_BYTES))], DTYPE_BYTES[HIGH_PRECISION_DTYPE])


def _runs_in_high_precision(op: GemmOp, dtype: str) -> bool:
    if op.kind == "activation":  # core attention: QKᵀ and P·V and their gradients
        return True
    return dtype in WEIGHT_GRADIENT_UNQUANTIZED and op.name.endswith(".grad_b")


def eight_bit_training_ops(ops: list[Op], dtype: str) -> list[Op]:
    """``ops`` of a training step with the GEMMs an 8-bit recipe leaves unquantized set to bf16 (unchanged when
    ``dtype`` is not an 8-bit format)."""
    if dtype not in EIGHT_BIT_DTYPES:
        return ops
    return [dataclasses.replace(op, gemm=Gemm(m=op.gemm.m, n=op.gemm.n, k=op.gemm.k, dtype=HIGH_PRECISION_DTYPE))
            if isinstance(op, GemmOp) and _runs_in_high_precision(op, dtype) else op for op in ops]
