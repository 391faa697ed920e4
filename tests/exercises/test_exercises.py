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
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from conftest_book import ROOT, isolated_jupyter_env

from chiplab.errors import ChiplabInputError
from chiplab.grading import check_format, list_assignments, load_variant, problem_set, variant_of
from chiplab.grading.checks import find_format, matches
from chiplab.grading.course import find_leaks, open_course, release
from chiplab.grading.report import latest_log

EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(EXERCISES / "grader"))  # the grader-only answers, as the grader's own processes see them
from chiplab_answers import answers as grader_answers  # noqa: E402
from chiplab_answers import check_answer  # noqa: E402

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


def test_whose_variant(monkeypatch):
    assignment = "01_systolic_arrays"
    identity = load_variant(assignment, "").identity
    assert (identity.student_id, identity.source) == ("demo", "demo") and "STUDENT_ID" in identity.note
    assert load_variant(assignment, "typed").student_id == "typed"
    monkeypatch.setenv("CHIPLAB_STUDENT_ID", "graded")  # what the grader's sandbox sets: it wins, with a note
    graded = load_variant(assignment, "typed")
    assert graded.student_id == "graded" and "graded as 'graded'" in str(graded)


@pytest.mark.parametrize(("os_user", "hub_user", "expected"), [
    ("jupyter-alice", "alice", "jupyter-alice"),  # The Littlest JupyterHub: nbgrader files it under the OS user
    ("jovyan", "alice", "alice"),  # Docker/Kubernetes hubs: everyone is jovyan, nbgrader uses JUPYTERHUB_USER
])
def test_on_a_hub_the_kernel_shows_the_numbers_of_nbgraders_exchange_id(monkeypatch, os_user, hub_user, expected):
    """Reproduction 7: on TLJH chiplab read JUPYTERHUB_USER while nbgrader filed submissions under jupyter-<name>.
    The rule is nbgrader.utils.get_username (nbgrader 0.9.6)."""
    import pwd

    from nbgrader.utils import get_username

    entry = pwd.struct_passwd((os_user, "x", 1000, 1000, "", "/home/" + os_user, "/bin/bash"))
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: entry)
    monkeypatch.setenv("JUPYTERHUB_USER", hub_user)
    assert get_username() == expected
    variant = load_variant("01_systolic_arrays", "")
    assert variant.student_id == expected and variant.params == variant_of("01_systolic_arrays", expected).params
    assert "leave STUDENT_ID empty" in load_variant("01_systolic_arrays", "someone-else").identity.note


def test_hidden_tests_grade_the_submission_folder_not_the_kernel(monkeypatch, tmp_path):
    """Reproduction 3: the grader's id comes from autograded/<student>/<assignment>/, whatever the notebook says."""
    from chiplab_answers import graded_student_id

    assignment = "01_systolic_arrays"
    folder = tmp_path / "autograded" / "zoe" / assignment
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("CHIPLAB_STUDENT_ID", "victim")
    assert graded_student_id(load_variant(assignment, "victim")) == "zoe"
    victims = {a.name: a.expected for a in _answers(assignment, "victim")[1]}
    zoes = {a.name: a.expected for a in _answers(assignment, "zoe")[1]}
    differing = [name for name in victims if victims[name] != zoes[name] and not isinstance(victims[name], set)]
    assert differing
    for name in differing:
        assert not check_answer(load_variant(assignment, "victim"), name, victims[name])
        assert check_answer(load_variant(assignment, "victim"), name, zoes[name])


def test_students_cannot_reach_the_answers():
    """Reproductions 1-2: nothing a student installs or is sent knows an expected value."""
    import subprocess

    import chiplab.grading

    assert not hasattr(problem_set("01_systolic_arrays"), "answers")
    assert "check_answer" not in dir(chiplab.grading)
    probe = "import chiplab_answers"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'include = ["chiplab*"]' in pyproject  # the wheel holds chiplab only: exercises/grader is never packaged


