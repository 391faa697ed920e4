"""chiplab vs published: every end-to-end run of the measurement record, estimated and compared.

Each run of ``chiplab/data/measurements/runs_*.toml`` is mapped to :func:`estimate_training` or
:func:`estimate_serving` (:mod:`chiplab.perf.validation_cases` says how, and which defaults stand in for what a
source does not state), run with the estimators' *default* calibration, and compared on the quantity the run
measured. ``error_fraction`` is the signed error of the predicted speed (see :mod:`chiplab.perf.validation_record`):
positive means chiplab is faster than measured. A run chiplab cannot estimate is kept as a :class:`NotRunCase` with
the exact reason. The summary, the cross-vendor orderings and the accuracy gate are in
:mod:`chiplab.perf.validation_summary` and :mod:`chiplab.perf.validation_record`.

``python -m chiplab.perf.validation --update-record "one-line reason"`` rewrites the stored record.
"""

from __future__ import annotations

import dataclasses
import functools
import statistics
import sys
from dataclasses import dataclass
from typing import Protocol

from chiplab._checks import instance_of, one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.catalog import load_chip
from chiplab.perf._measurement_types import EndToEndRun
from chiplab.perf.calibration import Calibration
from chiplab.perf.evaluation import evaluation_s
from chiplab.perf.inference import ServingEstimate, estimate_serving
from chiplab.perf.measurements import end_to_end_runs
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.perf.validation_cases import RECOMPUTE_ORDER, TIME_QUANTITIES, CaseSetup, NotMappable, case_setup
from chiplab.perf.validation_record import FAMILY_LABELS, KINDS, RecordedCase, family_of, write_record
from chiplab.perf.validation_setup import stated
from chiplab.tables import markdown_table


class _OfRun(Protocol):
    @property
    def run(self) -> EndToEndRun: ...


class _RunCase:
    """What every case, run or not, shows of its published run: the run's id and kind ("training", "serving")."""

    @property
    def id(self: _OfRun) -> str:
        return self.run.id

    @property
    def kind(self: _OfRun) -> str:
        return self.run.workload


@dataclass(frozen=True)
class ValidationCase(_RunCase):
    """One run as chiplab predicts it, beside what was measured."""

    setup: CaseSetup
    estimate: TrainingEstimate | ServingEstimate
    predicted: float                      # in the unit of ``quantity``
    notes: tuple[str, ...] = ()            # what the estimate itself flags (e.g. memory over capacity)

    @property
    def run(self) -> EndToEndRun:
        return self.setup.run

    @property
    def family(self) -> str:
        return family_of(self.setup.arguments["chip"])

    @property
    def quantity(self) -> str:
        return self.setup.quantity

    @property
    def published(self) -> float:
        return self.run.measured[self.quantity]

    @property
    def error_fraction(self) -> float:
        """Signed error of the predicted speed (positive: chiplab faster than measured)."""
        if self.quantity in TIME_QUANTITIES:
            return self.published / self.predicted - 1
        return self.predicted / self.published - 1

    @property
    def calibration(self) -> str:
        step = self.estimate.microbatch_step if isinstance(self.estimate, TrainingEstimate) else self.estimate.prefill
        return step.calibration.name

    @property
    def predicted_tokens_per_s_per_chip(self) -> float:
        """chiplab's tokens/s per chip (training tokens, or generated tokens when serving): the common speed the
        cross-vendor orderings compare."""
        if isinstance(self.estimate, TrainingEstimate):
            return self.estimate.tokens_per_s / self.estimate.num_chips
        return self.estimate.output_tokens_per_s / self.estimate.tensor_parallel

    @property
    def published_tokens_per_s_per_chip(self) -> float:
        """The measured speed in the same unit: the predicted one divided by 1 + the speed error."""
        return self.predicted_tokens_per_s_per_chip / (1 + self.error_fraction)

    # The names the book's validation chapter reads (MFU cases).
    @property
    def label(self) -> str:
        return f"{self.run.model_as_published} on {self.run.num_chips} {self.setup.arguments['chip'].display_name}"

    @property
    def source(self) -> str:
        return f"{self.run.source.title}, {self.run.where}"

    @property
    def published_mfu_fraction(self) -> float:
        return self.run.measured["mfu_fraction"]

    @property
    def chiplab_mfu_fraction(self) -> float:
        return self.estimate.mfu_fraction  # type: ignore[union-attr]  # MFU cases are training cases

    def recorded(self) -> RecordedCase:
        return RecordedCase(id=self.id, kind=self.kind, family=self.family, chip=self.run.chip,
                            quantity=self.quantity, published=self.published, predicted=self.predicted,
                            error=self.error_fraction, calibration=self.calibration)


