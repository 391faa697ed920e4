"""Assignment 04: an LLM step — weight bytes, the decode floor, serving speed, training FLOPs and MFU.

By hand: a decode step must read every weight once, so weight bytes ÷ HBM bandwidth is its floor; training costs
about 6 FLOPs per parameter per token (Kaplan et al. 2020). With chiplab: :func:`chiplab.perf.estimate_serving`
for the time per output token and throughput, :func:`chiplab.perf.estimate_step` of a training step for MFU.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from chiplab._checks import published
from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import estimate_serving
from chiplab.perf.step import estimate_step
from chiplab.workloads.flop_formulas import six_n_d_flops
from chiplab.workloads.footprint import inference_memory
from chiplab.workloads.llm_steps import training_step
from chiplab.workloads.presets import load_model

ASSIGNMENT = "04_llm_step"
MODELS = ("llama32_3b", "llama3_8b")  # bf16 weights of 6 and 16 GB: one chip of the list holds either
CHIPS = ("h100_sxm", "a100_80gb", "tpu_v4", "tpu_v5p", "trainium1", "trainium2")
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


def _draw(pick: Picker) -> LlmParams:
    model_id = pick.choice("model", MODELS)
    model = load_model(model_id)
    chip = load_chip(pick.choice("chip", CHIPS))
    prompt_len = pick.choice("prompt_len", (512, 768, 1024, 1536, 2048))
    output_len = pick.choice("output_len", (128, 192, 256, 384, 512))
    batch = pick.choice("serve_batch", (2, 4, 8, 16, 32, 64))
    capacity_bytes = published(f"{chip.id}: HBM capacity", chip.hbm.capacity_bytes)
    while batch > 2 and inference_memory(model, batch=batch, context_len=prompt_len + output_len
                                         ).total_bytes > capacity_bytes:
        batch //= 2  # the KV cache must fit next to the weights
    return LlmParams(model=model_id, num_params=model.num_params, chip=chip.id,
                     peak_flops_per_s=chip.peak_flops_per_s("bf16"),
                     hbm_bandwidth_bytes_per_s=published(f"{chip.id}: HBM bandwidth", chip.hbm.bandwidth_bytes_per_s),
                     serve_batch=batch,
                     prompt_len=prompt_len, output_len=output_len,
                     train_batch=pick.integer("train_batch", 1, 8), seq_len=pick.choice("seq_len", (2048, 4096)))


def _apart(a: float, b: float) -> bool:
    return abs(a - b) > 0.03 * abs(b)  # beyond the 2 % the questions accept


def _telling(p: LlmParams) -> bool:
    """chiplab's decode step is not the weights-only floor, the throughput is not batch ÷ step time, and the MFU is
    not the 6·N estimate, so every hint can tell its slip apart (not so for a tiny batch or a short context), and the
    throughput is no number of the table."""
    model, chip = load_model(p.model), load_chip(p.chip)
    served = estimate_serving(model, chip, batch=p.serve_batch, prompt_len=p.prompt_len, output_len=p.output_len)
    trained = estimate_step(training_step(model, batch=p.train_batch, seq_len=p.seq_len), chip)
    floor_s = p.num_params * DTYPE_BYTES / p.hbm_bandwidth_bytes_per_s
    tpot = served.time_per_output_token_s
    six_n_mfu = six_n_d_flops(p.num_params, p.train_batch * p.seq_len) / (trained.time_s * p.peak_flops_per_s)
    shown = [float(getattr(p, f.name)) for f in dataclasses.fields(p) if not isinstance(getattr(p, f.name), str)]
    rate = served.output_tokens_per_s_per_chip
    return (_apart(tpot, floor_s) and _apart(rate, p.serve_batch / tpot) and _apart(six_n_mfu, trained.mfu_fraction)
            and all(_apart(rate, value) for value in shown))



def formats(p: LlmParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_weight_bytes", "count", "bytes"),
            AnswerFormat("q2_decode_floor_s", "quantity", "s", rel_tol=0.01),
            AnswerFormat("q3_time_per_output_token_s", "quantity", "s", rel_tol=0.02),
            AnswerFormat("q4_tokens_per_s_per_chip", "quantity", "tokens/s", rel_tol=0.02),
            AnswerFormat("q5_training_flops_per_token", "quantity", "FLOP", rel_tol=0.01),
            AnswerFormat("q6_mfu_fraction", "quantity", "fraction", rel_tol=0.02))


PARAMETERS = ProblemSet(ASSIGNMENT, "An LLM step: decode floor, serving speed, training MFU",
                        _draw, formats, fits=_telling)
