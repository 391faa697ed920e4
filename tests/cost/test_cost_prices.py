"""Price data: every price has a source, a date and a kind; figures match the sources as published; a missing
price is an error naming the chip and the offers that exist; comparing prices of different kinds or dates warns."""

import re
import warnings
from datetime import date

import pytest

from chiplab.cost import (
    PRICE_KINDS,
    Price,
    PriceComparisonWarning,
    compare_prices,
    hardware_price_for,
    load_prices,
    offers_for,
    parse_as_of,
    price_caveats,
    price_for,
    prices_table,
    sourced_value,
    sourced_values,
)
from chiplab.cost._toml import VALUE_RANGES, cost_data_from_toml, load_cost_data, load_cost_sources
from chiplab.errors import ChiplabInputError
from chiplab.hardware import list_chips, load_sources

RESEARCH_DATE = date(2026, 11, 28)
PRICES = load_prices()
DATA = load_cost_data()


def _label(record) -> str:
    return f"{record.chip_id} {getattr(record, 'instance', '')} {getattr(record, 'kind', '')}"


# --- every number sourced, dated, plausible ------------------------------------------------------------------

@pytest.mark.parametrize("price", PRICES, ids=_label)
def test_every_price_has_a_source_a_date_and_a_kind(price):
    sources = load_cost_sources()
    assert price.provenance is not None and price.provenance.source.id in sources
    assert price.provenance.note.strip(), "say where in the source the price is"
    assert price.provenance.as_published.strip()
    assert date(2015, 1, 1) <= price.observed_from <= price.observed_to <= RESEARCH_DATE
    assert price.kind in PRICE_KINDS
    assert price.chip_id in list_chips(kind="real")
    assert price.provider and price.instance
    # a chip-hour between 5 cents and $50 catches a per-instance price stored as per-chip, or cents as dollars
    assert 0.05 <= price.usd_per_chip_hour <= 50


def test_hardware_prices_and_values_are_sourced_and_dated():
    sources = load_cost_sources()
    for record in [*DATA.hardware, *DATA.values.values()]:
        assert record.provenance.source.id in sources and record.provenance.note.strip()
        start, end = parse_as_of(record.as_of)
        assert date(2015, 1, 1) <= start <= end <= RESEARCH_DATE
    for value in DATA.values.values():
        low, high = VALUE_RANGES[value.quantity]
        assert low <= value.value <= high


def test_assumptions_are_labelled_as_such():
    for value in DATA.values.values():
        is_ours = value.provenance.source.id == "CHIPLAB-ASSUMPTION"
        assert value.is_assumption == is_ours, value.key
        if is_ours:
            assert "ASSUMPTION" in value.provenance.note
    assert sourced_value("cost_of_capital_fraction_per_year.chiplab_assumption").is_assumption


# How the sources print numbers: "$21.50 per hour", "8.06 cents per kWh", "88.1%", "$1.4K", "$4 million", "six".
_WORDS = {"six years": 6.0, "a quarter": 0.25, "almost a third": 1 / 3}
_NUMBER = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*(K|million|%|cents)?")


def _published(text: str) -> float:
    if text in _WORDS:
        return _WORDS[text]
    match = _NUMBER.search(text)
    assert match, f"no number in {text!r}"
    number = float(match.group(1).replace(",", ""))
    return number * {"K": 1e3, "million": 1e6, "%": 0.01, "cents": 0.01, None: 1}[match.group(2)]


def _close(a: float, b: float, rel: float = 0.01) -> bool:
    return abs(a - b) <= rel * abs(b)


@pytest.mark.parametrize("price", PRICES, ids=_label)
def test_stored_prices_match_the_figures_as_published(price):
    published = _published(price.provenance.as_published)
    assert _close(published, price.usd_per_chip_hour) or _close(published, price.usd_per_instance_hour)


def test_hardware_and_values_match_the_figures_as_published():
    for record in DATA.hardware:
        published = _published(record.provenance.as_published)
        assert _close(published, record.usd_per_chip) or _close(published, record.usd_per_chip
                                                                 * record.num_chips_per_system), record
    for value in DATA.values.values():
        if value.provenance.kind == "derived":     # e.g. the midpoint of "$4000 to $5000": the note says how
            continue
        assert _close(_published(value.provenance.as_published), value.value, rel=0.02), value.key


