"""Make or buy: what an accelerator costs to make, and where each dollar of its owner's chip-hour goes.

For each chip of ``data/silicon/make_vs_buy.toml`` (H100, H200, B200 bought from NVIDIA; TPU v5e, v5p, v6e and
Trainium2 made for Google and AWS):

1. cost to make = the H&P decomposition of :mod:`chiplab.cost.silicon`: dies from the wafer cost, die area and
   defect density (Poisson yield, no salvage), plus HBM (catalog capacity × price per GB), packaging, test;
2. the chip's capital cost to its owner = for a GPU, NVIDIA's price (cost to make + vendor margin); for a custom
   chip, the cost to make + design cost (NRE) ÷ units made: no margin, but a design cost that falls with volume;
3. the owner's cost per chip-hour = :func:`chiplab.cost.tco.owner_tco` on that capital plus the board and system
   share, with the chip's power; depreciation is split over the capital's parts so every dollar has a name.

Each input has a range; the band evaluates every input at its cheap end ("low": low costs, high volume) and at its
dear end ("high"), so it is the widest the stated ranges allow, not a confidence interval.

>>> h100 = make_vs_buy("h100_sxm")
>>> h100.central.margin_usd > 0 and h100.low.total_usd_per_chip_hour <= h100.high.total_usd_per_chip_hour
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from chiplab._checks import instance_of, positive
from chiplab.cost._silicon_inputs import ChipInputs, load_chip_inputs
from chiplab.cost.silicon import SiliconCostAssumptions, estimate_silicon_cost
from chiplab.cost.tco import OwnerTco, owner_assumptions_for, owner_tco
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip

ENDS = ("low", "central", "high")
BYTES_PER_GB = 1e9
# The parts of an owner's chip-hour, in the order a stacked bar draws them (capital first, running costs last).
COMPONENTS = ("logic dies", "HBM", "packaging and test", "board and system", "design (NRE)", "vendor margin",
              "cost of capital", "energy", "hosting")
# Inputs whose cheap end is their high end: more units share the design cost.
_CHEAPER_WHEN_HIGH = frozenset({"num_units"})


@dataclass(frozen=True)
class ChipHourPoint:
    """One evaluation of a chip's cost (all inputs at one end of their ranges). USD per chip unless named."""

    end: str                           # "low", "central" or "high"
    logic_dies_usd: float
    hbm_usd: float
    packaging_and_test_usd: float
    manufacturing_cost_usd: float      # the cost to make: dies + HBM + packaging and test
    nre_per_unit_usd: float            # 0 for a bought chip (NVIDIA's design cost is inside its margin)
    margin_usd: float                  # 0 for a made chip
    chip_capex_usd: float              # what the owner pays for the chip itself
    board_and_system_usd: float
    tco: OwnerTco
    components: tuple[tuple[str, float], ...]   # (COMPONENTS name, USD per chip-hour), adding up to the total

    @property
    def total_usd_per_chip_hour(self) -> float:
        return self.tco.total_usd_per_chip_hour

    @property
    def capital_usd_per_capex_usd_hour(self) -> float:
        """Depreciation + interest per hour per dollar of capital: the rate NRE per unit turns into USD/hour."""
        t = self.tco
        return (t.depreciation_usd_per_chip_hour + t.capital_usd_per_chip_hour) / t.assumptions.capex_usd_per_chip

    def component_usd_per_chip_hour(self, name: str) -> float:
        if name not in COMPONENTS:
            raise ChiplabInputError(f"component must be one of {', '.join(COMPONENTS)}; got {name!r}")
        return dict(self.components)[name]