# What a student's kernel tries: call every function the installed problem sets define (public or not) with the
# variant's parameters (or a picker, or the workload's pieces) and print every five numbers that come back, and
# every dict holding the design knobs' names, as candidate designs for 09.
DESIGN_PROBE = """
import dataclasses, importlib, inspect, json, numbers
import chiplab.grading.problems as problems
from chiplab.grading import variant_of
from chiplab.grading.variants import Picker
v = variant_of('09_design_project', STUDENT)
p = v.params
arguments = [(), (p,), (Picker('09_design_project', 'probe'),), (p.base, p.m, p.d), (p.base, p.gemm), (p.gemm,)]
callables = []
for path in ['chiplab.grading.problems', *problems.MODULES.values()]:
    module = importlib.import_module(path)
    for name, item in vars(module).items():
        if inspect.isfunction(item) and item.__module__.startswith('chiplab.grading.problems'):
            callables.append(item)
        if inspect.isclass(item) and item.__module__.startswith('chiplab.grading.problems'):
            callables += [f for f in vars(item).values() if inspect.isfunction(f)]
found = []
def collect(value, depth=0):
    if depth > 4:
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        if any(str(key).startswith('design_') for key in value):
            found.append([value.get(n) for n in KNOBS])
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        flat = [x for x in value if isinstance(x, numbers.Real) and not isinstance(x, bool)]
        if len(flat) == 5:
            found.append([float(x) for x in flat])
        for item in value:
            collect(item, depth + 1)
for function in callables:
    for args in arguments:
        try:
            collect(function(*args))
        except Exception:
            pass
try:
    import chiplab_answers
    found.append('chiplab_answers importable')
except ImportError:
    pass
print(json.dumps({'calls': len(callables), 'found': found}))
"""


def test_nothing_a_student_imports_returns_a_design_that_meets_the_brief():
    """Lab 09's integrity gap: its budget and target came from a reference design the installed problem module could
    rebuild (``reference_design``), so reading chiplab's source gave a design that meets the brief. Now a student
    kernel (no grader on its path) calls everything ``chiplab.grading.problems`` defines, and no five numbers that
    come back are a design that meets the student's brief; the grader's own search does find one."""
    import subprocess

    from chiplab_answers.design_search import compliant_design, report

    from chiplab.errors import ChiplabInputError as Refused
    from chiplab.grading.problems.design import DESIGN_NAMES

    for student in ("jdoe", "alice", "student07"):
        code = f"STUDENT = {student!r}\nKNOBS = {list(DESIGN_NAMES)!r}\n" + DESIGN_PROBE
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}, timeout=300)
        assert result.returncode == 0, result.stderr
        probe = json.loads(result.stdout.strip().splitlines()[-1])
        assert probe["calls"] > 10, probe  # the probe did reach the problem sets' functions
        p = variant_of("09_design_project", student).params
        assert compliant_design(p) is not None  # the brief can be met: the probe failing is not for lack of a design
        for knobs in probe["found"]:
            assert knobs != "chiplab_answers importable"
            try:
                rows, cols, cores, clock_hz, bandwidth = knobs
                numbers = report(p.base, p.gemm, int(rows), int(cols), int(cores), float(clock_hz), float(bandwidth))
            except (Refused, TypeError, ValueError, OverflowError):
                continue
            assert not (numbers.power_w <= p.power_budget_w and numbers.time_s <= p.target_time_s), (student, knobs)


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
    return variant, grader_answers(assignment, variant.params)


def _format(assignment: str, variant, name: str):
    return find_format(problem_set(assignment).formats(variant.params), name)


