"""chiplab vs published runs: how each run is mapped to an estimate, and what the validation reports.

Accuracy itself is held by the gate (test_validation_gate.py) against the stored record, not by pinned values here.
Published numbers below are the papers': PaLM 46.2 % MFU on TPU v4 (Chowdhery et al. 2022, Table 3); Llama 3 405B
43 % and 41 % on 8K and 16K H100s (Llama 3 paper, Table 4).
"""

import dataclasses

import pytest

from chiplab.perf import end_to_end_runs, get_measurement, validate, validate_training
from chiplab.perf._measured_units import dimension_of
from chiplab.perf.validation import NotRunCase, ValidationCase, validate_run
from chiplab.perf.validation_cases import NotMappable, case_setup
from chiplab.perf.validation_summary import orderings, summarize

pytestmark = pytest.mark.slow  # validate() runs every case (a few seconds, once per session: it is cached)


@pytest.fixture(scope="module")
def report():
    return validate()


def test_book_table_keeps_the_three_published_mfu_runs():
    table = validate_training()
    published = {case.run.id: case.published_mfu_fraction for case in table.cases}
    assert published == {"palm_540b_tpu_v4_6144": 0.462, "llama3_405b_h100_8192gpu": 0.43,
                         "llama3_405b_h100_16384gpu": 0.41}
    text = table.to_markdown()
    assert text.count("\n") == 1 + len(table.cases)
    assert "Table 3" in text and "Table 4" in text


def test_every_run_is_either_estimated_or_says_why_not(report):
    ids = [c.id for c in (*report.cases, *report.not_run)]
    assert sorted(ids) == sorted(r.id for r in end_to_end_runs())
    assert all(n.reason.strip() for n in report.not_run)
    assert len(report.cases) >= 30


def test_error_is_the_speed_error_for_rates_and_times(report):
    for case in report.cases:
        ratio = case.predicted / case.published
        expected = 1 / ratio - 1 if dimension_of(case.quantity) == "s" else ratio - 1  # a time: speed is 1/time
        assert case.error_fraction == pytest.approx(expected)
        # the common speed the orderings compare obeys the same error
        assert case.published_tokens_per_s_per_chip * (1 + case.error_fraction) == pytest.approx(
            case.predicted_tokens_per_s_per_chip)


def test_time_to_train_is_the_tokens_over_the_predicted_throughput_plus_the_evaluations(report):
    from chiplab.perf.evaluation import evaluation_s

    case = next(c for c in report.cases if c.quantity == "time_to_train_s")
    evals = evaluation_s(case.estimate, eval_tokens=case.run.eval_tokens or 0, num_evals=case.run.num_evals or 0)
    assert case.predicted == pytest.approx(case.run.train_tokens / case.estimate.tokens_per_s + evals)


def test_context_parallelism_is_its_own_dimension():
    run = get_measurement("nemo_llama31_405b_h100_1024gpu_fp8")  # TP 8, PP 8, DP 8, CP 2 on 1024 GPUs
    setup = case_setup(run)
    parallelism = setup.arguments["parallelism"]
    assert (parallelism.tensor, parallelism.pipeline, parallelism.data) == (8, 8, 8)
    assert setup.arguments["context_parallel"] == 2
    assert setup.arguments["num_virtual_stages"] == 8  # "virtual pipeline size 8"
    assert setup.config.dtype == "fp8"
    assert not any("context parallelism" in d for d in setup.defaults)


def test_neuron_core_tensor_parallelism_is_split_across_chips():
    run = get_measurement("trn1_llama31_8b_pretrain_32nodes")  # TP 32 x DP 32 NeuronCores on 512 chips (2 each)
    assert case_setup(run).arguments["parallelism"].tensor == 16


def test_unstated_fields_are_named_in_the_defaults():
    setup = case_setup(get_measurement("llama3_405b_h100_8192gpu"))
    joined = " | ".join(setup.defaults)
    assert "recompute not stated" in joined and "interleaved schedule of unstated size" in joined


def test_a_run_without_chips_or_preset_is_not_run_with_the_reason():
    run = get_measurement("nemo_llama3_8b_h100_8gpu_fp8")
    unstated = dataclasses.replace(run, num_chips="not stated")
    with pytest.raises(NotMappable, match="num_chips is not stated"):
        case_setup(unstated)
    result = validate_run(unstated)
    assert isinstance(result, NotRunCase) and "num_chips" in result.reason
    assert isinstance(validate_run(run), ValidationCase)


def test_summary_groups_and_orderings(report):
    groups = {g.name: g for g in summarize(report)}
    assert set(groups) == {"all", "TPU", "Trainium/Inferentia", "NVIDIA", "AMD", "training", "serving"}
    assert groups["all"].num_cases == len(report.cases)
    assert groups["training"].num_cases + groups["serving"].num_cases == len(report.cases)
    found = orderings(report, {"tpu_v5p": 4.2, "h100_sxm": 6.88})
    assert found and all(o.first.family != o.second.family and o.first.run.model == o.second.run.model
                         for o in found)
    cost = [o for o in found if o.measure == "cheaper per token"]
    assert cost and {o.first.run.chip for o in cost} | {o.second.run.chip for o in cost} <= {"tpu_v5p", "h100_sxm"}
