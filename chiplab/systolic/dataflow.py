"""Dataflows as data: one table says how each maps a GEMM onto array rows, array columns and time.

A GEMM C[m, n] = A[m, k] @ B[k, n] has three dimensions; a 2-D array has two spatial axes and one temporal one.
A dataflow is nothing more than the choice of which GEMM dimension goes where, and therefore which operand
stays put in the processing elements (PEs):

==========================  =========  =========  ======  ==================  =========================
dataflow                    rows (S_R) cols (S_C) time T  stays in the PEs    enters at the left edge
==========================  =========  =========  ======  ==================  =========================
weight-stationary (WS)      k          n          m       B (the weights)     rows of A
output-stationary (OS)      m          n          k       C (the outputs)     rows of A (B enters at top)
input-stationary (IS)       k          m          n       A (the inputs)      columns of B
==========================  =========  =========  ======  ==================  =========================

This is SCALE-Sim's mapping (Samajdar et al., "A Systematic Methodology for Characterizing Scalability of DNN
Accelerators using SCALE-Sim", ISPASS 2020, Sec. III): WS puts the filter window (k) on rows and filters (n) on
columns and streams output pixels (m); OS puts pixels on rows and filters on columns; IS swaps the roles of
filters and pixels relative to WS. IS is WS applied to the transposed product Cᵀ = Bᵀ Aᵀ.

When S_R > R or S_C > C the GEMM is cut into *folds* (tiles of at most R×C), processed one after another:
column folds in the outer loop and row folds in the inner one, so that in WS/IS the partial sums of one output
block over successive k-folds arrive back to back at the accumulators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.workloads.gemm import Gemm


class Dataflow(StrEnum):
    """Which operand stays in the PEs. The value is the short name users type ("ws", "os", "is")."""

    WS = "ws"
    OS = "os"
    IS = "is"

    @classmethod
    def _missing_(cls, value: object) -> Dataflow:
        # Dataflow("WS") or Dataflow("weight-stationary") as parse_dataflow reads them; else a named error, not
        # enum's bare ValueError.
        return parse_dataflow(value)


@dataclass(frozen=True)
class DataflowMapping:
    """One row of the dataflow table (see the module docstring)."""

    dataflow: Dataflow
    long_name: str
    rows_dim: str  # GEMM dimension laid along the array's rows (S_R)
    cols_dim: str  # GEMM dimension laid along the array's columns (S_C)
    time_dim: str  # GEMM dimension streamed through time (T)
    stationary_operand: str  # what each PE holds for a whole fold
    left_operand: str  # what enters at the left edge and moves right
    top_operand: str  # what moves down the columns
    preloads_stationary: bool  # must a tile be loaded into the PEs before the first operand streams in?


MAPPINGS: dict[Dataflow, DataflowMapping] = {
    Dataflow.WS: DataflowMapping(Dataflow.WS, "weight-stationary", "k", "n", "m", "B", "A", "partial sums", True),
    Dataflow.OS: DataflowMapping(Dataflow.OS, "output-stationary", "m", "n", "k", "C", "A", "B", False),
    Dataflow.IS: DataflowMapping(Dataflow.IS, "input-stationary", "k", "m", "n", "A", "B", "partial sums", True),
}


def parse_dataflow(value: object) -> Dataflow:
    """Accept a Dataflow or its name in any case ("ws", "WS", "weight-stationary").

    >>> parse_dataflow("WS")
    <Dataflow.WS: 'ws'>
    """
    if isinstance(value, Dataflow):
        return value
    if isinstance(value, str):
        key = value.strip().lower().replace("_", "-")
        for flow, mapping in MAPPINGS.items():
            if key in (flow.value, mapping.long_name, mapping.long_name.replace("-", "")):
                return flow
    allowed = ", ".join(f"{f.value!r} ({m.long_name})" for f, m in MAPPINGS.items())
    raise ChiplabInputError(f"dataflow must be one of {allowed}; got {value!r}")


@dataclass(frozen=True)
class FoldPlan:
    """How a GEMM is laid onto an R×C array under one dataflow: S_R, S_C, T and the folds.

    >>> plan = plan_folds(Gemm(m=10, n=5, k=6), SystolicArraySpec(num_rows=4, num_cols=4), "ws")
    >>> (plan.spatial_rows, plan.spatial_cols, plan.temporal, plan.num_row_folds, plan.num_col_folds)
    (6, 5, 10, 2, 2)
    """

    dataflow: Dataflow
    num_rows: int  # R
    num_cols: int  # C
    spatial_rows: int  # S_R: GEMM elements laid along the rows
    spatial_cols: int  # S_C: GEMM elements laid along the columns
    temporal: int  # T: steps streamed through time in each fold
    # Cycles to swap in a stationary tile; None: R, one row a cycle (SCALE-Sim's and the TPU's convention).
    stationary_load_cycles: int | None = None

    @property
    def num_row_folds(self) -> int:
        return math.ceil(self.spatial_rows / self.num_rows)

    @property
    def num_col_folds(self) -> int:
        return math.ceil(self.spatial_cols / self.num_cols)

    @property
    def num_folds(self) -> int:
        return self.num_row_folds * self.num_col_folds

    @property
    def last_fold_rows(self) -> int:
        """Rows used by the last row fold (the remainder; R when S_R is a multiple of R)."""
        return self.spatial_rows - (self.num_row_folds - 1) * self.num_rows

    @property
    def last_fold_cols(self) -> int:
        return self.spatial_cols - (self.num_col_folds - 1) * self.num_cols

    @property
    def preload_cycles(self) -> int:
        """L: cycles before the first fold streams: one stationary-tile load (WS, IS), none for OS."""
        if not MAPPINGS[self.dataflow].preloads_stationary:
            return 0
        return self.num_rows if self.stationary_load_cycles is None else self.stationary_load_cycles

    @property
    def period_cycles(self) -> int:
        """P: cycles between the starts of consecutive folds, max(T, tile swap).

        The next stationary tile loads under the current stream (WS, IS), and OS writes each column's R
        finished outputs one per cycle, so a fold occupies the array edge for its T streamed steps or for the
        swap, whichever is longer (see :mod:`chiplab.systolic.closed_form`)."""
        swap = self.preload_cycles if MAPPINGS[self.dataflow].preloads_stationary else self.num_rows
        return max(self.temporal, swap)

    @property
    def mapping_efficiency_fraction(self) -> float:
        """Average fraction of PEs that hold real (not padding) work across folds: S_R·S_C / (folds·R·C)."""
        return (self.spatial_rows * self.spatial_cols) / (self.num_folds * self.num_rows * self.num_cols)

    def rows_used(self, row_fold: int) -> int:
        """Array rows holding real work in row fold ``row_fold`` (R, or the remainder in the last one)."""
        return min(self.num_rows, self.spatial_rows - row_fold * self.num_rows)

    def cols_used(self, col_fold: int) -> int:
        """Array columns holding real work in column fold ``col_fold``."""
        return min(self.num_cols, self.spatial_cols - col_fold * self.num_cols)


def plan_folds(gemm: Gemm, array: SystolicArraySpec, dataflow: Dataflow | str) -> FoldPlan:
    """Lay ``gemm`` onto ``array`` using the dataflow table."""
    instance_of("gemm", gemm, Gemm, "a chiplab.Gemm such as Gemm(m=128, n=128, k=128)")
    instance_of("array", array, SystolicArraySpec,
                "a chiplab.SystolicArraySpec such as SystolicArraySpec(num_rows=128, num_cols=128)")
    flow = parse_dataflow(dataflow)
    mapping = MAPPINGS[flow]
    dims = gemm.dims()
    return FoldPlan(
        dataflow=flow,
        num_rows=array.num_rows,
        num_cols=array.num_cols,
        spatial_rows=dims[mapping.rows_dim],
        spatial_cols=dims[mapping.cols_dim],
        temporal=dims[mapping.time_dim],
        stationary_load_cycles=None if array.stationary_load_rows_per_cycle == 1 else array.stationary_load_cycles,
    )
