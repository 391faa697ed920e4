"""SCALE-Sim 3.0.0's compute side of one layer, in closed form.

Everything here reproduces ``scalesim/compute/systolic_compute_{ws,os,is}.py`` without building its operand,
prefetch or demand matrices. Symbols (Samajdar et al., ISPASS 2020): R x C is the PE array, S_R and S_C the
operand extent laid along its rows and columns, T the extent streamed through time. For the GEMM view of a layer
(m = ofmap pixels, n = filters, k = window size; see :class:`~chiplab.scalesim.topology.ScaleSimLayer`):

=========  ====  ====  ====  ==========================================================
dataflow   S_R   S_C   T     SRAM reads/writes (cf = column folds, rf = row folds)
=========  ====  ====  ====  ==========================================================
ws         k     n     m     ifmap T*S_R*cf, filter S_R*S_C, ofmap T*S_C*rf
os         m     n     k     ifmap T*S_R*cf, filter T*S_C*rf, ofmap S_R*S_C + folds*(R+C)
is         k     m     n     ifmap S_R*S_C, filter T*S_R*cf, ofmap T*S_C*rf
=========  ====  ====  ====  ==========================================================

Folds run column fold outer, row fold inner; each fold is a fresh demand block that pays its whole fill and drain
(no overlap between folds). One demand line is one cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from chiplab._checks import instance_of, positive_int_at_most
from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.config import MAX_INT
from chiplab.scalesim.sequential_sums import Run, add_pattern
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.systolic import scalesim_convention
from chiplab.systolic.dataflow import MAPPINGS, Dataflow, parse_dataflow
from chiplab.systolic.dataflow import FoldPlan as SystolicFoldPlan

# Which extent each SCALE-Sim operand spans, read off the dataflow table (chiplab.systolic.dataflow.MAPPINGS):
# "stationary" (read once), "rows" (the left-edge operand: re-read for every column fold) or "cols" (re-read, or
# for outputs rewritten, for every row fold). SCALE-Sim's ifmap, filter and ofmap are A, B and C of the GEMM.
_OPERANDS = {"ifmap": "A", "filter": "B", "ofmap": "C"}
# The fold means are closed form now (sequential_sums); paths after this one may still step fold by fold (USER-mode
# replays, fold-by-fold tumbling windows), so a layer is refused by its fold count at this rate.
FOLDS_PER_S = 2e7


def _role(dataflow: Dataflow, operand: str) -> str:
    mapping = MAPPINGS[dataflow]
    gemm_operand = _OPERANDS[operand]
    if gemm_operand == mapping.stationary_operand:
        return "stationary"
    return "rows" if gemm_operand == mapping.left_operand else "cols"


@dataclass(frozen=True)
class FoldPlan(SystolicFoldPlan):
    """chiplab's fold plan (same dataflow table, same fold order: column fold outer, row fold inner) plus
    SCALE-Sim's demand-line bookkeeping: every fold is a fresh block of ``lines_per_fold`` lines."""

    @property
    def lines_per_fold(self) -> int:
        """Demand-matrix lines (= cycles) per fold: 2R + C + T - 2 (WS, IS) or R + C + T - 2 (OS)."""
        return scalesim_convention.fold_cycles(self)

    @property
    def num_lines(self) -> int:
        """Demand lines of the whole layer: the stall-free cycle count *plus one* (see compute_cycles)."""
        return self.num_folds * self.lines_per_fold

    def fold_start_line(self, col_fold: int, row_fold: int) -> int:
        return (col_fold * self.num_row_folds + row_fold) * self.lines_per_fold


def plan_layer(layer: ScaleSimLayer, dataflow: Dataflow | str, num_rows: int, num_cols: int) -> FoldPlan:
    """How ``layer`` folds onto a ``num_rows`` x ``num_cols`` array under ``dataflow`` ("ws", "os" or "is")."""
    instance_of("layer", layer, ScaleSimLayer, "a ScaleSimLayer, as chiplab.scalesim.load_topology returns")
    flow = parse_dataflow(dataflow)
    # The array sides SCALE-Sim configs allow (ArrayHeight/ArrayWidth): past them addresses overflow 64 bits.
    num_rows = positive_int_at_most("num_rows", num_rows, MAX_INT)
    num_cols = positive_int_at_most("num_cols", num_cols, MAX_INT)
    mapping = MAPPINGS[flow]
    dims = {"m": layer.m, "n": layer.n, "k": layer.k}
    return FoldPlan(flow, num_rows, num_cols, spatial_rows=dims[mapping.rows_dim],
                    spatial_cols=dims[mapping.cols_dim], temporal=dims[mapping.time_dim])


