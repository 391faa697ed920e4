"""Which assumption matters, and which one flips the winner? A one-at-a-time ("tornado") sensitivity analysis.

Give a metric (a function of a frozen assumptions dataclass returning a number), the base assumptions, and a low
and a high value for some fields. Each field is moved to its low and its high value while the others stay at
base; the result lists, largest swing first, the metric at both ends. For a comparison "A − B" (or "A / B"
against a threshold of 1) it flags the fields whose range changes the sign, i.e. flips the winner, and finds the
break-even value between base and that end by bisection. Field names may be dotted paths into nested dataclasses
(``"a.utilization_fraction"``), so both chips of a :class:`~chiplab.cost.scenarios.CostScenario` can be studied as
one.

Drawing the tornado is the viz layer's job; this module only computes it (microseconds per evaluation).

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Line:
...     x: float = 1.0
>>> result = one_at_a_time(lambda p: 3 * p.x - 2, Line(), {"x": (0.0, 2.0)})
>>> result.parameters[0].slope, round(result.parameters[0].break_even_value, 6)    # 3x − 2 = 0 at x = 2/3
(3.0, 0.666667)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chiplab._checks import finite, instance_of
from chiplab.errors import ChiplabInputError
from chiplab.tables import markdown_table

BISECTION_STEPS = 60


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not dataclasses.is_dataclass(obj) or part not in {f.name for f in dataclasses.fields(obj)}:
            names = ", ".join(f.name for f in dataclasses.fields(obj)) if dataclasses.is_dataclass(obj) else "none"
            raise ChiplabInputError(f"{path!r}: {type(obj).__name__} has no field {part!r}; fields: {names}")
        obj = getattr(obj, part)
    return obj


def _replace(obj: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    return dataclasses.replace(obj, **{head: _replace(getattr(obj, head), rest, value) if rest else value})


@dataclass(frozen=True)
class ParameterSwing:
    """One field moved from its low to its high value, the others at base."""

    name: str
    base_value: float
    low_value: float
    high_value: float
    output_at_low: float
    output_at_high: float
    swing: float                     # |output_at_high − output_at_low|
    slope: float                     # (output_at_high − output_at_low) / (high_value − low_value)
    flips_winner: bool               # the sign of (output − threshold) differs from base at low or high
    break_even_value: float | None   # where output = threshold, between base and the flipping end (for a
                                     # whole-number field: the first whole number that reaches the threshold)


@dataclass(frozen=True)
class SensitivityResult:
    base_output: float
    threshold: float
    parameters: tuple[ParameterSwing, ...]   # largest swing first

    @property
    def flips(self) -> tuple[str, ...]:
        """Names of the fields whose range flips the winner."""
        return tuple(p.name for p in self.parameters if p.flips_winner)

    def table(self) -> str:
        """A Markdown table, largest swing first, for notebooks and the CLI."""
        rows = [[p.name, p.low_value, p.high_value, p.output_at_low, p.output_at_high, p.swing, p.flips_winner,
                 "" if p.break_even_value is None else p.break_even_value] for p in self.parameters]
        return markdown_table(["parameter", "low", "high", "output at low", "output at high", "swing",
                               "flips winner", "break-even"], rows)


def _side(value: float, threshold: float) -> int:
    return (value > threshold) - (value < threshold)


class _Evaluator:
    def __init__(self, metric: Callable[[Any], float], base: Any):
        self.metric, self.base = metric, base

    def __call__(self, path: str, value: Any) -> float:
        try:
            output = self.metric(_replace(self.base, path, value))
        except ChiplabInputError as exc:
            raise ChiplabInputError(f"sensitivity: {path}={value!r}: {exc}") from None
        return self.checked(output, f"{path}={value!r}")

    @staticmethod
    def checked(output: Any, where: str) -> float:
        return finite(f"the metric's output at {where}", output)


def _break_even(evaluate: _Evaluator, path: str, inside: float, outside: float, threshold: float,
                whole: bool) -> float:
    """Bisect between ``inside`` (base side) and ``outside`` (the flipped side) for output = threshold."""
    side_inside = _side(evaluate(path, inside), threshold)
    for _ in range(BISECTION_STEPS):
        if whole and abs(outside - inside) <= 1:
            return outside
        middle = (inside + outside) // 2 if whole else (inside + outside) / 2
        if _side(evaluate(path, middle), threshold) == side_inside:
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


def one_at_a_time(metric: Callable[[Any], float], base: Any, ranges: Mapping[str, tuple[float, float]], *,
                  threshold: float = 0.0, find_break_even: bool = True) -> SensitivityResult:
    """Move each field of ``ranges`` to its (low, high) values alone and record the metric (see the module doc).

    ``threshold`` is where the winner changes: 0 for a difference A − B, 1 for a ratio A / B.
    """
    if not callable(metric):
        raise ChiplabInputError(f"metric must be a function of the assumptions returning a number; got {metric!r} "
                                f"({type(metric).__name__})")
    if not dataclasses.is_dataclass(base) or isinstance(base, type):
        raise ChiplabInputError(f"base must be a dataclass instance (frozen assumptions); got {base!r}")
    if not isinstance(ranges, Mapping):
        raise ChiplabInputError(f"ranges must be a mapping {{field: (low, high)}}; got {ranges!r} "
                                f"({type(ranges).__name__})")
    if not ranges:
        raise ChiplabInputError("ranges is empty; give {field: (low, high)} for at least one field")
    threshold = finite("threshold", threshold)
    instance_of("find_break_even", find_break_even, bool, "True or False")
    evaluate = _Evaluator(metric, base)
    base_output = evaluate.checked(evaluate.metric(base), "the base assumptions")
    base_side = _side(base_output, threshold)
    swings = []
    for path, bounds in ranges.items():
        instance_of("ranges key", path, str, "a field name or dotted path such as 'a.utilization_fraction'")
        base_value = _get(base, path)
        if not isinstance(bounds, tuple | list) or len(bounds) != 2:
            raise ChiplabInputError(f"ranges[{path!r}] must be a (low, high) pair; got {bounds!r}")
        low, high = bounds
        if not finite(f"ranges[{path!r}] low", low) < finite(f"ranges[{path!r}] high", high):
            raise ChiplabInputError(f"ranges[{path!r}] must be two numbers with low < high; got {bounds!r}")
        out_low, out_high = evaluate(path, low), evaluate(path, high)
        flipped_end = next((end for end, out in ((low, out_low), (high, out_high))
                            if _side(out, threshold) != base_side), None)
        break_even = None
        if flipped_end is not None and find_break_even and isinstance(base_value, int | float):
            whole = isinstance(base_value, int) and isinstance(low, int) and isinstance(high, int)
            break_even = _break_even(evaluate, path, base_value, flipped_end, threshold, whole)
        swings.append(ParameterSwing(name=path, base_value=base_value, low_value=low, high_value=high,
                                     output_at_low=out_low, output_at_high=out_high, swing=abs(out_high - out_low),
                                     slope=(out_high - out_low) / (high - low), flips_winner=flipped_end is not None,
                                     break_even_value=break_even))
    swings.sort(key=lambda s: s.swing, reverse=True)
    return SensitivityResult(base_output=base_output, threshold=threshold, parameters=tuple(swings))
