"""SCALE-Sim 3.0.0's row-wise sparsity (``[sparsity] OptimizedMapping = true``), weight stationary, CALC and USER.

What SCALE-Sim does (``compute/operand_matrix.py: create_filter_matrix``, ``systolic_compute_ws.py``), with
B = BlockSize, h = B // 2, k the window, n the filters, R x C the array:

* **Random N per filter column**: ``np.random.seed(RandomNumberGeneratorSeed)`` once per layer, then for every
  filter column in order ``np.random.randint(1, h + 1)``; column c keeps the first N_c of every B window
  elements. chiplab draws the same numbers from numpy's legacy MT19937 stream (``np.random.RandomState(seed)``,
  one scalar draw per column as SCALE-Sim does), so the sequence is identical, not merely similar.
* **Condensed filter**: k is padded to a multiple of 2B and every 2B rows become 2h rows (the first h entries of
  each B-block, i.e. its N_c kept ones, then -1): a filter matrix of k2 = k_pad / 2 rows, -1 where nothing is
  kept. Folds, lines, SRAM filter reads and the OFMAP side are a dense layer of k2 window elements
  (``ScaleSimLayer.row_wise_block_size``), but the **mapping efficiency counts only the valid cells** of each
  R x C tile (``sum_sparse``) and the DRAM filter words are the kept ones.
* **IFMAP stays dense** (m x k) and is fed 2R window elements per row fold through ``skew_matrix_row_sparsity``:
  every B-block of a pixel's row is repeated h times over consecutive array rows ("slots"); slot j of demand line
  i carries pixel i - j and the B window elements of block j // h. A fold's block is m + R - 1 lines x
  (2R / B) * h * B words wide; SRAM IFMAP Reads count that whole block (padding included) once per fold.

OS and IS fail SCALE-Sim's ``assert ifmap_col == filter_row`` (except when k equals BlockSize): chiplab refuses
them (config.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from chiplab._guard import check_resources
from chiplab.scalesim import operands
from chiplab.scalesim.compute import FoldPlan, LayerCompute, _sequential_mean, plan_layer
from chiplab.scalesim.read_buffer import PrefetchSource, prefetch_order
from chiplab.scalesim.topology import ScaleSimLayer
from chiplab.scalesim.tumbling import tumbling_window_misses

REQUESTS_PER_S = 5e6  # as the dense replay (run.py); row-wise streams are the same kind of numpy pass
BYTES_PER_REQUEST = 48  # a request's address, line, keep mask and sort order while its fold is replayed


def column_ratios(num_filters: int, block_size: int, seed: int) -> np.ndarray:
    """N of every filter column, drawn exactly as operand_matrix.create_filter_matrix draws them."""
    rng = np.random.RandomState(seed)  # np.random.seed(seed): the legacy global generator SCALE-Sim uses
    return np.array([rng.randint(1, block_size // 2 + 1) for _ in range(num_filters)], dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class RowWiseFilter:
    """The condensed k2 x n filter of one layer: which cells hold a weight and its address (offset 0)."""

    layer: ScaleSimLayer  # with row_wise_block_size set: layer.k is k2
    ratios: np.ndarray  # N per filter column

    @property
    def half(self) -> int:
        return self.layer.row_wise_block_size // 2

    def original_row(self, r: np.ndarray) -> np.ndarray:
        return r // self.half * self.layer.row_wise_block_size + r % self.half

    def valid(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Does condensed cell (r, c) hold a weight? (-1 otherwise.)"""
        return (r % self.half < self.ratios[c]) & (self.original_row(r) < self.layer.window_size)

    def address(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.where(self.valid(r, c), c * self.layer.window_size + self.original_row(r), -1)

    @property
    def num_kept(self) -> int:
        """Kept weights: the non-zeros of SCALE-Sim's 0/1 pattern matrix (k x n)."""
        block = self.layer.row_wise_block_size
        k = self.layer.window_size
        return int((k // block * self.ratios + np.minimum(k % block, self.ratios)).sum())


def _tile_counts(model: RowWiseFilter, plan: FoldPlan) -> np.ndarray:
    """Valid cells per fold tile, in fold order (column fold outer)."""
    k2, n = model.layer.k, model.layer.n
    check_resources(f"the row-wise sparse filter of layer {model.layer.name!r}", memory_bytes=10 * k2 * n)
    rows, cols = np.arange(k2, dtype=np.int64)[:, None], np.arange(n, dtype=np.int64)[None, :]
    valid = model.valid(rows, cols)
    per_row_fold = np.add.reduceat(valid, np.arange(0, k2, plan.num_rows), axis=0)
    per_fold = np.add.reduceat(per_row_fold, np.arange(0, n, plan.num_cols), axis=1)
    return per_fold.T.ravel()


def _slots(plan: FoldPlan, block_size: int) -> int:
    return 2 * plan.num_rows // block_size * (block_size // 2)


def _ifmap_cells(model: RowWiseFilter, plan: FoldPlan, fr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(slot, block column 0..B-1, window element) of one row fold's skewed ifmap block, row-major per line."""
    block = model.layer.row_wise_block_size
    slot = np.repeat(np.arange(_slots(plan, block), dtype=np.int64), block)
    t = np.tile(np.arange(block, dtype=np.int64), _slots(plan, block))
    return slot, t, fr * 2 * plan.num_rows + slot // model.half * block + t


def _filter_lines(model: RowWiseFilter, plan: FoldPlan, fc: int, fr: int) -> np.ndarray:
    """Tile rows r (0-based in the fold) holding at least one weight."""
    r = np.arange(plan.rows_used(fr), dtype=np.int64)[:, None]
    c = fc * plan.num_cols + np.arange(plan.cols_used(fc), dtype=np.int64)[None, :]
    return np.flatnonzero(model.valid(fr * plan.num_rows + r, c).any(axis=1))


def adjust_compute(comp: LayerCompute, model: RowWiseFilter) -> LayerCompute:
    """The dense-k2 compute numbers with row-wise sparsity's own mapping efficiency, IFMAP reads and first/last
    lines."""
    plan, r_arr, layer = comp.plan, comp.plan.num_rows, model.layer
    mapping = _sequential_mean(_tile_counts(model, plan) / (r_arr * plan.num_cols))
    width = _slots(plan, layer.row_wise_block_size) * layer.row_wise_block_size
    ifmap_reads = plan.num_folds * (layer.m + r_arr - 1) * width
    last_fc = plan.num_col_folds - 1
    ifmap_last = filter_last = None
    for fr in range(plan.num_row_folds - 1, -1, -1):  # the last fold may hold padding only: walk back
        start = plan.fold_start_line(last_fc, fr)
        slot, _, element = _ifmap_cells(model, plan, fr)
        real = element < layer.window_size
        if ifmap_last is None and real.any():
            last_pixel = operands.last_valid_pixel(layer, element[real])
            ifmap_last = start + r_arr + int(np.max(slot[real] + np.minimum(last_pixel, layer.m - 1)))
        rows = _filter_lines(model, plan, last_fc, fr)
        if filter_last is None and rows.size:
            filter_last = start + r_arr - 1 - int(rows.min())  # row r of a flipped tile sits on line R - 1 - r
        if ifmap_last is not None and filter_last is not None:
            break
    assert ifmap_last is not None and filter_last is not None, "window element 0 of filter 0 is always kept"
    return dataclasses.replace(
        comp, mapping_efficiency_fraction=mapping, num_ifmap_sram_reads=ifmap_reads, ifmap_last_line=ifmap_last,
        filter_first_line=r_arr - 1 - int(_filter_lines(model, plan, 0, 0).max()), filter_last_line=filter_last)


def _ifmap_streams(model: RowWiseFilter, plan: FoldPlan) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    layer, r_arr = model.layer, plan.num_rows
    line = np.arange(layer.m + r_arr - 1, dtype=np.int64)[:, None]
    # Every column fold replays the same row-fold blocks: keep them (the same array objects, which the tumbling
    # window model recognises) only when there is more than one column fold.
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for fc in range(plan.num_col_folds):
        for fr in range(plan.num_row_folds):
            block = cache.get(fr)
            if block is None:
                slot, _, element = _ifmap_cells(model, plan, fr)
                pixel = line - slot[None, :]
                ok = (pixel >= 0) & (pixel < layer.m) & (element < layer.window_size)[None, :]
                addresses = np.where(ok, operands.ifmap_addresses(layer, np.clip(pixel, 0, layer.m - 1),
                                                                  np.minimum(element, layer.window_size - 1)), -1)
                keep = addresses >= 0
                block = (addresses[keep], np.broadcast_to(r_arr + line, addresses.shape)[keep])
                if plan.num_col_folds > 1:
                    cache[fr] = block
            yield block[0], block[1] + plan.fold_start_line(fc, fr)


def _filter_streams(model: RowWiseFilter, plan: FoldPlan) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for fc in range(plan.num_col_folds):
        for fr in range(plan.num_row_folds):
            r, c, lines = operands.block_order(plan.rows_used(fr), plan.cols_used(fc), plan.num_rows)
            addresses = model.address(fr * plan.num_rows + r, fc * plan.num_cols + c)
            keep = addresses >= 0
            yield addresses[keep], lines[keep] + plan.fold_start_line(fc, fr)


def operand_misses(model: RowWiseFilter, plan: FoldPlan, operand: str, window: int) -> tuple[int, list[int]]:
    """CALC mode's tumbling-window DRAM reads of the row-wise IFMAP or filter stream (each B-block of the IFMAP
    is requested h times, so the stream is always followed)."""
    layer = model.layer
    width = _slots(plan, layer.row_wise_block_size) * layer.row_wise_block_size
    per_fold = (layer.m + plan.num_rows - 1) * width if operand == "ifmap" else plan.num_rows * plan.num_cols
    kept_folds = plan.num_row_folds if operand == "ifmap" and plan.num_col_folds > 1 else 1
    space = (layer.ifmap_height * layer.ifmap_width * layer.num_channels if operand == "ifmap"
             else layer.window_size * layer.n)
    check_resources(f"following the row-wise {operand} request stream of layer {layer.name!r} through SCALE-Sim's "
                    "tumbling-window DRAM model", work=per_fold * plan.num_folds, work_unit="requests",
                    work_per_s=REQUESTS_PER_S, memory_bytes=BYTES_PER_REQUEST * per_fold * (kept_folds + 1) + 4 * space)
    if operand == "ifmap":
        return tumbling_window_misses(_ifmap_streams(model, plan), window, space, True)
    return tumbling_window_misses(_filter_streams(model, plan), window, space, False)



def prefetch_source(model: RowWiseFilter, plan: FoldPlan, operand: str) -> PrefetchSource:
    """USER mode: the row-wise operand as its read buffer sees it. The IFMAP prefetch matrix is the dense WS one
    (ceil(k / R) row folds of m x R: ``create_ifmap_prefetch_mat`` still reads the dense ifmap), its requests the
    repeated-block stream; the filter prefetch matrix is the condensed k2 x n filter per column fold, row by row."""
    layer = model.layer
    width = _slots(plan, layer.row_wise_block_size) * layer.row_wise_block_size
    if operand == "ifmap":
        dense = dataclasses.replace(layer, row_wise_block_size=0)
        dense_plan = plan_layer(dense, plan.dataflow, plan.num_rows, plan.num_cols)
        return PrefetchSource(
            shape=(dense_plan.num_row_folds, layer.m, plan.num_rows),
            num_valid=operands.num_valid_ifmap_cells(dense),
            order=lambda: prefetch_order(dense, dense_plan, "ifmap"),
            streams=lambda: _ifmap_streams(model, plan),
            num_requests=plan.num_folds * (layer.m + plan.num_rows - 1) * width, repeats=True)

    def order() -> np.ndarray:
        rows = np.arange(layer.k, dtype=np.int64)[:, None]
        pieces = []
        for fc in range(plan.num_col_folds):
            cols = fc * plan.num_cols + np.arange(plan.cols_used(fc), dtype=np.int64)[None, :]
            addresses = model.address(rows, cols).ravel()
            pieces.append(addresses[addresses >= 0])
        return np.concatenate(pieces)

    return PrefetchSource(shape=(plan.num_col_folds, layer.k, plan.num_cols), num_valid=model.num_kept, order=order,
                          streams=lambda: _filter_streams(model, plan),
                          num_requests=plan.num_folds * plan.num_rows * plan.num_cols, repeats=False)
