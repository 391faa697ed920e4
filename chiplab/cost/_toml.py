"""Read the price and cost data in ``chiplab/data/prices/`` strictly, with the chip catalog's mechanism: unknown
keys, missing keys, unknown sources and implausible values are errors that name the file and the entry
(the layout is documented in ``data/prices/README.md``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from chiplab.cost.records import HardwarePrice, MissingPrice, Price, SourcedValue, parse_as_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware import list_chips, load_sources
from chiplab.hardware.provenance import Source
from chiplab.hardware.toml_records import only_keys as _only
from chiplab.hardware.toml_records import parse_toml, sources_from_toml
from chiplab.hardware.toml_records import provenance_of as _provenance
from chiplab.hardware.toml_records import table_of as _table

SOURCES_FILE = "_sources.toml"

# The quantities of the owner and silicon data, with a plausible range for each: wide enough for any real value,
# narrow enough to catch a slip such as cents stored as dollars or a percentage stored as a fraction.
VALUE_RANGES: Mapping[str, tuple[float, float]] = {
    "electricity_usd_per_kwh": (0.01, 1.0),
    "pue": (1.0, 3.0),
    "hosting_usd_per_kw_month": (10.0, 2000.0),
    "amortisation_years": (1.0, 15.0),
    "cost_of_capital_fraction_per_year": (0.0, 0.5),
    "maintenance_fraction_per_year": (0.0, 0.5),
    "server_power_overhead_factor": (1.0, 5.0),
    "average_load_fraction": (0.05, 1.0),
    "wafer_cost_usd": (500.0, 100_000.0),
    "defect_density_per_cm2": (0.001, 5.0),
    "process_complexity_factor": (1.0, 30.0),
    "mask_set_cost_usd": (1e5, 1e9),
    "logic_die_cost_usd": (1.0, 100_000.0),
    "hbm_cost_usd": (1.0, 100_000.0),
    "packaging_cost_usd": (1.0, 100_000.0),
    "test_assembly_cost_usd": (1.0, 100_000.0),
    "manufacturing_cost_usd": (1.0, 100_000.0),
    "selling_price_usd": (10.0, 1_000_000.0),
    "vendor_gross_margin_fraction": (0.0, 0.99),
    "matrix_area_fraction": (0.0, 1.0),
    "sram_area_fraction": (0.0, 1.0),
}

_OFFER_KEYS = {"chip", "provider", "instance", "num_chips_per_instance", "kind", "usd_per_instance_hour",
               "usd_per_chip_hour", "regions", "as_of", "priced_part", "note", "provenance"}
_HARDWARE_KEYS = {"chip", "includes", "system", "usd_per_chip", "usd_per_system", "num_chips_per_system", "as_of",
                  "priced_part", "note", "provenance"}
_MISSING_KEYS = {"chip", "instance", "kind", "note"}
_VALUE_KEYS = {"value", "as_of", "region", "note", "provenance"}
_LISTS = ("offer", "hardware", "missing")


@dataclass(frozen=True)
class CostData:
    """Everything in the price folder: cloud offers, hardware prices, known gaps and sourced values by key."""

    offers: tuple[Price, ...]
    hardware: tuple[HardwarePrice, ...]
    missing: tuple[MissingPrice, ...]
    values: Mapping[str, SourcedValue]


def _data_dir() -> Traversable:
    return resources.files("chiplab").joinpath("data", "prices")


@functools.lru_cache(maxsize=1)
def load_cost_sources() -> Mapping[str, Source]:
    """The chip bibliography plus the price bibliography; an id defined in both is an error."""
    own = sources_from_toml(_data_dir().joinpath(SOURCES_FILE).read_text(encoding="utf-8"), f"prices/{SOURCES_FILE}")
    chips = load_sources()
    for source_id in own:
        if source_id in chips:
            raise ChiplabInputError(f"prices/{SOURCES_FILE}: source {source_id!r} is already defined in "
                                    f"chips/_sources.toml; cite that one instead of defining it twice")
    return {**chips, **own}


def _chip(where: str, value: object) -> str:
    if value not in list_chips():
        raise ChiplabInputError(f"{where}: chip {value!r} is not a catalog id; use one of "
                                f"{', '.join(list_chips())}")
    return str(value)


def _one_of_two(where: str, table: Mapping[str, Any], per_chip: str, per_group: str, count: str) -> float:
    """The per-chip figure: given directly, or the group figure divided by the count (exactly one is given)."""
    if (per_chip in table) == (per_group in table):
        raise ChiplabInputError(f"{where}: give exactly one of {per_chip} and {per_group} (the figure as published)")
    if per_chip in table:
        return float(table[per_chip])
    if not isinstance(table[per_group], int | float) or isinstance(table[per_group], bool):
        raise ChiplabInputError(f"{where}: {per_group} must be a number; got {table[per_group]!r}")
    return float(table[per_group] / table.get(count, 1))


def _offer(where: str, raw: object, sources: Mapping[str, Source]) -> Price:
    table = _table(where, raw)
    _only(where, table, _OFFER_KEYS, {"chip", "provider", "instance", "num_chips_per_instance", "kind", "regions",
                                      "as_of", "provenance"})
    usd = _one_of_two(where, table, "usd_per_chip_hour", "usd_per_instance_hour", "num_chips_per_instance")
    return Price(chip_id=_chip(where, table["chip"]), usd_per_chip_hour=usd, kind=table["kind"],
                 as_of=table["as_of"], provenance=_provenance(f"{where}.provenance", table["provenance"], sources),
                 provider=table["provider"], instance=table["instance"],
                 num_chips_per_instance=table["num_chips_per_instance"], regions=tuple(table["regions"]),
                 priced_part=table.get("priced_part", ""), note=table.get("note", ""))


def _hardware(where: str, raw: object, sources: Mapping[str, Source]) -> HardwarePrice:
    table = _table(where, raw)
    _only(where, table, _HARDWARE_KEYS, {"chip", "includes", "system", "as_of", "provenance"})
    usd = _one_of_two(where, table, "usd_per_chip", "usd_per_system", "num_chips_per_system")
    return HardwarePrice(chip_id=_chip(where, table["chip"]), usd_per_chip=usd, includes=table["includes"],
                         system=table["system"], as_of=table["as_of"],
                         num_chips_per_system=table.get("num_chips_per_system", 1),
                         provenance=_provenance(f"{where}.provenance", table["provenance"], sources),
                         priced_part=table.get("priced_part", ""), note=table.get("note", ""))


def _missing(where: str, raw: object) -> MissingPrice:
    table = _table(where, raw)
    _only(where, table, _MISSING_KEYS, _MISSING_KEYS)
    return MissingPrice(chip_id=_chip(where, table["chip"]), instance=table["instance"], kind=table["kind"],
                        note=table["note"])


def _value(where: str, quantity: str, variant: str, raw: object, sources: Mapping[str, Source]) -> SourcedValue:
    table = _table(where, raw)
    _only(where, table, _VALUE_KEYS, {"value", "as_of", "provenance"})
    value, (low, high) = table["value"], VALUE_RANGES[quantity]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ChiplabInputError(f"{where}: value must be a number in [{low:g}, {high:g}] for {quantity}; "
                                f"got {value!r}")
    parse_as_of(table["as_of"], where)  # checked like a price's date
    return SourcedValue(quantity=quantity, variant=variant, value=float(value), as_of=table["as_of"],
                        provenance=_provenance(f"{where}.provenance", table["provenance"], sources),
                        region=table.get("region", ""), note=table.get("note", ""))


def cost_data_from_toml(text: str, origin: str, sources: Mapping[str, Source]) -> CostData:
    """Parse one file of the price folder; ``origin`` (the file name) prefixes every error."""
    data = parse_toml(text, origin)
    offers, hardware, missing, values = [], [], [], {}
    for key, raw in data.items():
        try:
            if key in _LISTS:
                if not isinstance(raw, list):
                    raise ChiplabInputError(f"{key} must be an array of tables ([[{key}]]); got {raw!r}")
                for i, item in enumerate(raw):
                    where = f"[[{key}]] #{i + 1}"
                    if key == "offer":
                        offers.append(_offer(where, item, sources))
                    elif key == "hardware":
                        hardware.append(_hardware(where, item, sources))
                    else:
                        missing.append(_missing(where, item))
            elif key in VALUE_RANGES:
                for variant, item in _table(f"[{key}]", raw).items():
                    values[f"{key}.{variant}"] = _value(f"[{key}.{variant}]", key, variant, item, sources)
            else:
                allowed = ", ".join([*_LISTS, *VALUE_RANGES])
                raise ChiplabInputError(f"unknown top-level key {key!r}; allowed: {allowed}")
        except (ChiplabInputError, TypeError, KeyError) as exc:
            raise ChiplabInputError(f"{origin}: {exc}") from None
    return CostData(tuple(offers), tuple(hardware), tuple(missing), values)


@functools.lru_cache(maxsize=1)
def load_cost_data() -> CostData:
    """Every file of the price folder, parsed once (the data are immutable)."""
    sources = load_cost_sources()
    parts = [cost_data_from_toml(entry.read_text(encoding="utf-8"), f"prices/{entry.name}", sources)
             for entry in sorted(_data_dir().iterdir(), key=lambda e: e.name)
             if entry.name.endswith(".toml") and not entry.name.startswith("_")]
    values: dict[str, SourcedValue] = {}
    for part in parts:
        for key in part.values:
            if key in values:  # TOML rejects a repeated key within a file; across files it would silently win
                raise ChiplabInputError(f"prices/: [{key}] is defined in two files")
        values.update(part.values)
    return CostData(offers=tuple(o for p in parts for o in p.offers),
                    hardware=tuple(h for p in parts for h in p.hardware),
                    missing=tuple(m for p in parts for m in p.missing), values=values)
