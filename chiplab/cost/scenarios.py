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

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from chiplab._checks import positive_int
from chiplab.cost._checks import fraction, positive
from chiplab.cost.prices import offers_for, price_caveats, price_for
from chiplab.cost.records import PRICE_KINDS, Price
from chiplab.cost.run_cost import RunCost, training_run_cost
from chiplab.cost.sensitivity import ParameterSwing, SensitivityResult, one_at_a_time
from chiplab.cost.tco import OwnerAssumptions, OwnerTco, compare_with_cloud, owner_tco
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.hardware.chip import Chip
from chiplab.perf.calibration import Calibration
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.tables import markdown_table
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0

# ---------------------------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrainingWorkload:
    """Pre-training a model preset: ``tensor`` × ``pipeline`` × ``data`` chips, ``global_batch`` sequences of
    ``seq_len`` tokens per step (the defaults are :class:`chiplab.cost.claims.TrainingMatchup`'s setup)."""

    model: str = "llama3_70b"
    tensor: int = 8
    pipeline: int = 4
    data: int = 16
    zero_stage: int = 1
    global_batch: int = 512
    seq_len: int = 4096
    recompute: str = "full"

    kind = "training"

    def __post_init__(self) -> None:
        for name in ("tensor", "pipeline", "data", "global_batch", "seq_len"):
            positive_int(name, getattr(self, name))

    @property
    def num_chips(self) -> int:
        return self.tensor * self.pipeline * self.data

    @property
    def label(self) -> str:
        return (f"train {self.model} on {self.num_chips} chips (tensor {self.tensor}, pipeline {self.pipeline}, "
                f"data {self.data}; {self.global_batch} × {self.seq_len} tokens per step)")


@dataclass(frozen=True, kw_only=True)
class ServingWorkload:
    """Serving a model preset: ``batch`` requests of ``prompt_len`` prompt and ``output_len`` generated tokens
    on ``tensor_parallel`` chips. Tokens counted are the generated ones."""

    model: str = "llama3_8b"
    batch: int = 32
    prompt_len: int = 2048
    output_len: int = 512
    tensor_parallel: int = 1

    kind = "serving"

    def __post_init__(self) -> None:
        for name in ("batch", "prompt_len", "output_len", "tensor_parallel"):
            positive_int(name, getattr(self, name))

    @property
    def num_chips(self) -> int:
        return self.tensor_parallel

    @property
    def label(self) -> str:
        return (f"serve {self.model} on {self.tensor_parallel} chip{'s' if self.tensor_parallel > 1 else ''} "
                f"({self.batch} requests, {self.prompt_len} prompt + {self.output_len} output tokens)")


Workload = TrainingWorkload | ServingWorkload

# Named setups for the explorers and the book. Each fits in the memory of every chip the book compares (a test
# checks the main ones); "decode-heavy" is the serving case where memory bandwidth, not the array, decides.
WORKLOADS: Mapping[str, Workload] = {
    "pre-train Llama 3 70B": TrainingWorkload(),
    "pre-train Llama 3 8B": TrainingWorkload(model="llama3_8b", tensor=4, pipeline=1, data=16, global_batch=256),
    "pre-train Llama 3.2 3B (on-device size)": TrainingWorkload(model="llama32_3b", tensor=2, pipeline=1, data=32,
                                                                global_batch=512),
    "serve Llama 3 8B (chat)": ServingWorkload(),
    "serve Llama 3 8B (decode-heavy)": ServingWorkload(prompt_len=128, output_len=2048),
    "serve Llama 3 70B (8 chips)": ServingWorkload(model="llama3_70b", tensor_parallel=8),
}


def workload(name: str | Workload) -> Workload:
    """A workload by its name in :data:`WORKLOADS` (or the workload itself)."""
    if isinstance(name, TrainingWorkload | ServingWorkload):
        return name
    if name not in WORKLOADS:
        raise ChiplabInputError(f"workload must be one of {', '.join(repr(k) for k in WORKLOADS)}; got {name!r}")
    return WORKLOADS[name]


