"""How each published end-to-end run becomes a chiplab estimate: the setup it is run with, and what is compared.

A run of the measurement record (:mod:`chiplab.perf.measurements`) is mapped to :func:`estimate_training` or
:func:`estimate_serving` *with their default calibration* (so a fitted default calibration is picked up when it
lands) and the setup as published. Where the source is silent ("not stated") a documented default is used and the
case says which (``CaseSetup.defaults``); where a run needs a mechanism chiplab lacks, :class:`NotMappable` says
exactly why and the run is listed as "not run", never dropped.

Documented defaults (each applied only where the source does not say):

* precision → the arithmetic dtype: FP8 → ``fp8``, int8 training → ``int8``, int8-stored weights → bf16 arithmetic
  with ``weight_dtype="int8"``, anything else (BF16, FP16 autocast, not stated) → ``bf16``.
* recompute not stated → the least recomputation that fits in memory (none, then selective, then full), as a tuned
  recipe would choose. MaxText's ``custom`` policies recompute all but the few tensors they offload → ``full``;
  ``minimal`` and ``save_dot_except_mlpwi`` save (most) matmul outputs → ``selective``.
* sharding not stated → ZeRO-1 (optimizer state sharded over the data-parallel replicas, Megatron's distributed
  optimizer); "FSDP"/"fully sharded" → ZeRO-3; "DDP (FSDP = 0)" → none.
* an interleaved schedule without a stated size → plain 1F1B (one virtual stage).
* parallelism not stated on a MaxText run → MaxText's default, FSDP over every chip.
* context parallelism c → folded into data parallelism (c·d ways): each chip then holds the same tokens and the same
  attention FLOPs as with the sequence split (causal load balancing); ring attention's KV exchange is assumed hidden.
* serving batch not stated → every queued request that fits: min(concurrency, the largest batch whose weights and KV
  cache fit in the memory the engine gives them by default, ``ENGINE_MEMORY``), served as one static batch
  (prefill, then decode).
* tensor parallelism counted in NeuronCores (more ranks than chips, AWS chips) → split across the chips: the
  TP ways divided by the cores per chip.
* a model recorded as "not in catalog" → the preset its ``needs_model`` names, once one has been added.
* tensor-parallel communication overlap → only where the source states it ("TP communication overlap",
  ``tp_comm_overlap``); otherwise the collectives are exposed.
* per-step host/framework overhead (scheduling, sampling, detokenisation) → none: no stack in the record publishes it
  as a time per step (vLLM's v0.6 analysis, https://blog.vllm.ai/2024/09/05/perf-update.html, gives shares of one
  v0.5.3 workload's time, not a cost per step; TensorRT-LLM, JetStream and Neuron publish none), so nothing is
  added rather than a number fitted to the end-to-end runs. Neuron publishes no small-message all-reduce latency
  either (nccom-test's guide shows one 32 MiB example), so Trainium keeps the network model's fallback latency.
* KV cache precision not stated → the model's (8-bit for an 8-bit recipe); a precision that says the KV cache is
  not quantized → bf16 cache and core attention (``estimate_serving(kv_cache_dtype="bf16")``); int8 weights and KV
  cache → an int8 cache widened for bf16 attention (``kv_cache_dtype="int8"``).
* KV cache → paged (each sequence holds and reads only its positions), except where the source states a static
  "cache length N" (jetstream-pytorch's ``--max_cache_length``): every decode step then reads all N positions
  (``estimate_serving(static_kv_cache_len=N)``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf._measurement_types import NOT_IN_CATALOG, NOT_STATED, EndToEndRun
from chiplab.perf.serving_target import largest_fitting_batch
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model
from chiplab.workloads.transformer import TransformerConfig

# Which measured quantity a case compares, in order of preference: the most direct observation first (tokens per
# second needs no FLOP-counting convention; MFU and model FLOP/s depend on the source's count and peak).
TRAINING_QUANTITIES = ("mfu_fraction", "tokens_per_s_per_chip", "sequences_per_s", "step_time_s", "time_to_train_s",
                       "model_flops_per_s_per_chip")
SERVING_QUANTITIES = ("output_tokens_per_s", "tokens_per_s", "time_per_output_token_s", "latency_s",
                      "time_to_first_token_s")
# Quantities that are times: a longer time is a slower run, so their error is taken on the speed (1 / time).
TIME_QUANTITIES = ("step_time_s", "time_to_train_s", "time_per_output_token_s", "latency_s", "time_to_first_token_s")
RECOMPUTE_ORDER = ("none", "selective", "full")
# The memory a serving engine lets weights + KV cache use unless told otherwise: (text of the run's software field,
# share of the HBM used at all, share of what is free after the weights that the KV cache takes, source).
ENGINE_MEMORY = (
    ("tensorrt-llm", 1.0, 0.9, "trtllm-bench throughput --kv_cache_free_gpu_mem_fraction, default 0.90 of the memory "
                               "left after model load (https://nvidia.github.io/TensorRT-LLM/commands/trtllm-bench.html"
                               ", tensorrt_llm/bench/benchmark/throughput.py)"),
    ("vllm", 0.9, 1.0, "vLLM --gpu-memory-utilization, default 0.9 of the GPU memory "
                       "(https://docs.vllm.ai/en/latest/models/engine_args.html)"),
)


class NotMappable(Exception):
    """A run chiplab cannot estimate: its message is the exact reason shown in ``chiplab validate``."""


@dataclass(frozen=True)
class CaseSetup:
    """A run as chiplab will estimate it: the estimator's arguments and every default chosen for it."""

    run: EndToEndRun
    quantity: str               # the measured quantity compared (a key of ``run.measured``)
    config: TransformerConfig   # the model at the run's precision
    arguments: dict[str, Any]   # keyword arguments of estimate_training / estimate_serving (chip included)
    replicas: int               # serving: model instances on the run's chips (1 for training)
    defaults: tuple[str, ...]   # each "not stated" field and the default used for it


