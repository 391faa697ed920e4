"""Two chips on one workload: cost, tokens per dollar, break-even price and sensitivity."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chiplab._checks import positive
from chiplab.cost.comparison import PricePerformance
from chiplab.cost.prices import price_caveats
from chiplab.cost.run_cost import RunCost, training_run_cost
from chiplab.cost.scenarios._format import _chips_text
from chiplab.cost.scenarios.sides import ChipSide
from chiplab.cost.scenarios.workloads import (
    Throughput,
    TrainingWorkload,
    Workload,
    efficiencies_of,
    estimate_throughput,
    workload,
)
from chiplab.cost.sensitivity import ParameterSwing, SensitivityResult, one_at_a_time
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.tables import markdown_table
from chiplab.units import SECONDS_PER_DAY, format_number, format_usd_estimate

# ---------------------------------------------------------------------------------------------------------------
# A scenario and its result
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CostScenario:
    """Chip A against chip B on one workload, for ``num_tokens`` tokens trained or served."""

    a: ChipSide
    b: ChipSide
    workload: Workload = dataclasses.field(default_factory=TrainingWorkload)
    num_tokens: float = 1e12

    def __post_init__(self) -> None:
        for name in ("a", "b"):
            if not isinstance(getattr(self, name), ChipSide):
                raise ChiplabInputError(f"{name} must be a ChipSide (rent(...) or own(...)); got "
                                        f"{getattr(self, name)!r}")
        object.__setattr__(self, "workload", workload(self.workload))
        positive("num_tokens", self.num_tokens)

    def with_a(self, **changes: Any) -> CostScenario:
        """The scenario with chip A's side changed, e.g. ``with_a(matmul_efficiency_fraction=0.8)``."""
        return dataclasses.replace(self, a=dataclasses.replace(self.a, **changes))

    def with_b(self, **changes: Any) -> CostScenario:
        """The scenario with chip B's side changed."""
        return dataclasses.replace(self, b=dataclasses.replace(self.b, **changes))


@dataclass(frozen=True)
class ChipCost:
    """One side of a scenario, evaluated."""

    side: ChipSide
    throughput: Throughput
    tokens_per_usd: float
    usd_per_million_tokens: float
    run: RunCost  # num_tokens on the workload's chips, idle hours included in the price
    wall_time_s: float  # the run's duration including idle hours (useful time ÷ utilisation)
    tokens_per_j: float | None  # at the chip's TDP (not a measured draw); None where no TDP is published

    @property
    def chip_id(self) -> str:
        return self.side.chip

    @property
    def tokens_per_s_per_chip(self) -> float:
        return self.throughput.tokens_per_s_per_chip

    @property
    def wall_time_days(self) -> float:
        return self.wall_time_s / SECONDS_PER_DAY

    @property
    def tokens_per_usd_range(self) -> tuple[float, float] | None:
        """(low, high) of the true tokens per dollar over the throughput's error band; None without a band."""
        speed = self.throughput.tokens_per_s_per_chip_range
        if speed is None:
            return None
        per_speed = self.tokens_per_usd / self.tokens_per_s_per_chip
        return per_speed * speed[0], per_speed * speed[1]

    @property
    def usd_per_million_tokens_range(self) -> tuple[float, float] | None:
        """(low, high) of the true USD per million tokens over the throughput's error band (the price is fixed, so
        the cost scales as 1 / tokens per second); None without a band."""
        speed = self.throughput.tokens_per_s_per_chip_range
        if speed is None:
            return None
        central = self.usd_per_million_tokens * self.tokens_per_s_per_chip
        return central / speed[1], central / speed[0]


def _chip_cost(side: ChipSide, throughput: Throughput, num_tokens: float, per_usd: float) -> ChipCost:
    run = training_run_cost(num_chips=throughput.num_chips, price=side.usd_per_useful_chip_hour,
                            num_tokens=num_tokens, tokens_per_s_per_chip=throughput.tokens_per_s_per_chip)
    tdp = load_chip(side.chip).tdp_w
    return ChipCost(side=side, throughput=throughput, tokens_per_usd=per_usd, usd_per_million_tokens=1e6 / per_usd,
                    run=run, wall_time_s=run.duration_s / side.utilization_fraction,
                    tokens_per_j=None if tdp is None else throughput.tokens_per_s_per_chip / tdp)


