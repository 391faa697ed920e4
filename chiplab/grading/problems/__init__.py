"""The problem sets behind ``exercises/source/<assignment>/``: one module per assignment, found by name.

To add an assignment, write a module here that defines ``PROBLEM_SET`` (a :class:`chiplab.grading.ProblemSet`)
and add its name below; ``exercises/README.md`` walks through it.
"""

from __future__ import annotations

import importlib

from chiplab.errors import ChiplabInputError
from chiplab.grading.variants import ProblemSet

# assignment name (the folder under exercises/source/) -> module defining PROBLEM_SET
MODULES = {
    "01_systolic_arrays": "chiplab.grading.problems.systolic",
    "02_memory_tiling": "chiplab.grading.problems.memory",
    "03_rooflines": "chiplab.grading.problems.rooflines",
    "04_llm_step": "chiplab.grading.problems.llm",
    "05_economics": "chiplab.grading.problems.economics",
}


def list_assignments() -> tuple[str, ...]:
    """Every assignment with a problem set, in course order."""
    return tuple(sorted(MODULES))


def problem_set(assignment: str) -> ProblemSet:
    """The problem set of ``assignment``; a clear error for unknown names.

    >>> problem_set("01_systolic_arrays").title
    'Systolic arrays: cycles, folds and utilisation'
    """
    if assignment not in MODULES:
        raise ChiplabInputError(f"unknown assignment {assignment!r}; known: {', '.join(list_assignments())}")
    return importlib.import_module(MODULES[assignment]).PROBLEM_SET
