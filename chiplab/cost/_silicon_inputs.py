"""Read ``data/silicon/make_vs_buy.toml``: per chip, each input of the make-versus-buy model with a central value,
a low-high range and whether a source gives it or chiplab estimates it (the layout is the file's header comment).

A value is typed once: ``value_from`` borrows a sourced value of ``data/prices/*.toml`` (with its provenance) and
``from_catalog`` a chip's die area or TDP, so the H100's bill of materials and TDP are not copied here."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from chiplab.cost._toml import load_cost_sources
from chiplab.cost.prices import sourced_value
from chiplab.cost.records import parse_as_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware import load_chip
from chiplab.hardware.provenance import Provenance
from chiplab.hardware.toml_records import only_keys, parse_toml, provenance_of, table_of

INPUT_KINDS = ("sourced", "estimate")
DATA_FILE = "make_vs_buy.toml"
# The ranged inputs of each chip; the last three are for bought chips (GPUs) or made ones (custom), not both.
CHIP_INPUTS = ("die_area_mm2", "num_compute_dies", "packaging_usd", "test_assembly_usd", "board_and_system_usd",
               "chip_power_w")
BOUGHT_INPUTS = ("selling_price_usd",)
MADE_INPUTS = ("nre_usd", "num_units")
NODE_INPUTS = ("wafer_cost_usd", "defect_density_per_cm2")
_CATALOG_FIELDS = {"die_area_mm2": "die_area_mm2", "chip_power_w": "tdp_w"}
_ENTRY_KEYS = {"value", "value_from", "from_catalog", "low", "high", "kind", "as_of", "note", "provenance"}


@dataclass(frozen=True)
class RangedInput:
    """One input with its range: ``low <= value <= high``. ``provenance`` is None only for a catalog value
    (``origin`` then names the catalog field, whose own provenance is in the chip's file)."""

    name: str
    value: float
    low: float
    high: float
    kind: str            # "sourced" or "estimate"
    note: str
    origin: str          # where the value was read: this file, a price-data key, or a catalog field
    provenance: Provenance | None

    def at(self, end: str) -> float:
        """The value at ``end``: "low", "central" or "high"."""
        return {"low": self.low, "central": self.value, "high": self.high}[end]


@dataclass(frozen=True)
class ChipInputs:
    """Everything the make-versus-buy model needs for one chip; ``made`` is True for a custom chip."""

    chip_id: str
    node: str
    hbm_generation: str
    made: bool
    inputs: Mapping[str, RangedInput]       # CHIP_INPUTS + (MADE_INPUTS or BOUGHT_INPUTS) + NODE_INPUTS + HBM

    def __getitem__(self, name: str) -> RangedInput:
        return self.inputs[name]


def _entry(where: str, name: str, raw: object, sources: Mapping[str, Any]) -> RangedInput:
    table = table_of(where, raw)
    only_keys(where, table, _ENTRY_KEYS, {"low", "high", "kind", "note"})
    given = [key for key in ("value", "value_from", "from_catalog") if key in table]
    if len(given) != 1:
        raise ChiplabInputError(f"{where}: give exactly one of value, value_from and from_catalog; got {given}")
    provenance = None
    if "value" in table:
        only_keys(where, table, _ENTRY_KEYS, {"as_of", "provenance"})
        parse_as_of(table["as_of"], where)
        value, origin = table["value"], DATA_FILE
        provenance = provenance_of(f"{where}.provenance", table["provenance"], sources)
    elif "value_from" in table:
        sourced = sourced_value(str(table["value_from"]))
        value, origin, provenance = sourced.value, f"prices: {sourced.key}", sourced.provenance
    else:
        if name not in _CATALOG_FIELDS:
            raise ChiplabInputError(f"{where}: from_catalog works for {', '.join(_CATALOG_FIELDS)}, not {name}")
        field = _CATALOG_FIELDS[name]
        value = getattr(load_chip(str(table["from_catalog"])), field)
        origin = f"catalog: {table['from_catalog']}.{field}"
        if value is None:
            raise ChiplabInputError(f"{where}: the catalog has no {field} for {table['from_catalog']}")
    if table["kind"] not in INPUT_KINDS:
        raise ChiplabInputError(f"{where}: kind must be one of {', '.join(INPUT_KINDS)}; got {table['kind']!r}")
    numbers = {"value": value, "low": table["low"], "high": table["high"]}
    for key, number in numbers.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or not number > 0:
            raise ChiplabInputError(f"{where}: {key} must be a positive number; got {number!r}")
    if not numbers["low"] <= numbers["value"] <= numbers["high"]:
        raise ChiplabInputError(f"{where}: need low <= value <= high; got {numbers['low']!r}, {numbers['value']!r}, "
                                f"{numbers['high']!r}")
    return RangedInput(name=name, value=float(value), low=float(table["low"]), high=float(table["high"]),
                       kind=table["kind"], note=table["note"], origin=origin, provenance=provenance)


def _entries(where: str, table: Mapping[str, Any], names: tuple[str, ...], plain: set[str],
             sources: Mapping[str, Any]) -> dict[str, RangedInput]:
    only_keys(where, table, set(names) | plain, set(names) | plain)
    return {name: _entry(f"{where}.{name}", name, table[name], sources) for name in names}


def chip_inputs_from_toml(text: str, origin: str) -> dict[str, ChipInputs]:
    """Parse the make-versus-buy data; every error names ``origin`` and the entry."""
    data, sources = parse_toml(text, origin), load_cost_sources()
    only_keys(origin, data, {"node", "hbm", "chip"}, {"node", "hbm", "chip"})
    nodes = {key: _entries(f"{origin}: [node.{key}]", table_of(key, raw), NODE_INPUTS, set(), sources)
             for key, raw in table_of("node", data["node"]).items()}
    hbm = {key: _entries(f"{origin}: [hbm.{key}]", table_of(key, raw), ("usd_per_gb",), set(), sources)
           for key, raw in table_of("hbm", data["hbm"]).items()}
    chips = {}
    for chip_id, raw in table_of("chip", data["chip"]).items():
        where, table = f"{origin}: [chip.{chip_id}]", table_of(chip_id, raw)
        if load_chip(chip_id).id != chip_id:
            raise ChiplabInputError(f"{where}: use the catalog id {load_chip(chip_id).id!r}, not an alias")
        made = "nre_usd" in table
        names = CHIP_INPUTS + (MADE_INPUTS if made else BOUGHT_INPUTS)
        inputs = _entries(where, table, names, {"node", "hbm_generation"}, sources)
        for key, choices in (("node", nodes), ("hbm_generation", hbm)):
            if table[key] not in choices:
                raise ChiplabInputError(f"{where}: {key} {table[key]!r} is not one of {', '.join(choices)}")
        inputs.update(nodes[table["node"]])
        inputs["hbm_usd_per_gb"] = hbm[table["hbm_generation"]]["usd_per_gb"]
        chips[chip_id] = ChipInputs(chip_id=chip_id, node=table["node"], hbm_generation=table["hbm_generation"],
                                    made=made, inputs=inputs)
    return chips


@functools.lru_cache(maxsize=1)
def load_chip_inputs() -> Mapping[str, ChipInputs]:
    """The shipped make-versus-buy inputs, by catalog chip id (read once)."""
    text = resources.files("chiplab").joinpath("data", "silicon", DATA_FILE).read_text(encoding="utf-8")
    return chip_inputs_from_toml(text, f"silicon/{DATA_FILE}")
