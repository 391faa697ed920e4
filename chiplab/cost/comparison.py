"""The one comparison model: chip A against chip B on the same workload — tokens per dollar, the price-performance
ratio, and the break-even price of A.

Everything that compares two chips on cost (the scenarios, the claims, the offer rankings, the explorers, the CLI
and the book) ends here, so the formulas exist once:

* tokens per dollar = tokens/s per chip × 3600 s/h × useful share of paid hours ÷ USD per paid chip-hour;
* price-performance ratio = tokens per dollar of A ÷ that of B (> 1: A is cheaper per token; 1.4 is "40% better");
* break-even price of A = the USD per chip-hour at which A gives (1 + improvement) × B's tokens per dollar — the
  question to ask where A has no published price (Trainium2).

The throughputs are predictions of the performance model. A :class:`PricePerformance` carries each one with an
optional (low, high) band; where both chips have one, the break-even price becomes a range too
(:meth:`PricePerformance.break_even_range_usd_per_chip_hour_a`), so error bands attach here, in one place.

>>> pp = PricePerformance(tokens_per_s_per_chip_a=1000.0, tokens_per_s_per_chip_b=2000.0,
...                       usd_per_chip_hour_a=1.0, usd_per_chip_hour_b=4.0)
>>> pp.tokens_per_usd_a, pp.price_performance_ratio, pp.break_even_usd_per_chip_hour_a()
(3600000.0, 2.0, 2.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import fraction, in_range, positive
from chiplab.errors import ChiplabInputError
from chiplab.units import SECONDS_PER_HOUR

# (low, high) of the true value behind a prediction. It need not contain the prediction: where chiplab has always
# been optimistic on a chip family (every validation error > 0), the whole band lies below it.
Band = tuple[float, float]


def tokens_per_usd(tokens_per_s_per_chip: float, usd_per_chip_hour: float, utilization_fraction: float = 1.0) -> float:
    """Tokens bought by one dollar: idle paid hours (``utilization_fraction`` < 1) are charged to the useful ones.

    >>> tokens_per_usd(1000.0, 3.6)     # 3.6 M tokens per chip-hour for $3.60
    1000000.0
    """
    return (positive("tokens_per_s_per_chip", tokens_per_s_per_chip) * SECONDS_PER_HOUR
            * fraction("utilization_fraction", utilization_fraction, allow_zero=False)
            / positive("usd_per_chip_hour", usd_per_chip_hour))


def _improvement(improvement_fraction: float) -> float:
    """A claimed improvement: 0.35 is "35% better"; 10 (×11) bounds typos such as 35 for 35%."""
    return in_range("improvement_fraction", improvement_fraction, 0.0, 10.0)


def _band(name: str, band: Band | None, value: float) -> Band | None:
    if band is None:
        return None
    if not isinstance(band, tuple) or len(band) != 2:
        raise ChiplabInputError(f"{name} must be a (low, high) pair or None; got {band!r}")
    low, high = positive(f"{name}[0]", band[0]), positive(f"{name}[1]", band[1])
    if low > high:
        raise ChiplabInputError(f"{name} must satisfy low ≤ high; got {band!r} (prediction {value!r})")
    return low, high


@dataclass(frozen=True, kw_only=True)
class PricePerformance:
    """A against B: the two throughput predictions (tokens/s per chip), the two prices per paid chip-hour, and
    the useful share of paid hours. A may have no price (None): then only the break-even price is defined."""

    tokens_per_s_per_chip_a: float
    tokens_per_s_per_chip_b: float
    usd_per_chip_hour_b: float
    usd_per_chip_hour_a: float | None = None
    utilization_fraction_a: float = 1.0
    utilization_fraction_b: float = 1.0
    tokens_per_s_per_chip_a_band: Band | None = None  # (low, high) of the prediction, where one is known
    tokens_per_s_per_chip_b_band: Band | None = None

    def __post_init__(self) -> None:
        positive("tokens_per_s_per_chip_a", self.tokens_per_s_per_chip_a)
        positive("tokens_per_s_per_chip_b", self.tokens_per_s_per_chip_b)
        positive("usd_per_chip_hour_b", self.usd_per_chip_hour_b)
        if self.usd_per_chip_hour_a is not None:
            positive("usd_per_chip_hour_a", self.usd_per_chip_hour_a)
        fraction("utilization_fraction_a", self.utilization_fraction_a, allow_zero=False)
        fraction("utilization_fraction_b", self.utilization_fraction_b, allow_zero=False)
        _band("tokens_per_s_per_chip_a_band", self.tokens_per_s_per_chip_a_band, self.tokens_per_s_per_chip_a)
        _band("tokens_per_s_per_chip_b_band", self.tokens_per_s_per_chip_b_band, self.tokens_per_s_per_chip_b)

    @property
    def tokens_per_usd_a(self) -> float:
        if self.usd_per_chip_hour_a is None:
            raise ChiplabInputError("chip A has no price, so no tokens per dollar; ask for its break-even price")
        return tokens_per_usd(self.tokens_per_s_per_chip_a, self.usd_per_chip_hour_a, self.utilization_fraction_a)

    @property
    def tokens_per_usd_b(self) -> float:
        return tokens_per_usd(self.tokens_per_s_per_chip_b, self.usd_per_chip_hour_b, self.utilization_fraction_b)

    @property
    def price_performance_ratio(self) -> float:
        """Tokens per dollar of A over B: 1.4 means A is "40% better price-performance"."""
        return self.tokens_per_usd_a / self.tokens_per_usd_b

    @property
    def performance_ratio(self) -> float:
        """Tokens per second per chip of A over B, prices and utilisation aside."""
        return self.tokens_per_s_per_chip_a / self.tokens_per_s_per_chip_b

    @property
    def cheaper(self) -> str:
        """"a", "b" or "tie": which chip costs less per token."""
        ratio = self.price_performance_ratio
        return "tie" if ratio == 1 else ("a" if ratio > 1 else "b")

    def break_even_usd_per_chip_hour_a(self, improvement_fraction: float = 0.0) -> float:
        """The most A's paid chip-hour may cost for A to give (1 + improvement) × B's tokens per dollar, B's price
        and both utilisations as given."""
        return self._break_even(self.tokens_per_s_per_chip_a, self.tokens_per_s_per_chip_b, improvement_fraction)

    def break_even_range_usd_per_chip_hour_a(self, improvement_fraction: float = 0.0) -> Band | None:
        """The break-even price over the predictions' bands: (A slowest and B fastest, A fastest and B slowest);
        None unless both predictions carry a band."""
        band_a, band_b = self.tokens_per_s_per_chip_a_band, self.tokens_per_s_per_chip_b_band
        if band_a is None or band_b is None:
            return None
        return (self._break_even(band_a[0], band_b[1], improvement_fraction),
                self._break_even(band_a[1], band_b[0], improvement_fraction))

    def _break_even(self, tokens_per_s_a: float, tokens_per_s_b: float, improvement_fraction: float) -> float:
        target = tokens_per_usd(tokens_per_s_b, self.usd_per_chip_hour_b, self.utilization_fraction_b)
        target *= 1 + _improvement(improvement_fraction)
        return tokens_per_s_a * SECONDS_PER_HOUR * self.utilization_fraction_a / target
