"""Speed of the exercises' grader side: one student's parameters and chiplab's expected answers, per assignment, and
the solution cells of the assignments whose solutions search (07's tiles, 09's design).

Why it matters: the variation tests derive 1,000 students per assignment, ``answers --csv`` a whole class, and the
sandboxed autograder runs each solution cell under a per-cell time limit (60 s by default, 5 s in the tests).

Run: .venv/bin/python benchmarks/bench_exercises.py
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "exercises" / "grader"))

from chiplab_answers import answers  # noqa: E402

from chiplab.grading import list_assignments, variant_of  # noqa: E402

NUM_STUDENTS = 200
SEARCHING_CELLS = {"07_mapping_tiling": "q1_answer", "09_design_project": "q1_answer"}


def bench_answers() -> None:
    for assignment in list_assignments():
        start = time.perf_counter()
        for i in range(NUM_STUDENTS):
            answers(assignment, variant_of(assignment, f"bench-{i:04d}").params)
        per_student_ms = (time.perf_counter() - start) / NUM_STUDENTS * 1e3
        print(f"{assignment:22s} parameters + expected answers: {per_student_ms:7.2f} ms per student")


def bench_searching_solutions(num_students: int = 20) -> None:
    """The source notebook's cells up to the searching one, run in-process for several students."""
    for assignment, grade_id in SEARCHING_CELLS.items():
        (path,) = (ROOT / "exercises" / "source" / assignment).glob("*.ipynb")
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [("".join(c["source"]), c["metadata"].get("nbgrader", {}).get("grade_id")) for c in cells
                if c["cell_type"] == "code"]
        setup = next(source for source, gid in code if gid == "setup")
        target = next(source for source, gid in code if gid == grade_id)
        samples = []
        for i in range(num_students):
            namespace = {"STUDENT_ID": f"bench-{i:04d}"}
            with contextlib.redirect_stdout(io.StringIO()):
                exec(setup, namespace)
                start = time.perf_counter()
                exec(target, namespace)
            samples.append(time.perf_counter() - start)
        print(f"{assignment:22s} solution cell {grade_id}: mean {sum(samples) / len(samples):.2f} s, "
              f"worst {max(samples):.2f} s over {num_students} students")


if __name__ == "__main__":
    bench_answers()
    bench_searching_solutions()
