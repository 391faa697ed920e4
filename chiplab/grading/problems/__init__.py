"""The parameters behind ``exercises/source/<assignment>/``: one module per assignment, found by name.

Each module defines ``PARAMETERS`` (a :class:`chiplab.grading.ProblemSet`): how a student's numbers are picked and
the public format (kind, unit, stated tolerance) of every autograded answer. The expected answers are not here:
they live with the course, in ``exercises/grader/chiplab_answers/`` (``exercises/README.md`` explains why and how
to add an assignment).
"""

from __future__ import annotations

import importlib

from chiplab.errors import ChiplabInputError
from chiplab.grading.variants import ProblemSet

# assignment name (the folder under exercises/source/) -> module defining PARAMETERS
MODULES = {
    "01_systolic_arrays": "chiplab.grading.problems.systolic",
    "02_memory_tiling": "chiplab.grading.problems.memory",
    "03_rooflines": "chiplab.grading.problems.rooflines",
    "04_llm_step": "chiplab.grading.problems.llm",
    "05_economics": "chiplab.grading.problems.economics",
    "06_energy_power": "chiplab.grading.problems.energy",
    "10_kernels": "chiplab.grading.problems.kernels",
    "07_mapping_tiling": "chiplab.grading.problems.tiling",
    "08_tco_break_even": "chiplab.grading.problems.tco",
    "09_design_project": "chiplab.grading.problems.design",
}


def list_assignments() -> tuple[str, ...]:
    """Every assignment with a problem set, in course order."""
    return tuple(sorted(MODULES))


def problem_set(assignment: str) -> ProblemSet:
    """The parameters and answer formats of ``assignment``; a clear error for unknown names.

    >>> problem_set("01_systolic_arrays").title
    'Systolic arrays: cycles, folds and utilisation'
    """
    if assignment not in MODULES:
        raise ChiplabInputError(f"unknown assignment {assignment!r}; known: {', '.join(list_assignments())}")
    return importlib.import_module(MODULES[assignment]).PARAMETERS
