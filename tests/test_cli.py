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
    for argv in (["--help"], ["gemm", "--help"], ["simulate", "--help"], ["scalesim", "--help"]):
        result = subprocess.run([sys.executable, "-m", "chiplab", *argv], capture_output=True, text=True)
        assert result.returncode == 0 and "usage: chiplab" in result.stdout
