"""Cost scenarios: two chips, each paid for its own way (a sourced cloud offer, a what-if price, or an owner's TCO),
running the same workload — what a run costs, tokens per dollar, and the price at which the winner changes.

This is the model behind the cost and design explorers and the economics chapter. Everything it computes comes
from the layers below: tokens per second from the performance model (:func:`estimate_throughput`, cached, so a
price or utilisation change costs microseconds), prices from ``chiplab.cost.prices``, owner TCO from
``chiplab.cost.tco``, run cost from ``chiplab.cost.run_cost``.

* A **workload** is a named training or serving setup (:data:`WORKLOADS`): model, parallelism, batch, lengths.
* A :class:`ChipSide` is one chip and how an hour of it is paid for: ``rent(chip, price)`` or
  ``own(chip, OwnerAssumptions)``, with the share of paid hours doing useful work and its software efficiency
  (the :class:`~chiplab.perf.Calibration` knobs: achieved ÷ modelled matrix and memory throughput).
* :func:`evaluate_cost_scenario` gives each chip's tokens per dollar, dollars per million tokens and the cost of
  ``num_tokens``; the ratio of A's tokens per dollar to B's; and :meth:`ScenarioResult.break_even_usd_per_chip_hour_a`,
  the most A's chip-hour may cost for A to be as good (or X% better) — the analysis to run where A has no
  published price (Trainium2).
* :func:`scenario_sensitivity` is the one-at-a-time "tornado" of that ratio: which assumption flips the winner.
* :func:`compare_offers` ranks several chips, each with a price or none, on one workload (the design explorer and
  the economics chapter's price-performance table).

A price you type yourself is a ``Price`` of kind ``"estimate"`` without provenance (:func:`what_if_price`); every
table labels it "what-if".

>>> side = rent("h100_sxm", price_for("h100_sxm", "capacity-block"))
>>> side.usd_per_chip_hour == price_for("h100_sxm", "capacity-block").usd_per_chip_hour
True
"""

from chiplab.cost.prices import price_for  # noqa: F401  (used by the doctest above)
from chiplab.cost.scenarios.evaluate import (
    ChipCost,
    CostScenario,
    ScenarioResult,
    default_sensitivity_ranges,
    evaluate_cost_scenario,
    parameter_swing,
    price_performance_ratio,
    scenario_sensitivity,
    with_fitted_efficiencies,
)
from chiplab.cost.scenarios.offers import (
    REFERENCE_OFFERS,
    OfferComparison,
    OfferRow,
    compare_design,
    compare_offers,
    reference_offers,
)
from chiplab.cost.scenarios.sides import (
    ChipSide,
    OwnOrRent,
    own,
    own_or_rent,
    price_label,
    price_options,
    rent,
    rent_price_to_compare,
    scenario_chips,
    what_if_price,
)
from chiplab.cost.scenarios.workloads import (
    WORKLOADS,
    ServingWorkload,
    Throughput,
    TrainingWorkload,
    Workload,
    efficiencies_of,
    estimate_throughput,
    workload,
)

__all__ = [
    "REFERENCE_OFFERS",
    "WORKLOADS",
    "ChipCost",
    "ChipSide",
    "CostScenario",
    "OfferComparison",
    "OfferRow",
    "OwnOrRent",
    "ScenarioResult",
    "ServingWorkload",
    "Throughput",
    "TrainingWorkload",
    "Workload",
    "compare_design",
    "compare_offers",
    "default_sensitivity_ranges",
    "efficiencies_of",
    "estimate_throughput",
    "evaluate_cost_scenario",
    "own",
    "own_or_rent",
    "parameter_swing",
    "price_label",
    "price_options",
    "price_performance_ratio",
    "reference_offers",
    "rent",
    "rent_price_to_compare",
    "scenario_chips",
    "scenario_sensitivity",
    "what_if_price",
    "with_fitted_efficiencies",
    "workload",
]