def test_the_two_bibliographies_do_not_overlap_and_are_shared():
    own = set(load_cost_sources()) - set(load_sources())
    assert {"AWS-NEURON-PRICES", "EPOCH-HW-PRICES", "HP-CA6"} <= own
    assert price_for("tpu_v5e").provenance.source.id == "SCALING-BOOK"   # cited from the chip bibliography


# --- choosing a price -----------------------------------------------------------------------------------------

def test_price_for_returns_the_expected_offer():
    trn1 = price_for("trn1")                                   # aliases work
    assert (trn1.chip_id, trn1.instance, trn1.usd_per_chip_hour) == ("trainium1", "trn1.32xlarge", 21.5 / 16)
    assert price_for("h100").usd_per_instance_hour == pytest.approx(55.04)   # the most recent: after the cut
    assert price_for("h100", provider="GCP").usd_per_chip_hour == 10.8
    assert price_for("h100", kind="capacity-block", region="us-east-2").usd_per_chip_hour == 4.916
    # the catalog's own part first: p4de (80 GB), although the 40 GB p4d price is more recent
    assert price_for("a100_80gb", provider="aws").instance == "p4de.24xlarge"
    assert price_for("tpu_v4", kind="reserved-3yr").usd_per_chip_hour == 1.45
    assert len(offers_for("tpu_v4")) == 3 and all(p.chip_id == "tpu_v4" for p in offers_for("v4"))


def test_a_missing_price_names_the_chip_the_gap_and_the_offers_that_exist():
    with pytest.raises(ChiplabInputError) as err:
        price_for("trainium2")
    message = str(err.value)
    assert "trainium2" in message and "trn2.48xlarge" in message and "none" in message
    with pytest.raises(ChiplabInputError) as err:
        price_for("trainium1", kind="reserved-3yr")
    message = str(err.value)
    assert "reserved-3yr" in message and "trainium1" in message
    assert "on-demand AWS trn1.32xlarge" in message and "capacity-block" in message
    with pytest.raises(ChiplabInputError, match=r"mi300x \(AMD Instinct MI300X\)"):
        price_for("mi300x")
    with pytest.raises(ChiplabInputError, match="region 'eu-west-1'"):
        price_for("h100", region="eu-west-1")


def test_unknown_chips_and_kinds_are_clear_errors():
    with pytest.raises(ChiplabInputError, match="did you mean"):
        price_for("h10")
    with pytest.raises(ChiplabInputError, match="kind must be one of on-demand"):
        price_for("h100", kind="ondemand")
    with pytest.raises(ChiplabInputError, match="not sold"):
        hardware_price_for("tpu_v4")
    with pytest.raises(ChiplabInputError, match="did you mean pue"):
        sourced_value("pue.industry_average")


def test_hardware_prices():
    assert hardware_price_for("h100").usd_per_chip == 37_080.50
    assert hardware_price_for("h100", includes="accelerator").usd_per_chip == 25_000
    assert {v.variant for v in sourced_values("pue")} == {"industry_average_2023", "google_fleet_2021"}


def test_prices_table_lists_every_offer_with_its_source():
    table = prices_table("h100")
    assert table.count("\n") == 1 + len(offers_for("h100"))
    assert "NEXTPLATFORM-P5 (third-party estimate)" in table


# --- comparing prices -------------------------------------------------------------------------------------------

def test_comparing_prices_of_different_kinds_warns():
    with pytest.warns(PriceComparisonWarning, match="different kinds"):
        caveats = compare_prices(price_for("h100", kind="capacity-block"), price_for("h100"))
    assert any("different kinds" in c for c in caveats)


def test_comparing_prices_of_different_dates_warns():
    expected = r"different dates: p5\.48xlarge as of 2025-06 vs trn1\.32xlarge as of 2023-02"
    with pytest.warns(PriceComparisonWarning, match=expected):
        compare_prices(price_for("h100"), price_for("trainium1"))


