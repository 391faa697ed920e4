"""Systolic arrays: the dataflow table, closed-form timing and a cycle-level simulator that moves real values."""

from chiplab.systolic.closed_form import CONVENTIONS, SramTraffic, SystolicTiming, estimate
from chiplab.systolic.comparison import ConventionComparison, compare_conventions, dataflow_table
from chiplab.systolic.dataflow import MAPPINGS, Dataflow, DataflowMapping, FoldPlan, parse_dataflow, plan_folds
from chiplab.systolic.simulator import SystolicRun, SystolicTrace, simulate
from chiplab.systolic.sweep import UtilizationSweep, sweep_utilization

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