@dataclass(frozen=True)
class NotRunCase(_RunCase):
    """A run chiplab cannot estimate, and exactly why."""

    run: EndToEndRun
    reason: str

    @property
    def family(self) -> str:
        return family_of(load_chip(self.run.chip))

    def recorded(self) -> RecordedCase:
        return RecordedCase(id=self.id, kind=self.kind, family=self.family, chip=self.run.chip, not_run=self.reason)


def _does_not_fit(exc: ChiplabInputError) -> bool:
    return str(exc).startswith("does not fit")


def _estimate_training(setup: CaseSetup) -> tuple[TrainingEstimate, tuple[str, ...]]:
    arguments = dict(setup.arguments)
    chip, recompute = arguments.pop("chip"), arguments.pop("recompute")
    for mode in (recompute,) if recompute else RECOMPUTE_ORDER:
        try:
            return estimate_training(setup.config, chip, recompute=mode, **arguments), ()
        except ChiplabInputError as exc:
            if not _does_not_fit(exc):
                raise
    mode = recompute or "full"
    estimate = estimate_training(setup.config, chip, recompute=mode, check_memory=False, **arguments)
    return estimate, (f"over capacity in chiplab's memory model (recompute {mode}): timed anyway",)


def _estimate_serving(setup: CaseSetup) -> tuple[ServingEstimate, tuple[str, ...]]:
    arguments = dict(setup.arguments)
    chip = arguments.pop("chip")
    try:
        return estimate_serving(setup.config, chip, **arguments), ()
    except ChiplabInputError as exc:
        if not _does_not_fit(exc):
            raise
    estimate = estimate_serving(setup.config, chip, check_memory=False, **arguments)
    return estimate, ("over capacity in chiplab's memory model: timed anyway",)


def _predicted(setup: CaseSetup, estimate: TrainingEstimate | ServingEstimate) -> float:
    q = setup.quantity
    if isinstance(estimate, TrainingEstimate):
        per_chip = {"mfu_fraction": estimate.mfu_fraction,
                    "tokens_per_s_per_chip": estimate.tokens_per_s / estimate.num_chips,
                    "sequences_per_s": estimate.global_batch / estimate.time_s, "step_time_s": estimate.time_s,
                    "model_flops_per_s_per_chip": estimate.model_flops / estimate.time_s / estimate.num_chips}
        if q == "time_to_train_s":  # the timed run also holds its evaluation passes, where the record counts them
            evals = stated(setup.run, "eval_tokens"), stated(setup.run, "num_evals")
            eval_s = evaluation_s(estimate, eval_tokens=evals[0], num_evals=evals[1]) if None not in evals else 0.0
            return setup.run.train_tokens / estimate.tokens_per_s + eval_s  # type: ignore[operator]  # checked when mapped
        return per_chip[q]
    return {"output_tokens_per_s": estimate.output_tokens_per_s * setup.replicas,
            "tokens_per_s": estimate.tokens_per_s * setup.replicas,
            "time_per_output_token_s": estimate.time_per_output_token_s, "latency_s": estimate.time_s,
            "time_to_first_token_s": estimate.prefill_s}[q]


def validate_run(run: EndToEndRun, calibration: Calibration | None = None) -> ValidationCase | NotRunCase:
    """Estimate one run; a run chiplab cannot estimate comes back as a :class:`NotRunCase` with the reason.
    ``calibration`` replaces the chip's fitted one (e.g. ``Calibration.ideal()``, to see what calibrating changed)."""
    try:
        setup = case_setup(run)
        if calibration is not None:
            setup = dataclasses.replace(setup, arguments={**setup.arguments, "calibration": calibration})
        estimate, notes = (_estimate_training(setup) if run.workload == "training" else _estimate_serving(setup))
    except (NotMappable, ChiplabInputError) as exc:
        return NotRunCase(run=run, reason=str(exc))
    return ValidationCase(setup=setup, estimate=estimate, predicted=_predicted(setup, estimate), notes=notes)