@dataclass(frozen=True)
class ChipHourCost:
    """A chip's cost to make and its owner's chip-hour, at the central inputs and at both ends of their ranges."""

    chip_id: str
    display_name: str
    made: bool                         # True: custom chip, made for its owner; False: bought from a vendor
    peak_bf16_flops_per_s: float
    low: ChipHourPoint
    central: ChipHourPoint
    high: ChipHourPoint
    inputs: ChipInputs
    owner_overrides: tuple[tuple[str, float], ...] = ()

    def band(self, attribute: str) -> tuple[float, float, float]:
        """(low, central, high) of a :class:`ChipHourPoint` number, e.g. ``"total_usd_per_chip_hour"``."""
        return getattr(self.low, attribute), getattr(self.central, attribute), getattr(self.high, attribute)

    def peak_hour_band(self) -> tuple[float, float, float]:
        """(low, central, high) of :meth:`usd_per_peak_pflops_hour`."""
        return (self.usd_per_peak_pflops_hour("low"), self.usd_per_peak_pflops_hour("central"),
                self.usd_per_peak_pflops_hour("high"))

    def usd_per_peak_pflops_hour(self, end: str = "central") -> float:
        """The owner's chip-hour per PFLOP/s of BF16 peak: chips of different size on one scale."""
        return getattr(self, _end(end)).total_usd_per_chip_hour / (self.peak_bf16_flops_per_s / 1e15)


def _end(end: str) -> str:
    if end not in ENDS:
        raise ChiplabInputError(f"end must be one of {', '.join(ENDS)}; got {end!r}")
    return end


def _value(inputs: ChipInputs, name: str, end: str) -> float:
    """The input at ``end`` of the band: "low" is the cheap end (low costs, or high volume for num_units)."""
    flipped = {"low": "high", "high": "low", "central": "central"}[end] if name in _CHEAPER_WHEN_HIGH else end
    return inputs[name].at(flipped)


def _point(chip_id: str, inputs: ChipInputs, end: str, owner_overrides: dict[str, float]) -> ChipHourPoint:
    chip = load_chip(chip_id)
    v = {name: _value(inputs, name, end) for name in inputs.inputs}
    hbm_bytes = chip.total_capacity_bytes("offchip")
    if hbm_bytes is None:
        raise ChiplabInputError(f"{chip_id} has no off-chip memory capacity in the catalog; its HBM cannot be priced")
    hbm_usd = v["hbm_usd_per_gb"] * hbm_bytes / BYTES_PER_GB
    silicon = estimate_silicon_cost(SiliconCostAssumptions(
        die_area_mm2=v["die_area_mm2"], wafer_cost_usd=v["wafer_cost_usd"],
        defect_density_per_cm2=v["defect_density_per_cm2"], num_dies_per_package=round(v["num_compute_dies"]),
        hbm_cost_usd=hbm_usd, packaging_cost_usd=v["packaging_usd"], test_assembly_cost_usd=v["test_assembly_usd"],
        nre_usd=v.get("nre_usd", 0.0), num_units=round(v.get("num_units", 1))))
    made = inputs.made
    manufacturing = silicon.manufacturing_cost_usd
    nre = silicon.nre_per_unit_usd if made else 0.0
    chip_capex = manufacturing + nre if made else v["selling_price_usd"]
    margin = 0.0 if made else chip_capex - manufacturing
    if margin < 0:
        raise ChiplabInputError(f"{chip_id}: at the {end} end the selling price ${chip_capex:,.0f} is below the "
                                f"modelled cost to make ${manufacturing:,.0f}; check the data ranges")
    capex = chip_capex + v["board_and_system_usd"]
    tco = owner_tco(owner_assumptions_for(chip_id, **{"capex_usd_per_chip": capex, "chip_power_w": v["chip_power_w"],
                                                       **owner_overrides}))
    per_capex_usd = tco.depreciation_usd_per_chip_hour / capex      # straight-line share of each capital dollar
    capital_parts = (("logic dies", silicon.logic_cost_usd), ("HBM", hbm_usd),
                     ("packaging and test", v["packaging_usd"] + v["test_assembly_usd"]),
                     ("board and system", v["board_and_system_usd"]), ("design (NRE)", nre),
                     ("vendor margin", margin))
    components = (*((name, usd * per_capex_usd) for name, usd in capital_parts),
                  ("cost of capital", tco.capital_usd_per_chip_hour), ("energy", tco.energy_usd_per_chip_hour),
                  ("hosting", tco.hosting_usd_per_chip_hour + tco.maintenance_usd_per_chip_hour))
    return ChipHourPoint(end=end, logic_dies_usd=silicon.logic_cost_usd, hbm_usd=hbm_usd,
                         packaging_and_test_usd=v["packaging_usd"] + v["test_assembly_usd"],
                         manufacturing_cost_usd=manufacturing, nre_per_unit_usd=nre, margin_usd=margin,
                         chip_capex_usd=chip_capex, board_and_system_usd=v["board_and_system_usd"], tco=tco,
                         components=components)


