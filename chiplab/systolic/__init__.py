"""Systolic arrays: the dataflow table, closed-form timing and a cycle-level simulator that moves real values."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chiplab.systolic.closed_form import CONVENTIONS, SramTraffic, SystolicTiming, estimate
from chiplab.systolic.comparison import ConventionComparison, compare_conventions, dataflow_table
from chiplab.systolic.dataflow import MAPPINGS, Dataflow, DataflowMapping, FoldPlan, parse_dataflow, plan_folds

if TYPE_CHECKING:
    from chiplab.systolic.simulator import SystolicRun, SystolicTrace, simulate
    from chiplab.systolic.sweep import UtilizationSweep, sweep_utilization

# The simulator and the sweeps need numpy (about 120 ms to import); they load on first use (PEP 562), so that the
# closed form, the dataflow table and ``chiplab scalesim --help`` start without it (benchmarks/bench_startup.py).
_NUMPY_NAMES = {"SystolicRun": "simulator", "SystolicTrace": "simulator", "simulate": "simulator",
                "UtilizationSweep": "sweep", "sweep_utilization": "sweep"}

__all__ = [
    "CONVENTIONS",
    "MAPPINGS",
    "ConventionComparison",
    "Dataflow",
    "DataflowMapping",
    "FoldPlan",
    "SramTraffic",
    "SystolicRun",
    "SystolicTiming",
    "SystolicTrace",
    "UtilizationSweep",
    "compare_conventions",
    "dataflow_table",
    "estimate",
    "parse_dataflow",
    "plan_folds",
    "simulate",
    "sweep_utilization",
]


def __getattr__(name: str) -> Any:
    if name not in _NUMPY_NAMES:
        raise AttributeError(f"module 'chiplab.systolic' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"chiplab.systolic.{_NUMPY_NAMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
