"""One view of an LLM step (chiplab.perf.llm): it reads the training and serving estimates faithfully, its parts
add up, invalid setups name the problem, and batching behaves as serving does (Pope et al. 2022, Sec. 2)."""

import numpy as np
import pytest

from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import estimate_serving, estimate_training
from chiplab.perf.llm import (
    OPTIMIZER,
    STEP_CATEGORIES,
    TENSOR_PARALLEL_COMM,
    estimate_llm,
    op_category,
    sweep_serving_batch,
    training_table,
)
from chiplab.workloads import Parallelism, load_model
from chiplab.workloads.describe import ATTENTION_SCORES

LLAMA_8B = load_model("llama3-8b")
TRN2 = load_chip("trainium2")


def test_training_is_the_training_estimate():
    parallelism = Parallelism(tensor=4, data=8)
    view = estimate_llm(LLAMA_8B, TRN2, mode="training", batch=32, seq_len=4096, parallelism=parallelism,
                        recompute="selective")
    direct = estimate_training(LLAMA_8B, TRN2, parallelism=parallelism, global_batch=32, seq_len=4096,
                               recompute="selective")
    assert view.time_s == pytest.approx(direct.time_s)
    assert view.mfu_fraction == pytest.approx(direct.mfu_fraction)
    assert view.tokens_per_s == pytest.approx(direct.tokens_per_s)
    assert view.num_chips == 32 and view.tokens_per_s_per_chip == pytest.approx(direct.tokens_per_s / 32)
    assert sum(view.parts_s.values()) == pytest.approx(view.time_s)
    assert view.memory == direct.memory and view.memory_fraction < 1


@pytest.mark.parametrize("mode", ["prefill", "decode"])
def test_serving_modes_read_the_serving_estimate(mode):
    view = estimate_llm(LLAMA_8B, TRN2, mode=mode, batch=8, seq_len=1024, output_len=128,
                        parallelism=Parallelism(tensor=2))
    served = estimate_serving(LLAMA_8B, TRN2, batch=8, prompt_len=1024, output_len=128, tensor_parallel=2)
    if mode == "prefill":
        assert view.time_s == pytest.approx(served.prefill_s) and view.num_tokens == 8 * 1024
    else:
        assert view.time_s == pytest.approx(served.decode_step_s) and view.num_tokens == 8
    assert sum(view.parts_s.values()) == pytest.approx(view.time_s)
    assert view.parts_s[TENSOR_PARALLEL_COMM] > 0
    assert 0 < view.mfu_fraction < 1
    assert view.num_chips == 2


def test_decode_is_mostly_memory_bound_and_prefill_mostly_compute_bound():
    decode = estimate_llm(LLAMA_8B, TRN2, mode="decode", batch=1, seq_len=1024)
    prefill = estimate_llm(LLAMA_8B, TRN2, mode="prefill", batch=1, seq_len=4096)
    assert decode.parts_s["ops limited by HBM"] > decode.parts_s["ops limited by compute"]
    assert prefill.parts_s["ops limited by compute"] > prefill.parts_s["ops limited by HBM"]
    assert prefill.mfu_fraction > 5 * decode.mfu_fraction


@pytest.mark.parametrize("mode", ["training", "decode"])
def test_time_by_category_adds_up_to_one_chips_step(mode):
    view = estimate_llm(LLAMA_8B, TRN2, mode=mode, batch=8, seq_len=2048, parallelism=Parallelism(tensor=8),
                        recompute="full")
    parts = view.time_by_category
    assert [p.category for p in parts] == list(STEP_CATEGORIES)
    assert sum(p.time_s for p in parts) == pytest.approx(view.step.time_s)
    optimizer = next(p for p in parts if p.category == OPTIMIZER)
    assert (optimizer.time_s > 0) == (mode == "training")


def test_op_categories_follow_the_op_names():
    step = estimate_llm(LLAMA_8B, TRN2, mode="training", batch=8, seq_len=2048,
                        parallelism=Parallelism(tensor=8)).step
    by_name = {op.name: op_category(op) for op in step.ops}
    assert by_name["scores.grad_b"] == ATTENTION_SCORES and by_name["adamw_update"] == OPTIMIZER
    assert by_name["qkv_proj"] == STEP_CATEGORIES[0] and by_name["down_proj.grad_a"] == "MLP"
    assert by_name["logits"] == "output logits" and by_name["attn_norm"] == STEP_CATEGORIES[4]


def test_results_are_cached():
    kwargs = {"mode": "decode", "batch": 4, "seq_len": 512}
    assert estimate_llm(LLAMA_8B, TRN2, **kwargs) is estimate_llm(LLAMA_8B, TRN2, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "decode", "parallelism": Parallelism(pipeline=2)}, "serving .* pipeline \\(2\\)"),
    ({"mode": "training", "parallelism": Parallelism(tensor=3)}, "tensor parallelism 3 must divide num_heads"),
    ({"mode": "prefill", "parallelism": Parallelism(tensor=64)}, "tensor parallelism 64 must divide num_heads"),
    ({"mode": "training"}, "does not fit"),
    ({"mode": "serve"}, "mode must be one of training, prefill, decode"),
    ({"mode": "training", "recompute": "most"}, "recompute must be one of"),
])
def test_invalid_setups_name_the_problem(kwargs, message):
    kwargs = {"batch": 8, "seq_len": 2048, **kwargs}
    with pytest.raises(ChiplabInputError, match=message):
        estimate_llm(LLAMA_8B, TRN2, **kwargs)


def test_batching_shares_the_weights_until_memory_runs_out():
    sweep = sweep_serving_batch(LLAMA_8B, TRN2, batches=[1, 4, 16, 64, 256, 1024], prompt_len=2048, output_len=512)
    per_chip, per_user = sweep.output_tokens_per_s_per_chip, sweep.tokens_per_s_per_user
    assert (np.diff(per_chip) >= 0).all() and per_chip[-1] > 10 * per_chip[0]  # more requests, more tokens per chip
    assert (np.diff(per_user) < 0).all()  # ... each served more slowly
    assert sweep.fits[0] and not sweep.fits[-1]
    assert sweep.largest_fitting_batch == max(b for b, fits in zip(sweep.batch, sweep.fits, strict=True) if fits)
    assert sweep.at(16).batch == 16 and (sweep.decode_mfu_fraction < 1).all()
    assert sweep.to_markdown().count("\n") == 1 + 6
    with pytest.raises(ChiplabInputError, match="batch 3 is not in this sweep"):
        sweep.at(3)
    with pytest.raises(ChiplabInputError, match="batches must list"):
        sweep_serving_batch(LLAMA_8B, TRN2, batches=[], prompt_len=8, output_len=8)


def test_training_table_sets_runs_side_by_side():
    job = {"parallelism": Parallelism(tensor=8, data=2), "global_batch": 16, "seq_len": 2048, "recompute": "full"}
    runs = {"Trainium2": estimate_training(LLAMA_8B, TRN2, **job),
            "H100": estimate_training(LLAMA_8B, load_chip("h100_sxm"), **job)}
    table = training_table(runs)
    lines = table.splitlines()
    assert len(lines) == 2 + 2 and lines[2].startswith("| Trainium2 | 16 |")
    assert f"{runs['H100'].mfu_fraction:.1%}" in lines[3]
    with pytest.raises(ChiplabInputError, match="at least one"):
        training_table({})
