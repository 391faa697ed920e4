"""How an hour of a chip is paid for: a sourced offer, a what-if price, or an owner's TCO."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chiplab._checks import fraction, positive
from chiplab.cost.prices import offers_for
from chiplab.cost.records import PRICE_KINDS, Price
from chiplab.cost.tco import OwnerAssumptions, OwnerTco, compare_with_cloud, owner_tco
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip, list_chips, load_chip

# ---------------------------------------------------------------------------------------------------------------
# How a chip-hour is paid for
# ---------------------------------------------------------------------------------------------------------------


def what_if_price(chip: str, usd_per_chip_hour: float, note: str = "what-if price typed by the reader") -> Price:
    """A price you type yourself: kind ``"estimate"``, no provenance, dated this month. Tables call it "what-if"."""
    return Price(chip_id=as_chip(chip).id, usd_per_chip_hour=positive("usd_per_chip_hour", usd_per_chip_hour),
                 kind="estimate", as_of=date.today().strftime("%Y-%m"), note=note)


def price_label(price: Price) -> str:
    """'$4.92/chip-h, capacity-block AWS p5.48xlarge (...)', or '... what-if (not a sourced price)'."""
    where = "what-if (not a sourced price)" if price.provenance is None else price.label
    return f"${price.usd_per_chip_hour:.2f}/chip-h, {where}"


def price_options(chip: str) -> tuple[Price, ...]:
    """The sourced cloud offers for ``chip``, list prices first (on-demand, then reserved, capacity blocks and
    spot), the catalog's own part before a stand-in part, the most recent first within a kind."""
    return tuple(sorted(offers_for(chip), key=lambda p: (PRICE_KINDS.index(p.kind), bool(p.priced_part),
                                                         -p.observed_to.toordinal(), -p.observed_from.toordinal(),
                                                         -p.num_chips_per_instance)))


def rent_price_to_compare(chip: str, what_if_usd_per_chip_hour: float) -> Price:
    """The rented price an owner's TCO is compared with: the first of :func:`price_options` (a list price where
    one exists), else a what-if price at ``what_if_usd_per_chip_hour`` (TPUs and Trainium are not sold)."""
    offers = price_options(chip)
    return offers[0] if offers else what_if_price(chip, what_if_usd_per_chip_hour)


def scenario_chips() -> list[str]:
    """Real catalog chips the performance model can place a workload on: a matrix-unit geometry, a scratchpad of
    known size, and a scale-up link with a known bandwidth and size (training needs it)."""
    found = []
    for chip_id in list_chips():
        chip = load_chip(chip_id)
        scratchpad = next((level for level in chip.memory_levels if level.role == "scratchpad"), None)
        link = chip.links[0] if chip.links else None
        if (chip.kind == "real" and chip.core.matrix_unit.array is not None and scratchpad is not None
                and scratchpad.capacity_bytes is not None and "bf16" in chip.peak_dtypes and link is not None
                and link.max_chips is not None and (link.bandwidth_bytes_per_s or link.per_link_one_way_bytes_per_s)):
            found.append(chip_id)
    return found


@dataclass(frozen=True, kw_only=True)
class ChipSide:
    """One chip of a scenario and how its hours are paid for. Build it with :func:`rent` or :func:`own`.

    ``usd_per_chip_hour`` is what one paid chip-hour costs (a cloud price, or an owner's TCO per wall-clock
    hour); ``utilization_fraction`` is the share of paid hours doing useful work (idle hours are charged to the
    useful ones). The efficiencies are the software calibration (see :func:`estimate_throughput`): None, the
    default, keeps the chip's fitted one (with its error band); a number replaces it (an assumption, no band).
    """

    chip: str
    usd_per_chip_hour: float
    price_label: str
    price: Price | None = None  # the cloud or what-if price, for caveats; None when owned
    owner: OwnerTco | None = None  # the owner's TCO breakdown, when owned
    utilization_fraction: float = 1.0
    matmul_efficiency_fraction: float | None = None
    memory_efficiency_fraction: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "chip", as_chip(self.chip).id)
        positive(f"{self.chip}: usd_per_chip_hour", self.usd_per_chip_hour)
        fraction(f"{self.chip}: utilization_fraction", self.utilization_fraction, allow_zero=False)
        for name in ("matmul_efficiency_fraction", "memory_efficiency_fraction"):
            if getattr(self, name) is not None:
                fraction(f"{self.chip}: {name}", getattr(self, name), allow_zero=False)

    @property
    def usd_per_useful_chip_hour(self) -> float:
        return self.usd_per_chip_hour / self.utilization_fraction

    @property
    def is_owned(self) -> bool:
        return self.owner is not None


