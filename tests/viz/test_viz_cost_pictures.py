"""Cost-scenario figures render headless without warnings, draw what the results say (on a relative scale) and
carry alt text."""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from chiplab.cost import owner_assumptions_for, price_for
from chiplab.cost.scenarios import (
    CostScenario,
    TrainingWorkload,
    compare_design,
    compare_offers,
    evaluate_cost_scenario,
    own_or_rent,
    reference_offers,
    rent,
    what_if_price,
)
from chiplab.hardware.custom import design_chip
from chiplab.viz import alt_text
from chiplab.viz.cost_pictures import (
    OfferPicture,
    OwnOrRentPicture,
    draw_offer_comparison,
    draw_own_or_rent,
    draw_scenario_costs,
)

SMALL = TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=4, global_batch=32, seq_len=2048)


# Every figure renders without a single warning, and is closed afterwards (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("strict_figures")


def _widths(ax):
    return [patch.get_width() for patch in ax.patches]


def test_scenario_costs_are_shares_of_the_dearer_chip():
    result = evaluate_cost_scenario(CostScenario(
        a=rent("trainium2", what_if_price("trainium2", 3.0)), b=rent("h200", price_for("h200", "capacity-block")),
        workload=SMALL))
    ax = draw_scenario_costs(result)
    ax.figure.canvas.draw()
    widths = _widths(ax)
    assert max(widths) == pytest.approx(1.0)
    assert widths[0] / widths[1] == pytest.approx(result.a.usd_per_million_tokens / result.b.usd_per_million_tokens)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "what-if" in texts and "capacity-block" in texts and "$" in texts
    assert "tokens per dollar" in alt_text(ax)


def test_own_or_rent_stacks_the_tco():
    result = own_or_rent(owner_assumptions_for("h100_sxm", utilization_fraction=0.5), price_for("h100_sxm"))
    ax = draw_own_or_rent(result)
    ax.figure.canvas.draw()
    rent_width, *own_widths = _widths(ax)
    dearer = max(result.owner_usd_per_useful_chip_hour, result.cloud_usd_per_useful_chip_hour)
    assert rent_width == pytest.approx(result.cloud_usd_per_useful_chip_hour / dearer)
    assert sum(own_widths) == pytest.approx(result.owner_usd_per_useful_chip_hour / dearer)
    assert "owning costs" in alt_text(ax)
    picture = OwnOrRentPicture(plt.subplots()[1])
    picture.clear("tpu_v5p has no published TDP")
    assert picture.caption.get_text().startswith("tpu_v5p") and not any(_widths(picture.ax))


def test_offer_comparison_marks_chips_without_a_price():
    comparison = compare_offers(SMALL, reference_offers())
    ax = draw_offer_comparison(comparison)
    ax.figure.canvas.draw()
    widths = _widths(ax)
    assert widths[0] == 0.0  # Trainium2: no sourced price, no bar
    assert max(widths) == pytest.approx(1.0)
    assert "no sourced price" in " ".join(t.get_text() for t in ax.texts)
    assert "tokens per US dollar" in alt_text(ax)


def test_offer_picture_updates_in_place():
    first = compare_design(design_chip("trainium2"), 3.0, SMALL)
    picture = OfferPicture(plt.subplots()[1], len(first.rows))
    picture.update(first)
    before = _widths(picture.ax)[0]
    cheaper = compare_design(design_chip("trainium2"), 1.5, SMALL)
    assert picture.fits(cheaper)
    picture.update(cheaper)
    assert _widths(picture.ax)[0] >= before
    assert len(picture.dynamic_artists) == 4 * len(first.rows) + 1  # bar, error whisker, name, note; caption


def test_whiskers_show_the_cost_layer_ranges():
    """The whisker of each priced row spans the row's tokens-per-dollar range from chiplab.cost, as a share of the
    best row (designs compare on ideal hardware and have none)."""
    from chiplab.cost import price_for
    from chiplab.cost.scenarios import compare_offers

    offers = compare_offers(SMALL, [("h200", price_for("h200", "capacity-block")),
                                    ("h100_sxm", price_for("h100_sxm", "capacity-block"))])
    picture = OfferPicture(plt.subplots()[1], len(offers.rows))
    picture.update(offers)
    top = offers.best_tokens_per_usd.tokens_per_usd
    for whisker, row in zip(picture.whiskers, offers.rows, strict=True):
        low, high = row.tokens_per_usd_range
        assert list(whisker.get_xdata()) == pytest.approx([low / top, high / top])
    design = compare_design(design_chip("trainium2"), 3.0, SMALL)
    designed = OfferPicture(plt.subplots()[1], len(design.rows))
    designed.update(design)
    assert all(len(w.get_xdata()) == 0 for w in designed.whiskers)
