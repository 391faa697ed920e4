"""Why each submission got its score: one CSV row per graded cell (and per other cell that failed).

nbgrader's ``grades.csv`` has one total per student and assignment; its feedback HTML shows everything but one
student at a time. ``reports/<assignment>.csv`` sits in between: for every student and graded cell the points,
the status (``passed``, ``failed``, ``needs manual grading``, ``unanswered``, ``missing``) and the first line of the
error the student saw — the teaching hint of a wrong answer, ``CellTimeoutError`` for an endless loop, the
exception of a cell that raised. Cells that are not graded but failed (a solution cell that raised or timed out)
get a row too, since they usually explain a failed test further down.
"""

from __future__ import annotations

import csv
import json
from dataclasses import astuple, dataclass, fields
from pathlib import Path

RESTORED_NOTE = "was missing from the submission"  # nbgrader's note on a cell it put back (add_missing_cells)


@dataclass(frozen=True)
class CellRow:
    student_id: str
    notebook: str
    cell: str  # the nbgrader grade_id, or "cell <number>" for cells without one
    kind: str  # "autograded", "manual" or "code"
    score: float | None
    max_score: float | None
    status: str
    message: str
    log: str = ""  # the latest autograde log of this submission (logs/<assignment>/<student>/<time>/)


def _first_error(cell: dict) -> str:
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if any(output.get("ename") == "CellTimeoutError" for output in errors):
        return "CellTimeoutError: the cell ran longer than the time limit (an endless loop?) and was interrupted"
    for output in errors:
        name, value = output.get("ename", ""), str(output.get("evalue", "")).strip()
        if name == "NotImplementedError" and not value:
            return "NotImplementedError: not answered"
        return f"{name}: {value.splitlines()[0] if value else ''}".rstrip(": ")
    return ""


def _cells(path: Path) -> list[tuple[str, str, dict]]:
    """(grade_id or "cell N", cell type, cell) for every cell of a notebook."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    result = []
    for number, cell in enumerate(notebook["cells"], start=1):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {number}"
        result.append((grade_id, cell["cell_type"], cell))
    return result


def _status(grade: dict, error: str) -> str:
    if grade["needs_manual_grade"]:
        return "needs manual grading"
    if grade["cell_type"] == "markdown" and grade["manual_score"] is None and not grade["auto_score"]:
        return "unanswered"
    score = grade["manual_score"] if grade["manual_score"] is not None else grade["auto_score"] or 0.0
    return "passed" if score >= grade["max_score"] else ("failed" if error or score == 0 else "partial")


def latest_log(course, assignment: str, student: str) -> Path | None:
    """The newest ``logs/<assignment>/<student>/<UTC time>/`` folder (every run is kept), or None."""
    runs = sorted(p for p in course.root.joinpath("logs", assignment, student).glob("*") if p.is_dir())
    return runs[-1] if runs else None


def _sandbox_errors(log_dir: Path | None, notebook: str) -> dict[str, str]:
    """{grade_id or "cell N": first error} of the notebook as it ran in the sandbox."""
    path = log_dir / f"{notebook}.ipynb" if log_dir else None
    if path is None or not path.is_file():
        return {}
    try:
        return {grade_id: error for grade_id, kind, cell in _cells(path)
                if kind == "code" and (error := _first_error(cell))}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def report_rows(course, assignment: str) -> list[CellRow]:
    """The rows for every student who submitted ``assignment`` (see the module docstring)."""
    from chiplab.grading.course import gradebook, submitted_students
    from chiplab.grading.submission import SANDBOXED, match_notebooks

    rows = []
    with gradebook(course) as gb:
        notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        submitted = submitted_students(course, assignment)
        rows += [CellRow(student.id, "", "", "", 0.0, None, "missing", "no submission (on the roster)")
                 for student in gb.students if student.id not in submitted]
        for student in submitted:
            log_dir = latest_log(course, assignment, student)
            log = str(log_dir.relative_to(course.root)) if log_dir else ""
            _, notes = match_notebooks(course.path("submitted", student, assignment), [f"{n}.ipynb" for n in notebooks])
            for notebook in notebooks:
                graded = course.path("autograded", student, assignment, f"{notebook}.ipynb")
                if not course.root.joinpath(SANDBOXED, student, assignment, f"{notebook}.ipynb").is_file():
                    why = "; ".join(n for n in notes if notebook in n) or "not a readable notebook (see the log)"
                    rows.append(CellRow(student, notebook, "", "", 0.0, None, "missing", why, log))
                    continue
                sandbox_errors = _sandbox_errors(log_dir, notebook)
                if not graded.is_file():
                    rows.append(CellRow(student, notebook, "", "", None, None, "not graded",
                                        "nbgrader could not autograde this notebook (see the log)", log))
                    continue
                cells = _cells(graded)
                grades = {g.name: g.to_dict() for g in gb.find_submission_notebook(notebook, assignment,
                                                                                   student).grades}
                for grade_id, cell_type, cell in cells:
                    error = _first_error(cell) if cell_type == "code" else ""
                    error = error or sandbox_errors.get(grade_id, "")
                    grade = grades.pop(grade_id, None)
                    if grade is not None:
                        score = grade["manual_score"] if grade["manual_score"] is not None else grade["auto_score"]
                        kind = "manual" if grade["cell_type"] == "markdown" else "autograded"
                        status = _status(grade, error)
                        if RESTORED_NOTE in "".join(cell["source"]):
                            status += " (the student deleted this cell; nbgrader put it back)"
                        rows.append(CellRow(student, notebook, grade_id, kind, score, grade["max_score"], status,
                                            error, log))
                    elif error:
                        rows.append(CellRow(student, notebook, grade_id, "code", None, None, "error", error, log))
                rows += [CellRow(student, notebook, grade_id, "", grade["auto_score"], grade["max_score"], "missing",
                                 "the student deleted this graded cell", log) for grade_id, grade in grades.items()]
    return rows


def write_report(course, assignment: str) -> Path:
    """Write ``reports/<assignment>.csv`` in the course directory and return its path."""
    path = course.root / "reports" / f"{assignment}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f.name for f in fields(CellRow)])
        writer.writerows(astuple(row) for row in report_rows(course, assignment))
    return path
