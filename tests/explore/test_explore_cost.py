"""The cost explorer, driven programmatically: every control changes what is shown; what-if prices are labelled;
owning B is costed next to renting it; bad combinations show a message; the tornado draws on request."""

import pytest

from chiplab.cost import price_for
from chiplab.cost.scenarios import price_options
from chiplab.errors import ChiplabInputError
from chiplab.explore.cost import WHAT_IF, CostExplorer, cost_explorer

SMALL = "pre-train Llama 3 8B"


@pytest.fixture(scope="module")
def explorer():
    return CostExplorer("trainium2", "h200", SMALL, 1e12)


def _shown(explorer):
    return explorer.message.widget.value, explorer.figure.image.value


def test_builds_a_widget_with_a_figure_and_the_break_even_price(explorer):
    assert cost_explorer().children
    assert explorer.figure.image.value[:4] == b"\x89PNG"
    summary = explorer.message.widget.value
    assert "tokens per dollar" in summary and "at least as cheap per token below" in summary
    assert "Not possible" not in summary


def test_the_shown_ranges_equal_the_librarys():
    """Left on their fitted efficiencies, both chips carry error bands: the summary shows the library's break-even
    and price-performance ranges for the same scenario (formatted by chiplab.units), never a price to the cent."""
    import re

    from chiplab.cost.scenarios import evaluate_cost_scenario
    from chiplab.units import format_ratio_range, format_usd_range

    explorer = CostExplorer("trainium2", "h200", SMALL, 1e12)
    result = evaluate_cost_scenario(explorer.scenario)
    summary = explorer.message.widget.value
    assert format_usd_range(*result.break_even_range_usd_per_chip_hour_a()) in summary
    assert format_ratio_range(*result.price_performance_ratio_range) in summary
    low, high = result.a.throughput.tokens_per_s_per_chip_range
    assert f"true {low:,.0f}–{high:,.0f}" in summary
    before_caveats = summary.split("Caveats")[0]
    typed = {f"{explorer.what_if_a.value:.2f}", f"{result.b.side.usd_per_chip_hour:.2f}"}  # prices, not the model's
    amounts = set(re.findall(r"\$([0-9][0-9,]*\.[0-9]+)", before_caveats)) - typed
    assert all(len(a.replace(",", "").replace(".", "").lstrip("0")) <= 2 for a in amounts), amounts  # ≤ 2 sig. figs
    explorer.matmul_a.value = 0.5  # an efficiency set by hand: the record says nothing, no range
    assert "no error band" in explorer.message.widget.value


def test_a_chip_without_a_sourced_price_starts_at_a_labelled_what_if(explorer):
    assert price_options("trainium2") == ()
    assert explorer.price_a.value == WHAT_IF and not explorer.what_if_a.disabled
    # "what if A cost what B costs?"
    assert explorer.what_if_a.value == price_for("h200", "capacity-block").usd_per_chip_hour
    assert "what-if (not a sourced price)" in explorer.message.widget.value
    assert explorer.what_if_b.disabled  # B uses its sourced offer


@pytest.mark.parametrize(("control", "value"), [
    ("what_if_a", 2.0), ("utilization", 0.5), ("matmul_a", 0.6), ("matmul_b", 0.7), ("tokens", 1e10),
    ("workload", "serve Llama 3 8B (chat)"), ("owner_utilization", 0.4), ("capex", 20000.0), ("usd_per_kwh", 0.2),
    ("pue", 1.2), ("years", 3.0),
])
def test_every_control_changes_the_answer(explorer, control, value):
    before = _shown(explorer)
    getattr(explorer, control).value = value
    after = _shown(explorer)
    assert after[0] != before[0]
    assert after[1] != before[1]
    assert "Not possible" not in after[0]


def test_switching_chips_offers_that_chips_prices(explorer):
    explorer.chip_a.value = "tpu_v5p"
    assert explorer.price_a.value == 0 and explorer.what_if_a.disabled  # its first sourced offer
    assert "on-demand GCP Cloud TPU v5p" in explorer.message.widget.value
    explorer.price_a.value = WHAT_IF
    assert not explorer.what_if_a.disabled
    explorer.chip_a.value = "trainium2"
    assert explorer.price_a.value == WHAT_IF


