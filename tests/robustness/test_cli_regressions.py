"""Issue 10, reproductions 1, 2, 11 and 12 (CLI part): every command line gets a table, or per-chip reasons and a
non-zero exit, or a one-line error; JSON is strict RFC 8259 and carries the notes."""

import json

import pytest

from chiplab.cli import main
from chiplab.workloads.presets import list_models, load_model


def _strict_json(text: str):
    """Parse as RFC 8259 JSON: NaN / Infinity are not JSON, so refuse them."""
    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("model", list_models())
@pytest.mark.parametrize("command", ["train", "serve"])
def test_default_flags_give_a_table_for_every_preset(command, model, capsys):
    # Reproduction 1: `chiplab serve llama3-70b` and `chiplab train llama3-405b` raised TypeError.
    assert main([command, model, "--json"]) == 0
    shown = _strict_json(capsys.readouterr().out)
    assert shown["rows"], shown["notes"]
    for row in shown["rows"]:
        assert row["chip"] in {"trainium2", "h100_sxm", "tpu_v5p", "tpu_v5e"}


def test_default_split_is_chosen_by_the_memory_model(capsys):
    # llama3-405b's weights and optimizer state do not fit 8-way on one H100's 80 GB: the default widens pipeline
    # parallelism, and the chosen split's footprint (the library's own) fits the chip's HBM.
    from chiplab.hardware import load_chip
    from chiplab.perf import estimate_training
    from chiplab.workloads.footprint import Parallelism

    assert main(["train", "llama3-405b", "--chips", "h100", "--json"]) == 0
    (row,) = _strict_json(capsys.readouterr().out)["rows"]
    t, p, d = (int(x) for x in row["TPxPPxDP"].split("x"))
    assert (t, p) != (8, 1)
    est = estimate_training(load_model("llama3-405b"), load_chip("h100"), global_batch=512, seq_len=4096,
                            recompute="full", parallelism=Parallelism(tensor=t, pipeline=p, data=d, zero_stage=1))
    assert est.memory.total_bytes <= load_chip("h100").hbm.capacity_bytes
    half = Parallelism(tensor=t, pipeline=p // 2, data=d, zero_stage=1)
    smaller = estimate_training(load_model("llama3-405b"), load_chip("h100"), global_batch=512, seq_len=4096,
                                recompute="full", parallelism=half, check_memory=False)
    assert smaller.memory.total_bytes > load_chip("h100").hbm.capacity_bytes  # the smallest that fits


@pytest.mark.parametrize("argv", [
    ["train", "llama3-8b", "--tp", "3"],
    ["serve", "llama3-8b", "--tp", "3"],
    ["train", "llama3-8b", "--chips", "toy_4x4"],
    ["serve", "llama3-8b", "--chips", "toy_4x4"],
    ["train", "llama3-8b", "--dp", "100000000"],
    ["train", "llama3-405b", "--tp", "1", "--pp", "1", "--chips", "h100"],
])
def test_nothing_estimated_gives_reasons_and_exit_1(argv, capsys):
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "nothing could be estimated" in captured.err and "Traceback" not in captured.err
    assert main([*argv, "--json"]) == 1
    shown = _strict_json(capsys.readouterr().out)
    assert shown["rows"] == [] and shown["notes"]


def test_each_reason_gives_its_own_advice(capsys):
    # An invalid split says what is allowed (a divisor of the 32 heads, Llama 3 8B's paper) and nothing about memory;
    # a split that does not fit (405B on a 1 GiB toy chip) says which flags make room.
    assert main(["train", "llama3-8b", "--tp", "3", "--chips", "h100"]) == 1
    invalid = capsys.readouterr().err
    assert "choose a divisor of 32" in invalid and "--zero 3" not in invalid
    assert main(["train", "llama3-405b", "--tp", "1", "--dp", "1", "--batch", "1", "--chips", "toy_dual"]) == 1
    assert "does not fit" in (too_big := capsys.readouterr().err) and "--zero 3" in too_big


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "llama3-8b", "--batch", "0"], "--batch: must be a whole number >= 1; got '0'"),
    (["train", "llama3-8b", "--seq", "0"], "--seq: must be a whole number >= 1"),
    (["train", "llama3-8b", "--tp", "0"], "--tp: must be a whole number >= 1"),
    (["serve", "llama3-8b", "--prompt", "0"], "--prompt: must be a whole number >= 1"),
    (["serve", "llama3-8b", "--output", "0"], "--output: must be a whole number >= 1"),
    (["serve", "llama3-8b", "--tp", "-2"], "--tp: must be a whole number >= 1; got '-2'"),
    (["train", "llama3-8b", "--chips", ""], "--chips must name at least one chip"),
    (["train", "llama3-8b", "--tokens", "-1"], "--tokens: must be a finite number > 0; got '-1'"),
    (["train", "llama3-8b", "--tokens", "nan"], "--tokens: must be a finite number > 0; got 'nan'"),
    (["train", "llama3-8b", "--tokens", "inf"], "--tokens: must be a finite number > 0; got 'inf'"),
    (["serve", "llama3-8b", "--utilization", "2"], "--utilization: must be a fraction in (0, 1]; got '2'"),
    (["serve", "llama3-8b", "--utilization", "0"], "--utilization: must be a fraction in (0, 1]"),
    (["serve", "llama3-8b", "--utilization", "-1"], "--utilization: must be a fraction in (0, 1]"),
    (["serve", "llama3-8b", "--utilization", "nan"], "--utilization: must be a fraction in (0, 1]"),
    # Reproduction 12: a negative array size reached argparse as an unknown option ("expected one argument").
    (["gemm", "4", "4", "4", "--array", "-4x4"], "num_rows must be a whole number >= 1; got -4"),
])
def test_bad_flags_are_refused_at_the_boundary(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_partial_results_keep_the_reasons_in_json(capsys):
    assert main(["serve", "llama3-8b", "--chips", "h100,toy_4x4", "--tp", "1", "--json"]) == 0
    shown = _strict_json(capsys.readouterr().out)
    assert [row["chip"] for row in shown["rows"]] == ["h100_sxm"]
    assert any(note.startswith("toy_4x4") for note in shown["notes"])