def test_comparing_like_with_like_is_silent():
    same_table = [price_for("tpu_v5e"), price_for("tpu_v5p"), price_for("h100", provider="GCP")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compare_prices(*same_table) == ()


def test_caveats_name_regions_parts_and_hand_typed_prices():
    p4d = price_for("a100", provider="AWS", instance="p4d.24xlarge")
    p4de = price_for("a100", provider="AWS")
    assert any("A100 SXM4 40 GB" in c for c in price_caveats(p4d, p4de))
    mine = Price(chip_id="trainium2", usd_per_chip_hour=3.0, kind="on-demand", as_of="2025-06", note="my guess")
    caveats = compare_prices(mine, price_for("h100"), warn=False)
    assert caveats == ("the trainium2 price has no source (typed by hand: my guess)",)
    cb = [price_for("trainium1", kind="capacity-block"), price_for("h100", kind="capacity-block")]
    assert any("different regions" in c for c in price_caveats(*cb))
    with pytest.raises(ChiplabInputError, match="two or more"):
        compare_prices(p4d)


# --- dates and hand-typed prices --------------------------------------------------------------------------------

def test_as_of_grammar():
    assert parse_as_of("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_as_of("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert parse_as_of("2021-07..2022-10-03") == (date(2021, 7, 1), date(2022, 10, 3))
    for bad in ("late 2024", "2024-13", "2025..2024", "", 2024):
        with pytest.raises(ChiplabInputError, match="as_of"):
            parse_as_of(bad)


@pytest.mark.parametrize(("change", "field"), [
    ({"usd_per_chip_hour": -1.0}, "usd_per_chip_hour"), ({"usd_per_chip_hour": 0}, "usd_per_chip_hour"),
    ({"kind": "ondemand"}, "kind"), ({"as_of": "late 2024"}, "as_of"),
    ({"num_chips_per_instance": 0}, "num_chips_per_instance"),
])
def test_bad_prices_are_rejected_naming_the_field(change, field):
    with pytest.raises(ChiplabInputError, match=field):
        Price(**{"chip_id": "trainium2", "usd_per_chip_hour": 1.0, "kind": "estimate", "as_of": "2026-11", **change})


# --- strict loading ---------------------------------------------------------------------------------------------

GOOD_OFFER = """
[[offer]]
chip = "trainium1"
provider = "AWS"
instance = "trn1.2xlarge"
num_chips_per_instance = 1
kind = "on-demand"
usd_per_instance_hour = 1.34
regions = []
as_of = "2023-02"
[offer.provenance]
source = "AWS-NEURON-PRICES"
as_published = "$1.34 per hour"
note = "trn1_instance_prices.csv"
"""


@pytest.mark.parametrize(("broken", "message"), [
    (GOOD_OFFER.replace("regions = []", "regions = []\nregion = 'x'"), "unknown key 'region'"),
    (GOOD_OFFER.replace('"AWS-NEURON-PRICES"', '"AWS-PRICES"'), "source 'AWS-PRICES' is not in the source list"),
    (GOOD_OFFER.replace('chip = "trainium1"', 'chip = "trn1"'), "chip 'trn1' is not a catalog id"),
    (GOOD_OFFER.replace("usd_per_instance_hour = 1.34", "usd_per_instance_hour = 1.34\nusd_per_chip_hour = 1.34"),
     "exactly one of usd_per_chip_hour and usd_per_instance_hour"),
    (GOOD_OFFER.replace("1.34\n", "-1.34\n", 1), "usd_per_chip_hour must be > 0"),
    (GOOD_OFFER.replace('as_of = "2023-02"\n', ""), "missing required key 'as_of'"),
    ("[pue.mine]\nvalue = 158\nas_of = '2023'\n[pue.mine.provenance]\nsource = 'HP-CA6'\nnote = 'x'\n",
     r"value must be a number in \[1, 3\] for pue"),
    ("[pue_fraction.mine]\nvalue = 1\n", "unknown top-level key 'pue_fraction'"),
])
def test_broken_price_files_name_the_file_and_the_problem(broken, message):
    with pytest.raises(ChiplabInputError, match=message) as err:
        cost_data_from_toml(broken, "mine.toml", load_cost_sources())
    assert str(err.value).startswith("mine.toml")


def test_the_good_offer_parses():
    offers = cost_data_from_toml(GOOD_OFFER, "mine.toml", load_cost_sources()).offers
    assert offers[0].usd_per_chip_hour == 1.34 and offers[0].region == "not stated"
