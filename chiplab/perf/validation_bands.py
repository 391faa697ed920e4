"""Error bands: how far off chiplab has been, on published runs, for chips like this one and work like this.

:func:`error_band` reads the stored validation record (``chiplab/data/validation/record.toml``, no case is re-run,
so it is fast) and returns the 10th–90th percentile of the signed speed errors of the validated cases of the chip's
vendor family (TPU, Trainium/Inferentia, NVIDIA, AMD) and workload kind (training or serving).

Fallback when a group is too small to have percentiles worth the name (fewer than ``MIN_CASES`` cases run): the
family over both kinds; if that is still too small, every case of the record. ``ErrorBand.source`` names the group
that was used, so a reader always sees where a band comes from.

A case's error is predicted speed / measured speed − 1 (positive: chiplab was optimistic), so a predicted speed v
(throughput, MFU, tokens/s) means a true speed v / (1 + error): :meth:`ErrorBand.apply` gives that range, and
:meth:`ErrorBand.apply_to_time` the range of a predicted *time* (true time = predicted time × (1 + error)).

>>> band = ErrorBand(low_fraction=-0.1, high_fraction=0.25, num_cases=8, source="example")
>>> band.apply(100.0)
(80.0, 111.11111111111111)
>>> band.apply_to_time(10.0)
(9.0, 12.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiplab._checks import finite, one_of, positive, positive_int
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import as_chip
from chiplab.hardware.chip import Chip
from chiplab.perf.validation_record import FAMILY_LABELS, KINDS, family_of, read_record

MIN_CASES = 4  # fewer validated cases than this in a group → fall back to a wider group (see the module docstring)
LOW_PERCENTILE, HIGH_PERCENTILE = 10, 90


@dataclass(frozen=True, kw_only=True)
class ErrorBand:
    """The 10th–90th percentile of chiplab's signed speed errors on a group of validated cases.

    ``low_fraction`` and ``high_fraction`` are signed errors (negative: chiplab was slower than measured), so unlike
    other ``_fraction`` names they may lie outside [0, 1]; both are > −1.
    """

    low_fraction: float
    high_fraction: float
    num_cases: int
    source: str

    def __post_init__(self) -> None:
        for field in ("low_fraction", "high_fraction"):
            value = finite(field, getattr(self, field))
            if value <= -1:
                raise ChiplabInputError(f"{field} must be > -1 (a speed error: predicted / measured - 1); "
                                        f"got {value!r}")
            object.__setattr__(self, field, value)
        if self.low_fraction > self.high_fraction:
            raise ChiplabInputError(f"low_fraction ({self.low_fraction!r}) must not exceed high_fraction "
                                    f"({self.high_fraction!r})")
        object.__setattr__(self, "num_cases", positive_int("num_cases", self.num_cases))

    def apply(self, value: float) -> tuple[float, float]:
        """(low, high) of the true speed, given a predicted speed (true = predicted / (1 + error))."""
        value = positive("value", value)
        return value / (1 + self.high_fraction), value / (1 + self.low_fraction)

    def apply_to_time(self, time_s: float) -> tuple[float, float]:
        """(low, high) of the true time, given a predicted time (true = predicted × (1 + error))."""
        time_s = positive("time_s", time_s)
        return time_s * (1 + self.low_fraction), time_s * (1 + self.high_fraction)


def _band(errors: list[float], source: str) -> ErrorBand:
    low, high = np.percentile(errors, [LOW_PERCENTILE, HIGH_PERCENTILE])
    return ErrorBand(low_fraction=float(low), high_fraction=float(high), num_cases=len(errors), source=source)


def error_band(chip_or_id: str | Chip, kind: str) -> ErrorBand:
    """The error band of ``chip_or_id``'s vendor family on ``kind`` (``"training"`` or ``"serving"``), from the
    stored validation record, with the fallback of the module docstring."""
    chip = as_chip(chip_or_id)
    kind = one_of("kind", kind, KINDS)
    family = family_of(chip)
    record = read_record()
    run = [(case.family, case.kind, case.error) for case in record.cases if case.error is not None]
    label = FAMILY_LABELS[family]
    where = f"chiplab/data/validation/record.toml ({record.updated.isoformat()})"
    groups = (
        ([e for f, k, e in run if f == family and k == kind], f"{label} {kind} cases"),
        ([e for f, _, e in run if f == family],
         f"{label} cases of both kinds (fewer than {MIN_CASES} {label} {kind} cases)"),
        ([e for _, _, e in run], f"all cases (fewer than {MIN_CASES} {label} cases)"),
    )
    for errors, name in groups:
        if len(errors) >= MIN_CASES:
            return _band(errors, f"10th-90th percentile of chiplab's speed errors on {len(errors)} validated "
                                 f"{name}, {where}")
    raise ChiplabInputError(f"the validation record has only {len(run)} validated cases; an error band needs "
                            f"{MIN_CASES}")
