"""Assignment 04: an LLM step — weight bytes, the decode floor, serving speed, training FLOPs and MFU.

By hand: a decode step must read every weight once, so weight bytes ÷ HBM bandwidth is its floor; training costs
about 6 FLOPs per parameter per token (Kaplan et al. 2020). With chiplab: :func:`chiplab.perf.estimate_serving`
for the time per output token and throughput, :func:`chiplab.perf.estimate_step` of a training step for MFU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.workloads.footprint import inference_memory
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


def formats(p: LlmParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_weight_bytes", "count", "bytes"),
            AnswerFormat("q2_decode_floor_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q3_time_per_output_token_s", "quantity", "s", rel_tol=0.02),
            AnswerFormat("q4_tokens_per_s_per_chip", "quantity", "tokens/s", rel_tol=0.02),
            AnswerFormat("q5_training_flops_per_token", "quantity", "FLOP", rel_tol=0.01),
            AnswerFormat("q6_mfu_fraction", "quantity", "fraction", rel_tol=0.02))


PARAMETERS = ProblemSet(ASSIGNMENT, "An LLM step: decode floor, serving speed, training MFU", make_params, formats)
