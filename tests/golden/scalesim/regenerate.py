"""Regenerate the SCALE-Sim 3.0.0 golden reports that tests/scalesim/test_scalesim_parity.py compares chiplab against.

SCALE-Sim is *not* a chiplab dependency. Run this script with the Python of a throwaway virtual environment that
has it (SCALE-Sim 3.0.0 crashes on numpy >= 2.4):

    python3 -m venv /tmp/scalesim-venv
    /tmp/scalesim-venv/bin/pip install scalesim==3.0.0 'numpy<2.4'
    /tmp/scalesim-venv/bin/python tests/golden/scalesim/regenerate.py [--skip-slow] [--only NAME ...]

For every [[case]] in cases.toml it writes cases/<name>/scalesim.cfg, topology.csv and layout.csv (SCALE-Sim
insists on a layout file even when custom layouts are off), runs SCALE-Sim on them in a fresh subprocess and
copies COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv (and SPARSE_REPORT.csv for sparse
cases, topo_arrays.json, the layers SCALE-Sim's topology reader stored, for verbatim `topology_text` cases) into the
case directory. It
also records SCALE-Sim's wall time per case in timings.txt. pytest never imports this file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES_TOML = HERE / "cases.toml"
CASES_DIR = HERE / "cases"
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")
SPARSE_REPORT = "SPARSE_REPORT.csv"  # written by SCALE-Sim only when SparsitySupport is true
DEFAULT_OFFSETS = (0, 10000000, 20000000)

# Runs inside a fresh interpreter so that no SCALE-Sim state leaks from one case to the next.
# It also saves the layers SCALE-Sim's topology reader stored (topo_arrays, as JSON): for `topology_text` cases they
# are the expected parse (tests/scalesim/test_topology_rows.py).
_RUNNER = """
import json, sys
from scalesim.scale_sim import scalesim
cfg, topo, layout, out, gemm = sys.argv[1:6]
sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
               input_type_gemm=(gemm == "gemm"))
with open(out + "/" + "topo_arrays.json", "w") as f:
    json.dump(sim.topo.topo_arrays, f)
sim.run_scale(top_path=out)
"""
TOPO_ARRAYS = "topo_arrays.json"


def config_text(case: dict) -> str:
    """A complete SCALE-Sim 3.0.0 config: scale_config.read_conf_file() needs every one of these keys."""
    rows, cols = case["array"]
    ifmap_kb, filter_kb, ofmap_kb = case["sram_kb"]
    ifmap_off, filter_off, ofmap_off = case.get("offsets", DEFAULT_OFFSETS)
    bandwidth = case.get("bandwidth", 10)
    # USER mode reads IFMAP/filter DRAM bandwidths from [layout] (SCALE-Sim 3.0.0 quirk): let a case set them apart.
    ifmap_bw, filter_bw = case.get("read_bandwidth", [bandwidth, bandwidth])
    # [sparsity]: a case with sparse_rep turns SparsitySupport on (layer-wise N:M from the topology rows, or
    # row-wise with optimized_mapping).
    sparse = "sparse_rep" in case
    return f"""\
[general]
run_name = {case["name"]}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    {ifmap_kb}
FilterSramSzkB:   {filter_kb}
OfmapSramSzkB:    {ofmap_kb}
IfmapOffset:    {ifmap_off}
FilterOffset:   {filter_off}
OfmapOffset:    {ofmap_off}
Bandwidth : {bandwidth}
Dataflow : {case["dataflow"]}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {ifmap_bw}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {filter_bw}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : {"true" if sparse else "false"}
SparseRep : {case.get("sparse_rep", "ellpack_block")}
OptimizedMapping : {"true" if case.get("optimized_mapping", False) else "false"}
BlockSize : {case.get("block_size", 8)}
RandomNumberGeneratorSeed : {case.get("seed", 40)}

[run_presets]
InterfaceBandwidth: {case.get("mode", "CALC")}
UseRamulatorTrace: False
"""


def topology_text(case: dict) -> str:
    """SCALE-Sim's own CSV style: a header line, ', ' separators and a trailing comma on every row; or, for a case
    with ``topology_text``, that text verbatim (rows copied from real users' files, quirks included)."""
    if "topology_text" in case:
        return case["topology_text"]
    sparsity = case.get("sparsity_col", False)
    if case["input_type"] == "gemm":
        header = ["Layer", "M", "N", "K"]
    else:
        header = ["Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                  "Num Filter", "Strides"]
    if sparsity:
        header.append("Sparsity")
    lines = [", ".join(header) + ","]
    for row in case["layers"]:
        fields = [str(x) for x in row] + (["1:1"] if sparsity else [])
        lines.append(", ".join(fields) + ",")
    return "\n".join(lines) + "\n"


def run_case(case: dict) -> float:
    """Write the inputs, run SCALE-Sim, copy its reports; return SCALE-Sim's wall time in seconds."""
    case_dir = CASES_DIR / case["name"]
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / "scalesim.cfg").write_text(config_text(case))
    (case_dir / "topology.csv").write_text(topology_text(case))
    (case_dir / "layout.csv").write_text("Layer name,\n")  # header only: custom layouts are off
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-c", _RUNNER, str(case_dir / "scalesim.cfg"), str(case_dir / "topology.csv"),
                str(case_dir / "layout.csv"), tmp, case["input_type"]]
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        wall_s = time.perf_counter() - start
        for report in REPORTS + ((SPARSE_REPORT,) if "sparse_rep" in case else ()):
            shutil.copyfile(Path(tmp) / case["name"] / report, case_dir / report)
        if "topology_text" in case:
            shutil.copyfile(Path(tmp) / TOPO_ARRAYS, case_dir / TOPO_ARRAYS)
    return wall_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-slow", action="store_true", help="leave out cases marked slow = true")
    parser.add_argument("--only", nargs="*", default=None, help="case names to regenerate (default: all)")
    args = parser.parse_args()
    try:
        import scalesim  # noqa: F401  (only to check that it is importable)
    except ImportError:
        print("SCALE-Sim is not importable from this Python; nothing regenerated.\n"
              "Run with a throwaway venv: pip install scalesim==3.0.0 'numpy<2.4' (see this file's docstring).")
        return 0
    print(f"SCALE-Sim {version('scalesim')}, numpy {version('numpy')}, Python {sys.version.split()[0]}")
    cases = tomllib.loads(CASES_TOML.read_text())["case"]
    if args.only:
        unknown = set(args.only) - {c["name"] for c in cases}
        if unknown:
            parser.error(f"unknown case name(s): {sorted(unknown)}")
        cases = [c for c in cases if c["name"] in args.only]
    if args.skip_slow:
        cases = [c for c in cases if not c.get("slow", False)]
    timings_path = HERE / "timings.txt"
    timings = {}
    if timings_path.exists():
        for line in timings_path.read_text().splitlines():
            if line and not line.startswith("#"):
                name, seconds = line.split()
                timings[name] = seconds
    for case in cases:
        wall_s = run_case(case)
        timings[case["name"]] = f"{wall_s:.1f}"
        print(f"{case['name']:<40} {wall_s:7.1f} s")
    header = (f"# SCALE-Sim {version('scalesim')} wall time per case in seconds (one fresh subprocess each, "
              "interpreter start-up included), as last measured by regenerate.py\n")
    timings_path.write_text(header + "".join(f"{k} {v}\n" for k, v in sorted(timings.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
