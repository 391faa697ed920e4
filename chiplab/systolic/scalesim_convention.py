"""SCALE-Sim 3.0.0's timing and SRAM-count conventions, reproduced in closed form, quirks included.

SCALE-Sim (Samajdar et al., ISPASS 2020; PyPI ``scalesim`` 3.0.0) builds per-operand *demand matrices*, one row
per cycle, fold after fold, and derives its report from their shapes. Read in
``scalesim/compute/systolic_compute_{ws,os,is}.py``; each quirk is named where it is used:

1. **No overlap between folds.** Every fold pays its full fill and drain with the *whole array's* dimensions,
   even when the fold uses only part of it: WS and IS folds take 2R + C + T - 2 cycles (R cycles of weight
   prefetch, then ``inter_fold_gap_suffix = R + C + T - 2``); OS folds take T + R + C - 2.
2. **Off by one.** The reported "Total Cycles" is the index of the last cycle of the demand matrices, one less
   than the number of cycles (``scale_sim``'s compute report prints the last cycle's stamp).
3. **Overall utilisation** divides the useful MACs by R·C × the *reported* (off-by-one) cycle count.
4. **Compute utilisation** is a per-fold average, and each fold's cycles are taken as
   ``demand.shape[0] + demand.shape[1] - 1`` of the operand demand matrix it was computed from: in WS and IS
   that is the filter demand, R + C + T - 2 + R rows × C columns, so the fold length plus C - 1 more (a skew
   counted twice); in OS the output demand, T - 1 + R rows × C columns, exactly the fold length.
5. **SRAM counts** are elements of real (unpadded) operand tiles: the stationary operand once, the left-edge
   operand once per column fold, outputs once per row fold (partial-sum read-backs are not counted).
6. **OS adds R + C output writes per fold**: ``create_ofmap_demand_mat`` does
   ``self.ofmap_writes += this_fold_demand.shape[0] + this_fold_demand.shape[1]`` on the padded R×C tile —
   a sum where the product was counted a line earlier.
"""

from __future__ import annotations

from chiplab.systolic.dataflow import MAPPINGS, Dataflow, FoldPlan


def fold_cycles(plan: FoldPlan) -> int:
    """Cycles SCALE-Sim charges for every fold (quirk 1): 2R + C + T - 2 (WS, IS) or T + R + C - 2 (OS)."""
    preload = plan.num_rows if MAPPINGS[plan.dataflow].preloads_stationary else 0
    return preload + plan.temporal + plan.num_rows + plan.num_cols - 2


def total_cycles(plan: FoldPlan) -> int:
    """Number of cycles: folds × fold_cycles (SCALE-Sim reports one less, see :func:`reported_cycles`)."""
    return plan.num_folds * fold_cycles(plan)


def reported_cycles(plan: FoldPlan) -> int:
    """SCALE-Sim's "Total Cycles" column: the index of the last cycle (quirk 2)."""
    return total_cycles(plan) - 1


def overall_utilization_fraction(plan: FoldPlan) -> float:
    """SCALE-Sim's "Overall Util %" / 100: useful MACs over R·C·reported cycles (quirk 3)."""
    macs = plan.spatial_rows * plan.spatial_cols * plan.temporal
    return macs / (plan.num_rows * plan.num_cols * reported_cycles(plan))


def compute_utilization_fraction(plan: FoldPlan) -> float:
    """SCALE-Sim's "Compute Util %" / 100: the mean over folds of used MACs·T / (R·C·fold's counted cycles).

    Folds come in at most four sizes (full or remainder rows × full or remainder columns); the mean over folds
    is therefore a weighted sum of four terms, no loop over folds.
    """
    skew_counted_twice = 0 if plan.dataflow is Dataflow.OS else plan.num_cols - 1  # quirk 4
    cycles_per_fold = fold_cycles(plan) + skew_counted_twice
    full_r, full_c = plan.num_row_folds - 1, plan.num_col_folds - 1
    used_pes = (
        full_r * full_c * plan.num_rows * plan.num_cols
        + full_r * plan.num_rows * plan.last_fold_cols
        + full_c * plan.last_fold_rows * plan.num_cols
        + plan.last_fold_rows * plan.last_fold_cols
    )  # Σ over folds of used PEs = S_R·S_C
    return used_pes * plan.temporal / (plan.num_rows * plan.num_cols * cycles_per_fold * plan.num_folds)


def mapping_efficiency_fraction(plan: FoldPlan) -> float:
    """SCALE-Sim's "Mapping Efficiency %" / 100: mean over folds of used PEs / (R·C)."""
    return plan.mapping_efficiency_fraction


def cycles_and_traffic(plan: FoldPlan):
    """(number of cycles, SRAM traffic) under SCALE-Sim's conventions, for :func:`closed_form.estimate`."""
    from chiplab.systolic.closed_form import SramTraffic, pipelined_sram_traffic

    # Quirk 5: the element counts equal the pipelined convention's, minus partial-sum read-backs ...
    sram = pipelined_sram_traffic(plan)
    c_writes = sram.num_c_writes
    if plan.dataflow is Dataflow.OS:
        c_writes += plan.num_folds * (plan.num_rows + plan.num_cols)  # ... plus quirk 6
    return total_cycles(plan), SramTraffic(
        num_a_reads=sram.num_a_reads, num_b_reads=sram.num_b_reads, num_c_reads=0, num_c_writes=c_writes
    )
