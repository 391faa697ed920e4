"""The grader-only half of a question: the expected value, the slips students make, and the hints that name them.

An :class:`Answer` is what chiplab computes for one named answer of one student's variant; the public half (kind,
unit, stated tolerance) is the :class:`chiplab.grading.AnswerFormat` of the same name. A wrong answer that matches a
:class:`Mistake` gets that mistake's hint; any other wrong answer gets the answer's general hint. No message ever
contains the expected value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chiplab.grading.checks import AnswerFormat, Verdict, format_problem, matches

# The expected value of a question whose answer cannot be graded for the choice a student submitted (tiles that do not
# fit, a design chiplab refuses or that breaks the brief): negative, so no well-formed count or quantity matches it.
NO_ANSWER = -1


@dataclass(frozen=True)
class Mistake:
    """A wrong value that a known slip produces, and the hint that names the slip (never the answer)."""

    value: Any
    hint: str


@dataclass(frozen=True)
class Answer:
    """chiplab's answer to one question of one variant."""

    name: str  # the variable the student assigns, e.g. "q1_cycles"
    expected: Any  # int for counts, float for quantities, a set of accepted words for choices
    hint: str  # the general hint for a wrong answer that matches no known mistake
    mistakes: tuple[Mistake, ...] = ()


def judge(fmt: AnswerFormat, answer: Answer, value: Any) -> Verdict:
    """Compare a student's value with chiplab's answer; say which slip it looks like when it is wrong."""
    problem = format_problem(fmt, value)
    if problem:
        return Verdict(False, problem)
    if matches(fmt, value, answer.expected):
        return Verdict(True)
    for mistake in answer.mistakes:
        if matches(fmt, value, mistake.value):
            return Verdict(False, f"{answer.name}: {mistake.hint}")
    return Verdict(False, f"{answer.name} is not right for your variant: {answer.hint}")


def telling(expected: float, mistakes: list[Mistake] | tuple[Mistake, ...], margin_fraction: float = 0.03,
            ) -> tuple[Mistake, ...]:
    """The numeric ``mistakes`` whose value is more than ``margin_fraction`` away from ``expected``: a hint is only
    offered where its slip gives a different answer at the stated tolerance (the slip tests check >= 99 %)."""
    return tuple(m for m in mistakes if abs(m.value - expected) > margin_fraction * abs(expected))
