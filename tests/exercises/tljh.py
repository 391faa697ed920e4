"""The Littlest JupyterHub's conventions, for the hub tests: hub user ``alice`` is the OS user ``jupyter-alice``.

TLJH creates a system user ``jupyter-<name>`` for every hub user and starts each single-user server as that user:
``UserCreatingSpawner.start`` in its ``tljh/jupyterhub_config.py`` (github.com/jupyterhub/the-littlest-jupyterhub,
read 2026-12-07) calls ``generate_system_username("jupyter-" + self.user.name)`` (which shortens names over 26
characters with a hash; ours are short) before ``SystemdSpawner`` starts the server. systemd is not running on a CI
container, so :class:`TljhStyleSpawner` is JupyterHub's own ``LocalProcessSpawner`` with the same naming.

One adaptation to this machine: the interpreter of the virtual environment lives under ``/root`` (pyenv), which
only root may enter, whereas a real hub installs its users' Python where they can read it (TLJH: ``/opt/tljh/user``).
The spawner therefore starts each server in a private mount namespace that shows ``/root`` as an empty directory
with the interpreter mounted back read-only (the grading sandbox's recipe, :mod:`chiplab.grading.sandbox`), and only
then becomes the user with ``setpriv``. The server runs as the user with the user's home and environment, as on TLJH.

Also the course both exchange tests (``test_exchange.py``, ``test_jupyterhub.py``) run: one assignment released
through nbgrader's exchange, and students' answers typed into their notebooks.

The hub process imports this module by path (its config inserts this folder into ``sys.path``).
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

from chiplab.grading.sandbox import SCRATCH_PARENT, _kept_paths, _mount_script, unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01_systolic_arrays"  # the course the exchange tests run: one assignment, 8 autograded points
NOTEBOOK = "systolic_arrays.ipynb"
STUDENTS = ("alice", "bob")
LOCK_WAIT_S = 900.0  # another exchange test holding the users finishes well within this


def system_name(hub_name: str) -> str:
    """The OS user TLJH creates for a hub user."""
    return f"jupyter-{hub_name}"


def tljh_user(hub_name: str) -> pwd.struct_passwd:
    """The OS user ``jupyter-<hub_name>`` with a home, created if missing (as TLJH does on first login)."""
    name = system_name(hub_name)
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        return pwd.getpwnam(name)


def hold_tljh_users(request: pytest.FixtureRequest) -> dict[str, pwd.struct_passwd]:
    """alice's and bob's OS users, created if missing, reset, and held by the calling test alone until it ends.

    Both exchange tests use these users and their homes, so two running at once (xdist workers, or two sessions on
    one machine) would overwrite each other's fetched notebooks and nbgrader caches: a lock file serialises them.
    """
    SCRATCH_PARENT.mkdir(mode=0o711, parents=True, exist_ok=True)
    handle = (SCRATCH_PARENT / "tljh-users.lock").open("w")
    request.addfinalizer(handle.close)  # closing releases the lock; so does the process ending, however it ends
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail(f"another test held the users jupyter-alice and jupyter-bob for {LOCK_WAIT_S:g} s")
            time.sleep(1.0)
    users = {name: tljh_user(name) for name in STUDENTS}
    for user in users.values():  # a fresh start: no fetched copy, feedback or nbgrader cache from an earlier run
        for kept in (ASSIGNMENT, ".local/share/jupyter/nbgrader_cache"):
            shutil.rmtree(Path(user.pw_dir) / kept, ignore_errors=True)
    return users


class TljhStyleSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` that runs hub user ``<name>``'s server as OS user ``jupyter-<name>``."""

    hold_parent = Unicode(help="where the wrapper's mount points go (outside /root; the hub's runtime folder)",
                          config=True)

    def _system_user(self) -> pwd.struct_passwd:
        return pwd.getpwnam(system_name(self.user.name))

    def user_env(self, env):
        user = self._system_user()
        env.update(USER=user.pw_name, LOGNAME=user.pw_name, HOME=user.pw_dir, SHELL=user.pw_shell)
        return env

    def make_preexec_fn(self, name):
        # The wrapper in start() must stay root until its mounts are made; setpriv then drops to the user.
        return None

    async def start(self):
        user = self._system_user()
        hold = Path(tempfile.mkdtemp(prefix=f"hold-{user.pw_name}-", dir=self.hold_parent))
        # --pdeathsig: the server stops when the hub does, even if the hub is killed before it can stop it
        become = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--pdeathsig",
                  "TERM", "--"]
        script = _mount_script(hold, [Path("/root")], _kept_paths(), Path(user.pw_dir), become) + ' "$@"'
        server = list(self.cmd)
        try:
            # "sh" is $0 of the script; the server command and the hub's arguments become "$@" after setpriv.
            self.cmd = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh",
                        *server]
            return await super().start()
        finally:
            self.cmd = server



def skip_unless_possible(reason: str) -> None:
    """Skip with ``reason`` (e.g. not root); fail instead under ``CI=true``, where the round trips must run."""
    reason = reason or unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true, so this exchange round trip must run: {reason}", pytrace=False)
        pytest.skip(reason)


def exchange_course(root: Path, exchange: Path) -> None:
    """The instructor's course at ``root``: the assignment's source (its .md twin too, which nbgrader must not
    release), the grader-only answers, and the course's nbgrader config with the exchange at ``exchange``."""
    shutil.copytree(ROOT / "exercises" / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    shutil.copytree(ROOT / "exercises" / "grader", root / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    config = (ROOT / "exercises" / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n", encoding="utf-8")


def answered(notebook: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The notebook with each autograded answer cell replaced by ``name = value`` lines, as a student types them."""
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("_answer") and cell["cell_type"] == "code":
            names = [n for n in values if n.startswith(grade_id.split("_")[0] + "_")]
            cell["source"] = "\n".join(f"{n} = {values[n]!r}" for n in names)
    return notebook
