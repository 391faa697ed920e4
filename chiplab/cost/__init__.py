"""The cost model: dated, sourced prices; the cost of a run, tokens per dollar, performance per watt and energy;
an owner's TCO next to the cloud price; the die-cost and margin decomposition behind "why custom silicon can be
cheaper"; and a one-at-a-time sensitivity analysis that shows which assumption flips the winner.

In data-flow order: ``prices`` (data/prices/*.toml) → ``run_cost`` (needs tokens/s or step times from the
performance model) → ``tco`` (owning instead of renting) → ``silicon`` (what the chip costs to make and to buy)
→ ``make_vs_buy`` (the same for GPUs and custom chips: design cost per unit, the owner's chip-hour, as bands)
→ ``comparison`` (the one model of chip A against chip B: tokens per dollar, their ratio, the break-even price)
→ ``scenarios`` (two chips, each rented or owned, on a named workload; offer rankings) → ``sensitivity`` (what if
an assumption is wrong?) → ``claims`` (published price-performance claims, examined).

>>> from chiplab.cost import price_for, serving_cost
>>> serving_cost(tokens_per_s_per_chip=500, price=price_for("tpu_v5e")).usd_per_million_tokens   # $1.20/h
0.6666666666666666
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiplab._lazy import lazy_exports

if TYPE_CHECKING:
    from chiplab.cost.claims import CLAIM_RANGES, claim_scenario, claim_sensitivity
    from chiplab.cost.comparison import PricePerformance, tokens_per_usd
    from chiplab.cost.make_or_buy import (
        COMPONENTS,
        ChipHourCost,
        ChipHourPoint,
        break_even_volume,
        break_even_volume_band,
        chip_hour_cost,
        make_vs_buy,
        make_vs_buy_all,
        make_vs_buy_chips,
        nre_per_unit_usd,
        replace_input,
    )
    from chiplab.cost.make_or_buy_summary import (
        InputSwing,
        describe_band,
        describe_units,
        input_swings,
        make_vs_buy_table,
    )
    from chiplab.cost.overview import price_availability_table, seed_chips_table, spec_ratios
    from chiplab.cost.prices import (
        PriceComparisonWarning,
        compare_prices,
        hardware_price_for,
        hardware_prices_for,
        load_prices,
        offers_for,
        price_caveats,
        price_for,
        prices_table,
        sourced_value,
        sourced_values,
    )
    from chiplab.cost.records import (
        HARDWARE_INCLUDES,
        PRICE_KINDS,
        HardwarePrice,
        MissingPrice,
        Price,
        SourcedValue,
        parse_as_of,
    )
    from chiplab.cost.run_cost import (
        CostComparison,
        EnergyCost,
        PerfPerWatt,
        RunCost,
        ServingCost,
        compare_costs,
        energy_cost,
        performance_per_watt,
        serving_cost,
        training_run_cost,
    )
    from chiplab.cost.sensitivity import ParameterSwing, SensitivityResult, one_at_a_time
    from chiplab.cost.silicon import (
        YIELD_MODELS,
        SiliconCost,
        SiliconCostAssumptions,
        die_yield_fraction,
        dies_per_wafer,
        estimate_silicon_cost,
        silicon_assumptions_for,
        silicon_price_usd,
    )
    from chiplab.cost.tco import (
        OWNER_DEFAULT_KEYS,
        OwnerAssumptions,
        OwnerTco,
        OwnerVsCloud,
        compare_with_cloud,
        owner_assumptions_for,
        owner_tco,
        owner_usd_per_exaflop,
    )

# Each public name and the module that defines it, imported on first use (chiplab/_lazy.py says why).
_EXPORTS = {
    "CLAIM_RANGES": "claims", "claim_scenario": "claims", "claim_sensitivity": "claims",
    "PricePerformance": "comparison", "tokens_per_usd": "comparison",
    "COMPONENTS": "make_or_buy", "ChipHourCost": "make_or_buy", "ChipHourPoint": "make_or_buy",
    "break_even_volume": "make_or_buy", "break_even_volume_band": "make_or_buy", "chip_hour_cost": "make_or_buy",
    "make_vs_buy": "make_or_buy", "make_vs_buy_all": "make_or_buy", "make_vs_buy_chips": "make_or_buy",
    "nre_per_unit_usd": "make_or_buy", "replace_input": "make_or_buy",
    "InputSwing": "make_or_buy_summary", "describe_band": "make_or_buy_summary",
    "describe_units": "make_or_buy_summary", "input_swings": "make_or_buy_summary",
    "make_vs_buy_table": "make_or_buy_summary",
    "price_availability_table": "overview", "seed_chips_table": "overview", "spec_ratios": "overview",
    "PriceComparisonWarning": "prices", "compare_prices": "prices", "hardware_price_for": "prices",
    "hardware_prices_for": "prices", "load_prices": "prices", "offers_for": "prices", "price_caveats": "prices",
    "price_for": "prices", "prices_table": "prices", "sourced_value": "prices", "sourced_values": "prices",
    "HARDWARE_INCLUDES": "records", "PRICE_KINDS": "records", "HardwarePrice": "records", "MissingPrice": "records",
    "Price": "records", "SourcedValue": "records", "parse_as_of": "records",
    "CostComparison": "run_cost", "EnergyCost": "run_cost", "PerfPerWatt": "run_cost", "RunCost": "run_cost",
    "ServingCost": "run_cost", "compare_costs": "run_cost", "energy_cost": "run_cost",
    "performance_per_watt": "run_cost", "serving_cost": "run_cost", "training_run_cost": "run_cost",
    "ParameterSwing": "sensitivity", "SensitivityResult": "sensitivity", "one_at_a_time": "sensitivity",
    "YIELD_MODELS": "silicon", "SiliconCost": "silicon", "SiliconCostAssumptions": "silicon",
    "die_yield_fraction": "silicon", "dies_per_wafer": "silicon", "estimate_silicon_cost": "silicon",
    "silicon_assumptions_for": "silicon", "silicon_price_usd": "silicon",
    "OWNER_DEFAULT_KEYS": "tco", "OwnerAssumptions": "tco", "OwnerTco": "tco", "OwnerVsCloud": "tco",
    "compare_with_cloud": "tco", "owner_assumptions_for": "tco", "owner_tco": "tco", "owner_usd_per_exaflop": "tco",
}

__all__ = [
    "CLAIM_RANGES",
    "COMPONENTS",
    "HARDWARE_INCLUDES",
    "OWNER_DEFAULT_KEYS",
    "PRICE_KINDS",
    "YIELD_MODELS",
    "ChipHourCost",
    "ChipHourPoint",
    "CostComparison",
    "EnergyCost",
    "HardwarePrice",
    "InputSwing",
    "MissingPrice",
    "OwnerAssumptions",
    "OwnerTco",
    "OwnerVsCloud",
    "ParameterSwing",
    "PerfPerWatt",
    "Price",
    "PriceComparisonWarning",
    "PricePerformance",
    "RunCost",
    "SensitivityResult",
    "ServingCost",
    "SiliconCost",
    "SiliconCostAssumptions",
    "SourcedValue",
    "break_even_volume",
    "break_even_volume_band",
    "chip_hour_cost",
    "claim_scenario",
    "claim_sensitivity",
    "compare_costs",
    "compare_prices",
    "compare_with_cloud",
    "describe_band",
    "describe_units",
    "die_yield_fraction",
    "dies_per_wafer",
    "energy_cost",
    "estimate_silicon_cost",
    "hardware_price_for",
    "hardware_prices_for",
    "input_swings",
    "load_prices",
    "make_vs_buy",
    "make_vs_buy_all",
    "make_vs_buy_chips",
    "make_vs_buy_table",
    "nre_per_unit_usd",
    "offers_for",
    "one_at_a_time",
    "owner_assumptions_for",
    "owner_tco",
    "owner_usd_per_exaflop",
    "parse_as_of",
    "performance_per_watt",
    "price_availability_table",
    "price_caveats",
    "price_for",
    "prices_table",
    "replace_input",
    "seed_chips_table",
    "serving_cost",
    "silicon_assumptions_for",
    "silicon_price_usd",
    "sourced_value",
    "sourced_values",
    "spec_ratios",
    "tokens_per_usd",
    "training_run_cost",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
