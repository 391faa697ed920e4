"""Reading the make-versus-buy results (:mod:`chiplab.cost.make_or_buy`): a table for pages, bands and volumes as
text, and what the band depends on (each input moved alone across its range)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from chiplab._checks import finite, instance_of, non_negative
from chiplab.cost.make_or_buy import ChipHourCost, replace_input
from chiplab.errors import ChiplabInputError
from chiplab.tables import markdown_table
from chiplab.units import format_usd_estimate, format_usd_range


def describe_band(values: tuple[float, float, float]) -> str:
    """'central (low–high)' in US dollars for prose and tables, e.g. a :meth:`ChipHourCost.band`, at two
    significant figures (model-derived money: a third figure would claim a precision the inputs do not have).

    >>> describe_band((2.0, 3.5, 5.25))
    '$3.5 ($2–$5.2)'
    """
    if not isinstance(values, tuple) or len(values) != 3:
        raise ChiplabInputError(f"values must be a (low, central, high) tuple; got {values!r}")
    low, central, high = (non_negative("values", finite("values", v)) for v in values)
    return f"{format_usd_estimate(central)} ({format_usd_range(low, high)})"


def make_vs_buy_table(costs: Sequence[ChipHourCost]) -> str:
    """A Markdown table: per chip, what it costs to make, what its owner pays for it, and the owner's chip-hour,
    each as central (low–high)."""
    if isinstance(costs, str | bytes) or not isinstance(costs, Sequence) or not costs \
            or not all(isinstance(c, ChipHourCost) for c in costs):
        raise ChiplabInputError(f"costs must be a non-empty sequence of ChipHourCost, as make_vs_buy_all() returns; "
                                f"got {costs!r}")
    headers = ("chip", "how the owner gets it", "cost to make", "design cost per chip", "vendor margin",
               "owner's chip-hour", "per PFLOP/s of BF16 peak, per hour")
    rows = [(c.display_name, "makes it" if c.made else "buys it", describe_band(c.band("manufacturing_cost_usd")),
             describe_band(c.band("nre_per_unit_usd")) if c.made else "in the margin",
             "none" if c.made else describe_band(c.band("margin_usd")),
             describe_band(c.band("total_usd_per_chip_hour")),
             describe_band(c.peak_hour_band())) for c in costs]
    return markdown_table(headers, rows)


@dataclass(frozen=True)
class InputSwing:
    """The owner's chip-hour with one input at the low and at the high end of its range, the others central."""

    name: str
    label: str                          # the input in words, for pages and figures
    low_usd_per_chip_hour: float
    high_usd_per_chip_hour: float

    @property
    def swing_usd_per_chip_hour(self) -> float:
        return abs(self.high_usd_per_chip_hour - self.low_usd_per_chip_hour)


INPUT_LABELS = {"die_area_mm2": "die area", "num_compute_dies": "number of dies", "packaging_usd": "packaging",
                "test_assembly_usd": "test and assembly", "board_and_system_usd": "board and system share",
                "chip_power_w": "chip power", "selling_price_usd": "NVIDIA's price", "nre_usd": "design cost",
                "num_units": "number of chips made", "wafer_cost_usd": "wafer price",
                "defect_density_per_cm2": "defect density", "hbm_usd_per_gb": "HBM price per GB"}


def input_swings(cost: ChipHourCost) -> tuple[InputSwing, ...]:
    """What the band depends on: each input moved alone across its range, largest swing first."""
    instance_of("cost", cost, ChipHourCost, "a ChipHourCost (from make_vs_buy)")
    swings = []
    for name, entry in cost.inputs.inputs.items():
        ends = [replace_input(cost, name, value=value).central.total_usd_per_chip_hour
                for value in (entry.low, entry.high)]
        swings.append(InputSwing(name=name, label=INPUT_LABELS.get(name, name.replace("_", " ")),
                                 low_usd_per_chip_hour=ends[0], high_usd_per_chip_hour=ends[1]))
    return tuple(sorted(swings, key=lambda s: s.swing_usd_per_chip_hour, reverse=True))


def describe_units(num_units: float | tuple[float, ...]) -> str:
    """A volume for prose: '42,000 chips', or 'never' for an infinite break-even; a band joined by slashes.

    >>> describe_units(41965.9), describe_units((1e4, 2.3e5, float("inf")))
    ('42,000 chips', '10,000 chips / 230,000 chips / never')
    """
    if isinstance(num_units, tuple) and num_units:
        return " / ".join(describe_units(n) for n in num_units)
    if isinstance(num_units, float) and num_units == math.inf:
        return "never"
    rounded = float(f"{non_negative('num_units', finite('num_units', num_units)):.2g}")   # two significant digits
    return f"{rounded:,.0f} chips"
