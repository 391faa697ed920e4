"""Validators for cost inputs: each raises ChiplabInputError naming the field, the value and what is allowed."""

from __future__ import annotations

import math
import numbers

from chiplab.errors import ChiplabInputError


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ChiplabInputError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def positive(name: str, value: object) -> float:
    """``value`` as a float if it is > 0 (a price, a duration, a power)."""
    number = _real(name, value)
    if number <= 0:
        raise ChiplabInputError(f"{name} must be > 0; got {value!r}")
    return number


def non_negative(name: str, value: object) -> float:
    """``value`` as a float if it is >= 0 (a cost that may be absent, such as hosting)."""
    number = _real(name, value)
    if number < 0:
        raise ChiplabInputError(f"{name} must be >= 0; got {value!r}")
    return number


def fraction(name: str, value: object, *, allow_zero: bool = True, allow_one: bool = True) -> float:
    """``value`` as a float if it lies in [0, 1] (ends excluded on request): yields, utilisation, margins."""
    number = _real(name, value)
    low_ok = number > 0 or (allow_zero and number == 0)
    high_ok = number < 1 or (allow_one and number == 1)
    if not (low_ok and high_ok):
        low, high = ("[0" if allow_zero else "(0"), ("1]" if allow_one else "1)")
        raise ChiplabInputError(f"{name} must be a fraction in {low}, {high}; got {value!r}")
    return number


def at_least(name: str, value: object, minimum: float) -> float:
    """``value`` as a float if it is >= ``minimum`` (a PUE >= 1, an overhead factor >= 1)."""
    number = _real(name, value)
    if number < minimum:
        raise ChiplabInputError(f"{name} must be >= {minimum:g}; got {value!r}")
    return number
