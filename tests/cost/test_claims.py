"""The seed's claims as worked analyses: break-even prices, the price-performance ratio and what flips it."""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from chiplab import ChiplabInputError
from chiplab.cost import claim_scenario, claim_sensitivity, price_for
from chiplab.cost.scenarios import TrainingWorkload, evaluate_cost_scenario, parameter_swing
from chiplab.viz import alt_text, draw_matchup, draw_stacked_breakdown, draw_tornado

SMALL = TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=4, global_batch=32, seq_len=2048)


def test_claim_prices_a_at_the_break_even_for_the_claim():
    claim = claim_scenario(claimed_improvement_fraction=0.35, workload=SMALL)
    # B's price is chiplab's sourced H100 capacity-block price, not a typed number; A's is a labelled what-if.
    assert claim.b.usd_per_chip_hour == price_for("h100_sxm", "capacity-block").usd_per_chip_hour
    assert claim.a.price.provenance is None and "break-even" in claim.a.price.note
    assert evaluate_cost_scenario(claim).price_performance_ratio == pytest.approx(1.35)


def test_price_performance_is_linear_in_a_price():
    claim = claim_scenario(claimed_improvement_fraction=0.35, workload=SMALL)
    half_price = claim.with_a(usd_per_chip_hour=claim.a.usd_per_chip_hour / 2)
    assert evaluate_cost_scenario(half_price).price_performance_ratio == pytest.approx(2 * 1.35)


def test_sensitivity_finds_what_flips_the_winner():
    claim = claim_scenario(claimed_improvement_fraction=0.35, workload=SMALL)
    result = claim_sensitivity(claim)
    assert result.threshold == 1.0
    assert "a.usd_per_chip_hour" in result.flips  # a high enough price always loses
    swing = parameter_swing(result, "a.usd_per_chip_hour")
    # At the break-even price for "0% better", the ratio is exactly 1.
    at_break_even = claim.with_a(usd_per_chip_hour=swing.break_even_value)
    assert evaluate_cost_scenario(at_break_even).price_performance_ratio == pytest.approx(1.0, rel=1e-6)


def test_claims_are_validated():
    with pytest.raises(ChiplabInputError, match=r"claimed_improvement_fraction must be between 0 and 10"):
        claim_scenario(claimed_improvement_fraction=-0.1, workload=SMALL)
    with pytest.raises(ChiplabInputError, match=r"kind must be one of on-demand"):
        claim_scenario(price_kind_b="bargain", workload=SMALL)


def test_cost_figures():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        claim = claim_scenario(workload=SMALL)
        ax = draw_tornado(claim_sensitivity(claim), metric_label="tokens per USD, A / B")
        ax.figure.canvas.draw()
        assert "flip the winner" in alt_text(ax)
        ax = draw_matchup(evaluate_cost_scenario(claim))
        assert "times the tokens per dollar" in alt_text(ax)
        ax = draw_stacked_breakdown({"x": (("a", 1.0), ("b", 2.0))}, unit_label="USD")
        assert max(p.get_y() + p.get_height() for p in ax.patches) == pytest.approx(3.0)
    plt.close("all")
