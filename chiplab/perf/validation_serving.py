"""How each published serving run becomes a :func:`estimate_serving` call (see :mod:`chiplab.perf.validation_cases`
for the training runs and what both share).

Documented defaults (each applied only where the source does not say):

* serving batch not stated → what the server runs at once: min(concurrency, its scheduler's cap, the largest batch
  whose weights and KV cache fit in the memory the engine gives them), served as one static batch (prefill, then
  decode). The engine's memory shares and cap are sourced data (:mod:`chiplab.perf.serving_engines`,
  ``chiplab/data/serving/engines.toml``): the cap the run states (vLLM ``--max-num-seqs``, AMD's "max num seqs",
  TensorRT-LLM ``max_batch_size``) where it does, else the engine's default on that chip (vLLM V1: 1024 on chips
  with at least 70 GiB that are not A100s, else 256; trtllm-bench: its KV-capacity estimate rounded up and capped at
  4096, which the runtime's own KV cache reaches first). What fits leaves out the working set of the forward pass
  the engine profiles before it sizes the KV cache (vLLM: one of ``max_num_batched_tokens`` tokens, stated or its
  default; ``reserved_tokens`` of :func:`chiplab.perf.serving_target.largest_fitting_batch`). Chunked prefill
  (vLLM V1's default; the Azure runs turn it off, trtllm-bench leaves it off) is not a separate mechanism here: it
  splits the same prompt tokens into iterations of at most ``max_num_batched_tokens`` beside the decodes, and
  chiplab times those tokens in the batch's one prefill step, which reads the weights once instead of once per
  chunk iteration (a decode step reads them anyway) — the same work to first order. A TensorRT-LLM run that states
  CUDA graphs with padding and their batch sizes, and leaves ``max_batch_size``/``max_num_tokens`` to trtllm-bench,
  decodes as the graph its batch pads to (``estimate_serving(decode_graph_batch=...)``; trtllm-bench's limits and
  the graphs it keeps: :func:`chiplab.perf.serving_engines.trtllm_bench_limits`, ``padded_graph_batch``).
* tensor parallelism counted in NeuronCores (more ranks than chips, AWS chips) → split across the chips: the
  TP ways divided by the cores per chip.
* per-step host/framework overhead (scheduling, sampling, detokenisation) → none: no stack in the record publishes it
  as a time per step (vLLM's v0.6 analysis, https://blog.vllm.ai/2024/09/05/perf-update.html, gives shares of one
  v0.5.3 workload's time, not a cost per step; TensorRT-LLM and JetStream publish none), so nothing is added
  rather than a number fitted to the end-to-end runs. Neuron's one figure is not for these stacks: the vllm-neuron
  "Asynchronous Execution Framework" page (aws-neuron-sdk ``vllm-neuron/docs/design/framework/async_execution.md``,
  updated 2026-06-22) profiles 437 µs of idle device between synchronous invocations of its ``async_llm.py`` example
  on trn2 ("dispatch overheads, tensor allocations, and Python overheads"), none once on-device sampling lets
  invocations queue; it names neither the model nor the SDK, and TNx's sampling loop calls its own executor
  (``DecoderProgram.execute``, "Fast-path forward function which avoids as much overhead as possible").
  Neuron publishes no small-message all-reduce latency tied to an instance (nccom-test's guide prints 1 KiB
  examples, 58 µs for 2 ranks and 151 µs for a 32-rank all-gather, from an older SDK, with "should not be considered
  up-to-date"), so Trainium and Inferentia2 keep the network model's fallback per-call latency plus their NeuronLink
  rings' hops (``data/networks/topologies.toml``).
* KV cache precision not stated → the model's (8-bit for an 8-bit recipe); a precision that says the KV cache is
  not quantized → bf16 cache and core attention (``estimate_serving(kv_cache_dtype="bf16")``); int8 weights and KV
  cache → an int8 cache widened for bf16 attention (``kv_cache_dtype="int8"``).
* KV cache → paged (each sequence holds and reads only its positions), except where the source states a static
  "cache length N" (jetstream-pytorch's ``--max_cache_length``): every decode step then reads all N positions
  (``estimate_serving(static_kv_cache_len=N)``).

A stack fact, not a default: a run on Transformers NeuronX is estimated with the model as TNx lays it out on its
tensor-parallel ranks (NeuronCores): query heads, MLP width and vocabulary padded to multiples of the ranks, and
key/value heads replicated to one per query head where the ranks do not split them evenly
(:func:`chiplab.perf.head_padding.pad_for_tensor_parallel`, with its sources). Likewise a run on NxD Inference (also
under vllm-neuron) is estimated with its key/value heads replicated to one per rank where the ranks outnumber them
(:func:`chiplab.perf.head_padding.replicate_kv_for_nxdi`).

A stack fact, not a default: a run on vllm-neuron prefills one request at a time, between decode steps
(``estimate_serving(sequential_prefill=True)``). Its scheduler admits one prompt per prefill step and holds the
running decodes back meanwhile: ``max_prompt_batch_size = 1`` in ``ContinuousBatchingNeuronScheduler.can_schedule``
(vllm-project/vllm-neuron ``vllm_neuron/core/scheduler.py`` at a5ef7c8, release 0.2.x, whose README says chunked
prefill is off by default on Neuron), and ``max_prefills_per_batch = 1`` ("Prefill batch size limit (currently 1)")
with "prefill/decode separation (Neuron hardware requirement)" in the later ``NeuronScheduler`` that the Neuron
documentation's "Scheduler Design" page (vllm-neuron/docs/design/vllm/neuron-scheduler, updated 2026-06-23)
describes.

A stack fact, not a default: the Neuron stacks compile fixed-shape buckets
(``estimate_serving(bucketing=...)``, :mod:`chiplab.perf.bucketing` with its sources): buckets the setup states
("context-encoding buckets ...", "token-generation buckets ..." in the software field) are used as stated; where it
states only the largest length, the stack's default ladder is used and the case lists it as a default: TNx's
power-of-two ladder up to ``n_positions`` with context buckets half as long; vllm-neuron's default neuron config
(``enable_bucketing: True``, ``max_context_length`` and ``seq_len`` = ``--max-model-len`` without chunked prefill:
``_get_default_neuron_config`` in ``vllm_neuron/worker/neuronx_distributed_model_loader.py`` at a5ef7c8) with
NxDI's automatic ladder for both.
"""

