"""Error bands from the stored validation record, and the record file's own checks.

Expected percentiles are recomputed here from the record file read with tomllib and numpy's percentile (neither
written here), independently of chiplab's reader and grouping.
"""

import tomllib

import numpy as np
import pytest

from chiplab.errors import ChiplabInputError
from chiplab.perf import ErrorBand, error_band
from chiplab.perf.validation_bands import MIN_CASES
from chiplab.perf.validation_record import parse_record, record_path


def _stored_cases():
    return [c for c in tomllib.loads(record_path().read_text())["case"] if "error" in c]


@pytest.mark.parametrize(("chip", "family", "kind"), [("h100_sxm", "nvidia", "training"),
                                                      ("tpu_v5p", "tpu", "training"),
                                                      ("trainium2", "trainium", "serving")])
def test_band_is_the_10th_to_90th_percentile_of_the_group(chip, family, kind):
    group = [c["error"] for c in _stored_cases() if c["family"] == family and c["kind"] == kind]
    if len(group) < MIN_CASES:
        pytest.skip(f"fewer than {MIN_CASES} {family} {kind} cases in the record: the fallback test covers it")
    band = error_band(chip, kind)
    assert (band.low_fraction, band.high_fraction) == pytest.approx(tuple(np.percentile(group, [10, 90])))
    assert band.num_cases == len(group)
    assert f"{kind} cases" in band.source and "record.toml" in band.source


def test_small_groups_fall_back_and_say_so():
    cases = _stored_cases()
    families = {"tpu", "trainium", "nvidia", "amd"}
    kinds = {"training", "serving"}
    small = [(f, k) for f in families for k in kinds
             if len([c for c in cases if c["family"] == f and c["kind"] == k]) < MIN_CASES]
    if not small:
        pytest.skip("every family/kind group has enough cases")
    family, kind = small[0]
    chip = {"tpu": "tpu_v5p", "trainium": "trainium2", "nvidia": "h100_sxm", "amd": "mi300x"}[family]
    band = error_band(chip, kind)
    family_errors = [c["error"] for c in cases if c["family"] == family]
    expected = family_errors if len(family_errors) >= MIN_CASES else [c["error"] for c in cases]
    assert band.num_cases == len(expected)
    assert "fewer than" in band.source
    assert (band.low_fraction, band.high_fraction) == pytest.approx(tuple(np.percentile(expected, [10, 90])))


def test_apply_inverts_the_error_definition():
    band = ErrorBand(low_fraction=-0.2, high_fraction=0.5, num_cases=10, source="hand-made")
    # error = predicted / true - 1, so a prediction of 120 means true in [120 / 1.5, 120 / 0.8] = [80, 150].
    assert band.apply(120.0) == pytest.approx((80.0, 150.0))
    # times: true time = predicted time x (1 + error): 10 s → [8 s, 15 s].
    assert band.apply_to_time(10.0) == pytest.approx((8.0, 15.0))


@pytest.mark.parametrize(("kwargs", "field"), [({"low_fraction": -1.0}, "low_fraction"),
                                               ({"low_fraction": 0.6}, "low_fraction"),
                                               ({"high_fraction": float("nan")}, "high_fraction"),
                                               ({"num_cases": 0}, "num_cases")])
def test_band_refuses_impossible_values(kwargs, field):
    with pytest.raises(ChiplabInputError, match=field):
        ErrorBand(**{"low_fraction": -0.1, "high_fraction": 0.5, "num_cases": 5, "source": "x", **kwargs})


def test_error_band_bad_input():
    with pytest.raises(ChiplabInputError, match="kind"):
        error_band("h100", "inference")
    with pytest.raises(ChiplabInputError, match="unknown chip"):
        error_band("h1000", "training")
    with pytest.raises(ChiplabInputError, match="validation families"):
        error_band("toy_4x4", "training")


GOOD = """reason = "test"
updated = 2026-12-07

[[case]]
id = "a"
kind = "training"
family = "tpu"
chip = "tpu_v5p"
quantity = "mfu_fraction"
published = 0.5
predicted = 0.6
error = 0.2
calibration = "ideal"
"""


def test_record_parses_and_names_file_entry_and_field_on_errors():
    assert parse_record(GOOD, "r.toml").cases[0].error == 0.2
    with pytest.raises(ChiplabInputError, match=r"r\.toml: entry 'a': field 'id' is duplicated"):
        parse_record(GOOD + GOOD.split("\n\n", 1)[1].replace("reason", "#"), "r.toml")
    with pytest.raises(ChiplabInputError, match=r"r\.toml: entry 'a': missing required key 'calibration'"):
        parse_record(GOOD.replace('calibration = "ideal"\n', ""), "r.toml")
    with pytest.raises(ChiplabInputError, match=r"r\.toml: entry 'a': field 'error' must be a finite number"):
        parse_record(GOOD.replace("error = 0.2", 'error = "big"'), "r.toml")
    with pytest.raises(ChiplabInputError, match=r"r\.toml: missing required key 'reason'"):
        parse_record(GOOD.replace('reason = "test"\n', ""), "r.toml")
