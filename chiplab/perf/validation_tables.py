"""The validation as the book reads it: Markdown tables and the few numbers chapter 9 quotes, computed from a
:class:`~chiplab.perf.validation.ValidationReport` (the cases as run now) — never typed.

* :func:`summary_table` — median |error| and share within ±10 % per vendor family and kind, with the same numbers
  for a second report (the ideal calibration) beside them, so a reader sees what calibrating changed;
* :func:`orderings_table` — every cross-vendor ordering on speed per chip, right or wrong;
* :func:`misses_table` — the cases chiplab misses most, each with what its own estimate says dominates its time;
* :func:`share_optimistic` and :func:`dominant_part` — the facts the chapter's "what the model still misses" draws
  from the cases' errors.
"""

from __future__ import annotations

import statistics

from chiplab._checks import instance_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.perf.inference import ServingEstimate
from chiplab.perf.validation import ValidationCase, ValidationReport, checked_report
from chiplab.perf.validation_bands import error_band
from chiplab.perf.validation_record import FAMILY_LABELS, KINDS
from chiplab.perf.validation_summary import WITHIN_FRACTION, Ordering, summarize
from chiplab.tables import markdown_table


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def summary_table(report: ValidationReport, ideal: ValidationReport | None = None) -> str:
    """Cases, median |error| and share within ±10 % per group (all, each family, each kind); with ``ideal``, the
    same for that report in two more columns."""
    report = checked_report("report", report)
    if ideal is not None:
        ideal = checked_report("ideal", ideal)
    headers = ["group", "cases run", "not run", "median |error|", f"within ±{WITHIN_FRACTION:.0%}"]
    groups = summarize(report)
    ideal_groups = {g.name: g for g in summarize(ideal)} if ideal is not None else {}
    if ideal is not None:
        headers += ["median |error|, ideal", f"within ±{WITHIN_FRACTION:.0%}, ideal"]
    rows = []
    for group in groups:
        if not group.num_cases and not group.num_not_run:
            continue
        row = [group.name, group.num_cases, group.num_not_run, _share(group.median_abs_error_fraction),
               _share(group.within_10_fraction)]
        if ideal is not None:
            other = ideal_groups[group.name]
            row += [_share(other.median_abs_error_fraction), _share(other.within_10_fraction)]
        rows.append(row)
    return markdown_table(headers, rows)


def _chip(case: ValidationCase) -> str:
    return case.setup.arguments["chip"].display_name


def orderings_table(found: tuple[Ordering, ...], wrong_only: bool = False) -> str:
    """One row per ordering (or per wrong one): the model, the two chips, which is ahead as measured and as chiplab
    says, and whether chiplab has it right."""
    found = _orderings(found)
    rows = [[o.first.setup.config.name, o.first.kind, _chip(o.first), _chip(o.second),
             _chip(o.first if o.published_ratio > 1 else o.second),
             _chip(o.first if o.predicted_ratio > 1 else o.second), "right" if o.right else "wrong"]
            for o in found if not (wrong_only and o.right)]
    return markdown_table(["model", "kind", "chip 1", "chip 2", "faster per chip, measured", "faster, chiplab",
                           "ordering"], rows)


def dominant_part(case: ValidationCase) -> str:
    """What takes most of chiplab's time in the case: for training the largest part of the step's breakdown; for
    serving, decode or prefill, and what limits the ops that take most of that phase."""
    instance_of("case", case, ValidationCase, "a ValidationCase (one of validate().cases)")
    estimate = case.estimate
    if isinstance(estimate, ServingEstimate):
        decode_s = estimate.output_len * estimate.decode_step_s
        phase, step = (("decode", estimate.mean_decode) if decode_s >= estimate.prefill_s
                       else ("prefill", estimate.prefill))
        by_bound = step.time_by("bottleneck")
        return f"{phase}, {max(by_bound, key=by_bound.__getitem__)}-bound"
    parts = estimate.breakdown_s()
    return max(parts, key=parts.__getitem__)


def misses_table(report: ValidationReport, num_cases: int = 10) -> str:
    """The ``num_cases`` cases with the largest |error|: published, predicted, signed error, what dominates the
    estimate, and how many setup fields the source left unstated (filled with documented defaults)."""
    report = checked_report("report", report)
    num_cases = positive_int("num_cases", num_cases)
    worst = largest_misses(report, num_cases)
    rows = [[c.setup.config.name, _chip(c), c.kind, c.quantity.replace("_", " "), f"{c.published:.3g}",
             f"{c.predicted:.3g}", f"{c.error_fraction:+.0%}", dominant_part(c), len(c.setup.defaults)]
            for c in worst]
    return markdown_table(["model", "chip", "kind", "quantity", "published", "chiplab", "error",
                           "largest part of chiplab's time", "unstated setup fields"], rows)


