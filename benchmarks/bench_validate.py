"""Speed of ``chiplab validate`` over the whole measurement record (issue 13 target: < 10 s on 2 cores).

Measures the command as a user runs it (a fresh process: imports, reading the record, every case, summary and
orderings), then the library call cold (caches cleared) and warm (cached), and the error-band lookup, which reads
the stored record instead of re-running cases.

Run: .venv/bin/python benchmarks/bench_validate.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from timing import median_ms

from chiplab.perf import error_band
from chiplab.perf.chip_gemm import gemm_on_chip
from chiplab.perf.validation import validate
from chiplab.perf.validation_summary import orderings, summarize


def _command_s(*arguments: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chiplab", "validate", *arguments], check=True, capture_output=True)
    return time.perf_counter() - start


def _cold() -> None:
    validate.cache_clear()
    gemm_on_chip.cache_clear()
    report = validate()
    summarize(report)
    orderings(report)


def main() -> None:
    print(f"chiplab validate (fresh process, text)          {min(_command_s() for _ in range(3)):6.2f} s")
    print(f"chiplab validate --json (fresh process)         {min(_command_s('--json') for _ in range(3)):6.2f} s")
    print(f"validate() + summary + orderings, cold          {median_ms(_cold, 3) / 1000:6.2f} s")
    print(f"validate() warm (cached)                        {median_ms(validate, 20):6.3f} ms")
    band_ms = median_ms(lambda: error_band('h100', 'training'))
    print(f"error_band('h100', 'training') (warm)           {band_ms:6.3f} ms")
    report = validate()
    print(f"  {len(report.cases)} cases run, {len(report.not_run)} not run")


if __name__ == "__main__":
    main()
