"""Small validators shared by every layer; each raises ChiplabInputError with a message a student can act on."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from chiplab.errors import ChiplabInputError


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int if it is a whole number >= 1, else raise naming ``name``.

    >>> positive_int("m", 3)
    3
    >>> positive_int("m", 0)
    Traceback (most recent call last):
    ...
    chiplab.errors.ChiplabInputError: m must be a whole number >= 1; got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer() and value >= 1:
            return int(value)
        raise ChiplabInputError(f"{name} must be a whole number >= 1; got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ChiplabInputError(f"{name} must be a whole number >= 1; got {value}")
    return int(value)


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` as an int if it is a whole number >= 0, else raise naming ``name``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer() and value >= 0:
        return int(value)
    raise ChiplabInputError(f"{name} must be a whole number >= 0; got {value!r}")


def one_of(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` lower-cased if it is one of ``allowed`` (case-insensitive), else raise listing them."""
    allowed = list(allowed)
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    raise ChiplabInputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
