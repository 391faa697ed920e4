"""Run one submission as an unprivileged user in a scratch directory, with time, memory and process limits.

What isolates a submission, and why these tools (util-linux, on every Linux; no extra package):

* a private mount namespace (``unshare --mount``): empty, fresh ``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/root`` and
  ``/home``, and an empty directory over the course directory and the repository's ``exercises/`` — so the
  submission cannot see ``source/``, the answers in ``grader/``, ``gradebook.db``, other submissions or
  ``nbgrader_config.py``, and has nowhere to write but its scratch directory. The interpreter, the virtual
  environment and the chiplab package are mounted back, read-only, where they were hidden;
* a separate, unprivileged user (:data:`SANDBOX_USER`: created once, no home, no shell, no groups,
  ``no_new_privs``) via ``setpriv``, so file permissions protect everything else;
* ``prlimit``: address space, CPU seconds, processes and file size; a private PID namespace (``unshare --pid``),
  so that killing the runner at the wall-clock limit kills every process the submission started;
* an emptied environment (no ``PYTHONPATH`` to the grader, no hub tokens) with ``CHIPLAB_STUDENT_ID`` set to the
  submission's student, so the notebook shows the numbers the grader will use.

Bubblewrap does the same mounts, but as an extra package that must run as root here to re-expose an interpreter
under ``/root``; ``unshare`` + ``setpriv`` + ``prlimit`` are already on every machine that can run the grader (as
root: CI does, a hub's instructor uses ``sudo``).
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chiplab.grading.export import EXPORT_FILE
from chiplab.units import GiB

SANDBOX_USER = "chiplab-sandbox"
MAX_EXPORT_BYTES = 1_000_000
MAX_NOTEBOOK_BYTES = 20_000_000


@dataclass(frozen=True)
class Limits:
    """Per-notebook limits; the defaults fit every solution of the course with a wide margin."""

    cell_timeout_s: float = 60.0
    wall_s: float = 600.0
    memory_bytes: int = 4 * GiB
    cpu_s: int = 600
    num_processes: int = 256
    file_bytes: int = 100_000_000


@dataclass(frozen=True)
class SandboxRun:
    """What came back from one sandboxed run: the exported text, the executed notebook, the log."""

    exports_text: str
    executed_text: str
    log: str
    returncode: int | None  # None: killed at the wall-clock limit


def unavailable_reason() -> str:
    """"" when submissions can be sandboxed here, else why not."""
    if not hasattr(os, "geteuid"):
        return "the sandbox needs Linux"
    if os.geteuid() != 0:
        return "the sandbox needs root (to run each submission as another user): run the grader with sudo"
    missing = [tool for tool in ("unshare", "setpriv", "prlimit", "mount") if shutil.which(tool) is None]
    if missing:
        return f"the sandbox needs util-linux's {' and '.join(missing)}"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "mount", "-t", "tmpfs", "tmpfs",
                            "/mnt"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"the sandbox needs mount namespaces (unshare --mount): {probe.stderr.strip()}"
    return ""


def sandbox_user() -> pwd.struct_passwd:
    """The sandbox user, created (system user, no home, no login shell) if it does not exist yet."""
    try:
        return pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", SANDBOX_USER], check=True, capture_output=True)
        return pwd.getpwnam(SANDBOX_USER)


def _read_owned(path: Path, uid: int, limit: int) -> str:
    """The file's text if it is a regular file owned by ``uid`` and not a link; "" otherwise (never follows links)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != uid or info.st_nlink != 1:
            return ""
        return handle.read(limit).decode("utf-8", errors="replace")


HIDDEN_DIRS = ("/root", "/home", "/tmp", "/var/tmp", "/dev/shm")
SCRATCH_PARENT = Path("/var/lib/chiplab-sandbox")
NOISE = "Kernel is running over TCP without encryption"  # ipykernel's warning on every start: not news in a log


def _hidden_dirs(private: list[Path]) -> list[Path]:
    """Directories replaced by an empty tmpfs: homes, temporary space, the course and the repository's exercises."""
    import chiplab

    repo_exercises = Path(chiplab.__file__).resolve().parent.parent / "exercises"
    dirs = [Path(d) for d in HIDDEN_DIRS] + [p.resolve() for p in private] + [repo_exercises]
    dirs = [d for d in dict.fromkeys(dirs) if d.is_dir()]
    return [d for d in dirs if not any(d != other and d.is_relative_to(other) for other in dirs)]


