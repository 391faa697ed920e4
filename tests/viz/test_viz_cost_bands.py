"""The A-vs-B matchup draws each chip's tokens-per-dollar error bar at the cost layer's range (chiplab.cost), which
is tokens per dollar scaled by the throughput's own range (checked here from the throughput, not the figure)."""

import matplotlib

matplotlib.use("Agg")

import pytest

from chiplab.cost import price_for
from chiplab.cost.scenarios import CostScenario, TrainingWorkload, evaluate_cost_scenario, rent, what_if_price
from chiplab.viz import draw_matchup

SMALL = TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=4, global_batch=32, seq_len=2048)


def test_matchup_error_bars_are_the_tokens_per_dollar_ranges():
    result = evaluate_cost_scenario(CostScenario(a=rent("trainium2", what_if_price("trainium2", 3.0)),
                                                 b=rent("h200", price_for("h200", "capacity-block")), workload=SMALL))
    for cost in (result.a, result.b):
        low, high = cost.throughput.tokens_per_s_per_chip_range
        per_speed = cost.tokens_per_usd / cost.tokens_per_s_per_chip
        assert cost.tokens_per_usd_range == pytest.approx((per_speed * low, per_speed * high))
    ax = draw_matchup(result)
    segments = [segment for collection in ax.collections for segment in collection.get_segments()]
    assert len(segments) == 2
    for segment, cost in zip(segments, (result.a, result.b), strict=True):
        assert (segment[0][1] * 1e3, segment[1][1] * 1e3) == pytest.approx(cost.tokens_per_usd_range)
    assert "×" in ax.get_title() and "–" in ax.get_title()  # the ratio's range is in the title


def test_serving_sweep_shades_the_per_chip_band():
    """The shaded band of the serving sweep spans each batch's own output_tokens_per_s_per_chip_range."""
    from matplotlib.collections import PolyCollection

    from chiplab.hardware import load_chip
    from chiplab.perf import sweep_serving_batch
    from chiplab.viz import draw_serving_sweep
    from chiplab.workloads import load_model

    sweep = sweep_serving_batch(load_model("llama3_8b"), load_chip("h100_sxm"), batches=[1, 4, 16], prompt_len=512,
                                output_len=128)
    low, high = sweep.output_tokens_per_s_per_chip_range
    for estimate, lo, hi in zip(sweep.estimates, low, high, strict=True):
        assert (lo, hi) == pytest.approx(estimate.output_tokens_per_s_per_chip_range)
    ax = draw_serving_sweep(sweep)
    (shade,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    ys = shade.get_paths()[0].vertices[:, 1]
    assert min(ys) == pytest.approx(min(low)) and max(ys) == pytest.approx(max(high))