@dataclass(frozen=True)
class Throughput:
    """How fast one chip works on a workload (the performance model's answer, per chip)."""

    chip_id: str
    workload: Workload
    tokens_per_s_per_chip: float
    num_chips: int
    mfu_fraction: float | None  # training: model FLOPs utilisation; serving: None (decode is memory-bound)
    bottleneck: str  # what limits the ops that take most of the step ("compute", "HBM", ...)
    estimate: TrainingEstimate | ServingEstimate


def _amount(value: float) -> str:
    """'1,234' for large values, '3.21' for small ones (three significant digits)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _usd(value: float) -> str:
    return "$" + _amount(value)


def _chips_text(num_chips: int) -> str:
    return f"{num_chips:,} chip" + ("s" if num_chips != 1 else "")


def _chip(chip: str | Chip) -> Chip:
    return chip if isinstance(chip, Chip) else load_chip(chip)


@lru_cache(maxsize=512)
def _throughput(work: Workload, chip: Chip, calibration: Calibration) -> Throughput:
    model = load_model(work.model)
    if isinstance(work, TrainingWorkload):
        parallelism = Parallelism(tensor=work.tensor, pipeline=work.pipeline, data=work.data,
                                  zero_stage=work.zero_stage)
        est = estimate_training(model, chip, parallelism=parallelism, global_batch=work.global_batch,
                                seq_len=work.seq_len, recompute=work.recompute, calibration=calibration)
        by_bottleneck = est.microbatch_step.time_by("bottleneck")
        return Throughput(chip.id, work, est.tokens_per_s / est.num_chips, est.num_chips, est.mfu_fraction,
                          max(by_bottleneck, key=by_bottleneck.get), est)
    est = estimate_serving(model, chip, batch=work.batch, prompt_len=work.prompt_len, output_len=work.output_len,
                           tensor_parallel=work.tensor_parallel, calibration=calibration)
    by_bottleneck = est.mean_decode.time_by("bottleneck")
    return Throughput(chip.id, work, est.output_tokens_per_s_per_chip, work.tensor_parallel, None,
                      max(by_bottleneck, key=by_bottleneck.get), est)


def estimate_throughput(work: str | Workload, chip: str | Chip, *, matmul_efficiency_fraction: float = 1.0,
                        memory_efficiency_fraction: float = 1.0) -> Throughput:
    """Tokens per second per chip of ``chip`` (a catalog id or a :class:`Chip`, e.g. a design) on a workload.

    The efficiencies are the calibration of the chip's software: achieved ÷ modelled matrix throughput and
    achievable ÷ datasheet HBM bandwidth (1.0, the default, is the ideal hardware: an upper bound). Results are
    cached, so the explorers pay for each (workload, chip, efficiency) once.
    """
    calibration = Calibration(name="scenario", matmul_efficiency_fraction=matmul_efficiency_fraction,
                              memory_efficiency_fraction=memory_efficiency_fraction,
                              source="assumption of the cost scenario")
    return _throughput(workload(work), _chip(chip), calibration)


# ---------------------------------------------------------------------------------------------------------------
# How a chip-hour is paid for
# ---------------------------------------------------------------------------------------------------------------


def what_if_price(chip: str, usd_per_chip_hour: float, note: str = "what-if price typed by the reader") -> Price:
    """A price you type yourself: kind ``"estimate"``, no provenance, dated this month. Tables call it "what-if"."""
    return Price(chip_id=_chip(chip).id, usd_per_chip_hour=positive("usd_per_chip_hour", usd_per_chip_hour),
                 kind="estimate", as_of=date.today().strftime("%Y-%m"), note=note)


def price_label(price: Price) -> str:
    """'$4.92/chip-h, capacity-block AWS p5.48xlarge (...)', or '... what-if (not a sourced price)'."""
    where = "what-if (not a sourced price)" if price.provenance is None else price.label
    return f"${price.usd_per_chip_hour:.2f}/chip-h, {where}"


def price_options(chip: str) -> tuple[Price, ...]:
    """The sourced cloud offers for ``chip``, list prices first (on-demand, then reserved, capacity blocks and
    spot), the catalog's own part before a stand-in part, the most recent first within a kind."""
    return tuple(sorted(offers_for(chip), key=lambda p: (PRICE_KINDS.index(p.kind), bool(p.priced_part),
                                                         -p.observed_to.toordinal(), -p.observed_from.toordinal(),
                                                         -p.num_chips_per_instance)))