def rent(chip: str, price: Price, *, utilization_fraction: float = 1.0,
         matmul_efficiency_fraction: float | None = None, memory_efficiency_fraction: float | None = None) -> ChipSide:
    """``chip`` rented at ``price`` (from :func:`~chiplab.cost.price_for`, or :func:`what_if_price`)."""
    if not isinstance(price, Price):
        raise ChiplabInputError(f"price must be a Price (price_for(...) or what_if_price(...)); got {price!r}")
    chip_id = as_chip(chip).id
    if price.chip_id != chip_id:
        raise ChiplabInputError(f"the price is for {price.chip_id}, not {chip_id}")
    return ChipSide(chip=chip_id, usd_per_chip_hour=price.usd_per_chip_hour, price_label=price_label(price),
                    price=price, utilization_fraction=utilization_fraction,
                    matmul_efficiency_fraction=matmul_efficiency_fraction,
                    memory_efficiency_fraction=memory_efficiency_fraction)


def own(chip: str, assumptions: OwnerAssumptions, *, matmul_efficiency_fraction: float | None = None,
        memory_efficiency_fraction: float | None = None) -> ChipSide:
    """``chip`` owned: its chip-hour costs the owner's TCO (:func:`~chiplab.cost.owner_tco`), and the owner's
    utilisation (``assumptions.utilization_fraction``) is the share of hours doing useful work."""
    tco = owner_tco(assumptions)
    # One dollar sign only: tables of these labels are Markdown, where "$1 ... $2" would be read as math.
    label = (f"${tco.total_usd_per_chip_hour:.2f}/chip-h, owned: capex {assumptions.capex_usd_per_chip:,.0f} USD "
             f"over {assumptions.amortisation_years:g} years, {assumptions.usd_per_kwh:.3f} USD/kWh, "
             f"PUE {assumptions.pue:.2f}")
    return ChipSide(chip=chip, usd_per_chip_hour=tco.total_usd_per_chip_hour, price_label=label, owner=tco,
                    utilization_fraction=assumptions.utilization_fraction,
                    matmul_efficiency_fraction=matmul_efficiency_fraction,
                    memory_efficiency_fraction=memory_efficiency_fraction)


@dataclass(frozen=True)
class OwnOrRent:
    """One chip owned (TCO) next to the same chip rented (a cloud price), per *useful* chip-hour."""

    chip_id: str
    tco: OwnerTco
    cloud_price: Price
    cloud_utilization_fraction: float
    owner_parts: tuple[tuple[str, float], ...]  # (component, USD per useful chip-hour), adding up to the total
    owner_usd_per_useful_chip_hour: float
    cloud_usd_per_useful_chip_hour: float

    @property
    def owner_to_cloud_ratio(self) -> float:
        """< 1: owning is cheaper per useful hour."""
        return self.owner_usd_per_useful_chip_hour / self.cloud_usd_per_useful_chip_hour

    @property
    def break_even_owner_utilization_fraction(self) -> float:
        """The owner's utilisation at which owning costs what renting does; above it owning is cheaper. A value
        above 1 means owning never wins at these prices."""
        return self.tco.total_usd_per_chip_hour / self.cloud_usd_per_useful_chip_hour


def own_or_rent(assumptions: OwnerAssumptions, price: Price, cloud_utilization_fraction: float = 1.0) -> OwnOrRent:
    """The owner's TCO (idle hours charged to useful ones at ``assumptions.utilization_fraction``) next to
    renting at ``price`` (idle rented hours charged at ``cloud_utilization_fraction``; 1.0: rent only what you
    use)."""
    tco = owner_tco(assumptions)
    versus = compare_with_cloud(tco, price, cloud_utilization_fraction)
    parts = tuple((name, usd / assumptions.utilization_fraction) for name, usd in tco.components())
    return OwnOrRent(chip_id=price.chip_id, tco=tco, cloud_price=price,
                     cloud_utilization_fraction=cloud_utilization_fraction, owner_parts=parts,
                     owner_usd_per_useful_chip_hour=versus.owner_usd_per_useful_chip_hour,
                     cloud_usd_per_useful_chip_hour=versus.cloud_usd_per_useful_chip_hour)
