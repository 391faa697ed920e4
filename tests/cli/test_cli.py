"""The chiplab command gives the same numbers as the Python API, and clear errors."""

import json
import subprocess
import sys

import pytest

from chiplab import Gemm, SystolicArraySpec, estimate
from chiplab.cli import main


def test_gemm_json_matches_api(capsys):
    assert main(["gemm", "300", "200", "100", "--array", "32x64", "--dataflow", "os", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    timing = estimate(Gemm(m=300, n=200, k=100), SystolicArraySpec(num_rows=32, num_cols=64), "os")
    assert shown["total_cycles"] == timing.total_cycles
    assert shown["sram_num_a_reads"] == timing.sram.num_a_reads


def test_gemm_table_is_readable(capsys):
    assert main(["gemm", "1024", "1024", "1024"]) == 0
    out = capsys.readouterr().out
    assert "weight-stationary" in out and "total_cycles" in out and "65,918" in out


def test_simulate_checks_itself_against_numpy(capsys):
    assert main(["simulate", "9", "7", "13", "--array", "4x3", "--dataflow", "is", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["product equals numpy a @ b"] is True
    assert shown["simulated total_cycles"] == shown["closed-form total_cycles"]


@pytest.mark.parametrize(("argv", "message"), [
    (["gemm", "0", "3", "3"], "m must be a whole number >= 1; got 0"),
    (["gemm", "3", "3", "3", "--array", "12x"], "--array must look like 128x128"),
    (["gemm", "3", "3", "3", "--dataflow", "rs"], "invalid choice: 'rs'"),
    (["scalesim", "-c", "missing.cfg", "-t", "missing.csv", "-p", "out"], "missing.cfg"),
])
def test_errors_are_one_line_not_tracebacks(argv, message):
    result = subprocess.run([sys.executable, "-m", "chiplab", *argv], capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_everywhere():
    for argv in (["--help"], ["gemm", "--help"], ["simulate", "--help"], ["scalesim", "--help"], ["chips", "--help"],
                 ["chip", "--help"], ["train", "--help"], ["serve", "--help"], ["validate", "--help"]):
        result = subprocess.run([sys.executable, "-m", "chiplab", *argv], capture_output=True, text=True)
        assert result.returncode == 0 and "usage: chiplab" in result.stdout


def test_chips_lists_the_catalog_as_json(capsys):
    assert main(["chips", "--kind", "real", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"trainium2", "tpu_v5p", "h100_sxm"} <= {row["id"] for row in rows}


def test_chip_sources(capsys):
    assert main(["chip", "trn2", "--sources", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    hbm = next(r for r in rows if r["field"] == "memory.HBM.bandwidth_bytes_per_s")
    assert hbm["as published"] == "2.9 TB/s" and hbm["url"].startswith("https://")


def test_train_compares_chips_and_explains_missing_prices(capsys):
    assert main(["train", "llama3-8b", "--chips", "trn2,h100", "--tp", "4", "--dp", "4", "--batch", "32",
                 "--seq", "2048", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    rows = {row["chip"]: row for row in shown["rows"]}
    assert set(rows) == {"trainium2", "h100_sxm"}
    assert any("no on-demand price for trainium2" in note for note in shown["notes"])
    assert 0 < rows["h100_sxm"]["MFU"] < 1 and rows["h100_sxm"]["run $"] > 0
    assert rows["trainium2"]["run $"] is None  # no sourced on-demand price: shown as missing, not invented


def test_serve_and_validate(capsys):
    assert main(["serve", "llama3-8b", "--chips", "h100", "--batch", "8", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    assert row["$/M output tokens"] > 0
    assert main(["validate", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) >= 3


def test_unknown_model_suggests():
    result = subprocess.run([sys.executable, "-m", "chiplab", "train", "llama3-9b"], capture_output=True, text=True)
    assert result.returncode == 2 and "llama3_8b" in result.stderr and "Traceback" not in result.stderr


def test_gemm_on_a_chip_matches_the_perf_model(capsys):
    from chiplab.hardware import load_chip
    from chiplab.perf import gemm_on_chip

    assert main(["gemm", "4096", "4096", "4096", "--chip", "trn2", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    placed = gemm_on_chip(Gemm(m=4096, n=4096, k=4096), load_chip("trainium2"))
    assert shown["time_s"] == placed.time_s and shown["bottleneck"] == placed.bottleneck
