"""Checking a student's answer against chiplab's, with tolerances that fit the quantity and hints that teach.

An :class:`Answer` is what chiplab computes for one named answer of one variant: the expected value, how to compare
(``"count"``: exact whole numbers such as cycles, folds and bytes; ``"quantity"``: relative tolerance for times,
rates, fractions and dollars; ``"choice"``: one of a few words), and a list of :class:`Mistake` s — the values that
common slips produce (no fill/drain, forgot the folds, MACs for FLOPs, a percentage for a fraction ...), each with a
hint. A wrong answer that matches a mistake gets that hint; any other wrong answer gets the answer's general hint.
No message ever contains the expected value.

Notebook test cells use two functions, both returning a :class:`Verdict` (truthy when it passes)::

    verdict = check_format(v, "q1_cycles", q1_cycles)   # visible test: type and range only
    assert verdict, verdict.message
    verdict = check_answer(v, "q1_cycles", q1_cycles)   # hidden test: the value itself
    assert verdict, verdict.message
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chiplab.errors import ChiplabInputError

KINDS = ("count", "quantity", "choice")


@dataclass(frozen=True)
class Mistake:
    """A wrong value that a known slip produces, and the hint that names the slip (never the answer)."""

    value: Any
    hint: str


@dataclass(frozen=True)
class Answer:
    """chiplab's answer to one question of one variant."""

    name: str  # the variable the student assigns, e.g. "q1_cycles"
    kind: str  # "count", "quantity" or "choice"
    expected: Any  # int for counts, float for quantities, a set of accepted words for choices
    unit: str  # shown in format messages: "cycles", "fraction", "s", "FLOP/byte", "" for choices
    hint: str  # the general hint for a wrong answer that matches no known mistake
    rel_tol: float = 0.0  # quantities only
    mistakes: tuple[Mistake, ...] = ()
    options: tuple[str, ...] = ()  # choices: every word accepted as well-formed (right or wrong)
    synonyms: Mapping[str, str] = field(default_factory=dict)  # choices: alternative spelling -> option

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ChiplabInputError(f"Answer {self.name!r}: kind must be one of {', '.join(KINDS)}; got {self.kind!r}")


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``bool(verdict)`` is whether it passed; ``message`` says why not."""

    passed: bool
    message: str = ""

    def __bool__(self) -> bool:
        return self.passed


def _as_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _as_word(answer: Answer, value: Any) -> str | None:
    if not isinstance(value, str):
        value = getattr(value, "value", None)  # enums such as chiplab.systolic.Dataflow
        if not isinstance(value, str):
            return None
    word = _normal(value)
    word = {_normal(k): v for k, v in answer.synonyms.items()}.get(word, word)
    return word if word in answer.options else None


def _normal(word: str) -> str:
    return word.strip().lower().replace("_", "-")


def _format_problem(answer: Answer, value: Any) -> str:
    """Why ``value`` is not even a well-formed answer ("" when it is)."""
    name = answer.name
    if value is None or value is Ellipsis:
        return f"{name} is still {value!r}: replace it with your answer and run the cell again"
    if answer.kind == "choice":
        if _as_word(answer, value) is None:
            return f"{name} must be one of {', '.join(repr(o) for o in answer.options)}; got {value!r}"
        return ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{name} must be a number ({answer.unit}); got {type(value).__name__} {value!r}"
    if not math.isfinite(value):
        return f"{name} must be a finite number; got {value!r}"
    if answer.kind == "count" and _as_count(value) is None:
        return f"{name} counts {answer.unit}: it must be a whole number; got {value!r}"
    if value < 0:
        return f"{name} cannot be negative; got {value!r}"
    if answer.unit == "fraction" and value > 1:
        hint = " (it looks like a percentage: divide by 100)" if value <= 100 else ""
        return f"{name} is a fraction between 0 and 1{hint}; got {value!r}"
    return ""


def _matches(answer: Answer, value: Any, target: Any) -> bool:
    if answer.kind == "choice":
        accepted = {target} if isinstance(target, str) else set(target)
        return _as_word(answer, value) in accepted
    if answer.kind == "count":
        return _as_count(value) == target
    return math.isclose(float(value), float(target), rel_tol=answer.rel_tol, abs_tol=0.0)


def _answer(answers: Sequence[Answer], name: str) -> Answer:
    for answer in answers:
        if answer.name == name:
            return answer
    known = ", ".join(a.name for a in answers)
    raise ChiplabInputError(f"no autograded answer called {name!r} in this assignment; known: {known}")


def check_format(variant: Any, name: str, value: Any) -> Verdict:
    """Is ``value`` a well-formed answer for ``name`` (type, sign, fraction vs percentage)? Says nothing about
    whether it is right, so visible tests can use it freely."""
    from chiplab.grading.problems import problem_set

    answer = _answer(problem_set(variant.assignment).answers(variant.params), name)
    problem = _format_problem(answer, value)
    return Verdict(not problem, problem)


def check_answer(variant: Any, name: str, value: Any) -> Verdict:
    """Is ``value`` chiplab's answer for ``name`` in this student's variant? If not, say which slip it looks like.

    The variant is derived again from the student id (so overwriting ``v`` in a notebook changes nothing), and
    during autograding that id is the submission's folder (see :func:`chiplab.grading.variants.resolve_student_id`).
    """
    from chiplab.grading.problems import problem_set
    from chiplab.grading.variants import load_variant, variant_of

    fresh = load_variant(variant.assignment, variant.identity.typed_student_id)
    problems = problem_set(variant.assignment)
    answer = _answer(problems.answers(fresh.params), name)
    problem = _format_problem(answer, value)
    if problem:
        return Verdict(False, problem)
    if _matches(answer, value, answer.expected):
        return Verdict(True)
    for mistake in answer.mistakes:
        if _matches(answer, value, mistake.value):
            return Verdict(False, f"{name}: {mistake.hint}")
    message = f"{name} is not right for the variant of student {fresh.student_id!r}: {answer.hint}"
    typed = fresh.identity.typed_student_id
    if typed and typed.strip().casefold() != fresh.student_id.strip().casefold():
        theirs = variant_of(variant.assignment, typed).params
        if _matches(answer, value, _answer(problems.answers(theirs), name).expected):
            message = (f"{name} is right for STUDENT_ID {typed!r} typed in the notebook, but this submission is graded "
                       f"as student {fresh.student_id!r}; ask your instructor")
    elif variant.params != fresh.params:
        message += " (note: `v` was changed after the setup cell; re-run the notebook from the top)"
    return Verdict(False, message)
