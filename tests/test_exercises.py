"""The nbgrader exercises (exercises/, chiplab.grading): variants, answer checks, release, autograding, answer keys.

Fast tests run the library and the notebooks' own code in-process (no kernel); the ``slow`` ones build a throwaway
nbgrader course in a temporary folder, release it, autograde a handful of made-up submissions (the source itself,
the untouched release, wrong answers, a notebook that raises, deletes a test cell and loops forever, a file that is
not JSON) and generate an answer key — once per module, about 50 s on 2 cores. Nothing is written under exercises/.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shutil
import time
from pathlib import Path

import pytest
from conftest_book import ROOT, isolated_jupyter_env

from chiplab.errors import ChiplabInputError
from chiplab.grading import check_answer, check_format, list_assignments, load_variant, problem_set, variant_of
from chiplab.grading.checks import _matches
from chiplab.grading.course import find_leaks, open_course, release

EXERCISES = ROOT / "exercises"
ASSIGNMENTS = list_assignments()
STUDENTS = [f"student{i:02d}" for i in range(20)] + ["jdoe", "Zoë O'Neil", "demo"]
CELL_TIMEOUT_S = 5  # every cell of the solutions runs in well under a second; an endless loop costs this much


@pytest.fixture(autouse=True)
def _no_ambient_student(monkeypatch):
    """A developer's JupyterHub user or CHIPLAB_STUDENT_ID must not change which variant a test sees."""
    for name in ("CHIPLAB_STUDENT_ID", "JUPYTERHUB_USER", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)


def _source_notebook(assignment: str) -> Path:
    (path,) = (EXERCISES / "source" / assignment).glob("*.ipynb")
    return path


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _run_code_cells(path: Path, student_id: str) -> dict:
    """Execute a notebook's nbgrader code cells in-process, as the autograder would for ``student_id``."""
    namespace = {"STUDENT_ID": student_id}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in _cells(path):
            if cell["cell_type"] == "code" and _grade_id(cell):
                exec(compile("".join(cell["source"]), f"{path.name}:{_grade_id(cell)}", "exec"), namespace)
    return namespace


# ---------------------------------------------------------------------------------------------- variants


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_two_students_get_different_parameters(assignment):
    assert variant_of(assignment, "alice").params != variant_of(assignment, "bob").params
    assert len({variant_of(assignment, s).params for s in STUDENTS}) >= len(STUDENTS) // 2


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_variant_is_the_same_for_student_and_grader(assignment):
    assert variant_of(assignment, "jdoe").params == variant_of(assignment, " JDoe ").params
    assert load_variant(assignment, "jdoe").params == variant_of(assignment, "jdoe").params


def test_whose_variant(monkeypatch, tmp_path):
    assignment = "01_systolic_arrays"
    identity = load_variant(assignment, "").identity
    assert (identity.student_id, identity.source) == ("demo", "demo") and "STUDENT_ID" in identity.note
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert load_variant(assignment, "").student_id == "hubuser"
    assert load_variant(assignment, "typed").student_id == "typed"
    monkeypatch.setenv("CHIPLAB_STUDENT_ID", "instructor-pick")
    assert load_variant(assignment, "typed").student_id == "instructor-pick"
    folder = tmp_path / "autograded" / "zoe" / assignment
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    graded = load_variant(assignment, "typed")
    assert (graded.student_id, graded.identity.source) == ("zoe", "nbgrader submission folder")
    assert "'typed'" in graded.identity.note and "'zoe'" in graded.identity.note
    assert "zoe" in graded._repr_markdown_() and "graded as 'zoe'" in str(graded)
    monkeypatch.chdir(tmp_path)  # a course with another directory_structure: refuse rather than guess
    with pytest.raises(ChiplabInputError, match="keep nbgrader's default"):
        load_variant(assignment, "typed")


