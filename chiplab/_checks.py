"""The one validator module: every public constructor and function checks its arguments here.

Each check returns the cleaned value or raises :class:`ChiplabInputError` with a message that names the parameter,
the value it got and what is allowed. The rules are the same everywhere: booleans are never numbers, NaN and
infinities are never accepted where a quantity is meant, and whole-number checks accept ``3.0`` but not ``3.5``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, TypeVar, cast, overload

from chiplab.errors import ChiplabInputError


def _type_name(value: object) -> str:
    return type(value).__name__


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
        if (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
                and float(value).is_integer() and float(value) >= 1):
            return int(cast(float, value))  # int() of the real itself: exact for a whole Decimal or Fraction
        raise ChiplabInputError(f"{name} must be a whole number >= 1; got {value!r} ({_type_name(value)})")
    if value < 1:
        raise ChiplabInputError(f"{name} must be a whole number >= 1; got {value}")
    return int(value)


def positive_int_at_most(name: str, value: object, maximum: int) -> int:
    """``positive_int`` with an upper bound: sizes that would make a model's arithmetic overflow or its memory
    estimate meaningless (a batch of 1e308) are refused, saying the limit.

    >>> positive_int_at_most("batch", 10**400, 10**3)
    Traceback (most recent call last):
    ...
    chiplab.errors.ChiplabInputError: batch must be a whole number between 1 and 1,000; got an integer with 401 digits
    """
    number = positive_int(name, value)
    if number > maximum:
        shown = f"{number:,}" if number < 10**30 else f"an integer with {len(str(number))} digits"
        raise ChiplabInputError(f"{name} must be a whole number between 1 and {maximum:,}; got {shown}")
    return number


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` as an int if it is a whole number >= 0, else raise naming ``name``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 0:
        return int(value)
    if (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
            and float(value).is_integer() and float(value) >= 0):
        return int(cast(float, value))
    raise ChiplabInputError(f"{name} must be a whole number >= 0; got {value!r}")


def one_of(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` lower-cased if it is one of ``allowed`` (case-insensitive), else raise listing them."""
    allowed = list(allowed)
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    raise ChiplabInputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def some_of(name: str, values: object, allowed: Iterable[str]) -> tuple[str, ...]:
    """``values`` (one name, or a list of names) as a tuple of names from ``allowed``, each checked by :func:`one_of`.

    >>> some_of("roles", "SCRATCHPAD", ["scratchpad", "accumulator"])
    ('scratchpad',)
    """
    allowed = list(allowed)
    items = (values,) if isinstance(values, str) else values
    if not isinstance(items, Iterable):
        raise ChiplabInputError(f"{name} must be a list drawn from {', '.join(allowed)}; got {values!r}")
    return tuple(one_of(name, item, allowed) for item in items)


def finite(name: str, value: object) -> float:
    """``value`` as a float if it is a real number that is not NaN or infinite (booleans are refused).

    >>> finite("overhead_s", float("nan"))
    Traceback (most recent call last):
    ...
    chiplab.errors.ChiplabInputError: overhead_s must be a finite number; got nan (float)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ChiplabInputError(f"{name} must be a finite number; got {value!r} ({_type_name(value)})")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        digits = len(str(value))
        raise ChiplabInputError(f"{name} must be a finite number; got an integer with {digits} digits") from None
    if not math.isfinite(number):
        raise ChiplabInputError(f"{name} must be a finite number; got {value!r} ({_type_name(value)})")
    return number


def positive(name: str, value: object) -> float:
    """``value`` as a float if it is finite and > 0 (a price, a duration, a power, a bandwidth)."""
    number = finite(name, value)
    if number <= 0:
        raise ChiplabInputError(f"{name} must be > 0; got {value!r}")
    return number


def non_negative(name: str, value: object) -> float:
    """``value`` as a float if it is finite and >= 0 (a cost that may be absent, such as hosting)."""
    number = finite(name, value)
    if number < 0:
        raise ChiplabInputError(f"{name} must be >= 0; got {value!r}")
    return number


def fraction(name: str, value: object, *, allow_zero: bool = True, allow_one: bool = True) -> float:
    """``value`` as a float if it lies in [0, 1] (ends excluded on request): yields, utilisation, margins."""
    number = finite(name, value)
    low_ok = number > 0 or (allow_zero and number == 0)
    high_ok = number < 1 or (allow_one and number == 1)
    if not (low_ok and high_ok):
        low, high = ("[0" if allow_zero else "(0"), ("1]" if allow_one else "1)")
        raise ChiplabInputError(f"{name} must be a fraction in {low}, {high}; got {value!r}")
    return number


def at_least(name: str, value: object, minimum: float) -> float:
    """``value`` as a float if it is finite and >= ``minimum`` (a PUE >= 1, an overhead factor >= 1)."""
    number = finite(name, value)
    if number < minimum:
        raise ChiplabInputError(f"{name} must be >= {minimum:g}; got {value!r}")
    return number


def in_range(name: str, value: object, low: float, high: float) -> float:
    """``value`` as a float if it is finite and low <= value <= high."""
    number = finite(name, value)
    if not low <= number <= high:
        raise ChiplabInputError(f"{name} must be between {low:g} and {high:g}; got {value!r}")
    return number


_T = TypeVar("_T")


@overload
def instance_of(name: str, value: object, expected: type[_T], what: str) -> _T: ...
@overload
def instance_of(name: str, value: object, expected: tuple[type, ...], what: str) -> Any: ...
def instance_of(name: str, value: object, expected: type | tuple[type, ...], what: str) -> Any:
    """Return ``value`` if it is an instance of ``expected``; else raise saying ``what`` was expected.

    >>> instance_of("chip", 3, str, "a chip id such as 'h100'")
    Traceback (most recent call last):
    ...
    chiplab.errors.ChiplabInputError: chip must be a chip id such as 'h100'; got 3 (int)
    """
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in _as_tuple(expected)):
        raise ChiplabInputError(f"{name} must be {what}; got {value!r} ({_type_name(value)})")
    return value


def _as_tuple(expected: type | tuple[type, ...]) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def published(name: str, value: _T | None) -> _T:
    """``value`` if it is known; None (a catalog field whose number is not published) raises naming ``name``.

    >>> published("toy_4x4: HBM bandwidth", 1.0e9)
    1000000000.0
    >>> published("b200: matrix-unit array", None)
    Traceback (most recent call last):
    ...
    chiplab.errors.ChiplabInputError: b200: matrix-unit array is not published (the catalog has no value for it)
    """
    if value is None:
        raise ChiplabInputError(f"{name} is not published (the catalog has no value for it)")
    return value
