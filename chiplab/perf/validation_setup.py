"""What every mapped end-to-end run shares: the quantity compared, the setup record, and reading a run's fields.

:mod:`chiplab.perf.validation_cases` maps training runs and :mod:`chiplab.perf.validation_serving` serving runs onto
chiplab's estimators; both read the run through the helpers here ("not stated" is None; a needed field that is not
stated makes the run :class:`NotMappable`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from chiplab.errors import ChiplabInputError
from chiplab.perf._measurement_types import NOT_IN_CATALOG, NOT_STATED, EndToEndRun
from chiplab.workloads.presets import load_model
from chiplab.workloads.transformer import TransformerConfig

TRAINING_QUANTITIES = ("mfu_fraction", "tokens_per_s_per_chip", "sequences_per_s", "step_time_s", "time_to_train_s",
                       "model_flops_per_s_per_chip")
SERVING_QUANTITIES = ("output_tokens_per_s", "tokens_per_s", "time_per_output_token_s", "latency_s",
                      "time_to_first_token_s")
# Quantities that are times: a longer time is a slower run, so their error is taken on the speed (1 / time).
TIME_QUANTITIES = ("step_time_s", "time_to_train_s", "time_per_output_token_s", "latency_s", "time_to_first_token_s")


class NotMappable(Exception):
    """A run chiplab cannot estimate: its message is the exact reason shown in ``chiplab validate``."""


@dataclass(frozen=True)
class CaseSetup:
    """A run as chiplab will estimate it: the estimator's arguments and every default chosen for it."""

    run: EndToEndRun
    quantity: str               # the measured quantity compared (a key of ``run.measured``)
    config: TransformerConfig   # the model at the run's precision
    arguments: dict[str, Any]   # keyword arguments of estimate_training / estimate_serving (chip included)
    replicas: int               # serving: model instances on the run's chips (1 for training)
    defaults: tuple[str, ...]   # each "not stated" field and the default used for it


def primary_quantity(run: EndToEndRun) -> str:
    """The measured quantity a case compares (see ``TRAINING_QUANTITIES``/``SERVING_QUANTITIES``)."""
    preference = TRAINING_QUANTITIES if run.workload == "training" else SERVING_QUANTITIES
    for quantity in preference:
        if quantity in run.measured:
            return quantity
    raise NotMappable(f"measures only {', '.join(run.measured)}, none of which chiplab predicts for "
                      f"{run.workload}")


def stated(run: EndToEndRun, field: str) -> Any:
    value = getattr(run, field)
    return None if value is None or value == NOT_STATED else value


def need(run: EndToEndRun, field: str) -> Any:
    value = stated(run, field)
    if value is None:
        raise NotMappable(f"{field} is not stated, and chiplab has no default for it")
    return value


def run_model(run: EndToEndRun, defaults: list[str]) -> TransformerConfig:
    name = run.model
    if name == NOT_IN_CATALOG:  # recorded before its preset existed: the preset named by needs_model, if added since
        name = run.needs_model.split(" (")[0]
        try:
            load_model(name)
        except ChiplabInputError:
            raise NotMappable(f"no model preset for {name} in chiplab/data/models/") from None
        defaults.append(f"model recorded as not in the catalog: the {name} preset")
    config = load_model(name)
    text = run.precision.lower()
    if "fp4" in text:  # weights stored in 4 bits; GEMMs at the fp8 rate (chiplab has no sub-byte arithmetic)
        defaults.append("FP4 weights stored as fp4 (half a byte each); FP4 arithmetic not modelled: GEMMs at the "
                        "fp8 rate, half the chip's fp4 peak (workloads/gemm.py computes in whole-byte formats)")
        return dataclasses.replace(config, dtype="fp8", weight_dtype="fp4")
    if "fp8" in text:
        return dataclasses.replace(config, dtype="fp8")
    if "int8" in text and run.workload == "training":
        return dataclasses.replace(config, dtype="int8")
    if "int8" in text:
        return dataclasses.replace(config, weight_dtype="int8")
    if run.precision == NOT_STATED:
        defaults.append("precision not stated: bf16")
    return config