def scenario_chips() -> list[str]:
    """Real catalog chips the performance model can place a workload on: a matrix-unit geometry, a scratchpad of
    known size, and a scale-up link with a known bandwidth and size (training needs it)."""
    found = []
    for chip_id in list_chips():
        chip = load_chip(chip_id)
        scratchpad = next((level for level in chip.memory_levels if level.role == "scratchpad"), None)
        link = chip.links[0] if chip.links else None
        if (chip.kind == "real" and chip.core.matrix_unit.array is not None and scratchpad is not None
                and scratchpad.capacity_bytes is not None and "bf16" in chip.peak_dtypes and link is not None
                and link.max_chips is not None and (link.bandwidth_bytes_per_s or link.per_link_one_way_bytes_per_s)):
            found.append(chip_id)
    return found


@dataclass(frozen=True, kw_only=True)
class ChipSide:
    """One chip of a scenario and how its hours are paid for. Build it with :func:`rent` or :func:`own`.

    ``usd_per_chip_hour`` is what one paid chip-hour costs (a cloud price, or an owner's TCO per wall-clock
    hour); ``utilization_fraction`` is the share of paid hours doing useful work (idle hours are charged to the
    useful ones). The efficiencies are the software calibration (see :func:`estimate_throughput`).
    """

    chip: str
    usd_per_chip_hour: float
    price_label: str
    price: Price | None = None  # the cloud or what-if price, for caveats; None when owned
    owner: OwnerTco | None = None  # the owner's TCO breakdown, when owned
    utilization_fraction: float = 1.0
    matmul_efficiency_fraction: float = 1.0
    memory_efficiency_fraction: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "chip", _chip(self.chip).id)
        positive(f"{self.chip}: usd_per_chip_hour", self.usd_per_chip_hour)
        fraction(f"{self.chip}: utilization_fraction", self.utilization_fraction, allow_zero=False)
        fraction(f"{self.chip}: matmul_efficiency_fraction", self.matmul_efficiency_fraction, allow_zero=False)
        fraction(f"{self.chip}: memory_efficiency_fraction", self.memory_efficiency_fraction, allow_zero=False)

    @property
    def usd_per_useful_chip_hour(self) -> float:
        return self.usd_per_chip_hour / self.utilization_fraction

    @property
    def is_owned(self) -> bool:
        return self.owner is not None


def rent(chip: str, price: Price, *, utilization_fraction: float = 1.0, matmul_efficiency_fraction: float = 1.0,
         memory_efficiency_fraction: float = 1.0) -> ChipSide:
    """``chip`` rented at ``price`` (from :func:`~chiplab.cost.price_for`, or :func:`what_if_price`)."""
    if not isinstance(price, Price):
        raise ChiplabInputError(f"price must be a Price (price_for(...) or what_if_price(...)); got {price!r}")
    chip_id = _chip(chip).id
    if price.chip_id != chip_id:
        raise ChiplabInputError(f"the price is for {price.chip_id}, not {chip_id}")
    return ChipSide(chip=chip_id, usd_per_chip_hour=price.usd_per_chip_hour, price_label=price_label(price),
                    price=price, utilization_fraction=utilization_fraction,
                    matmul_efficiency_fraction=matmul_efficiency_fraction,
                    memory_efficiency_fraction=memory_efficiency_fraction)