def _throughput_of(side: ChipSide, work: Workload) -> Throughput:
    return estimate_throughput(work, side.chip, matmul_efficiency_fraction=side.matmul_efficiency_fraction,
                               memory_efficiency_fraction=side.memory_efficiency_fraction)


@dataclass(frozen=True)
class ScenarioResult:
    """Both chips evaluated, and how they compare (ratios > 1 favour A)."""

    scenario: CostScenario
    comparison: PricePerformance  # the one comparison model (chiplab.cost.comparison)
    a: ChipCost
    b: ChipCost
    caveats: tuple[str, ...]

    @property
    def price_performance_ratio(self) -> float:
        """Tokens per dollar of A over B: 1.4 means A is "40% better price-performance"."""
        return self.comparison.price_performance_ratio

    @property
    def performance_ratio(self) -> float:
        """Tokens per second per chip of A over B, prices and utilisation aside."""
        return self.comparison.performance_ratio

    @property
    def energy_ratio(self) -> float | None:
        """Tokens per joule (at TDP) of A over B, or None where a TDP is unpublished."""
        if self.a.tokens_per_j is None or self.b.tokens_per_j is None:
            return None
        return self.a.tokens_per_j / self.b.tokens_per_j

    @property
    def cheaper(self) -> str:
        """"a", "b" or "tie": which chip costs less per token."""
        return self.comparison.cheaper

    def break_even_usd_per_chip_hour_a(self, improvement_fraction: float = 0.0) -> float:
        """The most A's chip-hour may cost for A to give (1 + improvement) × B's tokens per dollar, everything
        else (B's price, both utilisations and efficiencies) as in the scenario."""
        return self.comparison.break_even_usd_per_chip_hour_a(improvement_fraction)

    def break_even_range_usd_per_chip_hour_a(self, improvement_fraction: float = 0.0) -> tuple[float, float] | None:
        """The break-even price over both throughputs' error bands (A slowest and B fastest, A fastest and B
        slowest); None unless both chips run on their fitted calibration (only then does a band exist)."""
        return self.comparison.break_even_range_usd_per_chip_hour_a(improvement_fraction)

    @property
    def performance_ratio_range(self) -> tuple[float, float] | None:
        """(low, high) of A's tokens/s per chip over B's across both error bands; None without both bands."""
        band_a, band_b = self.a.throughput.tokens_per_s_per_chip_range, self.b.throughput.tokens_per_s_per_chip_range
        if band_a is None or band_b is None:
            return None
        return band_a[0] / band_b[1], band_a[1] / band_b[0]

    @property
    def price_performance_ratio_range(self) -> tuple[float, float] | None:
        """(low, high) of A's tokens per dollar over B's across both error bands; None without both bands."""
        band_a, band_b = self.a.throughput.tokens_per_s_per_chip_range, self.b.throughput.tokens_per_s_per_chip_range
        if band_a is None or band_b is None:
            return None
        ratio = self.price_performance_ratio / self.performance_ratio  # the prices' and utilisations' part
        return ratio * band_a[0] / band_b[1], ratio * band_a[1] / band_b[0]

    def table(self) -> str:
        """The two chips side by side (Markdown)."""
        rows = []
        for cost in (self.a, self.b):
            side, run = cost.side, cost.run
            mfu = cost.throughput.mfu_fraction
            rows.append([load_chip(side.chip).display_name, side.price_label, f"{side.utilization_fraction:.0%}",
                         f"{cost.tokens_per_s_per_chip:,.0f}", "—" if mfu is None else f"{mfu:.0%}",
                         f"{cost.tokens_per_usd:,.0f}", format_usd_estimate(cost.usd_per_million_tokens),
                         format_usd_estimate(run.cost_usd),
                         f"{format_number(cost.wall_time_days)} days on {_chips_text(run.num_chips)}"])
        return markdown_table(["chip", "price", "useful share of paid hours", "tokens/s per chip", "MFU",
                               "tokens per USD", "USD per million tokens", "cost of the run", "run time"], rows)


