"""The batch a server really runs: min(requests in flight, its scheduler's cap, what fits), with the engines' caps and
memory shares read from sourced data (chiplab/data/serving/engines.toml, chiplab.perf.serving_engines)."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import estimate_serving
from chiplab.perf.measurements import end_to_end_runs, get_measurement
from chiplab.perf.serving_engines import (
    _engine,
    engine_for,
    padded_graph_batch,
    reserved_tokens,
    scheduler_cap,
    serving_engines,
    stated_cap,
    trtllm_bench_limits,
)
from chiplab.perf.serving_target import largest_fitting_batch
from chiplab.perf.validation_serving import serving_setup
from chiplab.perf.validation_setup import NotMappable, stated
from chiplab.workloads.presets import load_model

AMD_70B = "vllm_mi300x_llama31_70b_fp8_in128_out2048"  # 3200 prompts in flight, AMD's page states max num seqs 3200


def _vllm():
    engine = engine_for("vLLM 0.11.1")
    assert engine is not None and engine.id == "vllm"
    return engine


def test_every_engine_default_names_its_source_and_version():
    engines = serving_engines()
    assert {engine.id for engine in engines} >= {"vllm", "tensorrt-llm"}
    for engine in engines:
        assert engine.versions and engine.cap_settings and isinstance(engine.accessed, datetime.date)
        # each cap is read from a named source file of the engine (a .py path), not typed from memory
        assert ".py" in engine.cap_source, engine.id
        assert "http" in engine.memory_source, engine.id


def test_every_serving_run_without_a_batch_is_served_by_a_known_engine():
    for run in end_to_end_runs("serving"):
        if stated(run, "batch") is None and stated(run, "concurrency") is not None:
            assert engine_for(run.software) is not None, run.id


def test_vllm_default_cap_by_chip_memory():
    # vLLM's EngineArgs.get_batch_defaults: 1024 where the device has >= 70 GiB (75,161,927,680 bytes) and is not
    # an A100, else 256. H100 SXM (80 GB) and MI300X (192 GB) reach it; an A100 80GB is excluded by name; a TPU v6e
    # (32 GB) does not reach it.
    engine = _vllm()
    assert engine.large_memory_min_bytes == 70 * 2**30
    assert engine.default_cap(load_chip("h100_sxm")) == 1024
    assert engine.default_cap(load_chip("mi300x")) == 1024
    assert engine.default_cap(load_chip("a100")) == 256
    assert engine.default_cap(load_chip("tpu_v6e")) == 256


def test_stated_cap_spellings():
    engine = _vllm()
    assert stated_cap(engine, "vllm serve --max-num-seqs 256 --max-model-len 2048") == 256
    assert stated_cap(engine, "vllm serve --max-num-seqs=64") == 64
    assert stated_cap(engine, "(num prompts 3200, max num seqs 3200; ...)") == 3200
    assert stated_cap(engine, "vllm serve --max-model-len 2048") is None
    assert scheduler_cap(engine, load_chip("mi300x"), "no flags here") == (1024, f"vllm default cap 1024 "
                                                                                 f"({engine.versions})")


def test_hand_worked_batch_is_the_smallest_of_queue_cap_and_memory():
    # AMD's 70B FP8 run: 3200 requests in flight on 8 MI300X. Memory holds 3964 sequences of 128 + 2048 tokens
    # (its own test below), so the stated cap 3200 is what runs; told --max-num-seqs 256 the server runs 256;
    # told nothing it runs vLLM's default for a 192 GB chip, 1024.
    run = get_measurement(AMD_70B)
    assert serving_setup(run).arguments["batch"] == 3200
    capped = dataclasses.replace(run, software=run.software + "; --max-num-seqs 256")
    assert serving_setup(capped).arguments["batch"] == 256
    silent = dataclasses.replace(run, where="'Throughput Measurements' table, row input 128, output 2048")
    setup = serving_setup(silent)
    assert setup.arguments["batch"] == 1024
    assert any("vllm default cap 1024" in line for line in setup.defaults)


def test_memory_still_binds_below_the_cap():
    # 70B FP8 with an FP8 KV cache on 8 MI300X: 0.9 x 192 GB less 70.6 GB / 8 of weights leaves room for about
    # 3964 sequences of 2176 tokens (2 x 80 layers x 1 KV head per rank x 128 x 1 byte = 20 KiB per token).
    run = dataclasses.replace(get_measurement(AMD_70B), concurrency=10_000,
                              where="row input 128, output 2048 (max num seqs 10000)")
    batch = serving_setup(run).arguments["batch"]
    assert 3900 <= batch <= 4000


def test_trtllm_heuristic_cap_never_binds_below_what_fits():
    # trtllm-bench's own KV estimate (tensorrt_llm/bench/build/tuning.py calc_engine_setting) for Llama 3.3 70B FP8
    # on one H200 at ISL/OSL 128/2048, evaluated by hand: (140.4 GiB of nvml total - 70.6e9 B of FP8 weights) x 0.90
    # = 67.2 GiB; 2 x 80 layers x 8 KV heads x 128 x 1 byte = 160 KiB per token x 2176 tokens = 0.332 GiB per
    # request -> 202 requests, rounded UP to max_batch_size 224. chiplab's fit must land on that estimate (within
    # 2 %), and the 4096 hard cap must not be what sets the batch.
    setup = serving_setup(get_measurement("trtllm_h200_llama33_70b_fp8_tp1_in128_out2048"))
    assert setup.arguments["batch"] == pytest.approx(202, rel=0.02)
    assert any("tensorrt-llm default cap 4096" in line for line in setup.defaults)


def test_unknown_engine_gets_no_cap_and_every_byte():
    run = dataclasses.replace(get_measurement(AMD_70B), software="some server 1.0", where="row 128/2048")
    setup = serving_setup(run)
    assert setup.arguments["batch"] == 3200  # the queue: nothing caps it, and more than 3200 fit in every byte
    assert any("no scheduler cap known" in line for line in setup.defaults)


def test_bad_engine_table_names_the_field():
    good = {"id": "x", "matches": "x", "versions": "v1", "total_memory_fraction": 0.9,
            "kv_free_memory_fraction": 1.0, "memory_source": "https://example.org", "max_running_requests": 256,
            "cap_settings": ["--cap"], "cap_source": "x.py", "accessed": datetime.date(2026, 12, 8)}
    assert _engine("engines.toml: engine 1", good).max_running_requests == 256
    with pytest.raises(ChiplabInputError, match="missing required key 'cap_source'"):
        _engine("engines.toml: engine 1", {k: v for k, v in good.items() if k != "cap_source"})
    with pytest.raises(ChiplabInputError, match=r"engine 1: .*max_running_requests"):
        _engine("engines.toml: engine 1", {**good, "max_running_requests": 0})
    with pytest.raises(ChiplabInputError, match="total_memory_fraction"):
        _engine("engines.toml: engine 1", {**good, "total_memory_fraction": 1.5})
    with pytest.raises(ChiplabInputError, match="go together"):
        _engine("engines.toml: engine 1", {**good, "max_running_requests_large_memory": 1024})


def test_no_sequence_fits_is_not_mappable():
    run = dataclasses.replace(get_measurement(AMD_70B), input_tokens=10_000_000, output_tokens=10_000_000)
    with pytest.raises(NotMappable, match="fits"):
        serving_setup(run)


def test_profiled_forward_is_kept_out_of_the_kv_cache():
    # vLLM sizes its KV cache after a dummy forward of max_num_batched_tokens tokens (gpu_worker.py
    # determine_available_memory). Llama 3 8B in bf16 on one chip at 131072 tokens, one layer's activations by
    # Korthikanti et al. Sec. 4.1 (chiplab's working-set measure), by hand:
    #   norm inputs/outputs 2 x 2 x 2 B x 131072 x 4096                         =  4,294,967,296
    #   Q, K, V, out-proj input 2 B x 131072 x (2 x 4096 + 2 x 1024)          =  2,684,354,560
    #   gated MLP 3 x 2 B x 131072 x 14336                                     = 11,274,289,152
    #   log-sum-exp 4 B x 32 heads x 131072                                     =     16,777,216
    #   total                                                                   = 18,270,388,224 B
    # A sequence of 4096 tokens holds 2 x 32 layers x 8 KV heads x 128 x 2 B x 4096 = 536,870,912 B of KV cache
    # (plus ~0.14 MB of decode working set), so the reserve costs 18,270,388,224 / 537,010,304 = 34.0 sequences.
    config = dataclasses.replace(load_model("llama3_8b"), dtype="bf16")
    chip = load_chip("mi300x")
    free = largest_fitting_batch(config, chip, context_len=4096, total_fraction=0.9)
    reserved = largest_fitting_batch(config, chip, context_len=4096, total_fraction=0.9, reserved_tokens=131072)
    assert free - reserved in (34, 35)
    with pytest.raises(ChiplabInputError, match="reserved_tokens"):
        largest_fitting_batch(config, chip, context_len=4096, reserved_tokens=-1)


def test_profiled_tokens_stated_or_engine_default():
    engine = _vllm()
    assert reserved_tokens(engine, load_chip("mi300x"), "--max-num-batched-tokens 131072")[0] == 131072
    assert reserved_tokens(engine, load_chip("mi300x"), "vllm serve")[0] == 16384   # V1 LLM class, >= 70 GiB
    assert reserved_tokens(engine, load_chip("tpu_v6e"), "vllm serve")[0] == 8192   # below 70 GiB
    trtllm = engine_for("TensorRT-LLM (PyTorch backend)")
    assert trtllm is not None and reserved_tokens(trtllm, load_chip("h200"), "")[0] == 0


TRTLLM_GRAPH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192)  # perf-overview's yml


def test_trtllm_bench_limits_by_hand():
    # tuning.py finetune_setting, by hand. 202 requests (< 256): 32 x ceil(202 / 32) = 224; tokens 202 x (1 + 128 /
    # 2048) = 215 -> at least 2048; without chunked prefill at least ISL + 224 = 352 -> 2048.
    engine = engine_for("TensorRT-LLM")
    assert engine is not None
    assert trtllm_bench_limits(engine, 202, 128, 2048) == (224, 2048)
    # 641 (256..1023): 128 x ceil(641 / 128) = 768; tokens 681 -> 2048.
    assert trtllm_bench_limits(engine, 641, 128, 2048) == (768, 2048)
    # 341 at 2048/2048: 384; tokens 682 -> 2048, but ISL + 384 = 2432 without chunked prefill.
    assert trtllm_bench_limits(engine, 341, 2048, 2048) == (384, 2432)
    # 5000 requests are capped at 4096 (already a multiple of 256); tokens 4096 x 1.0625 = 4352 -> 512 x 9 = 4608.
    assert trtllm_bench_limits(engine, 5000, 128, 2048) == (4096, 4608)
    assert trtllm_bench_limits(engine, 10, 128, 2048)[0] == 64  # never below 64


def test_padded_graph_batch_by_hand():
    # _filter_cuda_graph_batch_sizes keeps the sizes up to min(max_batch_size, max_num_tokens) and adds that bound
    # where a larger size was given; _round_up_batch_size pads to the smallest captured size that holds the batch.
    assert padded_graph_batch(202, TRTLLM_GRAPH_SIZES, 224, 2048) == 224   # 1..128 and 224 captured
    assert padded_graph_batch(641, TRTLLM_GRAPH_SIZES, 768, 2048) == 768   # ..., 512, 768
    assert padded_graph_batch(488, TRTLLM_GRAPH_SIZES, 512, 2048) == 512
    assert padded_graph_batch(100, TRTLLM_GRAPH_SIZES, 4096, 64) == 100    # bound 64 by tokens: no graph, eager
    assert padded_graph_batch(600, (1, 2, 4), 768, 2048) == 600           # nothing captured above 4: eager


def test_padded_decode_runs_weights_at_the_graph_batch_and_attention_at_the_real_one():
    config = load_model("llama3_70b")
    chip = load_chip("h200")
    common = {"prompt_len": 128, "output_len": 2048, "check_memory": False}
    real = estimate_serving(config, chip, batch=202, **common)
    full = estimate_serving(config, chip, batch=224, **common)
    padded = estimate_serving(config, chip, batch=202, decode_graph_batch=224, **common)
    for mixed, at_real, at_graph in zip(padded.mean_decode.ops, real.mean_decode.ops, full.mean_decode.ops,
                                        strict=True):
        expected = at_real if mixed.name in ("scores", "softmax", "attn_values") else at_graph
        assert mixed.time_s == expected.time_s, mixed.name
    assert real.decode_step_s < padded.decode_step_s < full.decode_step_s
    assert padded.output_tokens_per_s == pytest.approx(202 * 2048 / padded.time_s)  # dummies produce nothing
    with pytest.raises(ChiplabInputError, match="decode_graph_batch"):
        estimate_serving(config, chip, batch=202, decode_graph_batch=128, **common)


def test_trtllm_run_decodes_as_its_padded_graph():
    setup = serving_setup(get_measurement("trtllm_h200_llama33_70b_fp8_tp1_in128_out2048"))
    assert (setup.arguments["batch"], setup.arguments["decode_graph_batch"]) == (202, 224)
    assert any("CUDA graph of 224" in line for line in setup.defaults)
    assert serving_setup(get_measurement(AMD_70B)).arguments["decode_graph_batch"] is None  # vLLM: not modelled


@pytest.mark.parametrize(("call", "parameter"), [
    (lambda: padded_graph_batch(float("nan"), (1, 2, 4, 8), 8, 8192), "batch"),  # returned nan before
    (lambda: padded_graph_batch(0, (1, 2, 4, 8), 8, 8192), "batch"),  # returned 1: a graph for no request
    (lambda: padded_graph_batch(3, (1, 2, 4, 8), None, 8192), "max_batch_size"),  # raw TypeError before
    (lambda: padded_graph_batch(3, (1, "x"), 8, 8192), "graph_batch_sizes"),  # raw TypeError before
    (lambda: engine_for(None), "software"),  # raw AttributeError before
    (lambda: stated_cap(engine_for("vllm"), 256), "texts"),  # raw AttributeError before
])
def test_hostile_inputs_name_the_parameter(call, parameter):
    with pytest.raises(ChiplabInputError, match=parameter):
        call()
