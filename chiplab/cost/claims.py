"""The seed's claims as worked analyses: what would have to be true for a custom chip to beat a GPU on cost.

A *matchup* is two chips training the same model the same way, each with its own price and its own software
efficiency — every assumption a named field. The metric is price-performance: tokens per dollar of chip A over
tokens per dollar of chip B (> 1: A is cheaper per token). Because published prices are missing for some chips
(Trainium2 on-demand, for one), the analysis also solves for the **break-even price**: the most A may cost per
chip-hour and still be better by a claimed margin. :func:`matchup_sensitivity` runs the one-at-a-time analysis of
:mod:`chiplab.cost.sensitivity` over the matchup and shows which assumption flips the winner — and when the GPU
wins.

Claims examined in the book (sources in chiplab/data/prices and the shared research notes):

* AWS at Trn2's launch (Dec 2024): Trn2 instances offer "30-40% better price performance" than GPU-based P5e/P5en.
* Apple at AWS re:Invent 2024: early evaluation of Trainium2 suggests "up to 50% improvement in efficiency with
  pre-training" (efficiency undefined; baseline unstated).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from chiplab.cost.scenarios.workloads import TrainingWorkload
from chiplab.cost.sensitivity import SensitivityResult, one_at_a_time
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf.calibration import Calibration
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.tables import markdown_table
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model


@dataclass(frozen=True, kw_only=True)
class TrainingMatchup:
    """Everything the price-performance comparison of two chips rests on."""

    usd_per_chip_hour_a: float  # no default: a price is data (chiplab.cost.prices) or an explicit assumption
    usd_per_chip_hour_b: float
    workload: TrainingWorkload = dataclasses.field(default_factory=TrainingWorkload)  # model, parallelism, batch
    chip_a: str = "trainium2"
    chip_b: str = "h100_sxm"
    matmul_efficiency_a: float = 1.0  # achieved ÷ modelled matrix throughput (software maturity, throttling)
    matmul_efficiency_b: float = 1.0
    memory_efficiency_a: float = 1.0  # achievable ÷ datasheet HBM bandwidth
    memory_efficiency_b: float = 1.0

    def __post_init__(self) -> None:
        for name in ("usd_per_chip_hour_a", "usd_per_chip_hour_b"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ChiplabInputError(f"{name} must be a price > 0 (USD per chip-hour); got {value!r}")


@dataclass(frozen=True)
class MatchupResult:
    matchup: TrainingMatchup
    estimate_a: TrainingEstimate
    estimate_b: TrainingEstimate

    @property
    def tokens_per_usd_a(self) -> float:
        return self.estimate_a.tokens_per_s / self.estimate_a.num_chips * 3600 / self.matchup.usd_per_chip_hour_a

    @property
    def tokens_per_usd_b(self) -> float:
        return self.estimate_b.tokens_per_s / self.estimate_b.num_chips * 3600 / self.matchup.usd_per_chip_hour_b

    @property
    def price_performance_ratio(self) -> float:
        """Tokens per dollar of A over B: 1.4 means A is "40% better price-performance"."""
        return self.tokens_per_usd_a / self.tokens_per_usd_b

    @property
    def performance_ratio(self) -> float:
        """Tokens per second per chip of A over B, prices aside."""
        return (self.estimate_a.tokens_per_s / self.estimate_a.num_chips) / (
            self.estimate_b.tokens_per_s / self.estimate_b.num_chips)

    def break_even_usd_per_chip_hour_a(self, improvement_fraction: float = 0.0) -> float:
        """The highest price of A per chip-hour at which A is still ``improvement_fraction`` better than B."""
        return self.performance_ratio * self.matchup.usd_per_chip_hour_b / (1 + improvement_fraction)

    def table(self) -> str:
        rows = []
        for chip, est, price, per_usd in ((self.matchup.chip_a, self.estimate_a, self.matchup.usd_per_chip_hour_a,
                                          self.tokens_per_usd_a),
                                         (self.matchup.chip_b, self.estimate_b, self.matchup.usd_per_chip_hour_b,
                                          self.tokens_per_usd_b)):
            rows.append([chip, f"{est.tokens_per_s / est.num_chips:,.0f}", f"{est.mfu_fraction:.0%}",
                         f"${price:.2f}", f"{per_usd:,.0f}"])
        return markdown_table(["chip", "tokens/s per chip", "MFU", "USD per chip-hour", "tokens per USD"], rows)


def _estimate(m: TrainingMatchup, chip_id: str, matmul: float, memory: float) -> TrainingEstimate:
    calibration = Calibration(name=f"{chip_id} what-if", matmul_efficiency_fraction=matmul,
                              memory_efficiency_fraction=memory, source="assumption of the matchup")
    work = m.workload
    parallelism = Parallelism(tensor=work.tensor, pipeline=work.pipeline, data=work.data, zero_stage=work.zero_stage)
    return estimate_training(load_model(work.model), load_chip(chip_id), parallelism=parallelism,
                             global_batch=work.global_batch, seq_len=work.seq_len, recompute=work.recompute,
                             calibration=calibration)


def run_matchup(matchup: TrainingMatchup) -> MatchupResult:
    """Estimate both chips on the matchup's training setup."""
    return MatchupResult(
        matchup=matchup,
        estimate_a=_estimate(matchup, matchup.chip_a, matchup.matmul_efficiency_a, matchup.memory_efficiency_a),
        estimate_b=_estimate(matchup, matchup.chip_b, matchup.matmul_efficiency_b, matchup.memory_efficiency_b))


