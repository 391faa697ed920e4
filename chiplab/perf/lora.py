"""LoRA fine-tuning: the base model's weights are frozen and only small low-rank adapters train.

LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022, Sec. 4.1) adds W + B·A beside each
adapted weight W (d_in × d_out) with A (d_in × r) and B (r × d_out), r ≪ d_model, and trains only A and B. For the
training step that changes three things:

* **Backward.** A weight GEMM C = A·W has two gradient GEMMs of the forward's FLOPs each: dA = dC·Wᵀ (the gradient
  that flows on to earlier layers, still needed: the adapters below need it) and dW = Aᵀ·dC (the weight gradient,
  not needed for a frozen W). So the frozen linear layers cost forward + one backward GEMM: 4 of full training's 6
  FLOPs per parameter per token (2/3). Core attention (scores, attention × values) has no weights: both its gradient
  GEMMs stay. The embedding table's gradient is not needed either.
* **Optimizer.** AdamW updates the adapters only: no state, gradients or update for the base weights.
* **Data parallelism.** Only the adapters' gradients are synchronised.

The adapters' own FLOPs, gradients and optimizer state are left out: with r = 16 and d_model = 8192 an adapter on a
d × d projection adds 2·r·(d + d) = 4 · 10⁻³ of the projection's 2·d·d FLOPs — below what chiplab resolves.
"""

from __future__ import annotations

import dataclasses

from chiplab._checks import instance_of
from chiplab.workloads.footprint import MemoryFootprint
from chiplab.workloads.ops import GemmOp, ModelStep

# The GEMMs of core attention: both operands are activations (Q·Kᵀ, softmax·V), so neither gradient is a weight's.
CORE_ATTENTION_GEMMS = ("scores", "attn_values")
# Vector ops whose backward only produces the gradient of a frozen weight (the embedding table's rows).
FROZEN_ONLY_GRADIENTS = ("embed_tokens.grad",)


def _is_frozen_weight_gradient(op: object) -> bool:
    name = getattr(op, "name", "")
    if name in FROZEN_ONLY_GRADIENTS:
        return True
    return (isinstance(op, GemmOp) and name.endswith(".grad_b")
            and name.removesuffix(".grad_b") not in CORE_ATTENTION_GEMMS)


def frozen_base_step(step: ModelStep) -> ModelStep:
    """``step`` (a training step) with the base weights frozen: no weight-gradient GEMMs of the linear layers, no
    embedding gradient, no optimizer update (see the module docstring)."""
    instance_of("step", step, ModelStep, "a training ModelStep (config.training_step(...))")
    ops = tuple(op for op in step.ops if not _is_frozen_weight_gradient(op) and op.stage != "optimizer")
    return dataclasses.replace(step, name=f"{step.name}, base weights frozen (LoRA)", ops=ops)


def frozen_base_memory(memory: MemoryFootprint) -> MemoryFootprint:
    """``memory`` without the base weights' gradients and optimizer state (the adapters' are negligible)."""
    instance_of("memory", memory, MemoryFootprint, "a MemoryFootprint (training_memory(...))")
    return dataclasses.replace(memory, gradients_bytes=0.0, optimizer_state_bytes=0.0)


__all__ = ["frozen_base_memory", "frozen_base_step"]
