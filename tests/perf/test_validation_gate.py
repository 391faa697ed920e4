"""The accuracy gate: chiplab's predictions on the published end-to-end runs may not get worse unnoticed.

The stored record (chiplab/data/validation/record.toml) holds each case's prediction and error as last accepted. A
change that moves predictions (a catalog correction, a mechanism, calibration) must update the record in the same
commit, with a one-line reason: chiplab validate --update-record "why". Never loosen the tolerances instead.
"""

import pytest

from chiplab.perf import end_to_end_runs
from chiplab.perf.validation import validate
from chiplab.perf.validation_record import (
    CASE_TOLERANCE,
    UPDATE_COMMAND,
    RecordedCase,
    ValidationRecord,
    gate_failures,
    read_record,
)


def test_record_lists_exactly_the_measured_runs():
    stored = {case.id for case in read_record().cases}
    measured = {run.id for run in end_to_end_runs()}
    assert stored == measured, (f"record.toml and chiplab/data/measurements/runs_*.toml disagree: only in the "
                                f"record {sorted(stored - measured)}, only measured {sorted(measured - stored)}; "
                                f"run {UPDATE_COMMAND}")


@pytest.mark.slow
def test_accuracy_has_not_worsened():
    validate.cache_clear()  # measure the code as it is now, not a cached run
    problems = gate_failures(validate().recorded(), read_record())
    assert not problems, ("chiplab's predictions moved against the stored validation record:\n  "
                          + "\n  ".join(problems) + f"\nIf the change is meant to move them, run\n  {UPDATE_COMMAND}"
                          "\nand commit chiplab/data/validation/record.toml with it.")


def _case(case_id, error=None, not_run=""):
    if not_run:
        return RecordedCase(id=case_id, kind="training", family="tpu", chip="tpu_v5p", not_run=not_run)
    return RecordedCase(id=case_id, kind="training", family="tpu", chip="tpu_v5p", quantity="mfu_fraction",
                        published=0.5, predicted=0.5 * (1 + error), error=error, calibration="ideal")


def _record(*cases):
    return ValidationRecord(reason="test", updated=__import__("datetime").date(2026, 12, 7), cases=cases)


def test_gate_can_fail_on_each_rule():
    stored = _record(_case("a", 0.10), _case("b", -0.10), _case("c", 0.30), _case("d", not_run="no preset"))
    assert gate_failures(stored.cases, stored) == []
    # One case worse by more than 5 points (|error| 0.10 -> 0.16); the sign alone does not count (b: -0.10 -> 0.10).
    worse = gate_failures([_case("a", 0.10 + CASE_TOLERANCE + 0.01), _case("b", 0.10), *stored.cases[2:]], stored)
    assert worse[0].startswith("a: error +10.0% -> +16.0%")  # (it also moves the median of 3 cases)
    # The median worse by more than 1 point while no case moves by 5: every case 3 points worse.
    drift = gate_failures([_case("a", 0.13), _case("b", -0.13), _case("c", 0.33), stored.cases[3]], stored)
    assert drift == ["median |error| 10.0% -> 13.0% (worse by more than 1% point)"]
    assert gate_failures([*stored.cases[:3]], stored) == ["d: in the record but no longer in the measurement files"]
    assert gate_failures([*stored.cases, _case("e", 0.0)], stored)[0].startswith("e: in the measurement files")
    assert "no longer runs" in gate_failures([_case("a", not_run="x"), *stored.cases[1:]], stored)[0]
    assert "runs now" in gate_failures([*stored.cases[:3], _case("d", 0.0)], stored)[0]
