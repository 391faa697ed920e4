"""Dated, sourced prices: what a chip-hour costs in the cloud, what an accelerator costs to buy, and the owner's
running costs, kept apart from the chip specs (data in ``chiplab/data/prices/``, layout in its README).

Prices move (AWS cut its H100 on-demand price by about 45% in June 2025) and come in kinds (on-demand, reserved,
capacity blocks) that are not comparable one-to-one. So every price carries its date window and kind, a missing
price is an error that says what exists instead, and :func:`compare_prices` warns (a
:class:`PriceComparisonWarning`) when the prices you compare differ in kind, date, region or priced part. It also
returns the caveats, so code can show them in a table instead of a warning.

>>> price_for("trainium1").usd_per_chip_hour      # trn1.32xlarge on-demand: $21.50 / 16 chips
1.34375
>>> price_for("tpu_v4", kind="reserved-3yr").label
'reserved-3yr GCP Cloud TPU v4 (per chip) (us-central2, 2022-05-11..2023-06-01)'
"""

from __future__ import annotations

import difflib
import warnings
from itertools import combinations

from chiplab._checks import instance_of
from chiplab.cost._toml import load_cost_data
from chiplab.cost.records import HARDWARE_INCLUDES, PRICE_KINDS, HardwarePrice, Price, SourcedValue
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.tables import markdown_table


class PriceComparisonWarning(UserWarning):
    """Prices being compared differ in kind, date, region or part, so their ratio may mislead."""


def _chip_id(chip: str) -> str:
    """The catalog id of ``chip`` (aliases allowed: ``"h100"``, ``"trn1"``); unknown names list suggestions."""
    return load_chip(chip).id


def _kind(kind: str) -> str:
    if kind not in PRICE_KINDS:
        raise ChiplabInputError(f"kind must be one of {', '.join(PRICE_KINDS)}; got {kind!r}")
    return kind


def load_prices() -> tuple[Price, ...]:
    """Every cloud price in chiplab's data, in file order (providers alphabetically)."""
    return load_cost_data().offers


def offers_for(chip: str, kind: str | None = None, *, provider: str | None = None,
               region: str | None = None) -> tuple[Price, ...]:
    """All prices for ``chip``, optionally only one kind, provider (case-insensitive) or region (e.g. us-east-1)."""
    chip_id = _chip_id(chip)
    kind = None if kind is None else _kind(kind)
    return tuple(p for p in load_prices()
                 if p.chip_id == chip_id and kind in (None, p.kind)
                 and (provider is None or p.provider.lower() == provider.lower())
                 and (region is None or region.lower() in (r.lower() for r in p.regions)))


def _selection_order(price: Price) -> tuple[object, ...]:
    # The catalog's own part first, then the most recent (latest end, then latest start: a price cut within a
    # month replaces the old price), then the largest instance (the one training runs use).
    return (bool(price.priced_part), -price.observed_to.toordinal(), -price.observed_from.toordinal(),
            -price.num_chips_per_instance)


def price_for(chip: str, kind: str = "on-demand", *, region: str | None = None, provider: str | None = None,
              instance: str | None = None) -> Price:
    """The price of one chip-hour of ``chip``: of this kind, optionally at one provider, region or instance type.

    Where several offers match, it returns the catalog's own part first, then the most recent, then the largest
    instance; :func:`offers_for` lists them all. With no match it raises :class:`ChiplabInputError` naming the
    chip, what the research found missing, and the offers that do exist.
    """
    chip_id, kind = _chip_id(chip), _kind(kind)
    matches = [p for p in offers_for(chip_id, kind, provider=provider, region=region)
               if instance is None or p.instance.lower() == instance.lower()]
    if matches:
        return min(matches, key=_selection_order)
    filters = "".join(f", {name} {value!r}" for name, value in
                      (("provider", provider), ("region", region), ("instance", instance)) if value is not None)
    gaps = [f"{m.kind} {m.instance}: {m.note.rstrip('.')}" for m in load_cost_data().missing if m.chip_id == chip_id]
    known_gap = f" Known gap: {'; '.join(gaps)}." if gaps else ""
    existing = offers_for(chip_id)
    offers = ("; ".join(f"{p.label} ${p.usd_per_chip_hour:.3g}/chip-hour" for p in existing) if existing
              else "none, chiplab has no sourced price for this chip")
    raise ChiplabInputError(
        f"no {kind} price for {chip_id} ({load_chip(chip_id).display_name}){filters} in chiplab's price data."
        f"{known_gap} Offers that exist for {chip_id}: {offers}. To explore anyway, type your own: "
        f"Price(chip_id={chip_id!r}, usd_per_chip_hour=..., kind='estimate', as_of='YYYY-MM', note='source')")


