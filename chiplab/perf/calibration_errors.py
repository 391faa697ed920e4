"""How good is the fitted calibration? Its factors per chip, and its leave-one-source-out error.

For each source of the micro-benchmark record, the calibration is refitted without that source's entries and
predicts what the fit claims to know of them (by its own rule: the best GEMM of each chip, dtype and shape
class, the best bandwidth and collective of each chip, every small-message latency). A GEMM's time is the
model's time ÷ the refitted matmul efficiency; a bandwidth is the datasheet's × the refitted fraction; a
collective's time is the network model at the refitted efficiency plus the refitted per-call latency.

The signed error (predicted − measured) ÷ measured says how far the calibration carries to a publisher, harness
or chip it has not seen: an entry whose chip has no other source is predicted from its family or from all chips,
which is exactly what an unmeasured chip gets. ``chiplab calibration`` prints both tables.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from chiplab._checks import instance_of
from chiplab.hardware.catalog import list_chips, load_chip
from chiplab.perf.calibration import KV_ATTENTION, STREAM, WEIGHT_STREAM, Calibration
from chiplab.perf.calibration_fit import (
    APPLIED_SHAPE_CLASS,
    QUANTITIES,
    CalibrationFit,
    Factor,
    FitPoint,
    default_fit,
    fit_calibration,
)
from chiplab.perf.measurements import load_measurements
from chiplab.tables import markdown_table
from chiplab.units import format_seconds


@dataclass(frozen=True)
class Prediction:
    """One left-out entry, predicted by the calibration fitted without its source."""

    entry_id: str
    quantity: str
    chip_id: str
    level: str  # where the refitted factor came from: "own", "family tpu", "all chips", "none"
    predicted_s: float
    measured_s: float

    @property
    def error_fraction(self) -> float:
        return (self.predicted_s - self.measured_s) / self.measured_s


@dataclass(frozen=True)
class SourceError:
    """The leave-one-source-out result of one source."""

    source_id: str
    predictions: tuple[Prediction, ...]  # empty when nothing fitted came from this source

    @property
    def median_abs_error_fraction(self) -> float | None:
        return statistics.median(abs(p.error_fraction) for p in self.predictions) if self.predictions else None

    @property
    def max_abs_error_fraction(self) -> float | None:
        return max(abs(p.error_fraction) for p in self.predictions) if self.predictions else None


@dataclass(frozen=True)
class FactorRow:
    """One factor of one chip: what the fit found and what the chip's estimates apply (``applied``: the value in
    :meth:`CalibrationFit.calibration_for`, None for a factor reported only). A fitted value above 1 is applied
    as 1, and a memory-bound kernel class at most at the chip's STREAM factor; ``cap`` says which, in words."""

    chip_id: str
    label: str  # the quantity, with its dtype and shape class where the fit keeps them apart
    factor: Factor
    applied: float | None
    cap: str  # "" when the fitted value is applied as it is

    @property
    def values(self) -> list[object]:
        """The row's columns (:data:`FACTOR_COLUMNS`): chip, factor, fitted, applied, cap, from, entries (an own
        factor's entries only); numbers unformatted (the command line's JSON keeps them numbers)."""
        return [self.chip_id, self.label, self.factor.value, self.applied, self.cap, self.factor.level,
                ", ".join(self.factor.entry_ids) if self.factor.level.startswith("own") else ""]

    @property
    def cells(self) -> list[object]:
        """:attr:`values` with the factors written out (a latency in µs)."""
        applied = "" if self.applied is None else _value(self.label, self.applied)
        return [*self.values[:2], _value(self.label, self.factor.value), applied, *self.values[4:]]


FACTOR_COLUMNS = ["chip", "factor", "fitted", "applied", "cap", "from", "entries"]


