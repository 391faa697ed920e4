"""Start-up time of the ``chiplab`` command and of ``import chiplab`` (issue target: < 120 ms to start
``chiplab scalesim --help``). Each case is a fresh interpreter, run ``--repeats`` times; the median is printed,
next to a bare interpreter's start for reference. ``--tree DIR`` measures another checkout (e.g. a ``git worktree``
of an older commit) with the same interpreter, for before/after numbers.

Run: .venv/bin/python benchmarks/bench_startup.py [--repeats 15] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "bare interpreter (python -c pass)": ["-c", "pass"],
    "import chiplab": ["-c", "import chiplab"],
    "chiplab scalesim --help": ["-m", "chiplab", "scalesim", "--help"],
    "chiplab chips --help": ["-m", "chiplab", "chips", "--help"],
    "chiplab --help (every command)": ["-m", "chiplab", "--help"],
}


def _median_ms(arguments: list[str], tree: Path, repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *arguments], cwd=tree, env=env, stdout=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    options = parser.parse_args()
    print(f"{options.tree} (median of {options.repeats} runs, {os.cpu_count()} CPUs)")
    for label, arguments in CASES.items():
        print(f"  {label:<36} {_median_ms(arguments, options.tree.resolve(), options.repeats):7.1f} ms")


if __name__ == "__main__":
    main()
