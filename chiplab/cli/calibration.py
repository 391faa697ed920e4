"""``chiplab calibration``: the calibration fitted from the micro-benchmarks, and its leave-one-source-out error."""

from __future__ import annotations

import argparse

from chiplab.cli._common import print_table


def _cmd_calibration(args: argparse.Namespace) -> None:
    from chiplab.hardware.catalog import load_chip
    from chiplab.perf.calibration_errors import FACTOR_COLUMNS, calibration_report

    chips = None if args.chips is None else tuple(load_chip(c.strip()).id for c in args.chips.split(",") if c.strip())
    report = calibration_report(chips)
    if args.errors:
        rows = [[s.source_id, len(s.predictions), s.median_abs_error_fraction, s.max_abs_error_fraction,
                 ", ".join(sorted({p.quantity for p in s.predictions})) or "nothing fitted from it"]
                for s in report.sources]
        print_table(["left-out source", "entries predicted", "median |error|", "max |error|", "quantities"], rows,
                    args.json)
        return
    print_table(FACTOR_COLUMNS, [row.values for row in report.factors], args.json)


def add_commands(sub) -> None:
    cal = sub.add_parser("calibration", help="the calibration fitted from the micro-benchmarks (factors per chip) "
                         "and its leave-one-source-out error (--errors)")
    cal.add_argument("--chips", help="comma-separated chip ids or aliases (default: every real chip)")
    cal.add_argument("--errors", action="store_true",
                     help="the leave-one-source-out table: refit without each source, predict its entries")
    cal.add_argument("--json", action="store_true", help="machine-readable output")
    cal.set_defaults(func=_cmd_calibration)