def primary_quantity(run: EndToEndRun) -> str:
    """The measured quantity a case compares (see ``TRAINING_QUANTITIES``/``SERVING_QUANTITIES``)."""
    preference = TRAINING_QUANTITIES if run.workload == "training" else SERVING_QUANTITIES
    for quantity in preference:
        if quantity in run.measured:
            return quantity
    raise NotMappable(f"measures only {', '.join(run.measured)}, none of which chiplab predicts for "
                      f"{run.workload}")


def _stated(run: EndToEndRun, field: str) -> Any:
    value = getattr(run, field)
    return None if value is None or value == NOT_STATED else value


def _need(run: EndToEndRun, field: str) -> Any:
    value = _stated(run, field)
    if value is None:
        raise NotMappable(f"{field} is not stated, and chiplab has no default for it")
    return value


def _model(run: EndToEndRun, defaults: list[str]) -> TransformerConfig:
    name = run.model
    if name == NOT_IN_CATALOG:  # recorded before its preset existed: the preset named by needs_model, if added since
        name = run.needs_model.split(" (")[0]
        try:
            load_model(name)
        except ChiplabInputError:
            raise NotMappable(f"no model preset for {name} in chiplab/data/models/") from None
        defaults.append(f"model recorded as not in the catalog: the {name} preset")
    config = load_model(name)
    text = run.precision.lower()
    if "fp4" in text:
        raise NotMappable(f"precision {run.precision!r}: FP4 is not among chiplab's dtypes")
    if "fp8" in text:
        return dataclasses.replace(config, dtype="fp8")
    if "int8" in text and run.workload == "training":
        return dataclasses.replace(config, dtype="int8")
    if "int8" in text:
        return dataclasses.replace(config, weight_dtype="int8")
    if run.precision == NOT_STATED:
        defaults.append("precision not stated: bf16")
    return config