def _orderings(found: object) -> tuple[Ordering, ...]:
    if not isinstance(found, (tuple, list)) or not all(isinstance(o, Ordering) for o in found):
        raise ChiplabInputError(f"found must be the orderings of chiplab.perf.orderings(report); got {found!r:.80}")
    return tuple(found)


def num_right(found: tuple[Ordering, ...]) -> int:
    """How many of the orderings chiplab has right (which chip is ahead, as measured)."""
    return sum(o.right for o in _orderings(found))


def _cases_of(report: ValidationReport, family: str | None, kind: str | None) -> tuple[ValidationCase, ...]:
    """The cases of a family and/or kind; refused when there are none (a median of nothing is no answer)."""
    cases = report.select(family=family, kind=kind).cases
    if not cases:
        raise ChiplabInputError(f"no validated cases for family={family!r}, kind={kind!r}")
    return cases


def share_optimistic(report: ValidationReport, *, family: str | None = None, kind: str | None = None) -> float:
    """Share of the selected cases where chiplab is faster than measured (error > 0)."""
    report = checked_report("report", report)
    cases = _cases_of(report, family, kind)
    return sum(c.error_fraction > 0 for c in cases) / len(cases)


def median_error(report: ValidationReport, *, family: str | None = None, kind: str | None = None) -> float:
    """Median *signed* error of the selected cases (its sign says which way chiplab leans)."""
    report = checked_report("report", report)
    return statistics.median(c.error_fraction for c in _cases_of(report, family, kind))


def errors_by_group(report: ValidationReport) -> dict[str, list[float]]:
    """Signed errors per "family kind" group, for the error-distribution figure."""
    report = checked_report("report", report)
    return {f"{FAMILY_LABELS[family]} {kind}": [c.error_fraction for c in report.select(family=family, kind=kind).cases]
            for family in FAMILY_LABELS for kind in KINDS}


def num_improved(report: ValidationReport, other: ValidationReport) -> int:
    """Cases (by id, run in both) whose |error| is smaller in ``report`` than in ``other``."""
    report, other = checked_report("report", report), checked_report("other", other)
    before = {c.id: abs(c.error_fraction) for c in other.cases}
    return sum(abs(c.error_fraction) < before[c.id] for c in report.cases if c.id in before)


def num_with_defaults(report: ValidationReport) -> int:
    """Cases whose source left at least one setup field unstated (filled with a documented default)."""
    report = checked_report("report", report)
    return sum(bool(c.setup.defaults) for c in report.cases)


# A catalog chip of each vendor family, to ask error_band for the family's band.
FAMILY_EXAMPLE_CHIPS = {"tpu": "tpu_v5p", "trainium": "trainium2", "nvidia": "h100_sxm", "amd": "mi300x"}


def _fallback(source: str) -> str:
    """Which group a band came from, in words (error_band names its fallback in its source)."""
    if "all cases" in source:
        return "every case (too few of the family)"
    if "both kinds" in source:
        return "the family's cases of both kinds (too few of this kind)"
    return "these cases"


def bands_table() -> str:
    """The error band every estimate of each family and kind carries (chiplab.perf.error_band, from the stored
    record): the range of true ÷ predicted speed, and the cases it rests on."""
    rows = []
    for family, chip in FAMILY_EXAMPLE_CHIPS.items():
        for kind in KINDS:
            band = error_band(chip, kind)
            rows.append([f"{FAMILY_LABELS[family]} {kind}", f"{1 / (1 + band.high_fraction):.2f}",
                         f"{1 / (1 + band.low_fraction):.2f}", band.num_cases, _fallback(band.source)])
    return markdown_table(["estimates of", "true ÷ predicted speed, low", "high", "cases", "band from"], rows)


def largest_misses(report: ValidationReport, num_cases: int = 10) -> tuple[ValidationCase, ...]:
    """The ``num_cases`` cases with the largest |error|, largest first."""
    report = checked_report("report", report)
    num_cases = positive_int("num_cases", num_cases)
    return tuple(sorted(report.cases, key=lambda c: abs(c.error_fraction), reverse=True)[:num_cases])


def num_misses_dominated_by(report: ValidationReport, phrase: str, num_cases: int = 10) -> int:
    """How many of the largest misses have ``phrase`` (e.g. "decode") in :func:`dominant_part`."""
    report = checked_report("report", report)
    instance_of("phrase", phrase, str, "a phrase such as 'HBM'")
    return sum(phrase in dominant_part(c) for c in largest_misses(report, num_cases))


def not_run_list(report: ValidationReport) -> str:
    """The cases not run, each with its reason, as a Markdown list (a sentence saying so when every run is placed,
    so that a page introducing the list never shows an empty one)."""
    report = checked_report("report", report)
    if not report.not_run:
        return f"- none: all {len(report.cases)} recorded runs are run."
    return "\n".join(f"- `{case.id}`: {case.reason}" for case in report.not_run)
