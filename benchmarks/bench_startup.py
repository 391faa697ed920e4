"""Start-up time of every ``chiplab`` command and of ``import chiplab`` (issue 11's target: < 120 ms to start each
command's ``--help``). Each case is a fresh interpreter, run ``--repeats`` times; the median is printed,
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


def _cases(tree: Path) -> dict[str, list[str]]:
    """The reference interpreter, ``import chiplab``, every registered command's ``--help`` and ``chiplab --help``
    (the commands are read from the measured tree's ``COMMAND_MODULES``, so a new command is timed too)."""
    listing = "from chiplab.cli import COMMAND_MODULES; print(' '.join(COMMAND_MODULES))"
    commands = subprocess.run([sys.executable, "-c", listing], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                              capture_output=True, text=True, check=True).stdout.split()
    return {"bare interpreter (python -c pass)": ["-c", "pass"],
            "import chiplab": ["-c", "import chiplab"],
            **{f"chiplab {command} --help": ["-m", "chiplab", command, "--help"] for command in commands},
            "chiplab --help (every command)": ["-m", "chiplab", "--help"]}


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
    tree = options.tree.resolve()
    for label, arguments in _cases(tree).items():
        wall_ms, cpu_ms = _median_ms(arguments, tree, options.repeats)
        print(f"  {label:<36} {wall_ms:7.1f} ms wall, {cpu_ms:7.1f} ms CPU")


if __name__ == "__main__":
    main()
