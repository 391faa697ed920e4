"""Side-by-side tables for the book: the dataflow table, and chiplab's pipelined timing vs SCALE-Sim's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic import scalesim_convention
from chiplab.systolic.closed_form import estimate
from chiplab.systolic.dataflow import MAPPINGS, Dataflow, parse_dataflow
from chiplab.tables import markdown_table
from chiplab.workloads.gemm import Gemm


def dataflow_table() -> str:
    """The dataflow table (which GEMM dimension goes on rows, columns and time) as Markdown."""
    rows = [[f"{m.long_name} ({f.value.upper()})", m.rows_dim, m.cols_dim, m.time_dim, m.stationary_operand,
             m.left_operand, m.top_operand] for f, m in MAPPINGS.items()]
    return markdown_table(["dataflow", "rows (S_R)", "columns (S_C)", "time (T)", "stays in the PEs",
                           "enters at the left", "moves down"], rows)


@dataclass(frozen=True)
class ConventionRow:
    gemm: Gemm
    num_folds: int
    pipelined_cycles: int
    scalesim_reported_cycles: int

    @property
    def scalesim_over_pipelined(self) -> float:
        return self.scalesim_reported_cycles / self.pipelined_cycles


@dataclass(frozen=True)
class ConventionComparison:
    """chiplab's pipelined convention next to SCALE-Sim 3.0.0's reported cycles, for several GEMMs."""

    array: SystolicArraySpec
    dataflow: Dataflow
    rows: tuple[ConventionRow, ...]

    def to_markdown(self) -> str:
        return markdown_table(
            ["GEMM (m, n, k)", "folds", "chiplab pipelined cycles", "SCALE-Sim reported cycles", "ratio"],
            [[f"{r.gemm.m}, {r.gemm.n}, {r.gemm.k}", r.num_folds, r.pipelined_cycles, r.scalesim_reported_cycles,
              f"{r.scalesim_over_pipelined:.2f}×"] for r in self.rows],
        )


def compare_conventions(gemms: Sequence[Gemm], array: SystolicArraySpec,
                        dataflow: Dataflow | str = "ws") -> ConventionComparison:
    """Time each GEMM under both conventions (closed form; microseconds each)."""
    flow = parse_dataflow(dataflow)
    if isinstance(gemms, Gemm | str) or not isinstance(gemms, Sequence) or not gemms:
        raise ChiplabInputError(f"gemms must be a non-empty list of chiplab.Gemm; got {gemms!r}")
    rows = []
    for gemm in gemms:
        timing = estimate(gemm, array, flow)
        rows.append(ConventionRow(gemm=gemm, num_folds=timing.num_folds, pipelined_cycles=timing.total_cycles,
                                  scalesim_reported_cycles=scalesim_convention.reported_cycles(timing.plan)))
    return ConventionComparison(array=array, dataflow=flow, rows=tuple(rows))
