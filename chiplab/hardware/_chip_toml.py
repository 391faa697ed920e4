"""Turn one chip's TOML text into a :class:`Chip`, strictly: unknown keys, missing keys and numbers without a
source are errors that name the file and the key (the layout is documented in ``data/chips/README.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import Core, Link, MatrixUnit, MemoryLevel
from chiplab.hardware.plausibility import check_as_published, check_shipped_ranges
from chiplab.hardware.provenance import Source
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.hardware.toml_records import only_keys as _only
from chiplab.hardware.toml_records import parse_toml
from chiplab.hardware.toml_records import provenance_of as _provenance
from chiplab.hardware.toml_records import table_of as _table

_CHIP_KEYS = {"id", "display_name", "vendor", "family", "kind", "aliases", "notes", "process_node", "tdp_w",
              "die_area_mm2", "num_transistors", "num_cores", "core", "peak_flops_per_s",
              "vector_peak_flops_per_s", "memory", "links", "peak_check_exceptions", "provenance"}
_CORE_KEYS = {"label", "vector_clock_hz", "scalar_clock_hz", "matrix_unit"}
_MATRIX_UNIT_KEYS = {"label", "num_per_core", "num_rows", "num_cols", "clock_hz", "macs_per_pe_per_cycle",
                     "is_systolic_array", "stationary_load_rows_per_cycle"}
_MEMORY_KEYS = {"role", "vendor_label", "capacity_bytes", "bandwidth_bytes_per_s", "per_core", "technology"}
_LINK_KEYS = {"name", "bandwidth_bytes_per_s", "direction", "num_links", "per_link_one_way_bytes_per_s",
              "topology", "max_chips"}


def _matrix_unit(where: str, raw: object) -> MatrixUnit:
    table = _table(where, raw)
    _only(where, table, _MATRIX_UNIT_KEYS, {"label"})
    rows, cols = table.pop("num_rows", None), table.pop("num_cols", None)
    load_rate = table.pop("stationary_load_rows_per_cycle", 1)
    if (rows is None) != (cols is None):
        raise ChiplabInputError(f"{where}: give both num_rows and num_cols, or neither if the array size "
                                f"is unpublished")
    if rows is None and load_rate != 1:
        raise ChiplabInputError(f"{where}: stationary_load_rows_per_cycle needs num_rows and num_cols")
    array = None if rows is None else SystolicArraySpec(num_rows=rows, num_cols=cols,
                                                       stationary_load_rows_per_cycle=load_rate)
    return MatrixUnit(array=array, **table)


def _core(where: str, raw: object) -> Core:
    table = _table(where, raw)
    _only(where, table, _CORE_KEYS, {"label", "matrix_unit"})
    unit = _matrix_unit(f"{where}.matrix_unit", table.pop("matrix_unit"))
    return Core(matrix_unit=unit, **table)


def _rows(where: str, raw: object, allowed: set[str], required: set[str], cls: type) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise ChiplabInputError(f"{where} must be an array of tables ([[{where}]]); got {raw!r}")
    items = []
    for i, row in enumerate(raw):
        row_where = f"[[{where}]] #{i + 1}"
        row = _table(row_where, row)
        _only(row_where, row, allowed, required)
        items.append(cls(**row))
    return tuple(items)


def _strings(value: object) -> Any:
    """A TOML array of strings as a tuple; anything else (``aliases = "trn2"``) is left for Chip to refuse, rather
    than split into one-letter aliases."""
    return tuple(value) if isinstance(value, list) else value


def _check_provenance_keys(chip: Chip, origin: str) -> None:
    """Every number needs a source, and every provenance key must name a value (catches typos)."""
    known = set(chip.numeric_fields()) | set(chip.text_fields())
    for key in chip.provenance:
        if key not in known:
            raise ChiplabInputError(f"{origin}: [provenance.{key!r}] names no value of this chip; "
                                    f"keys look like {', '.join(sorted(known)[:6])}, ...")
    for key in chip.numeric_fields():
        if key not in chip.provenance:
            raise ChiplabInputError(f"{origin}: the number {key} has no [provenance.\"{key}\"] table; every "
                                    f"number needs a source, a note and (via the source) an access date")


def chip_from_toml(text: str, origin: str, sources: Mapping[str, Source], expected_id: str | None = None) -> Chip:
    """Build and validate a chip from TOML text; ``origin`` (the file name) prefixes every error."""
    data = parse_toml(text, origin)
    _only(origin, data, _CHIP_KEYS,
          {"id", "display_name", "vendor", "family", "kind", "num_cores", "core", "memory"})
    if expected_id is not None and data["id"] != expected_id:
        raise ChiplabInputError(f"{origin}: id must match the file name {expected_id!r}; got {data['id']!r}")
    try:
        provenance = {key: _provenance(f"[provenance.{key!r}]", raw, sources)
                      for key, raw in _table("[provenance]", data.pop("provenance", {})).items()}
        chip = Chip(
            core=_core("[core]", data.pop("core")),
            memory_levels=_rows("memory", data.pop("memory"), _MEMORY_KEYS, {"role", "vendor_label"},
                                MemoryLevel),
            links=_rows("links", data.pop("links", []), _LINK_KEYS, {"name"}, Link),
            published_peak_flops_per_s=data.pop("peak_flops_per_s", {}),
            vector_peak_flops_per_s=data.pop("vector_peak_flops_per_s", {}),
            aliases=_strings(data.pop("aliases", ())),
            notes=_strings(data.pop("notes", ())),
            provenance=provenance,
            **data,
        )
    except ChiplabInputError as exc:
        raise ChiplabInputError(f"{origin}: {exc}") from None
    except TypeError as exc:  # a value of the wrong shape, e.g. a table where a number belongs
        raise ChiplabInputError(f"{origin}: {exc}") from None
    _check_provenance_keys(chip, origin)
    check_as_published(chip, origin)
    if chip.kind != "toy":  # real chips and baselines shipped: their numbers lie in shipped ranges
        check_shipped_ranges(chip, origin)
    return chip
