"""The seed's claims as worked analyses: break-even prices, the price-performance ratio and what flips it."""

import dataclasses
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from chiplab import ChiplabInputError
from chiplab.cost.claims import TrainingMatchup, claim_matchup, matchup_sensitivity, run_matchup
from chiplab.cost.prices import price_for
from chiplab.cost.scenarios import TrainingWorkload
from chiplab.viz import alt_text, draw_matchup, draw_stacked_breakdown, draw_tornado

SMALL = {"workload": TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=4, global_batch=32, seq_len=2048)}


def test_price_performance_is_linear_in_prices():
    base = run_matchup(TrainingMatchup(usd_per_chip_hour_a=2.0, usd_per_chip_hour_b=4.0, **SMALL))
    cheaper = run_matchup(TrainingMatchup(usd_per_chip_hour_a=1.0, usd_per_chip_hour_b=4.0, **SMALL))
    assert cheaper.price_performance_ratio == pytest.approx(2 * base.price_performance_ratio)
    assert base.price_performance_ratio == pytest.approx(base.performance_ratio * 4.0 / 2.0)


def test_claim_matchup_prices_a_at_the_break_even_for_the_claim():
    matchup = claim_matchup(claimed_improvement_fraction=0.35, **SMALL)
    # B's price is chiplab's sourced H100 capacity-block price, not a typed number.
    assert matchup.usd_per_chip_hour_b == price_for("h100_sxm", "capacity-block").usd_per_chip_hour
    assert run_matchup(matchup).price_performance_ratio == pytest.approx(1.35)


def test_sensitivity_finds_what_flips_the_winner():
    result = matchup_sensitivity(claim_matchup(claimed_improvement_fraction=0.35, **SMALL))
    assert result.threshold == 1.0
    assert "usd_per_chip_hour_a" in result.flips  # a high enough price always loses
    swing = next(p for p in result.parameters if p.name == "usd_per_chip_hour_a")
    # At the break-even price for "0% better", the ratio is exactly 1.
    at_break_even = dataclasses.replace(claim_matchup(claimed_improvement_fraction=0.35, **SMALL),
                                        usd_per_chip_hour_a=swing.break_even_value)
    assert run_matchup(at_break_even).price_performance_ratio == pytest.approx(1.0, rel=1e-6)


def test_prices_are_required_and_validated():
    with pytest.raises(TypeError):
        TrainingMatchup()  # no typed default prices
    with pytest.raises(ChiplabInputError, match=r"usd_per_chip_hour_a must be a price > 0"):
        TrainingMatchup(usd_per_chip_hour_a=0, usd_per_chip_hour_b=1)


def test_cost_figures():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        matchup = claim_matchup(**SMALL)
        ax = draw_tornado(matchup_sensitivity(matchup), metric_label="tokens per USD, A / B")
        ax.figure.canvas.draw()
        assert "flip the winner" in alt_text(ax)
        ax = draw_matchup(run_matchup(matchup))
        assert "times the tokens per dollar" in alt_text(ax)
        ax = draw_stacked_breakdown({"x": (("a", 1.0), ("b", 2.0))}, unit_label="USD")
        assert max(p.get_y() + p.get_height() for p in ax.patches) == pytest.approx(3.0)
    plt.close("all")
