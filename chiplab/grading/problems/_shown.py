"""Keeping answers off the parameter table: no expected number may be read off (or be within the tolerance of) a
number the student is shown, so a variant whose answer lands next to a shown number is drawn again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

MARGIN_FRACTION = 0.03  # wider than every stated tolerance (1 %, 2 %)


def numbers_shown(params: Any) -> list[float]:
    """Every number of a parameter table (its words are not numbers to copy)."""
    values = (getattr(params, f.name) for f in dataclasses.fields(params))
    return [float(value) for value in values if not isinstance(value, str)]


def none_near(computed: Iterable[float], params: Any, margin_fraction: float = MARGIN_FRACTION) -> bool:
    """Whether every computed answer is more than ``margin_fraction`` away from every number shown."""
    shown = numbers_shown(params)
    return all(abs(x - value) > margin_fraction * abs(x) for x in computed for value in shown)
