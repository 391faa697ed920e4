"""nbgrader's exchange with The Littlest JupyterHub's users (reproduction 7): release → fetch → submit → collect →
autograde → feedback, with two real OS users ``jupyter-alice`` and ``jupyter-bob`` whose hub names are ``alice`` and
``bob`` (``JUPYTERHUB_USER``), as TLJH creates them. No hub process runs: the exchange, the users and their
environment are the hub's; the hub server itself is not exercised.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest_book import ROOT, isolated_jupyter_env

from chiplab.grading import variant_of
from chiplab.grading.course import autograde, open_course, release, require_ok, run_nbgrader
from chiplab.grading.sandbox import SCRATCH_PARENT, _kept_paths, _mount_script

sys.path.insert(0, str(ROOT / "exercises" / "grader"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tljh.py, shared with the JupyterHub test
from chiplab_answers import answers
from tljh import ASSIGNMENT, NOTEBOOK, answered, exchange_course, hold_tljh_users, skip_unless_possible


def _as(user: pwd.struct_passwd, hub_name: str, *command: str) -> subprocess.CompletedProcess:
    """Run ``command`` in the user's home as that user, with the hub's environment (the interpreter re-exposed)."""
    hold = Path(tempfile.mkdtemp(prefix="hold-", dir=SCRATCH_PARENT))
    inner = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", *command]
    script = _mount_script(hold, [Path("/root")], _kept_paths(), Path(user.pw_dir), inner)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": user.pw_dir, "LANG": "C.UTF-8",
           "JUPYTERHUB_USER": hub_name, "PYTHONNOUSERSITE": "1"}
    try:
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script],
                              env=env, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(hold, ignore_errors=True)


@pytest.mark.slow
def test_tljh_users_round_trip_through_nbgraders_exchange(tmp_path_factory, monkeypatch, request):
    skip_unless_possible("")
    students = hold_tljh_users(request)
    SCRATCH_PARENT.mkdir(mode=0o711, parents=True, exist_ok=True)
    exchange = Path(tempfile.mkdtemp(prefix="exchange-", dir=SCRATCH_PARENT))
    os.chmod(exchange, 0o777)
    root = tmp_path_factory.mktemp("hubcourse")
    exchange_course(root, exchange)
    for name, value in isolated_jupyter_env(root / "jupyter-home").items():
        monkeypatch.setenv(name, value)
    for name in ("CHIPLAB_STUDENT_ID", "JUPYTERHUB_USER", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    course = open_course(root)
    release(course, [ASSIGNMENT])
    require_ok(run_nbgrader(course, "release_assignment", ASSIGNMENT, "--course=chiplab"), "release_assignment")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for hub_name, user in students.items():
        home = Path(user.pw_dir)
        shutil.rmtree(home / ASSIGNMENT, ignore_errors=True)
        fetched = _as(user, hub_name, *nbgrader, "fetch_assignment", ASSIGNMENT, "--course=chiplab",
                      f"--Exchange.root={exchange}")
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        shown = _as(user, hub_name, sys.executable, "-c", "from chiplab.grading import load_variant; "
                    f"print(load_variant({ASSIGNMENT!r}, '').student_id)")
        assert shown.stdout.strip() == user.pw_name, shown.stdout + shown.stderr  # the exchange's id, not alice
        # the student answers every autograded question right for the numbers their notebook shows (alice), or
        # copies alice's numbers (bob)
        whose = students["alice"].pw_name
        values = {a.name: sorted(a.expected)[0] if isinstance(a.expected, set) else a.expected
                  for a in answers(ASSIGNMENT, variant_of(ASSIGNMENT, whose).params)}
        notebook = home / ASSIGNMENT / NOTEBOOK
        notebook.write_text(json.dumps(answered(json.loads(notebook.read_text(encoding="utf-8")), values)),
                            encoding="utf-8")
        submitted = _as(user, hub_name, *nbgrader, "submit", ASSIGNMENT, "--course=chiplab",
                        f"--Exchange.root={exchange}")
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    require_ok(run_nbgrader(course, "collect", ASSIGNMENT, "--course=chiplab"), "collect")
    assert sorted(p.name for p in course.path("submitted").iterdir()) == ["jupyter-alice", "jupyter-bob"]
    run = autograde(course, [ASSIGNMENT])
    with run.grades_csv.open(encoding="utf-8") as handle:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores["jupyter-alice"] == 8.0  # all autograded points: her numbers were the ones graded
    assert scores["jupyter-bob"] < 8.0  # alice's numbers under bob's id
    require_ok(run_nbgrader(course, "release_feedback", ASSIGNMENT, "--course=chiplab"), "release_feedback")
    fetched = _as(students["alice"], "alice", *nbgrader, "fetch_feedback", ASSIGNMENT, "--course=chiplab",
                  f"--Exchange.root={exchange}")
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert list((Path(students["alice"].pw_dir) / ASSIGNMENT / "feedback").rglob("systolic_arrays.html"))
    shutil.rmtree(exchange, ignore_errors=True)
