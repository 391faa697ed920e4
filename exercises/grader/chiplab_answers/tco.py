"""Assignment 08: TCO and break-even — the silicon by hand, the owner's chip-hour, the break-even price and volume."""

from __future__ import annotations

import math

from chiplab.cost.silicon import die_yield_fraction, dies_per_wafer
from chiplab.cost.tco import HOURS_PER_YEAR
from chiplab.grading.problems.tco import TcoParams, break_even_volume, comparison, num_compute_dies, owner_cost
from chiplab_answers.answer import Answer, Mistake, telling

MM2_PER_CM2 = 100.0
WAFER_DIAMETER_MM = 300.0


def answers(p: TcoParams) -> list[Answer]:
    num_dies = dies_per_wafer(p.die_area_mm2, WAFER_DIAMETER_MM)
    yield_fraction = die_yield_fraction("poisson", p.defect_density_per_cm2, p.die_area_mm2)
    cost = owner_cost(p)
    point = cost.central
    die_cost = point.logic_dies_usd / num_compute_dies(p)
    pp = comparison(p)
    break_even = pp.break_even_usd_per_chip_hour_a()
    volume = break_even_volume(p)
    cheaper = "custom" if point.total_usd_per_chip_hour < break_even else "gpu"
    years = point.tco.assumptions.amortisation_years
    return [
        Answer("q1_dies_per_wafer", num_dies,
               "dies per wafer = π·(d/2)²/A − π·d/√(2·A), with d = 300 mm and A your die area in mm²",
               mistakes=telling(num_dies, (
                   Mistake(math.pi * (WAFER_DIAMETER_MM / 2) ** 2 / p.die_area_mm2,
                           "the dies cut by the round edge are lost: subtract π·d/√(2·A)"),
                   Mistake(math.pi * WAFER_DIAMETER_MM ** 2 / p.die_area_mm2 - math.pi * WAFER_DIAMETER_MM
                           / math.sqrt(2 * p.die_area_mm2), "300 mm is the wafer's diameter: its radius is 150 mm")))),
        Answer("q2_die_yield_fraction", yield_fraction, "Poisson yield = e^(−D·A), with A in cm² (1 cm² = 100 mm²)",
               mistakes=telling(yield_fraction, (
                   Mistake(math.exp(-p.defect_density_per_cm2 * p.die_area_mm2),
                           "D is per cm²: convert the area from mm² to cm² (÷ 100)"),
                   Mistake(1 - p.defect_density_per_cm2 * p.die_area_mm2 / MM2_PER_CM2,
                           "use the Poisson model e^(−D·A), not its first-order approximation 1 − D·A")))),
        Answer("q3_die_cost_usd", die_cost, "die cost = wafer cost ÷ (dies per wafer × yield)",
               mistakes=telling(die_cost, (
                   Mistake(p.wafer_cost_usd / num_dies, "only the good dies can be sold: divide by the yield too"),
                   Mistake(p.wafer_cost_usd * yield_fraction / num_dies,
                           "divide by the yield (fewer good dies cost more each), don't multiply")))),
        Answer("q4_chip_capex_usd", point.chip_capex_usd,
               "the cost to make (dies, HBM, packaging, test) plus the design cost per unit made",
               mistakes=telling(point.chip_capex_usd, (
                   Mistake(point.manufacturing_cost_usd, "add the design cost (NRE) per unit made: the owner pays it"),
                   Mistake(point.chip_capex_usd - point.hbm_usd, "the HBM stacks are part of the chip's cost")))),
        Answer("q5_owner_usd_per_chip_hour", point.total_usd_per_chip_hour,
               "make_vs_buy(...) with your die area, NRE and volume (replace_input): .central.total_usd_per_chip_hour",
               mistakes=telling(point.total_usd_per_chip_hour, (
                   Mistake(point.chip_capex_usd / (years * HOURS_PER_YEAR),
                           "that is only the chip's depreciation: the owner also pays the board and system, interest, "
                           "energy and hosting"),)),
               ),
        Answer("q6_break_even_usd_per_chip_hour", break_even,
               "the custom chip-hour price at which its tokens per dollar equal the rented GPU's",
               mistakes=telling(break_even, (
                   Mistake(p.gpu_usd_per_chip_hour, "equal prices per hour are not equal prices per token: the chips "
                                                    "train at different rates"),
                   Mistake(p.gpu_usd_per_chip_hour * p.gpu_usd_per_chip_hour / break_even,
                           "the faster chip may cost more per hour: scale the GPU's price by custom ÷ GPU tokens per "
                           "second, not the inverse")))),
        Answer("q7_cheaper", {cheaper}, "compare the owner's chip-hour (Q5) with the break-even price (Q6)",
               mistakes=(Mistake({"custom", "gpu"} - {cheaper},
                                 "that one costs more per token: the custom chip wins when its owner's chip-hour (Q5) "
                                 "is below the break-even price (Q6)"),)),
        Answer("q8_break_even_volume", volume,
               "solve h∞ + NRE·r ÷ N = the break-even price for N (r: capital rate per capex dollar per hour)",
               mistakes=telling(volume, (
                   Mistake(p.nre_usd * point.capital_usd_per_capex_usd_hour / break_even,
                           "only the cost above the chip-hour without design (h∞) pays for the design: subtract h∞ "
                           "from the break-even price"),
                   Mistake(p.nre_usd / break_even, "the design cost is capital: turn it into USD per hour with the "
                                                   "capital rate r before dividing"),))),
    ]
