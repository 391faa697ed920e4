"""Turn one chip's TOML text into a :class:`Chip`, strictly: unknown keys, missing keys and numbers without a
source are errors that name the file and the key (the layout is documented in ``data/chips/README.md``)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.hardware.chip import Chip
from chiplab.hardware.components import Core, Link, MatrixUnit, MemoryLevel
from chiplab.hardware.provenance import Alternative, Provenance, Source
from chiplab.hardware.systolic_array import SystolicArraySpec

_CHIP_KEYS = {"id", "display_name", "vendor", "family", "kind", "aliases", "notes", "process_node", "tdp_w",
              "die_area_mm2", "num_transistors", "num_cores", "core", "peak_flops_per_s",
              "vector_peak_flops_per_s", "memory", "links", "peak_check_exceptions", "provenance"}
_CORE_KEYS = {"label", "vector_clock_hz", "scalar_clock_hz", "matrix_unit"}
_MATRIX_UNIT_KEYS = {"label", "num_per_core", "num_rows", "num_cols", "clock_hz", "macs_per_pe_per_cycle",
                     "is_systolic_array"}
_MEMORY_KEYS = {"role", "vendor_label", "capacity_bytes", "bandwidth_bytes_per_s", "per_core", "technology"}
_LINK_KEYS = {"name", "bandwidth_bytes_per_s", "direction", "num_links", "per_link_one_way_bytes_per_s",
              "topology", "max_chips"}
_PROVENANCE_KEYS = {"source", "note", "as_published", "kind", "rechecked", "alternatives", "choice"}
_ALTERNATIVE_KEYS = {"value", "source", "note"}
_SOURCE_KEYS = {"title", "url", "kind", "accessed", "snapshot", "caveat"}


def _table(where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ChiplabInputError(f"{where} must be a table; got {value!r}")
    return dict(value)


def _only(where: str, table: Mapping[str, Any], allowed: set[str], required: set[str] = frozenset()) -> None:
    """Reject typos (``bandwith_bytes_per_s``) and missing keys with the allowed spellings."""
    for key in table:
        if key not in allowed:
            raise ChiplabInputError(f"{where}: unknown key {key!r}; allowed keys are {', '.join(sorted(allowed))}")
    for key in sorted(required - set(table)):
        raise ChiplabInputError(f"{where}: missing required key {key!r}")


def parse_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChiplabInputError(f"{origin}: not valid TOML: {exc}") from None


def sources_from_toml(text: str, origin: str) -> dict[str, Source]:
    """Parse the shared source list: one ``[SOURCE-ID]`` table per document."""
    sources = {}
    for source_id, raw in parse_toml(text, origin).items():
        where = f"{origin}: [{source_id}]"
        table = _table(where, raw)
        _only(where, table, _SOURCE_KEYS, {"title", "url", "kind", "accessed"})
        try:
            sources[source_id] = Source(id=source_id, **table)
        except ChiplabInputError as exc:
            raise ChiplabInputError(f"{where}: {exc}") from None
    return sources


def _source(where: str, source_id: object, sources: Mapping[str, Source]) -> Source:
    if source_id not in sources:
        raise ChiplabInputError(f"{where}: source {source_id!r} is not in the source list (_sources.toml); "
                                f"add it there with title, url, kind and accessed date")
    return sources[source_id]


def _provenance(where: str, raw: object, sources: Mapping[str, Source]) -> Provenance:
    table = _table(where, raw)
    _only(where, table, _PROVENANCE_KEYS, {"source", "note"})
    alternatives = []
    for i, alt in enumerate(table.pop("alternatives", [])):
        alt_where = f"{where}: alternatives[{i}]"
        alt = _table(alt_where, alt)
        _only(alt_where, alt, _ALTERNATIVE_KEYS, {"value", "source"})
        alternatives.append(Alternative(value=alt["value"], source=_source(alt_where, alt["source"], sources),
                                        note=alt.get("note", "")))
    source = _source(where, table.pop("source"), sources)
    return Provenance(source=source, alternatives=tuple(alternatives), **table)


def _matrix_unit(where: str, raw: object) -> MatrixUnit:
    table = _table(where, raw)
    _only(where, table, _MATRIX_UNIT_KEYS, {"label"})
    rows, cols = table.pop("num_rows", None), table.pop("num_cols", None)
    if (rows is None) != (cols is None):
        raise ChiplabInputError(f"{where}: give both num_rows and num_cols, or neither if the array size "
                                f"is unpublished")
    array = None if rows is None else SystolicArraySpec(num_rows=rows, num_cols=cols)
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
            aliases=tuple(data.pop("aliases", ())),
            notes=tuple(data.pop("notes", ())),
            provenance=provenance,
            **data,
        )
    except ChiplabInputError as exc:
        raise ChiplabInputError(f"{origin}: {exc}") from None
    except TypeError as exc:  # a value of the wrong shape, e.g. a table where a number belongs
        raise ChiplabInputError(f"{origin}: {exc}") from None
    _check_provenance_keys(chip, origin)
    return chip
