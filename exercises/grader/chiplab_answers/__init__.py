"""Grader-only answers of the chiplab course: expected values, slips and hints, one module per assignment.

This package lives in the course directory (``<course>/grader/``), not in chiplab: it is not installed with chiplab,
not in any release, and not readable by the sandboxed submissions (the grader's runs put it on ``PYTHONPATH`` only
for its own processes). It computes every expected value by calling chiplab at grading time, so a change of a model
or a data file changes the answers consistently.

Three uses:

* the grader process: :func:`grade` scores the values a submission exported from its sandbox;
* the hidden tests of ``source/`` notebooks, which the grader runs only on notebooks it wrote itself (answers as
  literals, no student code): ``check_answer(v, "q1_cycles", q1_cycles)``;
* tests and instructors: :func:`answers` lists chiplab's answers for one student's parameters.

An assignment whose expected values depend on a choice the student makes (the tiles of 07, the chip designed in 09)
sets ``SUBMITTED_NAMES`` in its module: those submitted values reach its ``answers(params, submitted)``. When none of
them is given (the tests, an answer key) it answers for its own reference choice.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from chiplab.grading.checks import Verdict, find_format
from chiplab.grading.problems import MODULES, problem_set
from chiplab.grading.variants import variant_of
from chiplab_answers.answer import Answer, Mistake, judge

__all__ = ["Answer", "Mistake", "answers", "check_answer", "grade", "graded_student_id", "judge"]


def answers(assignment: str, params: Any, submitted: dict[str, Any] | None = None) -> list[Answer]:
    """chiplab's answers to ``assignment`` for these parameters (one :class:`Answer` per autograded name);
    ``submitted`` holds the student's values, used only by assignments that grade a choice (``SUBMITTED_NAMES``)."""
    problem_set(assignment)  # a clear error for unknown assignments
    module = importlib.import_module(f"chiplab_answers.{MODULES[assignment].rsplit('.', 1)[1]}")
    names = getattr(module, "SUBMITTED_NAMES", ())
    if not names:
        return module.answers(params)
    chosen = {name: submitted[name] for name in names if submitted and name in submitted}
    return module.answers(params, chosen or None)


def grade(assignment: str, student_id: str, values: dict[str, Any]) -> dict[str, Verdict]:
    """A verdict for every autograded name of ``assignment``, for ``student_id`` (missing values are ``None``)."""
    params = variant_of(assignment, student_id).params
    formats = problem_set(assignment).formats(params)
    return {
        answer.name: judge(find_format(formats, answer.name), answer, values.get(answer.name))
        for answer in answers(assignment, params, values)
    }


def graded_student_id(variant: Any) -> str:
    """Whose answers a hidden test compares with: during autograding the submission's folder
    (``autograded/<student_id>/<assignment>/``, the directory nbgrader runs the notebook in), else the variant's."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        here = Path.cwd().resolve()
        if here.name != variant.assignment:
            raise RuntimeError(
                f"autograding in {here}, not <step>/<student_id>/{variant.assignment}: keep nbgrader's "
                "default CourseDirectory.directory_structure"
            )
        return here.parent.name
    return variant.student_id


def check_answer(variant: Any, name: str, value: Any, **submitted: Any) -> Verdict:
    """Hidden tests: is ``value`` chiplab's answer for ``name`` in the graded student's variant? ``submitted``: the
    student's choices an answer depends on (``tile_m=tile_m``; see ``SUBMITTED_NAMES``)."""
    student_id = graded_student_id(variant)
    find_format(problem_set(variant.assignment).formats(variant_of(variant.assignment, student_id).params), name)
    return grade(variant.assignment, student_id, {**submitted, name: value})[name]
