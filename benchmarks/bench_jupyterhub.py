"""How long the JupyterHub round trip takes (tests/exercises/test_jupyterhub.py; issue 14 asks for a few minutes in CI).

A measurement, not a test: timings on a shared machine are quoted in notes, never asserted. Needs root and
``make install`` (configurable-http-proxy in node_modules/), like the test.

    sudo .venv/bin/python benchmarks/bench_jupyterhub.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/exercises/test_jupyterhub.py"


def main() -> None:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST], cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"JupyterHub round trip: {seconds:.0f} s wall, {children.ru_utime + children.ru_stime:.0f} s CPU of this "
          f"process's children (exit {done.returncode}; load average before: {load:.1f})")
    if done.returncode:
        print(done.stdout[-3000:])


if __name__ == "__main__":
    main()
