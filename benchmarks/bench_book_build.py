"""How long the whole book takes to execute and build (issue 6's target: under 3 minutes on 2 cores).

A measurement, not a test: timings on a shared machine are quoted in notes, never asserted.

    .venv/bin/python benchmarks/bench_book_build.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        book = Path(scratch) / "book"
        shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build"))
        start = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", "-W", "-n", "--keep-going",
                               str(book)], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(f"book build: {seconds:.0f} s (exit {done.returncode}; target < 180 s on 2 cores)")
        if done.returncode:
            print(json.dumps(done.stderr[-2000:]))


if __name__ == "__main__":
    main()