def test_bad_instructor_input_is_named():
    with pytest.raises(ChiplabInputError, match="unknown assignment '09_nope'; known: 01_systolic_arrays"):
        load_variant("09_nope", "jdoe")
    with pytest.raises(ChiplabInputError, match="student_id must be a non-empty string"):
        variant_of("01_systolic_arrays", "  ")
    with pytest.raises(ChiplabInputError, match="STUDENT_ID must be a string"):
        load_variant("01_systolic_arrays", 42)
    with pytest.raises(ChiplabInputError, match="no autograded answer called 'q9'"):
        check_answer(variant_of("01_systolic_arrays", "jdoe"), "q9", 1)
    with pytest.raises(AttributeError, match="has no parameter 'nope'; it has: num_rows"):
        _ = variant_of("01_systolic_arrays", "jdoe").nope


# ---------------------------------------------------------------------------------------------- answers


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_variant_of_the_solutions_passes_its_own_tests(assignment):
    """The source notebook's solutions (by-hand formulas included) agree with chiplab for many students."""
    for student in STUDENTS:
        namespace = _run_code_cells(_source_notebook(assignment), student)
        assert namespace["v"].student_id == student


def _answers(assignment: str, student: str):
    variant = variant_of(assignment, student)
    return variant, problem_set(assignment).answers(variant.params)


def _a_value(answer, target):
    return sorted(target)[0] if answer.kind == "choice" else target


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_known_mistakes_fail_with_their_hint_and_never_reveal_the_answer(assignment):
    num_hints = 0
    for student in STUDENTS:
        variant, answers = _answers(assignment, student)
        for answer in answers:
            assert check_answer(variant, answer.name, _a_value(answer, answer.expected))
            for mistake in answer.mistakes:
                if not mistake.value or _matches(answer, _a_value(answer, mistake.value), answer.expected):
                    continue  # this slip gives the right answer for this variant
                verdict = check_answer(variant, answer.name, _a_value(answer, mistake.value))
                assert not verdict and verdict.message.startswith(answer.name)
                assert any(m.hint in verdict.message for m in answer.mistakes)
                if answer.kind == "count" and answer.expected >= 100:
                    assert str(answer.expected) not in verdict.message
                num_hints += 1
    assert num_hints >= 5 * len(STUDENTS)


def test_tolerances_fit_the_quantity():
    variant, answers = _answers("01_systolic_arrays", "jdoe")
    by_name = {answer.name: answer for answer in answers}
    cycles, utilization = by_name["q4_cycles"].expected, by_name["q2_utilization_fraction"].expected
    assert check_answer(variant, "q4_cycles", cycles) and check_answer(variant, "q4_cycles", float(cycles))
    assert not check_answer(variant, "q4_cycles", cycles + 2)  # counts are exact
    assert check_answer(variant, "q2_utilization_fraction", round(utilization, 3))  # fractions: 1 % relative
    assert not check_answer(variant, "q2_utilization_fraction", utilization * 1.05)
    best = sorted(by_name["q5_best_dataflow"].expected)[0]
    long_name = {"ws": "Weight-Stationary", "os": "output_stationary", "is": "input-stationary"}[best]
    assert check_answer(variant, "q5_best_dataflow", long_name)


def test_format_messages_teach_without_judging():
    variant = variant_of("01_systolic_arrays", "jdoe")
    cases = {
        ("q1_cycles", None): "still None",
        ("q1_cycles", 12.5): "whole number",
        ("q1_cycles", "12"): "must be a number (cycles)",
        ("q1_cycles", -3): "cannot be negative",
        ("q2_utilization_fraction", 57.0): "looks like a percentage",
        ("q2_utilization_fraction", math.nan): "finite",
        ("q5_best_dataflow", "fastest"): "must be one of 'ws', 'os', 'is'",
    }
    for (name, value), expected_text in cases.items():
        verdict = check_format(variant, name, value)
        assert not verdict and expected_text in verdict.message, (name, value, verdict)
        assert check_answer(variant, name, value).message == verdict.message
    assert check_format(variant, "q1_cycles", 10**9)  # well-formed, even if wrong