@dataclass(frozen=True, kw_only=True)
class LayerCompute:
    """Stall-free compute-side numbers of one layer, SCALE-Sim conventions. Lines are demand-line indices; the
    memory model adds stall cycles (and the read hit latency) to turn them into report cycles."""

    plan: FoldPlan
    compute_cycles: int  # SCALE-Sim's stall-free "Total Cycles": the index of the last line, num_lines - 1
    mapping_efficiency_fraction: float  # mean over folds of (PEs mapped / R*C)
    compute_utilization_fraction: float  # mean over folds of (MACs / (R*C * cycles of that fold))
    num_ifmap_sram_reads: int | float  # a float with layer-wise sparsity in WS (see _pruned_ws_ifmap_reads)
    num_filter_sram_reads: int
    num_ofmap_sram_writes: int
    ifmap_first_line: int  # first / last demand line holding a valid (not -1) request
    ifmap_last_line: int
    filter_first_line: int
    filter_last_line: int
    ofmap_first_line: int
    ofmap_last_line: int


def _sequential_sum(chunks: np.ndarray | Iterable[np.ndarray]) -> tuple[float, int]:
    # get_avg_mapping_efficiency / get_avg_compute_utilization: sum(list) / len(list). Python 3.11's sum() adds
    # floats left to right; np.add.accumulate does the same additions in the same order (np.sum would not), so
    # the last digit matches. (Python >= 3.12's sum() compensates, so SCALE-Sim itself can differ there.) Chunk by
    # chunk, each continuing from the previous running sum: the same additions again.
    total, count = None, 0
    for values in [chunks] if isinstance(chunks, np.ndarray) else chunks:
        start = values if total is None else np.concatenate([[total], values])
        total, count = float(np.add.accumulate(start)[-1]), count + len(values)
    assert total is not None
    return total, count


def _sequential_mean(chunks: np.ndarray | Iterable[np.ndarray]) -> float:
    total, count = _sequential_sum(chunks)
    return total / count


def _per_column_fold(plan: FoldPlan, value: Callable[[np.ndarray], np.ndarray], cols: int) -> list[Run]:
    """The runs of one column fold's per-fold values (its full row folds, then the last): ``value`` maps the MACs
    used (an int64 array, as SCALE-Sim's numpy arrays hold them) to the fold's ratio."""
    used = cols * np.array([plan.num_rows, plan.rows_used(plan.num_row_folds - 1)], dtype=np.int64)
    full, last = value(used).tolist()
    return [(full, plan.num_row_folds - 1), (last, 1)]


def _fold_mean(plan: FoldPlan, value: Callable[[np.ndarray], np.ndarray]) -> float:
    # get_avg_mapping_efficiency / get_avg_compute_utilization: sum(list) / len(list), the folds column fold outer.
    # Python 3.11's sum() adds the floats left to right, each addition rounded; add_pattern gives that sum bit for
    # bit without adding tens of millions of folds one by one. (Python >= 3.12's sum() compensates, so SCALE-Sim
    # itself can differ there.)
    last_fc = plan.num_col_folds - 1
    total = add_pattern(0.0, _per_column_fold(plan, value, plan.num_cols), last_fc)
    return add_pattern(total, _per_column_fold(plan, value, plan.cols_used(last_fc)), 1) / plan.num_folds


def _fold_means(plan: FoldPlan) -> tuple[float, float]:
    r, c, t = plan.num_rows, plan.num_cols, plan.temporal
    # cycles_this_fold = demand.shape[0] + demand.shape[1] - 1 of the block the efficiency is computed on. In WS
    # (filter block) and IS (ifmap block) that block is not skewed, yet C - 1 is still added: 2R + 2C + T - 3.
    fold_cycles = plan.lines_per_fold + (c - 1 if MAPPINGS[plan.dataflow].preloads_stationary else 0)
    mapping = _fold_mean(plan, lambda used: used / (r * c))
    utilization = _fold_mean(plan, lambda used: (used * t) / (r * c * fold_cycles))
    return mapping, utilization


def _sram_count(plan: FoldPlan, role: str) -> int:
    if role == "stationary":
        return plan.spatial_rows * plan.spatial_cols
    if role == "rows":
        return plan.temporal * plan.spatial_rows * plan.num_col_folds
    return plan.temporal * plan.spatial_cols * plan.num_row_folds


def _pruned_ws_ifmap_reads(plan: FoldPlan, ratio: tuple[int, int]) -> float:
    # systolic_compute_ws.create_ifmap_demand_mat with layer-wise sparsity: "a row needs to be read M/N times", so
    # every fold adds T * rows_used * (M / N), a float, to ifmap_reads (fold order; summed left to right).
    n, m = ratio
    runs = _per_column_fold(plan, lambda rows: plan.temporal * rows * (m / n), 1)
    return add_pattern(0.0, runs, plan.num_col_folds)


