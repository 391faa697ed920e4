"""Assignment 01: a GEMM on a weight-stationary systolic array — cycles, folds and utilisation, by hand and in code.

Part A is one fold on a small array, small enough to count on paper: 2R + c + T - 2 cycles with c the columns the
GEMM uses (chiplab's pipelined convention; the book's chapter "Systolic arrays" derives it). Part B needs several
folds, so students call :func:`chiplab.estimate` and compare dataflows.
"""

from __future__ import annotations

import math

from chiplab.grading.problems.systolic import (
    OFF_BY_ONE,
    SystolicParams,
)
from chiplab.systolic.closed_form import estimate
from chiplab.workloads.gemm import Gemm
from chiplab_answers.answer import Answer, Mistake


def _near(value: int) -> list[Mistake]:
    return [Mistake(value - 1, OFF_BY_ONE), Mistake(value + 1, OFF_BY_ONE)]


def _one_fold(p: SystolicParams) -> list[Answer]:
    r, c, t = p.num_rows, p.a_n, p.a_m
    timing = estimate(p.gemm_a, p.array, "ws")
    cycles = timing.total_cycles
    macs = p.gemm_a.num_macs
    return [
        Answer(
            "q1_cycles",
            cycles,
            "trace the weight load, the skewed stream of A and the last partial sum out of the array",
            mistakes=(
                Mistake(
                    t,
                    "your cycle count is only the streaming time (T = m): it ignores the fill and drain "
                    "latency — loading the weights, and the last partial sum travelling through the array",
                ),
                Mistake(
                    r + c + t - 2,
                    "you left out loading the weights: a weight-stationary array shifts its R "
                    "rows of weights in before the first row of A can enter",
                ),
                Mistake(
                    2 * r + p.num_cols + t - 2,
                    "the last partial sum leaves the last column that holds "
                    "weights; count the columns this GEMM uses, not the array's",
                ),
                Mistake(
                    2 * r + p.num_cols + t - 3,
                    "that is SCALE-Sim's reported count (whole array width, index "
                    "of the last cycle); use chiplab's pipelined convention",
                ),
                Mistake(
                    2 * p.a_k + c + t - 2,
                    "the weights shift through all R rows, and every partial sum "
                    "passes all R rows, even rows that hold no weights",
                ),
                Mistake(2 * r + c + p.a_k - 2, "in weight-stationary the rows of A stream through time: T = m"),
                *_near(cycles),
            ),
        ),
        Answer(
            "q2_utilization_fraction",
            timing.compute_utilization_fraction,
            "utilisation = useful MACs / (R·C PEs × total cycles)",
            mistakes=(
                Mistake(
                    p.a_k * p.a_n / (r * p.num_cols),
                    "that is the fraction of PEs holding weights (the "
                    "mapping efficiency); utilisation also charges the cycles spent filling and draining",
                ),
                Mistake(
                    macs / (r * p.num_cols * t),
                    "you divided by the streaming time alone; divide by all the cycles the GEMM takes",
                ),
                Mistake(
                    2 * timing.compute_utilization_fraction,
                    "count multiply-accumulates (m·n·k), not FLOPs: each PE does one MAC per cycle",
                ),
                Mistake(
                    macs / (p.a_k * p.a_n * cycles),
                    "divide by all R·C PEs, not only those holding weights: idle PEs are wasted silicon too",
                ),
            ),
        ),
    ]


def _many_folds(p: SystolicParams) -> list[Answer]:
    r, c = p.num_rows, p.num_cols
    row_folds, col_folds = math.ceil(p.b_k / r), math.ceil(p.b_n / c)
    cycles = {flow: estimate(p.gemm_b, p.array, flow).total_cycles for flow in ("ws", "os", "is")}
    scalesim = estimate(p.gemm_b, p.array, "ws", convention="scalesim").total_cycles
    swapped = estimate(Gemm(m=p.b_m, n=p.b_k, k=p.b_n), p.array, "ws").total_cycles
    fastest, slowest = min(cycles.values()), max(cycles.values())
    return [
        Answer(
            "q3_row_folds",
            row_folds,
            "which GEMM dimension lies along the rows in WS?",
            mistakes=(
                Mistake(p.b_k // r, "round up: a partly filled fold still takes a whole pass"),
                Mistake(
                    math.ceil(p.b_m / r),
                    "weight-stationary lays k along the rows; m streams through time and never folds",
                ),
                Mistake(math.ceil(p.b_n / r), "weight-stationary lays k (not n) along the rows"),
            ),
        ),
        Answer(
            "q3_col_folds",
            col_folds,
            "which GEMM dimension lies along the columns in WS?",
            mistakes=(
                Mistake(p.b_n // c, "round up: a partly filled fold still takes a whole pass"),
                Mistake(
                    math.ceil(p.b_m / c),
                    "weight-stationary lays n along the columns; m streams through time and never folds",
                ),
                Mistake(math.ceil(p.b_k / c), "weight-stationary lays n (not k) along the columns"),
            ),
        ),
        Answer(
            "q4_cycles",
            cycles["ws"],
            "use chiplab.estimate(Gemm(m=..., n=..., k=...), SystolicArraySpec(...), 'ws').total_cycles",
            mistakes=(
                Mistake(
                    scalesim,
                    "every fold paying its full fill and drain is SCALE-Sim's convention; chiplab's "
                    "default (pipelined) overlaps consecutive folds — leave convention= out",
                ),
                Mistake(scalesim - 1, "that is SCALE-Sim's reported count; use chiplab's pipelined convention"),
                Mistake(2 * r + c + p.b_m - 2, "that is the time of one fold; this GEMM needs several folds"),
                Mistake(cycles["os"], "that is the count for the output-stationary dataflow; this asks for WS"),
                Mistake(cycles["is"], "that is the count for the input-stationary dataflow; this asks for WS"),
                Mistake(swapped, "n and k are swapped: Gemm(m, n, k) computes C[m, n] = A[m, k] @ B[k, n]"),
                *_near(cycles["ws"]),
            ),
        ),
        Answer(
            "q5_best_dataflow",
            {f for f, n in cycles.items() if n == fastest},
            "compare estimate(...).total_cycles for 'ws', 'os' and 'is' on part B's GEMM",
            mistakes=(
                Mistake(
                    {f for f, n in cycles.items() if n == slowest},
                    "that is the slowest dataflow for this GEMM, not the fastest",
                ),
            ),
        ),
    ]


def answers(p: SystolicParams) -> list[Answer]:
    return _one_fold(p) + _many_folds(p)