def test_an_answer_for_another_id_is_explained(monkeypatch, tmp_path):
    """A student who typed a classmate's (or a misspelt) id gets told, not just 'wrong'."""
    assignment = "01_systolic_arrays"
    typed_answer = {a.name: a.expected for a in _answers(assignment, "yan")[1]}["q4_cycles"]
    folder = tmp_path / "autograded" / "zoe" / assignment
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    variant = load_variant(assignment, "yan")
    if check_answer(variant, "q4_cycles", typed_answer):
        pytest.skip("zoe's and yan's variants happen to share this answer")
    message = check_answer(variant, "q4_cycles", typed_answer).message
    assert "right for STUDENT_ID 'yan'" in message and "graded as student 'zoe'" in message


# ---------------------------------------------------------------------------------------------- notebooks


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_wired_to_their_problem_set(assignment):
    cells = _cells(_source_notebook(assignment))
    grade_ids = [_grade_id(cell) for cell in cells if _grade_id(cell)]
    assert len(grade_ids) == len(set(grade_ids)), "grade_id must be unique"
    tested = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"])
        if meta.get("grade") and cell["cell_type"] == "code":
            assert meta["locked"] and meta["points"] > 0 and "### BEGIN HIDDEN TESTS" in source, meta["grade_id"]
            tested.append(source.split('check_answer(v, "')[1].split('"')[0])
        if meta.get("grade") and cell["cell_type"] == "markdown":  # manually graded: model answer + rubric hidden
            assert meta["solution"] and meta["points"] > 0 and "**Rubric" in source and "### END SOLUTION" in source
        if meta.get("solution") and cell["cell_type"] == "code":
            assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source, meta["grade_id"]
    assert sorted(tested) == sorted(a.name for a in _answers(assignment, "jdoe")[1])
    assert f'load_variant("{assignment}", STUDENT_ID)' in "".join(cells[2]["source"])


def test_the_guide_lists_every_assignment_with_its_points():
    guide = (EXERCISES / "README.md").read_text(encoding="utf-8")
    for assignment in ASSIGNMENTS:
        points = {"auto": 0, "manual": 0}
        for cell in _cells(_source_notebook(assignment)):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                points["manual" if cell["cell_type"] == "markdown" else "auto"] += meta["points"]
        row = next(line for line in guide.splitlines() if line.startswith(f"| `{assignment}` |"))
        assert row.rstrip(" |").split(" | ")[-2:] == [str(points["auto"]), str(points["manual"])], row


def test_every_source_assignment_has_a_problem_set():
    assert open_course(EXERCISES).assignments() == ASSIGNMENTS


def test_the_course_commands_refuse_a_folder_that_is_not_a_course(tmp_path, capsys):
    from chiplab.grading.__main__ import main

    assert main(["release", "--course", str(tmp_path)]) == 2
    assert "is not an nbgrader course directory" in capsys.readouterr().err
    assert main(["release", "--course", str(EXERCISES), "07_nope"]) == 2
    assert "unknown assignment '07_nope'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- nbgrader


def _put(submissions: Path, student: str, assignment: str, notebook: Path, cells: list[dict] | None = None):
    data = json.loads(notebook.read_text(encoding="utf-8"))
    if cells is not None:
        data["cells"] = cells
    target = submissions / student / assignment / notebook.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data), encoding="utf-8")


def _answered(cells: list[dict], answers: dict[str, str]) -> list[dict]:
    return [dict(cell, source=answers[_grade_id(cell)]) if _grade_id(cell) in answers else cell for cell in cells]


