"""How one field of a measurement entry is checked (``chiplab/data/measurements/*.toml``): counts, texts, chip ids
and the set of keys an entry may have. :mod:`chiplab.perf.measurements` assembles the entries from these."""

from __future__ import annotations

from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.hardware.toml_records import only_keys
from chiplab.perf._measurement_types import NOT_STATED


def count_field(where: str, name: str, value: object) -> int | str:
    if value == NOT_STATED:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ChiplabInputError(f"{where}: field {name!r} must be a whole number >= 1 or {NOT_STATED!r}; "
                                f"got {value!r}")
    return value


def text_field(where: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChiplabInputError(f"{where}: field {name!r} must be non-empty text (write {NOT_STATED!r} if the "
                                f"source does not say); got {value!r}")
    return value.strip()


def chip_id_field(where: str, name: object) -> str:
    try:
        chip = load_chip(name)  # type: ignore[arg-type]  # load_chip names a non-string itself
    except ChiplabInputError as exc:
        raise ChiplabInputError(f"{where}: field 'chip': {exc}") from None
    if chip.id != name:
        raise ChiplabInputError(f"{where}: field 'chip' must be the catalog id {chip.id!r}, not {name!r}")
    return chip.id


def check_keys(where: str, raw: dict[str, Any], required: set[str], optional: set[str]) -> None:
    for key in sorted(required - set(raw)):
        raise ChiplabInputError(f"{where}: missing setup field {key!r} (write {NOT_STATED!r} if the source does "
                                f"not say)")
    only_keys(where, raw, required | optional | {"kind", "workload"})
