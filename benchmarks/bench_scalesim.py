"""chiplab's SCALE-Sim reports vs SCALE-Sim 3.0.0 itself: 1024x1024x1024 GEMM, 128x128 WS, 4 MB SRAMs.

Three cases, all golden cases of tests/golden/scalesim: CALC mode (``bench_gemm_1024_128x128_ws``), USER mode
at a starving bandwidth (``bench_user_gemm_1024_128x128_ws``: the OFMAP drains at 1 word/cycle, reads at 4) and
layer-wise 2:4 sparsity (``bench_sparse_gemm_1024_128x128_ws``, ellpack_block, CALC; issue 17) and row-wise
sparsity (``bench_rowwise_gemm_1024_128x128_ws``, BlockSize 8, csr, CALC).
Issue targets: chiplab >= 100x faster than SCALE-Sim in all, measured in the same run. Run

    .venv/bin/python benchmarks/bench_scalesim.py [CASE ...]                      # chiplab only
    PYTHONPATH=. /tmp/scalesim-venv/bin/python benchmarks/bench_scalesim.py [CASE ...]   # both, in one run

(the second needs a throwaway venv with ``pip install scalesim==3.0.0 'numpy<2.4'``). Both write the same
three report CSVs, which are compared at the end. Numbers go in the closing note, not in assertions.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chiplab.scalesim import run_scalesim

CASES_DIR = Path(__file__).resolve().parents[1] / "tests" / "golden" / "scalesim" / "cases"
CASES = ("bench_gemm_1024_128x128_ws", "bench_user_gemm_1024_128x128_ws", "bench_sparse_gemm_1024_128x128_ws",
         "bench_rowwise_gemm_1024_128x128_ws")
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")
SPARSE_REPORT = "SPARSE_REPORT.csv"  # sparse runs only


def time_chiplab(case: Path, out_dir: Path, repeats: int = 20) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_scalesim(case / "scalesim.cfg", case / "topology.csv", out_dir, input_type="gemm")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def time_scalesim(case: Path, out_dir: Path) -> float | None:
    try:
        from scalesim.scale_sim import scalesim
    except ImportError:
        return None
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(case / "scalesim.cfg"),
                       topology=str(case / "topology.csv"), layout=str(case / "layout.csv"), input_type_gemm=True)
        sim.run_scale(top_path=str(out_dir))
    return time.perf_counter() - start


def main() -> None:
    for name in sys.argv[1:] or CASES:
        print(f"== {name}")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            chiplab_s = time_chiplab(CASES_DIR / name, tmp / "chiplab")
            print(f"chiplab   run_scalesim (median of 20, incl. parsing and CSV writing): {chiplab_s * 1e3:8.2f} ms")
            scalesim_s = time_scalesim(CASES_DIR / name, tmp / "scalesim")
            if scalesim_s is None:
                print("SCALE-Sim not importable: run with a venv that has scalesim==3.0.0 to time it in the same run")
                continue
            print(f"SCALE-Sim 3.0.0 (one run, traces off):                             {scalesim_s:8.2f} s")
            print(f"speed-up: {scalesim_s / chiplab_s:,.0f}x (Python {sys.version.split()[0]})")
            sparse = (CASES_DIR / name / SPARSE_REPORT).exists()
            same = all((tmp / "chiplab" / name / r).read_bytes() == (tmp / "scalesim" / name / r).read_bytes()
                       for r in REPORTS + ((SPARSE_REPORT,) if sparse else ()))
            print("reports identical byte for byte:", same)


if __name__ == "__main__":
    main()
