"""A read-only, hashable mapping, so that frozen hardware dataclasses holding per-dtype tables stay hashable.

Hashable chips matter downstream: models can memoise on ``(chip, gemm)`` to stay fast enough for a slider.

>>> rates = FrozenMap({"bf16": 1.0, "int8": 2.0})
>>> rates["int8"], hash(rates) == hash(FrozenMap({"int8": 2.0, "bf16": 1.0}))
(2.0, True)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class FrozenMap(Mapping[str, Any]):
    """A dict that cannot change after construction; equal to (and hashed like) its items."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._items)


def freeze(items: Mapping[str, Any] | None) -> FrozenMap:
    """Return ``items`` as a :class:`FrozenMap` (unchanged if it already is one)."""
    return items if isinstance(items, FrozenMap) else FrozenMap(items)
