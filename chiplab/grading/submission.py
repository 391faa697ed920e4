"""From a student's submission to the notebook nbgrader grades: assemble, run in the sandbox, keep only values.

For each submitted notebook the grader

1. **assembles** what runs in the sandbox: the release's locked cells (so an edited setup or test cell changes
   nothing), the student's answer cells matched by nbgrader ``grade_id`` (a deleted one is reported, the rest still
   run), the student's own extra cells where they put them, and in place of every test cell the grader's export
   cell (:mod:`chiplab.grading.export`);
2. **runs** it in the sandbox (:mod:`chiplab.grading.sandbox`) and keeps the executed notebook and a log under
   ``logs/<assignment>/<student>/<UTC time>/`` (every run is kept);
3. **writes** the notebook nbgrader autogrades, ``sandboxed/<student>/<assignment>/<name>.ipynb``: the release with
   each answer cell replaced by the exported values as Python literals (the student's code is shown as comments),
   the written answers as the student wrote them, and ``STUDENT_ID`` set to the submission's folder. nbgrader then
   restores the locked cells and runs the hidden tests on literals only: no student code ever runs as the
   instructor, and one failing answer costs only its own questions.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chiplab.grading.export import export_source, read_exports
from chiplab.grading.sandbox import Limits, run_submission

SANDBOXED = "sandboxed"  # nbgrader's submitted_directory for the notebooks the grader writes
_CHECKED_NAME = re.compile(r'check_format\(v, "(\w+)"')


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def tested_names(release: dict) -> dict[str, list[str]]:
    """{test cell grade_id: the answer names it checks}, from the release's visible ``check_format`` calls."""
    return {_meta(cell)["grade_id"]: _CHECKED_NAME.findall(_source(cell)) for cell in release["cells"]
            if cell["cell_type"] == "code" and _meta(cell).get("grade") and _meta(cell).get("locked")}


def _answer_cells(release: dict) -> dict[str, list[str]]:
    """{answer cell grade_id: names checked by the test cells after it, up to the next answer cell}."""
    tests, current = tested_names(release), None
    result: dict[str, list[str]] = {}
    for cell in release["cells"]:
        meta = _meta(cell)
        if cell["cell_type"] == "code" and meta.get("solution"):
            current = meta["grade_id"]
            result[current] = []
        elif meta.get("grade_id") in tests and current is not None:
            result[current] += tests[meta["grade_id"]]
    return result


def assemble(release: dict, submitted: dict) -> tuple[dict, list[str]]:
    """The notebook to run in the sandbox, and notes on what was missing from the submission."""
    theirs = {_meta(c).get("grade_id"): c for c in submitted.get("cells", []) if _meta(c).get("grade_id")}
    known = {_meta(c).get("grade_id") for c in release["cells"]} - {None}
    extras: dict[str | None, list[dict]] = {}
    anchor = None
    for cell in submitted.get("cells", []):
        grade_id = _meta(cell).get("grade_id")
        if grade_id in known:
            anchor = grade_id
        elif cell.get("cell_type") == "code" and not grade_id and _source(cell).strip():
            extras.setdefault(anchor, []).append({"cell_type": "code", "metadata": {}, "outputs": [],
                                                  "execution_count": None, "source": _source(cell)})
    tests, notes = tested_names(release), []
    cells = extras.pop(None, [])  # the student's own cells above every known cell
    first_code = True
    for cell in release["cells"]:
        grade_id = _meta(cell).get("grade_id")
        if cell["cell_type"] == "code" and first_code and not grade_id:
            first_code = False  # the STUDENT_ID cell: the grader's CHIPLAB_STUDENT_ID decides instead
        if grade_id in tests:
            cells.append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                          "source": export_source(grade_id, tests[grade_id])})
        elif _meta(cell).get("solution") and cell["cell_type"] == "code":
            if grade_id in theirs:
                cells.append(dict(theirs[grade_id], outputs=[], source=_source(theirs[grade_id])))
            else:
                notes.append(f"answer cell {grade_id!r} was deleted from the submission")
        elif cell["cell_type"] == "code":
            cells.append(dict(cell, outputs=[]))
        cells += extras.pop(grade_id, []) if grade_id else []
    nb = dict(release, cells=cells)
    return nb, notes