def _ifmap_last_line(layer: ScaleSimLayer, plan: FoldPlan) -> int:
    """Last line with a valid ifmap request; conv windows hanging off the input are holes (-1)."""
    r_arr = plan.num_rows
    for fold in range(plan.num_folds - 1, -1, -1):
        fc, fr = divmod(fold, plan.num_row_folds)
        start = plan.fold_start_line(fc, fr)
        r = np.arange(plan.rows_used(fr), dtype=np.int64)
        if plan.dataflow is Dataflow.WS:  # column r streams pixels 0..m-1 of window element fr*R + r from line R + r
            return start + r_arr + int(np.max(r + operands.last_valid_pixel(layer, fr * r_arr + r)))
        if plan.dataflow is Dataflow.OS:  # column r streams window elements of pixel fr*R + r from line r
            last = operands.last_valid_window(layer, fr * r_arr + r)
            if np.any(last >= 0):
                return start + int(np.max(np.where(last >= 0, r + last, -1)))
        else:  # IS: window element fr*R + r sits on line R - 1 - r, pixels fc*C .. fc*C + cols_used - 1
            first_pixel = fc * plan.num_cols
            hit = operands.any_valid_pixel(layer, fr * r_arr + r, first_pixel, first_pixel + plan.cols_used(fc))
            if np.any(hit):
                return start + r_arr - 1 - int(np.argmax(hit))
    raise AssertionError("every layer has at least one valid ifmap request")  # pixel 0 is always valid


def compute_layer(layer: ScaleSimLayer, dataflow: Dataflow | str, num_rows: int, num_cols: int) -> LayerCompute:
    """Closed-form compute-side numbers of one layer on an R x C array, SCALE-Sim 3.0.0 conventions."""
    plan = plan_layer(layer, dataflow, num_rows, num_cols)
    dataflow, r, c, t = plan.dataflow, plan.num_rows, plan.num_cols, plan.temporal
    check_resources(f"layer {layer.name!r} ({plan.num_folds} folds on a {r}x{c} array)", work=plan.num_folds,
                    work_unit="folds", work_per_s=FOLDS_PER_S, shrink_hint="Use a larger array or a smaller layer")
    ofmap_writes = _sram_count(plan, _role(dataflow, "ofmap"))
    if dataflow is Dataflow.OS:
        # systolic_compute_os.create_ofmap_demand_mat adds demand.shape[0] + demand.shape[1] = R + C to
        # ofmap_writes for every fold, on top of the real writes.
        ofmap_writes += plan.num_folds * (r + c)
    mapping, utilization = _fold_means(plan)
    ifmap_reads: int | float = _sram_count(plan, _role(dataflow, "ifmap"))  # counts -1 holes: shape[0] * shape[1]
    if layer.window_pruned and dataflow is Dataflow.WS:
        ifmap_reads = _pruned_ws_ifmap_reads(plan, layer.sparsity_ratio)

    last_start = plan.num_lines - plan.lines_per_fold
    rows_first, rows_last = plan.rows_used(0), plan.rows_used(plan.num_row_folds - 1)
    cols_last = plan.cols_used(plan.num_col_folds - 1)
    # First/last valid lines, read off the demand-matrix layouts (prefix rows, skew, flip) of each dataflow.
    if dataflow is Dataflow.WS:
        ifmap_first, filter_first, ofmap_first = r, r - rows_first, 2 * r - 1
        filter_last = last_start + r - 1
        ofmap_last = last_start + 2 * r - 1 + cols_last - 1 + t - 1
    elif dataflow is Dataflow.OS:
        ifmap_first, filter_first, ofmap_first = 0, 0, t - 1 + r - rows_first
        filter_last = last_start + cols_last - 1 + t - 1
        ofmap_last = last_start + t - 1 + r - 1 + cols_last - 1
    else:
        ifmap_first, filter_first, ofmap_first = r - rows_first, r, 2 * r - 1
        filter_last = last_start + r + rows_last - 1 + t - 1
        ofmap_last = last_start + 2 * r - 1 + cols_last - 1 + t - 1

    return LayerCompute(
        plan=plan,
        compute_cycles=plan.num_lines - 1,
        mapping_efficiency_fraction=mapping,
        compute_utilization_fraction=utilization,
        num_ifmap_sram_reads=ifmap_reads,
        num_filter_sram_reads=_sram_count(plan, _role(dataflow, "filter")),
        num_ofmap_sram_writes=ofmap_writes,
        ifmap_first_line=ifmap_first,
        ifmap_last_line=_ifmap_last_line(layer, plan),
        filter_first_line=filter_first,
        filter_last_line=filter_last,
        ofmap_first_line=ofmap_first,
        ofmap_last_line=ofmap_last,
    )
