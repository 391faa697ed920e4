"""The ``chiplab`` command: quick answers in a terminal, consistent with the Python API.

    chiplab chips                                      # the catalog
    chiplab chip trn2 --sources                        # one chip, every number with its source
    chiplab gemm 1024 1024 1024 --array 128x128        # closed-form systolic timing
    chiplab simulate 8 8 8 --array 4x4 --dataflow os   # cycle-level, checked against numpy
    chiplab scalesim -c scale.cfg -t topology.csv -p outdir -i gemm
    chiplab train llama3-70b --chips trn2,h100,tpu-v5p --tp 8 --dp 16   # a training run: time, MFU, cost
    chiplab serve llama3-8b --chips trn2,h100,tpu-v5e --batch 32        # serving: latency, $ per M tokens
    chiplab validate                                   # the model vs every published run, with its gate
    chiplab calibration --errors                       # the fitted calibration and its leave-one-source-out error
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from chiplab.errors import ChiplabInputError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

# Each command and the module under chiplab/cli/ that defines it (its ``add_commands``). A command imports only its
# own module, so ``chiplab scalesim`` never loads the performance or cost models (tests/cli/test_startup.py keeps
# this table equal to what the modules define).
COMMAND_MODULES: dict[str, str] = {
    "chips": "chips", "chip": "chips",
    "gemm": "systolic", "simulate": "systolic", "scalesim": "systolic",
    "train": "llm", "serve": "llm", "validate": "validate",
    "calibration": "calibration",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given a known ``command``, only of the module that defines it (fast start)."""
    parser = argparse.ArgumentParser(prog="chiplab", description=(__doc__ or "").split("\n\n")[0],
                                     epilog="Run 'chiplab COMMAND --help' for each command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else dict.fromkeys(COMMAND_MODULES.values())
    for module in modules:
        importlib.import_module(f"chiplab.cli.{module}").add_commands(sub)
    return parser


def _options_with_values(parser: argparse.ArgumentParser) -> set[str]:
    """Every ``--flag`` (of every command in ``parser``) that takes a value."""
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options_with_values(sub)
        elif action.option_strings and action.nargs != 0:
            found.update(action.option_strings)
    return found


_NEGATIVE_LOOKING = re.compile(r"-[\d.]")


def _join_negative_values(argv: list[str], options: set[str]) -> list[str]:
    """``--array -4x4`` → ``--array=-4x4``: argparse would take ``-4x4`` for an option and say "expected one
    argument"; joined, the value reaches its check, which names what is wrong with it."""
    joined, i = [], 0
    while i < len(argv):
        if argv[i] in options and i + 1 < len(argv) and _NEGATIVE_LOOKING.match(argv[i + 1]):
            joined.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            joined.append(argv[i])
            i += 1
    return joined


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 nothing could be estimated, 2 bad input)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    command = next((arg for arg in arguments if not arg.startswith("-")), None)
    parser = build_parser(command)
    try:
        args = parser.parse_args(_join_negative_values(arguments, _options_with_values(parser)))
    except SystemExit as exc:  # argparse has printed the usage and the error, or --help
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args) or 0
    except ChiplabInputError as exc:
        print(f"chiplab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"chiplab {args.command}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2
