"""Shared pieces of the command line: output as a readable table or JSON, array shapes, progress."""

from __future__ import annotations

import argparse
import json
import sys
import time

from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec


def array_shape(text: str) -> SystolicArraySpec:
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


def print_record(rows: dict, as_json: bool) -> None:
    """One record as aligned "key  value" lines, or JSON."""
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else (
            f"{value:.4g}" if isinstance(value, float) else value)
        print(f"{key:<{width}}  {shown}")


def print_table(headers: list[str], rows: list[list], as_json: bool) -> None:
    """Several records as an aligned text table, or a JSON list of objects."""
    if as_json:
        print(json.dumps([dict(zip(headers, row, strict=True)) for row in rows], indent=2, default=str))
        return
    cells = [[_show(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


class Progress:
    """'k/n label' on stderr for loops that may take a while; silent when stderr is not a terminal."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.start = total, label, time.perf_counter()
        self.enabled = sys.stderr.isatty() and total > 1

    def step(self, done: int, item: str) -> None:
        if self.enabled:
            print(f"\r{self.label}: {done}/{self.total} ({item})".ljust(60), end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled:
            print(f"\r{self.label}: {self.total}/{self.total} in {time.perf_counter() - self.start:.1f} s".ljust(60),
                  file=sys.stderr)
