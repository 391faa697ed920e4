"""What a well-formed answer looks like, and how two answers are compared — no expected values live here.

An :class:`AnswerFormat` is the public half of a question: the variable the student assigns, how it is compared
(``"count"``: exact whole numbers such as cycles, folds and bytes; ``"quantity"``: a stated relative tolerance for
times, rates, fractions and dollars; ``"choice"``: one of a few words), its unit and its tolerance. Notebooks show
the tolerance in the question and run :func:`check_format` in their visible test cells::

    verdict = check_format(v, "q1_cycles", q1_cycles)   # type, sign, fraction vs percentage — never the value
    assert verdict, verdict.message

The expected values, the slips and their hints are grader-only (``exercises/grader/``, outside this package and
outside every release); the grader compares with :func:`matches` in its own process after the submission ran in a
sandbox (see :mod:`chiplab.grading.course`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from chiplab.errors import ChiplabInputError

KINDS = ("count", "quantity", "choice", "kernel_values", "kernel_time")
# kernel_values / kernel_time: the answer is a kernel's program text (run.program), replayed by the grader on its
# own inputs (chiplab.grading.problems.kernels): its outputs, or its simulated time, against a reference kernel.


@dataclass(frozen=True)
class AnswerFormat:
    """The public half of one autograded question: its name, kind, unit and tolerance."""

    name: str  # the variable the student assigns, e.g. "q1_cycles"
    kind: str  # "count", "quantity" or "choice"
    unit: str  # shown in format messages: "cycles", "fraction", "s", "FLOP/byte", "" for choices
    rel_tol: float = 0.0  # quantities only: the relative tolerance stated in the question
    options: tuple[str, ...] = ()  # choices: every word accepted as well-formed (right or wrong)
    synonyms: Mapping[str, str] = field(default_factory=dict)  # choices: alternative spelling -> option

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ChiplabInputError(f"answer {self.name!r}: kind must be one of {', '.join(KINDS)}; "
                                    f"got {self.kind!r}")

    @property
    def tolerance_text(self) -> str:
        """How the grader compares, as each test cell states it ("exact whole number", "within 1% ...")."""
        if self.kind == "count":
            return "exact whole number"
        if self.kind == "choice":
            return "one of the words the question names (case and - or _ do not matter)"
        if self.kind == "kernel_values":
            return (f"run.program, replayed on the grader's own inputs: outputs within {self.rel_tol:.0%} of the "
                    "reference's largest")
        if self.kind == "kernel_time":
            return f"run.program, replayed: right values, simulated time at most {1 + self.rel_tol:g}× the reference's"
        return f"within {self.rel_tol:.0%} (relative): 3 significant figures are enough"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``bool(verdict)`` is whether it passed; ``message`` says why not."""

    passed: bool
    message: str = ""

    def __bool__(self) -> bool:
        return self.passed


def as_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(cast(float, value))  # any whole real (int() takes every numbers.Real)
    return None


def as_word(answer: AnswerFormat, value: Any) -> str | None:
    if not isinstance(value, str):
        value = getattr(value, "value", None)  # enums such as chiplab.systolic.Dataflow
        if not isinstance(value, str):
            return None
    word = _normal(value)
    word = {_normal(k): v for k, v in answer.synonyms.items()}.get(word, word)
    return word if word in answer.options else None


def _normal(word: str) -> str:
    return word.strip().lower().replace("_", "-")


def format_problem(answer: AnswerFormat, value: Any) -> str:
    """Why ``value`` is not even a well-formed answer ("" when it is)."""
    name = answer.name
    if value is None or value is Ellipsis:
        return f"{name} is still {value!r}: replace it with your answer and run the cell again"
    if answer.kind.startswith("kernel"):
        from chiplab.grading.problems.kernels import program_problem

        return program_problem(name, value)
    if answer.kind == "choice":
        if as_word(answer, value) is None:
            return f"{name} must be one of {', '.join(repr(o) for o in answer.options)}; got {value!r}"
        return ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{name} must be a number ({answer.unit}); got {type(value).__name__} {value!r}"
    if not math.isfinite(value):
        return f"{name} must be a finite number; got {value!r}"
    if answer.kind == "count" and as_count(value) is None:
        return f"{name} counts {answer.unit}: it must be a whole number; got {value!r}"
    if float(value) < 0:
        return f"{name} cannot be negative; got {value!r}"
    if answer.unit == "fraction" and float(value) > 1:
        hint = " (it looks like a percentage: divide by 100)" if float(value) <= 100 else ""
        return f"{name} is a fraction between 0 and 1{hint}; got {value!r}"
    return ""


def matches(answer: AnswerFormat, value: Any, target: Any) -> bool:
    """Does a well-formed ``value`` equal ``target`` under the answer's comparison (a set of words for choices)?"""
    if answer.kind == "choice":
        accepted = {target} if isinstance(target, str) else set(target)
        return as_word(answer, value) in accepted
    if answer.kind == "count":
        return bool(as_count(value) == target)
    if answer.kind.startswith("kernel"):
        from chiplab.grading.problems.kernels import kernel_matches

        return bool(kernel_matches(answer.kind, answer.rel_tol, value, target))
    return math.isclose(float(value), float(target), rel_tol=answer.rel_tol, abs_tol=0.0)


def find_format(formats: Sequence[AnswerFormat], name: str) -> AnswerFormat:
    for answer in formats:
        if answer.name == name:
            return answer
    known = ", ".join(a.name for a in formats)
    raise ChiplabInputError(f"no autograded answer called {name!r} in this assignment; known: {known}")


def check_format(variant: Any, name: str, value: Any) -> Verdict:
    """Is ``value`` a well-formed answer for ``name`` (type, sign, fraction vs percentage)? Says nothing about
    whether it is right, so visible tests can use it freely."""
    from chiplab.grading.problems import problem_set

    problem = format_problem(find_format(problem_set(variant.assignment).formats(variant.params), name), value)
    return Verdict(not problem, problem)
