"""``chiplab validate``: chiplab against every published end-to-end run, with a summary and the cross-vendor orderings.

    chiplab validate                          # every case, the summary per family and kind, every ordering
    chiplab validate --family tpu --kind training
    chiplab validate --case palm_540b_tpu_v4_6144    # one case: setup defaults, notes, source
    chiplab validate --json                   # strict JSON: cases, not_run, summary, orderings
    chiplab validate --update-record "why"    # re-run and store record.toml (the accuracy gate's reference)
"""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING

from chiplab._lookup import lookup, normalize_name
from chiplab.cli._common import print_record, print_table, strict_json
from chiplab.errors import ChiplabInputError
from chiplab.perf.validation_record import FAMILY_LABELS, KINDS, UPDATE_COMMAND

# The models (and numpy) are imported inside the functions that run them, so that ``--help`` starts in milliseconds
# (benchmarks/bench_startup.py, tests/cli/test_startup.py).
if TYPE_CHECKING:
    from chiplab.perf.validation import NotRunCase, ValidationCase, ValidationReport
    from chiplab.perf.validation_summary import Ordering

PRICE_KIND = "on-demand"  # the price orderings compare on cost with (only chips that have one)


def _prices(report: ValidationReport) -> dict[str, float]:
    from chiplab.cost import price_for

    prices = {}
    for chip_id in sorted({case.run.chip for case in report.cases}):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prices[chip_id] = price_for(chip_id, PRICE_KIND).usd_per_chip_hour
        except ChiplabInputError:
            continue  # no sourced price: the pair is compared on speed only
    return prices


def _case_row(case: ValidationCase) -> dict:
    return {"id": case.id, "chip": case.run.chip, "kind": case.kind, "family": FAMILY_LABELS[case.family],
            "model": case.run.model, "quantity": case.quantity, "published": case.published,
            "predicted": case.predicted, "error": case.error_fraction, "calibration": case.calibration,
            "defaults": list(case.setup.defaults), "notes": list(case.notes),
            "source": f"{case.run.source.title} ({case.run.source.url}), {case.run.where}"}


def _not_run_row(case: NotRunCase) -> dict:
    return {"id": case.id, "chip": case.run.chip, "kind": case.kind, "family": FAMILY_LABELS[case.family],
            "reason": case.reason}


def _ordering_row(o: Ordering) -> dict:
    return {"model": o.first.run.model, "kind": o.first.kind, "measure": o.measure, "first": o.first.id,
            "second": o.second.id, "published_leader": o.published_leader, "predicted_leader": o.predicted_leader,
            "published_ratio": o.published_ratio, "predicted_ratio": o.predicted_ratio, "right": o.right}


def _summary_rows(report: ValidationReport) -> list[dict]:
    from chiplab.perf.validation_summary import summarize

    return [{"group": g.name, "cases": g.num_cases, "not_run": g.num_not_run,
             "median_abs_error": g.median_abs_error_fraction, "within_10_percent": g.within_10_fraction}
            for g in summarize(report)]


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print_text(report: ValidationReport, found: tuple[Ordering, ...]) -> None:
    from chiplab.perf.validation_summary import WITHIN_FRACTION

    print_table(["case", "chip", "kind", "quantity", "published", "predicted", "error", "calibration", "defaults"],
                [[c.id, c.run.chip, c.kind, c.quantity, f"{c.published:.4g}", f"{c.predicted:.4g}",
                  f"{c.error_fraction:+.1%}", c.calibration, len(c.setup.defaults)] for c in report.cases], False)
    print("\nerror: predicted speed / published speed - 1 (for a time, published / predicted - 1); positive = chiplab "
          "faster. 'defaults': setup fields the source does not state (chiplab validate --case ID lists them).")
    if report.not_run:
        print(f"\nnot run ({len(report.not_run)}):")
        print_table(["case", "chip", "kind", "reason"],
                    [[n.id, n.run.chip, n.kind, n.reason] for n in report.not_run], False)
    print(f"\nsummary (within: |error| <= {WITHIN_FRACTION:.0%}):")
    print_table(["group", "cases", "not run", "median |error|", "within"],
                [[r["group"], r["cases"], r["not_run"], _share(r["median_abs_error"]),
                  _share(r["within_10_percent"])] for r in _summary_rows(report) if r["cases"] or r["not_run"]],
                False)
    right = sum(o.right for o in found)
    print(f"\ncross-vendor orderings: {right} of {len(found)} right (same model and kind, different vendors; "
          f"'cheaper' only where both chips have an {PRICE_KIND} price; ratio > 1: the first is ahead)")
    print_table(["model", "kind", "measure", "first", "second", "measured ratio", "chiplab ratio", "right"],
                [[o.first.run.model, o.first.kind, o.measure, o.first.id, o.second.id, f"{o.published_ratio:.3g}",
                  f"{o.predicted_ratio:.3g}", "yes" if o.right else "NO"] for o in found], False)


