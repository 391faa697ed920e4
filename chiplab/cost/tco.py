"""An owner's total cost of ownership (TCO) per chip-hour, next to the cloud price.

Per chip and per hour of wall-clock time (all USD/chip-hour):

- depreciation = capex / (amortisation years × 8766 h); capex is the accelerator's share of a server;
- capital = the interest on that capex: the annuity P·r / (1 − (1 + r)^−n) per year minus the depreciation
  (zero when ``cost_of_capital_fraction_per_year`` is 0; "capital recovery factor", any engineering-economics text);
- energy = chip power × server overhead × average load × PUE × USD/kWh;
- hosting = peak IT power (chip × server overhead) in kW × USD per kW-month / 730.5 h;
- maintenance = capex × maintenance fraction per year / 8766 h.

Dividing the total by ``utilization_fraction`` charges idle hours to the useful ones: an owner pays for a chip
whether it works or not. Not included: the network beyond the server, buildings owned rather than rented,
staff, software. The sourced defaults (:func:`owner_assumptions_for`) come from ``data/prices/owner.toml``.

>>> tco = owner_tco(OwnerAssumptions(capex_usd_per_chip=8766.0, chip_power_w=1000.0, usd_per_kwh=0.1, pue=1.0,
...                                  amortisation_years=1.0))
>>> tco.depreciation_usd_per_chip_hour, tco.energy_usd_per_chip_hour     # $1/h of capex, 1 kW at $0.10/kWh
(1.0, 0.1)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import cast

from chiplab._checks import at_least, fraction, non_negative, positive
from chiplab.cost.prices import hardware_price_for, sourced_value, sourced_values
from chiplab.cost.records import Price
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.units import SECONDS_PER_HOUR

HOURS_PER_YEAR = 365.25 * 24
HOURS_PER_MONTH = HOURS_PER_YEAR / 12


@dataclass(frozen=True, kw_only=True)
class OwnerAssumptions:
    """Everything an owner's chip-hour cost depends on; ``dataclasses.replace`` it for what-ifs.

    ``achieved_flops_per_s`` (from the performance model) is optional; with it the TCO is also given per
    exaFLOP of useful work, the number to compare across chips.
    """

    capex_usd_per_chip: float
    chip_power_w: float
    usd_per_kwh: float
    pue: float
    amortisation_years: float
    hosting_usd_per_kw_month: float = 0.0
    cost_of_capital_fraction_per_year: float = 0.0
    maintenance_fraction_per_year: float = 0.0
    server_power_overhead_factor: float = 1.0
    average_load_fraction: float = 1.0
    utilization_fraction: float = 1.0
    achieved_flops_per_s: float | None = None

    def __post_init__(self) -> None:
        positive("capex_usd_per_chip", self.capex_usd_per_chip)
        positive("chip_power_w", self.chip_power_w)
        non_negative("usd_per_kwh", self.usd_per_kwh)
        if not 1.0 <= at_least("pue", self.pue, 1.0) <= 5.0:
            raise ChiplabInputError(f"pue must be in [1, 5] (facility power / IT power); got {self.pue!r}")
        positive("amortisation_years", self.amortisation_years)
        non_negative("hosting_usd_per_kw_month", self.hosting_usd_per_kw_month)
        fraction("cost_of_capital_fraction_per_year", self.cost_of_capital_fraction_per_year)
        fraction("maintenance_fraction_per_year", self.maintenance_fraction_per_year)
        at_least("server_power_overhead_factor", self.server_power_overhead_factor, 1.0)
        fraction("average_load_fraction", self.average_load_fraction, allow_zero=False)
        fraction("utilization_fraction", self.utilization_fraction, allow_zero=False)
        if self.achieved_flops_per_s is not None:
            positive("achieved_flops_per_s", self.achieved_flops_per_s)


@dataclass(frozen=True)
class OwnerTco:
    """The owner's cost of one chip-hour, by component (USD per chip per wall-clock hour)."""

    assumptions: OwnerAssumptions
    depreciation_usd_per_chip_hour: float
    capital_usd_per_chip_hour: float
    energy_usd_per_chip_hour: float
    hosting_usd_per_chip_hour: float
    maintenance_usd_per_chip_hour: float
    total_usd_per_chip_hour: float
    usd_per_useful_chip_hour: float   # total / utilisation
    average_it_power_w: float         # chip + server share, at the average load
    facility_power_w: float           # × PUE
    usd_per_exaflop: float | None     # per 10^18 useful FLOP, when achieved_flops_per_s is given

    def components(self) -> tuple[tuple[str, float], ...]:
        """(name, USD per chip-hour) for each component; they add up to ``total_usd_per_chip_hour``."""
        return (("depreciation", self.depreciation_usd_per_chip_hour), ("capital", self.capital_usd_per_chip_hour),
                ("energy", self.energy_usd_per_chip_hour), ("hosting", self.hosting_usd_per_chip_hour),
                ("maintenance", self.maintenance_usd_per_chip_hour))