def make_vs_buy_chips() -> tuple[str, ...]:
    """The chips with make-versus-buy inputs, GPUs first."""
    chips = load_chip_inputs()
    return tuple(sorted(chips, key=lambda c: (chips[c].made, list(chips).index(c))))


def make_vs_buy(chip: str, **owner_overrides: float) -> ChipHourCost:
    """Cost to make and owner's chip-hour of ``chip`` with its band; ``owner_overrides`` are
    :class:`~chiplab.cost.tco.OwnerAssumptions` fields other than capex and power (e.g. ``amortisation_years=4``)."""
    chip_id = load_chip(chip).id
    data = load_chip_inputs()
    if chip_id not in data:
        raise ChiplabInputError(f"no make-versus-buy inputs for {chip_id}; chips with inputs: "
                                f"{', '.join(make_vs_buy_chips())}")
    return chip_hour_cost(data[chip_id], **owner_overrides)


def make_vs_buy_all(**owner_overrides: float) -> tuple[ChipHourCost, ...]:
    """:func:`make_vs_buy` for every chip with inputs, GPUs first."""
    return tuple(make_vs_buy(chip, **owner_overrides) for chip in make_vs_buy_chips())


def chip_hour_cost(inputs: ChipInputs, **owner_overrides: float) -> ChipHourCost:
    """:func:`make_vs_buy` for inputs of your own (parsed with the data file's grammar, or a what-if)."""
    if not isinstance(inputs, ChipInputs):
        raise ChiplabInputError(f"inputs must be ChipInputs (see make_vs_buy); got {type(inputs).__name__}")
    for name in ("capex_usd_per_chip", "chip_power_w"):
        if name in owner_overrides:
            raise ChiplabInputError(f"{name} comes from the make-versus-buy data; change the data's range instead")
    points = {end: _point(inputs.chip_id, inputs, end, owner_overrides) for end in ENDS}
    record = load_chip(inputs.chip_id)
    return ChipHourCost(chip_id=inputs.chip_id, display_name=record.display_name, made=inputs.made,
                        peak_bf16_flops_per_s=record.peak_flops_per_s("bf16"), inputs=inputs,
                        owner_overrides=tuple(owner_overrides.items()), **points)


def nre_per_unit_usd(nre_usd: float, num_units: float) -> float:
    """Design cost per chip: it falls as 1/volume.

    >>> nre_per_unit_usd(500e6, 100_000), nre_per_unit_usd(500e6, 1_000_000)
    (5000.0, 500.0)
    """
    return positive("nre_usd", nre_usd) / positive("num_units", num_units)


