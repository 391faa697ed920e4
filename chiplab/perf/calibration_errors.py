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
from chiplab.perf.calibration_fit import (
    APPLIED_SHAPE_CLASS,
    QUANTITIES,
    CalibrationFit,
    Factor,
    FitPoint,
    default_fit,
    fit_calibration,
)
from chiplab.perf.calibration_points import WEIGHT_STREAM
from chiplab.perf.measurements import load_measurements
from chiplab.tables import markdown_table


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
class CalibrationReport:
    """The fitted factors per chip and the leave-one-source-out errors (one row per micro-benchmark source)."""

    factors: tuple[tuple[str, str, Factor], ...]  # (chip id, quantity label, factor)
    sources: tuple[SourceError, ...]
    skipped: tuple[tuple[str, str], ...]

    def factors_table(self) -> str:
        rows = [[chip, label, _value(label, f), f.level, ", ".join(f.entry_ids) if f.level.startswith("own") else ""]
                for chip, label, f in self.factors]
        return markdown_table(["chip", "factor", "fitted", "from", "entries"], rows)

    def errors_table(self) -> str:
        rows = [[s.source_id, len(s.predictions),
                 "" if s.median_abs_error_fraction is None else f"{s.median_abs_error_fraction:.0%}",
                 "" if s.max_abs_error_fraction is None else f"{s.max_abs_error_fraction:.0%}",
                 ", ".join(sorted({p.quantity for p in s.predictions})) or "nothing fitted from it"]
                for s in self.sources]
        return markdown_table(["left-out source", "entries predicted", "median |error|", "max |error|", "quantities"],
                              rows)


def _value(label: str, factor: Factor) -> str:
    return f"{factor.value * 1e6:.3g} µs" if label == "latency" else f"{factor.value:.3f}"


def _predict(point: FitPoint, fit: CalibrationFit) -> Prediction:
    dtype, _, shape_class = point.key.partition(" ")
    if point.quantity == "matmul":
        factor = fit.factor("matmul", point.chip_id, dtype, shape_class)
        predicted = point.modelled_s / factor.applied
    elif point.quantity in ("network", "latency"):
        factor = fit.factor("network", point.chip_id)
        latency = fit.factor("latency", point.chip_id)
        predicted = point.modelled_s / factor.applied + latency.value
        if point.quantity == "latency":
            factor = latency
    else:  # weight_stream is kept per dtype (its key); memory, kv_attention and host per chip
        factor = fit.factor(point.quantity, point.chip_id, point.key if point.quantity == WEIGHT_STREAM else "bf16")
        predicted = point.modelled_s / factor.applied
    return Prediction(point.entry_id, point.quantity, point.chip_id, factor.level, predicted, point.measured_s)


def _achievable(points: tuple[FitPoint, ...]) -> list[FitPoint]:
    """The points a calibration claims to predict, by the fit's own rule: of each chip's GEMMs of one dtype and
    shape class, bandwidths and collectives, the best (a tutorial's unoptimised steps are not achievable
    performance); every latency point (their median is fitted). The small GEMM class is reported, not applied."""
    best: dict[tuple[str, str, str], FitPoint] = {}
    kept = []
    for point in points:
        if point.quantity == "matmul" and not point.key.endswith(APPLIED_SHAPE_CLASS):
            continue
        if point.quantity == "latency":
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
        for dtype in dtypes or ["bf16"]:
            for shape_class in ("large", "small"):
                found = fit.factor("matmul", chip_id, dtype, shape_class)
                if shape_class == APPLIED_SHAPE_CLASS or found.level == "own":
                    applied = "" if shape_class == APPLIED_SHAPE_CLASS else " (reported, not applied)"
                    factors.append((chip_id, f"matmul {dtype} {shape_class}{applied}", found))
        factors += [(chip_id, f"{WEIGHT_STREAM} {dtype}", fit.factor(WEIGHT_STREAM, chip_id, dtype))
                    for dtype in dtypes or ["bf16"]]
        factors += [(chip_id, quantity, fit.factor(quantity, chip_id)) for quantity in QUANTITIES[1:]
                    if quantity != WEIGHT_STREAM]
    return CalibrationReport(factors=tuple(factors), sources=leave_one_source_out(), skipped=fit.skipped)
