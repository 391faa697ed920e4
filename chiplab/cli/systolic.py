"""``chiplab gemm``, ``chiplab simulate`` and ``chiplab scalesim``: the systolic-array commands."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from chiplab._checks import non_negative_int
from chiplab.cli._common import array_shape, checked_argument, print_record
from chiplab.errors import ChiplabInputError
from chiplab.systolic import CONVENTIONS, MAPPINGS, estimate
from chiplab.workloads.gemm import Gemm

DEFAULT_ARRAY = "128x128"
seed_number = checked_argument(non_negative_int, lambda text: int(text.strip()), "a whole number >= 0")


def _add_gemm_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("m", type=int, help="rows of A and C")
    parser.add_argument("n", type=int, help="columns of B and C")
    parser.add_argument("k", type=int, help="columns of A, rows of B (the reduction)")
    parser.add_argument("--array", type=array_shape, help=f"R x C, e.g. {DEFAULT_ARRAY} (default)")
    parser.add_argument("--dataflow", choices=[f.value for f in MAPPINGS], help="default: ws")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _gemm_on_chip(args: argparse.Namespace) -> None:
    from chiplab.hardware.catalog import load_chip
    from chiplab.perf.chip_gemm import gemm_on_chip

    chip = load_chip(args.chip)
    placed = gemm_on_chip(Gemm(m=args.m, n=args.n, k=args.k, dtype=args.dtype), chip)
    tiling = placed.per_core.tiling
    rows = {
        "gemm": f"m={args.m} n={args.n} k={args.k} ({args.dtype})",
        "chip": chip.display_name,
        "time_s": placed.time_s,
        "achieved TFLOP/s": placed.achieved_flops_per_s / 1e12,
        "fraction_of_peak": placed.fraction_of_peak,
        "bottleneck": placed.bottleneck,
        "cores used (m x n x k blocks)": " x ".join(str(c) for c in placed.core_grid),
        "tile per core (m, n, k)": f"{tiling.tile_m}, {tiling.tile_n}, {tiling.tile_k}",
        "compute_s": placed.compute_s,
        "hbm_bytes": placed.hbm_bytes,
        "hbm_s": placed.hbm_s,
    }
    print_record(rows, args.json)


def _fill_array_defaults(args: argparse.Namespace) -> None:
    args.array = array_shape(DEFAULT_ARRAY) if args.array is None else args.array
    args.dataflow = "ws" if args.dataflow is None else args.dataflow


def _cmd_gemm(args: argparse.Namespace) -> None:
    # A flag that the chosen mode would ignore is refused: a silently ignored flag teaches a wrong number.
    if args.chip is not None:
        ignored = [flag for flag, value in (("--array", args.array), ("--dataflow", args.dataflow),
                                            ("--convention", args.convention)) if value is not None]
        if ignored:
            raise ChiplabInputError(f"{', '.join(ignored)} cannot be combined with --chip (the chip's own matrix "
                                    "units and the perf model are used); drop --chip to time a bare array")
        args.dtype = "bf16" if args.dtype is None else args.dtype
        _gemm_on_chip(args)
        return
    if args.dtype is not None:
        raise ChiplabInputError(f"--dtype {args.dtype} only applies with --chip (a bare array's timing does not "
                                "depend on the number format); add --chip, e.g. --chip trn2")
    _fill_array_defaults(args)
    args.convention = "pipelined" if args.convention is None else args.convention
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
    print_record(rows, args.json)


def _cmd_simulate(args: argparse.Namespace) -> None:
    import numpy as np  # here, not at the top: ``--help`` of these commands starts without numpy

    from chiplab.systolic.simulator import simulate, simulation_resources

    _fill_array_defaults(args)
    # Checked before the random operands exist: 30000×30000 integers alone are 6.7 GiB.
    simulation_resources(Gemm(m=args.m, n=args.n, k=args.k), args.array, args.dataflow)
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
    print_record(rows, args.json)


def _cmd_scalesim(args: argparse.Namespace) -> None:
    from chiplab.scalesim import load_config, run_scalesim

    results = run_scalesim(args.config, args.topology, args.outdir, input_type=args.input_type)
    where = Path(args.outdir) / load_config(args.config).run_name
    print(f"wrote COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv for {len(results)} "
          f"layer(s) to {where}")


def add_commands(sub) -> None:
    gemm = sub.add_parser("gemm", help="closed-form cycles, folds, utilisation and SRAM traffic of a GEMM")
    _add_gemm_args(gemm)
    gemm.add_argument("--convention", choices=CONVENTIONS, help="default: pipelined")
    gemm.add_argument("--chip", help="time it on a whole chip of the catalog instead (e.g. trn2, h100, tpu-v5p)")
    gemm.add_argument("--dtype", help="number format, only with --chip (default bf16)")
    gemm.set_defaults(func=_cmd_gemm)

    sim = sub.add_parser("simulate", help="cycle-level simulation of a random integer GEMM, checked against numpy")
    _add_gemm_args(sim)
    sim.add_argument("--seed", type=seed_number, default=0, help="random seed of the operands (default 0)")
    sim.set_defaults(func=_cmd_simulate)

    scale = sub.add_parser(
        "scalesim", help="SCALE-Sim-compatible reports from SCALE-Sim's own config/topology",
        description="SCALE-Sim 3.0.0's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv, "
                    "byte for byte, in OUTDIR/<run_name>/. InterfaceBandwidth CALC and USER are both reproduced "
                    "(USER: the read buffers fetch at [layout] IfmapSRAMBankBandwidth / FilterSRAMBankBandwidth "
                    "words per cycle, the OFMAP drains at the first Bandwidth value). N:M sparsity ([sparsity] "
                    "SparsitySupport = true) is reproduced too, with SPARSE_REPORT.csv (SparseRep csr, csc or "
                    "ellpack_block) and the bandwidth report's metadata column: layer-wise (the topology's N:M "
                    "column) in every dataflow, row-wise (OptimizedMapping = true, a seeded random N per filter "
                    "column) in ws, the only dataflow SCALE-Sim runs it in. Not supported: Ramulator traces, custom "
                    "layouts, trace CSVs.")
    scale.add_argument("-c", dest="config", required=True, help="SCALE-Sim .cfg file")
    scale.add_argument("-t", dest="topology", required=True, help="SCALE-Sim topology .csv file")
    scale.add_argument("-p", dest="outdir", required=True, help="directory for the report CSVs")
    scale.add_argument("-i", dest="input_type", default="conv", choices=["conv", "gemm"], help="default: conv")
    scale.set_defaults(func=_cmd_scalesim)
