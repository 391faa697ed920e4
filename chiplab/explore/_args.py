"""An explorer's arguments, checked before any widget exists: a widget would raise an unnamed ``TraitError`` for a
spelling the library accepts ("WS", "BF16") or silently clamp a value to its slider (1000 rows shown as 256)."""

from __future__ import annotations

from collections.abc import Iterable

from chiplab._checks import instance_of, one_of, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip

# The largest m, n or k an explorer's number boxes take (every explorer, one value).
MAX_GEMM_DIM = 1_000_000


def whole_between(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int if it is a whole number in [low, high] (the widget's range), else raise naming both."""
    number = positive_int(name, value)
    if not low <= number <= high:
        raise ChiplabInputError(f"{name} must be between {low:,} and {high:,} (the explorer's range); got {value!r}")
    return number


def text_option(name: str, value: object, options: Iterable[str]) -> str:
    """``value`` as the option it names, whatever its case ("BF16" → "bf16")."""
    return one_of(name, value, [option.lower() for option in options])


def chip_ids(name: str, value: object) -> tuple[str, ...]:
    """One chip name or several as catalog ids: ``"h100"`` is one chip, not the letters h, 1, 0, 0."""
    if not isinstance(value, str) and (not isinstance(value, Iterable) or isinstance(value, bytes)):
        raise ChiplabInputError(f"{name} must be a chip id or a list of them, such as ('trn2', 'h100'); "
                                f"got {value!r}")
    names: Iterable[object] = (value,) if isinstance(value, str) else value
    return tuple(dict.fromkeys(load_chip(instance_of(name, chip, str, "a chip id such as 'trn2'")).id
                               for chip in names))


def catalog_chip_id(name: str, value: object) -> str:
    """One chip name (id or alias) as its catalog id."""
    return load_chip(instance_of(name, value, str, "a chip id or alias such as 'trn2'")).id
