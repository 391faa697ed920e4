"""How each published end-to-end run becomes a chiplab estimate: the setup it is run with, and what is compared.

A run of the measurement record (:mod:`chiplab.perf.measurements`) is mapped to :func:`estimate_training` or
:func:`estimate_serving` *with their default calibration* (so a fitted default calibration is picked up when it
lands) and the setup as published. Where the source is silent ("not stated") a documented default is used and the
case says which (``CaseSetup.defaults``); where a run needs a mechanism chiplab lacks, :class:`NotMappable` says
exactly why and the run is listed as "not run", never dropped. This module maps training runs; serving runs are
mapped by :mod:`chiplab.perf.validation_serving` (with its own defaults); what both share is in
:mod:`chiplab.perf.validation_setup`.

Documented defaults for training runs, and for every run (each applied only where the source does not say):

* precision → the arithmetic dtype: FP8 → ``fp8``, int8 training → ``int8``, int8-stored weights → bf16 arithmetic
  with ``weight_dtype="int8"``, anything else (BF16, FP16 autocast, not stated) → ``bf16``. FP8's scaling recipe →
  ``fp8_scaling="current"`` where the precision says "current scaling" (NeMo's FP8-CS), else Transformer Engine's
  default, delayed scaling (what its casts cost: :mod:`chiplab.workloads.eight_bit_training`).
* recompute not stated → the least recomputation that fits in memory (none, then selective, then full), as a tuned
  recipe would choose. MaxText's ``custom`` policies recompute all but the few tensors they offload → ``full``;
  ``minimal`` and ``save_dot_except_mlpwi`` save (most) matmul outputs → ``selective``.
* sharding not stated → ZeRO-1 (optimizer state sharded over the data-parallel replicas, Megatron's distributed
  optimizer); a stated distributed optimizer → ZeRO-1 (also beside "DDP (FSDP = 0)"); "FSDP"/"fully sharded" →
  ZeRO-3; "DDP (FSDP = 0)" alone → none. A recompute stated as full with ``recompute_num_layers=N`` recomputes N
  layers per pipeline stage (Megatron-LM's block method), the others keep their activations.
* an interleaved schedule without a stated size → 2 virtual stages per chip, the fewest an interleaved schedule has
  (Narayanan et al. SC'21, Sec. 2.2: 1 virtual stage is the plain 1F1B schedule the word "interleaved" rules out).
* parallelism not stated on a MaxText run → MaxText's default, FSDP over every chip.
* context parallelism c → modelled as Megatron-Core/Transformer Engine run it (``estimate_training``'s
  ``context_parallel``, :mod:`chiplab.perf.context_parallel`): each chip holds seq_len/c tokens of its group's
  sequences, K and V go around a ring of the c chips beside the attention blocks, gradients are reduced over d·c.
* tensor parallelism counted in NeuronCores (Trainium, 2 per chip) → t/2-way across chips; each NeuronCore rank
  holds at least one (replicated) KV head, so a chip computes 2 where the model has fewer KV heads than ranks.
* a model recorded as "not in catalog" → the preset its ``needs_model`` names, once one has been added.
* tensor-parallel communication overlap → only where the source states it ("TP communication overlap",
  ``tp_comm_overlap``); otherwise the collectives are exposed.
* MaxText's ``tff_quant`` (forward-only int8 for the attention output projection and the MLP) → only where the
  precision states it; otherwise every linear layer's three GEMMs take the run's 8-bit format.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from chiplab.hardware.catalog import load_chip
from chiplab.perf._measurement_types import NOT_STATED, EndToEndRun
from chiplab.perf.validation_serving import serving_setup
from chiplab.perf.validation_setup import (
    SERVING_QUANTITIES,
    TIME_QUANTITIES,
    TRAINING_QUANTITIES,
    CaseSetup,
    NotMappable,
    need,
    primary_quantity,
    run_model,
    stated,
)
from chiplab.workloads.eight_bit_training import MAXTEXT_TFF_LINEARS
from chiplab.workloads.footprint import Parallelism

# Re-exported: callers import the shared names from here, where the mapping starts.
__all__ = ["RECOMPUTE_ORDER", "SERVING_QUANTITIES", "TIME_QUANTITIES", "TRAINING_QUANTITIES",
           "CaseSetup", "NotMappable", "case_setup", "primary_quantity", "serving_setup", "training_setup"]
RECOMPUTE_ORDER = ("none", "selective", "full")


def _recompute(run: EndToEndRun) -> str | None:
    text = (stated(run, "recompute") or "").lower()
    if not text:
        return None
    if text.startswith("none"):
        return "none"
    if "minimal" in text or "save_dot" in text or "selective" in text:
        return "selective"
    if "full" in text or "custom" in text or "rematerialisation" in text:
        return "full"
    raise NotMappable(f"recompute {run.recompute!r} is none of chiplab's modes ({', '.join(RECOMPUTE_ORDER)})")


def _zero_stage(run: EndToEndRun, defaults: list[str]) -> int:
    text = (stated(run, "sharding") or "").lower()
    if "zero-1" in text or "distributed optimizer (" in text:  # DDP with Megatron's distributed optimizer is ZeRO-1
        return 1
    if "fsdp = 0" in text or text.startswith("ddp"):
        return 0
    if "fsdp" in text or "fully sharded" in text or "zero-3" in text:
        return 3
    defaults.append(f"sharding {run.sharding or NOT_STATED!r}: ZeRO-1 (optimizer state sharded)")
    return 1


LEAST_INTERLEAVING = 2  # virtual stages per chip of the least interleaved 1F1B schedule


def _virtual_stages(run: EndToEndRun, defaults: list[str]) -> int:
    text = (stated(run, "pipeline_schedule") or "").lower()
    if "interleaved" not in text:
        return 1
    size = re.search(r"(?:virtual pipeline size|interleaved_pipeline=)\s*(\d+)", text)
    if size is None:  # "interleaved" rules out 1 virtual stage; 2 is the least interleaving the word allows
        defaults.append(f"interleaved schedule of unstated size: {LEAST_INTERLEAVING} virtual stages, the fewest an "
                        "interleaved schedule has")
        return LEAST_INTERLEAVING
    return int(size.group(1))


def _tp_comm_overlap(run: EndToEndRun) -> bool:
    text = " ".join(str(stated(run, f) or "") for f in ("software", "sharding")).lower()
    return "tp communication overlap" in text or "tp_comm_overlap" in text


def _tensor_ranks_per_chip(run: EndToEndRun, ranks: int, tensor: int, defaults: list[str]) -> int:
    """Neuron counts tensor parallelism in NeuronCores, several per chip: how many ranks share one chip."""
    num_chips = need(run, "num_chips")
    per_chip = ranks // num_chips
    if run.family != "trainium" or ranks <= num_chips or ranks % num_chips or tensor % per_chip:
        return 1
    defaults.append(f"TP {tensor} counts NeuronCores ({per_chip} per chip): {tensor // per_chip}-way tensor "
                    "parallelism across chips")
    return per_chip


def _parallelism(run: EndToEndRun, defaults: list[str]) -> tuple[Parallelism, int]:
    """The run's parallelism over chips, and how many tensor-parallel ranks share a chip."""
    num_chips = need(run, "num_chips")
    ways = [stated(run, f) for f in ("tensor_parallel", "pipeline_parallel", "data_parallel")]
    if None in ways:
        if "maxtext" not in run.software.lower():
            raise NotMappable("tensor/pipeline/data parallelism not stated")
        defaults.append(f"parallelism not stated: MaxText's default, FSDP over all {num_chips} chips")
        return Parallelism(tensor=1, pipeline=1, data=num_chips, zero_stage=3), 1
    tensor, pipeline, data = ways
    context = stated(run, "context_parallel") or 1
    zero_stage = _zero_stage(run, defaults)
    ranks_per_chip = _tensor_ranks_per_chip(run, tensor * pipeline * data * context, tensor, defaults)
    tensor //= ranks_per_chip
    if tensor * pipeline * data * context != num_chips:
        raise NotMappable(f"TP {tensor} x PP {pipeline} x DP {data} x CP {context} is not the {num_chips} chips "
                          "the run used")
    return Parallelism(tensor=tensor, pipeline=pipeline, data=data, zero_stage=zero_stage), ranks_per_chip


