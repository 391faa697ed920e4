"""Evaluation passes inside a timed run (chiplab.perf.evaluation), checked by hand: a forward-only pass over E tokens
costs E x (forward time of a microbatch / its tokens); the forward pass is about a third of a training step's GEMM
work (Kaplan et al. 2020, Sec. 2.1: 2 of the 6 FLOPs per parameter per token)."""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.perf import estimate_step
from chiplab.perf.evaluation import evaluation_s, forward_s_per_token
from chiplab.perf.training import estimate_training
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.llm_steps import forward_step
from chiplab.workloads.presets import load_model

SEQ = 2048


@pytest.fixture(scope="module")
def step():
    return estimate_training(load_model("llama3_8b"), load_chip("h100_sxm"), parallelism=Parallelism(data=8),
                             global_batch=32, seq_len=SEQ, num_microbatches=4, check_memory=False)


def test_forward_per_token_by_hand(step):
    forward = step.microbatch_step.time_by("stage")["forward"]
    # 32 sequences over 8 replicas, 4 microbatches of 1 sequence each: one chip runs 4 forwards per 32 x SEQ tokens
    assert forward_s_per_token(step) == pytest.approx(forward * 4 / (32 * SEQ))
    # a third of the training compute, give or take the vector ops (no recomputation here)
    assert forward_s_per_token(step) * 32 * SEQ == pytest.approx(step.compute_s / 3, rel=0.15)


def test_an_evaluation_costs_what_the_forward_passes_cost_on_their_own(step):
    # Checked through a second, independent path: the plain forward-pass workload (workloads.forward_step) estimated
    # on one chip. Evaluating one global batch (32 sequences) on 8 replicas = 4 forward passes of one sequence each.
    one_forward_s = estimate_step(forward_step(load_model("llama3_8b"), batch=1, seq_len=SEQ),
                                  load_chip("h100_sxm")).time_s
    once = evaluation_s(step, eval_tokens=32 * SEQ, num_evals=1)
    assert once == pytest.approx(4 * one_forward_s, rel=0.02)
    assert evaluation_s(step, eval_tokens=32 * SEQ, num_evals=3) == pytest.approx(3 * once)
    assert evaluation_s(step, eval_tokens=32 * SEQ, num_evals=0) == 0.0


def test_pipeline_fill_and_drain_stretch_the_pass():
    config, chip = load_model("llama3_8b"), load_chip("h100_sxm")
    piped = estimate_training(config, chip, parallelism=Parallelism(pipeline=4, data=2), global_batch=16,
                              seq_len=SEQ, num_microbatches=8, check_memory=False)
    forward = piped.microbatch_step.time_by("stage")["forward"]
    assert forward_s_per_token(piped) == pytest.approx(forward * (8 + 3) / (16 * SEQ))  # (p - 1) = 3 slots


def test_bad_counts_are_refused(step):
    with pytest.raises(ChiplabInputError, match="num_evals"):
        evaluation_s(step, eval_tokens=10, num_evals=-1)
