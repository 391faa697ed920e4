"""``chiplab calibration`` shows what the estimates apply, not only what the fit found (issue 13, T12's note).

MI300X has no GEMV micro-benchmark of its own, so its bf16 weight-stream factor is the GPU family's (H100's vLLM
PR #49363 GEMVs, 0.87), but a memory-bound kernel class is applied at most at the chip's own STREAM factor: the
best of its RRZE gpu-stream entries (micro_memory.toml) ÷ the catalog's datasheet HBM bandwidth (about 0.79).
The expected value is worked out here from those entries, not read from the fit.
"""

import json

import pytest

from chiplab.cli import main
from chiplab.hardware import load_chip
from chiplab.perf import calibration_report, fitted_calibration, micro_benchmarks


def _mi300x_stream_fraction() -> float:
    """The best measured STREAM bandwidth of MI300X ÷ its datasheet HBM bandwidth (both from the data files)."""
    hbm = load_chip("mi300x").memory_level("offchip").bandwidth_bytes_per_s
    measured = [b.measured["bytes_per_s"] for b in micro_benchmarks()
                if b.chip == "mi300x" and b.kind == "memory_bandwidth" and b.kernel_class in (None, "stream")]
    assert measured, "the record's MI300X STREAM entries are gone: this test has nothing to check"
    return max(measured) / hbm


def test_mi300x_weight_stream_row_shows_the_stream_cap():
    stream = _mi300x_stream_fraction()
    rows = {row.label: row for row in calibration_report(("mi300x",)).factors}
    weight_stream = rows["weight_stream bf16"]
    assert weight_stream.factor.level.startswith("family")  # borrowed from peers: the cap can bite
    assert weight_stream.factor.value > stream  # the peers' GEMVs stream faster than MI300X's STREAM does
    assert weight_stream.applied == pytest.approx(stream, rel=1e-12)
    assert "STREAM" in weight_stream.cap
    # What the row says is applied is what the estimates use.
    assert weight_stream.applied == fitted_calibration("mi300x").weight_stream_efficiency_fraction
    assert rows["memory"].applied == pytest.approx(stream, rel=1e-12) and rows["memory"].cap == ""


def test_a_factor_reported_only_has_no_applied_value():
    rows = [row for row in calibration_report(("tpu_v5e",)).factors if "reported, not applied" in row.label]
    assert rows and all(row.applied is None and row.cap == "" for row in rows)


def test_cli_prints_fitted_applied_and_cap(capsys):
    main(["calibration", "--chips", "mi300x", "--json"])
    records = {r["factor"]: r for r in json.loads(capsys.readouterr().out)}
    row = records["weight_stream bf16"]
    assert row["applied"] == pytest.approx(_mi300x_stream_fraction(), rel=1e-12)
    assert row["applied"] < row["fitted"]
    assert "STREAM" in row["cap"]
    main(["calibration", "--chips", "mi300x"])
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["chip", "factor", "fitted", "applied", "cap", "from", "entries"]


def test_every_estimate_states_the_applied_value_of_a_capped_class():
    """The fallback sentence each MI300X estimate repeats names what is applied (its STREAM fraction), not only the
    peers' fitted GEMV value."""
    fallback = next(f for f in fitted_calibration("mi300x").fallbacks if "weight_stream" in f)
    assert f"applied as {_mi300x_stream_fraction():.3g}" in fallback and "STREAM" in fallback
