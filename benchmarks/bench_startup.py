"""Start-up time of the ``chiplab`` command and of ``import chiplab`` (issue target: < 120 ms to start
``chiplab scalesim --help``). Each case is a fresh interpreter, run ``--repeats`` times; the median is printed,
next to a bare interpreter's start for reference. ``--tree DIR`` measures another checkout (e.g. a ``git worktree``
of an older commit) with the same interpreter, for before/after numbers.

Run: .venv/bin/python benchmarks/bench_startup.py [--repeats 15] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _median_ms(arguments: list[str], tree: Path, repeats: int) -> tuple[float, float]:
    """Median (wall-clock, CPU) milliseconds of a fresh interpreter. CPU time (user + system of the child) barely
    moves when other work shares the machine, so it is the number to compare on a busy one."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, *arguments], cwd=tree, env=env, stdout=subprocess.DEVNULL, check=True)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    options = parser.parse_args()
    print(f"{options.tree} (median of {options.repeats} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    for label, arguments in CASES.items():
        wall_ms, cpu_ms = _median_ms(arguments, options.tree.resolve(), options.repeats)
        print(f"  {label:<36} {wall_ms:7.1f} ms wall, {cpu_ms:7.1f} ms CPU")


if __name__ == "__main__":
    main()
