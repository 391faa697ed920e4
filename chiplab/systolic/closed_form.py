"""Closed-form timing of a GEMM on a systolic array: folds, cycles, utilisation and SRAM traffic, no loops.

Two timing conventions, chosen with ``convention=``:

``"pipelined"`` (the default, and what :func:`chiplab.systolic.simulate` reproduces cycle for cycle)
    Consecutive folds are streamed back to back, so the next fold's fill overlaps the current fold's drain, as
    real arrays stream tiles. Every fold occupies the array edge for P = max(T, R) cycles: T cycles to stream
    its operand, or R cycles to swap a tile of stationary values through the edge (WS/IS: the next weight
    tile shifts into shadow registers under the current stream; OS: each column writes its R finished outputs
    one per cycle), whichever is longer. An array whose data states a faster stationary load
    (:attr:`~chiplab.hardware.SystolicArraySpec.stationary_load_rows_per_cycle`, e.g. AWS's "Fast
    LoadStationary") swaps a WS/IS tile in ceil(R / rows per cycle) cycles instead of R; the default is
    one row a cycle, so every SCALE-Sim comparison is unchanged. With fold f starting at cycle L + f·P
    (L = the tile-load cycles when a stationary tile must be loaded before the first stream, WS and IS;
    L = 0 for OS):

    * WS/IS: the last partial sum of fold f leaves the bottom of its last used column c_f after passing all R
      rows, at cycle L + f·P + (T - 1) + (R - 1) + (c_f - 1);
    * OS: the last used PE (r_f - 1, c_f - 1) finishes at cycle f·P + (T - 1) + (r_f - 1) + (c_f - 1) and
      writes its output in that cycle.

    ``total_cycles`` counts cycles 0 … last, i.e. the last cycle index + 1. A single fold therefore takes
    2R + c + T - 2 cycles in WS, the SCALE-Sim paper's per-fold formula with c used columns.

``"scalesim"``
    SCALE-Sim 3.0.0's conventions, quirks included (see :mod:`chiplab.systolic.scalesim_convention`).
"""

from __future__ import annotations

from dataclasses import dataclass

from chiplab._checks import instance_of, one_of
from chiplab.errors import ChiplabInputError
from chiplab.hardware.systolic_array import SystolicArraySpec
from chiplab.systolic.dataflow import Dataflow, FoldPlan, plan_folds
from chiplab.workloads.conv import Conv2d
from chiplab.workloads.gemm import Gemm

CONVENTIONS = ("pipelined", "scalesim")


@dataclass(frozen=True)
class SramTraffic:
    """Element reads and writes at the array's SRAM boundary, per GEMM operand (counts, not bytes)."""

    num_a_reads: int
    num_b_reads: int
    num_c_reads: int  # partial sums read back to accumulate across k-folds
    num_c_writes: int

    @property
    def num_accesses(self) -> int:
        return self.num_a_reads + self.num_b_reads + self.num_c_reads + self.num_c_writes


@dataclass(frozen=True)
class SystolicTiming:
    """The closed-form result for one GEMM on one array under one dataflow and convention."""

    gemm: Gemm
    array: SystolicArraySpec
    plan: FoldPlan
    convention: str
    total_cycles: int
    sram: SramTraffic

    @property
    def dataflow(self) -> Dataflow:
        return self.plan.dataflow

    @property
    def num_folds(self) -> int:
        return self.plan.num_folds

    @property
    def compute_utilization_fraction(self) -> float:
        """Useful MACs / (PEs × cycles): the fraction of the array's peak actually delivered."""
        return self.gemm.num_macs / (self.array.num_pes * self.total_cycles)

    @property
    def mapping_efficiency_fraction(self) -> float:
        """Fraction of PEs holding real work, averaged over folds (padding waste only, no fill/drain)."""
        return self.plan.mapping_efficiency_fraction

    def time_s(self, clock_hz: float) -> float:
        """Wall time at a clock frequency."""
        return self.total_cycles / clock_hz


