"""The cost layer receives the performance model's error bands and turns them into break-even ranges.

Expected ranges are computed here from the two throughputs' (low, high) by the formula of the comparison model's
docstring (break-even price of A = B's price × A's tokens/s ÷ B's tokens/s at equal utilisation), A slowest with B
fastest and A fastest with B slowest.
"""

import pytest

from chiplab.cost import price_for
from chiplab.cost.scenarios import (
    CostScenario,
    TrainingWorkload,
    compare_design,
    compare_offers,
    evaluate_cost_scenario,
    rent,
    what_if_price,
)
from chiplab.hardware.custom import design_chip

SMALL = TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=4, global_batch=32, seq_len=2048)


def _scenario(**side_a):
    return CostScenario(a=rent("trainium2", what_if_price("trainium2", 3.0), **side_a),
                        b=rent("h200", price_for("h200", "capacity-block")), workload=SMALL, num_tokens=1e11)


def test_break_even_range_spans_both_bands():
    result = evaluate_cost_scenario(_scenario())
    a_low, a_high = result.a.throughput.tokens_per_s_per_chip_range
    b_low, b_high = result.b.throughput.tokens_per_s_per_chip_range
    price_b = result.b.side.usd_per_chip_hour
    assert result.break_even_range_usd_per_chip_hour_a() == pytest.approx((price_b * a_low / b_high,
                                                                           price_b * a_high / b_low))
    low, high = result.price_performance_ratio_range
    # at A's price of $3: ratio = (A tokens/s ÷ $3) ÷ (B tokens/s ÷ B's price)
    assert (low, high) == pytest.approx((a_low / 3.0 / (b_high / price_b), a_high / 3.0 / (b_low / price_b)))


def test_hand_typed_efficiencies_have_no_band():
    result = evaluate_cost_scenario(_scenario(matmul_efficiency_fraction=0.7))
    assert result.a.throughput.band is None
    assert result.break_even_range_usd_per_chip_hour_a() is None and result.price_performance_ratio_range is None


def test_offers_carry_bands_and_designs_compare_on_ideal_hardware():
    offers = compare_offers(SMALL, [("trainium2", None), ("h200", price_for("h200", "capacity-block"))])
    assert offers.price_performance("trainium2", "h200").break_even_range_usd_per_chip_hour_a() is not None
    design = compare_design(design_chip("trainium2"), 3.0, SMALL)
    assert all(row.throughput.band is None for row in design.rows)


def test_an_efficiency_given_replaces_only_that_factor_of_the_fitted_calibration():
    from chiplab.cost.scenarios import efficiencies_of, estimate_throughput
    from chiplab.perf import fitted_calibration

    matmul, memory = efficiencies_of(SMALL, "trainium2")
    assert (matmul, memory) == (fitted_calibration("trainium2").matmul_efficiency_fraction,
                                fitted_calibration("trainium2").memory_efficiency_fraction)
    default = estimate_throughput(SMALL, "trainium2")
    written_out = estimate_throughput(SMALL, "trainium2", matmul_efficiency_fraction=matmul,
                                      memory_efficiency_fraction=memory)
    assert written_out.tokens_per_s_per_chip == default.tokens_per_s_per_chip and written_out.band == default.band
    changed = estimate_throughput(SMALL, "trainium2", matmul_efficiency_fraction=0.5).estimate.calibration
    assert changed.matmul_efficiency_fraction == 0.5 and changed.memory_efficiency_fraction == memory
    assert changed.kernel_overhead_s == fitted_calibration("trainium2").kernel_overhead_s
