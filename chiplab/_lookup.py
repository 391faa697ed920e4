"""Find a record by a forgiving name, or say which known names are close: one rule for chips, model presets and
anything else the catalog grows.

>>> names = {normalize_name(n): "tpu_v5e" for n in ("tpu_v5e", "TPU v5e")}
>>> lookup("TPU-v5e", names, what="chip", known=lambda: ["tpu_v5e"])
'tpu_v5e'
>>> lookup("tpu v5", names, what="chip", known=lambda: ["tpu_v5e"])
Traceback (most recent call last):
...
chiplab.errors.ChiplabInputError: unknown chip 'tpu v5'; did you mean tpu_v5e? known chips: tpu_v5e
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping

from chiplab.errors import ChiplabInputError


def normalize_name(name: str) -> str:
    """Lower-case and drop spaces, '-', '_', '.', brackets: 'TPU v5e', 'tpu-v5e', 'tpu_v5e' → 'tpuv5e'."""
    return re.sub(r"[\s\-_.()]+", "", name.lower())


def lookup(name: object, names: Mapping[str, str], *, what: str, known: Callable[[], Iterable[str]],
           example: str = "", also_close: Callable[[str], Iterable[str]] | None = None,
           max_suggestions: int = 5) -> str:
    """The id that ``name`` stands for in ``names`` (normalized name → id), or a :class:`ChiplabInputError`
    naming the closest ids (difflib, plus ``also_close(normalized name)``) and every id of ``known()``.

    Only a miss pays for the suggestions: ``known`` and ``also_close`` are called then, so the hot path (a
    catalog hit, thousands of times per explorer redraw) is one dictionary lookup."""
    if not isinstance(name, str):
        raise ChiplabInputError(f"{what} name must be a string{f' such as {example!r}' if example else ''}; "
                                f"got {name!r}")
    key = normalize_name(name)
    if key in names:
        return names[key]
    close = difflib.get_close_matches(key, list(names), n=max_suggestions, cutoff=0.5)
    close += list(also_close(key)) if also_close is not None else []
    suggestions = list(dict.fromkeys(names[c] for c in close if c in names))
    hint = f"did you mean {', '.join(suggestions)}? " if suggestions else ""
    raise ChiplabInputError(f"unknown {what} {name!r}; {hint}known {what}s: {', '.join(known())}")


def add_names(names: dict[str, str], record_id: str, record_names: Iterable[str], *, origin: str) -> None:
    """Index ``record_id`` in ``names`` under each of ``record_names`` (its id, display name, aliases), normalized;
    a name that already stands for another record is an error naming ``origin`` (the file that repeats it)."""
    keys = {normalize_name(name): name for name in record_names}
    for key, name in keys.items():
        if names.get(key, record_id) != record_id:
            raise ChiplabInputError(f"{origin}: name {name!r} is already used by {names[key]!r}; aliases must be "
                                    "unique")
    names.update(dict.fromkeys(keys, record_id))
