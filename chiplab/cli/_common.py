"""Shared pieces of the command line: output as a readable table or JSON, array shapes, progress."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from chiplab._checks import fraction, positive, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec


def checked_argument(check: Callable[[str, object], object], parse: Callable[[str], object], what: str):
    """An argparse ``type=`` that parses the text, then applies one of ``chiplab._checks`` to it."""

    def convert(text: str):
        try:
            return check("value", parse(text))
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None

    convert.__name__ = what  # argparse names the type in some messages
    return convert


def _number(text: str) -> float:
    return float(text.strip().replace("_", ""))


# Every numeric flag is checked where it enters, so that no NaN, infinity, zero or negative count reaches a model.
whole_number = checked_argument(positive_int, lambda text: int(text.strip()), "a whole number >= 1")
positive_number = checked_argument(positive, _number, "a finite number > 0")
share = checked_argument(lambda name, value: fraction(name, value, allow_zero=False), _number,
                  "a fraction in (0, 1]")


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


def strict_json(value: object) -> str:
    """JSON that any RFC 8259 parser reads: NaN and infinities become null (the notes say why a value is missing)."""
    return json.dumps(_finite_or_none(value), indent=2, default=str, allow_nan=False)


def _finite_or_none(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(item) for item in value]
    return value


def print_record(rows: dict, as_json: bool) -> None:
    """One record as aligned "key  value" lines, or JSON."""
    if as_json:
        print(strict_json(rows))
        return
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else (
            f"{value:.4g}" if isinstance(value, float) else value)
        print(f"{key:<{width}}  {shown}")


def print_table(headers: list[str], rows: list[list], as_json: bool) -> None:
    """Several records as an aligned text table, or a JSON list of objects."""
    if as_json:
        print(strict_json([dict(zip(headers, row, strict=True)) for row in rows]))
        return
    if not rows:
        return
    cells = [[_show(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


@dataclass(frozen=True)
class Ranged:
    """A model value and the (low, high) of the true one over its error band (None, None without a band)."""

    value: float
    low: float | None = None
    high: float | None = None

    @classmethod
    def scaled(cls, value: float, band: tuple[float, float] | None, central: float) -> Ranged:
        """``value``, which is proportional to ``central``, with the band of ``central`` carried over."""
        if band is None:
            return cls(value)
        return cls(value, value * band[0] / central, value * band[1] / central)


BAND_NOTE = ("[low, high]: the true value if chiplab errs as it did on published runs of the chip's vendor family "
             "and kind (10th-90th percentile of the validation record's errors; chiplab.perf.error_band)")


def _json_row(headers: list[str], row: list) -> dict:
    """A row as JSON: a ranged cell gives its value under its header and its band as "<header> low"/"high"."""
    out: dict = {}
    for header, cell in zip(headers, row, strict=True):
        if isinstance(cell, Ranged):
            out[header], out[f"{header} low"], out[f"{header} high"] = cell.value, cell.low, cell.high
        else:
            out[header] = cell
    return out


def print_comparison(headers: list[str], rows: list[list], notes: list[str], as_json: bool) -> int:
    """A table of chips with notes (why a chip or a price is missing); exit status 1 when no chip has a row.

    JSON is one object ``{"rows": [...], "notes": [...]}``; the table goes to stdout and the notes to stderr. A
    :class:`Ranged` cell shows ``value [low, high]`` in the table and adds ``"<header> low"``/``"<header> high"``
    fields to its JSON row.
    """
    if any(isinstance(cell, Ranged) and cell.low is not None for row in rows for cell in row):
        notes = [*notes, BAND_NOTE]
    if as_json:
        print(strict_json({"rows": [_json_row(headers, row) for row in rows], "notes": notes}))
    else:
        print_table(headers, rows, as_json=False)
        if notes:
            print("notes:" if rows else "nothing could be estimated:", file=sys.stderr)
            for note in notes:
                print(f"  - {note}", file=sys.stderr)
    return 0 if rows else 1


def _show(value: object) -> str:
    if isinstance(value, Ranged):
        shown = _show(value.value)
        return shown if value.low is None else f"{shown} [{value.low:.3g}, {value.high:.3g}]"
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
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