from __future__ import annotations

import re

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.hardware.chip import Chip
from chiplab.perf._measurement_types import EndToEndRun
from chiplab.perf.bucketing import Bucketing, nxdi_buckets
from chiplab.perf.head_padding import pad_for_tensor_parallel, replicate_kv_for_nxdi
from chiplab.perf.serving_engines import (
    ServingEngine,
    engine_for,
    padded_graph_batch,
    reserved_tokens,
    scheduler_cap,
    stated_cap,
    trtllm_bench_limits,
)
from chiplab.perf.serving_target import largest_fitting_batch
from chiplab.perf.validation_setup import CaseSetup, NotMappable, need, primary_quantity, run_model, stated
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.transformer import TransformerConfig


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
    found = re.search(r"cache length (\d+)", str(stated(run, "software") or "").lower())
    return int(found.group(1)) if found else None


def _stated_buckets(software: str, kind: str) -> tuple[int, ...] | None:
    found = re.search(kind + r" buckets ((?:\d+ ?)+)", software)
    return tuple(int(size) for size in found.group(1).split()) if found else None


def _bucketing(run: EndToEndRun, defaults: list[str]) -> Bucketing | None:
    """The shape buckets of a run on a Neuron stack (see the module docstring), else None."""
    software = run.software.lower()
    decode = _stated_buckets(software, "token-generation")
    if decode is not None:
        return Bucketing(decode_buckets=decode, prefill_buckets=_stated_buckets(software, "context-encoding"))
    positions = re.search(r"n_positions (\d+)", software)
    if "transformers neuronx" in software and positions:
        bucketing = Bucketing.tnx_default(int(positions.group(1)))
        defaults.append(f"buckets not stated: TNx defaults for n_positions {bucketing.cache_len}: decode "
                        f"{bucketing.decode_buckets}, prefill {bucketing.prefill_buckets} "
                        "(transformers_neuronx/bucket.py)")
        return bucketing
    model_len = re.search(r"--max-model-len (\d+)", software)
    if "vllm-neuron" in software and model_len:
        ladder = nxdi_buckets(int(model_len.group(1)))
        defaults.append(f"buckets not stated: vllm-neuron enables NxDI bucketing by default, automatic ladder {ladder} "
                        "for prefill and decode up to --max-model-len")
        return Bucketing(decode_buckets=ladder, prefill_buckets=ladder)
    return None