def _recompute(run: EndToEndRun) -> str | None:
    text = (_stated(run, "recompute") or "").lower()
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
    text = (_stated(run, "sharding") or "").lower()
    if "fsdp = 0" in text or text.startswith("ddp"):
        return 0
    if "fsdp" in text or "fully sharded" in text or "zero-3" in text:
        return 3
    if "zero-1" in text or "distributed optimizer (" in text:
        return 1
    defaults.append(f"sharding {run.sharding or NOT_STATED!r}: ZeRO-1 (optimizer state sharded)")
    return 1


def _virtual_stages(run: EndToEndRun, defaults: list[str]) -> int:
    text = (_stated(run, "pipeline_schedule") or "").lower()
    if "interleaved" not in text:
        return 1
    size = re.search(r"(?:virtual pipeline size|interleaved_pipeline=)\s*(\d+)", text)
    if size is None:
        defaults.append("interleaved schedule of unstated size: plain 1F1B (1 virtual stage)")
        return 1
    return int(size.group(1))


def _tp_comm_overlap(run: EndToEndRun) -> bool:
    text = " ".join(str(_stated(run, f) or "") for f in ("software", "sharding")).lower()
    return "tp communication overlap" in text or "tp_comm_overlap" in text


def _kv_cache_dtype(run: EndToEndRun) -> str | None:
    """The KV cache's dtype where the run's precision sets it apart from the model's, else None (the model's):
    bf16 where it says the cache is not quantized; int8 for int8 weights and KV cache (JetStream's
    ``--quantize_kv_cache``)."""
    text = run.precision.lower()
    if "kv cache not quantized" in text:
        return "bf16"
    if "int8 weights and kv cache" in text or "quantize_kv_cache" in text:
        return "int8"
    return None


def _static_kv_cache_len(run: EndToEndRun) -> int | None:
    """A static cache length the source states in the software setup ("cache length 2048"), else None."""
    found = re.search(r"cache length (\d+)", str(_stated(run, "software") or "").lower())
    return int(found.group(1)) if found else None


def _chips_per_tensor_rank(run: EndToEndRun, ranks: int, tensor: int, defaults: list[str]) -> int:
    """Neuron counts tensor parallelism in NeuronCores, several per chip: how many ranks share one chip."""
    num_chips = _need(run, "num_chips")
    per_chip = ranks // num_chips
    if run.family != "trainium" or ranks <= num_chips or ranks % num_chips or tensor % per_chip:
        return 1
    defaults.append(f"TP {tensor} counts NeuronCores ({per_chip} per chip): {tensor // per_chip}-way tensor "
                    "parallelism across chips")
    return per_chip


def _parallelism(run: EndToEndRun, defaults: list[str]) -> Parallelism:
    num_chips = _need(run, "num_chips")
    ways = [_stated(run, f) for f in ("tensor_parallel", "pipeline_parallel", "data_parallel")]
    if None in ways:
        if "maxtext" not in run.software.lower():
            raise NotMappable("tensor/pipeline/data parallelism not stated")
        defaults.append(f"parallelism not stated: MaxText's default, FSDP over all {num_chips} chips")
        return Parallelism(tensor=1, pipeline=1, data=num_chips, zero_stage=3)
    tensor, pipeline, data = ways
    context = _stated(run, "context_parallel") or 1
    if context > 1:
        defaults.append(f"context parallelism {context} folded into data parallelism ({context} x {data} ways)")
    zero_stage = _zero_stage(run, defaults)
    tensor //= _chips_per_tensor_rank(run, tensor * pipeline * data * context, tensor, defaults)
    if tensor * pipeline * data * context != num_chips:
        raise NotMappable(f"TP {tensor} x PP {pipeline} x DP {data} x CP {context} is not the {num_chips} chips "
                          "the run used")
    return Parallelism(tensor=tensor, pipeline=pipeline, data=data * context, zero_stage=zero_stage)


