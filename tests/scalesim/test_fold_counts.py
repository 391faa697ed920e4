"""Issue 17: per-fold request counts without a per-fold array (chiplab.scalesim.demand.FoldCounts), and the fold
means and sums computed from runs of repeated values (chiplab.scalesim.compute, sequential_sums).

The reference for the counts is the per-fold array written out from the demand-block shapes of
systolic_compute_{ws,os,is}.py (rows_used x cols_used for the stationary block, rows_used x T for a skewed block
along the rows, cols_used x T for the OS filter), searched with numpy; the reference for the fold means and sums is the
per-fold lists written out and added one by one (the additions must happen in the same order, so the floats are
identical).
"""

from __future__ import annotations

import random

import numpy as np

from chiplab.scalesim import ScaleSimLayer
from chiplab.scalesim.compute import compute_layer, plan_layer
from chiplab.scalesim.demand import fold_request_counts


def _per_fold(plan, operand: str) -> np.ndarray:
    counts = []
    for fc in range(plan.num_col_folds):
        for fr in range(plan.num_row_folds):
            rows, cols, t = plan.rows_used(fr), plan.cols_used(fc), plan.temporal
            if (plan.dataflow.value, operand) in (("ws", "filter"), ("is", "ifmap")):
                counts.append(rows * cols)
            elif (plan.dataflow.value, operand) == ("os", "filter"):
                counts.append(cols * t)
            else:
                counts.append(rows * t)
    return np.array(counts, dtype=np.int64)


def test_fold_counts_match_the_per_fold_array():
    rng = random.Random(1717)
    for _ in range(300):
        m, n, k = rng.randint(1, 60), rng.randint(1, 60), rng.randint(1, 60)
        layer = ScaleSimLayer(name="g", ifmap_height=m, ifmap_width=k, filter_height=1, filter_width=k,
                              num_channels=1, num_filters=n, stride=1)
        plan = plan_layer(layer, rng.choice(["ws", "os", "is"]), rng.randint(1, 9), rng.randint(1, 9))
        for operand in ("ifmap", "filter"):
            got, expected = fold_request_counts(layer, plan, operand), _per_fold(plan, operand)
            ends = np.cumsum(expected)
            assert (got.total(), got.largest(), got.smallest()) == (ends[-1], expected.max(), expected.min())
            assert got.col_fold_total(0) == expected[:plan.num_row_folds].sum()
            for q in {1, int(ends[-1]), rng.randint(1, int(ends[-1]))}:
                fold = int(np.searchsorted(ends, q))
                assert got.locate(q) == (*divmod(fold, plan.num_row_folds), q - int(ends[fold] - expected[fold]) - 1)
                assert got.of_fold(*divmod(fold, plan.num_row_folds)) == expected[fold]


def _materialised_fold_means(plan) -> tuple[float, float]:
    """SCALE-Sim's per-fold lists written out (column fold outer; MACs used = cols_used x rows_used; cycles per
    fold 2R + 2C + T - 3 in WS/IS, R + C + T - 2 in OS) and summed left to right, one addition after another
    (np.add.accumulate, as Python 3.11's sum() does), then divided by the number of folds."""
    r, c, t = plan.num_rows, plan.num_cols, plan.temporal
    cols = np.array([plan.cols_used(fc) for fc in range(plan.num_col_folds)], dtype=np.int64)
    rows = np.array([plan.rows_used(fr) for fr in range(plan.num_row_folds)], dtype=np.int64)
    used = np.outer(cols, rows).ravel()
    cycles = 2 * r + 2 * c + t - 3 if plan.dataflow.value in ("ws", "is") else r + c + t - 2
    mapping = np.add.accumulate(used / (r * c))[-1] / len(used)
    utilization = np.add.accumulate((used * t) / (r * c * cycles))[-1] / len(used)
    return float(mapping), float(utilization)


def test_fold_means_match_the_materialised_fold_lists():
    """compute_layer's mapping efficiency and compute utilization (runs of repeated values summed in closed form,
    chiplab.scalesim.sequential_sums) equal the per-fold lists summed one by one, to the last bit, on 300 random
    layers and arrays (many folds: small arrays, long windows)."""
    rng = random.Random(1313)
    for _ in range(300):
        layer = ScaleSimLayer(name="x", ifmap_height=rng.randint(3, 60), ifmap_width=rng.randint(3, 60),
                              filter_height=3, filter_width=3, num_channels=rng.randint(1, 40),
                              num_filters=rng.randint(1, 300), stride=rng.randint(1, 2))
        flow = rng.choice(["ws", "os", "is"])
        rows, cols = rng.choice([1, 2, 3, 4, 5, 8, 16, 32]), rng.choice([1, 2, 3, 4, 7, 8, 16, 32])
        got = compute_layer(layer, flow, rows, cols)
        expected = _materialised_fold_means(got.plan)
        assert (got.mapping_efficiency_fraction, got.compute_utilization_fraction) == expected, (layer, flow)


def test_pruned_ws_ifmap_reads_match_the_materialised_sum():
    """Layer-wise sparse WS: every fold adds T * rows_used * (M / N) to the ifmap reads (a float), in fold order."""
    rng = random.Random(1414)
    for _ in range(100):
        ratio_m = rng.choice([2, 4, 8])
        ratio = (rng.randint(1, ratio_m), ratio_m)
        layer = ScaleSimLayer(name="p", ifmap_height=rng.randint(3, 40), ifmap_width=rng.randint(3, 40),
                              filter_height=3, filter_width=3, num_channels=rng.randint(1, 20),
                              num_filters=rng.randint(1, 60), stride=1, sparsity_ratio=ratio, window_pruned=True)
        got = compute_layer(layer, "ws", rng.choice([2, 3, 4, 8]), rng.choice([2, 3, 4, 8]))
        plan = got.plan
        rows = np.array([plan.rows_used(fr) for fr in range(plan.num_row_folds)], dtype=np.int64)
        per_fold = np.tile(plan.temporal * rows * (ratio[1] / ratio[0]), plan.num_col_folds)
        assert got.num_ifmap_sram_reads == float(np.add.accumulate(per_fold)[-1]), (layer, ratio)