def _make_submissions(course, folder: Path) -> dict[str, object]:
    """The made-up class: who submitted what, and the wrong answers the 'wrong' student gave."""
    for assignment in ASSIGNMENTS:
        _put(folder, "key", assignment, _source_notebook(assignment))
        _put(folder, "lazy", assignment, next(course.path("release", assignment).glob("*.ipynb")))
    assignment = "01_systolic_arrays"
    released = next(course.path("release", assignment).glob("*.ipynb"))
    _put(folder, "key2", assignment, _source_notebook(assignment))
    v = variant_of(assignment, "wrong")
    wrong = {"q1_answer": f"q1_cycles = {v.a_m}",  # the streaming time alone: no fill, no drain
             "q2_answer": "q2_utilization_fraction = 57",  # a percentage
             "q3_answer": f"q3_row_folds = {v.b_k // v.num_rows}\nq3_col_folds = {math.ceil(v.b_n / v.num_cols)}"}
    _put(folder, "wrong", assignment, released, _answered(_cells(released), wrong))
    broken = _answered(_cells(released), {"q1_answer": "raise ValueError('my own bug')",
                                          "q4_answer": "while True:\n    pass"})
    _put(folder, "broken", assignment, released, [c for c in broken if _grade_id(c) != "q3_rows_test"])
    (folder / "garbled" / assignment).mkdir(parents=True)
    (folder / "garbled" / assignment / released.name).write_text("{this is not a notebook", encoding="utf-8")
    return {"wrong": wrong}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory, timings):
    """A course in a temporary folder: released, autograded, with answer keys for 'alice'."""
    from chiplab.grading.course import autograde
    from chiplab.grading.keys import answer_keys

    root = tmp_path_factory.mktemp("course")
    shutil.copytree(EXERCISES / "source", root / "source")
    shutil.copy(EXERCISES / "nbgrader_config.py", root)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in isolated_jupyter_env(root / "jupyter-home").items():
            patch.setenv(name, value)
        for name in ("CHIPLAB_STUDENT_ID", "JUPYTERHUB_USER", "NBGRADER_EXECUTION"):
            patch.delenv(name, raising=False)
        course = open_course(root)
        start = time.perf_counter()
        release(course)
        timings["exercises: release of every assignment"] = time.perf_counter() - start
        inbox = root.parent / f"{root.name}-inbox"
        made = _make_submissions(course, inbox)
        start = time.perf_counter()
        run = autograde(course, submissions=inbox, timeout_s=CELL_TIMEOUT_S)
        num_notebooks = len(list(inbox.rglob("*.ipynb")))
        timings[f"exercises: autograde + feedback + export ({num_notebooks} notebooks, one endless loop)"] = (
            time.perf_counter() - start)
        start = time.perf_counter()
        keys = answer_keys(course, ["01_systolic_arrays"], student_id="alice", timeout_s=60)
        timings["exercises: one answer key"] = time.perf_counter() - start
    return {"course": course, "run": run, "keys": keys, **made}


def _report(graded_course, assignment: str) -> dict[tuple[str, str], dict]:
    path = graded_course["course"].root / "reports" / f"{assignment}.csv"
    with path.open(encoding="utf-8") as handle:
        return {(row["student_id"], row["cell"]): row for row in csv.DictReader(handle)}


