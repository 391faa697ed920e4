"""Cost scenarios (chiplab.cost.scenarios) and the first-look tables (chiplab.cost.overview): hand-checkable
identities, the one comparison model (chiplab.cost.comparison), and bad input."""

import dataclasses

import pytest

from chiplab.cost import OwnerAssumptions, owner_assumptions_for, owner_tco, price_for
from chiplab.cost.comparison import PricePerformance, tokens_per_usd
from chiplab.cost.overview import missing_prices, price_availability_table, seed_chips_table, spec_ratios
from chiplab.cost.scenarios import (
    WORKLOADS,
    CostScenario,
    ServingWorkload,
    TrainingWorkload,
    compare_design,
    compare_offers,
    estimate_throughput,
    evaluate_cost_scenario,
    own,
    own_or_rent,
    parameter_swing,
    price_options,
    reference_offers,
    rent,
    scenario_chips,
    scenario_sensitivity,
    what_if_price,
    workload,
)
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.hardware.custom import design_chip

SEED_CHIPS = ("trainium2", "h100_sxm", "h200", "tpu_v5p")
SMALL = TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=4, global_batch=32, seq_len=2048)


def _scenario(usd_a=3.0, usd_b=None, work=SMALL, **side_a) -> CostScenario:
    price_b = price_for("h200", "capacity-block") if usd_b is None else what_if_price("h200", usd_b)
    return CostScenario(a=rent("trainium2", what_if_price("trainium2", usd_a), **side_a), b=rent("h200", price_b),
                        workload=work, num_tokens=1e11)


# --- workloads and throughput ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_every_named_workload_runs_on_the_seed_chips(name):
    for chip in SEED_CHIPS:
        throughput = estimate_throughput(name, chip)
        assert throughput.tokens_per_s_per_chip > 0
        assert throughput.num_chips == WORKLOADS[name].num_chips
        assert (throughput.mfu_fraction is None) == (WORKLOADS[name].kind == "serving")
        if throughput.mfu_fraction is not None:
            assert 0 < throughput.mfu_fraction <= 1


def test_throughput_is_the_performance_model_per_chip():
    throughput = estimate_throughput(WORKLOADS["pre-train Llama 3 70B"], "trainium2")
    assert throughput.tokens_per_s_per_chip == pytest.approx(
        throughput.estimate.tokens_per_s / throughput.estimate.num_chips)
    slower = estimate_throughput("pre-train Llama 3 70B", "trainium2", matmul_efficiency_fraction=0.5)
    assert slower.tokens_per_s_per_chip < throughput.tokens_per_s_per_chip
    serving = estimate_throughput(ServingWorkload(), "h100_sxm")
    assert serving.tokens_per_s_per_chip == serving.estimate.output_tokens_per_s_per_chip


def test_workload_names_and_validation():
    assert workload("serve Llama 3 8B (chat)") is WORKLOADS["serve Llama 3 8B (chat)"]
    assert "512 chips" in WORKLOADS["pre-train Llama 3 70B"].label
    with pytest.raises(ChiplabInputError, match=r"workload must be one of 'pre-train Llama 3 70B'"):
        workload("pre-train GPT-5")
    with pytest.raises(ChiplabInputError, match=r"tensor must be a whole number >= 1"):
        TrainingWorkload(tensor=0)


# --- prices and sides --------------------------------------------------------------------------------------------


def test_what_if_prices_are_labelled_estimates():
    price = what_if_price("trn2", 2.5)
    assert (price.chip_id, price.kind, price.provenance) == ("trainium2", "estimate", None)
    assert "what-if" in rent("trainium2", price).price_label
    with pytest.raises(ChiplabInputError, match=r"usd_per_chip_hour must be > 0"):
        what_if_price("trainium2", 0)


def test_price_options_list_prices_first_most_recent_first():
    options = price_options("h100_sxm")
    assert options[0].kind == "on-demand"
    on_demand = [p for p in options if p.kind == "on-demand"]
    assert options[0].observed_to == max(p.observed_to for p in on_demand)
    assert price_options("trainium2") == ()  # the recorded gap: no sourced Trainium2 price


def test_sides_are_validated():
    with pytest.raises(ChiplabInputError, match=r"the price is for h200, not trainium2"):
        rent("trainium2", price_for("h200", "capacity-block"))
    with pytest.raises(ChiplabInputError, match=r"utilization_fraction must be a fraction in \(0, 1\]"):
        rent("h200", price_for("h200", "capacity-block"), utilization_fraction=0)
    with pytest.raises(ChiplabInputError, match=r"price must be a Price"):
        rent("h200", 5.4)
    with pytest.raises(ChiplabInputError, match=r"a must be a ChipSide"):
        CostScenario(a="trainium2", b=rent("h200", price_for("h200", "capacity-block")))
    with pytest.raises(ChiplabInputError, match=r"num_tokens must be > 0"):
        dataclasses.replace(_scenario(), num_tokens=0)


