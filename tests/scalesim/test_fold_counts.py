"""Issue 17: per-fold request counts without a per-fold array (chiplab.scalesim.demand.FoldCounts), and the fold
sums computed in chunks (chiplab.scalesim.compute).

The reference for the counts is the per-fold array written out from the demand-block shapes of
systolic_compute_{ws,os,is}.py (rows_used x cols_used for the stationary block, rows_used x T for a skewed block
along the rows, cols_used x T for the OS filter), searched with numpy; the reference for the chunked sums is the
same computation in a single chunk (the additions must happen in the same order, so the floats are identical).
"""

from __future__ import annotations

import random

import numpy as np

from chiplab.scalesim import ScaleSimLayer, compute
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


def test_fold_sums_in_chunks_match_one_chunk(monkeypatch):
    # a pruned WS layer (its ifmap reads are a float sum per fold) with many folds of two sizes
    layer = ScaleSimLayer(name="p", ifmap_height=30, ifmap_width=30, filter_height=3, filter_width=3,
                          num_channels=7, num_filters=45, stride=1, sparsity_ratio=(3, 4), window_pruned=True)
    whole = compute_layer(layer, "ws", 4, 4)
    for chunk in (1, 3, 50):
        monkeypatch.setattr(compute, "FOLDS_PER_CHUNK", chunk)
        assert compute_layer(layer, "ws", 4, 4) == whole