def training_setup(run: EndToEndRun) -> CaseSetup:
    """The arguments of :func:`estimate_training` for a training run (raises :class:`NotMappable`)."""
    defaults: list[str] = []
    quantity = primary_quantity(run)
    if quantity == "time_to_train_s" and stated(run, "train_tokens") is None:
        raise NotMappable("time to train without the number of tokens trained")
    config = run_model(run, defaults)
    parallelism, ranks_per_chip = _parallelism(run, defaults)
    global_batch, seq_len = need(run, "global_batch"), need(run, "seq_len")
    if seq_len > config.max_seq_len:  # the run trained past the preset's context window (MLPerf's Llama 2 LoRA: 8192)
        defaults.append(f"context window {config.max_seq_len} of the preset extended to the run's {seq_len}")
        config = dataclasses.replace(config, max_seq_len=seq_len)
    arguments: dict[str, Any] = {"chip": load_chip(run.chip), "parallelism": parallelism,
                                 "global_batch": global_batch, "seq_len": seq_len,
                                 "num_virtual_stages": _virtual_stages(run, defaults), "recompute": _recompute(run),
                                 "tp_comm_overlap": _tp_comm_overlap(run),
                                 # LoRA: the base weights are frozen, only the adapters train (chiplab.perf.lora)
                                 "frozen_base_weights": "lora" in run.model_as_published.lower(),
                                 "context_parallel": stated(run, "context_parallel") or 1,
                                 "tensor_ranks_per_chip": ranks_per_chip,
                                 # Transformer Engine's scaling recipe: current where stated ("FP8-CS"), else TE's
                                 # default, delayed (what the casts cost: chiplab.workloads.eight_bit_training)
                                 "fp8_scaling": "current" if "current scaling" in run.precision.lower() else "delayed",
                                 # MaxText's TFF: out projection and MLP int8 in the forward pass only (gpt3.py)
                                 "forward_only_linears": MAXTEXT_TFF_LINEARS if "tff_quant" in run.precision else ()}
    micro = stated(run, "micro_batch")
    if micro is not None and "maxtext" in run.software.lower():
        # MaxText's per_device_batch_size counts every chip, the tensor-parallel ones too (global batch = it x all
        # chips, no gradient accumulation): one pass of a tensor-parallel group holds per_device_batch_size x t
        micro *= parallelism.tensor
    replica_batch = global_batch // parallelism.data
    if micro is not None and replica_batch % micro == 0:
        arguments["num_microbatches"] = replica_batch // micro
    elif micro is None:
        defaults.append("micro batch not stated: chiplab's default microbatching")
    if arguments["recompute"] is None:
        defaults.append("recompute not stated: the least that fits in memory")
    layers = re.search(r"recompute_num_layers\s*=\s*(\d+)", stated(run, "recompute") or "")
    if layers and arguments["recompute"] == "full":  # Megatron's block method: that many layers per stage recompute
        arguments["recompute_num_layers"] = int(layers.group(1))
    return CaseSetup(run=run, quantity=quantity, config=config, arguments=arguments, replicas=1,
                     defaults=tuple(defaults))


def case_setup(run: EndToEndRun) -> CaseSetup:
    """The setup chiplab runs ``run`` with (raises :class:`NotMappable` with the reason when it cannot)."""
    return training_setup(run) if run.workload == "training" else serving_setup(run)