# --- a scenario ---------------------------------------------------------------------------------------------------


def test_cost_is_linear_in_price_and_tokens_and_idle_hours_are_charged():
    base = evaluate_cost_scenario(_scenario(usd_a=2.0))
    double_price = evaluate_cost_scenario(_scenario(usd_a=4.0))
    assert double_price.a.usd_per_million_tokens == pytest.approx(2 * base.a.usd_per_million_tokens)
    more_tokens = evaluate_cost_scenario(dataclasses.replace(_scenario(usd_a=2.0), num_tokens=3e11))
    assert more_tokens.a.run.cost_usd == pytest.approx(3 * base.a.run.cost_usd)
    half_used = evaluate_cost_scenario(_scenario(usd_a=2.0, utilization_fraction=0.5))
    assert half_used.a.usd_per_million_tokens == pytest.approx(2 * base.a.usd_per_million_tokens)
    assert half_used.a.wall_time_s == pytest.approx(2 * base.a.wall_time_s)
    # tokens per dollar = tokens/s per chip × 3600 / price
    assert base.a.tokens_per_usd == pytest.approx(base.a.tokens_per_s_per_chip * 3600 / 2.0)


def test_ratio_and_break_even_price():
    result = evaluate_cost_scenario(_scenario(usd_a=3.0, usd_b=5.0))
    assert result.price_performance_ratio == pytest.approx(result.performance_ratio * 5.0 / 3.0)
    for improvement in (0.0, 0.3, 0.5):
        at_break_even = _scenario(usd_a=result.break_even_usd_per_chip_hour_a(improvement), usd_b=5.0)
        assert evaluate_cost_scenario(at_break_even).price_performance_ratio == pytest.approx(1 + improvement)
    assert result.cheaper == ("a" if result.price_performance_ratio > 1 else "b")
    with pytest.raises(ChiplabInputError, match=r"improvement_fraction must be between 0 and 10"):
        result.break_even_usd_per_chip_hour_a(-0.1)


def test_comparison_model_by_hand():
    """Hand-checkable: 1,000 tokens/s is 3.6 M tokens per chip-hour; at $3.60 that is 1 M tokens per dollar."""
    assert tokens_per_usd(1000.0, 3.6) == pytest.approx(1e6)
    assert tokens_per_usd(1000.0, 3.6, utilization_fraction=0.5) == pytest.approx(5e5)  # idle hours are paid for
    pp = PricePerformance(tokens_per_s_per_chip_a=1000.0, tokens_per_s_per_chip_b=2000.0, usd_per_chip_hour_a=1.0,
                          usd_per_chip_hour_b=4.0, utilization_fraction_b=0.5)
    # A: 3.6 M tokens per $; B: 2000 × 3600 × 0.5 / 4 = 0.9 M tokens per $.
    assert pp.price_performance_ratio == pytest.approx(4.0) and pp.cheaper == "a"
    assert pp.break_even_usd_per_chip_hour_a() == pytest.approx(4.0)          # 3.6 M ÷ 0.9 M per $
    assert pp.break_even_usd_per_chip_hour_a(1.0) == pytest.approx(2.0)       # "twice as good" halves it
    assert pp.break_even_range_usd_per_chip_hour_a() is None                 # no bands, no range


def test_break_even_becomes_a_range_with_bands():
    pp = PricePerformance(tokens_per_s_per_chip_a=1000.0, tokens_per_s_per_chip_b=1000.0, usd_per_chip_hour_b=2.0,
                          tokens_per_s_per_chip_a_band=(900.0, 1100.0), tokens_per_s_per_chip_b_band=(800.0, 1250.0))
    assert pp.break_even_usd_per_chip_hour_a() == pytest.approx(2.0)
    low, high = pp.break_even_range_usd_per_chip_hour_a()
    assert low == pytest.approx(2.0 * 900 / 1250) and high == pytest.approx(2.0 * 1100 / 800)
    with pytest.raises(ChiplabInputError, match="chip A has no price"):
        _ = pp.price_performance_ratio
    with pytest.raises(ChiplabInputError, match=r"low ≤ high"):
        PricePerformance(tokens_per_s_per_chip_a=1000.0, tokens_per_s_per_chip_b=1.0, usd_per_chip_hour_b=1.0,
                         tokens_per_s_per_chip_a_band=(1200.0, 1100.0))
    # A band of the true value may lie wholly below an optimistic prediction (every error of a family > 0).
    below = PricePerformance(tokens_per_s_per_chip_a=1000.0, tokens_per_s_per_chip_b=1000.0, usd_per_chip_hour_b=2.0,
                             tokens_per_s_per_chip_a_band=(500.0, 800.0), tokens_per_s_per_chip_b_band=(1000.0, 1000.0))
    assert below.break_even_range_usd_per_chip_hour_a() == pytest.approx((1.0, 1.6))  # 2 × 500/1000, 2 × 800/1000