def _literal(value: Any) -> str:
    """A Python literal for an exported value (numbers, words, booleans, None); anything else becomes None."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "None"
    if isinstance(value, str):
        return repr(value)
    return "None  # the value was not a number or a word"


def graded_notebook(release: dict, submitted: dict, exports: dict[str, dict], student_id: str,
                    errors: dict[str, str]) -> dict:
    """The notebook nbgrader autogrades (see the module docstring): literals in place of the student's code."""
    theirs = {_meta(c).get("grade_id"): c for c in submitted.get("cells", []) if _meta(c).get("grade_id")}
    values = {name: value for cell_values in exports.values() for name, value in cell_values.items()}
    answer_names = _answer_cells(release)
    cells, first_code = [], True
    for cell in release["cells"]:
        meta, grade_id = _meta(cell), _meta(cell).get("grade_id")
        cell = dict(cell)
        if cell["cell_type"] == "code" and first_code and not grade_id:
            first_code = False
            cell["source"] = f"STUDENT_ID = {student_id!r}  # set by the grader: the submission's student"
        elif meta.get("solution") and cell["cell_type"] == "markdown" and grade_id in theirs:
            cell["source"] = _source(theirs[grade_id])
        elif meta.get("solution") and cell["cell_type"] == "code":
            student_code = _source(theirs[grade_id]) if grade_id in theirs else "(deleted)"
            lines = ["# Your code ran in the grader's sandbox; these are the values it ended with:"]
            if grade_id in errors:
                lines.append(f"# (in the sandbox this cell failed: {errors[grade_id]})")
            lines += [f"{name} = {_literal(values.get(name))}" for name in answer_names.get(str(grade_id), [])]
            lines += ["", "# Your code:"] + [f"# {line}" for line in student_code.splitlines()[:200]]
            cell["source"] = "\n".join(lines)
        cell["outputs"] = [] if cell["cell_type"] == "code" else cell.get("outputs")
        if cell["cell_type"] != "code":
            cell.pop("outputs", None)
        cells.append(cell)
    return dict(release, cells=cells)


def _sandbox_errors(executed_text: str) -> dict[str, str]:
    """{answer cell grade_id: first error} from the sandbox's executed notebook (untrusted: parsed defensively)."""
    try:
        cells = json.loads(executed_text)["cells"]
    except (ValueError, KeyError, TypeError):
        return {}
    errors: dict[str, str] = {}
    for cell in cells if isinstance(cells, list) else []:
        grade_id = _meta(cell).get("grade_id") if isinstance(cell, dict) else None
        for output in cell.get("outputs", []) if grade_id else []:
            if isinstance(output, dict) and output.get("output_type") == "error":
                errors[str(grade_id)] = f"{output.get('ename')}: {str(output.get('evalue', '')).splitlines()[:1]}"[:300]
                break
    return errors


@dataclass(frozen=True)
class Prepared:
    """One submission made ready for nbgrader: where its log went and what the grader noticed."""

    log_dir: Path
    notes: tuple[str, ...]


def match_notebooks(folder: Path, expected: list[str]) -> tuple[dict[str, Path], list[str]]:
    """{expected notebook name: submitted file}; one stray notebook stands in for a single missing one
    (``systolic_arrays (1).ipynb``), and every other mismatch is named."""
    found = {p.name: p for p in folder.glob("*.ipynb")}
    matched = {name: found.pop(name) for name in expected if name in found}
    missing = [name for name in expected if name not in matched]
    notes = []
    if len(missing) == 1 and len(found) == 1:
        (stray,) = found.values()
        matched[missing[0]] = stray
        notes.append(f"graded {stray.name!r} as {missing[0]!r} (the file was renamed)")
    else:
        notes += [f"{name} is missing; found {', '.join(map(repr, sorted(found))) or 'no other notebook'}"
                  for name in missing]
    return matched, notes


def prepare(course, assignment: str, student: str, limits: Limits) -> Prepared:
    """Run one student's submission of ``assignment`` in the sandbox and write its graded notebooks and log."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    log_dir = course.root / "logs" / assignment / student / stamp
    log_dir.mkdir(parents=True)
    releases = sorted(course.path("release", assignment).glob("*.ipynb"))
    matched, notes = match_notebooks(course.path("submitted", student, assignment), [p.name for p in releases])
    target = course.root / SANDBOXED / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ("timestamp.txt", "submission_secret.txt"):  # nbgrader's late penalty; its release_feedback
        kept = course.path("submitted", student, assignment, name)
        if kept.is_file():
            shutil.copy(kept, target / name)
    log = [f"student {student!r}, assignment {assignment!r}, graded {stamp}"]
    all_exports: dict[str, dict] = {}
    for release_path in releases:
        release = json.loads(release_path.read_text(encoding="utf-8"))
        if release_path.name not in matched:
            continue
        try:
            submitted = json.loads(matched[release_path.name].read_text(encoding="utf-8"))
            if not isinstance(submitted.get("cells"), list):
                raise TypeError("no cells")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            notes.append(f"{matched[release_path.name].name} is not a notebook ({type(error).__name__})")
            continue
        runnable, missing = assemble(release, submitted)
        notes += missing
        run = run_submission(json.dumps(runnable), student, limits, private=[course.root])
        (log_dir / release_path.name).write_text(run.executed_text or "{}", encoding="utf-8")
        if not run.executed_text:
            notes.append(f"{release_path.name} did not run to the end in the sandbox (exit {run.returncode})")
        exports = all_exports[release_path.name] = read_exports(run.exports_text)
        errors = _sandbox_errors(run.executed_text)
        log += [f"--- {release_path.name}: sandbox exit {run.returncode}", run.log,
                f"exported: {json.dumps(exports)}"]
        graded = graded_notebook(release, submitted, exports, student, errors)
        (target / release_path.name).write_text(json.dumps(graded), encoding="utf-8")
    (log_dir / "exports.json").write_text(json.dumps(all_exports), encoding="utf-8")
    log += [f"note: {note}" for note in notes]
    (log_dir / "autograde.log").write_text("\n".join(log) + "\n", encoding="utf-8")
    return Prepared(log_dir, tuple(notes))
