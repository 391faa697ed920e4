"""What a run costs: a training run (chips × hours × price), tokens per dollar, dollars per million tokens served,
performance per watt and energy. Each function takes plain numbers (from the performance model: tokens per second
per chip, achieved FLOP/s) and a price (a :class:`~chiplab.cost.Price`, or a number in USD per chip-hour such as an
owner's TCO) and returns a frozen result whose fields end in their units.

>>> run = training_run_cost(num_chips=1024, duration_s=30 * 24 * 3600, price=2.0)   # a month at $2/chip-hour
>>> run.chip_hours, run.cost_usd
(737280.0, 1474560.0)
>>> serving_cost(tokens_per_s_per_chip=1000, price=3.6).usd_per_million_tokens       # $3.6/h ÷ 3.6M tokens/h
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import fraction, instance_of, non_negative, positive, positive_int
from chiplab.cost.comparison import tokens_per_usd
from chiplab.cost.prices import compare_prices
from chiplab.cost.records import Price
from chiplab.errors import ChiplabInputError
from chiplab.units import JOULES_PER_KWH, SECONDS_PER_HOUR


def _usd_per_chip_hour(price: Price | float) -> tuple[float, Price | None]:
    """A price as (USD per chip-hour, the Price or None): a Price, or a plain number such as an owner's TCO."""
    if isinstance(price, Price):
        return price.usd_per_chip_hour, price
    return positive("price (USD per chip-hour)", price), None


@dataclass(frozen=True)
class RunCost:
    """A training (or any) run on ``num_chips`` chips for ``duration_s`` seconds. The token fields are set when
    the run is described by its tokens (``num_tokens`` at ``tokens_per_s_per_chip``), else None."""

    num_chips: int
    duration_s: float
    chip_hours: float
    usd_per_chip_hour: float
    usd_per_hour: float              # the whole cluster
    cost_usd: float
    num_tokens: float | None
    tokens_per_usd: float | None
    usd_per_million_tokens: float | None
    price: Price | None


def training_run_cost(*, num_chips: int, price: Price | float, duration_s: float | None = None,
                      num_tokens: float | None = None, tokens_per_s_per_chip: float | None = None) -> RunCost:
    """Cost of a run = num_chips × hours × USD per chip-hour.

    Give either ``duration_s`` (e.g. steps × step time from the performance model), or ``num_tokens`` and
    ``tokens_per_s_per_chip`` (then duration = tokens / (tokens/s per chip × chips)).
    """
    num_chips = positive_int("num_chips", num_chips)
    usd_per_chip_hour, price_record = _usd_per_chip_hour(price)
    by_tokens = num_tokens is not None or tokens_per_s_per_chip is not None
    if (duration_s is None) == (not by_tokens) or (by_tokens and None in (num_tokens, tokens_per_s_per_chip)):
        raise ChiplabInputError("give either duration_s, or both num_tokens and tokens_per_s_per_chip; got "
                                f"duration_s={duration_s!r}, num_tokens={num_tokens!r}, "
                                f"tokens_per_s_per_chip={tokens_per_s_per_chip!r}")
    if by_tokens:
        num_tokens = positive("num_tokens", num_tokens)
        duration_s = num_tokens / (positive("tokens_per_s_per_chip", tokens_per_s_per_chip) * num_chips)
    duration_s = positive("duration_s", duration_s)
    chip_hours = num_chips * duration_s / SECONDS_PER_HOUR
    cost_usd = chip_hours * usd_per_chip_hour
    return RunCost(num_chips=num_chips, duration_s=duration_s, chip_hours=chip_hours,
                   usd_per_chip_hour=usd_per_chip_hour, usd_per_hour=num_chips * usd_per_chip_hour,
                   cost_usd=cost_usd, num_tokens=num_tokens,
                   tokens_per_usd=None if num_tokens is None else num_tokens / cost_usd,
                   usd_per_million_tokens=None if num_tokens is None else cost_usd / num_tokens * 1e6,
                   price=price_record)


@dataclass(frozen=True)
class ServingCost:
    """Serving tokens on one chip. ``utilization_fraction`` is the share of paid hours spent serving at that
    rate (traffic is rarely flat), so idle hours are charged to the tokens that are served."""

    tokens_per_s_per_chip: float
    utilization_fraction: float
    usd_per_chip_hour: float
    tokens_per_chip_hour: float
    tokens_per_usd: float
    usd_per_million_tokens: float
    price: Price | None


def serving_cost(*, tokens_per_s_per_chip: float, price: Price | float,
                 utilization_fraction: float = 1.0) -> ServingCost:
    """USD per million tokens = USD per chip-hour / (tokens/s per chip × 3600 × utilisation) × 10⁶."""
    tokens_per_s = positive("tokens_per_s_per_chip", tokens_per_s_per_chip)
    utilization = fraction("utilization_fraction", utilization_fraction, allow_zero=False)
    usd_per_chip_hour, price_record = _usd_per_chip_hour(price)
    per_usd = tokens_per_usd(tokens_per_s, usd_per_chip_hour, utilization)  # the one comparison model's formula
    return ServingCost(tokens_per_s_per_chip=tokens_per_s, utilization_fraction=utilization,
                       usd_per_chip_hour=usd_per_chip_hour,
                       tokens_per_chip_hour=tokens_per_s * SECONDS_PER_HOUR * utilization, tokens_per_usd=per_usd,
                       usd_per_million_tokens=1e6 / per_usd, price=price_record)


