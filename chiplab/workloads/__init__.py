"""Workloads. ``Gemm`` is the atom: C[m, n] = A[m, k] @ B[k, n]; everything else maps onto GEMMs.

Convolutions lower to one GEMM (im2col). A transformer (:class:`TransformerConfig`, or a sourced preset from
:func:`load_model`) becomes a :class:`ModelStep`: a short list of :class:`GemmOp` and :class:`VectorOp` with counts,
for a training step, a prefill or a decode step. :func:`training_memory` and :func:`inference_memory` give the
bytes per chip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._lazy import lazy_exports

if TYPE_CHECKING:
    from chiplab.workloads.activation_memory import activation_bytes_per_layer, korthikanti_activation_bytes_per_layer
    from chiplab.workloads.conv import Conv2d
    from chiplab.workloads.describe import (
        ATTENTION_PROJECTIONS,
        ATTENTION_SCORES,
        LOGITS,
        MLP,
        NON_MATMUL,
        arithmetic_intensity_flops_per_byte,
        compare_six_n,
        flops_breakdown,
        flops_breakdown_table,
        intensity_sweep,
    )
    from chiplab.workloads.flop_formulas import (
        flops_per_token_inference,
        flops_per_token_training,
        kaplan_forward_flops_per_token,
        palm_forward_flops_per_token,
        palm_training_flops_per_token,
        six_n_d_flops,
    )
    from chiplab.workloads.footprint import (
        KV_SHARDINGS,
        MIXED_PRECISION_ADAM,
        MemoryFootprint,
        Parallelism,
        TrainingPrecision,
        inference_memory,
        kv_heads_per_rank,
        kv_sequence_shards,
        params_per_chip,
        training_memory,
    )
    from chiplab.workloads.forward_pass import layer_ops
    from chiplab.workloads.gemm import DTYPE_BYTES, Gemm
    from chiplab.workloads.llm_steps import (
        decode_step,
        forward_step,
        prefill_step,
        training_step,
    )
    from chiplab.workloads.ops import GemmOp, ModelStep, VectorOp
    from chiplab.workloads.presets import ModelPreset, list_models, load_model, model_preset
    from chiplab.workloads.transformer import TransformerConfig

# Each public name and the module that defines it, imported on first use (chiplab/_lazy.py says why).
_EXPORTS = {
    "activation_bytes_per_layer": "activation_memory", "korthikanti_activation_bytes_per_layer": "activation_memory",
    "Conv2d": "conv",
    "ATTENTION_PROJECTIONS": "describe", "ATTENTION_SCORES": "describe", "LOGITS": "describe", "MLP": "describe",
    "NON_MATMUL": "describe", "arithmetic_intensity_flops_per_byte": "describe", "compare_six_n": "describe",
    "flops_breakdown": "describe", "flops_breakdown_table": "describe", "intensity_sweep": "describe",
    "flops_per_token_inference": "flop_formulas", "flops_per_token_training": "flop_formulas",
    "kaplan_forward_flops_per_token": "flop_formulas", "palm_forward_flops_per_token": "flop_formulas",
    "palm_training_flops_per_token": "flop_formulas", "six_n_d_flops": "flop_formulas",
    "MIXED_PRECISION_ADAM": "footprint", "MemoryFootprint": "footprint", "Parallelism": "footprint",
    "TrainingPrecision": "footprint", "inference_memory": "footprint", "training_memory": "footprint",
    "KV_SHARDINGS": "footprint", "kv_heads_per_rank": "footprint", "kv_sequence_shards": "footprint",
    "params_per_chip": "footprint",
    "DTYPE_BYTES": "gemm", "Gemm": "gemm",
    "layer_ops": "forward_pass",
    "decode_step": "llm_steps", "forward_step": "llm_steps", "prefill_step": "llm_steps", "training_step": "llm_steps",
    "GemmOp": "ops", "ModelStep": "ops", "VectorOp": "ops",
    "ModelPreset": "presets", "list_models": "presets", "load_model": "presets", "model_preset": "presets",
    "TransformerConfig": "transformer",
}

__all__ = [
    "ATTENTION_PROJECTIONS",
    "ATTENTION_SCORES",
    "DTYPE_BYTES",
    "KV_SHARDINGS",
    "LOGITS",
    "MIXED_PRECISION_ADAM",
    "MLP",
    "NON_MATMUL",
    "Conv2d",
    "Gemm",
    "GemmOp",
    "MemoryFootprint",
    "ModelPreset",
    "ModelStep",
    "Parallelism",
    "TrainingPrecision",
    "TransformerConfig",
    "VectorOp",
    "activation_bytes_per_layer",
    "arithmetic_intensity_flops_per_byte",
    "compare_six_n",
    "decode_step",
    "flops_breakdown",
    "flops_breakdown_table",
    "flops_per_token_inference",
    "flops_per_token_training",
    "forward_step",
    "inference_memory",
    "intensity_sweep",
    "kaplan_forward_flops_per_token",
    "korthikanti_activation_bytes_per_layer",
    "kv_heads_per_rank",
    "kv_sequence_shards",
    "layer_ops",
    "list_models",
    "load_model",
    "model_preset",
    "palm_forward_flops_per_token",
    "palm_training_flops_per_token",
    "params_per_chip",
    "prefill_step",
    "six_n_d_flops",
    "training_memory",
    "training_step",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
