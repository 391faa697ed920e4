"""Why can custom silicon be cheaper? What a chip costs to make, and what its buyer pays, as a decomposition.

1. Dies per wafer, counting the partial dies lost at the round edge (Hennessy & Patterson, "Computer
   Architecture", 6th ed., Sec. 1.6): π·(d/2)²/A − π·d/√(2·A), for wafer diameter d and die area A.
2. Die yield, the fraction of dies without a fatal defect, for defect density D and area A:
   Poisson e^(−D·A); Murphy ((1 − e^(−D·A)) / (D·A))²; negative binomial (1 + D·A/α)^(−α) for clustered
   defects (H&P 4th ed.; α = 4 in its exercises); H&P 5th/6th ed. "Bose-Einstein" (1 + D·A)^(−N), where N is the
   process-complexity factor and D a per-layer density. A ``salvage_fraction`` of the defective dies is sold
   anyway with units switched off (H100 ships with 132 of the GH100 die's 144 SMs).
3. Die cost = wafer cost / (dies per wafer × yield); chip cost = (dies + HBM + packaging + test) / final test
   yield (H&P's "cost of integrated circuit"), plus the design's fixed cost (masks, engineering) over its units.
4. Price = cost / (1 − vendor gross margin): at NVIDIA's estimated 88% margin on H100 the buyer pays ~8× the cost
   to make; a company that designs its own chip (TPU, Trainium) pays the cost, plus its design cost per unit.
5. Where the area goes: matrix units, SRAM, and everything else (control, vector units, I/O). TPU v1 spent a
   quarter on its matrix unit and a third on SRAM, with 2% on control (Jouppi et al., ISCA 2017, Sec. 2).

Every input is a field of :class:`SiliconCostAssumptions`, so ``dataclasses.replace`` gives what-ifs.

>>> hp = SiliconCostAssumptions(die_area_mm2=225.0, wafer_cost_usd=7000.0, defect_density_per_cm2=0.047,
...                             yield_model="bose_einstein", process_complexity_factor=12)
>>> cost = estimate_silicon_cost(hp)
>>> round(cost.num_dies_per_wafer), round(cost.die_yield_fraction, 2)     # H&P 6th ed. Sec. 1.6 examples
(270, 0.3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from chiplab._checks import fraction, non_negative, positive, positive_int
from chiplab.cost.prices import sourced_value, sourced_values
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip

YIELD_MODELS = ("poisson", "murphy", "negative_binomial", "bose_einstein")
MM2_PER_CM2 = 100.0


def dies_per_wafer(die_area_mm2: float, wafer_diameter_mm: float = 300.0) -> float:
    """Whole dies on a round wafer: wafer area / die area minus the dies lost along the edge (H&P Sec. 1.6).

    >>> round(dies_per_wafer(100.0))        # 1 cm × 1 cm dies on a 300 mm wafer: H&P's example answer is 640
    640
    """
    area, diameter = positive("die_area_mm2", die_area_mm2), positive("wafer_diameter_mm", wafer_diameter_mm)
    count = math.pi * (diameter / 2) ** 2 / area - math.pi * diameter / math.sqrt(2 * area)
    if count < 1:
        raise ChiplabInputError(f"die_area_mm2={die_area_mm2!r} leaves no whole die on a {diameter:g} mm wafer "
                                f"(the formula gives {count:.2f})")
    return count


def die_yield_fraction(model: str, defect_density_per_cm2: float, die_area_mm2: float, *,
                       clustering_alpha: float = 4.0, process_complexity_factor: float = 12.0) -> float:
    """Fraction of dies without a fatal defect under ``model`` (see the module docstring for the formulas)."""
    if model not in YIELD_MODELS:
        raise ChiplabInputError(f"yield_model must be one of {', '.join(YIELD_MODELS)}; got {model!r}")
    defects = non_negative("defect_density_per_cm2", defect_density_per_cm2) * positive(
        "die_area_mm2", die_area_mm2) / MM2_PER_CM2      # expected defects per die, D·A
    if model == "poisson":
        return math.exp(-defects)
    if model == "murphy":
        return 1.0 if defects == 0 else float(((1 - math.exp(-defects)) / defects) ** 2)
    if model == "negative_binomial":
        alpha = positive("clustering_alpha", clustering_alpha)
        return float((1 + defects / alpha) ** -alpha)
    return float((1 + defects) ** -positive("process_complexity_factor", process_complexity_factor))


# Fewer good dies per wafer than this is no product: the cost would overflow or mean nothing.
MIN_GOOD_DIES_PER_WAFER = 1e-9


@dataclass(frozen=True, kw_only=True)
class SiliconCostAssumptions:
    """The inputs of the decomposition. Costs in USD per unit (a package may hold several dies and HBM stacks)."""

    die_area_mm2: float
    wafer_cost_usd: float
    defect_density_per_cm2: float
    wafer_diameter_mm: float = 300.0
    yield_model: str = "poisson"
    clustering_alpha: float = 4.0                 # negative binomial only
    process_complexity_factor: float = 12.0       # bose_einstein only
    wafer_yield_fraction: float = 1.0             # wafers so bad they are not even tested
    salvage_fraction: float = 0.0                 # defective dies sold with units disabled
    num_dies_per_package: int = 1
    hbm_cost_usd: float = 0.0
    packaging_cost_usd: float = 0.0
    test_assembly_cost_usd: float = 0.0
    final_test_yield_fraction: float = 1.0
    nre_usd: float = 0.0                          # fixed cost of the design: masks, engineering, software
    num_units: int = 1                            # units the NRE is spread over
    vendor_gross_margin_fraction: float = 0.0     # (price − cost) / price; 0 for a chip you design yourself
    matrix_area_fraction: float | None = None     # share of the die in matrix units (both or neither)
    sram_area_fraction: float | None = None       # share of the die in on-chip SRAM
    peak_flops_per_s: float | None = None         # to express cost and price per peak FLOP/s

    def __post_init__(self) -> None:
        positive("die_area_mm2", self.die_area_mm2)
        positive("wafer_cost_usd", self.wafer_cost_usd)
        non_negative("defect_density_per_cm2", self.defect_density_per_cm2)
        positive("wafer_diameter_mm", self.wafer_diameter_mm)
        if self.yield_model not in YIELD_MODELS:
            raise ChiplabInputError(f"yield_model must be one of {', '.join(YIELD_MODELS)}; got {self.yield_model!r}")
        positive("clustering_alpha", self.clustering_alpha)
        positive("process_complexity_factor", self.process_complexity_factor)
        fraction("wafer_yield_fraction", self.wafer_yield_fraction, allow_zero=False)
        fraction("salvage_fraction", self.salvage_fraction)
        positive_int("num_dies_per_package", self.num_dies_per_package)
        for name in ("hbm_cost_usd", "packaging_cost_usd", "test_assembly_cost_usd", "nre_usd"):
            non_negative(name, getattr(self, name))
        fraction("final_test_yield_fraction", self.final_test_yield_fraction, allow_zero=False)
        positive_int("num_units", self.num_units)
        fraction("vendor_gross_margin_fraction", self.vendor_gross_margin_fraction, allow_one=False)
        if (self.matrix_area_fraction is None) != (self.sram_area_fraction is None):
            raise ChiplabInputError("give both matrix_area_fraction and sram_area_fraction, or neither")
        if self.matrix_area_fraction is not None:
            total = (fraction("matrix_area_fraction", self.matrix_area_fraction)
                     + fraction("sram_area_fraction", self.sram_area_fraction))
            if total > 1:
                raise ChiplabInputError(f"matrix_area_fraction + sram_area_fraction must be <= 1; got {total:g}")
        if self.peak_flops_per_s is not None:
            positive("peak_flops_per_s", self.peak_flops_per_s)


@dataclass(frozen=True)
class SiliconCost:
    """The decomposition, from wafer to price. USD per unit unless the name says otherwise."""

    assumptions: SiliconCostAssumptions
    num_dies_per_wafer: float        # the formula's estimate (not rounded)
    die_yield_fraction: float        # defect-free dies × wafer yield
    good_die_fraction: float         # plus salvaged dies
    num_good_dies_per_wafer: float
    die_cost_usd: float              # one good die
    logic_cost_usd: float            # all dies of the package
    hbm_cost_usd: float
    packaging_cost_usd: float
    test_assembly_cost_usd: float
    manufacturing_cost_usd: float    # (logic + HBM + packaging + test) / final test yield
    nre_per_unit_usd: float
    cost_usd: float                  # manufacturing + NRE per unit
    price_usd: float                 # cost / (1 − margin)
    margin_usd: float
    matrix_area_mm2: float | None
    sram_area_mm2: float | None
    other_area_mm2: float | None     # control, vector units, I/O, ...
    price_usd_per_peak_tflops: float | None

    def breakdown(self) -> tuple[tuple[str, float], ...]:
        """(component, USD) adding up to ``price_usd``. Final-test losses are spread over the parts."""
        scale = 1 / self.assumptions.final_test_yield_fraction
        parts = (("logic dies", self.logic_cost_usd), ("HBM", self.hbm_cost_usd),
                 ("packaging", self.packaging_cost_usd), ("test and assembly", self.test_assembly_cost_usd))
        return (*((name, usd * scale) for name, usd in parts),
                ("design (NRE) per unit", self.nre_per_unit_usd), ("vendor margin", self.margin_usd))


def estimate_silicon_cost(assumptions: SiliconCostAssumptions) -> SiliconCost:
    """Wafer → good dies → chip cost → price, with the area split (see the module docstring)."""
    a = assumptions
    if not isinstance(a, SiliconCostAssumptions):
        raise ChiplabInputError(f"estimate_silicon_cost needs SiliconCostAssumptions; got {type(a).__name__}")
    num_dies = dies_per_wafer(a.die_area_mm2, a.wafer_diameter_mm)
    die_yield = a.wafer_yield_fraction * die_yield_fraction(
        a.yield_model, a.defect_density_per_cm2, a.die_area_mm2, clustering_alpha=a.clustering_alpha,
        process_complexity_factor=a.process_complexity_factor)
    good = die_yield + a.salvage_fraction * (1 - die_yield)
    # At high defect densities the yield underflows to 0 (a ZeroDivisionError) or to a few 1e-300 (an infinite
    # cost): refuse, with the numbers, before dividing. One good die per billion wafers is already absurd.
    if not num_dies * good >= MIN_GOOD_DIES_PER_WAFER:
        raise ChiplabInputError(
            f"with defect_density_per_cm2={a.defect_density_per_cm2!r} on a {a.die_area_mm2:g} mm² die the "
            f"{a.yield_model} yield is {die_yield:.3g}: {num_dies * good:.3g} good dies per wafer, so no chip can be "
            f"made; lower defect_density_per_cm2 or die_area_mm2, or raise salvage_fraction")
    die_cost = a.wafer_cost_usd / (num_dies * good)
    logic = die_cost * a.num_dies_per_package
    manufacturing = (logic + a.hbm_cost_usd + a.packaging_cost_usd + a.test_assembly_cost_usd) \
        / a.final_test_yield_fraction
    nre_per_unit = a.nre_usd / a.num_units
    cost = manufacturing + nre_per_unit
    price = cost / (1 - a.vendor_gross_margin_fraction)
    if not math.isfinite(price):
        raise ChiplabInputError(f"the price of {a.die_area_mm2:g} mm² dies at wafer_cost_usd={a.wafer_cost_usd!r} "
                                "overflows a float; use realistic costs (USD per wafer, per unit)")
    areas: tuple[float | None, float | None, float | None] = (None, None, None)
    if a.matrix_area_fraction is not None:  # then sram_area_fraction is set too (__post_init__ checks both)
        matrix, sram = a.die_area_mm2 * a.matrix_area_fraction, a.die_area_mm2 * cast(float, a.sram_area_fraction)
        areas = (matrix, sram, a.die_area_mm2 - matrix - sram)
    per_tflops = None if a.peak_flops_per_s is None else price / (a.peak_flops_per_s / 1e12)
    return SiliconCost(assumptions=a, num_dies_per_wafer=num_dies, die_yield_fraction=die_yield,
                       good_die_fraction=good, num_good_dies_per_wafer=num_dies * good, die_cost_usd=die_cost,
                       logic_cost_usd=logic, hbm_cost_usd=a.hbm_cost_usd, packaging_cost_usd=a.packaging_cost_usd,
                       test_assembly_cost_usd=a.test_assembly_cost_usd, manufacturing_cost_usd=manufacturing,
                       nre_per_unit_usd=nre_per_unit, cost_usd=cost, price_usd=price, margin_usd=price - cost,
                       matrix_area_mm2=areas[0], sram_area_mm2=areas[1], other_area_mm2=areas[2],
                       price_usd_per_peak_tflops=per_tflops)


def silicon_price_usd(assumptions: SiliconCostAssumptions) -> float:
    """The buyer's price per unit: a scalar for a sensitivity study."""
    return estimate_silicon_cost(assumptions).price_usd