def _a_value(answer, target):
    return sorted(target)[0] if isinstance(target, set) else target


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_known_mistakes_fail_with_their_hint_and_never_reveal_the_answer(assignment):
    num_hints = 0
    for student in STUDENTS:
        variant, answers = _answers(assignment, student)
        for answer in answers:
            fmt = _format(assignment, variant, answer.name)
            assert check_answer(variant, answer.name, _a_value(answer, answer.expected))
            for mistake in answer.mistakes:
                if not mistake.value or matches(fmt, _a_value(answer, mistake.value), answer.expected):
                    continue  # this slip gives the right answer for this variant
                verdict = check_answer(variant, answer.name, _a_value(answer, mistake.value))
                assert not verdict and verdict.message.startswith(answer.name)
                assert any(m.hint in verdict.message for m in answer.mistakes)
                if fmt.kind == "count" and answer.expected >= 100:
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
    variant = variant_of(assignment, "jdoe")
    for cell in cells:  # reproduction 6: each question states how it is compared
        source = "".join(cell["source"])
        if 'check_format(v, "' in source:
            name = source.split('check_format(v, "')[1].split('"')[0]
            assert f"# {name}: {_format(assignment, variant, name).tolerance_text}." in source
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


DUE_DATE = "2026-01-01 00:00:00 UTC"
LATE_TIMESTAMP = "2026-01-02 12:00:00.000000 UTC"  # a day and a half late: two started days
SWALLOWING_LOOP = "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except BaseException:\n        pass"


def _solution(assignment: str, grade_id: str) -> str:
    """The source notebook's answer cell ``grade_id`` (solution included), as a student who got it right wrote it."""
    cell = next(c for c in _cells(_source_notebook(assignment)) if _grade_id(c) == grade_id)
    return "".join(cell["source"])


def _attacks(course_root: Path) -> dict[str, str]:
    """Answer cells of the attackers of reproductions 1-4 (each in its own submission of 01_systolic_arrays)."""
    course = repr(str(course_root))
    return {
        # 1. list the expected answers from the student's own session
        "lister": "import chiplab.grading as g\ntry:\n    from chiplab_answers import answers\n"
                  "    q1_cycles = {a.name: a.expected for a in answers(v.assignment, v.params)}['q1_cycles']\n"
                  "except ImportError:\n    q1_cycles = g.problem_set(v.assignment).answers(v.params)[0].expected",
        # 2. switch the hidden test off from an answer cell
        "switcher": "check_answer = lambda *a, **k: True\ncheck_format = check_answer\nimport builtins\n"
                    "builtins.check_answer = check_answer\nq1_cycles = 1",
        # 3. impersonate a classmate (environment, typed id, working directory)
        "impostor": "import os\nos.environ.pop('NBGRADER_EXECUTION', None)\nos.environ['CHIPLAB_STUDENT_ID'] = 'key'\n"
                    "os.environ['JUPYTERHUB_USER'] = 'key'\nSTUDENT_ID = 'key'\n"
                    "v = load_variant('01_systolic_arrays', 'key')\n"
                    + _solution("01_systolic_arrays", "q1_answer"),
        # 4. read and write the course from inside the submission
        "intruder": f"import os, pathlib\ncourse = pathlib.Path({course})\nseen = {{}}\n"
                    "for path in ['source/01_systolic_arrays/systolic_arrays.ipynb', 'gradebook.db', "
                    "'nbgrader_config.py', 'grader/chiplab_answers/systolic.py', "
                    "'submitted/key/01_systolic_arrays/systolic_arrays.ipynb']:\n"
                    "    try:\n        seen[path] = (course / path).read_bytes()[:20]\n"
                    "    except OSError as error:\n        seen[path] = type(error).__name__\n"
                    "for path in ['nbgrader_config.py', 'submitted/key/01_systolic_arrays/systolic_arrays.ipynb']:\n"
                    "    try:\n        (course / path).write_text('c = 1')\n        seen['wrote ' + path] = True\n"
                    "    except OSError as error:\n        seen['wrote ' + path] = type(error).__name__\n"
                    "for path in ['/tmp/chiplab-intruder', str(course.parent / 'chiplab-intruder')]:\n"
                    "    try:\n        open(path, 'w').write('x')\n        seen['wrote ' + path] = True\n"
                    "    except OSError as error:\n        seen['wrote ' + path] = type(error).__name__\n"
                    "print('INTRUDER', seen)\nq1_cycles = 1",
    }


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
    # Reproduction 8: a dead kernel, a loop that swallows the interrupt and a deleted answer cell cost only their own
    # questions; q1 and q3 are right.
    partial = _answered(_cells(released), {
        "q1_answer": _solution(assignment, "q1_answer"), "q2_answer": SWALLOWING_LOOP,
        "q3_answer": _solution(assignment, "q3_answer"),
        "q4_answer": _solution(assignment, "q4_answer") + "\nimport os\nos._exit(1)"})
    _put(folder, "partial", assignment, released, [c for c in partial if _grade_id(c) != "q5_answer"])
    for attacker, code in _attacks(course.root).items():
        _put(folder, attacker, assignment, released, _answered(_cells(released), {"q1_answer": code}))
    # Reproduction 5: a classmate's numbers copied under one's own id (twice: the copies share their wrong values).
    keys = {a.name: _a_value(a, a.expected) for a in _answers(assignment, "key")[1]}
    cells = {"q1_answer": ["q1_cycles"], "q2_answer": ["q2_utilization_fraction"], "q4_answer": ["q4_cycles"],
             "q3_answer": ["q3_row_folds", "q3_col_folds"], "q5_answer": ["q5_best_dataflow"]}
    copied = {cell: "\n".join(f"{name} = {keys[name]!r}" for name in names) for cell, names in cells.items()}
    for copier in ("copier", "copier2"):
        _put(folder, copier, assignment, released, _answered(_cells(released), copied))
    (folder / "key" / "05_economics" / "timestamp.txt").write_text(LATE_TIMESTAMP, encoding="utf-8")
    (folder / "garbled" / assignment).mkdir(parents=True)
    (folder / "garbled" / assignment / released.name).write_text("{this is not a notebook", encoding="utf-8")
    (folder / "typo" / "01_systolic_array").mkdir(parents=True)  # reproduction 9: a misspelt assignment folder
    (folder / "typo" / "01_systolic_array" / released.name).write_text(released.read_text(encoding="utf-8"))
    return {"wrong": wrong}