def test_owning_b_uses_the_owners_tco():
    explorer = CostExplorer("trainium2", "h100_sxm", SMALL, 1e12)
    assert "sourced server share" in explorer.capex.description
    explorer.price_b.value = "own"
    summary = explorer.message.widget.value
    assert "owned: capex" in summary and "owner" in summary
    assert explorer.scenario.b.is_owned
    assert explorer.owning.cloud_price == price_options("h100_sxm")[0]  # what owning is compared with


def test_a_chip_that_cannot_be_owned_says_why():
    explorer = CostExplorer("trainium2", "tpu_v5p", SMALL, 1e12)
    assert "what-if: no purchase price" in explorer.capex.description
    assert "Owning Google TPU v5p: not available" in explorer.message.widget.value
    assert "no published TDP" in explorer.owner_picture.caption.get_text()
    explorer.price_b.value = "own"
    assert "Not possible" in explorer.message.widget.value and "no published TDP" in explorer.message.widget.value


def test_a_workload_that_does_not_fit_shows_a_message():
    explorer = CostExplorer("tpu_v5e", "h200", SMALL, 1e12)
    explorer.workload.value = "serve Llama 3 8B (chat)"
    assert "Not possible" in explorer.message.widget.value and "does not fit" in explorer.message.widget.value
    explorer.workload.value = SMALL
    assert "Not possible" not in explorer.message.widget.value


def test_the_tornado_is_drawn_on_request(explorer):
    assert explorer.tornado_figure.image.value == b""
    explorer.tornado_button.click()
    assert explorer.tornado_figure.image.value[:4] == b"\x89PNG"
    assert "flips the winner" in explorer.tornado_message.widget.value


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"chip_a": "tpu_v1"}, r"chip_a must be one of"),  # an inference-only int8 chip: not in the matchups
    ({"workload": "train GPT-9"}, r"workload must be one of"),
    ({"num_tokens": 42.0}, r"num_tokens must be one of"),
])
def test_bad_arguments_raise(kwargs, message):
    arguments = {"chip_a": "trainium2", "chip_b": "h200", "workload": SMALL, "num_tokens": 1e12, **kwargs}
    with pytest.raises(ChiplabInputError, match=message):
        CostExplorer(**arguments)


def test_the_numbers_shown_are_the_librarys_for_the_same_inputs():
    """Each control set to a distinct value; the explorer must show what the cost model gives for exactly those
    inputs (a control wired to the wrong model input, e.g. A's efficiency to B, fails here)."""
    from chiplab.cost.scenarios import CostScenario, evaluate_cost_scenario, rent, what_if_price
    from chiplab.units import format_usd_estimate

    shown = CostExplorer("trainium2", "h200", SMALL, 1e12)
    shown.what_if_a.value, shown.matmul_a.value, shown.matmul_b.value = 2.5, 0.6, 0.85
    shown.utilization.value, shown.tokens.value = 0.7, 1e11
    h200 = price_options("h200")[shown.price_b.value]
    expected = evaluate_cost_scenario(CostScenario(
        a=rent("trainium2", what_if_price("trainium2", 2.5), utilization_fraction=0.7, matmul_efficiency_fraction=0.6),
        b=rent("h200", h200, utilization_fraction=0.7, matmul_efficiency_fraction=0.85),
        workload=SMALL, num_tokens=1e11))
    assert shown.result == expected
    summary = shown.message.widget.value
    # model-derived money at two significant figures (chiplab.units.format_usd_estimate): no cent-precise prices
    assert f"<b>{expected.price_performance_ratio:.2g}×</b>" in summary
    assert f"<b>{format_usd_estimate(expected.break_even_usd_per_chip_hour_a())}</b>" in summary
    assert format_usd_estimate(expected.break_even_usd_per_chip_hour_a(0.3)) in summary
    assert f"the run: <b>{format_usd_estimate(expected.a.run.cost_usd)}</b>" in summary
    assert f"the run: <b>{format_usd_estimate(expected.b.run.cost_usd)}</b>" in summary
