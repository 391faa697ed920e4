"""Grading support for the nbgrader assignments in ``exercises/``: per-student variants and answer checks.

Notebooks use three names::

    from chiplab.grading import check_answer, check_format, load_variant
    v = load_variant("01_systolic_arrays", STUDENT_ID)   # this student's parameters: v.num_rows, v.a_m, ...

:mod:`chiplab.grading.variants` derives the parameters from the student id, :mod:`chiplab.grading.checks`
compares answers with chiplab's, :mod:`chiplab.grading.problems` holds one problem set per assignment. For the
instructor (``python -m chiplab.grading --help``), :mod:`chiplab.grading.course` drives nbgrader (release with a
leak check, autograde, feedback), :mod:`chiplab.grading.report` explains every score, and
:mod:`chiplab.grading.keys` writes answer keys. nbgrader is imported only by those three, only when they run.
"""

from chiplab.grading.checks import Answer, Mistake, Verdict, check_answer, check_format
from chiplab.grading.problems import list_assignments, problem_set
from chiplab.grading.variants import (
    Picker,
    ProblemSet,
    StudentIdentity,
    Variant,
    load_variant,
    resolve_student_id,
    variant_of,
)

__all__ = [
    "Answer",
    "Mistake",
    "Picker",
    "ProblemSet",
    "StudentIdentity",
    "Variant",
    "Verdict",
    "check_answer",
    "check_format",
    "list_assignments",
    "load_variant",
    "problem_set",
    "resolve_student_id",
    "variant_of",
]
