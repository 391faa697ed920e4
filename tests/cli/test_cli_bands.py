"""``chiplab train``/``serve`` print each model value with the range of the true one over its error band, and the
JSON carries ``low``/``high`` fields equal to the library's ranges (chiplab.perf estimates' ``*_range``)."""

import json

import pytest

from chiplab.cli import main
from chiplab.hardware import load_chip
from chiplab.perf import estimate_serving
from chiplab.workloads import load_model


def test_serve_json_has_the_librarys_ranges(capsys):
    assert main(["serve", "llama3-8b", "--chips", "h100", "--tp", "1", "--batch", "8", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    (row,) = shown["rows"]
    estimate = estimate_serving(load_model("llama3-8b"), load_chip("h100"), batch=8, prompt_len=2048, output_len=512)
    assert row["tokens/s/chip"] == pytest.approx(estimate.output_tokens_per_s_per_chip)
    low, high = estimate.output_tokens_per_s_per_chip_range
    assert (row["tokens/s/chip low"], row["tokens/s/chip high"]) == pytest.approx((low, high))
    assert row["ms/token low"] == pytest.approx(estimate.decode_step_s * 1e3 * estimate.time_s_range[0]
                                                / estimate.time_s)
    assert any(note.startswith("[low, high]") for note in shown["notes"])


def test_train_table_shows_brackets(capsys):
    assert main(["train", "llama3-8b", "--chips", "h100", "--tp", "4", "--dp", "4", "--batch", "32"]) == 0
    out = capsys.readouterr()
    assert "[" in out.out.splitlines()[2] and "[low, high]" in out.err