def _course_files(course) -> dict[str, bytes]:
    """Everything of the course a submission must neither read nor change (not the grader's own outputs)."""
    paths = [course.root / "nbgrader_config.py", *course.path("source").rglob("*.ipynb"),
             *course.grader_path.rglob("*.py"), *course.path("submitted", "key").rglob("*.ipynb")]
    return {str(path.relative_to(course.root)): path.read_bytes() for path in paths}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory, timings):
    """A course in a temporary folder: released, autograded in the sandbox, with answer keys for 'alice'."""
    from chiplab.grading.course import autograde
    from chiplab.grading.keys import answer_keys
    from chiplab.grading.results import import_roster, set_due_date
    from chiplab.grading.sandbox import unavailable_reason

    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true, so the sandboxed autograding tests must run: {reason}", pytrace=False)
        pytest.skip(f"sandboxed autograding needs root and mount namespaces here: {reason}")
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(EXERCISES / "source", root / "source")
    shutil.copytree(EXERCISES / "grader", root / "grader", ignore=shutil.ignore_patterns("__pycache__"))
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
        roster = root.parent / f"{root.name}-roster.csv"
        roster.write_text("id,first_name,last_name,email\nghost,Gina,Ghost,gina@example.edu\n"
                          "key,Kim,Key,kim@example.edu\n", encoding="utf-8")
        import_roster(course, roster)
        set_due_date(course, "05_economics", DUE_DATE)
        inbox = root.parent / f"{root.name}-inbox"
        made = _make_submissions(course, inbox)
        start = time.perf_counter()
        run = autograde(course, submissions=inbox, timeout_s=CELL_TIMEOUT_S)
        num_notebooks = len(list(inbox.rglob("*.ipynb")))
        timings[f"exercises: sandboxed autograde + feedback + export ({num_notebooks} notebooks)"] = (
            time.perf_counter() - start)
        before = _course_files(course)
        grades_before = _grades({"run": run})
        start = time.perf_counter()
        regrade = autograde(course, ["01_systolic_arrays"], timeout_s=CELL_TIMEOUT_S, student="intruder")
        timings["exercises: --student regrade of one notebook"] = time.perf_counter() - start
        start = time.perf_counter()
        keys = answer_keys(course, ["01_systolic_arrays"], student_id="alice", timeout_s=60)
        timings["exercises: one answer key"] = time.perf_counter() - start
    return {"course": course, "run": run, "keys": keys, "before": before, "grades_before": grades_before,
            "regrade": regrade, **made}


