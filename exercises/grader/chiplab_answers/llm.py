"""Assignment 04: an LLM step — weight bytes, the decode floor, serving speed, training FLOPs and MFU.

By hand: a decode step must read every weight once, so weight bytes ÷ HBM bandwidth is its floor; training costs
about 6 FLOPs per parameter per token (Kaplan et al. 2020). With chiplab: :func:`chiplab.perf.estimate_serving`
for the time per output token and throughput, :func:`chiplab.perf.estimate_step` of a training step for MFU.
"""

from __future__ import annotations

from chiplab.grading.problems.llm import DTYPE_BYTES, LlmParams
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.step import StepEstimate, estimate_step
from chiplab.workloads.flop_formulas import six_n_d_flops
from chiplab.workloads.llm_steps import training_step
from chiplab.workloads.presets import load_model
from chiplab_answers.answer import Answer, Mistake


def serving(p: LlmParams) -> ServingEstimate:
    return estimate_serving(
        load_model(p.model), load_chip(p.chip), batch=p.serve_batch, prompt_len=p.prompt_len, output_len=p.output_len
    )


def training(p: LlmParams) -> StepEstimate:
    return estimate_step(training_step(load_model(p.model), batch=p.train_batch, seq_len=p.seq_len), load_chip(p.chip))


def answers(p: LlmParams) -> list[Answer]:
    weight_bytes = p.num_params * DTYPE_BYTES
    floor_s = weight_bytes / p.hbm_bandwidth_bytes_per_s
    served, trained = serving(p), training(p)
    tpot = served.time_per_output_token_s
    six_n = six_n_d_flops(p.num_params, 1)
    tokens = p.train_batch * p.seq_len
    return [
        Answer(
            "q1_weight_bytes",
            weight_bytes,
            "bytes = parameters × bytes per bf16 parameter",
            mistakes=(
                Mistake(p.num_params, "bf16 takes 2 bytes per parameter, not 1"),
                Mistake(4 * p.num_params, "the weights are bf16 (2 bytes), not fp32"),
            ),
        ),
        Answer(
            "q2_decode_floor_s",
            floor_s,
            "every weight crosses HBM once per decode step",
            mistakes=(
                Mistake(
                    2 * p.num_params * p.serve_batch / p.peak_flops_per_s,
                    "that is the compute time at peak; a decode step is limited by reading the weights",
                ),
                Mistake(floor_s * 1e3, "give the time in seconds, not milliseconds"),
                Mistake(floor_s * 8, "the bandwidth is in bytes per second; you divided bits by it"),
                Mistake(floor_s / 2, "count 2 bytes per bf16 parameter"),
            ),
        ),
        Answer(
            "q3_time_per_output_token_s",
            tpot,
            "use estimate_serving(...).time_per_output_token_s",
            mistakes=(
                Mistake(served.prefill_s, "that is the prefill of the prompt; this asks for one decode step"),
                Mistake(served.time_s, "that is the whole batch (prefill + every decode step)"),
                Mistake(
                    floor_s,
                    "that is the floor of Q2; chiplab's step also reads the KV cache and runs "
                    "the other ops — use its time_per_output_token_s",
                ),
                Mistake(tpot * 1e3, "give the time in seconds, not milliseconds"),
            ),
        ),
        Answer(
            "q4_tokens_per_s_per_chip",
            served.output_tokens_per_s_per_chip,
            "use estimate_serving(...).output_tokens_per_s_per_chip",
            mistakes=(
                Mistake(
                    1 / tpot,
                    "that is one sequence's rate; each decode step makes a token for every sequence of the batch",
                ),
                Mistake(
                    p.serve_batch / tpot, "close, but the prefill takes time too: use output_tokens_per_s_per_chip"
                ),
            ),
        ),
        Answer(
            "q5_training_flops_per_token",
            six_n,
            "≈ 6 FLOPs per parameter per token",
            mistakes=(
                Mistake(
                    2 * p.num_params, "that is the forward pass only; the backward pass costs about twice the forward"
                ),
                Mistake(3 * p.num_params, "count FLOPs (2 per multiply-accumulate), not MACs"),
            ),
        ),
        Answer(
            "q6_mfu_fraction",
            trained.mfu_fraction,
            "use estimate_step(training_step(model, batch=..., seq_len=...), chip).mfu_fraction",
            mistakes=(
                # HFU equals MFU without recomputation: the slip only shows when they differ
                *(
                    [
                        Mistake(
                            trained.hfu_fraction,
                            "that is the hardware FLOPs utilisation (HFU, recomputation "
                            "counted); MFU counts the model's FLOPs only",
                        )
                    ]
                    if abs(trained.hfu_fraction - trained.mfu_fraction) > 0.03 * trained.mfu_fraction
                    else []
                ),
                Mistake(
                    six_n * tokens / (trained.time_s * p.peak_flops_per_s),
                    "close: chiplab's model FLOPs also count the attention matmuls; use the estimate's "
                    "model_flops (or mfu_fraction)",
                ),
            ),
        ),
    ]