def test_scenarios_and_offers_use_the_same_comparison():
    """An offer ranking and a scenario at the same prices give the same break-even price."""
    h200 = price_for("h200", "capacity-block")
    offers = compare_offers(SMALL, [("trainium2", None), ("h200", h200)])
    scenario = evaluate_cost_scenario(_scenario(usd_a=3.0, work=SMALL))
    assert offers.break_even_usd_per_chip_hour("trainium2", "h200", 0.3) == pytest.approx(
        scenario.break_even_usd_per_chip_hour_a(0.3))


def test_energy_ratio_needs_both_tdps():
    result = evaluate_cost_scenario(_scenario())
    assert result.energy_ratio == pytest.approx(
        (result.a.tokens_per_s_per_chip / load_chip("trainium2").tdp_w)
        / (result.b.tokens_per_s_per_chip / load_chip("h200").tdp_w))
    tpu = CostScenario(a=rent("tpu_v5p", price_for("tpu_v5p")), b=rent("h200", price_for("h200", "capacity-block")),
                       workload=SMALL)
    assert evaluate_cost_scenario(tpu).energy_ratio is None  # TPU v5p publishes no TDP


def test_caveats_are_returned_not_warned(recwarn):
    result = evaluate_cost_scenario(_scenario())
    assert any("no source" in caveat for caveat in result.caveats)
    assert not recwarn.list
    assert "what-if" in result.table() and "days on 16 chips" in result.table()


# --- owning --------------------------------------------------------------------------------------------------------


def test_owned_side_costs_the_owners_tco():
    assumptions = owner_assumptions_for("h100_sxm", utilization_fraction=0.5)
    side = own("h100_sxm", assumptions)
    assert side.usd_per_chip_hour == pytest.approx(owner_tco(assumptions).total_usd_per_chip_hour)
    assert side.utilization_fraction == 0.5 and side.is_owned and side.price is None
    result = evaluate_cost_scenario(CostScenario(a=rent("trainium2", what_if_price("trainium2", 3.0)), b=side,
                                                 workload=SMALL))
    assert any("owned" in caveat for caveat in result.caveats)


def test_own_or_rent_adds_up_and_breaks_even():
    price = price_for("h100_sxm")
    assumptions = owner_assumptions_for("h100_sxm", utilization_fraction=0.6)
    result = own_or_rent(assumptions, price, cloud_utilization_fraction=0.9)
    assert sum(usd for _, usd in result.owner_parts) == pytest.approx(result.owner_usd_per_useful_chip_hour)
    assert result.cloud_usd_per_useful_chip_hour == pytest.approx(price.usd_per_chip_hour / 0.9)
    at_break_even = own_or_rent(dataclasses.replace(
        assumptions, utilization_fraction=result.break_even_owner_utilization_fraction), price, 0.9)
    assert at_break_even.owner_to_cloud_ratio == pytest.approx(1.0)


def test_owning_a_chip_without_power_says_why():
    with pytest.raises(ChiplabInputError, match=r"no published TDP"):
        own("tpu_v5p", owner_assumptions_for("tpu_v5p", capex_usd_per_chip=10_000.0))
    assert isinstance(owner_assumptions_for("h200", capex_usd_per_chip=30_000.0), OwnerAssumptions)


# --- sensitivity ------------------------------------------------------------------------------------------------


def test_sensitivity_flips_at_the_break_even_price():
    scenario = _scenario(usd_a=3.0, usd_b=5.0)
    result = scenario_sensitivity(scenario)
    assert result.threshold == 1.0
    assert "a.usd_per_chip_hour" in result.flips
    swing = parameter_swing(result, "a.usd_per_chip_hour")
    assert swing.name == "a.usd_per_chip_hour"
    expected = evaluate_cost_scenario(scenario).break_even_usd_per_chip_hour_a()
    assert swing.break_even_value == pytest.approx(expected, rel=1e-6)
    assert [p.swing for p in result.parameters] == sorted((p.swing for p in result.parameters), reverse=True)
    with pytest.raises(ChiplabInputError, match=r"needs a CostScenario"):
        scenario_sensitivity("trainium2")
    with pytest.raises(ChiplabInputError, match=r"no assumption 'price' in this sensitivity result; it has .*usd_per"):
        parameter_swing(result, "price")


# --- many chips --------------------------------------------------------------------------------------------------