def _kept_paths() -> list[Path]:
    """What the submission needs to run: the interpreter's prefix, the environment and the chiplab package."""
    import chiplab

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(chiplab.__file__).resolve().parent]
    paths += [Path(p).resolve() for p in sys.path if p and Path(p).is_dir() and "site-packages" in p]
    return [p.resolve() for p in dict.fromkeys(paths)]


def _mount_script(hold: Path, hidden: list[Path], kept: list[Path], scratch: Path, command: list[str]) -> str:
    """Shell run as root in the new mount namespace: hide, re-expose read-only, then drop to the sandbox user."""
    q = shlex.quote
    lines = ["set -eu", "mount --make-rprivate /"]
    kept = [k for k in kept if any(k.is_relative_to(h) for h in hidden)]
    for number, path in enumerate(kept):
        lines += [f"mkdir -p {q(str(hold / str(number)))}", f"mount --bind {q(str(path))} {q(str(hold / str(number)))}"]
    for path in hidden:
        mode = "1777" if str(path) in ("/tmp", "/var/tmp", "/dev/shm") else "755"
        lines.append(f"mount -t tmpfs -o mode={mode},size=256m,nosuid,nodev tmpfs {q(str(path))}")
    for number, path in enumerate(kept):
        lines += [f"mkdir -p {q(str(path))}", f"mount --bind {q(str(hold / str(number)))} {q(str(path))}",
                  f"mount -o remount,bind,ro {q(str(path))}"]
    lines += [f"cd {q(str(scratch))}", "exec " + " ".join(q(part) for part in command)]
    return "\n".join(lines)


def run_submission(notebook_json: str, student_id: str, limits: Limits = Limits(),
                   private: list[Path] | None = None) -> SandboxRun:
    """Execute an assembled submission (JSON text) in the sandbox for ``student_id`` and read back its results.

    ``private``: more directories to hide (the course directory).
    """
    reason = unavailable_reason()
    if reason:
        raise PermissionError(reason)
    user = sandbox_user()
    SCRATCH_PARENT.mkdir(mode=0o711, parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=SCRATCH_PARENT))
    hold = Path(tempfile.mkdtemp(prefix="hold-", dir=SCRATCH_PARENT))
    try:
        (scratch / "submission.ipynb").write_text(notebook_json, encoding="utf-8")
        for path in (scratch, scratch / "submission.ipynb"):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(scratch, 0o700)
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(scratch),
               "TMPDIR": str(scratch), "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(scratch / ".matplotlib"),
               "JUPYTER_RUNTIME_DIR": str(scratch / ".jupyter-runtime"), "IPYTHONDIR": str(scratch / ".ipython"),
               "CHIPLAB_STUDENT_ID": student_id}
        inner = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                 "--no-new-privs", "--", "prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_s}",
                 f"--nproc={limits.num_processes}", f"--fsize={limits.file_bytes}", "--core=0", "--",
                 sys.executable, "-m", "chiplab.grading.sandbox_run", "submission.ipynb", "executed.ipynb",
                 f"{limits.cell_timeout_s:g}"]
        script = _mount_script(hold, _hidden_dirs(private or []), _kept_paths(), scratch, inner)
        # A private PID namespace too: when its first process (the runner) ends or is killed, the kernel kills
        # every process left in it (a setsid or double-forked escapee included), and no other grader's runs.
        command = ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private", "--",
                   "/bin/sh", "-c", script]
        process = subprocess.Popen(command, cwd="/", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            output, _ = process.communicate(timeout=limits.wall_s)
            returncode: int | None = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            returncode = None
        log = "\n".join(line for line in output.decode("utf-8", errors="replace").splitlines()
                         if NOISE not in line)[-100_000:]
        if returncode is None:
            log += f"\nthe notebook ran longer than {limits.wall_s:g} s in all and was stopped"
        return SandboxRun(_read_owned(scratch / EXPORT_FILE, user.pw_uid, MAX_EXPORT_BYTES),
                          _read_owned(scratch / "executed.ipynb", user.pw_uid, MAX_NOTEBOOK_BYTES), log, returncode)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(hold, ignore_errors=True)