def _report(graded_course, assignment: str) -> dict[tuple[str, str], dict]:
    path = graded_course["course"].root / "reports" / f"{assignment}.csv"
    with path.open(encoding="utf-8") as handle:
        return {(row["student_id"], row["cell"]): row for row in csv.DictReader(handle)}


def _grades(graded_course, column: str = "score") -> dict[tuple[str, str], float]:  # {"run": ...} is enough
    with graded_course["run"].grades_csv.open(encoding="utf-8") as handle:
        return {(row["student_id"], row["assignment"]): float(row[column]) for row in csv.DictReader(handle)}


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
            variant, answers = _answers(assignment, student)
            for answer in answers:
                kind = _format(assignment, variant, answer.name).kind
                if kind == "count" and answer.expected >= 100:
                    assert f"{answer.expected}" not in text, (student, answer.name)
                if kind == "quantity" and len(f"{answer.expected:.4g}") >= 5:  # '0.2059', not '2'
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
            assert _grades(graded_course, "raw_score")[(student, assignment)] == maximum  # 05 is late: see below


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
    assert report[("broken", "q3_rows_test")]["status"] == "failed"  # a deleted test cell is run all the same
    assert _grades(graded_course)[("broken", "01_systolic_arrays")] == 0
    garbled = report[("garbled", "")]
    assert garbled["status"] == "missing" and "not a readable notebook" in garbled["message"]
    assert any("garbled" in problem and "not a notebook" in problem for problem in graded_course["run"].problems)
    assert (graded_course["run"].feedback_dir / "broken" / "01_systolic_arrays" / "systolic_arrays.html").is_file()


@pytest.mark.slow
def test_one_failure_costs_only_its_own_questions_and_the_log_says_why(graded_course):
    """Reproduction 8: a dead kernel (os._exit), an interrupt-swallowing loop and a deleted answer cell."""
    report = _report(graded_course, "01_systolic_arrays")
    passed = {cell for (student, cell), row in report.items() if student == "partial" and row["status"] == "passed"}
    assert passed == {"q1_test", "q3_rows_test", "q3_cols_test"}
    assert _grades(graded_course)[("partial", "01_systolic_arrays")] == 4.0  # q1 (2) + q3 (1 + 1)
    assert report[("partial", "q4_answer")]["message"].startswith("DeadKernelError")
    assert report[("partial", "q2_answer")]["message"].startswith("CellTimeoutError")
    assert any("partial" in p and "'q5_answer' was deleted" in p for p in graded_course["run"].problems)
    log_dir = graded_course["course"].root / report[("partial", "q1_test")]["log"]
    log = (log_dir / "autograde.log").read_text(encoding="utf-8")
    assert "the kernel died while running it" in log and "ran longer than" in log
    assert (log_dir / "systolic_arrays.ipynb").is_file()  # the notebook as it ran in the sandbox