@dataclass(frozen=True)
class PerfPerWatt:
    """Work per energy: FLOP/s per W is FLOP per joule (and tokens per joule when a token rate is given)."""

    achieved_flops_per_s: float
    power_w: float
    flops_per_j: float
    tokens_per_j: float | None


def performance_per_watt(*, achieved_flops_per_s: float, power_w: float,
                         tokens_per_s: float | None = None) -> PerfPerWatt:
    """Achieved (not peak) FLOP/s divided by the power drawn meanwhile (chip, or chip + server share)."""
    flops = positive("achieved_flops_per_s", achieved_flops_per_s)
    power = positive("power_w", power_w)
    tokens = None if tokens_per_s is None else positive("tokens_per_s", tokens_per_s)
    return PerfPerWatt(achieved_flops_per_s=flops, power_w=power, flops_per_j=flops / power,
                       tokens_per_j=None if tokens is None else tokens / power)


@dataclass(frozen=True)
class EnergyCost:
    """Energy of ``num_chips`` chips drawing ``power_w`` each for ``duration_s``, with the facility overhead
    (PUE = facility power / IT power) on top."""

    it_power_w: float                # all chips
    facility_power_w: float          # × PUE
    duration_s: float
    it_energy_j: float
    facility_energy_j: float
    usd_per_kwh: float
    usd_per_hour: float
    cost_usd: float


def energy_cost(*, power_w: float, duration_s: float, usd_per_kwh: float, pue: float = 1.0,
                num_chips: int = 1) -> EnergyCost:
    """Cost = power × chips × PUE × hours × USD/kWh. ``power_w`` is the average draw per chip (include the
    server's share of CPUs, memory and fans where you want it: see ``OwnerAssumptions``)."""
    power = positive("power_w", power_w)
    duration = positive("duration_s", duration_s)
    price_kwh = non_negative("usd_per_kwh", usd_per_kwh)
    if not isinstance(pue, int | float) or isinstance(pue, bool) or not 1.0 <= pue <= 5.0:
        raise ChiplabInputError(f"pue must be a number in [1, 5] (facility power / IT power); got {pue!r}")
    it_power = power * positive_int("num_chips", num_chips)
    facility_power = it_power * pue
    usd_per_j = price_kwh / JOULES_PER_KWH
    return EnergyCost(it_power_w=it_power, facility_power_w=facility_power, duration_s=duration,
                      it_energy_j=it_power * duration, facility_energy_j=facility_power * duration,
                      usd_per_kwh=price_kwh, usd_per_hour=facility_power * SECONDS_PER_HOUR * usd_per_j,
                      cost_usd=facility_power * duration * usd_per_j)


@dataclass(frozen=True)
class CostComparison:
    """A against B on one metric (lower is better): their values, A / B, A − B, and the caveats of their prices."""

    metric: str
    a: float
    b: float
    ratio: float
    difference: float
    cheaper: str                     # "a", "b" or "tie"
    caveats: tuple[str, ...]


def compare_costs(a: RunCost | ServingCost, b: RunCost | ServingCost, metric: str | None = None, *,
                  warn: bool = True) -> CostComparison:
    """Compare two costs on ``metric`` (default: USD per million tokens where both have it, else cost_usd).

    When both carry a :class:`Price`, their caveats are checked and a ``PriceComparisonWarning`` is issued if
    the prices differ in kind, date, region or part (``warn=False`` only returns them).
    """
    instance_of("a", a, (RunCost, ServingCost), "a RunCost or ServingCost (from run_cost or serving_cost)")
    instance_of("b", b, (RunCost, ServingCost), "a RunCost or ServingCost (from run_cost or serving_cost)")
    instance_of("warn", warn, bool, "True or False")
    if metric is not None:
        instance_of("metric", metric, str, "the name of a numeric field, e.g. 'cost_usd', or None")
    if metric is None:
        per_token = (getattr(a, "usd_per_million_tokens", None), getattr(b, "usd_per_million_tokens", None))
        metric = "cost_usd" if None in per_token else "usd_per_million_tokens"
    value_a, value_b = getattr(a, metric, None), getattr(b, metric, None)
    if not isinstance(value_a, int | float) or not isinstance(value_b, int | float):
        raise ChiplabInputError(f"metric {metric!r} must be a number on both results; got {value_a!r} and {value_b!r}")
    caveats = compare_prices(a.price, b.price, warn=warn) if a.price and b.price else ()
    cheaper = "tie" if value_a == value_b else ("a" if value_a < value_b else "b")
    return CostComparison(metric=metric, a=value_a, b=value_b, ratio=value_a / value_b,
                          difference=value_a - value_b, cheaper=cheaper, caveats=caveats)