def interest_fraction_per_year(rate: float, years: float) -> float:
    """The annuity's interest share per year, as a fraction of the capex: r / (1 − (1 + r)^−n) − 1/n.

    Written with ``expm1``/``log1p`` so that 1 − (1 + r)^−n keeps its digits when r is tiny; below r·n = 1e-6 the
    difference of two nearly equal terms loses them anyway, so the first-order series r·(n + 1) / (2n) is used
    (its next term is smaller by a factor r·n). Never negative: interest cannot pay the owner.

    >>> interest_fraction_per_year(0.0, 4), interest_fraction_per_year(1e-15, 4) > 0
    (0.0, True)
    >>> round(interest_fraction_per_year(0.1, 4), 6)      # 0.1 / (1 − 1.1^−4) − 0.25: capital recovery factor
    0.065471
    """
    if rate == 0:
        return 0.0
    if rate * years < 1e-6:
        return rate * (years + 1) / (2 * years)
    return rate / -math.expm1(-years * math.log1p(rate)) - 1 / years


def owner_tco(assumptions: OwnerAssumptions) -> OwnerTco:
    """The owner's TCO per chip-hour with its breakdown (see the module docstring for each formula)."""
    a = assumptions
    if not isinstance(a, OwnerAssumptions):
        raise ChiplabInputError(f"owner_tco needs OwnerAssumptions; got {type(a).__name__}")
    years, rate = a.amortisation_years, a.cost_of_capital_fraction_per_year
    depreciation_per_year = a.capex_usd_per_chip / years
    interest_per_year = a.capex_usd_per_chip * interest_fraction_per_year(rate, years)
    peak_it_power_w = a.chip_power_w * a.server_power_overhead_factor
    average_it_power_w = peak_it_power_w * a.average_load_fraction
    facility_power_w = average_it_power_w * a.pue
    parts = {
        "depreciation": depreciation_per_year / HOURS_PER_YEAR,
        "capital": interest_per_year / HOURS_PER_YEAR,
        "energy": facility_power_w / 1000 * a.usd_per_kwh,
        "hosting": peak_it_power_w / 1000 * a.hosting_usd_per_kw_month / HOURS_PER_MONTH,
        "maintenance": a.capex_usd_per_chip * a.maintenance_fraction_per_year / HOURS_PER_YEAR,
    }
    total = sum(parts.values())
    useful = total / a.utilization_fraction
    per_exaflop = (None if a.achieved_flops_per_s is None
                   else useful / (a.achieved_flops_per_s * SECONDS_PER_HOUR) * 1e18)
    return OwnerTco(assumptions=a, depreciation_usd_per_chip_hour=parts["depreciation"],
                    capital_usd_per_chip_hour=parts["capital"], energy_usd_per_chip_hour=parts["energy"],
                    hosting_usd_per_chip_hour=parts["hosting"], maintenance_usd_per_chip_hour=parts["maintenance"],
                    total_usd_per_chip_hour=total, usd_per_useful_chip_hour=useful,
                    average_it_power_w=average_it_power_w, facility_power_w=facility_power_w,
                    usd_per_exaflop=per_exaflop)


