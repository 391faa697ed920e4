"""What a validation adds up to: median |error| and the share within ±10 %, overall, per vendor family and per kind;
and every cross-vendor ordering (which chip is faster per chip, and cheaper per token where both have prices),
right or wrong.

An ordering pairs two runs of the same model and kind on different vendors' chips. Their speeds are compared in
one unit, tokens/s per chip (training tokens, or generated tokens when serving): the measured one is chiplab's
divided by 1 + the case's speed error, so a run that published MFU or a time to train compares with one that
published tokens/s. Cost per token is price per chip-hour / speed per chip; the prices are passed in (the cost layer
sits above this one), and a pair is compared on cost only when both chips have one.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from chiplab._checks import positive
from chiplab.errors import ChiplabInputError
from chiplab.perf.validation import ValidationCase, ValidationReport, checked_report
from chiplab.perf.validation_record import FAMILY_LABELS, KINDS

WITHIN_FRACTION = 0.10  # the target band: a case is "within" when |error| <= 10 %


@dataclass(frozen=True)
class GroupSummary:
    """Accuracy of one group of cases (all, a vendor family, or a kind)."""

    name: str
    num_cases: int
    num_not_run: int
    median_abs_error_fraction: float | None   # None when no case of the group ran
    within_10_fraction: float | None          # share of cases with |error| <= 10 %


def _group(name: str, report: ValidationReport) -> GroupSummary:
    errors = [abs(c.error_fraction) for c in report.cases]
    return GroupSummary(name=name, num_cases=len(errors), num_not_run=len(report.not_run),
                        median_abs_error_fraction=statistics.median(errors) if errors else None,
                        within_10_fraction=sum(e <= WITHIN_FRACTION for e in errors) / len(errors) if errors else None)


def summarize(report: ValidationReport) -> tuple[GroupSummary, ...]:
    """All cases, then each vendor family (TPU, Trainium/Inferentia, NVIDIA, AMD), then each kind."""
    report = checked_report("report", report)
    return (_group("all", report),
            *(_group(label, report.select(family=family)) for family, label in FAMILY_LABELS.items()),
            *(_group(kind, report.select(kind=kind)) for kind in KINDS))


@dataclass(frozen=True)
class Ordering:
    """Two runs of one model and kind on different vendors' chips: is chiplab's answer to "which is ahead" right?"""

    first: ValidationCase
    second: ValidationCase
    measure: str                 # "faster per chip" or "cheaper per token"
    published_ratio: float       # first ÷ second, measured (speed, or 1/cost so that > 1 means first is ahead)
    predicted_ratio: float       # the same ratio as chiplab predicts it

    @property
    def right(self) -> bool:
        return (self.published_ratio > 1) == (self.predicted_ratio > 1)

    @property
    def published_leader(self) -> str:
        return self.first.id if self.published_ratio > 1 else self.second.id

    @property
    def predicted_leader(self) -> str:
        return self.first.id if self.predicted_ratio > 1 else self.second.id


def orderings(report: ValidationReport,
              usd_per_chip_hour: Mapping[str, float] | None = None) -> tuple[Ordering, ...]:
    """Every cross-vendor pair of cases of the same model and kind, on speed per chip and, where both chips have a
    price in ``usd_per_chip_hour`` (chip id → price), on cost per token."""
    report = checked_report("report", report)
    if usd_per_chip_hour is not None and not isinstance(usd_per_chip_hour, Mapping):
        raise ChiplabInputError(f"usd_per_chip_hour must be a mapping of chip id to USD per chip-hour; "
                                f"got {usd_per_chip_hour!r:.80}")
    prices = {chip: positive(f"usd_per_chip_hour[{chip!r}]", price)
              for chip, price in (usd_per_chip_hour or {}).items()}
    found = []
    for first, second in itertools.combinations(report.cases, 2):
        if first.family == second.family or first.kind != second.kind or first.run.model != second.run.model:
            continue
        published = first.published_tokens_per_s_per_chip / second.published_tokens_per_s_per_chip
        predicted = first.predicted_tokens_per_s_per_chip / second.predicted_tokens_per_s_per_chip
        found.append(Ordering(first, second, "faster per chip", published, predicted))
        if first.run.chip in prices and second.run.chip in prices:
            price_ratio = prices[second.run.chip] / prices[first.run.chip]  # cost ratio second ÷ first, per speed
            found.append(Ordering(first, second, "cheaper per token", published * price_ratio,
                                  predicted * price_ratio))
    return tuple(found)