def _grades(graded_course) -> dict[tuple[str, str], float]:
    with graded_course["run"].grades_csv.open(encoding="utf-8") as handle:
        return {(row["student_id"], row["assignment"]): float(row["score"]) for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_release_contains_no_solutions_hidden_tests_rubrics_or_answers(graded_course):
    course = graded_course["course"]
    for assignment in ASSIGNMENTS:
        assert find_leaks(course, assignment) == []
        cells = [cell for path in course.path("release", assignment).glob("*.ipynb") for cell in _cells(path)]
        text = "\n".join("".join(cell["source"]) + json.dumps(cell.get("outputs", [])) for cell in cells)
        for marker in ("SOLUTION", "HIDDEN", "Rubric", "Model answer", "check_answer(v"):
            assert marker not in text
        for student in ("demo", "key", "lazy", "alice"):
            for answer in _answers(assignment, student)[1]:
                if answer.kind == "count" and answer.expected >= 100:
                    assert f"{answer.expected}" not in text, (student, answer.name)
                if answer.kind == "quantity" and len(f"{answer.expected:.4g}") >= 5:  # '0.2059', not '2'
                    assert f"{answer.expected:.4g}" not in text, (student, answer.name)
    released = {p.name for p in course.path("release").rglob("*")}
    assert not released & {"answer_keys", "gradebook.db", "autograded", "feedback"}


@pytest.mark.slow
def test_leak_check_catches_a_solution_line(graded_course, tmp_path):
    course = open_course(graded_course["course"].root)
    copy = tmp_path / "course"
    shutil.copytree(course.root / "source", copy / "source")
    shutil.copytree(course.path("release"), copy / "release")
    shutil.copy(course.root / "nbgrader_config.py", copy)
    notebook = next((copy / "release" / "01_systolic_arrays").glob("*.ipynb"))
    data = json.loads(notebook.read_text(encoding="utf-8"))
    data["cells"][4]["source"] = "q1_cycles = 2 * v.num_rows + v.a_n + v.a_m - 2"
    notebook.write_text(json.dumps(data), encoding="utf-8")
    leaks = find_leaks(open_course(copy), "01_systolic_arrays")
    assert len(leaks) == 1 and "solution text" in leaks[0]


@pytest.mark.slow
def test_the_source_scores_full_autograded_marks_for_two_variants(graded_course):
    for student, assignments in (("key", ASSIGNMENTS), ("key2", ["01_systolic_arrays"])):
        for assignment in assignments:
            rows = [r for (s, _), r in _report(graded_course, assignment).items() if s == student]
            autograded = [r for r in rows if r["kind"] == "autograded"]
            assert autograded and all(r["status"] == "passed" for r in autograded), rows
            assert all(r["status"] == "needs manual grading" for r in rows if r["kind"] == "manual")
            assert not [r for r in rows if r["status"] == "error"], rows
            maximum = sum(float(r["max_score"]) for r in autograded)
            assert _grades(graded_course)[(student, assignment)] == maximum


@pytest.mark.slow
def test_the_unchanged_release_scores_zero(graded_course):
    for assignment in ASSIGNMENTS:
        assert _grades(graded_course)[("lazy", assignment)] == 0
        rows = [r for (s, _), r in _report(graded_course, assignment).items() if s == "lazy"]
        assert {r["status"] for r in rows if r["kind"] == "manual"} == {"unanswered"}


@pytest.mark.slow
def test_a_wrong_answer_fails_its_test_with_the_teaching_hint(graded_course):
    report = _report(graded_course, "01_systolic_arrays")
    assert "ignores the fill and drain latency" in report[("wrong", "q1_test")]["message"]
    assert "looks like a percentage" in report[("wrong", "q2_test")]["message"]
    assert "round up" in report[("wrong", "q3_rows_test")]["message"]
    assert report[("wrong", "q3_cols_test")]["status"] == "passed"
    assert _grades(graded_course)[("wrong", "01_systolic_arrays")] == 1.0
    feedback = graded_course["run"].feedback_dir / "wrong" / "01_systolic_arrays" / "systolic_arrays.html"
    html = feedback.read_text(encoding="utf-8")
    assert "ignores the fill and drain latency" in html
    expected = {a.name: a.expected for a in _answers("01_systolic_arrays", "wrong")[1]}
    assert f"q1_cycles = {expected['q1_cycles']}" not in html


@pytest.mark.slow
def test_raising_deleting_and_looping_submissions_are_graded_and_explained(graded_course):
    report = _report(graded_course, "01_systolic_arrays")
    assert report[("broken", "q1_answer")]["message"] == "ValueError: my own bug"
    assert report[("broken", "q4_answer")]["message"].startswith("CellTimeoutError")
    assert "deleted this cell; nbgrader put it back" in report[("broken", "q3_rows_test")]["status"]
    assert _grades(graded_course)[("broken", "01_systolic_arrays")] == 0
    assert report[("garbled", "")]["status"] == "not graded"
    assert any("'garbled'" in problem for problem in graded_course["run"].problems)
    assert (graded_course["run"].feedback_dir / "broken" / "01_systolic_arrays" / "systolic_arrays.html").is_file()


@pytest.mark.slow
def test_answer_keys_are_executed_for_one_student_and_kept_apart(graded_course):
    (key,) = graded_course["keys"]
    course = graded_course["course"]
    assert key == course.root / "answer_keys" / "01_systolic_arrays" / "alice" / "systolic_arrays.ipynb"
    assert key.with_suffix(".html").is_file()
    cells = _cells(key)
    outputs = [o for cell in cells if cell["cell_type"] == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert "student 'alice'" in json.dumps(cells[2]["outputs"])
    assert "**Rubric" in "".join(c for cell in cells for c in cell["source"])
