"""Issue 17: the stationary request stream (IS ifmap, WS filter) built as outer sums
(chiplab.scalesim.stationary_stream) against a cell-by-cell transcription of how SCALE-Sim 3.0.0 lays that
block out and addresses it.

The reference walks every fold (column fold outer, row fold inner) of the flipped block line by line, left to right
(systolic_compute_is.create_ifmap_demand_mat / systolic_compute_ws.create_filter_demand_mat: the block is padded to
R rows and flipped), and addresses each cell with operand_matrix.calc_ifmap_elem_addr / calc_filter_elem_addr
written out here: ((oy*s + cr) * W + ox*s + cc) * C + ch, -1 off the input; n * window_size + j.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from chiplab.scalesim import ScaleSimLayer, sparsity, stationary_stream
from chiplab.scalesim.compute import plan_layer
from chiplab.scalesim.demand import request_streams

NUM_CASES = 300


def _random_layer(rng: random.Random) -> ScaleSimLayer:
    filter_height, filter_width, stride = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3)
    ratio_m = rng.choice([1, 1, 2, 4])
    ratio_n = rng.randint(1, ratio_m)
    return ScaleSimLayer(name="x", ifmap_height=rng.randint(filter_height, filter_height + 12),
                         ifmap_width=rng.randint(filter_width, filter_width + 12), filter_height=filter_height,
                         filter_width=filter_width, num_channels=rng.choice([1, 2, 3, 5]),
                         num_filters=rng.randint(1, 12), stride=stride, sparsity_ratio=(ratio_n, ratio_m),
                         window_pruned=ratio_m > 1)


def _address(layer: ScaleSimLayer, operand: str, j: int, col: int) -> int:
    dense = int(sparsity.kept_element(np.array([j]), *layer.sparsity_ratio)[0]) if layer.window_pruned else j
    if operand == "filter":  # calc_filter_elem_addr: filter col, window element dense
        return col * layer.window_size + dense
    oy, ox = divmod(col, layer.ofmap_width)  # calc_ifmap_elem_addr: pixel col
    cr, rest = divmod(dense, layer.filter_width * layer.num_channels)
    cc, ch = divmod(rest, layer.num_channels)
    y, x = oy * layer.stride + cr, ox * layer.stride + cc
    if y >= layer.ifmap_height or x >= layer.ifmap_width:
        return -1
    return (y * layer.ifmap_width + x) * layer.num_channels + ch


def _reference(layer: ScaleSimLayer, plan, operand: str) -> tuple[list[int], list[int]]:
    addresses, lines = [], []
    for fc in range(plan.num_col_folds):
        for fr in range(plan.num_row_folds):
            start = plan.fold_start_line(fc, fr)
            for r in range(plan.rows_used(fr) - 1, -1, -1):  # flipped: row r on line R - 1 - r
                for c in range(plan.cols_used(fc)):
                    address = _address(layer, operand, fr * plan.num_rows + r, fc * plan.num_cols + c)
                    if address >= 0:
                        addresses.append(address)
                        lines.append(start + plan.num_rows - 1 - r)
    return addresses, lines


@pytest.mark.slow
def test_stationary_stream_matches_the_cell_by_cell_layout(monkeypatch):
    rng = random.Random(1616)
    with_holes = 0
    for _ in range(NUM_CASES):
        layer = _random_layer(rng)
        flow, operand = rng.choice([("is", "ifmap"), ("ws", "filter")])
        plan = plan_layer(layer, flow, rng.randint(1, 9), rng.randint(1, 9))
        # small pieces too, so that a piece boundary falls inside a column fold and before a partial row fold
        monkeypatch.setattr(stationary_stream, "CELLS_PER_PIECE", rng.choice([1, 5, 40, 1 << 19]))
        pieces = list(request_streams(layer, plan, operand))
        got = (np.concatenate([a for a, _ in pieces]).tolist(), np.concatenate([b for _, b in pieces]).tolist())
        expected = _reference(layer, plan, operand)
        with_holes += len(expected[0]) < plan.spatial_rows * plan.spatial_cols
        assert got == expected, (layer, flow, plan.num_rows, plan.num_cols)
    assert with_holes >= 30, with_holes  # the hole mask was exercised
