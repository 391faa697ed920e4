"""chiplab's topology reader against SCALE-Sim 3.0.0's own, on real files and on random rows.

Run with chiplab's Python, naming a Python that has SCALE-Sim 3.0.0 (see regenerate.py) and, optionally, the
``topologies/`` folder of SCALE-Sim's repository (github.com/scalesim-project/scale-sim-v2, not vendored)::

    .venv/bin/python tests/golden/scalesim/parse_check.py --scalesim-python /tmp/scalesim-venv/bin/python \\
        [--topologies /tmp/ss-topologies/topologies] [--random-rows 6000 --seed 1]

For every file (read as GEMM when its header names M, N and K, as benchmarks/bench_scalesim_repo.py does) and
every random one-row file it prints what each reader does: both read it (and whether chiplab's layers equal
SCALE-Sim's ``topo_arrays``: name, 9 dimensions, the ratio at items 9-10), both refuse it (and at which line),
or only one reads it. Expected: no "DIFFERENT", no crash, and chiplab reads a file SCALE-Sim refuses only when a
row merely lacks its trailing comma. pytest never imports this file; the numbers go in the closing note.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from chiplab.errors import ChiplabInputError
from chiplab.scalesim import load_topology

# Runs in SCALE-Sim's interpreter: the layers its reader stores, or the exception and the first line it stops at.
_SCALESIM = """
import json, sys
from scalesim.topology_utils import topologies
out = []
for path, kind in json.load(sys.stdin):
    try:
        t = topologies(); t.load_arrays(topofile=path, mnk_inputs=kind == "gemm")
        out.append({"layers": [row[:11] for row in t.topo_arrays]})
    except Exception as exc:
        lines, line = open(path).read().split("\\n"), None
        for n in range(2, len(lines) + 1):
            open(path + ".part", "w").write("\\n".join(lines[:n]) + "\\n")
            try:
                topologies().load_arrays(topofile=path + ".part", mnk_inputs=kind == "gemm")
            except Exception:
                line = n
                break
        out.append({"error": type(exc).__name__, "line": line})
json.dump(out, sys.stdout)
"""
TOKENS = ["1", "2", "3", "4", "7", "8", "16", " 5", "+3", "0", "-2", "", " ", "x", "B", "#dw", "1:1", "2:4",
          "1:2:7", "3:3", "4:2", "0:4", ":4", "2:", "1_0", "\u00b2", "9", "12"]


def input_type(path: Path) -> str:
    header = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()[:1]
    return "gemm" if header and {"M", "N", "K"} <= {f.strip().upper() for f in header[0].split(",")} else "conv"


def random_row(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["gemm", "conv"])
    columns = 4 if kind == "gemm" else 8
    fields = [rng.choice(["L", "", "DP_x", " n "])] + [str(rng.choice([1, 2, 3, 4, 5, 8, 9, 12]))
                                                       for _ in range(columns - 1)]
    fields = (fields + [rng.choice(TOKENS) for _ in range(3)])[:rng.choice([-1, 0, 0, 1, 1, 2, 3]) + columns]
    if rng.random() < 0.3:
        fields[rng.randrange(len(fields))] = rng.choice(TOKENS)
    return kind, ",".join(fields) + rng.choice([",", ",", "", ", ", ",,"])


def chiplab_reads(path: Path, kind: str) -> dict:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = load_topology(path, kind)
    except ChiplabInputError as exc:
        where = str(exc).split(": ", 1)[0]
        return {"error": "refused", "line": int(where.rsplit(":", 1)[1]) if where.rsplit(":", 1)[-1].isdigit()
                else None, "message": str(exc)}
    return {"layers": [[x.name, x.ifmap_height, x.ifmap_width, x.filter_height, x.filter_width, x.num_channels,
                        x.num_filters, x.stride, x.stride, *x.sparsity_ratio] for x in layers]}


def verdict(ours: dict, theirs: dict, text: str) -> str:
    if "layers" in ours and "layers" in theirs:
        return "both read, same layers" if ours["layers"] == theirs["layers"] else "both read, DIFFERENT"
    if "layers" in theirs:
        return "SCALE-Sim reads, chiplab refuses: " + ours["message"].split(": ", 1)[1][:70]
    if "layers" in ours:
        rows = [r.strip() for r in text.split("\n")[1:] if r.strip()]
        return ("SCALE-Sim stops, chiplab reads: a row without its trailing comma"
                if any(not r.endswith(",") for r in rows) else "SCALE-Sim stops, chiplab reads: CHECK")
    same_line = "same line" if ours["line"] == theirs["line"] else f"lines {ours['line']} vs {theirs['line']}"
    return f"both refuse ({same_line})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalesim-python", required=True)
    parser.add_argument("--topologies", type=Path)
    parser.add_argument("--random-rows", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(p, input_type(p), p.read_text(errors="replace"))
                for p in sorted(args.topologies.rglob("*.csv"))] if args.topologies else []
        rng = random.Random(args.seed)
        for i in range(args.random_rows):
            kind, row = random_row(rng)
            path = Path(tmp) / f"row{i}.csv"
            path.write_text("header,\n" + row + "\n")
            jobs.append((path, kind, path.read_text()))
        done = subprocess.run([args.scalesim_python, "-c", _SCALESIM], check=True, capture_output=True, text=True,
                              input=json.dumps([[str(p), kind] for p, kind, _ in jobs]))
        tally: collections.Counter[str] = collections.Counter()
        for (path, kind, text), theirs in zip(jobs, json.loads(done.stdout), strict=True):
            result = verdict(chiplab_reads(path, kind), theirs, text)
            tally[result] += 1
            if args.topologies and path.is_relative_to(args.topologies):
                print(f"{path.relative_to(args.topologies)} ({kind}): {result}"
                      + (f", SCALE-Sim {theirs['error']} at line {theirs['line']}" if "error" in theirs else ""))
    print()
    for result, count in tally.most_common():
        print(f"{count:6d}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
