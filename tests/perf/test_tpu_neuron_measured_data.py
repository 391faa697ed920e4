"""Measured data for TPUs and Neuron chips (issue 13): which factors come from a chip's own micro-benchmark, which
fall back to its family's or all chips' median, that the recorded numbers agree with their source's arithmetic, and
vllm-neuron's one-request-at-a-time prefill (a stack fact of the runs on that engine).

Source of the TPU HBM entry: Google's accelerator-microbenchmarks, Ironwood/guides/hbm/hbm.md at 7c513152
(table 'Expected bandwidth for different matrix size' and the example log line 'Tensor size: 8192.0 MB, time taken
(median): 5.3523 ms, bandwidth (median): 3209.812 GB/s'); its code (Ironwood/src/benchmark_hbm.py) counts
2 x tensor bytes (one read, one write) per copy, GB = 1e9 bytes.
"""

import statistics

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import end_to_end_runs, estimate_serving, get_measurement, micro_benchmarks
from chiplab.perf.calibration_fit import default_fit
from chiplab.perf.validation_serving import serving_setup
from chiplab.perf.validation_setup import NotMappable
from chiplab.workloads.presets import load_model

TPUS_WITHOUT_HBM_ENTRY = ("tpu_v4", "tpu_v5e", "tpu_v5p", "tpu_v6e")
NEURON_CHIPS = ("trainium1", "trainium2", "inferentia2")


def test_the_published_copy_bandwidth_follows_from_its_own_log_line():
    """2 x 8 GiB in the logged median 5.3523 ms is the table's per-core 3210 GB/s (within the log's rounding);
    the per-chip column, which the entry records, is that doubled (two TensorCores, each with its own HBM)."""
    per_core_bytes_per_s = 2 * 8 * 2**30 / 5.3523e-3
    assert per_core_bytes_per_s == pytest.approx(3209.812e9, rel=1e-4)
    entry = get_measurement("hbm_copy_tpu7x_8gib")
    assert entry.measured["bytes_per_s"] == pytest.approx(2 * 3210.480912e9)


def test_tpu7x_memory_is_fitted_from_its_own_entry():
    found = default_fit().factor("memory", "tpu7x")
    assert found.level == "own" and found.entry_ids == ("hbm_copy_tpu7x_8gib",)
    assert found.value == pytest.approx(6420.961823e9 / load_chip("tpu7x").hbm.bandwidth_bytes_per_s)
    assert 0.8 < found.value < 0.95  # a copy reaches 87 % of Ironwood's 7.37 TB/s


def test_tpus_without_an_entry_take_the_tpu_family_median_not_the_gpu_dominated_one():
    fit = default_fit()
    tpu_entries = [e for e in micro_benchmarks("memory_bandwidth") if load_chip(e.chip).family == "TPU"]
    tpu_chips = {e.chip for e in tpu_entries}
    family = statistics.median(fit.factor("memory", chip).value for chip in tpu_chips)
    for chip in TPUS_WITHOUT_HBM_ENTRY:
        found = fit.factor("memory", chip)
        assert found.level == "family tpu"
        assert found.value == pytest.approx(family)


def test_neuron_chips_still_take_all_chips_median_for_memory():
    """No Trainium/Inferentia HBM bandwidth was found measured in a citable source (see the measurements README):
    they take the median over every chip with an entry, now including TPU7x."""
    fit = default_fit()
    measured_chips = {e.chip for e in micro_benchmarks("memory_bandwidth")}
    assert not measured_chips & set(NEURON_CHIPS)
    own = [found.value for found in (fit.factor("memory", chip) for chip in measured_chips) if found.level == "own"]
    everyone = statistics.median(own)
    for chip in NEURON_CHIPS:
        found = fit.factor("memory", chip)
        assert found.level == "all chips" and found.value == pytest.approx(everyone)


def test_sequential_prefill_is_batch_one_sequence_prefills_back_to_back():
    """Textbook: an engine that prefills one request at a time (vllm-neuron's scheduler) spends B times one
    request's prefill on a batch of B; decode is unchanged. Checked against two independent estimate_serving calls."""
    config, chip = load_model("llama3-8b"), load_chip("trainium2")
    batched = estimate_serving(config, chip, batch=4, prompt_len=512, output_len=128, tensor_parallel=2)
    one_by_one = estimate_serving(config, chip, batch=4, prompt_len=512, output_len=128, tensor_parallel=2,
                                  sequential_prefill=True)
    single = estimate_serving(config, chip, batch=1, prompt_len=512, output_len=128, tensor_parallel=2)
    assert one_by_one.num_prefill_steps == 4
    assert one_by_one.prefill_s == pytest.approx(4 * single.prefill_s)
    assert one_by_one.decode_step_s == pytest.approx(batched.decode_step_s)
    assert one_by_one.time_s == pytest.approx(4 * single.prefill_s + 128 * batched.decode_step_s)
    assert one_by_one.prefill_s >= batched.prefill_s  # a batched prefill reuses each weight for every request
    same = estimate_serving(config, chip, batch=1, prompt_len=512, output_len=128, tensor_parallel=2,
                            sequential_prefill=True)
    assert same.time_s == pytest.approx(single.time_s)  # at batch 1 the two engines are the same


def test_sequential_prefill_is_a_stack_fact_of_vllm_neuron_runs_only():
    for run in end_to_end_runs("serving"):
        try:
            setup = serving_setup(run)
        except NotMappable:
            continue
        assert setup.arguments["sequential_prefill"] is ("vllm-neuron" in run.software.lower())
    assert serving_setup(get_measurement("vllm_trn2_llama31_8b_baseline_c2")).arguments["sequential_prefill"]


def test_sequential_prefill_must_be_a_bool():
    with pytest.raises(ChiplabInputError, match="sequential_prefill"):
        estimate_serving(load_model("llama3-8b"), load_chip("h100"), batch=2, prompt_len=8, output_len=8,
                         sequential_prefill="yes")
