"""Assignment 04: an LLM step — weight bytes, the decode floor, serving speed, training FLOPs and MFU.

By hand: a decode step must read every weight once, so weight bytes ÷ HBM bandwidth is its floor; training costs
about 6 FLOPs per parameter per token (Kaplan et al. 2020). With chiplab: :func:`chiplab.perf.estimate_serving`
for the time per output token and throughput, :func:`chiplab.perf.estimate_step` of a training step for MFU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.grading.checks import Answer, Mistake
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.step import StepEstimate, estimate_step
from chiplab.workloads.footprint import inference_memory
from chiplab.workloads.llm_steps import six_n_d_flops, training_step
from chiplab.workloads.presets import load_model

ASSIGNMENT = "04_llm_step"
MODEL = "llama3_8b"
CHIPS = ("h100_sxm", "a100_80gb", "tpu_v4", "tpu_v5p", "trainium1", "trainium2")  # one chip holds the 16 GB model
DTYPE_BYTES = 2  # bf16 weights


@dataclass(frozen=True)
class LlmParams:
    model: str = field(metadata={"doc": "the model (chiplab.workloads.load_model name), bf16"})
    num_params: int = field(metadata={"doc": "N, its parameters"})
    chip: str = field(metadata={"doc": "the chip (chiplab.hardware.load_chip name), one chip, no parallelism"})
    peak_flops_per_s: float = field(metadata={"doc": "the chip's dense bf16 peak, FLOP/s"})
    hbm_bandwidth_bytes_per_s: float = field(metadata={"doc": "the chip's HBM bandwidth, bytes/s"})
    serve_batch: int = field(metadata={"doc": "serving: sequences decoded together"})
    prompt_len: int = field(metadata={"doc": "serving: prompt tokens per sequence"})
    output_len: int = field(metadata={"doc": "serving: generated tokens per sequence"})
    train_batch: int = field(metadata={"doc": "training: sequences per step"})
    seq_len: int = field(metadata={"doc": "training: tokens per sequence"})


def make_params(pick: Picker) -> LlmParams:
    chip = load_chip(pick.choice("chip", CHIPS))
    prompt_len, output_len = pick.choice("prompt_len", (512, 1024, 2048)), pick.choice("output_len", (128, 256, 512))
    batch = pick.choice("serve_batch", (1, 4, 8, 16, 32, 64))
    while batch > 1 and inference_memory(load_model(MODEL), batch=batch, context_len=prompt_len + output_len
                                         ).total_bytes > chip.hbm.capacity_bytes:
        batch //= 2  # the KV cache must fit next to the weights
    return LlmParams(model=MODEL, num_params=load_model(MODEL).num_params, chip=chip.id,
                     peak_flops_per_s=chip.peak_flops_per_s("bf16"),
                     hbm_bandwidth_bytes_per_s=chip.hbm.bandwidth_bytes_per_s, serve_batch=batch,
                     prompt_len=prompt_len, output_len=output_len,
                     train_batch=pick.choice("train_batch", (1, 2, 4, 8)), seq_len=pick.choice("seq_len", (2048, 4096)))


def serving(p: LlmParams) -> ServingEstimate:
    return estimate_serving(load_model(p.model), load_chip(p.chip), batch=p.serve_batch, prompt_len=p.prompt_len,
                            output_len=p.output_len)


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
        Answer("q1_weight_bytes", "count", weight_bytes, "bytes", "bytes = parameters × bytes per bf16 parameter",
               mistakes=(Mistake(p.num_params, "bf16 takes 2 bytes per parameter, not 1"),
                         Mistake(4 * p.num_params, "the weights are bf16 (2 bytes), not fp32"))),
        Answer("q2_decode_floor_s", "quantity", floor_s, "s", "every weight crosses HBM once per decode step",
               rel_tol=0.01,
               mistakes=(Mistake(2 * p.num_params * p.serve_batch / p.peak_flops_per_s,
                                 "that is the compute time at peak; a decode step is limited by reading the weights"),
                         Mistake(floor_s * 1e3, "give the time in seconds, not milliseconds"),
                         Mistake(floor_s * 8, "the bandwidth is in bytes per second; you divided bits by it"),
                         Mistake(floor_s / 2, "count 2 bytes per bf16 parameter"))),
        Answer("q3_time_per_output_token_s", "quantity", tpot, "s",
               "use estimate_serving(...).time_per_output_token_s", rel_tol=0.02,
               mistakes=(Mistake(served.prefill_s, "that is the prefill of the prompt; this asks for one decode step"),
                         Mistake(served.time_s, "that is the whole batch (prefill + every decode step)"),
                         Mistake(floor_s, "that is the floor of Q2; chiplab's step also reads the KV cache and runs "
                                          "the other ops — use its time_per_output_token_s"),
                         Mistake(tpot * 1e3, "give the time in seconds, not milliseconds"))),
        Answer("q4_tokens_per_s_per_chip", "quantity", served.output_tokens_per_s_per_chip, "tokens/s",
               "use estimate_serving(...).output_tokens_per_s_per_chip", rel_tol=0.02,
               mistakes=(Mistake(1 / tpot, "that is one sequence's rate; each decode step makes a token for every "
                                           "sequence of the batch"),
                         Mistake(p.serve_batch / tpot, "close, but the prefill takes time too: use "
                                                       "output_tokens_per_s_per_chip"))),
        Answer("q5_training_flops_per_token", "quantity", six_n, "FLOP", "≈ 6 FLOPs per parameter per token",
               rel_tol=0.01,
               mistakes=(Mistake(2 * p.num_params, "that is the forward pass only; the backward pass costs about "
                                                   "twice the forward"),
                         Mistake(3 * p.num_params, "count FLOPs (2 per multiply-accumulate), not MACs"))),
        Answer("q6_mfu_fraction", "quantity", trained.mfu_fraction, "fraction",
               "use estimate_step(training_step(model, batch=..., seq_len=...), chip).mfu_fraction", rel_tol=0.02,
               mistakes=(Mistake(trained.hfu_fraction, "that is the hardware FLOPs utilisation (HFU, recomputation "
                                                       "counted); MFU counts the model's FLOPs only"),
                         Mistake(six_n * tokens / (trained.time_s * p.peak_flops_per_s),
                                 "close: chiplab's model FLOPs also count the attention matmuls; use the estimate's "
                                 "model_flops (or mfu_fraction)"))),
    ]


PROBLEM_SET = ProblemSet(ASSIGNMENT, "An LLM step: decode floor, serving speed, training MFU", make_params, answers)