def own(chip: str, assumptions: OwnerAssumptions, *, matmul_efficiency_fraction: float = 1.0,
        memory_efficiency_fraction: float = 1.0) -> ChipSide:
    """``chip`` owned: its chip-hour costs the owner's TCO (:func:`~chiplab.cost.owner_tco`), and the owner's
    utilisation (``assumptions.utilization_fraction``) is the share of hours doing useful work."""
    tco = owner_tco(assumptions)
    # One dollar sign only: tables of these labels are Markdown, where "$1 ... $2" would be read as math.
    label = (f"${tco.total_usd_per_chip_hour:.2f}/chip-h, owned: capex {assumptions.capex_usd_per_chip:,.0f} USD "
             f"over {assumptions.amortisation_years:g} years, {assumptions.usd_per_kwh:.3f} USD/kWh, "
             f"PUE {assumptions.pue:.2f}")
    return ChipSide(chip=chip, usd_per_chip_hour=tco.total_usd_per_chip_hour, price_label=label, owner=tco,
                    utilization_fraction=assumptions.utilization_fraction,
                    matmul_efficiency_fraction=matmul_efficiency_fraction,
                    memory_efficiency_fraction=memory_efficiency_fraction)


@dataclass(frozen=True)
class OwnOrRent:
    """One chip owned (TCO) next to the same chip rented (a cloud price), per *useful* chip-hour."""

    chip_id: str
    tco: OwnerTco
    cloud_price: Price
    cloud_utilization_fraction: float
    owner_parts: tuple[tuple[str, float], ...]  # (component, USD per useful chip-hour), adding up to the total
    owner_usd_per_useful_chip_hour: float
    cloud_usd_per_useful_chip_hour: float

    @property
    def owner_to_cloud_ratio(self) -> float:
        """< 1: owning is cheaper per useful hour."""
        return self.owner_usd_per_useful_chip_hour / self.cloud_usd_per_useful_chip_hour

    @property
    def break_even_owner_utilization_fraction(self) -> float:
        """The owner's utilisation at which owning costs what renting does; above it owning is cheaper. A value
        above 1 means owning never wins at these prices."""
        return self.tco.total_usd_per_chip_hour / self.cloud_usd_per_useful_chip_hour


def own_or_rent(assumptions: OwnerAssumptions, price: Price, cloud_utilization_fraction: float = 1.0) -> OwnOrRent:
    """The owner's TCO (idle hours charged to useful ones at ``assumptions.utilization_fraction``) next to
    renting at ``price`` (idle rented hours charged at ``cloud_utilization_fraction``; 1.0: rent only what you
    use)."""
    tco = owner_tco(assumptions)
    versus = compare_with_cloud(tco, price, cloud_utilization_fraction)
    parts = tuple((name, usd / assumptions.utilization_fraction) for name, usd in tco.components())
    return OwnOrRent(chip_id=price.chip_id, tco=tco, cloud_price=price,
                     cloud_utilization_fraction=cloud_utilization_fraction, owner_parts=parts,
                     owner_usd_per_useful_chip_hour=versus.owner_usd_per_useful_chip_hour,
                     cloud_usd_per_useful_chip_hour=versus.cloud_usd_per_useful_chip_hour)


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


def _chip_cost(side: ChipSide, work: Workload, num_tokens: float) -> ChipCost:
    throughput = estimate_throughput(work, side.chip, matmul_efficiency_fraction=side.matmul_efficiency_fraction,
                                     memory_efficiency_fraction=side.memory_efficiency_fraction)
    run = training_run_cost(num_chips=throughput.num_chips, price=side.usd_per_useful_chip_hour,
                            num_tokens=num_tokens, tokens_per_s_per_chip=throughput.tokens_per_s_per_chip)
    tdp = load_chip(side.chip).tdp_w
    return ChipCost(side=side, throughput=throughput, tokens_per_usd=run.tokens_per_usd,
                    usd_per_million_tokens=run.usd_per_million_tokens, run=run,
                    wall_time_s=run.duration_s / side.utilization_fraction,
                    tokens_per_j=None if tdp is None else throughput.tokens_per_s_per_chip / tdp)


