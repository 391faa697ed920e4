"""The stored validation record (``chiplab/data/validation/record.toml``): chiplab's prediction and error for every
end-to-end run, the calibration it used, and a one-line reason for the last change.

The record is what the accuracy gate (``tests/perf/test_validation_gate.py``) compares a fresh validation with, and
what error bands (:func:`chiplab.perf.error_band`) are computed from without re-running the cases. It is written by
``chiplab validate --update-record "one-line reason"`` (or ``python -m chiplab.perf.validation --update-record ...``),
never by hand.

``error`` is the signed error of chiplab's predicted *speed*: predicted / published − 1 for a rate (MFU, tokens/s),
published / predicted − 1 for a time (step time, time to train, latency), so a positive error always means chiplab
is optimistic (faster than measured), and the true speed is the predicted one divided by 1 + error.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.toml_records import only_keys, parse_toml, table_of

if TYPE_CHECKING:  # only annotations: chiplab validate --help reads this module's labels without the chip model
    from chiplab.hardware.chip import Chip

RECORD_FILE = "record.toml"
UPDATE_COMMAND = 'chiplab validate --update-record "one-line reason"'
KINDS = ("training", "serving")
# Vendor families the summary and the error bands are kept per (the four).
FAMILY_OF_VENDOR = {"Google": "tpu", "AWS": "trainium", "NVIDIA": "nvidia", "AMD": "amd"}
FAMILY_LABELS = {"tpu": "TPU", "trainium": "Trainium/Inferentia", "nvidia": "NVIDIA", "amd": "AMD"}

_RUN_KEYS = {"id", "kind", "family", "chip", "quantity", "published", "predicted", "error", "calibration"}
_NOT_RUN_KEYS = {"id", "kind", "family", "chip", "not_run"}


def family_of(chip: Chip) -> str:
    """The vendor family of a chip: ``"tpu"``, ``"trainium"`` (Trainium and Inferentia), ``"nvidia"`` or ``"amd"``."""
    if chip.vendor not in FAMILY_OF_VENDOR:
        raise ChiplabInputError(f"chip {chip.id!r} is made by {chip.vendor!r}; validation families exist only for "
                                f"{', '.join(FAMILY_OF_VENDOR)}")
    return FAMILY_OF_VENDOR[chip.vendor]


@dataclass(frozen=True, kw_only=True)
class RecordedCase:
    """One case as stored: predicted value and speed error, or the reason it was not run (then those are None)."""

    id: str
    kind: str
    family: str
    chip: str
    quantity: str = ""
    published: float | None = None
    predicted: float | None = None
    error: float | None = None
    calibration: str = ""
    not_run: str = ""

    @property
    def was_run(self) -> bool:
        return not self.not_run


@dataclass(frozen=True)
class ValidationRecord:
    reason: str
    updated: date
    cases: tuple[RecordedCase, ...]

    def by_id(self) -> dict[str, RecordedCase]:
        return {case.id: case for case in self.cases}


def _number(where: str, field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ChiplabInputError(f"{where}: field {field!r} must be a finite number; got {value!r}")
    return float(value)


def _case(where: str, raw: dict) -> RecordedCase:
    not_run = "not_run" in raw
    only_keys(where, raw, _NOT_RUN_KEYS if not_run else _RUN_KEYS, _NOT_RUN_KEYS if not_run else _RUN_KEYS)
    for field in ("id", "kind", "family", "chip", "quantity", "calibration", "not_run"):
        if field in raw and (not isinstance(raw[field], str) or not raw[field].strip()):
            raise ChiplabInputError(f"{where}: field {field!r} must be non-empty text; got {raw[field]!r}")
    if raw["kind"] not in KINDS:
        raise ChiplabInputError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}; got {raw['kind']!r}")
    if raw["family"] not in FAMILY_LABELS:
        raise ChiplabInputError(f"{where}: field 'family' must be one of {', '.join(FAMILY_LABELS)}; "
                                f"got {raw['family']!r}")
    numbers = {f: _number(where, f, raw[f]) for f in ("published", "predicted", "error") if f in raw}
    if not not_run and numbers["error"] <= -1:
        raise ChiplabInputError(f"{where}: field 'error' must be > -1 (a speed error); got {numbers['error']!r}")
    return RecordedCase(**{**raw, **numbers})


def parse_record(text: str, origin: str = RECORD_FILE) -> ValidationRecord:
    """Parse and check a record's text; a problem names the file, the entry and the field."""
    data = parse_toml(text, origin)
    only_keys(origin, data, {"reason", "updated", "case"}, {"reason", "updated", "case"})
    if not isinstance(data["reason"], str) or not data["reason"].strip():
        raise ChiplabInputError(f"{origin}: field 'reason' must be the one-line reason for the last change")
    if not isinstance(data["updated"], date):
        raise ChiplabInputError(f"{origin}: field 'updated' must be a date (YYYY-MM-DD); got {data['updated']!r}")
    cases: list[RecordedCase] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["case"] if isinstance(data["case"], list) else [data["case"]]):
        raw = table_of(f"{origin}: [[case]] #{i + 1}", raw)
        where = f"{origin}: entry {raw.get('id', f'#{i + 1}')!r}"
        case = _case(where, raw)
        if case.id in seen:
            raise ChiplabInputError(f"{where}: field 'id' is duplicated; each case appears once")
        seen.add(case.id)
        cases.append(case)
    return ValidationRecord(reason=data["reason"].strip(), updated=data["updated"], cases=tuple(cases))


