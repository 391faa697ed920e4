"""chiplab vs published: the performance model run on published training setups, with the error of each.

The cases live in ``chiplab/data/validation/published_training.toml`` with their sources. chiplab runs each with
no calibration, so it predicts an upper bound; ``error_fraction`` = (chiplab − published) / published.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from chiplab.hardware.catalog import load_chip
from chiplab.perf.training import TrainingEstimate, estimate_training
from chiplab.tables import markdown_table
from chiplab.workloads.footprint import Parallelism
from chiplab.workloads.presets import load_model


@dataclass(frozen=True)
class ValidationCase:
    id: str
    label: str
    published_mfu_fraction: float
    source: str
    url: str
    note: str
    estimate: TrainingEstimate

    @property
    def chiplab_mfu_fraction(self) -> float:
        return self.estimate.mfu_fraction

    @property
    def error_fraction(self) -> float:
        return (self.chiplab_mfu_fraction - self.published_mfu_fraction) / self.published_mfu_fraction


@dataclass(frozen=True)
class ValidationTable:
    cases: tuple[ValidationCase, ...]

    def to_markdown(self) -> str:
        rows = [[c.label, f"{c.published_mfu_fraction:.1%}", f"{c.chiplab_mfu_fraction:.1%}",
                 f"{c.error_fraction:+.0%}", c.source] for c in self.cases]
        return markdown_table(["run", "published MFU", "chiplab MFU (uncalibrated)", "error", "source"], rows)


def _cases_data() -> list[dict]:
    text = resources.files("chiplab").joinpath("data", "validation", "published_training.toml").read_text()
    return tomllib.loads(text)["case"]


@lru_cache(maxsize=1)
def validate_training() -> ValidationTable:
    """Run every published case through :func:`estimate_training` (about a second, cached)."""
    cases = []
    for case in _cases_data():
        parallelism = Parallelism(tensor=case["tensor"], pipeline=case["pipeline"], data=case["data"],
                                  zero_stage=case["zero_stage"])
        estimate = estimate_training(load_model(case["model"]), load_chip(case["chip"]), parallelism=parallelism,
                                     global_batch=case["global_batch"], seq_len=case["seq_len"],
                                     recompute=case["recompute"])
        cases.append(ValidationCase(id=case["id"], label=case["label"],
                                    published_mfu_fraction=case["published_mfu_fraction"], source=case["source"],
                                    url=case["url"], note=case["note"], estimate=estimate))
    return ValidationTable(tuple(cases))
