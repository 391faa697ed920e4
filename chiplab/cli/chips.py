"""``chiplab chips`` and ``chiplab chip NAME``: the catalog in a terminal, with sources."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from chiplab.cli._common import print_record, print_table

# The catalog is read inside the commands, so that ``--help`` parses no chip file (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from chiplab.hardware import Chip


def _peak(chip: Chip, dtype: str) -> float | None:
    return chip.peak_flops_per_s(dtype) / 1e12 if dtype in chip.peak_dtypes else None


def _scaled(value: float | None, unit: float) -> float | None:
    """A catalog quantity in display units; an unpublished one (a baseline's DRAM size) stays missing."""
    return None if value is None else value / unit


def _cmd_chips(args: argparse.Namespace) -> None:
    from chiplab.hardware import list_chips, load_chip

    rows: list[list[object]] = []
    for chip_id in list_chips(args.kind):
        chip = load_chip(chip_id)
        array = chip.core.matrix_unit.array
        rows.append([chip.id, chip.display_name, chip.kind, chip.num_cores, str(array) if array else None,
                     _peak(chip, "bf16"), _peak(chip, "fp8"), _scaled(chip.hbm.capacity_bytes, 2**30),
                     _scaled(chip.hbm.bandwidth_bytes_per_s, 1e9)])
    print_table(["id", "name", "kind", "cores", "matrix unit", "bf16 TFLOP/s", "fp8 TFLOP/s", "HBM GiB",
                 "HBM GB/s"], rows, args.json)


def _cmd_chip(args: argparse.Namespace) -> None:
    from chiplab.hardware import load_chip

    chip = load_chip(args.name)
    if args.sources:
        rows: list[list[object]] = []
        for key, value in chip.numeric_fields().items():
            prov = chip.provenance.get(key)
            rows.append([key, value, prov.as_published if prov else None, prov.source.id if prov else None,
                         prov.source.url if prov else None])
        print_table(["field", "value (SI)", "as published", "source", "url"], rows, args.json)
        return
    record: dict[str, object] = {"id": chip.id, "name": chip.display_name, "vendor": chip.vendor, "kind": chip.kind}
    record.update(chip.numeric_fields())
    record.update({f"peak {d} FLOP/s": chip.peak_flops_per_s(d) for d in chip.peak_dtypes})
    print_record(record, args.json)
    if not args.json:
        print("\n(use --sources for the source of every number)")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chips = sub.add_parser("chips", help="list the chip catalog")
    chips.add_argument("--kind", choices=["real", "baseline", "toy"],
                       help="only real chips, only baselines (the TPU v1 paper's CPU and GPU) or only toy chips")
    chips.add_argument("--json", action="store_true", help="print JSON instead of a table")
    chips.set_defaults(func=_cmd_chips)

    chip = sub.add_parser("chip", help="show one chip (by id or alias: trn2, tpu-v5e, h100, ...)")
    chip.add_argument("name", help="chip id or alias")
    chip.add_argument("--sources", action="store_true", help="list every number with its source")
    chip.add_argument("--json", action="store_true", help="print JSON instead of a table")
    chip.set_defaults(func=_cmd_chip)
