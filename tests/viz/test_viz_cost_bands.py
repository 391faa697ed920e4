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