def training_setup(run: EndToEndRun) -> CaseSetup:
    """The arguments of :func:`estimate_training` for a training run (raises :class:`NotMappable`)."""
    defaults: list[str] = []
    quantity = primary_quantity(run)
    if "lora" in run.model_as_published.lower():
        raise NotMappable("LoRA fine-tuning (frozen base weights, trained adapters) is outside estimate_training, "
                          "which trains every weight")
    if quantity == "time_to_train_s" and _stated(run, "train_tokens") is None:
        raise NotMappable("time to train without the number of tokens trained")
    config = _model(run, defaults)
    parallelism = _parallelism(run, defaults)
    global_batch, seq_len = _need(run, "global_batch"), _need(run, "seq_len")
    arguments: dict[str, Any] = {"chip": load_chip(run.chip), "parallelism": parallelism,
                                 "global_batch": global_batch, "seq_len": seq_len,
                                 "num_virtual_stages": _virtual_stages(run, defaults), "recompute": _recompute(run),
                                 "tp_comm_overlap": _tp_comm_overlap(run)}
    micro = _stated(run, "micro_batch")
    replica_batch = global_batch // parallelism.data
    if micro is not None and replica_batch % micro == 0:
        arguments["num_microbatches"] = replica_batch // micro
    elif micro is None:
        defaults.append("micro batch not stated: chiplab's default microbatching")
    if arguments["recompute"] is None:
        defaults.append("recompute not stated: the least that fits in memory")
    return CaseSetup(run=run, quantity=quantity, config=config, arguments=arguments, replicas=1,
                     defaults=tuple(defaults))


def serving_setup(run: EndToEndRun) -> CaseSetup:
    """The arguments of :func:`estimate_serving` for a serving run (raises :class:`NotMappable`)."""
    defaults: list[str] = []
    quantity = primary_quantity(run)
    config = _model(run, defaults)
    chip = load_chip(run.chip)
    num_chips = _need(run, "num_chips")
    tensor = _need(run, "tensor_parallel")
    if tensor > num_chips:
        if tensor % num_chips:
            raise NotMappable(f"tensor parallelism {tensor} does not split evenly over {num_chips} chips")
        defaults.append(f"TP {tensor} counts NeuronCores: {num_chips}-way tensor parallelism across the chips")
        tensor = num_chips
    if num_chips % tensor:
        raise NotMappable(f"{num_chips} chips do not hold whole {tensor}-way model instances")
    try:
        Parallelism(tensor=tensor).check(config)
    except ChiplabInputError as exc:
        raise NotMappable("; ".join((*defaults, str(exc)))) from None
    prompt_len, output_len = _need(run, "input_tokens"), _need(run, "output_tokens")
    batch = _stated(run, "batch")
    if batch is None:
        queued = _stated(run, "concurrency")
        if queued is None:
            raise NotMappable("neither the batch nor the concurrency is stated")
        engine = next((e for e in ENGINE_MEMORY if e[0] in run.software.lower()), ("", 1.0, 1.0, "every byte"))
        fitting = largest_fitting_batch(config, chip, context_len=prompt_len + output_len, tensor_parallel=tensor,
                                        total_fraction=engine[1], free_fraction=engine[2],
                                        kv_cache_dtype=_kv_cache_dtype(run))
        if fitting == 0:
            raise NotMappable(f"not one sequence of {prompt_len + output_len} tokens fits on {tensor} {chip.id} "
                              "in chiplab's memory model")
        batch = min(queued, fitting)
        defaults.append(f"batch not stated: {batch} = min(concurrency {queued}, {fitting} that fit in memory "
                        f"({engine[3]}))")
    arguments = {"chip": chip, "batch": batch, "prompt_len": prompt_len, "output_len": output_len,
                 "tensor_parallel": tensor, "static_kv_cache_len": _static_kv_cache_len(run),
                 "kv_cache_dtype": _kv_cache_dtype(run)}
    return CaseSetup(run=run, quantity=quantity, config=config, arguments=arguments, replicas=num_chips // tensor,
                     defaults=tuple(defaults))


def case_setup(run: EndToEndRun) -> CaseSetup:
    """The setup chiplab runs ``run`` with (raises :class:`NotMappable` with the reason when it cannot)."""
    return training_setup(run) if run.workload == "training" else serving_setup(run)