@dataclass(frozen=True)
class CalibrationReport:
    """The fitted factors per chip and the leave-one-source-out errors (one row per micro-benchmark source)."""

    factors: tuple[FactorRow, ...]
    sources: tuple[SourceError, ...]
    skipped: tuple[tuple[str, str], ...]

    def factors_table(self) -> str:
        return markdown_table(FACTOR_COLUMNS, [row.cells for row in self.factors])

    def errors_table(self) -> str:
        rows = [[s.source_id, len(s.predictions),
                 "" if s.median_abs_error_fraction is None else f"{s.median_abs_error_fraction:.0%}",
                 "" if s.max_abs_error_fraction is None else f"{s.max_abs_error_fraction:.0%}",
                 ", ".join(sorted({p.quantity for p in s.predictions})) or "nothing fitted from it"]
                for s in self.sources]
        return markdown_table(["left-out source", "entries predicted", "median |error|", "max |error|", "quantities"],
                              rows)


def _value(label: str, value: float) -> str:
    return format_seconds(value) if label in ("latency", "bulk_latency") else f"{value:.3f}"


def _applied(quantity: str, calibration: Calibration) -> float:
    """The value ``calibration`` applies for ``quantity`` (a quantity of :data:`QUANTITIES`)."""
    if quantity in (WEIGHT_STREAM, KV_ATTENTION, "memory"):
        return calibration.memory_efficiency_of(STREAM if quantity == "memory" else quantity)
    bulk = {"bulk_latency": calibration.bulk_collective_latency_s,
            "bulk_network": calibration.bulk_network_efficiency_fraction}
    if quantity in bulk:  # no bulk line: the band is timed by the latency and the network factors
        found = bulk[quantity]
        if found is None:
            return calibration.collective_latency_s if quantity == "bulk_latency" else \
                calibration.network_efficiency_fraction
        return found
    return {"matmul": calibration.matmul_efficiency_fraction, "network": calibration.network_efficiency_fraction,
            "latency": calibration.collective_latency_s, "host": calibration.host_efficiency_fraction}[quantity]


def _row(chip_id: str, label: str, quantity: str, factor: Factor, calibration: Calibration | None) -> FactorRow:
    """A factor and what ``calibration`` (None: the factor is reported, not applied) makes of it."""
    if calibration is None:
        return FactorRow(chip_id, label, factor, None, "")
    applied = _applied(quantity, calibration)
    cap = ""
    if quantity in ("bulk_latency", "bulk_network") and calibration.bulk_collective_latency_s is None:
        cap = "no bulk line in the chip's family: the latency and network factors time the band"
    elif quantity == "bulk_network" and applied < factor.value:
        cap = "at most the network factor"
    elif applied < factor.value:
        stream = calibration.memory_efficiency_fraction
        cap = (f"at most the chip's STREAM memory factor ({stream:.3f})"
               if quantity in (WEIGHT_STREAM, KV_ATTENTION) and applied == stream else "at most 1")
    return FactorRow(chip_id, label, factor, applied, cap)


def _predict(point: FitPoint, fit: CalibrationFit) -> Prediction:
    dtype, _, shape_class = point.key.partition(" ")
    if point.quantity == "matmul":
        factor = fit.factor("matmul", point.chip_id, dtype, shape_class)
        predicted = point.modelled_s / factor.applied
    elif point.quantity in ("network", "latency", "bulk"):
        factor = fit.factor("network", point.chip_id)
        latency = fit.factor("latency", point.chip_id)
        predicted = point.modelled_s / factor.applied + latency.value
        if point.quantity == "latency":
            factor = latency
        elif point.quantity == "bulk":  # as Calibration.collective_s times the band (no cap below 256 MiB)
            factor = fit.factor("bulk_latency", point.chip_id)
            if factor.level != "none":
                efficiency = min(fit.factor("bulk_network", point.chip_id).applied,
                                 fit.factor("network", point.chip_id).applied)
                predicted = max(predicted, factor.value + point.modelled_s / efficiency)
    else:  # weight_stream is kept per dtype (its key); memory, kv_attention and host per chip
        factor = fit.factor(point.quantity, point.chip_id, point.key if point.quantity == WEIGHT_STREAM else "bf16")
        predicted = point.modelled_s / factor.applied
    return Prediction(point.entry_id, point.quantity, point.chip_id, factor.level, predicted, point.measured_s)


