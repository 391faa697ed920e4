"""Every training and serving estimate carries the error band of its chip family and kind, computed once.

Expected bands are recomputed from the record file with tomllib and numpy's percentile (neither written here);
the ranges follow the error definition of chiplab/perf/validation_record.py (true speed = predicted / (1 + error),
true time = predicted × (1 + error)).
"""

import tomllib

import numpy as np
import pytest

from chiplab.cost.scenarios import estimate_throughput
from chiplab.hardware import load_chip
from chiplab.perf import Calibration, band_for, estimate_serving, estimate_training, fitted_calibration
from chiplab.perf.llm import estimate_llm
from chiplab.perf.validation_record import record_path
from chiplab.workloads import load_model
from chiplab.workloads.footprint import Parallelism

LLAMA_8B = load_model("llama3_8b")


def _percentiles(family, kind):
    cases = [c for c in tomllib.loads(record_path().read_text())["case"] if "error" in c]
    group = [c["error"] for c in cases if c["family"] == family and c["kind"] == kind]
    if len(group) < 4:
        group = [c["error"] for c in cases if c["family"] == family]
    if len(group) < 4:
        group = [c["error"] for c in cases]
    return tuple(np.percentile(group, [10, 90]))


def _training(chip, calibration=None):
    return estimate_training(LLAMA_8B, load_chip(chip), parallelism=Parallelism(tensor=4, data=2), global_batch=32,
                             seq_len=2048, calibration=calibration)


@pytest.mark.parametrize(("chip", "family"), [("h100_sxm", "nvidia"), ("tpu_v5p", "tpu"), ("trainium2", "trainium")])
def test_training_estimate_ranges_follow_the_record(chip, family):
    estimate = _training(chip)
    low_error, high_error = _percentiles(family, "training")
    assert (estimate.band.low_fraction, estimate.band.high_fraction) == pytest.approx((low_error, high_error))
    tokens = estimate.tokens_per_s
    assert estimate.tokens_per_s_range == pytest.approx((tokens / (1 + high_error), tokens / (1 + low_error)))
    assert estimate.time_s_range == pytest.approx((estimate.time_s * (1 + low_error),
                                                   estimate.time_s * (1 + high_error)))
    assert estimate.mfu_fraction_range[1] == pytest.approx(estimate.mfu_fraction / (1 + low_error))


def test_serving_estimate_ranges_follow_the_record():
    estimate = estimate_serving(LLAMA_8B, load_chip("trainium2"), batch=8, prompt_len=512, output_len=256)
    low_error, high_error = _percentiles("trainium", "serving")
    per_chip = estimate.output_tokens_per_s_per_chip
    assert estimate.output_tokens_per_s_per_chip_range == pytest.approx((per_chip / (1 + high_error),
                                                                         per_chip / (1 + low_error)))
    assert estimate.output_tokens_per_s_per_request_range[0] == pytest.approx(
        estimate.output_tokens_per_s_per_request / (1 + high_error))
    assert estimate.time_s_range == pytest.approx((estimate.time_s * (1 + low_error),
                                                   estimate.time_s * (1 + high_error)))


def test_no_band_where_the_record_says_nothing():
    """The errors are those of the fitted calibration: an ideal (upper-bound) estimate, a hand-typed efficiency
    or an invented chip has no band, rather than a wrong one."""
    assert _training("h100_sxm", Calibration.ideal()).band is None
    assert _training("h100_sxm", Calibration(name="mine", matmul_efficiency_fraction=0.5)).band is None
    assert _training("h100_sxm", fitted_calibration("h100_sxm")).band is not None  # the default, passed by hand
    assert _training("h100_sxm", Calibration.ideal()).tokens_per_s_range is None
    assert band_for(load_chip("toy_4x4"), "training", "bf16", fitted_calibration("toy_4x4")) is None


def test_the_step_explorer_model_and_the_cost_layer_pass_the_same_band_through():
    chip = load_chip("h100_sxm")
    training = _training("h100_sxm")
    step = estimate_llm(LLAMA_8B, chip, mode="training", batch=32, seq_len=2048,
                        parallelism=Parallelism(tensor=4, data=2))
    assert step.band == training.band
    assert step.tokens_per_s_range == pytest.approx(training.tokens_per_s_range)
    serving = estimate_throughput("serve Llama 3 8B (chat)", "h100_sxm")
    assert serving.band == serving.estimate.band and serving.band is not None
    assert serving.tokens_per_s_per_chip_range == pytest.approx(serving.estimate.output_tokens_per_s_per_chip_range)
    assert estimate_throughput("serve Llama 3 8B (chat)", "h100_sxm", matmul_efficiency_fraction=0.8).band is None
