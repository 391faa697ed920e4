"""The leak check every release passes before a student sees it: no instructor-only text in a released notebook.

A release leaks when it contains one of nbgrader's region markers or this course's rubric headings, any line that
the source notebook has only inside a solution, hidden-test or mark-scheme region, or a cell output.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chiplab.grading.course import Course

# Text that only the instructor's source may contain (nbgrader's markers and the rubric headings of this course).
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME",
                "END MARK SCHEME", "Model answer (instructors only)", "check_answer(")
_REGIONS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
            ("BEGIN MARK SCHEME", "END MARK SCHEME"))


def _regions(source: str) -> tuple[list[str], list[str]]:
    """(lines inside solution/hidden-test/mark-scheme regions, lines outside them) of one cell's source."""
    inside: list[str] = []
    outside: list[str] = []
    end: str | None = None
    for line in source.splitlines():
        starts = [stop for begin, stop in _REGIONS if begin in line]
        if end is None and starts:
            end = starts[0]
        elif end is not None and end in line:
            end = None
        else:
            (inside if end is not None else outside).append(line.strip())
    return inside, outside


def find_leaks(course: Course, assignment: str) -> list[str]:
    """Instructor-only text found in the release of ``assignment``: markers, any line of a solution, hidden-test
    or mark-scheme region that does not also appear outside those regions, and outputs. Empty when clean."""
    problems = []
    for source_path in sorted(course.path("source", assignment).glob("*.ipynb")):
        release_path = course.path("release", assignment, source_path.name)
        if not release_path.is_file():
            problems.append(f"{release_path} is missing")
            continue
        inside, outside = set(), set()
        for cell in json.loads(source_path.read_text(encoding="utf-8"))["cells"]:
            cell_inside, cell_outside = _regions("".join(cell["source"]))
            inside.update(cell_inside)
            outside.update(cell_outside)
        secrets = {line for line in inside - outside if len(line) >= 6 and line not in ("```", "---")}
        for number, cell in enumerate(json.loads(release_path.read_text(encoding="utf-8"))["cells"], start=1):
            text = "".join(cell["source"])
            where = f"{release_path.relative_to(course.root)} cell {number}"
            problems += [f"{where}: contains {marker!r}" for marker in LEAK_MARKERS if marker in text]
            problems += [f"{where}: contains solution text {line!r}" for line in
                         sorted({line.strip() for line in text.splitlines()} & secrets)]
            if cell.get("outputs"):
                problems.append(f"{where}: has outputs")
    return problems
