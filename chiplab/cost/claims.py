"""The seed's claims as worked analyses: what would have to be true for a custom chip to beat a GPU on cost.

A claim is examined as a :class:`~chiplab.cost.scenarios.CostScenario` — two chips training the same model the
same way, each with its own price and its own software efficiency — evaluated by the one comparison model
(:mod:`chiplab.cost.comparison`). Because published prices are missing for some chips (Trainium2 on-demand, for
one), :func:`claim_scenario` prices chip A at its **break-even price**: the most A may cost per chip-hour and still
be better by the claimed margin. :func:`claim_sensitivity` runs the one-at-a-time analysis over the claim's
assumptions and shows which one flips the winner — and when the GPU wins.

Claims examined in the book (sources in chiplab/data/prices and the shared research notes):

* AWS at Trn2's launch (Dec 2024): Trn2 instances offer "30-40% better price performance" than GPU-based P5e/P5en.
* Apple at AWS re:Invent 2024: early evaluation of Trainium2 suggests "up to 50% improvement in efficiency with
  pre-training" (efficiency undefined; baseline unstated).
"""

from __future__ import annotations

from collections.abc import Mapping

from chiplab._checks import in_range
from chiplab.cost.prices import price_for
from chiplab.cost.scenarios import (
    CostScenario,
    TrainingWorkload,
    evaluate_cost_scenario,
    rent,
    scenario_sensitivity,
    what_if_price,
)
from chiplab.cost.sensitivity import SensitivityResult

# The tornado of a claim: absolute price spans around the late-2024 cloud prices of the book's chips, software
# efficiencies from immature (0.4) to the ideal hardware (1.0); utilisation stays at 1 (the claims compare rented
# capacity that is used).
CLAIM_RANGES: Mapping[str, tuple[float, float]] = {
    "a.usd_per_chip_hour": (1.0, 6.0),
    "b.usd_per_chip_hour": (2.0, 10.0),
    "a.matmul_efficiency_fraction": (0.4, 1.0),
    "b.matmul_efficiency_fraction": (0.5, 1.0),
    "a.memory_efficiency_fraction": (0.6, 1.0),
    "b.memory_efficiency_fraction": (0.6, 1.0),
}


def claim_scenario(*, chip_a: str = "trainium2", chip_b: str = "h100_sxm", price_kind_b: str = "capacity-block",
                   claimed_improvement_fraction: float = 0.35,
                   workload: TrainingWorkload | None = None) -> CostScenario:
    """A scenario whose B price comes from chiplab's price data and whose A price is the *break-even* price for
    the claimed improvement — the price A must have for the claim to hold on this workload, given the models.

    This is how the book examines a claim about a chip with no published price: rather than invent one, it asks
    what the price would have to be, and then what else would have to be true (:func:`claim_sensitivity`).
    """
    in_range("claimed_improvement_fraction", claimed_improvement_fraction, 0.0, 10.0)
    price_b = price_for(chip_b, price_kind_b)
    work = TrainingWorkload() if workload is None else workload
    probe = CostScenario(a=rent(chip_a, what_if_price(chip_a, price_b.usd_per_chip_hour)), b=rent(chip_b, price_b),
                         workload=work)
    break_even = evaluate_cost_scenario(probe).break_even_usd_per_chip_hour_a(claimed_improvement_fraction)
    price_a = what_if_price(chip_a, break_even,
                            note=f"break-even price for {claimed_improvement_fraction:.0%} better than {chip_b}")
    return CostScenario(a=rent(chip_a, price_a), b=rent(chip_b, price_b), workload=work)


def claim_sensitivity(scenario: CostScenario,
                      ranges: Mapping[str, tuple[float, float]] = CLAIM_RANGES) -> SensitivityResult:
    """Which assumption moves the price-performance ratio most, and which flips the winner (ratio crosses 1)."""
    return scenario_sensitivity(scenario, ranges)
