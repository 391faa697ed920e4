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
    assert main(["chips", "--json"]) == 0  # baselines too
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    # TPU v1 paper (Jouppi et al. 2017) Table 2: a K80 die has 12 GiB of GDDR5 (recorded in 310ac6a).
    assert rows["k80_die"]["kind"] == "baseline" and rows["k80_die"]["HBM GiB"] == 12
    assert rows["k80_die"]["HBM GB/s"] == 160


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


@pytest.mark.slow
def test_serve_at_a_speed_target_matches_serve_at_speed(capsys):
    """--tokens-per-s-per-request: the batch shown is serve_at_speed's, and its decode meets the target."""
    from chiplab.hardware import load_chip
    from chiplab.perf import serve_at_speed
    from chiplab.workloads import load_model

    assert main(["serve", "llama3-8b", "--chips", "h100", "--tp", "1", "--tokens-per-s-per-request", "40",
                 "--prompt", "1024", "--output", "256", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    (row,) = shown["rows"]
    target = serve_at_speed(load_model("llama3-8b"), load_chip("h100"), tokens_per_s_per_request=40,
                            prompt_len=1024, output_len=256)
    assert row["batch"] == target.batch and 1000 / row["ms/token"] >= 40
    assert any("largest that meets 40 tokens/s per request" in note for note in shown["notes"])


@pytest.mark.slow
def test_serve_precision_and_kv_sharding_flags(capsys):
    """int8 weights halve the bytes a batch-1 decode reads; sequence-sharded KV lets 16-way TP on 8 KV heads split
    the cache, so more fits (weights 70e9 × 2 B / 16 per chip either way)."""
    argv = ["serve", "llama3-8b", "--chips", "h100", "--tp", "1", "--batch", "1", "--json"]
    assert main(argv) == 0
    bf16 = json.loads(capsys.readouterr().out)["rows"][0]
    assert main([*argv, "--weight-dtype", "int8"]) == 0
    int8 = json.loads(capsys.readouterr().out)["rows"][0]
    assert 0.45 < int8["ms/token"] / bf16["ms/token"] < 0.6
    assert main(["serve", "llama3-70b", "--chips", "h100", "--tp", "16", "--kv-sharding", "sequence",
                 "--tokens-per-s-per-request", "20", "--json"]) == 0
    sharded = json.loads(capsys.readouterr().out)["rows"][0]
    assert main(["serve", "llama3-70b", "--chips", "h100", "--tp", "16", "--tokens-per-s-per-request", "20",
                 "--json"]) == 0
    replicated = json.loads(capsys.readouterr().out)["rows"][0]
    assert sharded["batch"] > replicated["batch"]


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "message"), [
    (["--batch", "8", "--tokens-per-s-per-request", "20"], "give --batch or --tokens-per-s-per-request, not both"),
    (["--tokens-per-s-per-request", "0"], "--tokens-per-s-per-request: must be a finite number > 0"),
    (["--tokens-per-s-per-request", "nan"], "must be a finite number > 0"),
    (["--weight-dtype", "fp32"], "weight_dtype 'fp32' is wider than the arithmetic dtype 'bf16'"),
    (["--dtype", "int8", "--weight-dtype", "fp8"], "int8 arithmetic needs integer weights"),
    (["--kv-sharding", "pipeline"], "invalid choice: 'pipeline'"),
    (["--weight-dtype", "int3"], "invalid choice: 'int3'"),
])
def test_serve_flag_errors_are_one_line(argv, message):
    result = subprocess.run([sys.executable, "-m", "chiplab", "serve", "llama3-8b", "--chips", "h100", *argv],
                            capture_output=True, text=True)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_an_unreachable_speed_says_how_fast_it_can_go():
    result = subprocess.run([sys.executable, "-m", "chiplab", "serve", "llama3-8b", "--chips", "h100",
                             "--tokens-per-s-per-request", "100000"], capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    assert "no batch meets 100000 tokens/s per request" in result.stderr + result.stdout
    assert "every --tp up to" in result.stderr + result.stdout


def test_a_format_the_chip_lacks_is_named_without_memory_advice(capsys):
    """Trainium2 publishes no int8 rate: the note says which formats it has, not to lower the batch."""
    assert main(["serve", "llama3-8b", "--chips", "trn2,h100", "--dtype", "int8", "--batch", "4", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [row["chip"] for row in shown["rows"]] == ["h100_sxm"]
    (note,) = [note for note in shown["notes"] if note.startswith("trainium2")]
    assert "has no int8 peak; dtype must be one of" in note and "lower --batch" not in note