def hardware_prices_for(chip: str) -> tuple[HardwarePrice, ...]:
    """Every purchase price chiplab has for ``chip`` (analysts' estimates and resellers' list prices)."""
    chip_id = _chip_id(chip)
    return tuple(h for h in load_cost_data().hardware if h.chip_id == chip_id)


def hardware_price_for(chip: str, includes: str = "server share") -> HardwarePrice:
    """The most recent purchase price of ``chip``, alone (``"accelerator"``) or as its share of a server."""
    if includes not in HARDWARE_INCLUDES:
        raise ChiplabInputError(f"includes must be one of {', '.join(HARDWARE_INCLUDES)}; got {includes!r}")
    chip_id = _chip_id(chip)
    matches = [h for h in hardware_prices_for(chip_id) if h.includes == includes]
    if not matches:
        have = ", ".join(sorted({h.chip_id for h in load_cost_data().hardware}))
        raise ChiplabInputError(
            f"no hardware price ({includes}) for {chip_id}: chiplab has purchase prices only for {have}. TPUs and "
            f"Trainium are not sold; estimate one with chiplab.cost.estimate_silicon_cost(...).price_usd or pass "
            f"capex_usd_per_chip yourself")
    return max(matches, key=lambda h: (not h.priced_part, h.observed_to))


def sourced_values(quantity: str | None = None) -> tuple[SourcedValue, ...]:
    """The owner and silicon values, optionally of one quantity (``"pue"``, ``"wafer_cost_usd"``, ...)."""
    values = load_cost_data().values.values()
    return tuple(v for v in values if quantity in (None, v.quantity))


def sourced_value(key: str) -> SourcedValue:
    """One value by key, e.g. ``sourced_value("pue.industry_average_2023").value`` → 1.58."""
    instance_of("key", key, str, "a cost value key such as 'pue.industry_average_2023'")
    values = load_cost_data().values
    if key not in values:
        close = difflib.get_close_matches(key, list(values), n=4, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ChiplabInputError(f"unknown cost value {key!r}; {hint}keys look like <quantity>.<variant>, "
                                f"e.g. {', '.join(sorted(values)[:3])}")
    return values[key]


def price_caveats(*prices: Price) -> tuple[str, ...]:
    """Why a comparison of these prices may mislead: different kinds, dates, regions or parts (empty if none)."""
    caveats = []
    if len({p.kind for p in prices}) > 1:
        caveats.append("different kinds: " + " vs ".join(f"{p.kind} ({p.instance or p.chip_id})" for p in prices)
                       + "; reserved and capacity-block prices are discounts for a commitment, not list prices")
    for a, b in combinations(prices, 2):
        if a.observed_to < b.observed_from or b.observed_to < a.observed_from:
            caveats.append(f"different dates: {a.instance or a.chip_id} as of {a.as_of} vs "
                           f"{b.instance or b.chip_id} as of {b.as_of}; cloud prices change (p5 on-demand fell "
                           f"~44% in June 2025)")
        if a.regions and b.regions and not set(a.regions) & set(b.regions):
            caveats.append(f"different regions: {a.region} vs {b.region}")
    caveats += [f"{p.instance or p.chip_id} prices a {p.priced_part}, not the catalog's {p.chip_id}"
                for p in prices if p.priced_part]
    caveats += [f"the {p.chip_id} price has no source (typed by hand: {p.note or 'no note'})"
                for p in prices if p.provenance is None]
    return tuple(caveats)


def compare_prices(*prices: Price, warn: bool = True) -> tuple[str, ...]:
    """The caveats of comparing ``prices`` (see :func:`price_caveats`); warns with a
    :class:`PriceComparisonWarning` when there are any, unless ``warn=False``."""
    if len(prices) < 2 or not all(isinstance(p, Price) for p in prices):
        raise ChiplabInputError(f"compare_prices needs two or more Price objects; got {prices!r}")
    caveats = price_caveats(*prices)
    if caveats and warn:
        warnings.warn("comparing prices that differ: " + "; ".join(caveats), PriceComparisonWarning, stacklevel=2)
    return caveats


def prices_table(chip: str | None = None) -> str:
    """A Markdown table of the cloud prices (of one chip, or all) with kind, date, region and source."""
    prices = load_prices() if chip is None else offers_for(chip)
    rows = [[p.chip_id, p.provider, p.instance, p.num_chips_per_instance, p.kind, round(p.usd_per_instance_hour, 3),
             round(p.usd_per_chip_hour, 4), p.region, p.as_of,
             f"{p.source} ({p.provenance.kind if p.provenance else 'what-if'})"] for p in prices]
    return markdown_table(["chip", "provider", "instance", "chips", "kind", "USD/instance-hour", "USD/chip-hour",
                           "region", "as of", "source (kind)"], rows)
