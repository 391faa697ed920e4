"""Several chips, each with a price or none, ranked on one workload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from chiplab._checks import positive
from chiplab.cost.comparison import PricePerformance, tokens_per_usd
from chiplab.cost.prices import price_caveats, price_for
from chiplab.cost.records import Price
from chiplab.cost.scenarios.workloads import Throughput, Workload, _throughput, workload
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import Calibration
from chiplab.tables import markdown_table
from chiplab.units import format_usd_estimate

# ---------------------------------------------------------------------------------------------------------------
# Many chips, each with a price or none
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferRow:
    """One chip on the workload, with its price (or None: no sourced price exists)."""

    chip_id: str
    display_name: str
    throughput: Throughput
    price: Price | None

    @property
    def tokens_per_s_per_chip(self) -> float:
        return self.throughput.tokens_per_s_per_chip

    @property
    def tokens_per_usd(self) -> float | None:
        if self.price is None:
            return None
        return tokens_per_usd(self.tokens_per_s_per_chip, self.price.usd_per_chip_hour)

    @property
    def tokens_per_usd_range(self) -> tuple[float, float] | None:
        """(low, high) of the true tokens per dollar over the throughput's error band; None without a price or a
        band."""
        speed = self.throughput.tokens_per_s_per_chip_range
        if self.price is None or speed is None:
            return None
        return (tokens_per_usd(speed[0], self.price.usd_per_chip_hour),
                tokens_per_usd(speed[1], self.price.usd_per_chip_hour))

    @property
    def usd_per_million_tokens(self) -> float | None:
        per_usd = self.tokens_per_usd
        return None if per_usd is None else 1e6 / per_usd

    @property
    def price_text(self) -> str:
        """'$4.92 capacity-block (AWS p5.48xlarge, 2024-07..2024-12)', 'what-if' or 'no sourced price'."""
        if self.price is None:
            return "no sourced price"
        if self.price.provenance is None:
            return f"${self.price.usd_per_chip_hour:.2f} what-if (not a sourced price)"
        where = " ".join(part for part in (self.price.provider, self.price.instance) if part)
        return f"${self.price.usd_per_chip_hour:.2f} {self.price.kind} ({where}, {self.price.as_of})"


@dataclass(frozen=True)
class OfferComparison:
    """Several chips on one workload. ``skipped`` lists chips the model could not run, with the reason."""

    workload: Workload
    rows: tuple[OfferRow, ...]
    skipped: tuple[tuple[str, str], ...]
    caveats: tuple[str, ...]

    def row(self, chip_id: str) -> OfferRow:
        for row in self.rows:
            if row.chip_id == chip_id:
                return row
        raise ChiplabInputError(f"no row for {chip_id!r}; rows: {', '.join(r.chip_id for r in self.rows)}")

    @property
    def best_tokens_per_usd(self) -> OfferRow | None:
        """The priced row with the most tokens per dollar (None if no row has a price)."""
        priced = [(row.tokens_per_usd, row) for row in self.rows if row.tokens_per_usd is not None]
        return max(priced, key=lambda pair: pair[0])[1] if priced else None

    def price_performance(self, chip_id: str, against: str) -> PricePerformance:
        """``chip_id`` (A) against ``against`` (B, which needs a price) in the one comparison model."""
        row, other = self.row(chip_id), self.row(against)
        if other.price is None:
            raise ChiplabInputError(f"{against} has no price in this comparison, so nothing to compare with")
        return PricePerformance(tokens_per_s_per_chip_a=row.tokens_per_s_per_chip,
                                tokens_per_s_per_chip_b=other.tokens_per_s_per_chip,
                                usd_per_chip_hour_a=None if row.price is None else row.price.usd_per_chip_hour,
                                usd_per_chip_hour_b=other.price.usd_per_chip_hour,
                                tokens_per_s_per_chip_a_band=row.throughput.tokens_per_s_per_chip_range,
                                tokens_per_s_per_chip_b_band=other.throughput.tokens_per_s_per_chip_range)

    def break_even_usd_per_chip_hour(self, chip_id: str, against: str, improvement_fraction: float = 0.0) -> float:
        """The most ``chip_id`` may cost per chip-hour to give (1 + improvement) × the tokens per dollar of
        ``against`` (which needs a price)."""
        return self.price_performance(chip_id, against).break_even_usd_per_chip_hour_a(improvement_fraction)

    def table(self) -> str:
        rows = []
        for row in self.rows:
            mfu = row.throughput.mfu_fraction
            rows.append([row.display_name, row.price_text, f"{row.tokens_per_s_per_chip:,.0f}",
                         "—" if mfu is None else f"{mfu:.0%}", row.throughput.bottleneck,
                         "—" if row.tokens_per_usd is None else f"{row.tokens_per_usd:,.0f}",
                         "—" if row.usd_per_million_tokens is None
                         else format_usd_estimate(row.usd_per_million_tokens)])
        return markdown_table(["chip", "USD per chip-hour", "tokens/s per chip", "MFU", "bottleneck",
                               "tokens per USD", "USD per million tokens"], rows)


# The real chips a design is compared with: the seed's chips, each at a sourced price of the same provider and
# date where one exists (AWS capacity blocks, late 2024), and Trainium2 without one (the recorded gap).
REFERENCE_OFFERS: tuple[tuple[str, str | None], ...] = (
    ("trainium2", None), ("h100_sxm", "capacity-block"), ("h200", "capacity-block"), ("tpu_v5p", "on-demand"))


def reference_offers(offers: Sequence[tuple[str, str | None]] = REFERENCE_OFFERS) -> list[tuple[str, Price | None]]:
    """(chip, price) pairs from (chip, price kind or None) pairs, the prices from chiplab's data."""
    return [(chip, None if kind is None else price_for(chip, kind)) for chip, kind in offers]


