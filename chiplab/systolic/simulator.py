"""Cycle-level simulation of a systolic array that moves real values (for tests, teaching and animation).

>>> import numpy as np
>>> a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
>>> run = simulate(a, b, SystolicArraySpec(num_rows=2, num_cols=2), "os")
>>> bool((run.product == a @ b).all()), run.total_cycles
(True, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiplab._checks import one_of, positive_int
from chiplab._guard import ResourceEstimate, check_resources
from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic import engines
from chiplab.systolic.closed_form import pipelined_cycles
from chiplab.systolic.dataflow import Dataflow, FoldPlan, parse_dataflow, plan_folds
from chiplab.systolic.occupancy import ArraySnapshot
from chiplab.units import format_bytes
from chiplab.workloads.gemm import Gemm

TRACE_KINDS = ("none", "busy", "full")
DEFAULT_MAX_TRACE_BYTES = 512 * 1024**2
# About a minute of stepping on a 128×128 array; the closed form answers bigger questions in microseconds.
DEFAULT_MAX_CYCLES = 1_000_000
# The engines' speed on one laptop core (benchmarks/bench_systolic.py): a fixed cost per cycle of numpy calls,
# plus a cost per PE updated. 4×4 arrays: ~38 µs per cycle; 512×512: ~4.8e8 PE-updates per second.
SECONDS_PER_CYCLE = 40e-6
PE_UPDATES_PER_S = 4e8


@dataclass(frozen=True)
class SystolicTrace:
    """What every PE held at the end of each cycle; arrays are indexed [cycle, row, column].

    ``left_values``: the operand moving right (A for WS/OS, B for IS). ``top_values``: what moves down
    (partial sums for WS/IS, B for OS). ``stationary_values``: what stays (weights B for WS, A for IS, the
    accumulating outputs C for OS). ``busy``: the PE did a useful (non-padding) multiply-accumulate.
    The value grids are None for ``trace="busy"``.
    """

    dataflow: Dataflow
    busy: np.ndarray
    left_values: np.ndarray | None
    top_values: np.ndarray | None
    stationary_values: np.ndarray | None

    @property
    def num_cycles(self) -> int:
        return int(self.busy.shape[0])

    @property
    def busy_pes_per_cycle(self) -> np.ndarray:
        return np.asarray(self.busy.sum(axis=(1, 2)))

    def snapshot(self, cycle: int) -> ArraySnapshot:
        """The array at one cycle, with values when the trace has them (for drawing)."""
        if not 0 <= cycle < self.num_cycles:
            raise ChiplabInputError(f"cycle must be between 0 and {self.num_cycles - 1}; got {cycle}")
        grids = (self.left_values, self.top_values, self.stationary_values)
        left, top, stationary = (None if g is None else g[cycle] for g in grids)
        return ArraySnapshot(self.dataflow, cycle, self.num_cycles, self.busy[cycle], left, top, stationary)


@dataclass(frozen=True)
class SystolicRun:
    """Result of :func:`simulate`: the product, the cycle count and (on request) the per-cycle trace."""

    product: np.ndarray
    total_cycles: int
    plan: FoldPlan
    array: SystolicArraySpec
    num_macs: int
    trace: SystolicTrace | None

    @property
    def compute_utilization_fraction(self) -> float:
        return self.num_macs / (self.array.num_pes * self.total_cycles)


def _as_matrix(name: str, value: object) -> np.ndarray:
    try:
        matrix = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ChiplabInputError(f"{name} must be a 2-D array of numbers; got {type(value).__name__}") from exc
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ChiplabInputError(f"{name} must be a non-empty 2-D array (matrix); got shape {matrix.shape}")
    if matrix.dtype.kind not in "biuf":
        raise ChiplabInputError(f"{name} must hold integers or real numbers; got dtype {matrix.dtype}")
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        raise ChiplabInputError(f"{name} contains NaN or infinity; only finite numbers can be simulated")
    return matrix.astype(np.int64) if matrix.dtype.kind in "biu" else matrix.astype(np.float64)


def _check_array(array: object) -> SystolicArraySpec:
    if not isinstance(array, SystolicArraySpec):
        raise ChiplabInputError(f"array must be a chiplab.SystolicArraySpec such as SystolicArraySpec(num_rows=4, "
                                f"num_cols=4); got {array!r} ({type(array).__name__})")
    return array


def _check_operands(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    a_mat, b_mat = _as_matrix("a", a), _as_matrix("b", b)
    if a_mat.shape[1] != b_mat.shape[0]:
        raise ChiplabInputError(
            f"a is {a_mat.shape[0]}×{a_mat.shape[1]} and b is {b_mat.shape[0]}×{b_mat.shape[1]}: "
            "a's column count must equal b's row count (C[m, n] = A[m, k] @ B[k, n])"
        )
    if a_mat.dtype.kind == "i" and b_mat.dtype.kind == "i":
        # Exact integer results need the worst-case sum to fit in int64.
        bound = int(np.abs(a_mat).max()) * int(np.abs(b_mat).max()) * a_mat.shape[1]
        if bound >= 2**63:
            raise ChiplabInputError("integer inputs are too large: m·n·k products could overflow int64; use floats")
    else:
        a_mat, b_mat = a_mat.astype(np.float64), b_mat.astype(np.float64)
    return a_mat, b_mat


class _TraceRecorder:
    def __init__(self, kind: str, num_cycles: int, array: SystolicArraySpec, dtype: np.dtype):
        shape = (num_cycles, array.num_rows, array.num_cols)
        self.busy = np.zeros(shape, bool)
        full = kind == "full"
        self.left = np.zeros(shape, dtype) if full else None
        self.top = np.zeros(shape, dtype) if full else None
        self.stationary = np.zeros(shape, dtype) if full else None

    def __call__(self, cycle: int, left: np.ndarray, top: np.ndarray, stationary: np.ndarray,
                 busy: np.ndarray) -> None:
        self.busy[cycle] = busy
        if self.left is not None and self.top is not None and self.stationary is not None:  # all or none
            self.left[cycle], self.top[cycle], self.stationary[cycle] = left, top, stationary

    def result(self, dataflow: Dataflow, num_cycles: int) -> SystolicTrace:
        cut = slice(0, num_cycles)
        grids = [None if g is None else g[cut] for g in (self.left, self.top, self.stationary)]
        return SystolicTrace(dataflow, self.busy[cut], *grids)


def trace_bytes(num_cycles: int, array: SystolicArraySpec, kind: str, itemsize: int = 8) -> int:
    """Memory a trace needs: one byte per PE-cycle for the busy mask, plus three value grids for "full"."""
    per_pe_cycle = 1 + (3 * itemsize if kind == "full" else 0)
    return num_cycles * array.num_pes * per_pe_cycle


def simulation_resources(gemm: Gemm, array: SystolicArraySpec, dataflow: Dataflow | str = "ws", *,
                         trace: str = "none", max_cycles: int = DEFAULT_MAX_CYCLES,
                         max_trace_bytes: int = DEFAULT_MAX_TRACE_BYTES) -> ResourceEstimate:
    """Check, before anything is allocated, that simulating ``gemm`` fits the cycle, trace and resource limits
    (:mod:`chiplab._guard`); returns the estimate. Work is counted in PE-updates: cycles × PEs."""
    flow = parse_dataflow(dataflow)
    trace = one_of("trace", trace, TRACE_KINDS)
    max_cycles = positive_int("max_cycles", max_cycles)
    plan = plan_folds(gemm, array, flow)
    expected_cycles = pipelined_cycles(plan)
    closed_form_hint = "use chiplab.systolic.estimate() for the closed form, or smaller matrices"
    if expected_cycles > max_cycles:
        raise ChiplabInputError(
            f"this simulation needs {expected_cycles:,} cycles, more than max_cycles={max_cycles:,}; "
            f"{closed_form_hint}, or raise max_cycles"
        )
    needed_trace = trace_bytes(expected_cycles, array, trace) if trace != "none" else 0
    if needed_trace > max_trace_bytes:
        raise ChiplabInputError(
            f"a {trace!r} trace of {expected_cycles:,} cycles on a {array} needs {format_bytes(needed_trace)}, more "
            f"than max_trace_bytes={format_bytes(max_trace_bytes)}; use trace='busy', smaller matrices, "
            "or raise max_trace_bytes"
        )
    pe_updates = expected_cycles * array.num_pes
    padded_rows, padded_cols = plan.num_row_folds * array.num_rows, plan.num_col_folds * array.num_cols
    # Operands (given and converted), the engines' padded copies, the product and its numpy check, PE registers.
    elements = (2 * (gemm.m * gemm.k + gemm.k * gemm.n) + plan.temporal * (padded_rows + padded_cols)
                + padded_rows * padded_cols + 2 * gemm.m * gemm.n + 8 * array.num_pes)
    return check_resources(
        f"simulating a {gemm.m}×{gemm.k} @ {gemm.k}×{gemm.n} GEMM on a {array}",
        work=pe_updates, work_unit="PE-updates",
        estimated_s=expected_cycles * SECONDS_PER_CYCLE + pe_updates / PE_UPDATES_PER_S,
        memory_bytes=elements * 8 + needed_trace, shrink_hint=closed_form_hint[0].upper() + closed_form_hint[1:])


def simulate(
    a: object,
    b: object,
    array: SystolicArraySpec,
    dataflow: Dataflow | str = "ws",
    *,
    trace: str = "none",
    max_trace_bytes: int = DEFAULT_MAX_TRACE_BYTES,
    max_cycles: int = DEFAULT_MAX_CYCLES,
) -> SystolicRun:
    """Multiply ``a @ b`` on ``array`` cycle by cycle under ``dataflow`` (pipelined convention).

    ``trace``: "none", "busy" (which PEs did useful work each cycle — cheap, for occupancy heatmaps of
    real-size arrays) or "full" (also every operand and partial sum — for small arrays with values).
    Refuses, with a message, runs longer than ``max_cycles``, traces larger than ``max_trace_bytes`` and runs
    beyond the resource guard's limits (see :func:`simulation_resources`).
    """
    array = _check_array(array)
    a_mat, b_mat = _check_operands(a, b)
    flow = parse_dataflow(dataflow)
    trace = one_of("trace", trace, TRACE_KINDS)
    gemm = Gemm(m=a_mat.shape[0], n=b_mat.shape[1], k=a_mat.shape[1], dtype="fp64")
    simulation_resources(gemm, array, flow, trace=trace, max_cycles=max_cycles, max_trace_bytes=max_trace_bytes)
    plan = plan_folds(gemm, array, flow)
    expected_cycles = pipelined_cycles(plan)
    recorder = None if trace == "none" else _TraceRecorder(trace, expected_cycles, array, a_mat.dtype)
    # Margin of one cycle so that an engine/closed-form disagreement surfaces as a test failure, not a hang.
    limit = expected_cycles + 1
    if flow is Dataflow.WS:
        product, cycles = engines.run_stationary(a_mat, b_mat, plan, limit, recorder)
    elif flow is Dataflow.IS:
        # IS is WS on the transposed product: Cᵀ = Bᵀ Aᵀ with Aᵀ stationary and Bᵀ streaming (the IS plan lays
        # k on rows, m on columns and n through time, exactly the WS layout of the transposed product).
        product_t, cycles = engines.run_stationary(b_mat.T, a_mat.T, plan, limit, recorder)
        product = product_t.T
    else:
        product, cycles = engines.run_output_stationary(a_mat, b_mat, plan, limit, recorder)
    return SystolicRun(
        product=np.ascontiguousarray(product),
        total_cycles=cycles,
        plan=plan,
        array=array,
        num_macs=gemm.num_macs,
        trace=None if recorder is None else recorder.result(flow, cycles),
    )
