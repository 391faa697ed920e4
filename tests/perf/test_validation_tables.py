"""Chapter 9's list of the runs chiplab cannot place (chiplab.perf.validation_tables.not_run_list)."""

from chiplab.perf.validation import NotRunCase, ValidationReport, validate
from chiplab.perf.validation_tables import not_run_list


def test_an_empty_list_says_so():
    report = validate()
    everything_run = ValidationReport(report.cases, ())
    assert not_run_list(everything_run) == f"- none: all {len(report.cases)} recorded runs are run."


def test_each_case_not_run_is_listed_with_its_reason():
    report = validate()
    case = report.cases[0]
    not_run = NotRunCase(run=case.run, reason="a reason written here")
    text = not_run_list(ValidationReport(report.cases[1:], (not_run,)))
    assert text == f"- `{case.id}`: a reason written here"
