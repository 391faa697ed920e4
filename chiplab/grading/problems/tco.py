"""Assignment 08: what a custom chip costs its owner, and when building it beats renting a GPU.

Part A prices the silicon by hand (Hennessy & Patterson's dies per wafer and Poisson yield, as
:mod:`chiplab.cost.silicon` computes them); Part B uses :func:`chiplab.cost.make_vs_buy` (the cost to make: dies,
HBM, packaging, test; plus the design cost spread over the units made; then the owner's cost per chip-hour) with
the student's die area, design cost and volume set by :func:`chiplab.cost.replace_input`; Part C compares the
owned custom chip with a GPU rented at its sourced on-demand price through chiplab's one comparison model
(:class:`chiplab.cost.PricePerformance`): the break-even price per chip-hour and the volume at which owning the
custom chip costs exactly that.

Work is training tokens per second (MFU × peak ÷ 6·N), with each chip's MFU given, so the comparison is per token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from chiplab.cost.comparison import PricePerformance
from chiplab.cost.make_or_buy import ChipHourCost, make_vs_buy, replace_input
from chiplab.cost.prices import price_for
from chiplab.cost.silicon import die_yield_fraction, dies_per_wafer
from chiplab.grading.checks import AnswerFormat
from chiplab.grading.problems._shown import none_near
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.catalog import load_chip
from chiplab.workloads.presets import load_model

ASSIGNMENT = "08_tco_break_even"
CUSTOM_CHIPS = ("tpu_v5e", "tpu_v5p", "tpu_v6e", "trainium2")
GPUS = ("h100_sxm", "a100_80gb")  # the GPUs with a sourced on-demand price
MODEL = "llama3_8b"
MIN_UNITS, MAX_UNITS = 1_000, 1_000_000  # log-uniform: from a research run to a hyperscaler's fleet


@dataclass(frozen=True)
class TcoParams:
    custom_chip: str = field(metadata={"doc": "the custom chip you would build (chiplab.cost.make_vs_buy name)"})
    die_area_mm2: float = field(metadata={"doc": "its compute die's area, mm² (your design's)"})
    wafer_cost_usd: float = field(metadata={"doc": "a 300 mm wafer of its process, USD (chiplab data)"})
    defect_density_per_cm2: float = field(metadata={"doc": "fatal defects per cm² (chiplab data)"})
    nre_usd: float = field(metadata={"doc": "design cost (NRE): engineering, masks, software, USD"})
    num_units: int = field(metadata={"doc": "chips made over the design's life"})
    gpu: str = field(metadata={"doc": "the GPU you could rent instead"})
    gpu_usd_per_chip_hour: float = field(metadata={"doc": "its on-demand price, USD per chip-hour (chiplab data)"})
    model: str = field(metadata={"doc": "the model trained (bf16)"})
    num_params: int = field(metadata={"doc": "N, its parameters"})
    custom_mfu_fraction: float = field(metadata={"doc": "the MFU the custom chip reaches on it"})
    gpu_mfu_fraction: float = field(metadata={"doc": "the MFU the GPU reaches on it"})


@lru_cache(maxsize=4096)  # the grader asks once per question; a class of 1,000 fits
def owner_cost(p: TcoParams) -> ChipHourCost:
    """The custom chip's make-versus-buy cost with this variant's die area, design cost and volume."""
    cost = make_vs_buy(p.custom_chip)
    for name, value in (("die_area_mm2", p.die_area_mm2), ("nre_usd", p.nre_usd), ("num_units", p.num_units)):
        cost = replace_input(cost, name, value=value)
    return cost


def tokens_per_s(chip: str, mfu_fraction: float, num_params: int) -> float:
    """Training tokens per second per chip: MFU × peak bf16 FLOP/s ÷ 6·N FLOPs per token."""
    return mfu_fraction * load_chip(chip).peak_flops_per_s("bf16") / (6 * num_params)


def comparison(p: TcoParams) -> PricePerformance:
    """The custom chip (A, no price yet) against the rented GPU (B): chiplab's one comparison model."""
    return PricePerformance(tokens_per_s_per_chip_a=tokens_per_s(p.custom_chip, p.custom_mfu_fraction, p.num_params),
                            tokens_per_s_per_chip_b=tokens_per_s(p.gpu, p.gpu_mfu_fraction, p.num_params),
                            usd_per_chip_hour_b=p.gpu_usd_per_chip_hour)


