"""Chapter 9's figures draw exactly the validation's numbers: one point per case, at the published and predicted
speeds the report holds (recomputed here from the measured value and the error definition of
chiplab/perf/validation_record.py), and the training breakdown's error bars at the estimates' own ranges."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from chiplab.hardware import load_chip
from chiplab.perf import estimate_training
from chiplab.perf.validation import validate
from chiplab.perf.validation_summary import orderings
from chiplab.perf.validation_tables import misses_table, orderings_table, summary_table
from chiplab.viz import draw_error_distribution, draw_predicted_vs_measured, draw_training_breakdown
from chiplab.workloads import load_model
from chiplab.workloads.footprint import Parallelism

pytestmark = pytest.mark.slow  # runs every validation case once (a few seconds)


def _points(ax):
    return np.concatenate([c.get_offsets() for c in ax.collections])


def test_predicted_vs_measured_has_every_case_where_it_belongs():
    report = validate()
    points = _points(draw_predicted_vs_measured(report))
    assert len(points) == len(report.cases)
    expected = sorted((c.predicted_tokens_per_s_per_chip / (1 + c.error_fraction), c.predicted_tokens_per_s_per_chip)
                      for c in report.cases)
    assert np.allclose(sorted(map(tuple, points)), expected)


def test_error_distribution_places_each_case_at_one_plus_its_error():
    report = validate()
    ratios = sorted(_points(draw_error_distribution(report))[:, 0])
    assert ratios == pytest.approx(sorted(1 + c.error_fraction for c in report.cases))


def test_tables_cover_every_case_and_ordering():
    report = validate()
    found = orderings(report)
    assert summary_table(report).count("\n") >= 3
    assert orderings_table(found).count("\n") == len(found) + 1
    assert orderings_table(found, wrong_only=True).count("\n") == sum(not o.right for o in found) + 1
    worst = max(report.cases, key=lambda c: abs(c.error_fraction))
    assert f"{worst.error_fraction:+.0%}" in misses_table(report, num_cases=1)


def test_training_breakdown_error_bars_are_the_estimates_ranges():
    estimate = estimate_training(load_model("llama3_8b"), load_chip("h100_sxm"), parallelism=Parallelism(tensor=4),
                                 global_batch=8, seq_len=2048)
    ax = draw_training_breakdown({"H100": estimate})
    (bars,) = [c for c in ax.collections if c.get_segments()]
    (segment,) = bars.get_segments()
    assert (segment[0][1], segment[1][1]) == pytest.approx(estimate.time_s_range)
