"""Plain-text tables (Markdown) for the book, notebooks and the CLI; no plotting, no widgets.

>>> print(markdown_table(["a", "b"], [[1, 2.5]]))
| a | b |
|---|---|
| 1 | 2.5 |
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

_Item = TypeVar("_Item")
_Key = TypeVar("_Key", bound=Hashable)
_Number = TypeVar("_Number", int, float)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}"
    # Escape pipes (table cells) and dollar signs (MyST reads two of them as inline maths).
    return str(value).replace("|", "\\|").replace("$", "\\$")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub/MyST Markdown table; ints get thousands separators, floats three significant digits."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def totals_by(items: Iterable[_Item], key: Callable[[_Item], _Key],
              value: Callable[[_Item], _Number]) -> dict[_Key, _Number]:
    """The sum of ``value(item)`` for each ``key(item)``, keys in first-seen order: a table's "group by".

    >>> totals_by(["ab", "c", "de", "fgh"], key=len, value=lambda word: 1)
    {2: 2, 1: 1, 3: 1}
    """
    totals: dict[_Key, _Number] = {}
    for item in items:
        group, amount = key(item), value(item)
        totals[group] = totals[group] + amount if group in totals else amount
    return totals