def test_compare_offers_ranks_and_skips():
    entries = [*reference_offers(), ("tpu_v5e", price_for("tpu_v5e"))]
    comparison = compare_offers("serve Llama 3 8B (chat)", entries, skip_errors=True)
    assert [chip for chip, _ in comparison.skipped] == ["tpu_v5e"]  # 16 GiB of HBM: the model does not fit
    assert "does not fit" in comparison.skipped[0][1]
    assert comparison.row("trainium2").tokens_per_usd is None  # no sourced price
    best = comparison.best_tokens_per_usd
    assert best.tokens_per_usd == max(r.tokens_per_usd for r in comparison.rows if r.price is not None)
    h200 = comparison.row("h200")
    assert h200.usd_per_million_tokens == pytest.approx(1e6 / h200.tokens_per_usd)
    limit = comparison.break_even_usd_per_chip_hour("trainium2", "h200", 0.3)
    assert comparison.row("trainium2").tokens_per_s_per_chip * 3600 / limit == pytest.approx(
        1.3 * h200.tokens_per_usd)
    with pytest.raises(ChiplabInputError, match=r"does not fit"):
        compare_offers("serve Llama 3 8B (chat)", entries)
    with pytest.raises(ChiplabInputError, match=r"trainium2 has no price"):
        comparison.break_even_usd_per_chip_hour("h200", "trainium2")
    assert "no sourced price" in comparison.table()


def test_compare_design_puts_the_design_first():
    comparison = compare_design(design_chip("trainium2"), 3.0, SMALL)
    assert comparison.rows[0].chip_id == "custom"
    assert comparison.rows[0].price.kind == "estimate"
    assert comparison.rows[0].tokens_per_s_per_chip == pytest.approx(comparison.row("trainium2").tokens_per_s_per_chip)
    with pytest.raises(ChiplabInputError, match=r"the design's id 'trainium2' is also a reference chip's"):
        compare_design(design_chip("trainium2", chip_id="trainium2"), 3.0, SMALL)
    tiny = design_chip("trainium2", hbm_capacity_bytes=2**30)
    with pytest.raises(ChiplabInputError, match=r"the design cannot run this workload: does not fit"):
        compare_design(tiny, 3.0, SMALL)


def test_scenario_chips():
    chips = scenario_chips()
    assert set(SEED_CHIPS) <= set(chips)
    # B200 is placed with an estimated equivalent array (b200.toml, marked as an estimate); toys and TPU v1 never.
    assert "b200" in chips and "toy_4x4" not in chips and "tpu_v1" not in chips


# --- first-look tables ---------------------------------------------------------------------------------------------


def test_seed_tables_read_the_catalog_and_the_price_data():
    table = seed_chips_table(list(SEED_CHIPS))
    assert "AWS-TRN2" in table and "NV-H100-DS" in table and "unpublished" in table  # TPU v5p has no TDP
    prices = price_availability_table(list(SEED_CHIPS))
    trn2 = next(line for line in prices.splitlines() if "Trainium2" in line)
    assert "none found" in trn2 and "trn2.48xlarge" in trn2
    assert [m.chip_id for m in missing_prices("trn2")] == ["trainium2"]
    with pytest.raises(ChiplabInputError, match=r"chip_ids must be a list"):
        seed_chips_table("trainium2")


def test_spec_ratios_by_hand():
    ratios = spec_ratios("trainium2", "h100_sxm")
    # AWS-NKI-TRN2 (79 TFLOPS per Tensor Engine x 8, what the engines can issue), NV-H100-DS (dense bf16)
    assert ratios.peak_ratio == pytest.approx(632e12 / 989.4e12)
    assert ratios.peak_per_watt_ratio == pytest.approx((632e12 / 500) / (989.4e12 / 700))
    assert ratios.hbm_bandwidth_ratio == pytest.approx(2.9e12 / 3.35e12)
    assert spec_ratios("tpu_v5p", "h100_sxm").peak_per_watt_ratio is None
    assert "unpublished" in spec_ratios("tpu_v5p", "h100_sxm").table()


def test_tables_have_at_most_one_dollar_sign_per_cell():
    """The book renders these tables as MyST Markdown, where "$1 ... $2" in one cell would become inline math."""
    owned = own("h100_sxm", owner_assumptions_for("h100_sxm"))
    tables = [
        evaluate_cost_scenario(CostScenario(a=rent("trainium2", what_if_price("trainium2", 3.0)), b=owned,
                                            workload=SMALL)).table(),
        compare_offers(SMALL, reference_offers()).table(),
        price_availability_table(list(SEED_CHIPS)),
        seed_chips_table(list(SEED_CHIPS)),
    ]
    for table in tables:
        for line in table.splitlines():
            assert all(cell.count("$") <= 1 for cell in line.split("|")), line
