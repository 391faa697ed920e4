"""``chiplab validate``: the table, strict JSON, filters, one case, unknown ids, and the record update's refusal."""

import json
import math

import pytest

from chiplab.cli import main
from chiplab.perf.validation import validate

pytestmark = pytest.mark.slow  # runs every case once (cached for the session)


def test_json_is_strict_and_lists_every_case(capsys):
    assert main(["validate", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"non-strict {name}"))
    report = validate()
    assert [c["id"] for c in shown["cases"]] == [c.id for c in report.cases]
    assert {n["id"] for n in shown["not_run"]} == {n.id for n in report.not_run}
    for row in shown["cases"]:
        assert {"id", "published", "predicted", "error", "calibration", "defaults"} <= set(row)
        assert math.isfinite(row["error"]) and row["published"] > 0 and row["predicted"] > 0
    assert shown["summary"][0]["group"] == "all" and shown["summary"][0]["cases"] == len(report.cases)
    assert shown["orderings_total"] == len(shown["orderings"])
    assert shown["orderings_right"] == sum(o["right"] for o in shown["orderings"])


def test_text_has_cases_summary_and_orderings(capsys):
    assert main(["validate", "--family", "tpu", "--kind", "training"]) == 0
    out = capsys.readouterr().out
    assert "palm_540b_tpu_v4_6144" in out and "median |error|" in out and "cross-vendor orderings" in out
    assert "trtllm_" not in out.split("summary")[0]  # the filters keep only TPU training cases in the table


def test_one_case_and_close_matches(capsys):
    assert main(["validate", "--case", "PALM-540B-TPU-V4-6144", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == "palm_540b_tpu_v4_6144" and row["published"] == 0.462  # PaLM paper, Table 3
    assert main(["validate", "--case", "palm"]) == 2
    assert "did you mean palm_540b_tpu_v4_6144" in capsys.readouterr().err


def test_update_record_refuses_filters(capsys):
    assert main(["validate", "--update-record", "x", "--kind", "training"]) == 2
    assert "give it alone" in capsys.readouterr().err
