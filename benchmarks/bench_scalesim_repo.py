"""chiplab on every topology file shipped in SCALE-Sim's own repository: time and peak memory per file.

Issue 17's target: every file finishes in < 5 s and < 1 GB at any array size from 8x8 to 256x256, CALC and USER
mode alike. SCALE-Sim's repository (github.com/scalesim-project/scale-sim-v2, MIT licence) is not vendored:
export its ``topologies/`` folder first, e.g. from a clone::

    git -C scale-sim-v2 archive HEAD topologies | tar -x -C /tmp/ss-topos
    .venv/bin/python benchmarks/bench_scalesim_repo.py /tmp/ss-topos/topologies [--arrays 8 32] [--modes CALC]

Each (file, array, mode) runs in a fresh subprocess (so peak RSS is that run's own), with a 60 s limit. The
config is SCALE-Sim's ``configs/google.cfg`` (6 MiB/6 MiB/2 MiB SRAMs, WS) at the given square array size
(``--cols`` for R x C arrays, ``--dataflow os``/``is`` for the other dataflows). Files whose header names
M, N, K are read as GEMM (``-i gemm``), the rest as convolutions. Prints one line per run
and a summary; numbers go in the closing note, not in assertions. Each line shows wall time and the child's CPU
time: on a shared, loaded machine the CPU time is what the run itself costs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIG = """\
[general]
run_name = repo_{rows}x{cols}_{mode}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    6144
FilterSramSzkB:   6144
OfmapSramSzkB:    2048
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : {dataflow}
Bandwidth : {bandwidth}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {bandwidth}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {bandwidth}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[run_presets]
InterfaceBandwidth: {mode}
UseRamulatorTrace: False

[sparsity]
SparsitySupport : false
"""

# Runs in the child: time the run, report peak RSS (ru_maxrss is KiB on Linux).
_CHILD = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from chiplab.errors import ChiplabInputError
from chiplab.scalesim import run_scalesim
cfg, topo, out, kind = sys.argv[1:5]
start, cpu_start = time.perf_counter(), time.process_time()
try:
    layers = len(run_scalesim(cfg, topo, out, input_type=kind))
    status = "ok"
except ChiplabInputError as exc:
    layers, status = 0, "refused: " + str(exc)[:300]
seconds = time.perf_counter() - start
print(json.dumps({"status": status, "layers": layers, "s": seconds, "cpu_s": time.process_time() - cpu_start,
                  "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def input_type(path: Path) -> str:
    header = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()[:1]
    names = [f.strip().upper() for f in header[0].split(",")] if header else []
    return "gemm" if {"M", "N", "K"} <= set(names) else "conv"


def run_one(topology: Path, rows: int, mode: str, dataflow: str, bandwidth: int, workdir: Path,
            limit_s: float, cols: int | None = None) -> dict:
    cols = rows if cols is None else cols
    cfg = workdir / f"{rows}x{cols}_{mode}_{dataflow}.cfg"
    cfg.write_text(CONFIG.format(rows=rows, cols=cols, mode=mode, dataflow=dataflow, bandwidth=bandwidth))
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(cfg), str(topology), str(workdir / "out"),
                               input_type(topology)], capture_output=True, text=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {limit_s:g} s", "layers": 0, "s": limit_s, "cpu_s": limit_s, "peak_bytes": 0}
    if done.returncode != 0:
        return {"status": "crash: " + done.stderr.strip().splitlines()[-1][:300], "layers": 0, "s": 0,
                "cpu_s": 0, "peak_bytes": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topologies", type=Path, help="SCALE-Sim's topologies/ folder")
    parser.add_argument("--arrays", type=int, nargs="+", default=[8, 32, 128, 256])
    parser.add_argument("--modes", nargs="+", default=["CALC", "USER"])
    parser.add_argument("--dataflow", default="ws")
    parser.add_argument("--cols", type=int, help="array width for every run (default: square arrays)")
    parser.add_argument("--bandwidth", type=int, default=10)
    parser.add_argument("--limit-s", type=float, default=60)
    parser.add_argument("--only", nargs="*", help="substrings of the file paths to run")
    parser.add_argument("--json", type=Path, help="also write every run's result to this JSON file")
    args = parser.parse_args()
    files = sorted(args.topologies.rglob("*.csv"))
    if args.only:
        files = [f for f in files if any(s in str(f) for s in args.only)]
    worst_s, worst_bytes, failures, records = 0.0, 0, [], []
    worst: dict[tuple[str, int], list] = {}  # (mode, array) -> [slowest s, its file, largest bytes, its file]
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            for rows in args.arrays:
                for topology in files:
                    result = run_one(topology, rows, mode, args.dataflow, args.bandwidth, Path(tmp), args.limit_s,
                                     args.cols)
                    name, shape = topology.relative_to(args.topologies), f"{rows}x{args.cols or rows}"
                    status = "" if result["status"] == "ok" else result["status"]
                    print(f"{mode} {shape:>7} {result['s']:7.2f} s ({result['cpu_s']:6.2f} s CPU) "
                          f"{result['peak_bytes'] / 2**20:7.0f} MiB "
                          f"{result['layers']:>5} layers  {name}  {status}", flush=True)
                    worst_s, worst_bytes = max(worst_s, result["s"]), max(worst_bytes, result["peak_bytes"])
                    records.append({"mode": mode, "array": rows, "file": str(name), **result})
                    cell = worst.setdefault((mode, rows), [0.0, "", 0, ""])
                    if result["s"] > cell[0]:
                        cell[0:2] = result["s"], str(name)
                    if result["peak_bytes"] > cell[2]:
                        cell[2:4] = result["peak_bytes"], str(name)
                    if result["status"] != "ok" or result["s"] >= 5 or result["peak_bytes"] >= 1e9:
                        failures.append(f"{mode} {shape} {name}: {result['status']}, {result['s']:.1f} s, "
                                        f"{result['peak_bytes'] / 2**20:.0f} MiB")
    print(f"\n{len(files)} files x {len(args.arrays)} arrays x {len(args.modes)} modes: slowest {worst_s:.2f} s, "
          f"largest peak {worst_bytes / 2**20:.0f} MiB; {len(failures)} runs over 5 s / 1 GB or not finished:")
    for line in failures:
        print("  " + line)
    print("\nworst per mode and array (timeouts count as the limit):")
    for (mode, rows), (slow_s, slow_file, big_bytes, big_file) in worst.items():
        print(f"  {mode} {rows:>3}x{rows:<3} slowest {slow_s:6.2f} s ({slow_file}), "
              f"largest {big_bytes / 2**20:6.0f} MiB ({big_file})")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
