"""A real JupyterHub round trip (issue 14): the instructor releases; alice and bob fetch, answer and submit through
their own single-user servers on a running hub; the instructor collects, autogrades and releases feedback; both
fetch their feedback through their servers.

What runs, all on localhost: JupyterHub (PyPI) with configurable-http-proxy (npm, installed by ``make install`` into
``node_modules/`` from the committed ``package-lock.json``), JupyterHub's ``dummy`` authenticator (one shared
password, made up per run: no PAM, no system passwords), and JupyterHub's ``LocalProcessSpawner`` starting each
server as the OS user ``jupyter-<name>``, as The Littlest JupyterHub does (``tests/exercises/tljh.py``). The students
act only over HTTP: alice as a browser (login form, *Start My Server*, the OAuth handshake, then cookies and the XSRF
header), bob as a script (an API token the hub issues him). Both use the Jupyter server's contents API to read and
save the notebook, nbgrader's assignment-list server extension (``/assignments/fetch|submit|fetch_feedback``, what
the Assignments tab calls) for the exchange, and a kernel (over its websocket) to check whose numbers the notebook
shows. The instructor uses chiplab's commands.

Needs root (users, the hub spawning as them, the grading sandbox) and ``node_modules/.bin/configurable-http-proxy``;
skips without them, and fails instead under ``CI=true``. The hub, its proxy and the servers stop when the test ends,
fails, or its process is killed (``setpriv --pdeathsig``). Its time is measured by ``benchmarks/bench_jupyterhub.py``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest_book import ROOT, isolated_jupyter_env

from chiplab.grading import variant_of
from chiplab.grading.course import autograde, open_course, release, require_ok, run_nbgrader
from chiplab.grading.sandbox import SCRATCH_PARENT

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tljh.py: imported here and by the hub's config
sys.path.insert(0, str(ROOT / "exercises" / "grader"))
from chiplab_answers import answers  # noqa: E402  (grader-only, found through the path above)
from tljh import (  # noqa: E402
    ASSIGNMENT,
    NOTEBOOK,
    STUDENTS,
    answered,
    exchange_course,
    hold_tljh_users,
    skip_unless_possible,
    system_name,
)

COURSE_ID = "chiplab"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
VENV_BIN = Path(sys.executable).parent
SLIP = "q1_cycles"  # bob's known slip is on this question, worth 2 of the 8 autograded points (the notebook's cell)
WAIT_S = 120.0  # longest wait for the hub or a server to come up (a loaded 2-core machine takes ~10 s)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing_tools() -> str:
    """Why the hub cannot start here ("" when it can)."""
    if not PROXY.exists():
        return f"{PROXY.relative_to(ROOT)} is missing: run `make install` (npm ci installs configurable-http-proxy)"
    if shutil.which("node") is None:
        return "configurable-http-proxy needs Node.js (node) on PATH"
    return ""


def _hub_config(runtime: Path, student_config: Path, admin_token: str, password: str, ports: list[int]) -> str:
    """jupyterhub_config.py: localhost only, the dummy authenticator, TLJH-style users, an admin service token."""
    hub, api, proxy_api = ports
    return f"""
import sys
sys.path.insert(0, {str(HERE)!r})
from tljh import TljhStyleSpawner