@dataclass(frozen=True)
class ScenarioResult:
    """Both chips evaluated, and how they compare (ratios > 1 favour A)."""

    scenario: CostScenario
    a: ChipCost
    b: ChipCost
    caveats: tuple[str, ...]

    @property
    def price_performance_ratio(self) -> float:
        """Tokens per dollar of A over B: 1.4 means A is "40% better price-performance"."""
        return self.a.tokens_per_usd / self.b.tokens_per_usd

    @property
    def performance_ratio(self) -> float:
        """Tokens per second per chip of A over B, prices and utilisation aside."""
        return self.a.tokens_per_s_per_chip / self.b.tokens_per_s_per_chip

    @property
    def energy_ratio(self) -> float | None:
        """Tokens per joule (at TDP) of A over B, or None where a TDP is unpublished."""
        if self.a.tokens_per_j is None or self.b.tokens_per_j is None:
            return None
        return self.a.tokens_per_j / self.b.tokens_per_j

    @property
    def cheaper(self) -> str:
        """"a", "b" or "tie": which chip costs less per token."""
        ratio = self.price_performance_ratio
        return "tie" if ratio == 1 else ("a" if ratio > 1 else "b")

    def break_even_usd_per_chip_hour_a(self, improvement_fraction: float = 0.0) -> float:
        """The most A's chip-hour may cost for A to give (1 + improvement) × B's tokens per dollar, everything
        else (B's price, both utilisations and efficiencies) as in the scenario."""
        if not 0 <= improvement_fraction < 10:
            raise ChiplabInputError(f"improvement_fraction must be in [0, 10); got {improvement_fraction!r}")
        return self.scenario.a.usd_per_chip_hour * self.price_performance_ratio / (1 + improvement_fraction)

    def table(self) -> str:
        """The two chips side by side (Markdown)."""
        rows = []
        for cost in (self.a, self.b):
            side, run = cost.side, cost.run
            mfu = cost.throughput.mfu_fraction
            rows.append([load_chip(side.chip).display_name, side.price_label, f"{side.utilization_fraction:.0%}",
                         f"{cost.tokens_per_s_per_chip:,.0f}", "—" if mfu is None else f"{mfu:.0%}",
                         f"{cost.tokens_per_usd:,.0f}", _usd(cost.usd_per_million_tokens), _usd(run.cost_usd),
                         f"{_amount(cost.wall_time_days)} days on {_chips_text(run.num_chips)}"])
        return markdown_table(["chip", "price", "useful share of paid hours", "tokens/s per chip", "MFU",
                               "tokens per USD", "USD per million tokens", "cost of the run", "run time"], rows)


def evaluate_cost_scenario(scenario: CostScenario) -> ScenarioResult:
    """Cost both chips of ``scenario`` (see the module docstring). Price caveats are returned, not warned."""
    if not isinstance(scenario, CostScenario):
        raise ChiplabInputError(f"evaluate_cost_scenario needs a CostScenario; got {type(scenario).__name__}")
    a = _chip_cost(scenario.a, scenario.workload, scenario.num_tokens)
    b = _chip_cost(scenario.b, scenario.workload, scenario.num_tokens)
    prices = [side.price for side in (scenario.a, scenario.b) if side.price is not None]
    caveats = list(price_caveats(*prices)) if len(prices) == 2 else [
        f"{p.chip_id} price has no source (typed by hand)" for p in prices if p.provenance is None]
    caveats += [f"{side.chip} is owned: its chip-hour is the owner's TCO (capex, energy, hosting), not a "
                f"market price" for side in (scenario.a, scenario.b) if side.is_owned]
    return ScenarioResult(scenario=scenario, a=a, b=b, caveats=tuple(caveats))


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