def _running_batch(run: EndToEndRun, config: TransformerConfig, chip: Chip, tensor: int, queued: int,
                   defaults: list[str]) -> tuple[int, int | None]:
    """The batch a server runs with ``queued`` requests in flight: min(queued, its scheduler's cap, what fits in the
    memory its engine gives the KV cache); an unknown engine gets every byte and no cap (see the module docstring)."""
    engine = engine_for(run.software)
    context = need(run, "input_tokens") + need(run, "output_tokens")
    total, free, memory = ((engine.total_memory_fraction, engine.kv_free_memory_fraction, engine.memory_source)
                           if engine else (1.0, 1.0, "every byte: engine not in chiplab/data/serving/engines.toml"))
    reserve, reserve_text = reserved_tokens(engine, chip, run.software) if engine else (0, "no profiled forward")
    fitting = largest_fitting_batch(config, chip, context_len=context, tensor_parallel=tensor, total_fraction=total,
                                    free_fraction=free, kv_cache_dtype=_kv_cache_dtype(run), reserved_tokens=reserve)
    if fitting == 0:
        raise NotMappable(f"not one sequence of {context} tokens fits on {tensor} {chip.id} in chiplab's memory model")
    cap, cap_text = (scheduler_cap(engine, chip, run.software, run.where) if engine
                     else (queued, "no scheduler cap known"))
    batch = min(queued, cap, fitting)
    defaults.append(f"batch not stated: {batch} = min(concurrency {queued}, {cap_text}, {fitting} that fit in memory "
                    f"({memory}; {reserve_text}))")
    return batch, _graph_batch(run, engine, batch, fitting, defaults)


def _graph_batch(run: EndToEndRun, engine: ServingEngine | None, batch: int, fitting: int,
                 defaults: list[str]) -> int | None:
    """The batch TensorRT-LLM's decode kernels run where the run states CUDA graphs with padding and their batch
    sizes, and leaves max_batch_size/max_num_tokens to trtllm-bench (:func:`trtllm_bench_limits`,
    :func:`padded_graph_batch`); None elsewhere."""
    sizes = re.search(r"batch_sizes ((?:\d+ ?)+)", run.software)
    if engine is None or engine.id != "tensorrt-llm" or sizes is None or "padding" not in run.software.lower():
        return None
    if stated_cap(engine, run.software, run.where) is not None:
        return None  # a stated max_batch_size: the heuristic's limits are not the run's
    limits = trtllm_bench_limits(engine, fitting, need(run, "input_tokens"), need(run, "output_tokens"))
    graph = padded_graph_batch(batch, tuple(int(size) for size in sizes.group(1).split()), *limits)
    defaults.append(f"decode runs as a CUDA graph of {graph} (batch {batch} padded; trtllm-bench max_batch_size "
                    f"{limits[0]}, max_num_tokens {limits[1]})")
    return graph


def serving_setup(run: EndToEndRun) -> CaseSetup:
    """The arguments of :func:`estimate_serving` for a serving run (raises :class:`NotMappable`)."""
    defaults: list[str] = []
    quantity = primary_quantity(run)
    config = run_model(run, defaults)
    chip = load_chip(run.chip)
    num_chips = need(run, "num_chips")
    tensor = need(run, "tensor_parallel")
    if "transformers neuronx" in run.software.lower():
        config = pad_for_tensor_parallel(config, tensor)
    elif "nxd inference" in run.software.lower() or "vllm-neuron" in run.software.lower():
        config = replicate_kv_for_nxdi(config, tensor)
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
    prompt_len, output_len = need(run, "input_tokens"), need(run, "output_tokens")
    batch = stated(run, "batch")
    graph_batch = None
    if batch is None:
        queued = stated(run, "concurrency")
        if queued is None:
            raise NotMappable("neither the batch nor the concurrency is stated")
        batch, graph_batch = _running_batch(run, config, chip, tensor, queued, defaults)
    if _kv_cache_dtype(run) is None and "kv" not in run.precision.lower() and config.dtype in ("fp8", "int8"):
        # The choice moves the batch that fits and the KV bytes read by 2x (on the TRT-LLM FP8 runs it flips the
        # sign of the error), so the case says it was not read from the source.
        defaults.append(f"KV cache precision not stated: {config.dtype} (the model's arithmetic format)")
    arguments = {"chip": chip, "batch": batch, "prompt_len": prompt_len, "output_len": output_len,
                 "tensor_parallel": tensor, "static_kv_cache_len": _static_kv_cache_len(run),
                 "kv_cache_dtype": _kv_cache_dtype(run),
                 "sequential_prefill": "vllm-neuron" in run.software.lower(), "bucketing": _bucketing(run, defaults),
                 "decode_graph_batch": graph_batch}
    return CaseSetup(run=run, quantity=quantity, config=config, arguments=arguments, replicas=num_chips // tensor,
                     defaults=tuple(defaults))
