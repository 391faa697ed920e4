"""Exercises support: per-student parameters for the nbgrader assignments in ``exercises/``, and the instructor's
commands. Nothing here knows an expected answer.

Notebooks use two names::

    from chiplab.grading import check_format, load_variant
    v = load_variant("01_systolic_arrays", STUDENT_ID)   # this student's parameters: v.num_rows, v.a_m, ...

:mod:`chiplab.grading.variants` derives the parameters from the student id, :mod:`chiplab.grading.checks` holds the
public format of each answer (kind, unit, stated tolerance), :mod:`chiplab.grading.problems` one parameter set per
assignment. The expected answers, slips and hints are grader-only: ``exercises/grader/chiplab_answers/``, which is
neither installed with chiplab nor released to students. For the instructor (``python -m chiplab.grading --help``),
:mod:`chiplab.grading.course` drives nbgrader and :mod:`chiplab.grading.sandbox` runs each submission as an
unprivileged user before the grader scores the values it exported.
"""

from chiplab.grading.checks import AnswerFormat, Verdict, check_format
from chiplab.grading.problems import list_assignments, problem_set
from chiplab.grading.variants import (
    Picker,
    ProblemSet,
    StudentIdentity,
    Variant,
    exchange_student_id,
    load_variant,
    resolve_student_id,
    variant_of,
)

__all__ = [
    "AnswerFormat",
    "Picker",
    "ProblemSet",
    "StudentIdentity",
    "Variant",
    "Verdict",
    "check_format",
    "exchange_student_id",
    "list_assignments",
    "load_variant",
    "problem_set",
    "resolve_student_id",
    "variant_of",
]
