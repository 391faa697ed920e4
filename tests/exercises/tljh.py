"""The Littlest JupyterHub's conventions, for the hub tests: hub user ``alice`` is the OS user ``jupyter-alice``.

TLJH creates a system user ``jupyter-<name>`` for every hub user and starts each single-user server as that user
(its ``UserCreatingSpawner`` around ``SystemdSpawner``; https://tljh.jupyter.org/en/latest/topic/security.html,
accessed 2026-12-07). systemd is not running on a CI container, so :class:`TljhStyleSpawner` is JupyterHub's own
``LocalProcessSpawner`` with the same naming.

One adaptation to this machine: the interpreter of the virtual environment lives under ``/root`` (pyenv), which
only root may enter, whereas a real hub installs its users' Python where they can read it (TLJH: ``/opt/tljh/user``).
The spawner therefore starts each server in a private mount namespace that shows ``/root`` as an empty directory
with the interpreter mounted back read-only (the grading sandbox's recipe, :mod:`chiplab.grading.sandbox`), and only
then becomes the user with ``setpriv``. The server runs as the user with the user's home and environment, as on TLJH.

The hub process imports this module by path (its config inserts this folder into ``sys.path``).
"""

from __future__ import annotations

import pwd
import subprocess
import tempfile
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

from chiplab.grading.sandbox import _kept_paths, _mount_script


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
        become = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]
        script = _mount_script(hold, [Path("/root")], _kept_paths(), Path(user.pw_dir), become) + ' "$@"'
        server = list(self.cmd)
        try:
            # "sh" is $0 of the script; the server command and the hub's arguments become "$@" after setpriv.
            self.cmd = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh",
                        *server]
            return await super().start()
        finally:
            self.cmd = server

