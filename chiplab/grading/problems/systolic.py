"""Assignment 01: a GEMM on a weight-stationary systolic array — cycles, folds and utilisation, by hand and in code.

Part A is one fold on a small array, small enough to count on paper: 2R + c + T - 2 cycles with c the columns the
GEMM uses (chiplab's pipelined convention; the book's chapter "Systolic arrays" derives it). Part B needs several
folds, so students call :func:`chiplab.estimate` and compare dataflows.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from chiplab.grading.checks import AnswerFormat
from chiplab.grading.variants import Picker, ProblemSet
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic.closed_form import estimate
from chiplab.workloads.gemm import Gemm

ASSIGNMENT = "01_systolic_arrays"
ARRAY_SHAPES = ((4, 4), (4, 8), (8, 4), (8, 8), (6, 8), (8, 6), (6, 6))
PART_B_M = (6, 10, 16, 24, 40, 64, 100, 160)  # from decode-like (few rows of A) to training-like
DATAFLOW_NAMES = {"weight-stationary": "ws", "output-stationary": "os", "input-stationary": "is"}

OFF_BY_ONE = "off by one: count the cycles 0, 1, …, last — the index of the last cycle plus one"


@dataclass(frozen=True)
class SystolicParams:
    num_rows: int = field(metadata={"doc": "R, rows of processing elements (PEs) in the array"})
    num_cols: int = field(metadata={"doc": "C, columns of PEs in the array"})
    a_m: int = field(metadata={"doc": "part A: m, rows of A (streamed through time in WS)"})
    a_k: int = field(metadata={"doc": "part A: k, the shared dimension (along the array's rows in WS)"})
    a_n: int = field(metadata={"doc": "part A: n, columns of B (along the array's columns in WS)"})
    b_m: int = field(metadata={"doc": "part B: m"})
    b_k: int = field(metadata={"doc": "part B: k"})
    b_n: int = field(metadata={"doc": "part B: n"})

    @property
    def array(self) -> SystolicArraySpec:
        return SystolicArraySpec(num_rows=self.num_rows, num_cols=self.num_cols)

    @property
    def gemm_a(self) -> Gemm:
        return Gemm(m=self.a_m, n=self.a_n, k=self.a_k)

    @property
    def gemm_b(self) -> Gemm:
        return Gemm(m=self.b_m, n=self.b_n, k=self.b_k)


def _draw(pick: Picker) -> SystolicParams:
    rows, cols = pick.choice("array", ARRAY_SHAPES)
    # Part A fits in one fold but leaves rows and at least two columns idle (k < R, n < C - 1): the slips that
    # matter show up. Part B spills over both edges with a remainder, so the last folds are partly empty.
    return SystolicParams(
        num_rows=rows, num_cols=cols,
        a_m=pick.integer("a_m", 9, 24), a_k=pick.integer("a_k", 2, rows - 1), a_n=pick.integer("a_n", 2, cols - 2),
        b_m=pick.choice("b_m", PART_B_M),
        b_k=rows * pick.integer("b_k_folds", 1, 5) + pick.integer("b_k_rest", 1, rows - 1),
        b_n=cols * pick.integer("b_n_folds", 1, 4) + pick.integer("b_n_rest", 1, cols - 1),
    )


def _telling(p: SystolicParams) -> bool:
    """Part B's answers differ from what each wrong mapping or dataflow gives, so every hint can tell them apart,
    and no count equals a number of the table."""
    r, c = p.num_rows, p.num_cols
    row_folds, col_folds = math.ceil(p.b_k / r), math.ceil(p.b_n / c)
    wrong_folds = {math.ceil(p.b_m / r), math.ceil(p.b_n / r)}, {math.ceil(p.b_m / c), math.ceil(p.b_k / c)}
    cycles = [estimate(p.gemm_b, p.array, flow).total_cycles for flow in ("ws", "os", "is")]
    ws = cycles[0]
    others = {*cycles[1:], estimate(Gemm(m=p.b_m, n=p.b_k, k=p.b_n), p.array, "ws").total_cycles,
              estimate(p.gemm_b, p.array, "ws", convention="scalesim").total_cycles, 2 * r + c + p.b_m - 2}
    shown = {getattr(p, f.name) for f in dataclasses.fields(p)}  # no answer can be read off the table
    counts = {row_folds, col_folds, ws, estimate(p.gemm_a, p.array, "ws").total_cycles}
    return (row_folds not in wrong_folds[0] and col_folds not in wrong_folds[1] and len(set(cycles)) == 3
            and not others & {ws - 1, ws, ws + 1} and not counts & shown)



def formats(p: SystolicParams) -> tuple[AnswerFormat, ...]:
    return (AnswerFormat("q1_cycles", "count", "cycles"),
            AnswerFormat("q2_utilization_fraction", "quantity", "fraction", rel_tol=0.01),
            AnswerFormat("q3_row_folds", "count", "folds"),
            AnswerFormat("q3_col_folds", "count", "folds"),
            AnswerFormat("q4_cycles", "count", "cycles"),
            AnswerFormat("q5_best_dataflow", "choice", "", options=("ws", "os", "is"), synonyms=DATAFLOW_NAMES))


PARAMETERS = ProblemSet(ASSIGNMENT, "Systolic arrays: cycles, folds and utilisation", _draw, formats, fits=_telling)
