"""Variation that defeats copying, and tolerances that catch the slips the hints name (issue 14, reproductions 5, 6).

For each assignment, 1,000 student ids: every autograded answer must vary between students, never equal a number
shown in the student's parameter table (so it cannot be read off), and whole answer sets must almost never
coincide (< 0.1 % of pairs), so copying a classmate's numbers does not score. Every hint's slip must be rejected for
>= 99 % of students, and an answer rounded by hand to three significant figures must pass. The expected values are
chiplab's, computed by the grader-only answers in ``exercises/grader/`` exactly as when grading.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import sys
from collections import Counter
from pathlib import Path

import pytest

from chiplab.grading import list_assignments, problem_set, variant_of
from chiplab.grading.checks import find_format, matches

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "exercises" / "grader"))
from chiplab_answers import answers as grader_answers

NUM_STUDENTS = 1000
IDS = [f"student-{i:04d}" for i in range(NUM_STUDENTS)]


def _plain(value):
    return frozenset(value) if isinstance(value, set) else value


@pytest.fixture(scope="module", params=list_assignments())
def population(request):
    """(assignment, [(params, formats, answers)] for 1,000 students)."""
    assignment = request.param
    rows = []
    for student in IDS:
        params = variant_of(assignment, student).params
        rows.append((params, problem_set(assignment).formats(params), grader_answers(assignment, params)))
    return assignment, rows


@pytest.mark.slow
def test_at_least_a_thousand_variants_and_no_constant_answer(population):
    assignment, rows = population
    assert len({params for params, _, _ in rows}) >= 0.95 * NUM_STUDENTS, assignment  # the space is >> 1,000
    for index, answer in enumerate(rows[0][2]):
        values = {_plain(answers[index].expected) for _, _, answers in rows}
        assert len(values) > 1, f"{assignment} {answer.name} is the same for every student"


@pytest.mark.slow
def test_no_answer_can_be_read_off_the_parameter_table(population):
    """In 02 the reuse equalled the tile width in 95 % of variants; in 03 the intensity ≈ m in 85 %."""
    assignment, rows = population
    for params, formats, answers in rows:
        shown = [getattr(params, f.name) for f in dataclasses.fields(params)]
        numbers_shown = [x for x in shown if isinstance(x, numbers.Real) and not isinstance(x, bool)]
        for answer in answers:
            fmt = find_format(formats, answer.name)
            if fmt.kind == "choice":
                continue  # a word such as "memory" or a chip's name is not a number to copy
            equal = [x for x in numbers_shown if matches(fmt, x, answer.expected)]
            assert not equal, f"{assignment} {answer.name} equals a displayed parameter for {params}"


@pytest.mark.slow
def test_copying_a_classmates_answers_almost_never_scores(population):
    assignment, rows = population
    sets = Counter(tuple(_plain(a.expected) for a in answers) for _, _, answers in rows)
    colliding_pairs = sum(count * (count - 1) // 2 for count in sets.values())
    assert colliding_pairs / math.comb(NUM_STUDENTS, 2) < 0.001, (assignment, colliding_pairs)


@pytest.mark.slow
def test_every_hint_names_a_slip_the_tolerance_rejects(population):
    """Reproduction 6: e.g. weight bytes only in 03 q2 were accepted for 240 of 300 variants."""
    assignment, rows = population
    offered, accepted = Counter(), Counter()
    for _, formats, answers in rows:
        for answer in answers:
            fmt = find_format(formats, answer.name)
            for mistake in answer.mistakes:
                key = (answer.name, mistake.hint)
                offered[key] += 1
                values = sorted(mistake.value) if isinstance(mistake.value, set) else [mistake.value]
                accepted[key] += not values or any(matches(fmt, value, answer.expected) for value in values)
    for key, count in offered.items():
        assert accepted[key] <= 0.01 * NUM_STUDENTS, (assignment, key, f"accepted {accepted[key]} of {count}")


@pytest.mark.slow
def test_answers_rounded_to_three_significant_figures_pass(population):
    """Reproduction 6: 0.133 passed and 0.13 failed, and no question said how precise to be."""
    assignment, rows = population
    for _, formats, answers in rows:
        for answer in answers:
            fmt = find_format(formats, answer.name)
            if fmt.kind == "quantity" and answer.expected:
                rounded = float(f"{answer.expected:.3g}")
                assert matches(fmt, rounded, answer.expected), (assignment, answer.name, answer.expected)
                assert "3 significant figures" in fmt.tolerance_text
