"""The chip catalog: one sourced TOML file per chip in ``chiplab/data/chips/``, loaded once and cached.

>>> load_chip("trn2").display_name
'AWS Trainium2'
>>> load_chip("TPU v5e") is load_chip("tpu_v5e")   # names are case- and punctuation-insensitive; cached
True
>>> "toy_4x4" in list_chips(kind="toy")
True
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path

from chiplab._checks import one_of
from chiplab._lookup import add_names, lookup
from chiplab.errors import ChiplabInputError
from chiplab.hardware._chip_toml import chip_from_toml
from chiplab.hardware.chip import CHIP_KINDS, Chip
from chiplab.hardware.provenance import Source
from chiplab.hardware.toml_records import sources_from_toml

SOURCES_FILE = "_sources.toml"  # shared bibliography; files starting with "_" are not chips


def _data_dir():
    return resources.files("chiplab").joinpath("data", "chips")


@functools.lru_cache(maxsize=1)
def load_sources() -> Mapping[str, Source]:
    """Every source the catalog cites, by id (parsed once)."""
    return sources_from_toml(_data_dir().joinpath(SOURCES_FILE).read_text(encoding="utf-8"), SOURCES_FILE)


def get_source(source_id: str) -> Source:
    """One source by id, e.g. ``get_source("TPUV1-ISCA17").url``."""
    sources = load_sources()
    if not isinstance(source_id, str):
        raise ChiplabInputError(f"source_id must be a source id such as 'TPUV1-ISCA17'; got {source_id!r}")
    if source_id not in sources:
        close = difflib.get_close_matches(source_id, list(sources), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ChiplabInputError(f"unknown source id {source_id!r}{hint}")
    return sources[source_id]


@dataclass(frozen=True)
class _Catalog:
    chips: Mapping[str, Chip]       # id → chip
    names: Mapping[str, str]        # normalized id / alias / display name → id


@functools.lru_cache(maxsize=1)
def _catalog() -> _Catalog:
    """Parse every chip file once; the catalog is immutable, so later calls reuse it."""
    sources = load_sources()
    chips: dict[str, Chip] = {}
    names: dict[str, str] = {}
    for entry in sorted(_data_dir().iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or entry.name.startswith("_"):
            continue
        chip_id = entry.name.removesuffix(".toml")
        chip = chip_from_toml(entry.read_text(encoding="utf-8"), f"chips/{entry.name}", sources, chip_id)
        chips[chip_id] = chip
        add_names(names, chip_id, (chip.id, chip.display_name, *chip.aliases), origin=f"chips/{entry.name}")
    return _Catalog(chips=chips, names=names)


def _sort_key(chip: Chip) -> tuple:
    # Real chips first, then baselines, then toys; within each by vendor and generation: numbers compare as
    # numbers, and "tpu_v4" reads as "tpu4" so that TPU7x follows v6e.
    parts = re.split(r"(\d+)", chip.id.replace("_v", ""))
    return (CHIP_KINDS.index(chip.kind), chip.vendor.lower(), [int(p) if p.isdigit() else p for p in parts])


def list_chips(kind: str | None = None) -> tuple[str, ...]:
    """Ids of the catalog's chips, real ones first; ``kind="real"``, ``"baseline"`` or ``"toy"`` filters."""
    if kind is not None:
        kind = one_of("kind", kind, CHIP_KINDS)
    chips = [c for c in _catalog().chips.values() if kind is None or c.kind == kind]
    return tuple(c.id for c in sorted(chips, key=_sort_key))


def load_chip(name: str) -> Chip:
    """A chip by id or alias (case-insensitive): ``"trn2"``, ``"tpu-v5e"``, ``"h100"``, ``"mi300x"``...

    Unknown names raise :class:`~chiplab.errors.ChiplabInputError` listing the closest matches.
    """
    catalog = _catalog()
    return catalog.chips[lookup(name, catalog.names, what="chip", example="tpu_v5e", known=list_chips)]


def as_chip(chip: str | Chip) -> Chip:
    """``chip`` itself if it is a :class:`Chip` (a catalog chip, a what-if or a design), else the catalog chip of
    that id or alias: the one rule for every function that takes "a chip or a chip id"."""
    return chip if isinstance(chip, Chip) else load_chip(chip)


def as_chips(chips: object, name: str = "chip_ids") -> list[Chip]:
    """One chip (or id) or several as a non-empty list of chips; a lone string is one chip, never its letters."""
    if isinstance(chips, str | Chip):
        return [as_chip(chips)]
    if not isinstance(chips, Iterable):
        raise ChiplabInputError(f"{name} must be a chip id, a Chip, or a list of them, e.g. ['tpu_v5e', 'trn2']; "
                                f"got {chips!r}")
    found = [as_chip(chip) for chip in chips]
    if not found:
        raise ChiplabInputError(f"{name} must name at least one chip, e.g. ['tpu_v5e', 'trainium2']")
    return found


def load_chip_file(path: str | PathLike[str]) -> Chip:
    """Load a chip you wrote yourself (same TOML layout, same checks), citing the catalog's sources."""
    if not isinstance(path, str | PathLike):
        raise ChiplabInputError(f"path must be the path of a chip TOML file; got {path!r} ({type(path).__name__})")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL byte in the path
        why = getattr(exc, "strerror", None) or exc
        raise ChiplabInputError(f"cannot read chip file {str(path)!r}: {why}") from None
    return chip_from_toml(text, path.name, load_sources(), expected_id=path.stem)