def compare_offers(work: str | Workload, entries: Sequence[tuple[str | Chip, Price | None]], *,
                   skip_errors: bool = False, ideal: bool = False) -> OfferComparison:
    """Each (chip, price or None) on ``work``, on its fitted calibration (with its error band), or with ``ideal``
    on the ideal hardware (an upper bound, no bands). A chip the model cannot run (it does not fit, it lacks a
    link) raises, or with ``skip_errors`` goes to ``skipped`` with the reason."""
    work = workload(work)
    if not entries:
        raise ChiplabInputError("entries must list at least one (chip, price) pair")
    rows, skipped = [], []
    for chip, price in entries:
        chip_record = as_chip(chip)
        if price is not None and (not isinstance(price, Price) or price.chip_id != chip_record.id):
            raise ChiplabInputError(f"the price for {chip_record.id} must be a Price of that chip or None; "
                                    f"got {price!r}")
        try:
            throughput = _throughput(work, chip_record, Calibration.ideal() if ideal else None)
        except ChiplabInputError as exc:
            if not skip_errors:
                raise
            skipped.append((chip_record.id, str(exc)))
            continue
        rows.append(OfferRow(chip_record.id, chip_record.display_name, throughput, price))
    prices = [row.price for row in rows if row.price is not None]
    caveats = price_caveats(*prices) if len(prices) > 1 else ()
    return OfferComparison(workload=work, rows=tuple(rows), skipped=tuple(skipped), caveats=tuple(caveats))


def compare_design(design: Chip, usd_per_chip_hour: float, work: str | Workload,
                   references: Sequence[tuple[str, Price | None]] | None = None) -> OfferComparison:
    """A designed chip (:func:`chiplab.hardware.custom.design_chip`) at a what-if price, first, against real
    chips at their sourced prices (:func:`reference_offers` by default), all on the ideal hardware: a design has
    no software anyone has measured, so like is compared with like (and no chip carries an error band)."""
    if not isinstance(design, Chip):
        raise ChiplabInputError(f"design must be a Chip (from design_chip); got {type(design).__name__}")
    price = Price(chip_id=design.id, usd_per_chip_hour=positive("usd_per_chip_hour", usd_per_chip_hour),
                  kind="estimate", as_of=date.today().strftime("%Y-%m"), note="what-if price of a design")
    others = reference_offers() if references is None else list(references)
    if design.id in {as_chip(chip).id for chip, _ in others}:
        raise ChiplabInputError(f"the design's id {design.id!r} is also a reference chip's; give the design its own "
                                "chip_id in design_chip(...)")
    comparison = compare_offers(work, [(design, price), *others], skip_errors=True, ideal=True)
    if not comparison.rows or comparison.rows[0].chip_id != design.id:
        reason = next((why for chip_id, why in comparison.skipped if chip_id == design.id), "unknown")
        raise ChiplabInputError(f"the design cannot run this workload: {reason}")
    return comparison