def _achievable(points: tuple[FitPoint, ...]) -> list[FitPoint]:
    """The points a calibration claims to predict, by the fit's own rule: of each chip's GEMMs of one dtype and
    shape class, bandwidths and collectives, the best (a tutorial's unoptimised steps are not achievable
    performance); every latency point (their median is fitted) and every bulk point (a line is fitted through
    them). The small GEMM class is reported, not applied."""
    best: dict[tuple[str, str, str], FitPoint] = {}
    kept = []
    for point in points:
        if point.quantity == "matmul" and not point.key.endswith(APPLIED_SHAPE_CLASS):
            continue
        if point.quantity in ("latency", "bulk"):  # every point of a band the fit draws a line through
            kept.append(point)
            continue
        group = (point.chip_id, point.quantity, point.key if point.quantity in ("matmul", WEIGHT_STREAM) else "")
        if group not in best or point.efficiency_fraction > best[group].efficiency_fraction:
            best[group] = point
    return kept + list(best.values())


def leave_one_source_out() -> tuple[SourceError, ...]:
    """For each source of the micro-benchmark record: refit without it, predict its entries (see the docstring)."""
    benchmarks = load_measurements().benchmarks
    rows = []
    for source_id in sorted({b.source.id for b in benchmarks}):
        refit = fit_calibration([b for b in benchmarks if b.source.id != source_id])
        left_out = fit_calibration([b for b in benchmarks if b.source.id == source_id])
        rows.append(SourceError(source_id, tuple(_predict(p, refit) for p in _achievable(left_out.points))))
    return tuple(rows)


def calibration_report(chips: tuple[str, ...] | None = None) -> CalibrationReport:
    """The fitted factors of ``chips`` (default: every real catalog chip) and the leave-one-source-out errors.

    >>> report = calibration_report(("h100_sxm",))
    >>> len(report.sources) == len({b.source.id for b in load_measurements().benchmarks})
    True
    """
    if chips is not None:
        instance_of("chips", chips, (tuple, list), "a tuple of chip ids or aliases, or None for every real chip")
    fit = default_fit()
    chip_ids = chips if chips is not None else tuple(c for c in list_chips() if load_chip(c).kind != "toy")
    factors = []
    for chip in chip_ids:
        chip_id = load_chip(chip).id
        dtypes = sorted({p.key.split()[0] for p in fit.points if p.quantity == "matmul" and p.chip_id == chip_id})
        applied_by_dtype = {dtype: fit.calibration_for(chip_id, dtype) for dtype in dtypes or ["bf16"]}
        for dtype, calibration in applied_by_dtype.items():
            for shape_class in ("large", "small"):
                found = fit.factor("matmul", chip_id, dtype, shape_class)
                if shape_class == APPLIED_SHAPE_CLASS:
                    factors.append(_row(chip_id, f"matmul {dtype} {shape_class}", "matmul", found, calibration))
                elif found.level == "own":
                    factors.append(_row(chip_id, f"matmul {dtype} {shape_class} (reported, not applied)", "matmul",
                                        found, None))
        factors += [_row(chip_id, f"{WEIGHT_STREAM} {dtype}", WEIGHT_STREAM, fit.factor(WEIGHT_STREAM, chip_id, dtype),
                         calibration) for dtype, calibration in applied_by_dtype.items()]
        bf16 = next(iter(applied_by_dtype.values()))  # the per-chip factors do not depend on the GEMM dtype
        factors += [_row(chip_id, quantity, quantity, fit.factor(quantity, chip_id), bf16)
                    for quantity in QUANTITIES[1:] if quantity != WEIGHT_STREAM]
    return CalibrationReport(factors=tuple(factors), sources=leave_one_source_out(), skipped=fit.skipped)