def price_performance_ratio(matchup: TrainingMatchup) -> float:
    """The metric of the sensitivity analysis: tokens per dollar of A over B."""
    return run_matchup(matchup).price_performance_ratio


DEFAULT_RANGES: Mapping[str, tuple[float, float]] = {
    "usd_per_chip_hour_a": (1.0, 6.0),
    "usd_per_chip_hour_b": (2.0, 10.0),
    "matmul_efficiency_a": (0.4, 1.0),
    "matmul_efficiency_b": (0.5, 1.0),
    "memory_efficiency_a": (0.6, 1.0),
    "memory_efficiency_b": (0.6, 1.0),
}


def matchup_sensitivity(matchup: TrainingMatchup,
                        ranges: Mapping[str, tuple[float, float]] = DEFAULT_RANGES) -> SensitivityResult:
    """Which assumption moves the price-performance ratio most, and which flips the winner (ratio crosses 1)."""
    return one_at_a_time(price_performance_ratio, matchup, dict(ranges), threshold=1.0)


def claim_matchup(*, chip_a: str = "trainium2", chip_b: str = "h100_sxm", price_kind_b: str = "capacity-block",
                  claimed_improvement_fraction: float = 0.35,
                  workload: TrainingWorkload | None = None) -> TrainingMatchup:
    """A matchup whose B price comes from chiplab's price data and whose A price is the *break-even* price for the
    claimed improvement — the price A must have for the claim to hold on this workload, given the models.

    This is how the book examines a claim about a chip with no published price: rather than invent one, it asks
    what the price would have to be, and then what else would have to be true (the sensitivity analysis).
    """
    from chiplab.cost.prices import price_for

    if not 0 <= claimed_improvement_fraction < 10:
        raise ChiplabInputError(
            f"claimed_improvement_fraction must be in [0, 10); got {claimed_improvement_fraction!r}")
    price_b = price_for(chip_b, price_kind_b).usd_per_chip_hour
    probe = TrainingMatchup(chip_a=chip_a, chip_b=chip_b, usd_per_chip_hour_a=price_b, usd_per_chip_hour_b=price_b,
                            workload=workload or TrainingWorkload())
    break_even = run_matchup(probe).break_even_usd_per_chip_hour_a(claimed_improvement_fraction)
    return dataclasses.replace(probe, usd_per_chip_hour_a=break_even)
