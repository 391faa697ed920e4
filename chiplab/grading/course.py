"""The instructor's commands on an nbgrader course directory (``exercises/``): release, autograde, leak check.

nbgrader does the work (``generate_assignment``, ``autograde``, ``generate_feedback``, ``export``); this module runs
it with the right interpreter and ``PATH`` (nbgrader calls the ``alembic`` executable when it creates a gradebook,
so the virtual environment's ``bin/`` must be on ``PATH``), checks every release for leaked solutions before a
student can see it (:mod:`chiplab.grading.leaks`), and copies a folder of submissions into place. nbgrader is
imported only when a command runs, so what the notebooks import from ``chiplab.grading`` stays light.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.grading.leaks import find_leaks


class GradingError(RuntimeError):
    """An nbgrader step failed, or a release leaked instructor-only text; the message says which and where."""


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory: ``nbgrader_config.py`` and ``source/<assignment>/*.ipynb``."""

    root: Path

    def path(self, step: str, *parts: str) -> Path:
        """``source``, ``release``, ``submitted``, ``autograded`` or ``feedback``, then student/assignment parts."""
        return self.root.joinpath(step, *parts)

    @property
    def db_path(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def grader_path(self) -> Path:
        """The grader-only answers (``grader/chiplab_answers``): never released, hidden from the sandbox."""
        return self.root / "grader"

    def assignments(self) -> tuple[str, ...]:
        source = self.path("source")
        return tuple(sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))))

    def select(self, assignments: list[str] | tuple[str, ...] | None) -> list[str]:
        """The named assignments (all when none are named); unknown names are an error listing the known ones."""
        known = self.assignments()
        if not assignments:
            return list(known)
        unknown = [a for a in assignments if a not in known]
        if unknown:
            raise ChiplabInputError(f"unknown assignment {', '.join(map(repr, unknown))} in {self.path('source')}; "
                                    f"known: {', '.join(known) or '(none)'}")
        return list(assignments)


def open_course(root: str | os.PathLike[str] | None = None) -> Course:
    """The course at ``root`` (default: the current directory), checked for nbgrader's layout."""
    path = Path(root if root is not None else Path.cwd()).resolve()
    if not (path / "nbgrader_config.py").is_file() or not (path / "source").is_dir():
        raise ChiplabInputError(f"{path} is not an nbgrader course directory: it needs nbgrader_config.py and a "
                                "source/ folder (run from exercises/, or pass --course exercises)")
    return Course(path)


def _env(course: Course | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("CHIPLAB_STUDENT_ID", None)  # the grader must take each student's id from the submission folder
    if course is not None:  # the hidden tests import the grader-only answers (grader/chiplab_answers)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(course.grader_path), env.get("PYTHONPATH", "")) if p)
    return env


def run_nbgrader(course: Course, *args: str) -> subprocess.CompletedProcess[str]:
    """``nbgrader ARGS`` in the course directory with this interpreter; the output is returned, not printed."""
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course.root}"]
    return subprocess.run(command, cwd=course.root, env=_env(course), text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=False)


def require_ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-25:])
        raise GradingError(f"{what} failed (exit {result.returncode}):\n{tail}")


@contextmanager
def gradebook(course: Course) -> Iterator[Any]:  # nbgrader.api.Gradebook (nbgrader ships no types)
    """nbgrader's Gradebook for this course, with ``alembic`` reachable (nbgrader runs it to check the schema)."""
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    course_id = config.get("CourseDirectory", {}).get("course_id", "default_course")
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = _env()["PATH"]
    try:
        with Gradebook(f"sqlite:///{course.db_path}", course_id=course_id) as gb:
            yield gb
    finally:
        os.environ["PATH"] = old_path


def _batches(course: Course, selected: list[str]) -> list[str]:
    """nbgrader assignment ids to run: "*" for the whole course (nbgrader starts once: ~3 s saved per assignment)."""
    return ["*"] if sorted(selected) == sorted(course.assignments()) else list(selected)


SCRATCH_STUB = "# YOUR CODE HERE (scratch space, not graded)"


def _quiet_scratch_cells(course: Course, assignment: str) -> None:
    """Ungraded scratch cells (``*_scratch``) get a stub that runs: "Run All" must not stop there."""
    for path in course.path("release", assignment).glob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").endswith("_scratch"):
                source = "".join(cell["source"]).replace("# YOUR CODE HERE\nraise NotImplementedError()",
                                                         SCRATCH_STUB)
                cell["source"] = source.splitlines(keepends=True)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def release(course: Course, assignments: list[str] | None = None) -> list[Path]:
    """``nbgrader generate_assignment`` for each assignment, then :func:`find_leaks`; returns the release folders."""
    selected = course.select(assignments)
    for batch in _batches(course, selected):
        require_ok(run_nbgrader(course, "generate_assignment", batch, "--force"), f"releasing {batch}")
    folders = []
    for assignment in selected:
        _quiet_scratch_cells(course, assignment)
        leaks = find_leaks(course, assignment)
        if leaks:
            shutil.rmtree(course.path("release", assignment))
            raise GradingError(f"the release of {assignment} leaked instructor-only text and was deleted:\n"
                               + "\n".join(leaks))
        folders.append(course.path("release", assignment))
    return folders