def _show_case(report: ValidationReport, wanted: str, as_json: bool) -> None:
    from chiplab.perf.validation import ValidationCase

    everything: dict[str, ValidationCase | NotRunCase] = {c.id: c for c in report.cases}
    everything.update({n.id: n for n in report.not_run})
    everything_by_key = {normalize_name(i): i for i in everything}
    found = everything[lookup(wanted, everything_by_key, what="validation case",
                              known=lambda: [f"{len(everything)} ids, listed by 'chiplab validate'"],
                              example="palm_540b_tpu_v4_6144",
                              also_close=lambda key: [k for k in sorted(everything_by_key) if key in k])]
    row = _case_row(found) if isinstance(found, ValidationCase) else _not_run_row(found)
    if as_json:
        print(strict_json(row))
        return
    flat = {key: ("; ".join(value) or "none") if isinstance(value, list) else value for key, value in row.items()}
    print_record(flat, False)


def _cmd_validate(args: argparse.Namespace) -> int:
    from chiplab.perf.validation import update_record, validate
    from chiplab.perf.validation_summary import orderings

    if args.update_record is not None:
        if args.case or args.family or args.kind:
            raise ChiplabInputError("--update-record re-runs and stores every case; give it alone (no --case, "
                                    "--family or --kind)")
        print(update_record(args.update_record))
        return 0
    report = validate()
    if args.case:
        _show_case(report, args.case, args.json)
        return 0
    report = report.select(family=args.family, kind=args.kind)
    found = orderings(report, _prices(report))
    if args.json:
        print(strict_json({"cases": [_case_row(c) for c in report.cases],
                           "not_run": [_not_run_row(n) for n in report.not_run],
                           "summary": _summary_rows(report),
                           "orderings": [_ordering_row(o) for o in found],
                           "orderings_right": sum(o.right for o in found), "orderings_total": len(found)}))
        return 0
    _print_text(report, found)
    return 0


def add_commands(sub) -> None:
    validate_parser = sub.add_parser(
        "validate", help="chiplab vs every published end-to-end run: errors, summary, cross-vendor orderings",
        description=f"Run every end-to-end run of the measurement record through chiplab (default calibration) and "
                    f"compare. The accuracy gate's stored record is rewritten by {UPDATE_COMMAND}.")
    validate_parser.add_argument("--case", help="show one case (id; close matches are suggested)")
    validate_parser.add_argument("--family", choices=list(FAMILY_LABELS),
                                 help="only one vendor family (trainium: Trainium and Inferentia)")
    validate_parser.add_argument("--kind", choices=list(KINDS), help="only training or only serving runs")
    validate_parser.add_argument("--update-record", metavar="REASON",
                                 help="re-run every case and store chiplab/data/validation/record.toml with this "
                                      "one-line reason")
    validate_parser.add_argument("--json", action="store_true", help="print strict JSON instead of tables")
    validate_parser.set_defaults(func=_cmd_validate)
