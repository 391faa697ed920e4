"""Assignment 05: the economics — dollars per million tokens served, the break-even price, a training run's bill.

A custom chip (TPU, Trainium, Inferentia) against a GPU, both at chiplab's sourced on-demand prices, serving the
same model with :func:`chiplab.perf.estimate_serving`; then a training run priced from 6·N·D FLOPs at an assumed
MFU. The numbers feed a written cost argument for or against the custom chip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chiplab.cost.prices import price_for
from chiplab.cost.run_cost import SECONDS_PER_HOUR, serving_cost
from chiplab.grading.checks import Answer, Mistake
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import estimate_serving
from chiplab.workloads.llm_steps import six_n_d_flops
from chiplab.workloads.presets import load_model

ASSIGNMENT = "05_economics"
MODEL = "llama3_8b"
# (custom chip, tensor-parallel chips it needs to hold the model and its KV cache); TPU v5e has 16 GB per chip.
CUSTOM = (("tpu_v5e", 4), ("trainium1", 1), ("inferentia2", 1), ("tpu_v4", 1), ("tpu_v5p", 1))
GPUS = ("h100_sxm", "a100_80gb")
PROMPT_LEN, OUTPUT_LEN = 1024, 256


@dataclass(frozen=True)
class EconomicsParams:
    model: str = field(metadata={"doc": "the model served and trained (bf16)"})
    num_params: int = field(metadata={"doc": "N, its parameters"})
    custom_chip: str = field(metadata={"doc": "the custom chip"})
    custom_tensor_parallel: int = field(metadata={"doc": "custom chips per model replica (tensor parallel)"})
    custom_usd_per_chip_hour: float = field(metadata={"doc": "its on-demand price, USD per chip-hour (chiplab data)"})
    gpu: str = field(metadata={"doc": "the GPU it competes with (one GPU per replica)"})
    gpu_usd_per_chip_hour: float = field(metadata={"doc": "the GPU's on-demand price, USD per chip-hour"})
    batch: int = field(metadata={"doc": "serving: sequences per batch (prompt 1024, output 256 tokens)"})
    num_train_tokens: float = field(metadata={"doc": "training: D, tokens to train on"})
    mfu_fraction: float = field(metadata={"doc": "training: the MFU you may assume on the custom chip"})


def make_params(pick: Picker) -> EconomicsParams:
    custom, tensor_parallel = pick.choice("custom", CUSTOM)
    gpu = pick.choice("gpu", GPUS)
    return EconomicsParams(
        model=MODEL, num_params=load_model(MODEL).num_params, custom_chip=custom,
        custom_tensor_parallel=tensor_parallel, custom_usd_per_chip_hour=price_for(custom).usd_per_chip_hour,
        gpu=gpu, gpu_usd_per_chip_hour=price_for(gpu).usd_per_chip_hour,
        batch=pick.choice("batch", (4, 8, 16, 24, 32, 48, 64)),
        num_train_tokens=pick.choice("num_train_tokens", (1e11, 2e11, 3e11, 5e11, 1e12, 2e12)),
        mfu_fraction=pick.choice("mfu", (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)))


def tokens_per_s_per_chip(p: EconomicsParams, chip: str, tensor_parallel: int) -> float:
    served = estimate_serving(load_model(p.model), load_chip(chip), batch=p.batch, prompt_len=PROMPT_LEN,
                              output_len=OUTPUT_LEN, tensor_parallel=tensor_parallel)
    return served.output_tokens_per_s_per_chip


def _usd_per_million(answer_name: str, rate: float, usd_per_chip_hour: float, tensor_parallel: int) -> Answer:
    cost = serving_cost(tokens_per_s_per_chip=rate, price=usd_per_chip_hour).usd_per_million_tokens
    mistakes = [Mistake(cost / SECONDS_PER_HOUR, "the price is per chip-*hour* and the rate per *second*: convert"),
                Mistake(cost * SECONDS_PER_HOUR, "the price is per chip-hour: multiply the rate by 3600, don't divide"),
                Mistake(cost / 1e6, "that is dollars per token; give dollars per *million* tokens")]
    if tensor_parallel > 1:
        mistakes.append(Mistake(cost / tensor_parallel, f"the replica uses {tensor_parallel} chips: pay for all of "
                                                        "them (use tokens per second *per chip*)"))
    return Answer(answer_name, "quantity", cost, "USD per million tokens",
                  "USD per million tokens = USD per chip-hour ÷ (tokens/s per chip × 3600) × 10⁶", rel_tol=0.02,
                  mistakes=tuple(mistakes))


def answers(p: EconomicsParams) -> list[Answer]:
    custom_rate = tokens_per_s_per_chip(p, p.custom_chip, p.custom_tensor_parallel)
    gpu_rate = tokens_per_s_per_chip(p, p.gpu, 1)
    custom = serving_cost(tokens_per_s_per_chip=custom_rate, price=p.custom_usd_per_chip_hour)
    gpu = serving_cost(tokens_per_s_per_chip=gpu_rate, price=p.gpu_usd_per_chip_hour)
    cheaper = "custom" if custom.usd_per_million_tokens <= gpu.usd_per_million_tokens else "gpu"
    break_even = gpu.usd_per_million_tokens / 1e6 * custom_rate * SECONDS_PER_HOUR
    chip_s = six_n_d_flops(p.num_params, p.num_train_tokens) / (p.mfu_fraction *
                                                           load_chip(p.custom_chip).peak_flops_per_s("bf16"))
    training_usd = chip_s / SECONDS_PER_HOUR * p.custom_usd_per_chip_hour
    return [
        _usd_per_million("q1_custom_usd_per_million_tokens", custom_rate, p.custom_usd_per_chip_hour,
                         p.custom_tensor_parallel),
        _usd_per_million("q2_gpu_usd_per_million_tokens", gpu_rate, p.gpu_usd_per_chip_hour, 1),
        Answer("q3_cheaper", "choice", {cheaper}, "", "compare Q1 with Q2", options=("custom", "gpu"),
               synonyms={p.custom_chip: "custom", p.gpu: "gpu"},
               mistakes=(Mistake({"custom", "gpu"} - {cheaper}, "that one costs more per token: compare Q1 and Q2 "
                                                                "(per token, not per hour)"),)),
        Answer("q4_break_even_usd_per_chip_hour", "quantity", break_even, "USD per chip-hour",
               "the custom chip's price per chip-hour at which its cost per token equals the GPU's", rel_tol=0.02,
               mistakes=(Mistake(p.gpu_usd_per_chip_hour, "equal prices per hour do not give equal cost per token: "
                                                          "the chips serve at different rates"),
                         *([Mistake(break_even * p.custom_tensor_parallel, "that is the price of a whole replica of "
                                    f"{p.custom_tensor_parallel} chips; give it per chip-hour")]
                           if p.custom_tensor_parallel > 1 else []))),
        Answer("q5_training_usd", "quantity", training_usd, "USD",
               "chip-hours = 6·N·D ÷ (MFU × peak) ÷ 3600, times the price per chip-hour", rel_tol=0.02,
               mistakes=(Mistake(training_usd * p.mfu_fraction, "that assumes 100 % MFU: divide by the MFU"),
                         Mistake(training_usd / 3, "training costs about 6·N FLOPs per token (forward and "
                                                   "backward), not 2·N"),
                         Mistake(training_usd * SECONDS_PER_HOUR, "convert chip-seconds to chip-hours before "
                                                                  "multiplying by the hourly price"))),
    ]


PROBLEM_SET = ProblemSet(ASSIGNMENT, "Economics: the cost argument for or against a custom chip", make_params,
                         answers)
