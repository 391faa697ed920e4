"""Evaluation passes inside a timed training run: what a time-to-train benchmark spends off the training steps.

MLPerf Training's time to train runs from ``run_start`` to ``run_stop`` and includes the periodic evaluations the
rules require (MLPerf Training rules, "Benchmark timing": evaluation is part of the timed region): GPT-3 175B, for
example, evaluates the loss on the benchmark's C4 validation set (5,662 sequences of 2,048 tokens in Google's
``validation_tokenized_5662seqs`` split; NVIDIA logs ``eval_samples`` 11,590,004 tokens) after every ~24,576 training
sequences — about a fifth of the training tokens, forward only. NVIDIA's 11,616-GPU log shows it: 0.7 s of
evaluation after each 8.3 s block of training (``eval_start``/``eval_stop`` in ``result_0.txt``).

An evaluation is a forward pass over the evaluation tokens on the training layout: each chip runs the forward ops of
its shard (no recomputation, no backward, no optimizer), with the same pipeline fill and drain as training:

    T_eval = num_evals · eval_tokens · (forward time of one microbatch · m · (1 + bubble/compute)) / tokens per step
"""

from __future__ import annotations

from chiplab._checks import instance_of, non_negative_int
from chiplab.perf.training import TrainingEstimate


def forward_s_per_token(estimate: TrainingEstimate) -> float:
    """Seconds per token of the whole machine for a forward-only pass at ``estimate``'s layout (see the module
    docstring): the microbatch's forward-stage ops, times the microbatches, stretched by the pipeline bubble."""
    instance_of("estimate", estimate, TrainingEstimate, "a TrainingEstimate (estimate_training(...))")
    forward_s = estimate.microbatch_step.time_by("stage").get("forward", 0.0) * estimate.num_microbatches
    bubble = estimate.bubble_s / estimate.compute_s if estimate.compute_s > 0 else 0.0
    return forward_s * (1 + bubble) / (estimate.global_batch * estimate.seq_len)


def evaluation_s(estimate: TrainingEstimate, *, eval_tokens: int, num_evals: int) -> float:
    """Time of ``num_evals`` evaluations of ``eval_tokens`` tokens each at ``estimate``'s layout."""
    eval_tokens = non_negative_int("eval_tokens", eval_tokens)
    num_evals = non_negative_int("num_evals", num_evals)
    return num_evals * eval_tokens * forward_s_per_token(estimate)


__all__ = ["evaluation_s", "forward_s_per_token"]