def evaluate_cost_scenario(scenario: CostScenario) -> ScenarioResult:
    """Cost both chips of ``scenario`` (see the module docstring). Price caveats are returned, not warned."""
    if not isinstance(scenario, CostScenario):
        raise ChiplabInputError(f"evaluate_cost_scenario needs a CostScenario; got {type(scenario).__name__}")
    speed_a, speed_b = _throughput_of(scenario.a, scenario.workload), _throughput_of(scenario.b, scenario.workload)
    comparison = PricePerformance(tokens_per_s_per_chip_a=speed_a.tokens_per_s_per_chip,
                                  tokens_per_s_per_chip_b=speed_b.tokens_per_s_per_chip,
                                  usd_per_chip_hour_a=scenario.a.usd_per_chip_hour,
                                  usd_per_chip_hour_b=scenario.b.usd_per_chip_hour,
                                  utilization_fraction_a=scenario.a.utilization_fraction,
                                  utilization_fraction_b=scenario.b.utilization_fraction,
                                  tokens_per_s_per_chip_a_band=speed_a.tokens_per_s_per_chip_range,
                                  tokens_per_s_per_chip_b_band=speed_b.tokens_per_s_per_chip_range)
    a = _chip_cost(scenario.a, speed_a, scenario.num_tokens, comparison.tokens_per_usd_a)
    b = _chip_cost(scenario.b, speed_b, scenario.num_tokens, comparison.tokens_per_usd_b)
    prices = [side.price for side in (scenario.a, scenario.b) if side.price is not None]
    caveats = list(price_caveats(*prices)) if len(prices) == 2 else [
        f"{p.chip_id} price has no source (typed by hand)" for p in prices if p.provenance is None]
    caveats += [f"{side.chip} is owned: its chip-hour is the owner's TCO (capex, energy, hosting), not a "
                f"market price" for side in (scenario.a, scenario.b) if side.is_owned]
    return ScenarioResult(scenario=scenario, comparison=comparison, a=a, b=b, caveats=tuple(caveats))


def price_performance_ratio(scenario: CostScenario) -> float:
    """Tokens per dollar of A over B: the metric of :func:`scenario_sensitivity`."""
    return evaluate_cost_scenario(scenario).price_performance_ratio


def default_sensitivity_ranges(scenario: CostScenario) -> dict[str, tuple[float, float]]:
    """Ranges for the tornado: each price from half to twice its value, utilisation and software efficiencies
    across plausible spans (the upper ends are the ideal 1.0)."""
    return {
        "a.usd_per_chip_hour": (scenario.a.usd_per_chip_hour / 2, scenario.a.usd_per_chip_hour * 2),
        "b.usd_per_chip_hour": (scenario.b.usd_per_chip_hour / 2, scenario.b.usd_per_chip_hour * 2),
        "a.utilization_fraction": (0.3, 1.0),
        "b.utilization_fraction": (0.3, 1.0),
        "a.matmul_efficiency_fraction": (0.4, 1.0),
        "b.matmul_efficiency_fraction": (0.5, 1.0),
        "a.memory_efficiency_fraction": (0.6, 1.0),
        "b.memory_efficiency_fraction": (0.6, 1.0),
    }


def with_fitted_efficiencies(scenario: CostScenario) -> CostScenario:
    """The scenario with each efficiency left out (None) written as the chip's fitted value: the same estimates
    (and bands), but every assumption a number a sensitivity can start from."""
    changes = {}
    for name in ("a", "b"):
        side = getattr(scenario, name)
        matmul, memory = efficiencies_of(scenario.workload, side.chip)
        changes[name] = dataclasses.replace(
            side, matmul_efficiency_fraction=matmul if side.matmul_efficiency_fraction is None
            else side.matmul_efficiency_fraction, memory_efficiency_fraction=memory
            if side.memory_efficiency_fraction is None else side.memory_efficiency_fraction)
    return dataclasses.replace(scenario, **changes)


def scenario_sensitivity(scenario: CostScenario,
                         ranges: Mapping[str, tuple[float, float]] | None = None) -> SensitivityResult:
    """One-at-a-time sensitivity of A's tokens-per-dollar advantage (threshold 1: the winner flips there)."""
    if not isinstance(scenario, CostScenario):
        raise ChiplabInputError(f"scenario_sensitivity needs a CostScenario; got {type(scenario).__name__}")
    scenario = with_fitted_efficiencies(scenario)
    return one_at_a_time(price_performance_ratio, scenario,
                         dict(default_sensitivity_ranges(scenario) if ranges is None else ranges), threshold=1.0)


def parameter_swing(result: SensitivityResult, name: str) -> ParameterSwing:
    """The swing of one assumption in a sensitivity result, by its (dotted) name, e.g. ``"matmul_efficiency_a"``."""
    for swing in result.parameters:
        if swing.name == name:
            return swing
    raise ChiplabInputError(f"no assumption {name!r} in this sensitivity result; it has "
                            f"{', '.join(p.name for p in result.parameters)}")