def scenario_sensitivity(scenario: CostScenario,
                         ranges: Mapping[str, tuple[float, float]] | None = None) -> SensitivityResult:
    """One-at-a-time sensitivity of A's tokens-per-dollar advantage (threshold 1: the winner flips there)."""
    if not isinstance(scenario, CostScenario):
        raise ChiplabInputError(f"scenario_sensitivity needs a CostScenario; got {type(scenario).__name__}")
    return one_at_a_time(price_performance_ratio, scenario,
                         dict(default_sensitivity_ranges(scenario) if ranges is None else ranges), threshold=1.0)


def parameter_swing(result: SensitivityResult, name: str) -> ParameterSwing:
    """The swing of one assumption in a sensitivity result, by its (dotted) name, e.g. ``"matmul_efficiency_a"``."""
    for swing in result.parameters:
        if swing.name == name:
            return swing
    raise ChiplabInputError(f"no assumption {name!r} in this sensitivity result; it has "
                            f"{', '.join(p.name for p in result.parameters)}")


# ---------------------------------------------------------------------------------------------------------------
# Many chips, each with a price or none
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferRow:
    """One chip on the workload, with its price (or None: no sourced price exists)."""

    chip_id: str
    display_name: str
    throughput: Throughput
    price: Price | None

    @property
    def tokens_per_s_per_chip(self) -> float:
        return self.throughput.tokens_per_s_per_chip

    @property
    def tokens_per_usd(self) -> float | None:
        if self.price is None:
            return None
        return self.tokens_per_s_per_chip * SECONDS_PER_HOUR / self.price.usd_per_chip_hour

    @property
    def usd_per_million_tokens(self) -> float | None:
        per_usd = self.tokens_per_usd
        return None if per_usd is None else 1e6 / per_usd

    @property
    def price_text(self) -> str:
        """'$4.92 capacity-block (AWS p5.48xlarge, 2024-07..2024-12)', 'what-if' or 'no sourced price'."""
        if self.price is None:
            return "no sourced price"
        if self.price.provenance is None:
            return f"${self.price.usd_per_chip_hour:.2f} what-if (not a sourced price)"
        where = " ".join(part for part in (self.price.provider, self.price.instance) if part)
        return f"${self.price.usd_per_chip_hour:.2f} {self.price.kind} ({where}, {self.price.as_of})"


@dataclass(frozen=True)
class OfferComparison:
    """Several chips on one workload. ``skipped`` lists chips the model could not run, with the reason."""

    workload: Workload
    rows: tuple[OfferRow, ...]
    skipped: tuple[tuple[str, str], ...]
    caveats: tuple[str, ...]

    def row(self, chip_id: str) -> OfferRow:
        for row in self.rows:
            if row.chip_id == chip_id:
                return row
        raise ChiplabInputError(f"no row for {chip_id!r}; rows: {', '.join(r.chip_id for r in self.rows)}")

    @property
    def best_tokens_per_usd(self) -> OfferRow | None:
        """The priced row with the most tokens per dollar (None if no row has a price)."""
        priced = [row for row in self.rows if row.price is not None]
        return max(priced, key=lambda row: row.tokens_per_usd) if priced else None

    def break_even_usd_per_chip_hour(self, chip_id: str, against: str, improvement_fraction: float = 0.0) -> float:
        """The most ``chip_id`` may cost per chip-hour to give (1 + improvement) × the tokens per dollar of
        ``against`` (which needs a price)."""
        row, other = self.row(chip_id), self.row(against)
        if other.price is None:
            raise ChiplabInputError(f"{against} has no price in this comparison, so nothing to break even with")
        return row.tokens_per_s_per_chip * SECONDS_PER_HOUR / (other.tokens_per_usd * (1 + improvement_fraction))

    def table(self) -> str:
        rows = []
        for row in self.rows:
            mfu = row.throughput.mfu_fraction
            rows.append([row.display_name, row.price_text, f"{row.tokens_per_s_per_chip:,.0f}",
                         "—" if mfu is None else f"{mfu:.0%}", row.throughput.bottleneck,
                         "—" if row.tokens_per_usd is None else f"{row.tokens_per_usd:,.0f}",
                         "—" if row.usd_per_million_tokens is None else _usd(row.usd_per_million_tokens)])
        return markdown_table(["chip", "USD per chip-hour", "tokens/s per chip", "MFU", "bottleneck",
                               "tokens per USD", "USD per million tokens"], rows)