def owner_usd_per_exaflop(assumptions: OwnerAssumptions) -> float:
    """USD per 10^18 useful FLOP for an owner: a scalar to compare chips with, and to feed a sensitivity study."""
    if not isinstance(assumptions, OwnerAssumptions):
        raise ChiplabInputError(f"owner_usd_per_exaflop needs OwnerAssumptions; got {type(assumptions).__name__}")
    if assumptions.achieved_flops_per_s is None:
        raise ChiplabInputError("achieved_flops_per_s is None; set it (from the performance model, or peak × MFU) "
                                "to get a cost per FLOP")
    return cast(float, owner_tco(assumptions).usd_per_exaflop)  # not None: achieved_flops_per_s is set


# The data keys owner_assumptions_for uses (data/prices/owner.toml); server power and load depend on the family.
OWNER_DEFAULT_KEYS = {
    "usd_per_kwh": "electricity_usd_per_kwh.us_industrial_2023",
    "pue": "pue.industry_average_2023",
    "hosting_usd_per_kw_month": "hosting_usd_per_kw_month.north_america_2023",
    "amortisation_years": "amortisation_years.hyperscaler_servers_2023",
    "cost_of_capital_fraction_per_year": "cost_of_capital_fraction_per_year.chiplab_assumption",
}


def owner_assumptions_for(chip: str, **overrides: float) -> OwnerAssumptions:
    """Sourced defaults for owning ``chip``, with ``overrides`` on top (any field of :class:`OwnerAssumptions`).

    capex: the most recent server-share purchase price (:func:`hardware_price_for`); chip power: the catalog's
    TDP; server overhead and average load: the chip's own entry, else the TPU or GPU value; the rest:
    :data:`OWNER_DEFAULT_KEYS` (the cost of capital there is a labelled assumption). Maintenance stays 0 (no
    source found). Chips without a purchase price or TDP need the override (TPUs and Trainium are not sold).
    """
    chip_record = load_chip(chip)
    names = {f.name for f in dataclasses.fields(OwnerAssumptions)}
    for name in overrides:
        if name not in names:
            raise ChiplabInputError(f"unknown OwnerAssumptions field {name!r}; fields are {', '.join(sorted(names))}")
    family = "tpu" if chip_record.family == "TPU" else "gpu"
    values = {name: sourced_value(key).value for name, key in OWNER_DEFAULT_KEYS.items()}
    known = {v.variant for v in sourced_values("server_power_overhead_factor")}
    server = chip_record.id if chip_record.id in known else ("tpu_server" if family == "tpu" else "typical_gpu_server")
    values["server_power_overhead_factor"] = sourced_value(f"server_power_overhead_factor.{server}").value
    values["average_load_fraction"] = sourced_value(f"average_load_fraction.{family}_training").value
    if "capex_usd_per_chip" not in overrides:
        values["capex_usd_per_chip"] = hardware_price_for(chip_record.id, includes="server share").usd_per_chip
    if "chip_power_w" not in overrides:
        if chip_record.tdp_w is None:
            raise ChiplabInputError(f"{chip_record.id} has no published TDP in the catalog; pass chip_power_w")
        values["chip_power_w"] = chip_record.tdp_w
    return OwnerAssumptions(**{**values, **overrides})


@dataclass(frozen=True)
class OwnerVsCloud:
    """Owning against renting, per useful chip-hour: ratio < 1 means owning is cheaper."""

    owner_usd_per_useful_chip_hour: float
    cloud_usd_per_useful_chip_hour: float
    owner_to_cloud_ratio: float
    cloud_price: Price


def compare_with_cloud(tco: OwnerTco, price: Price, cloud_utilization_fraction: float = 1.0) -> OwnerVsCloud:
    """The owner's TCO next to a cloud price. Renters also pay for idle hours they hold (reserved capacity), so
    the cloud price is divided by ``cloud_utilization_fraction`` too (1.0: rent exactly the hours you use)."""
    if not isinstance(price, Price):
        raise ChiplabInputError(f"price must be a Price (e.g. price_for('h100_sxm')); got {price!r}")
    cloud = price.usd_per_chip_hour / fraction("cloud_utilization_fraction", cloud_utilization_fraction,
                                               allow_zero=False)
    return OwnerVsCloud(owner_usd_per_useful_chip_hour=tco.usd_per_useful_chip_hour,
                        cloud_usd_per_useful_chip_hour=cloud,
                        owner_to_cloud_ratio=tco.usd_per_useful_chip_hour / cloud, cloud_price=price)