@pytest.mark.slow
def test_the_attacks_score_zero_and_change_nothing_of_anyone_else(graded_course):
    """Reproductions 1-4, each submitted as a real notebook and autograded in the sandbox."""
    grades, report = _grades(graded_course), _report(graded_course, "01_systolic_arrays")
    for attacker in _attacks(Path("/")):
        assert report[(attacker, "q1_test")]["status"] == "failed", attacker
        assert grades[(attacker, "01_systolic_arrays")] == 0, attacker
    assert "AttributeError" in report[("lister", "q1_answer")]["message"]  # no answers in the student's session
    assert "is not right for your variant" in report[("impostor", "q1_test")]["message"]
    course = graded_course["course"]
    assert _course_files(course) == graded_course["before"]  # nothing of the course was changed ...
    assert graded_course["grades_before"][("key", "01_systolic_arrays")] == grades[("key", "01_systolic_arrays")]
    executed = latest_log(course, "01_systolic_arrays", "intruder") / "systolic_arrays.ipynb"
    seen = next(o["text"] for cell in _cells(executed) for o in cell.get("outputs", [])
                if "INTRUDER" in "".join(o.get("text", "")))
    seen = "".join(seen)
    for path in ("source/", "gradebook.db", "nbgrader_config.py", "grader/", "submitted/key"):  # ... nor read
        assert f"'{path}" in seen or f"'wrote {path}" in seen
    assert ": b'" not in seen and "True" not in seen.replace("'wrote /tmp/chiplab-intruder': True", ""), seen
    assert not Path("/tmp/chiplab-intruder").exists()  # the sandbox's /tmp is its own
    feedback = (graded_course["run"].feedback_dir / "intruder" / "01_systolic_arrays" / "systolic_arrays.html")
    html = feedback.read_text(encoding="utf-8")  # the hidden tests' code may show in a traceback; no answer does
    assert "Rubric" not in html and "Model answer" not in html and "intruder" in html


@pytest.mark.slow
def test_submissions_are_never_dropped_silently(graded_course):
    """Reproduction 9: a misspelt folder and a renamed notebook are named; an empty submitted/ is an error."""
    from chiplab.grading.course import GradingError, autograde

    problems = graded_course["run"].problems
    assert any("typo/01_systolic_array was not graded" in p and "did you mean '01_systolic_arrays'" in p
               for p in problems)
    empty = open_course(graded_course["course"].root)
    with pytest.raises(GradingError, match="nothing to autograde from student 'nobody'"):
        autograde(empty, ["01_systolic_arrays"], student="nobody")


@pytest.mark.slow
def test_a_regrade_of_one_student_keeps_every_log(graded_course):
    course = graded_course["course"]
    runs = sorted((course.root / "logs" / "01_systolic_arrays" / "intruder").iterdir())
    assert len(runs) == 2 and all((run / "autograde.log").is_file() for run in runs)
    assert len(list((course.root / "logs" / "01_systolic_arrays" / "key").iterdir())) == 1
    assert _report(graded_course, "01_systolic_arrays")[("intruder", "q1_test")]["log"].endswith(runs[-1].name)


@pytest.mark.slow
def test_released_scratch_cells_run(graded_course):
    released = next(graded_course["course"].path("release", "03_rooflines").glob("*.ipynb"))
    scratch = next(cell for cell in _cells(released) if _grade_id(cell) == "q7_scratch")
    assert "NotImplementedError" not in "".join(scratch["source"])


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


@pytest.mark.slow
def test_copying_a_classmates_numbers_does_not_score(graded_course):
    """Reproduction 5: the copier's values are the key student's answers, graded against the copier's variant."""
    keys = {a.name: a.expected for a in _answers("01_systolic_arrays", "key")[1]}
    own = {a.name: a.expected for a in _answers("01_systolic_arrays", "copier")[1]}
    report = _report(graded_course, "01_systolic_arrays")
    tests = {"q1_cycles": "q1_test", "q2_utilization_fraction": "q2_test", "q3_row_folds": "q3_rows_test",
             "q3_col_folds": "q3_cols_test", "q4_cycles": "q4_test", "q5_best_dataflow": "q5_test"}
    differing = [name for name in keys if keys[name] != own[name]]
    assert len(differing) >= 4
    for name in differing:
        assert report[("copier", tests[name])]["status"] == "failed", name