def record_path() -> Path:
    return Path(str(resources.files("chiplab").joinpath("data", "validation", RECORD_FILE)))


def read_record(path: str | PathLike[str] | None = None) -> ValidationRecord:
    """The stored record (the shipped one by default); cached for the shipped file."""
    if path is None:
        return _shipped_record()
    instance_of("path", path, (str, PathLike), "the path of a validation record TOML file")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChiplabInputError(f"cannot read validation record {str(path)!r}: {exc}") from None
    return parse_record(text, Path(path).name)


@functools.lru_cache(maxsize=1)
def _shipped_record() -> ValidationRecord:
    return parse_record(record_path().read_text(encoding="utf-8"))


def _toml_value(value: object) -> str:
    if isinstance(value, float):
        return repr(round(value, 6))
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def format_record(cases: Iterable[RecordedCase], reason: str, updated: date) -> str:
    """The record file's text (what ``--update-record`` writes)."""
    lines = ["# chiplab's predictions for every end-to-end run of chiplab/data/measurements/, and the signed error",
             "# of the predicted speed (positive = chiplab faster than measured). Written by",
             f"#     {UPDATE_COMMAND}",
             "# and checked by tests/perf/test_validation_gate.py. Do not edit by hand.", "",
             f"reason = {_toml_value(reason)}", f"updated = {updated.isoformat()}"]
    for case in cases:
        lines += ["", "[[case]]"]
        fields = ("id", "kind", "family", "chip", "not_run") if not case.was_run else (
            "id", "kind", "family", "chip", "quantity", "published", "predicted", "error", "calibration")
        lines += [f"{field} = {_toml_value(getattr(case, field))}" for field in fields]
    return "\n".join(lines) + "\n"


def write_record(cases: Iterable[RecordedCase], reason: str, path: str | PathLike[str] | None = None) -> Path:
    """Write the record (the shipped file by default) with a one-line ``reason``; returns its path."""
    if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
        raise ChiplabInputError(f"reason must be one non-empty line saying why the record changes; got {reason!r}")
    target = record_path() if path is None else Path(path)
    text = format_record(cases, reason.strip(), date.today())
    parse_record(text, target.name)  # never write a record that would not read back
    target.write_text(text, encoding="utf-8")
    _shipped_record.cache_clear()
    return target


MEDIAN_TOLERANCE = 0.01  # the gate: median |error| may not worsen by more than 1 percentage point...
CASE_TOLERANCE = 0.05    # ...nor any case's |error| by more than 5 points


def _median_abs(cases: Iterable[RecordedCase]) -> float:
    errors = sorted(abs(c.error) for c in cases if c.error is not None)
    if not errors:
        return 0.0
    middle = len(errors) // 2
    return errors[middle] if len(errors) % 2 else (errors[middle - 1] + errors[middle]) / 2


def gate_failures(current: Iterable[RecordedCase], record: ValidationRecord) -> list[str]:
    """Why ``current`` (a fresh validation) fails the accuracy gate against the stored ``record``: one line per
    problem (empty when it passes). The record must list exactly the current cases; a case must not stop running,
    nor start running unrecorded; no case's |error| may grow by more than ``CASE_TOLERANCE`` and the median |error|
    by no more than ``MEDIAN_TOLERANCE``."""
    now = {case.id: case for case in current}
    stored = record.by_id()
    problems = [f"{i}: in the record but no longer in the measurement files" for i in sorted(set(stored) - set(now))]
    problems += [f"{i}: in the measurement files but not in the record" for i in sorted(set(now) - set(stored))]
    for case_id in sorted(set(now) & set(stored)):
        new, old = now[case_id], stored[case_id]
        if old.was_run and not new.was_run:
            problems.append(f"{case_id}: no longer runs ({new.not_run})")
        elif new.was_run and not old.was_run:
            problems.append(f"{case_id}: runs now (error {new.error:+.1%}) but the record says not run")
        elif new.error is not None and old.error is not None and abs(new.error) - abs(old.error) > CASE_TOLERANCE:
            problems.append(f"{case_id}: error {old.error:+.1%} -> {new.error:+.1%} (|error| worse by more than "
                            f"{CASE_TOLERANCE:.0%} points)")
    median_now, median_then = _median_abs(now.values()), _median_abs(stored.values())
    if median_now - median_then > MEDIAN_TOLERANCE:
        problems.append(f"median |error| {median_then:.1%} -> {median_now:.1%} (worse by more than "
                        f"{MEDIAN_TOLERANCE:.0%} point)")
    return problems
