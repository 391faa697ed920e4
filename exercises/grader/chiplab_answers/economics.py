"""Assignment 05: the economics — dollars per million tokens served, the break-even price, a training run's bill.

A custom chip (TPU, Trainium, Inferentia) against a GPU, both at chiplab's sourced on-demand prices, serving the
same model with :func:`chiplab.perf.estimate_serving`; then a training run priced from 6·N·D FLOPs at an assumed
MFU. The numbers feed a written cost argument for or against the custom chip.
"""

from __future__ import annotations

from chiplab.cost.comparison import PricePerformance
from chiplab.cost.run_cost import SECONDS_PER_HOUR, serving_cost
from chiplab.grading.problems.economics import OUTPUT_LEN, PROMPT_LEN, EconomicsParams
from chiplab.hardware.catalog import load_chip
from chiplab.perf.inference import estimate_serving
from chiplab.workloads.flop_formulas import six_n_d_flops
from chiplab.workloads.presets import load_model
from chiplab_answers.answer import Answer, Mistake


def tokens_per_s_per_chip(p: EconomicsParams, chip: str, tensor_parallel: int) -> float:
    served = estimate_serving(
        load_model(p.model),
        load_chip(chip),
        batch=p.batch,
        prompt_len=PROMPT_LEN,
        output_len=OUTPUT_LEN,
        tensor_parallel=tensor_parallel,
    )
    return served.output_tokens_per_s_per_chip


def _usd_per_million(answer_name: str, rate: float, usd_per_chip_hour: float, tensor_parallel: int) -> Answer:
    cost = serving_cost(tokens_per_s_per_chip=rate, price=usd_per_chip_hour).usd_per_million_tokens
    mistakes = [
        Mistake(cost / SECONDS_PER_HOUR, "the price is per chip-*hour* and the rate per *second*: convert"),
        Mistake(cost * SECONDS_PER_HOUR, "the price is per chip-hour: multiply the rate by 3600, don't divide"),
        Mistake(cost / 1e6, "that is dollars per token; give dollars per *million* tokens"),
    ]
    if tensor_parallel > 1:
        mistakes.append(
            Mistake(
                cost / tensor_parallel,
                f"the replica uses {tensor_parallel} chips: pay for all of them (use tokens per second *per chip*)",
            )
        )
    return Answer(
        answer_name,
        cost,
        "USD per million tokens = USD per chip-hour ÷ (tokens/s per chip × 3600) × 10⁶",
        mistakes=tuple(mistakes),
    )


def answers(p: EconomicsParams) -> list[Answer]:
    custom_rate = tokens_per_s_per_chip(p, p.custom_chip, p.custom_tensor_parallel)
    gpu_rate = tokens_per_s_per_chip(p, p.gpu, 1)
    # The custom chip (A) against the GPU (B) in chiplab's one comparison model: which costs less per token, and the
    # custom chip's price per chip-hour at which both give the same tokens per dollar (both fully used).
    versus_gpu = PricePerformance(tokens_per_s_per_chip_a=custom_rate, tokens_per_s_per_chip_b=gpu_rate,
                                  usd_per_chip_hour_a=p.custom_usd_per_chip_hour,
                                  usd_per_chip_hour_b=p.gpu_usd_per_chip_hour)
    cheaper = "gpu" if versus_gpu.cheaper == "b" else "custom"  # a tie counts for the custom chip
    break_even = versus_gpu.break_even_usd_per_chip_hour_a()
    chip_s = six_n_d_flops(p.num_params, p.num_train_tokens) / (
        p.mfu_fraction * load_chip(p.custom_chip).peak_flops_per_s("bf16")
    )
    training_usd = chip_s / SECONDS_PER_HOUR * p.custom_usd_per_chip_hour
    return [
        _usd_per_million(
            "q1_custom_usd_per_million_tokens", custom_rate, p.custom_usd_per_chip_hour, p.custom_tensor_parallel
        ),
        _usd_per_million("q2_gpu_usd_per_million_tokens", gpu_rate, p.gpu_usd_per_chip_hour, 1),
        Answer(
            "q3_cheaper",
            {cheaper},
            "compare Q1 with Q2",
            mistakes=(
                Mistake(
                    {"custom", "gpu"} - {cheaper},
                    "that one costs more per token: compare Q1 and Q2 (per token, not per hour)",
                ),
            ),
        ),
        Answer(
            "q4_break_even_usd_per_chip_hour",
            break_even,
            "the custom chip's price per chip-hour at which its cost per token equals the GPU's",
            mistakes=(
                Mistake(
                    p.gpu_usd_per_chip_hour,
                    "equal prices per hour do not give equal cost per token: the chips serve at different rates",
                ),
                *(
                    [
                        Mistake(
                            break_even * p.custom_tensor_parallel,
                            "that is the price of a whole replica of "
                            f"{p.custom_tensor_parallel} chips; give it per chip-hour",
                        )
                    ]
                    if p.custom_tensor_parallel > 1
                    else []
                ),
            ),
        ),
        Answer(
            "q5_training_usd",
            training_usd,
            "chip-hours = 6·N·D ÷ (MFU × peak) ÷ 3600, times the price per chip-hour",
            mistakes=(
                Mistake(training_usd * p.mfu_fraction, "that assumes 100 % MFU: divide by the MFU"),
                Mistake(training_usd / 3, "training costs about 6·N FLOPs per token (forward and backward), not 2·N"),
                Mistake(
                    training_usd * SECONDS_PER_HOUR,
                    "convert chip-seconds to chip-hours before multiplying by the hourly price",
                ),
            ),
        ),
    ]
