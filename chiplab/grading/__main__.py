"""``python -m chiplab.grading``: the instructor's commands (``exercises/README.md`` explains the workflow).

    python -m chiplab.grading release   [ASSIGNMENT ...]                       student notebooks in release/
    python -m chiplab.grading autograde [ASSIGNMENT ...] [--submissions DIR] [--student ID]
                                                                  sandboxed; grades.csv, feedback/, reports/, logs/
    python -m chiplab.grading feedback  [ASSIGNMENT ...]                       the same, after manual grading
    python -m chiplab.grading keys      [ASSIGNMENT ...] [--student ID]        answer_keys/<assignment>/<ID>/
    python -m chiplab.grading variant   ASSIGNMENT STUDENT_ID                  a student's parameters
    python -m chiplab.grading list                                              the assignments and their problem sets

Every command takes ``--course DIR`` (default: the current directory, e.g. ``exercises/``).
"""

from __future__ import annotations

import argparse
import sys

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from chiplab.grading.course import GradingError, autograde, feedback, open_course, release

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