def break_even_volume(p: TcoParams) -> float:
    """Units at which the owner's chip-hour equals the break-even price: h∞ + NRE·r / N = price, where r is the
    capital rate per dollar of capex per hour (depreciation + interest) and h∞ the chip-hour without design cost;
    ``inf`` when even infinitely many units cost more than the break-even price."""
    point = owner_cost(p).central
    rate = point.capital_usd_per_capex_usd_hour
    without_design = point.total_usd_per_chip_hour - point.nre_per_unit_usd * rate
    allowed = comparison(p).break_even_usd_per_chip_hour_a() - without_design
    return float("inf") if allowed <= 0 else p.nre_usd * rate / allowed


def _draw(pick: Picker) -> TcoParams:
    chip = pick.choice("custom_chip", CUSTOM_CHIPS)
    inputs = make_vs_buy(chip).inputs
    area = inputs["die_area_mm2"]
    gpu = pick.choice("gpu", GPUS)
    units = round(MIN_UNITS * (MAX_UNITS / MIN_UNITS) ** (pick.integer("units_log", 0, 999) / 999))
    return TcoParams(
        custom_chip=chip, die_area_mm2=5.0 * pick.integer("die_area_5mm2", round(area.low / 5), round(area.high / 5)),
        wafer_cost_usd=inputs["wafer_cost_usd"].value, defect_density_per_cm2=inputs["defect_density_per_cm2"].value,
        nre_usd=50e6 * pick.integer("nre_50m", 4, 24), num_units=units, gpu=gpu,
        gpu_usd_per_chip_hour=price_for(gpu).usd_per_chip_hour, model=MODEL, num_params=load_model(MODEL).num_params,
        custom_mfu_fraction=pick.integer("custom_mfu_percent", 30, 60) / 100,
        gpu_mfu_fraction=pick.integer("gpu_mfu_percent", 30, 60) / 100)


def _telling(p: TcoParams) -> bool:
    """A break-even volume exists and the volume is not within 5 % of it (so "custom" or "gpu" is clear); no
    number answer is within 3 % of a number shown."""
    volume = break_even_volume(p)
    if volume == float("inf") or abs(volume - p.num_units) < 0.05 * volume:
        return False
    point = owner_cost(p).central
    computed = (dies_per_wafer(p.die_area_mm2), die_yield_fraction("poisson", p.defect_density_per_cm2, p.die_area_mm2),
                point.logic_dies_usd / num_compute_dies(p), point.chip_capex_usd, point.total_usd_per_chip_hour,
                comparison(p).break_even_usd_per_chip_hour_a(), volume)
    return none_near(computed, p)


def num_compute_dies(p: TcoParams) -> int:
    """Compute dies per package (Trainium2 has two)."""
    return round(make_vs_buy(p.custom_chip).inputs["num_compute_dies"].value)



def formats(p: TcoParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_dies_per_wafer", "quantity", "dies", rel_tol=0.01),
            AnswerFormat("q2_die_yield_fraction", "quantity", "fraction", rel_tol=0.01),
            AnswerFormat("q3_die_cost_usd", "quantity", "USD", rel_tol=0.02),
            AnswerFormat("q4_chip_capex_usd", "quantity", "USD", rel_tol=0.02),
            AnswerFormat("q5_owner_usd_per_chip_hour", "quantity", "USD per chip-hour", rel_tol=0.02),
            AnswerFormat("q6_break_even_usd_per_chip_hour", "quantity", "USD per chip-hour", rel_tol=0.02),
            AnswerFormat("q7_cheaper", "choice", "", options=("custom", "gpu"),
                         synonyms={p.custom_chip: "custom", p.gpu: "gpu", "build": "custom", "own": "custom",
                                   "rent": "gpu"}),
            AnswerFormat("q8_break_even_volume", "quantity", "chips", rel_tol=0.02))


PARAMETERS = ProblemSet(ASSIGNMENT, "TCO and break-even: what a custom chip costs, and when it beats renting a GPU",
                        _draw, formats, fits=_telling)
