"""What an instructor does with the grades: expected answers, per-question statistics, identical wrong answers, and
grade files an LMS can import.

* :func:`expected_answers` — chiplab's answer to every autograded question for each student (to settle a query, or
  as a CSV for teaching assistants); it imports the grader-only answers from the course's ``grader/`` folder.
* :func:`question_stats` — per graded cell: how many students, how many passed, the mean score, the most common
  message (the slip most students made).
* :func:`identical_wrong_answers` — the same wrong value exported by several students for the same question: since
  every student has their own numbers, a shared wrong value usually means copied work (or a shared misconception
  worth a lecture slide).
* :func:`write_lms_csv` — ``grades.csv`` (nbgrader's export) reshaped for Canvas's or Gradescope's grade import;
* :func:`import_roster` (students who never submit appear with 0) and :func:`set_due_date` (late penalties).
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from chiplab.errors import ChiplabInputError

LMS_SHAPES = ("canvas", "gradescope")


def grader_answers_module(course):
    """``chiplab_answers`` from the course's ``grader/`` folder (grader-only; never on a student's path)."""
    path = str(course.grader_path)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module("chiplab_answers")


def _plain(value: Any) -> Any:
    return "|".join(sorted(value)) if isinstance(value, set | frozenset) else value


def expected_answers(course, assignment: str, students: list[str]) -> list[dict[str, Any]]:
    """One row per student: ``student_id`` and chiplab's answer to each autograded question (choices as
    ``word|word`` when several are accepted)."""
    from chiplab.grading.variants import variant_of

    answers = grader_answers_module(course).answers
    return [{"student_id": student, **{a.name: _plain(a.expected)
                                       for a in answers(assignment, variant_of(assignment, student).params)}}
            for student in students]


def write_rows(rows: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["student_id"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def exported_values(course, assignment: str, student: str) -> dict[str, Any]:
    """The answer values the student's latest sandboxed run exported ({} when none)."""
    from chiplab.grading.report import latest_log

    log_dir = latest_log(course, assignment, student)
    path = log_dir / "exports.json" if log_dir else None
    if path is None or not path.is_file():
        return {}
    return {name: value for cells in json.loads(path.read_text(encoding="utf-8")).values()
            for values in cells.values() for name, value in values.items()}


@dataclass(frozen=True)
class QuestionStat:
    cell: str
    num_students: int
    num_passed: int
    mean_score: float
    max_score: float
    most_common_message: str


def question_stats(course, assignment: str) -> list[QuestionStat]:
    """Per graded cell of ``reports/<assignment>.csv``."""
    by_cell: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (course.root / "reports" / f"{assignment}.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] in ("autograded", "manual"):
                by_cell[row["cell"]].append(row)
    stats = []
    for cell, rows in by_cell.items():
        scores = [float(row["score"] or 0) for row in rows]
        messages = Counter(row["message"] for row in rows if row["message"])
        stats.append(QuestionStat(cell, len(rows), sum(row["status"] == "passed" for row in rows),
                                  sum(scores) / len(scores), float(rows[0]["max_score"] or 0),
                                  messages.most_common(1)[0][0] if messages else ""))
    return stats


@dataclass(frozen=True)
class SharedWrongAnswer:
    question: str
    value: str
    num_students: int
    students: str  # space-separated ids


def identical_wrong_answers(course, assignment: str, students: list[str]) -> list[SharedWrongAnswer]:
    """Wrong values (not left empty) that two or more students exported for the same question."""
    grade = grader_answers_module(course).grade
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for student in students:
        values = exported_values(course, assignment, student)
        for name, verdict in grade(assignment, student, values).items():
            if not verdict and values.get(name) is not None:
                groups[(name, json.dumps(values[name]))].append(student)
    return [SharedWrongAnswer(name, value, len(who), " ".join(who))
            for (name, value), who in sorted(groups.items()) if len(who) > 1]


def write_dataclass_rows(rows: list, kind: type, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f.name for f in fields(kind)])
        writer.writerows(astuple(row) for row in rows)
    return path


def write_lms_csv(grades_csv: Path, shape: str, path: Path) -> Path:
    """``grades.csv`` as one row per student and one column per assignment, in Canvas's or Gradescope's shape.

    Canvas (Grades → Import): ``Student, ID, SIS User ID, SIS Login ID, Section`` then one column per assignment;
    Canvas matches rows by SIS Login ID, so the nbgrader student id goes there. Gradescope (roster-style score
    upload): ``First Name, Last Name, SID, Email`` then one column per assignment. Scores include late penalties.
    """
    if shape not in LMS_SHAPES:
        raise ChiplabInputError(f"lms shape must be one of {', '.join(LMS_SHAPES)}; got {shape!r}")
    students: dict[str, dict[str, str]] = {}
    assignments: list[str] = []
    with grades_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            student = students.setdefault(row["student_id"], {"first": row["first_name"], "last": row["last_name"],
                                                             "email": row["email"]})
            student[row["assignment"]] = row["score"]
            if row["assignment"] not in assignments:
                assignments.append(row["assignment"])
    if shape == "canvas":
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        lines = [[f"{s['last']}, {s['first']}".strip(", ") or sid, "", sid, sid, ""] for sid, s in students.items()]
    else:
        header = ["First Name", "Last Name", "SID", "Email"]
        lines = [[s["first"], s["last"], sid, s["email"]] for sid, s in students.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header + assignments)
        for (_, student), line in zip(students.items(), lines, strict=True):
            writer.writerow(line + [student.get(a, "0") for a in assignments])
    return path


def write_class_reports(course, assignment: str) -> None:
    """``reports/<assignment>-questions.csv`` and ``reports/<assignment>-identical-wrong.csv``."""
    from chiplab.grading.course import submitted_students

    reports = course.root / "reports"
    write_dataclass_rows(question_stats(course, assignment), QuestionStat, reports / f"{assignment}-questions.csv")
    shared = identical_wrong_answers(course, assignment, submitted_students(course, assignment))
    write_dataclass_rows(shared, SharedWrongAnswer, reports / f"{assignment}-identical-wrong.csv")


def import_roster(course, roster_csv: str | os.PathLike) -> None:
    """Add the students of a CSV (``id,first_name,last_name,email``; nbgrader's format) to the gradebook, so that
    students who never submit appear in ``grades.csv`` with 0."""
    from chiplab.grading.course import require_ok, run_nbgrader

    path = Path(roster_csv).resolve()
    if not path.is_file():
        raise ChiplabInputError(f"roster {path} does not exist")
    require_ok(run_nbgrader(course, "db", "student", "import", str(path)), f"importing the roster {path}")


def set_due_date(course, assignment: str, due: str) -> None:
    """Record ``assignment``'s due date (e.g. ``"2026-10-01 23:59:00 UTC"``) in the gradebook; late submissions
    then lose ``PercentPerDayLatePenalty.percent_per_day`` per started day (``nbgrader_config.py``)."""
    from chiplab.grading.course import require_ok, run_nbgrader

    course.select([assignment])
    require_ok(run_nbgrader(course, "db", "assignment", "add", assignment, f"--duedate={due}"),
             f"setting the due date of {assignment}")
