"""The answers a submission hands to the grader: named values only, written as JSON lines by the grader's own cells.

The grader replaces every test cell of a submission with one call of :func:`export`; run in the sandbox, it appends
``{"cell": <test cell id>, "values": {name: value}}`` to ``answers.jsonl`` in the scratch directory. Only plain
values cross the boundary (numbers, strings, booleans, None; NumPy scalars and enums become their Python value), so
nothing the student's code defines ever runs in the grader's process. A student who tampers with this file or this
function can only change their own answers, which they could do anyway.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

EXPORT_FILE = "answers.jsonl"
MAX_TEXT_CHARS = 200  # an answer word or number; longer strings are cut (the format check then rejects them)


def plain_value(value: Any) -> Any:
    """``value`` as JSON can carry it, or ``{"unsupported": "<type name>"}``."""
    if value is None or isinstance(value, bool | str):
        return value[:_max_chars(value)] if isinstance(value, str) else value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else repr(number)  # "nan"/"inf": the format check rejects strings
    inner = getattr(value, "value", None)  # enums such as chiplab.systolic.Dataflow
    if isinstance(inner, str):
        return inner[:MAX_TEXT_CHARS]
    return {"unsupported": type(value).__name__}


def _max_chars(text: str) -> int:
    """A kernel's program text (``run.program``, the kernel assignment's answer) may be long; other words not."""
    from chiplab.kernels.program import MAX_PROGRAM_CHARS, PROGRAM_PREFIX

    return MAX_PROGRAM_CHARS if text.startswith(PROGRAM_PREFIX) else MAX_TEXT_CHARS


def export(cell_id: str, names: Iterable[str], namespace: Mapping[str, Any], path: str = EXPORT_FILE) -> None:
    """Append the current values of ``names`` (``None`` when undefined) to the export file."""
    values = {name: plain_value(namespace.get(name)) for name in names}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"cell": cell_id, "values": values}) + "\n")


def export_source(cell_id: str, names: Iterable[str]) -> str:
    """The code of the grader's cell that stands in for test cell ``cell_id``."""
    return (f"# chiplab grader: hand {', '.join(names)} to the grader\n"
            f"__import__('chiplab.grading.export', fromlist=['export']).export({cell_id!r}, {list(names)!r}, "
            "globals())")


def read_exports(text: str) -> dict[str, dict[str, Any]]:
    """{test cell id: {name: value}} from an export file; malformed lines are skipped, the last line per cell wins."""
    exports: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("cell"), str) and isinstance(record.get("values"), dict):
            exports[record["cell"]] = record["values"]
    return exports