def pipelined_cycles(plan: FoldPlan) -> int:
    """Total cycles under the pipelined convention (see the module docstring for the derivation).

    Fold f ends at L + f·P + T + edge(r_f, c_f) - 2. Only four kinds of fold exist (full or remainder rows ×
    full or remainder columns) and within a kind the latest fold ends last, so the maximum is over four folds.

    >>> from chiplab.systolic.dataflow import FoldPlan, Dataflow
    >>> pipelined_cycles(FoldPlan(Dataflow.WS, 4, 4, spatial_rows=4, spatial_cols=4, temporal=4))  # 2R+C+T-2
    14
    """
    num_rows, temporal = plan.num_rows, plan.temporal
    preload, period = plan.preload_cycles, plan.period_cycles
    last_end = 0
    for is_last_row_fold in (False, True):
        for is_last_col_fold in (False, True):
            fold = _latest_fold_of_kind(plan, is_last_row_fold, is_last_col_fold)
            if fold is None:
                continue
            used_rows = plan.last_fold_rows if is_last_row_fold else num_rows
            used_cols = plan.last_fold_cols if is_last_col_fold else plan.num_cols
            # WS/IS partial sums pass through all R rows; OS outputs leave from the PE that made them.
            edge = (used_rows if plan.dataflow is Dataflow.OS else num_rows) + used_cols
            last_end = max(last_end, preload + fold * period + temporal + edge - 2)
    return last_end


def _latest_fold_of_kind(plan: FoldPlan, is_last_row_fold: bool, is_last_col_fold: bool) -> int | None:
    """Index of the latest fold whose row fold is (or is not) the last one, likewise for columns."""
    row_fold = plan.num_row_folds - 1 if is_last_row_fold else plan.num_row_folds - 2
    col_fold = plan.num_col_folds - 1 if is_last_col_fold else plan.num_col_folds - 2
    if row_fold < 0 or col_fold < 0:
        return None
    return col_fold * plan.num_row_folds + row_fold


def pipelined_sram_traffic(plan: FoldPlan) -> SramTraffic:
    """Each real element crosses the SRAM boundary once per fold that needs it (padding is generated as 0).

    The stationary tile is read once; the left-edge operand is re-read for every column fold; partial sums are
    written once per row fold and read back for every row fold but the first (accumulation over k).
    """
    s_r, s_c, t = plan.spatial_rows, plan.spatial_cols, plan.temporal
    stationary = s_r * s_c
    left = t * s_r * plan.num_col_folds
    flow = plan.dataflow
    if flow is Dataflow.OS:
        top = t * s_c * plan.num_row_folds
        return SramTraffic(num_a_reads=left, num_b_reads=top, num_c_reads=0, num_c_writes=stationary)
    psum_writes = t * s_c * plan.num_row_folds
    psum_reads = t * s_c * (plan.num_row_folds - 1)
    if flow is Dataflow.WS:
        return SramTraffic(num_a_reads=left, num_b_reads=stationary, num_c_reads=psum_reads, num_c_writes=psum_writes)
    return SramTraffic(num_a_reads=stationary, num_b_reads=left, num_c_reads=psum_reads, num_c_writes=psum_writes)


def estimate(
    workload: Gemm | Conv2d,
    array: SystolicArraySpec,
    dataflow: Dataflow | str = "ws",
    convention: str = "pipelined",
) -> SystolicTiming:
    """Time ``workload`` (a GEMM, or a conv layer lowered by im2col) on ``array``, in closed form.

    >>> t = estimate(Gemm(m=4, n=4, k=4), SystolicArraySpec(num_rows=4, num_cols=4), "ws")
    >>> t.total_cycles, t.num_folds, round(t.compute_utilization_fraction, 3)
    (14, 1, 0.286)
    """
    instance_of("workload", workload, (Gemm, Conv2d), "a chiplab.Gemm or chiplab.Conv2d")
    gemm = workload.to_gemm() if isinstance(workload, Conv2d) else workload
    convention = one_of("convention", convention, CONVENTIONS)
    plan = plan_folds(gemm, array, dataflow)
    if convention == "scalesim":
        if array.stationary_load_rows_per_cycle != 1:
            raise ChiplabInputError(
                f"convention='scalesim' loads a stationary tile one row a cycle, as SCALE-Sim does; this array "
                f"loads {array.stationary_load_rows_per_cycle} rows a cycle. Use convention='pipelined', or an "
                "array with stationary_load_rows_per_cycle=1")
        from chiplab.systolic import scalesim_convention

        cycles, sram = scalesim_convention.cycles_and_traffic(plan)
    else:
        cycles, sram = pipelined_cycles(plan), pipelined_sram_traffic(plan)
    return SystolicTiming(gemm=gemm, array=array, plan=plan, convention=convention, total_cycles=cycles, sram=sram)