c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{hub}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(runtime / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{runtime / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(runtime / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(runtime / "hub.pid")!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {set(STUDENTS)!r}
c.JupyterHub.spawner_class = TljhStyleSpawner
c.TljhStyleSpawner.hold_parent = {str(runtime)!r}
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.environment = {{"JUPYTER_CONFIG_PATH": {str(student_config)!r}}}
c.Spawner.start_timeout = {int(WAIT_S)}
c.Spawner.http_timeout = {int(WAIT_S)}
c.JupyterHub.services = [{{"name": "course-test", "api_token": {admin_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["course-test"]}}]
"""


@dataclass
class Hub:
    """A running hub: its public URL, the admin service's session, the students' password, its log."""

    url: str
    admin: requests.Session
    password: str
    log: Path

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.admin.request(method, f"{self.url}/hub/api{path}", timeout=30, **kwargs)
        assert response.ok, f"{method} /hub/api{path}: {response.status_code} {response.text}\n{self.log_tail()}"
        return response

    def log_tail(self) -> str:
        return "hub log (last lines):\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def wait_until_ready(self, name: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not self.api("GET", f"/users/{name}").json()["servers"].get("", {}).get("ready"):
            assert time.monotonic() < deadline, f"{name}'s server did not start in {WAIT_S:g} s\n{self.log_tail()}"
            time.sleep(0.5)

    def log_in(self, name: str) -> Student:
        """As a browser: the login form (the dummy authenticator's password), *Start My Server*, then the lab page,
        whose OAuth handshake with the hub gives the server's cookie; each call then sends the server's XSRF token
        as JupyterLab does."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30)
        form = {"username": name, "password": self.password, "_xsrf": session.cookies.get("_xsrf", path="/hub/")}
        logged_in = session.post(f"{self.url}/hub/login", data=form, timeout=WAIT_S, allow_redirects=False)
        assert logged_in.status_code == 302, f"{name} could not log in: {logged_in.status_code}\n{self.log_tail()}"
        session.get(f"{self.url}/hub/spawn/{name}", timeout=WAIT_S)
        self.wait_until_ready(name)
        lab = session.get(f"{self.url}/user/{name}/lab", timeout=WAIT_S)
        assert lab.ok and lab.url.startswith(f"{self.url}/user/{name}/lab"), f"{name}: {lab.status_code} {lab.url}"
        session.headers["X-XSRFToken"] = session.cookies.get("_xsrf", path=f"/user/{name}/")
        return Student(name, f"{self.url}/user/{name}", session, self)

    def start_server(self, name: str) -> Student:
        """As a script: the admin starts ``name``'s server and gives the user an API token for it."""
        self.api("POST", f"/users/{name}/server")
        self.wait_until_ready(name)
        token = self.api("POST", f"/users/{name}/tokens", json={"note": "round trip", "expires_in": 3600})
        session = requests.Session()
        session.headers["Authorization"] = f"token {token.json()['token']}"
        return Student(name, f"{self.url}/user/{name}", session, self)


@dataclass
class Student:
    """One student's single-user server, reached through the hub's proxy with the student's own credentials."""

    name: str
    url: str
    session: requests.Session
    hub: Hub

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, self.url + path, timeout=120, **kwargs)
        assert response.ok, f"{self.name}: {method} {path}: {response.status_code} {response.text[:2000]}"
        return response

    def nbgrader(self, action: str) -> list[dict]:
        """What the Assignments tab's button does: POST /assignments/<action>; the assignments it then lists."""
        result = self.call("POST", f"/assignments/{action}",
                           data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}).json()
        assert result.get("success"), f"{self.name}: {action}: {result}\n{self.hub.log_tail()}"
        return result["value"]

    def contents(self, path: str) -> dict:
        return self.call("GET", f"/api/contents/{path}", params={"content": "1"}).json()


@contextmanager
def running_hub(runtime: Path, student_config: Path) -> Iterator[Hub]:
    """Start the hub; on exit (a failure too) stop every user's server, then the hub and its proxy."""
    admin_token, password = uuid.uuid4().hex, uuid.uuid4().hex
    ports = [_free_port() for _ in range(3)]
    config = runtime / "jupyterhub_config.py"
    config.write_text(_hub_config(runtime, student_config, admin_token, password, ports), encoding="utf-8")
    log = runtime / "hub.log"
    env = {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(runtime),
           "PYTHONNOUSERSITE": "1"}
    with log.open("wb") as out:
        # setpriv --pdeathsig: the hub stops (and stops its proxy and servers) if this test's process is killed
        # before its cleanup below can run, e.g. by a timeout around pytest
        command = ["setpriv", "--pdeathsig", "TERM", "--", str(VENV_BIN / "jupyterhub"), "-f", str(config)]
        process = subprocess.Popen(command, cwd=runtime, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    admin = requests.Session()
    admin.headers["Authorization"] = f"token {admin_token}"
    hub = Hub(f"http://127.0.0.1:{ports[0]}", admin, password, log)
    server_pids: set[int] = set()
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            assert process.poll() is None, f"the hub exited with {process.returncode}\n{hub.log_tail()}"
            assert time.monotonic() < deadline, f"the hub did not answer in {WAIT_S:g} s\n{hub.log_tail()}"
            try:
                if admin.get(f"{hub.url}/hub/api/users", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        yield hub
    finally:
        try:  # the servers' process ids, so that none outlives the test even if the hub fails to stop them
            for user in admin.get(f"{hub.url}/hub/api/users", timeout=10).json():
                pid = ((user.get("servers") or {}).get("", {}).get("state") or {}).get("pid")
                if pid:
                    server_pids.add(int(pid))
                admin.delete(f"{hub.url}/hub/api/users/{user['name']}/server", timeout=30)
        except (requests.RequestException, ValueError):
            pass
        process.send_signal(signal.SIGTERM)  # the hub stops its proxy (and any server left) when it exits
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in server_pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _right_answers(student_id: str) -> tuple[dict, dict]:
    """Every autograded answer right for ``student_id``'s numbers, and the chiplab answers themselves."""
    found = {a.name: a for a in answers(ASSIGNMENT, variant_of(ASSIGNMENT, student_id).params)}
    values = {n: sorted(a.expected)[0] if isinstance(a.expected, set) else a.expected for n, a in found.items()}
    return values, found


def _run_in_kernel(student: Student, code: str) -> str:
    """Run ``code`` in a new kernel of the student's server (over the kernel's websocket, as JupyterLab does); its
    standard output."""
    import websocket  # websocket-client, a dependency of jupyter_server

    kernel = student.call("POST", "/api/kernels", json={"name": "python3"}).json()["id"]
    url = student.url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
    credentials = [f"{name}: {value}" for name, value in student.session.headers.items()
                   if name in ("Authorization", "X-XSRFToken")]
    cookies = "; ".join(f"{c.name}={c.value}" for c in student.session.cookies
                        if c.path.startswith(f"/user/{student.name}/"))
    connection = websocket.create_connection(url, header=credentials, cookie=cookies or None, timeout=WAIT_S)
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "username": student.name, "session": uuid.uuid4().hex, "msg_type": "execute_request",
              "version": "5.3", "date": ""}
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False,
               "stop_on_error": True}
    try:
        connection.send(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content,
                                    "channel": "shell", "buffers": []}))
        printed, error = [], None
        while True:
            message = json.loads(connection.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id or message.get("channel") != "iopub":
                continue
            kind = message["msg_type"]
            if kind == "stream":
                printed.append(message["content"]["text"])
            elif kind == "error":
                error = "\n".join(message["content"]["traceback"])
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                break
    finally:
        connection.close()
        student.call("DELETE", f"/api/kernels/{kernel}")
    assert error is None, f"{student.name}'s kernel: {error}"
    return "".join(printed)


@pytest.mark.slow
def test_jupyterhub_round_trip_release_fetch_submit_collect_autograde_feedback(tmp_path_factory, monkeypatch, request):
    skip_unless_possible(_missing_tools())
    hold_tljh_users(request)
    SCRATCH_PARENT.mkdir(mode=0o711, parents=True, exist_ok=True)
    shared = Path(tempfile.mkdtemp(prefix="hub-", dir=SCRATCH_PARENT))  # what the students' servers may read
    try:
        os.chmod(shared, 0o755)
        exchange = shared / "exchange"
        exchange.mkdir(mode=0o777)
        os.chmod(exchange, 0o777)  # nbgrader's exchange is world-writable (its inbound folder is set up by release)
        student_config = shared / "student-config"
        student_config.mkdir(mode=0o755)
        (student_config / "nbgrader_config.py").write_text(
            f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(exchange)!r}\n", encoding="utf-8")
        root = tmp_path_factory.mktemp("hubcourse")
        exchange_course(root, exchange)
        for name, value in isolated_jupyter_env(root / "jupyter-home").items():
            monkeypatch.setenv(name, value)
        for name in ("CHIPLAB_STUDENT_ID", "JUPYTERHUB_USER", "NBGRADER_EXECUTION"):
            monkeypatch.delenv(name, raising=False)
        course = open_course(root)
        release(course, [ASSIGNMENT])
        require_ok(run_nbgrader(course, "release_assignment", ASSIGNMENT, f"--course={COURSE_ID}"), "release")
        with running_hub(tmp_path_factory.mktemp("hub"), student_config) as hub:
            # alice through the login page and cookies, as in a browser; bob with an API token, as a script would
            students = {"alice": hub.log_in("alice"), "bob": hub.start_server("bob")}
            expected_slip = None
            for name, student in students.items():
                listed = student.nbgrader("fetch")
                assert [(a["assignment_id"], a["status"]) for a in listed] == [(ASSIGNMENT, "fetched")], listed
                fetched = [item["name"] for item in student.contents(ASSIGNMENT)["content"]]
                assert fetched == [NOTEBOOK], fetched  # the notebook only: never its .md twin (solutions as text)
                # whose numbers the notebook shows: the exchange's id, the OS user (TLJH's jupyter-<name>)
                shown = _run_in_kernel(student, "from chiplab.grading import load_variant\n"
                                                f"print(load_variant({ASSIGNMENT!r}, '').student_id)")
                assert shown.strip() == system_name(name), shown
                values, found = _right_answers(system_name(name))
                if name == "bob":  # one known slip: the answer a slip produces, for his own numbers
                    expected_slip = found[SLIP].mistakes[0]
                    values[SLIP] = expected_slip.value
                notebook = answered(student.contents(f"{ASSIGNMENT}/{NOTEBOOK}")["content"], values)
                student.call("PUT", f"/api/contents/{ASSIGNMENT}/{NOTEBOOK}",
                             json={"type": "notebook", "format": "json", "content": notebook})
                listed = student.nbgrader("submit")
                assert any(a["status"] == "submitted" for a in listed), listed
            require_ok(run_nbgrader(course, "collect", ASSIGNMENT, f"--course={COURSE_ID}"), "collect")
            assert sorted(p.name for p in course.path("submitted").iterdir()) == [system_name(n) for n in STUDENTS]
            run = autograde(course, [ASSIGNMENT])
            assert not run.problems, run.problems
            require_ok(run_nbgrader(course, "release_feedback", ASSIGNMENT, f"--course={COURSE_ID}"), "feedback")
            feedback = {}
            for name, student in students.items():
                student.nbgrader("fetch_feedback")
                [stamp] = student.contents(f"{ASSIGNMENT}/feedback")["content"]
                feedback[name] = student.contents(f"{stamp['path']}/{NOTEBOOK.replace('.ipynb', '.html')}")["content"]
        with run.grades_csv.open(encoding="utf-8") as handle:
            scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
        with (course.path("reports") / f"{ASSIGNMENT}.csv").open(encoding="utf-8") as handle:
            cells = {(row["student_id"], row["cell"]): row for row in csv.DictReader(handle)}
        points = {c: float(r["max_score"]) for (s, c), r in cells.items() if s == system_name("alice")}
        autograded = sum(v for c, v in points.items() if c.endswith("_test"))
        slip_cell = SLIP.split("_")[0] + "_test"
        # graded against their own numbers (identity = the exchange's student id): alice full, bob loses only q1
        assert scores[system_name("alice")] == autograded
        assert scores[system_name("bob")] == autograded - points[slip_cell]
        assert cells[(system_name("bob"), slip_cell)]["message"].endswith(f"{SLIP}: {expected_slip.hint}")
        assert expected_slip.hint.split(":")[0] in feedback["bob"]  # the hint reached bob's feedback
        assert expected_slip.hint.split(":")[0] not in feedback["alice"]
    finally:
        shutil.rmtree(shared, ignore_errors=True)
