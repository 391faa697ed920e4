"""``python -m chiplab.grading``: the instructor's commands (``exercises/README.md`` explains the workflow).

    python -m chiplab.grading release   [ASSIGNMENT ...]                       student notebooks in release/
    python -m chiplab.grading autograde [ASSIGNMENT ...] [--submissions DIR] [--student ID]
                                                                  sandboxed; grades.csv, feedback/, reports/, logs/
    python -m chiplab.grading feedback  [ASSIGNMENT ...]                       the same, after manual grading
    python -m chiplab.grading keys      [ASSIGNMENT ...] [--student ID]        answer_keys/<assignment>/<ID>/
    python -m chiplab.grading variant   ASSIGNMENT STUDENT_ID                  a student's parameters
    python -m chiplab.grading list                                              the assignments and their problem sets
    python -m chiplab.grading answers   ASSIGNMENT [--student ID] [--csv FILE]  expected answers per student
    python -m chiplab.grading roster    ROSTER.csv                              students who never submit get 0
    python -m chiplab.grading due       ASSIGNMENT "2026-10-01 23:59:00 UTC"     due date (late penalties)
    python -m chiplab.grading lms       canvas|gradescope [--out FILE]          grades for an LMS import

Every command takes ``--course DIR`` (default: the current directory, e.g. ``exercises/``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chiplab.errors import ChiplabInputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chiplab.grading", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--course", default=None, help="the nbgrader course directory (default: current directory)")
        return sub

    sub = command("release", "generate the student version of assignments (all if none named) and check it for leaks")
    sub.add_argument("assignments", nargs="*")
    sub = command("autograde", "autograde submissions; write grades.csv, feedback/ HTML and reports/<assignment>.csv")
    sub.add_argument("assignments", nargs="*")
    sub.add_argument("--submissions", help="a folder of <student_id>/<assignment>/<notebook>.ipynb to grade "
                                           "(default: what is already in submitted/, e.g. from nbgrader collect)")
    sub.add_argument("--timeout", type=float, default=None, help="seconds a cell may run in the sandbox (default 60)")
    sub.add_argument("--student", default=None, help="regrade only this student's submissions")
    sub = command("feedback", "after manual grading: regenerate feedback/, grades.csv and reports/ (no re-execution)")
    sub.add_argument("assignments", nargs="*")
    sub.add_argument("--student", default=None, help="feedback for this student only")
    sub = command("keys", "execute the source notebooks into answer keys (.ipynb and .html) for one student")
    sub.add_argument("assignments", nargs="*")
    sub.add_argument("--student", default="demo", help="whose variant (default: demo)")
    sub.add_argument("--out", default=None, help="output folder (default: <course>/answer_keys)")
    sub = command("variant", "print one student's parameters for an assignment")
    sub.add_argument("assignment")
    sub.add_argument("student_id")
    command("list", "list the assignments with a problem set")
    sub = command("answers", "chiplab's expected answers for students (all who submitted, or --student), as CSV")
    sub.add_argument("assignment")
    sub.add_argument("--student", action="append", default=None, help="a student id (repeatable)")
    sub.add_argument("--csv", default=None, help="write the CSV here instead of printing it")
    sub = command("roster", "import students (CSV: id,first_name,last_name,email) so non-submitters get 0")
    sub.add_argument("roster_csv")
    sub = command("due", "set an assignment's due date, e.g. '2026-10-01 23:59:00 UTC' (late penalties)")
    sub.add_argument("assignment")
    sub.add_argument("due_date")
    sub = command("lms", "grades.csv reshaped for an LMS grade import (canvas or gradescope)")
    sub.add_argument("shape", choices=("canvas", "gradescope"))
    sub.add_argument("--out", default=None, help="output CSV (default: <course>/grades-<shape>.csv)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from chiplab.grading.course import GradingError, autograde, feedback, open_course, release, submitted_students
    from chiplab.grading.results import import_roster, set_due_date

    try:
        if args.command == "list":
            from chiplab.grading.problems import list_assignments, problem_set

            for name in list_assignments():
                print(f"{name}: {problem_set(name).title}")
        elif args.command == "variant":
            from chiplab.grading.variants import variant_of

            print(variant_of(args.assignment, args.student_id))
        elif args.command == "release":
            for folder in release(open_course(args.course), args.assignments):
                print(f"released {folder} (checked: no solutions, hidden tests or rubrics)")
        elif args.command in ("autograde", "feedback"):
            course = open_course(args.course)
            if args.command == "autograde":
                run = autograde(course, args.assignments, args.submissions, args.timeout, args.student)
            else:
                run = feedback(course, args.assignments, student=args.student)
            print(f"grades: {run.grades_csv}\nfeedback: {run.feedback_dir}/<student>/<assignment>/*.html")
            print("per-cell reports: " + ", ".join(str(path) for path in run.report_csvs))
            for problem in run.problems:
                print(f"WARNING: {problem}", file=sys.stderr)
        elif args.command == "answers":
            import csv

            from chiplab.grading.results import expected_answers, write_rows

            course = open_course(args.course)
            students = args.student or submitted_students(course, args.assignment)
            rows = expected_answers(course, course.select([args.assignment])[0], students)
            if args.csv:
                print(f"expected answers: {write_rows(rows, Path(args.csv))}")
            else:
                writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["student_id"])
                writer.writeheader()
                writer.writerows(rows)
        elif args.command == "roster":
            import_roster(open_course(args.course), args.roster_csv)
            print(f"imported {args.roster_csv}")
        elif args.command == "due":
            set_due_date(open_course(args.course), args.assignment, args.due_date)
            print(f"{args.assignment} is due {args.due_date}")
        elif args.command == "lms":
            from chiplab.grading.results import write_lms_csv

            course = open_course(args.course)
            out = Path(args.out) if args.out else course.root / f"grades-{args.shape}.csv"
            print(f"{args.shape}: {write_lms_csv(course.root / 'grades.csv', args.shape, out)}")
        elif args.command == "keys":
            from chiplab.grading.keys import answer_keys

            for path in answer_keys(open_course(args.course), args.assignments, args.student, args.out):
                print(f"answer key: {path} (+ .html)")
    except (ChiplabInputError, GradingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
