"""Dated, sourced cost records: a cloud :class:`Price` per chip-hour, a :class:`HardwarePrice` (an owner's capital
expense), a :class:`SourcedValue` (an electricity price, a PUE, a wafer cost...) and a :class:`MissingPrice` (a
gap the research looked for and did not fill). All are frozen; the data files in ``chiplab/data/prices/`` hold them.

Dates are written as the sources give them, from a day to a range of months (``as_of``), and kept as the window
``observed_from`` .. ``observed_to`` in which the value is known to have held:

>>> parse_as_of("2023-02")
(datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))
>>> Price(chip_id="trainium2", usd_per_chip_hour=2.5, kind="estimate", as_of="2026-11",
...       note="my own guess").usd_per_instance_hour
2.5
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from chiplab._checks import positive, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.provenance import Provenance

# What a price is for. Reserved and capacity-block prices are discounts against on-demand for a commitment, so a
# comparison across kinds warns (prices.compare_prices). "reserved" is a reserved-instance rate whose term the
# source does not state; "estimate" is a guess, e.g. one you type yourself for a chip with no published price.
PRICE_KINDS = ("on-demand", "reserved-1yr", "reserved-3yr", "reserved", "capacity-block", "spot", "estimate")

# What a hardware purchase price covers: the accelerator alone, or its share of a whole server.
HARDWARE_INCLUDES = ("accelerator", "server share")

_AS_OF = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _period(text: str, owner: str) -> tuple[date, date]:
    match = _AS_OF.match(text.strip())
    if match is None:
        raise ChiplabInputError(f"{owner}: as_of must look like 2023, 2023-02, 2023-02-14 or a range "
                                f"2021-07..2022-10; got {text!r}")
    year_text, month_text, day_text = match.groups()
    year = int(year_text)
    try:
        if day_text:
            day = date(year, int(month_text), int(day_text))
            return day, day
        if month_text:
            month = int(month_text)
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError as exc:
        raise ChiplabInputError(f"{owner}: as_of {text!r} is not a real date ({exc})") from None


def parse_as_of(text: object, owner: str = "as_of") -> tuple[date, date]:
    """The first and last day of the period ``text`` names: a year, a month, a day, or ``A..B`` of those."""
    if not isinstance(text, str):
        raise ChiplabInputError(f"{owner}: as_of must be text such as '2023-02'; got {text!r}")
    first, _, last = text.partition("..")
    start, end = _period(first, owner)[0], _period(last or first, owner)[1]
    if end < start:
        raise ChiplabInputError(f"{owner}: as_of range {text!r} ends before it starts")
    return start, end


class _ObservedWindow:
    """What a dated record does with its ``as_of``: keep it as the window ``observed_from`` .. ``observed_to``."""

    as_of: str
    observed_from: date
    observed_to: date

    def _observe(self, owner: str) -> None:
        """Set the window from ``as_of`` (in ``__post_init__`` of a frozen record)."""
        start, end = parse_as_of(self.as_of, owner)
        object.__setattr__(self, "observed_from", start)
        object.__setattr__(self, "observed_to", end)

    @property
    def date(self) -> date:
        """The last day the value is known to have held (the end of ``as_of``)."""
        return self.observed_to


def _text(owner: str, name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ChiplabInputError(f"{owner}: {name} must be text; got {value!r}")
    return value.strip()


@dataclass(frozen=True, kw_only=True)
class Price(_ObservedWindow):
    """What one chip-hour costs in one offer (an instance type at a provider, of one kind, at one time).

    ``usd_per_chip_hour`` is the instance price divided by ``num_chips_per_instance``. Prices from chiplab's data
    carry a :class:`~chiplab.hardware.Provenance`; a price you type yourself has ``provenance=None`` and should
    say where it comes from in ``note``. ``priced_part`` names the part really priced where it differs from the
    catalog chip (AWS p4d has the 40 GB A100, the catalog the 80 GB one).
    """

    chip_id: str
    usd_per_chip_hour: float
    kind: str
    as_of: str
    provenance: Provenance | None = field(default=None, repr=False)
    provider: str = ""
    instance: str = ""
    num_chips_per_instance: int = 1
    regions: tuple[str, ...] = ()
    priced_part: str = ""
    note: str = ""
    observed_from: date = field(init=False, compare=False)
    observed_to: date = field(init=False, compare=False)

    def __post_init__(self) -> None:
        owner = f"price for {self.chip_id!r}"
        if not isinstance(self.chip_id, str) or not self.chip_id:
            raise ChiplabInputError(f"price: chip_id must be a chip id such as 'trainium1'; got {self.chip_id!r}")
        positive(f"{owner}: usd_per_chip_hour", self.usd_per_chip_hour)
        if self.kind not in PRICE_KINDS:
            raise ChiplabInputError(f"{owner}: kind must be one of {', '.join(PRICE_KINDS)}; got {self.kind!r}")
        positive_int(f"{owner}: num_chips_per_instance", self.num_chips_per_instance)
        if self.provenance is not None and not isinstance(self.provenance, Provenance):
            raise ChiplabInputError(f"{owner}: provenance must be a Provenance or None; got {self.provenance!r}")
        for name in ("provider", "instance", "priced_part", "note"):
            object.__setattr__(self, name, _text(owner, name, getattr(self, name)))
        regions = (self.regions,) if isinstance(self.regions, str) else self.regions   # "us-east-1" alone
        object.__setattr__(self, "regions", tuple(_text(owner, "regions", r) for r in regions))
        self._observe(owner)

    @property
    def usd_per_instance_hour(self) -> float:
        return self.usd_per_chip_hour * self.num_chips_per_instance

    @property
    def region(self) -> str:
        return " / ".join(self.regions) or "not stated"

    @property
    def source(self) -> str:
        """The source id, or ``"(typed by hand)"`` for a price without provenance."""
        return self.provenance.source.id if self.provenance else "(typed by hand)"

    @property
    def label(self) -> str:
        """A one-line description for tables and messages."""
        what = " ".join(part for part in (self.provider, self.instance) if part) or self.chip_id
        part = f", priced part {self.priced_part}" if self.priced_part else ""
        return f"{self.kind} {what} ({self.region}, {self.as_of}{part})"


@dataclass(frozen=True, kw_only=True)
class HardwarePrice(_ObservedWindow):
    """What an owner pays for one accelerator: alone (``includes="accelerator"``) or as its share of a server of
    ``num_chips_per_system`` accelerators (then ``usd_per_chip`` = server price / accelerators)."""

    chip_id: str
    usd_per_chip: float
    includes: str
    system: str
    as_of: str
    num_chips_per_system: int = 1
    provenance: Provenance | None = field(default=None, repr=False)
    priced_part: str = ""
    note: str = ""
    observed_from: date = field(init=False, compare=False)
    observed_to: date = field(init=False, compare=False)

    def __post_init__(self) -> None:
        owner = f"hardware price for {self.chip_id!r}"
        positive(f"{owner}: usd_per_chip", self.usd_per_chip)
        positive_int(f"{owner}: num_chips_per_system", self.num_chips_per_system)
        if self.includes not in HARDWARE_INCLUDES:
            raise ChiplabInputError(f"{owner}: includes must be one of {', '.join(HARDWARE_INCLUDES)}; "
                                    f"got {self.includes!r}")
        self._observe(owner)


@dataclass(frozen=True, kw_only=True)
class SourcedValue:
    """One sourced number of the owner or silicon data, e.g. ``pue.industry_average_2023``: the quantity names the
    unit (``pue``, ``electricity_usd_per_kwh``), the variant says whose or when."""

    quantity: str
    variant: str
    value: float
    as_of: str
    provenance: Provenance
    region: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.quantity}.{self.variant}"

    @property
    def is_assumption(self) -> bool:
        return self.provenance.kind == "assumption"


@dataclass(frozen=True, kw_only=True)
class MissingPrice:
    """A price the research looked for and did not find; errors quote ``note`` so that missing stays missing."""

    chip_id: str
    instance: str
    kind: str
    note: str