def break_even_volume(custom: ChipHourCost, gpu: ChipHourCost, end: str = "central",
                      relative_performance_fraction: float = 1.0) -> float:
    """Units the custom chip must be made in for its owner's cost per unit of work to equal the GPU's.

    Work per hour is taken as BF16 peak × ``relative_performance_fraction`` for the custom chip (1: both chips reach
    the same fraction of peak). The custom chip's hourly cost is h∞ + NRE × k / N, with k the capital rate per
    dollar (depreciation + interest per hour) and h∞ the cost without design; equal cost per work gives
    N = NRE × k / (g × W_c / W_g − h∞). ``inf`` when the chip never breaks even (its cost without any design cost
    already exceeds the GPU's per unit of work). Both chips are evaluated at the same ``end`` of their ranges.
    """
    instance_of("custom", custom, ChipHourCost, "a ChipHourCost of a custom chip (make_vs_buy('tpu_v5p'))")
    instance_of("gpu", gpu, ChipHourCost, "a ChipHourCost of a bought chip (make_vs_buy('h100_sxm'))")
    if not custom.made or gpu.made:
        raise ChiplabInputError("break_even_volume compares a made (custom) chip with a bought one: "
                                f"got {custom.chip_id} (made={custom.made}) and {gpu.chip_id} (made={gpu.made})")
    performance = positive("relative_performance_fraction", relative_performance_fraction)
    c, g = getattr(custom, _end(end)), getattr(gpu, end)
    nre_usd = _value(custom.inputs, "nre_usd", end)
    rate = c.capital_usd_per_capex_usd_hour
    without_design = c.total_usd_per_chip_hour - c.nre_per_unit_usd * rate
    gpu_per_work = g.total_usd_per_chip_hour / gpu.peak_bf16_flops_per_s
    allowed = gpu_per_work * custom.peak_bf16_flops_per_s * performance - without_design
    return float("inf") if allowed <= 0 else nre_usd * rate / allowed


def break_even_volume_band(custom: ChipHourCost, gpu: ChipHourCost, relative_performance_fraction: float = 1.0,
                           relative_performance_band: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """(low, central, high) break-even volume: both chips at their cheap ends, central, dear ends.

    ``relative_performance_band`` (low, high) around ``relative_performance_fraction`` — e.g. the performance
    model's error band — widens it: the low end takes the custom chip's best case, the high end its worst."""
    central_work = positive("relative_performance_fraction", relative_performance_fraction)
    worst, best = central_work, central_work
    if relative_performance_band is not None:
        if not isinstance(relative_performance_band, tuple) or len(relative_performance_band) != 2:
            raise ChiplabInputError(f"relative_performance_band must be a (low, high) pair or None; "
                                    f"got {relative_performance_band!r}")
        worst = positive("relative_performance_band[0]", relative_performance_band[0])
        best = positive("relative_performance_band[1]", relative_performance_band[1])
        if not worst <= central_work <= best:
            raise ChiplabInputError(f"relative_performance_band must satisfy low <= relative_performance_fraction "
                                    f"<= high; got {relative_performance_band!r} around {central_work!r}")
    return (break_even_volume(custom, gpu, "low", best), break_even_volume(custom, gpu, "central", central_work),
            break_even_volume(custom, gpu, "high", worst))


def replace_input(cost: ChipHourCost, name: str, *, value: float, low: float | None = None,
                  high: float | None = None) -> ChipHourCost:
    """A what-if: ``cost`` recomputed with one input changed (its range collapses to ``value`` unless given)."""
    instance_of("cost", cost, ChipHourCost, "a ChipHourCost (from make_vs_buy)")
    value = positive("value", value)
    low = value if low is None else positive("low", low)
    high = value if high is None else positive("high", high)
    if name not in cost.inputs.inputs:
        raise ChiplabInputError(f"{cost.chip_id} has no input {name!r}; inputs: {', '.join(cost.inputs.inputs)}")
    if not low <= value <= high:
        raise ChiplabInputError(f"need 0 < low <= value <= high for {name}; got {low!r}, {value!r}, {high!r}")
    changed = dataclasses.replace(cost.inputs[name], value=float(value), low=float(low), high=float(high))
    inputs = dataclasses.replace(cost.inputs, inputs={**cost.inputs.inputs, name: changed})
    return chip_hour_cost(inputs, **dict(cost.owner_overrides))