@pytest.mark.slow
def test_class_reports_find_shared_wrong_answers_and_summarise_each_question(graded_course):
    course = graded_course["course"]
    with (course.root / "reports" / "01_systolic_arrays-identical-wrong.csv").open(encoding="utf-8") as handle:
        shared = list(csv.DictReader(handle))
    assert any(row["students"] == "copier copier2" and row["question"] == "q4_cycles" for row in shared), shared
    assert not any("key" in row["students"].split() for row in shared)
    with (course.root / "reports" / "01_systolic_arrays-questions.csv").open(encoding="utf-8") as handle:
        stats = {row["cell"]: row for row in csv.DictReader(handle)}
    submitted = len(list(course.path("submitted").glob("*/01_systolic_arrays")))
    assert int(stats["q1_test"]["num_students"]) == submitted - 1  # every submission but the garbled one
    passed = sum(1 for (s, c), row in _report(graded_course, "01_systolic_arrays").items()
                 if c == "q1_test" and row["status"] == "passed")
    assert int(stats["q1_test"]["num_passed"]) == passed >= 3


@pytest.mark.slow
def test_roster_students_who_never_submitted_score_zero(graded_course):
    grades = _grades(graded_course)
    for assignment in ASSIGNMENTS:
        assert grades[("ghost", assignment)] == 0
        assert _report(graded_course, assignment)[("ghost", "")]["status"] == "missing"


@pytest.mark.slow
def test_late_work_loses_ten_percent_per_started_day(graded_course):
    with graded_course["run"].grades_csv.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if (r["student_id"], r["assignment"]) == ("key", "05_economics"))
    raw = float(row["raw_score"])
    assert raw > 0 and float(row["late_submission_penalty"]) == pytest.approx(0.2 * raw)
    assert float(row["score"]) == pytest.approx(0.8 * raw)


@pytest.mark.slow
def test_grades_for_canvas_and_gradescope(graded_course, tmp_path):
    from chiplab.grading.results import write_lms_csv

    grades = _grades(graded_course)
    canvas = write_lms_csv(graded_course["run"].grades_csv, "canvas", tmp_path / "canvas.csv")
    with canvas.open(encoding="utf-8") as handle:
        rows = {row["SIS Login ID"]: row for row in csv.DictReader(handle)}
    assert list(rows["key"])[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows["key"]["Student"] == "Key, Kim" and rows["ghost"]["01_systolic_arrays"] == "0.0"
    assert float(rows["key"]["01_systolic_arrays"]) == grades[("key", "01_systolic_arrays")]
    gradescope = write_lms_csv(graded_course["run"].grades_csv, "gradescope", tmp_path / "gradescope.csv")
    with gradescope.open(encoding="utf-8") as handle:
        rows = {row["SID"]: row for row in csv.DictReader(handle)}
    assert rows["key"]["Email"] == "kim@example.edu" and rows["key"]["First Name"] == "Kim"


@pytest.mark.slow
def test_expected_answers_per_student_and_as_csv(graded_course, capsys):
    from chiplab.grading.__main__ import main

    course = graded_course["course"]
    assert main(["answers", "01_systolic_arrays", "--course", str(course.root), "--student", "key"]) == 0
    printed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    expected = {a.name: a.expected for a in _answers("01_systolic_arrays", "key")[1]}
    assert printed[0]["student_id"] == "key" and int(printed[0]["q4_cycles"]) == expected["q4_cycles"]
    out = course.root / "expected.csv"
    assert main(["answers", "01_systolic_arrays", "--course", str(course.root), "--csv", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        students = {row["student_id"] for row in csv.DictReader(handle)}
    assert {"key", "wrong", "intruder"} <= students