def collect(course: Course, submissions: str | os.PathLike[str], assignments: list[str]) -> list[str]:
    """Copy ``SUBMISSIONS/<student_id>/<assignment>/`` into ``submitted/`` (replacing earlier copies).

    Returns notes on every folder that was not used (a misspelt assignment, a stray file), so nothing is dropped
    silently; no submission at all is an error.
    """
    import difflib

    folder = Path(submissions).resolve()
    if not folder.is_dir():
        raise ChiplabInputError(f"submissions folder {folder} does not exist")
    found, notes = 0, []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for entry in sorted(student.iterdir()):
            if entry.is_dir() and entry.name in assignments:
                target = course.path("submitted", student.name, entry.name)
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(entry, target)
                found += 1
                continue
            close = difflib.get_close_matches(entry.name, course.assignments(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            notes.append(f"{student.name}/{entry.name} was not graded: not an assignment folder{hint}")
    if not found:
        raise ChiplabInputError(f"no submissions in {folder}: expected {folder}/<student_id>/<assignment>/"
                                f"<notebook>.ipynb with <assignment> one of {', '.join(assignments)}"
                                + ("\n" + "\n".join(notes) if notes else ""))
    return notes


def _known_to_gradebook(course: Course, assignment: str) -> bool:
    if not course.db_path.is_file() or not course.path("release", assignment).is_dir():
        return False
    from nbgrader.api import MissingEntry

    with gradebook(course) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return False
    return True


@dataclass(frozen=True)
class AutogradeRun:
    """Where an autograde run put its results, and what the grader noticed."""

    grades_csv: Path
    report_csvs: tuple[Path, ...]
    feedback_dir: Path
    problems: tuple[str, ...]  # anything a person should look at (the rest was still graded)


def submitted_students(course: Course, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in course.path("submitted").glob(f"*/{assignment}") if p.is_dir())


def autograde(course: Course, assignments: list[str] | None = None, submissions: str | os.PathLike[str] | None = None,
              timeout_s: float | None = None, student: str | None = None) -> AutogradeRun:
    """Grade every submission (or only ``student``'s) of each assignment, then write feedback, grades and reports.

    Each submission runs in the sandbox (:mod:`chiplab.grading.sandbox`), one notebook at a time, with
    ``timeout_s`` per cell; nbgrader then grades the values it exported (:mod:`chiplab.grading.submission`).
    """
    from chiplab.grading.sandbox import Limits, unavailable_reason
    from chiplab.grading.submission import SANDBOXED, prepare

    reason = unavailable_reason()
    if reason:
        raise GradingError(f"cannot autograde safely here: {reason}")
    selected = course.select(assignments)
    problems = collect(course, submissions, selected) if submissions is not None else []
    work = [(a, s) for a in selected for s in submitted_students(course, a) if student in (None, s)]
    if not work:
        who = f" from student {student!r}" if student else ""
        raise GradingError(f"nothing to autograde{who}: {course.path('submitted')} has no "
                           f"<student_id>/<assignment>/ folder for {', '.join(selected)}")
    missing = [assignment for assignment in selected if not _known_to_gradebook(course, assignment)]
    if missing:
        release(course, missing)  # the gradebook learns the assignment's cells and points from its release
    limits = Limits(cell_timeout_s=timeout_s or Limits.cell_timeout_s)
    for assignment, name in work:
        prepared = prepare(course, assignment, name, limits)
        log = prepared.log_dir.relative_to(course.root)
        problems += [f"{assignment}/{name}: {note} (log: {log})" for note in prepared.notes]
    extra = ["--CourseDirectory.submitted_directory=" + SANDBOXED]
    if student:
        extra.append(f"--CourseDirectory.student_id={student}")
    for batch in _batches(course, selected):
        result = run_nbgrader(course, "autograde", batch, "--force", *extra)
        failed = re.findall(r"error processing assignment '([^']*)' for student '([^']*)'", result.stdout)
        problems += [f"{assignment}: nbgrader could not autograde student {who!r} (see reports/{assignment}.csv)"
                     for assignment, who in failed]
        if result.returncode != 0 and not failed:
            problems.append(f"autograde {batch} failed (exit {result.returncode}):\n" + result.stdout[-2000:])
    return feedback(course, selected, problems, student)


def feedback(course: Course, assignments: list[str] | None = None, problems: list[str] | None = None,
             student: str | None = None) -> AutogradeRun:
    """Feedback HTML (all students' or one's), ``grades.csv`` and per-cell reports from the gradebook as it is now
    (e.g. after manual grading in formgrader); nothing is re-executed."""
    from chiplab.grading.report import write_report
    from chiplab.grading.results import write_class_reports

    selected = course.select(assignments)
    problems = list(problems or [])
    only = [f"--CourseDirectory.student_id={student}"] if student else []
    for batch in _batches(course, selected):
        result = run_nbgrader(course, "generate_feedback", batch, "--force", *only)
        if result.returncode != 0:
            problems.append(f"generate_feedback {batch}: exit {result.returncode}")
    reports = tuple(write_report(course, assignment) for assignment in selected)
    for assignment in selected:
        write_class_reports(course, assignment)
    grades = course.root / "grades.csv"
    require_ok(run_nbgrader(course, "export", f"--to={grades}"), "exporting grades")
    return AutogradeRun(grades, reports, course.path("feedback"), tuple(problems))

