"""Strict reading of sourced TOML data (chips, models, prices): tables with only the allowed keys, a shared source
list, and a provenance record for every number. Shared by every catalog so all data files follow one grammar."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any, cast

from chiplab.errors import ChiplabInputError
from chiplab.hardware.provenance import Alternative, Provenance, Source

PROVENANCE_KEYS = {"source", "note", "as_published", "kind", "rechecked", "alternatives", "choice"}
ALTERNATIVE_KEYS = {"value", "source", "note"}
SOURCE_KEYS = {"title", "url", "kind", "accessed", "snapshot", "caveat"}


def table_of(where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ChiplabInputError(f"{where} must be a table; got {value!r}")
    return dict(value)


def only_keys(where: str, table: Mapping[str, Any], allowed: AbstractSet[str],
              required: AbstractSet[str] = frozenset()) -> None:
    """Reject typos (``bandwith_bytes_per_s``) and missing keys with the allowed spellings."""
    for key in table:
        if key not in allowed:
            raise ChiplabInputError(f"{where}: unknown key {key!r}; allowed keys are {', '.join(sorted(allowed))}")
    for key in sorted(required - set(table)):
        raise ChiplabInputError(f"{where}: missing required key {key!r}")


def parse_toml(text: str, origin: str) -> dict[str, Any]:
    """Parse TOML text; a leading byte-order mark (Windows editors write one) is dropped, as SCALE-Sim files allow."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ChiplabInputError(f"{origin}: not valid TOML: {exc}") from None


def sources_from_toml(text: str, origin: str) -> dict[str, Source]:
    """Parse the shared source list: one ``[SOURCE-ID]`` table per document."""
    sources = {}
    for source_id, raw in parse_toml(text, origin).items():
        where = f"{origin}: [{source_id}]"
        table = table_of(where, raw)
        only_keys(where, table, SOURCE_KEYS, {"title", "url", "kind", "accessed"})
        try:
            sources[source_id] = Source(id=source_id, **table)
        except ChiplabInputError as exc:
            raise ChiplabInputError(f"{where}: {exc}") from None
    return sources


def source_of(where: str, source_id: object, sources: Mapping[str, Source]) -> Source:
    if source_id not in sources:
        raise ChiplabInputError(f"{where}: source {source_id!r} is not in the source list (_sources.toml); "
                                f"add it there with title, url, kind and accessed date")
    return sources[cast(str, source_id)]  # a key of sources, so a str


def provenance_of(where: str, raw: object, sources: Mapping[str, Source]) -> Provenance:
    table = table_of(where, raw)
    only_keys(where, table, PROVENANCE_KEYS, {"source", "note"})
    alternatives = []
    for i, alt in enumerate(table.pop("alternatives", [])):
        alt_where = f"{where}: alternatives[{i}]"
        alt = table_of(alt_where, alt)
        only_keys(alt_where, alt, ALTERNATIVE_KEYS, {"value", "source"})
        alternatives.append(Alternative(value=alt["value"], source=source_of(alt_where, alt["source"], sources),
                                        note=alt.get("note", "")))
    source = source_of(where, table.pop("source"), sources)
    try:
        return Provenance(source=source, alternatives=tuple(alternatives), **table)
    except ChiplabInputError as exc:  # say which [provenance] table, e.g. a missing choice
        raise ChiplabInputError(f"{where}: {exc}") from None
