"""The ``chiplab`` command: quick answers in a terminal, consistent with the Python API.

    chiplab gemm 1024 1024 1024 --array 128x128 --dataflow ws
    chiplab simulate 8 8 8 --array 4x4 --dataflow os
    chiplab scalesim -c scale.cfg -t topology.csv -p outdir -i gemm
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic import CONVENTIONS, MAPPINGS, estimate, simulate
from chiplab.workloads.gemm import Gemm


def _array_shape(text: str) -> SystolicArraySpec:
    """Parse '128x128' (or '128' for square) into an array spec."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--array must look like 128x128 or 128; got {text!r}") from None
    if len(dims) == 1:
        dims *= 2
    if len(dims) != 2:
        raise argparse.ArgumentTypeError(f"--array must look like 128x128 or 128; got {text!r}")
    try:
        return SystolicArraySpec(num_rows=dims[0], num_cols=dims[1])
    except ChiplabInputError as exc:
        raise argparse.ArgumentTypeError(f"--array {text}: {exc}") from None


def _add_gemm_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("m", type=int, help="rows of A and C")
    parser.add_argument("n", type=int, help="columns of B and C")
    parser.add_argument("k", type=int, help="columns of A, rows of B (the reduction)")
    parser.add_argument("--array", type=_array_shape, default="128x128", help="R x C, e.g. 128x128 (default)")
    parser.add_argument("--dataflow", default="ws", choices=[f.value for f in MAPPINGS], help="default: ws")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _print(rows: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        shown = f"{value:,}" if isinstance(value, int) else (f"{value:.4f}" if isinstance(value, float) else value)
        print(f"{key:<{width}}  {shown}")


def _cmd_gemm(args: argparse.Namespace) -> None:
    timing = estimate(Gemm(m=args.m, n=args.n, k=args.k), args.array, args.dataflow, args.convention)
    plan = timing.plan
    rows = {
        "gemm": f"m={args.m} n={args.n} k={args.k}",
        "array": str(args.array),
        "dataflow": MAPPINGS[plan.dataflow].long_name,
        "convention": timing.convention,
        "S_R x S_C x T": f"{plan.spatial_rows} x {plan.spatial_cols} x {plan.temporal}",
        "folds (rows x cols)": f"{plan.num_row_folds} x {plan.num_col_folds}",
        "total_cycles": timing.total_cycles,
        "compute_utilization_fraction": timing.compute_utilization_fraction,
        "mapping_efficiency_fraction": timing.mapping_efficiency_fraction,
    }
    rows.update({f"sram_{k}": v for k, v in dataclasses.asdict(timing.sram).items()})
    _print(rows, args.json)


def _cmd_simulate(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    a = rng.integers(-8, 8, (args.m, args.k))
    b = rng.integers(-8, 8, (args.k, args.n))
    run = simulate(a, b, args.array, args.dataflow)
    closed = estimate(Gemm(m=args.m, n=args.n, k=args.k), args.array, args.dataflow)
    rows = {
        "gemm": f"m={args.m} n={args.n} k={args.k} (random integers, seed {args.seed})",
        "array": str(args.array),
        "dataflow": MAPPINGS[run.plan.dataflow].long_name,
        "product equals numpy a @ b": bool(np.array_equal(run.product, a @ b)),
        "simulated total_cycles": run.total_cycles,
        "closed-form total_cycles": closed.total_cycles,
        "compute_utilization_fraction": run.compute_utilization_fraction,
    }
    _print(rows, args.json)


def _cmd_scalesim(args: argparse.Namespace) -> None:
    from chiplab.scalesim import load_config, run_scalesim

    results = run_scalesim(args.config, args.topology, args.outdir, input_type=args.input_type)
    where = Path(args.outdir) / load_config(args.config).run_name
    print(f"wrote COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv for {len(results)} "
          f"layer(s) to {where}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chiplab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gemm = sub.add_parser("gemm", help="closed-form cycles, folds, utilisation and SRAM traffic of a GEMM")
    _add_gemm_args(gemm)
    gemm.add_argument("--convention", default="pipelined", choices=CONVENTIONS, help="default: pipelined")
    gemm.set_defaults(func=_cmd_gemm)

    sim = sub.add_parser("simulate", help="cycle-level simulation of a random integer GEMM, checked against numpy")
    _add_gemm_args(sim)
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=_cmd_simulate)

    scale = sub.add_parser("scalesim", help="SCALE-Sim-compatible reports from SCALE-Sim's own config/topology")
    scale.add_argument("-c", dest="config", required=True, help="SCALE-Sim .cfg file")
    scale.add_argument("-t", dest="topology", required=True, help="SCALE-Sim topology .csv file")
    scale.add_argument("-p", dest="outdir", required=True, help="directory for the report CSVs")
    scale.add_argument("-i", dest="input_type", default="conv", choices=["conv", "gemm"], help="default: conv")
    scale.set_defaults(func=_cmd_scalesim)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except ChiplabInputError as exc:
        print(f"chiplab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"chiplab {args.command}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