@dataclass(frozen=True)
class ValidationReport:
    """Every case of a validation: those run and those not run (with reasons), in the record's order."""

    cases: tuple[ValidationCase, ...]
    not_run: tuple[NotRunCase, ...]

    def median_abs_error_fraction(self) -> float:
        return statistics.median(abs(c.error_fraction) for c in self.cases) if self.cases else float("nan")

    def recorded(self) -> list[RecordedCase]:
        everything = {c.id: c.recorded() for c in self.cases} | {c.id: c.recorded() for c in self.not_run}
        return [everything[run.id] for run in end_to_end_runs() if run.id in everything]

    def select(self, *, family: str | None = None, kind: str | None = None) -> ValidationReport:
        """The cases of one vendor family and/or kind (names as in ``FAMILY_LABELS`` and ``KINDS``)."""
        if family is not None:
            family = one_of("family", family, FAMILY_LABELS)
        if kind is not None:
            kind = one_of("kind", kind, KINDS)
        def keep(case: ValidationCase | NotRunCase) -> bool:
            return (family is None or case.family == family) and (kind is None or case.kind == kind)
        return ValidationReport(tuple(filter(keep, self.cases)), tuple(filter(keep, self.not_run)))


@functools.lru_cache(maxsize=1)
def validate() -> ValidationReport:
    """Run every end-to-end run of the measurement record (a few seconds; cached)."""
    results = [validate_run(run) for run in end_to_end_runs()]
    return ValidationReport(tuple(r for r in results if isinstance(r, ValidationCase)),
                            tuple(r for r in results if isinstance(r, NotRunCase)))


def validate_with(calibration: Calibration) -> ValidationReport:
    """Every end-to-end run with ``calibration`` instead of each chip's fitted one (not cached, not recorded): the
    book compares ``validate_with(Calibration.ideal())`` with :func:`validate` to show what calibration changed."""
    results = [validate_run(run, calibration) for run in end_to_end_runs()]
    return ValidationReport(tuple(r for r in results if isinstance(r, ValidationCase)),
                            tuple(r for r in results if isinstance(r, NotRunCase)))


@dataclass(frozen=True)
class ValidationTable:
    """The published-MFU cases (the three large training runs the book's chapter 9 discusses)."""

    cases: tuple[ValidationCase, ...]

    def to_markdown(self) -> str:
        rows = [[c.label, f"{c.published_mfu_fraction:.1%}", f"{c.chiplab_mfu_fraction:.1%}",
                 f"{c.error_fraction:+.0%}", c.source] for c in self.cases]
        return markdown_table(["run", "published MFU", f"chiplab MFU ({self.cases[0].calibration})", "error",
                               "source"], rows)


def validate_training() -> ValidationTable:
    """The training cases whose published figure is MFU, in the record's order (compatible with chapter 9)."""
    return ValidationTable(tuple(c for c in validate().cases if c.quantity == "mfu_fraction"))


def update_record(reason: str) -> str:
    """Re-run every case and store the result with ``reason``; returns a one-line summary of what was written."""
    validate.cache_clear()
    report = validate()
    path = write_record(report.recorded(), reason)
    return (f"wrote {path}: {len(report.cases)} cases run, {len(report.not_run)} not run, median |error| "
            f"{report.median_abs_error_fraction():.1%}")


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "--update-record":
        print('usage: python -m chiplab.perf.validation --update-record "one-line reason"', file=sys.stderr)
        return 2
    print(update_record(argv[1]))
    return 0


__all__ = ["FAMILY_LABELS", "NotRunCase", "ValidationCase", "ValidationReport", "ValidationTable", "update_record",
           "validate", "validate_run", "validate_training", "validate_with"]

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))


def checked_report(name: str, report: object) -> ValidationReport:
    """``report`` if it is a :class:`ValidationReport`, else a clear error naming ``name``."""
    return instance_of(name, report, ValidationReport, "a ValidationReport (chiplab.perf.validate())")