def silicon_assumptions_for(chip: str, *, wafer_cost: str = "tsmc_5nm_2020", defect_density: str = "tsmc_n5_2020",
                            **overrides: object) -> SiliconCostAssumptions:
    """Assumptions for a catalog chip from the data: die area and peak BF16 from the catalog, wafer cost and
    defect density by key (``data/prices/silicon.toml``), and the chip's bill of materials and margin where a
    third-party estimate exists (H100, MI300X). Override any field; a missing die area needs an override."""
    record = load_chip(chip)
    values: dict[str, Any] = {  # checked by SiliconCostAssumptions itself
        "wafer_cost_usd": sourced_value(f"wafer_cost_usd.{wafer_cost}").value,
        "defect_density_per_cm2": sourced_value(f"defect_density_per_cm2.{defect_density}").value,
        "peak_flops_per_s": record.published_peak_flops_per_s.get("bf16"),
    }
    if record.die_area_mm2 is not None:
        values["die_area_mm2"] = float(record.die_area_mm2)
    known = {v.key for v in sourced_values()}
    for field_name in ("hbm_cost_usd", "packaging_cost_usd", "test_assembly_cost_usd",
                       "vendor_gross_margin_fraction"):
        if f"{field_name}.{record.id}" in known:  # else no estimate for this chip: the field keeps its default 0
            values[field_name] = sourced_value(f"{field_name}.{record.id}").value
    values.update(overrides)
    if "die_area_mm2" not in values:
        raise ChiplabInputError(f"{record.id} has no published die area in the catalog; pass die_area_mm2 "
                                f"(and label it an assumption)")
    try:
        return SiliconCostAssumptions(**values)
    except TypeError as exc:
        raise ChiplabInputError(f"silicon_assumptions_for: {exc}") from None