# The real chips a design is compared with: the seed's chips, each at a sourced price of the same provider and
# date where one exists (AWS capacity blocks, late 2024), and Trainium2 without one (the recorded gap).
REFERENCE_OFFERS: tuple[tuple[str, str | None], ...] = (
    ("trainium2", None), ("h100_sxm", "capacity-block"), ("h200", "capacity-block"), ("tpu_v5p", "on-demand"))


def reference_offers(offers: Sequence[tuple[str, str | None]] = REFERENCE_OFFERS) -> list[tuple[str, Price | None]]:
    """(chip, price) pairs from (chip, price kind or None) pairs, the prices from chiplab's data."""
    return [(chip, None if kind is None else price_for(chip, kind)) for chip, kind in offers]


def compare_offers(work: str | Workload, entries: Sequence[tuple[str | Chip, Price | None]], *,
                   skip_errors: bool = False) -> OfferComparison:
    """Each (chip, price or None) on ``work``. A chip the model cannot run (it does not fit, it lacks a link)
    raises, or with ``skip_errors`` goes to ``skipped`` with the reason."""
    work = workload(work)
    if not entries:
        raise ChiplabInputError("entries must list at least one (chip, price) pair")
    rows, skipped = [], []
    for chip, price in entries:
        chip_record = _chip(chip)
        if price is not None and (not isinstance(price, Price) or price.chip_id != chip_record.id):
            raise ChiplabInputError(f"the price for {chip_record.id} must be a Price of that chip or None; "
                                    f"got {price!r}")
        try:
            throughput = _throughput(work, chip_record, Calibration())
        except ChiplabInputError as exc:
            if not skip_errors:
                raise
            skipped.append((chip_record.id, str(exc)))
            continue
        rows.append(OfferRow(chip_record.id, chip_record.display_name, throughput, price))
    prices = [row.price for row in rows if row.price is not None]
    caveats = price_caveats(*prices) if len(prices) > 1 else ()
    return OfferComparison(workload=work, rows=tuple(rows), skipped=tuple(skipped), caveats=tuple(caveats))


def compare_design(design: Chip, usd_per_chip_hour: float, work: str | Workload,
                   references: Sequence[tuple[str, Price | None]] | None = None) -> OfferComparison:
    """A designed chip (:func:`chiplab.hardware.custom.design_chip`) at a what-if price, first, against real
    chips at their sourced prices (:func:`reference_offers` by default)."""
    if not isinstance(design, Chip):
        raise ChiplabInputError(f"design must be a Chip (from design_chip); got {type(design).__name__}")
    price = Price(chip_id=design.id, usd_per_chip_hour=positive("usd_per_chip_hour", usd_per_chip_hour),
                  kind="estimate", as_of=date.today().strftime("%Y-%m"), note="what-if price of a design")
    others = reference_offers() if references is None else list(references)
    if design.id in {_chip(chip).id for chip, _ in others}:
        raise ChiplabInputError(f"the design's id {design.id!r} is also a reference chip's; give the design its own "
                                "chip_id in design_chip(...)")
    comparison = compare_offers(work, [(design, price), *others], skip_errors=True)
    if not comparison.rows or comparison.rows[0].chip_id != design.id:
        reason = next((why for chip_id, why in comparison.skipped if chip_id == design.id), "unknown")
        raise ChiplabInputError(f"the design cannot run this workload: {reason}")
    return comparison
