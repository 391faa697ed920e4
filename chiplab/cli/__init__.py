"""The ``chiplab`` command: quick answers in a terminal, consistent with the Python API.

    chiplab chips                                      # the catalog
    chiplab chip trn2 --sources                        # one chip, every number with its source
    chiplab gemm 1024 1024 1024 --array 128x128        # closed-form systolic timing
    chiplab simulate 8 8 8 --array 4x4 --dataflow os   # cycle-level, checked against numpy
    chiplab scalesim -c scale.cfg -t topology.csv -p outdir -i gemm
    chiplab train llama3-70b --chips trn2,h100,tpu-v5p --tp 8 --dp 16   # a training run: time, MFU, cost
    chiplab serve llama3-8b --chips trn2,h100,tpu-v5e --batch 32        # serving: latency, $ per M tokens
    chiplab validate                                   # the model vs published MFU
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chiplab.cli import chips, llm, systolic
from chiplab.errors import ChiplabInputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chiplab", description=__doc__.split("\n\n")[0],
                                     epilog="Run 'chiplab COMMAND --help' for each command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chips.add_commands(sub)
    systolic.add_commands(sub)
    llm.add_commands(sub)
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
