"""Assignment 05: the economics — dollars per million tokens served, the break-even price, a training run's bill.

A custom chip (TPU, Trainium, Inferentia) against a GPU, both at chiplab's sourced on-demand prices, serving the
same model with :func:`chiplab.perf.estimate_serving`; then a training run priced from 6·N·D FLOPs at an assumed
MFU. The numbers feed a written cost argument for or against the custom chip.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from chiplab.cost.comparison import PricePerformance
from chiplab.cost.prices import price_for
from chiplab.cost.run_cost import serving_cost
from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import estimate_serving
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


def _draw(pick: Picker) -> EconomicsParams:
    custom, tensor_parallel = pick.choice("custom", CUSTOM)
    gpu = pick.choice("gpu", GPUS)
    return EconomicsParams(
        model=MODEL, num_params=load_model(MODEL).num_params, custom_chip=custom,
        custom_tensor_parallel=tensor_parallel, custom_usd_per_chip_hour=price_for(custom).usd_per_chip_hour,
        gpu=gpu, gpu_usd_per_chip_hour=price_for(gpu).usd_per_chip_hour,
        batch=pick.integer("batch", 4, 64),
        num_train_tokens=pick.integer("num_train_tokens_e10", 10, 200) * 1e10,
        mfu_fraction=pick.integer("mfu_percent", 30, 55) / 100)


def _telling(p: EconomicsParams) -> bool:
    """No dollar answer can be read off the table (a cost per million tokens or a break-even price that happens to
    equal a price per chip-hour, within the 2 % the questions accept)."""
    shown = [float(getattr(p, f.name)) for f in dataclasses.fields(p) if not isinstance(getattr(p, f.name), str)]
    rates = [estimate_serving(load_model(p.model), load_chip(chip), batch=p.batch, prompt_len=PROMPT_LEN,
                              output_len=OUTPUT_LEN, tensor_parallel=tensor_parallel).output_tokens_per_s_per_chip
             for chip, tensor_parallel in ((p.custom_chip, p.custom_tensor_parallel), (p.gpu, 1))]
    custom, gpu = (serving_cost(tokens_per_s_per_chip=rate, price=price).usd_per_million_tokens
                   for rate, price in zip(rates, (p.custom_usd_per_chip_hour, p.gpu_usd_per_chip_hour), strict=True))
    break_even_usd_per_chip_hour = PricePerformance(
        tokens_per_s_per_chip_a=rates[0], tokens_per_s_per_chip_b=rates[1],
        usd_per_chip_hour_b=p.gpu_usd_per_chip_hour).break_even_usd_per_chip_hour_a()
    return all(abs(answer - value) > 0.03 * value for answer in (custom, gpu, break_even_usd_per_chip_hour)
               for value in shown)



def formats(p: EconomicsParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_custom_usd_per_million_tokens", "quantity", "USD per million tokens", rel_tol=0.02),
            AnswerFormat("q2_gpu_usd_per_million_tokens", "quantity", "USD per million tokens", rel_tol=0.02),
            AnswerFormat("q3_cheaper", "choice", "", options=("custom", "gpu"),
                         synonyms={p.custom_chip: "custom", p.gpu: "gpu"}),
            AnswerFormat("q4_break_even_usd_per_chip_hour", "quantity", "USD per chip-hour", rel_tol=0.02),
            AnswerFormat("q5_training_usd", "quantity", "USD", rel_tol=0.02))


PARAMETERS = ProblemSet(ASSIGNMENT, "Economics: the cost argument for or against a custom chip",
                        _draw, formats, fits=_telling)
