"""SCALE-Sim 3.0.0's layer-wise N:M structured sparsity: which window elements a pruned layer keeps, and the
``[sparsity]`` section of its config.

With ``[sparsity] SparsitySupport = true`` and ``OptimizedMapping = false`` SCALE-Sim prunes every layer's filter
to the N:M ratio of its topology row (``compute/operand_matrix.py: create_filter_matrix``): in every column the
pattern "N ones, then M - N zeros" is tiled down the k window elements, the filter addresses are multiplied by it
and each column is condensed to its kept entries (trailing all-zero rows cut). ``create_ifmap_matrix`` multiplies
the im2col ifmap by the pattern of filter column 0 and drops the all-zero columns. Both operands therefore keep
exactly the window elements ``j`` with ``j mod M < N``, in order, and the array runs a dense layer of
``k' = (k // M) * N + min(k mod M, N)`` window elements whose j'-th element is window element
``(j' // N) * M + j' mod N`` of the dense layer. That is how chiplab models it (``ScaleSimLayer.window_pruned``).

SCALE-Sim's row-wise mode (``OptimizedMapping = true``: a random N per filter column, N in [1, BlockSize/2],
from ``np.random.seed(RandomNumberGeneratorSeed)``) is :mod:`chiplab.scalesim.rowwise`; see
tests/golden/scalesim/CONVENTIONS.md section 11.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chiplab._checks import instance_of, one_of, positive_int

# simulator.generate_reports / compression.py: the three representations SCALE-Sim sizes. Any other SparseRep
# makes single_layer_sim.calculate_filter_metadata_storage crash (metadata_storage never assigned).
REPRESENTATIONS = ("csr", "csc", "ellpack_block")


@dataclass(frozen=True, kw_only=True)
class SparsityConfig:
    """The ``[sparsity]`` section of a SCALE-Sim config with ``SparsitySupport = true``."""

    representation: str  # SparseRep: csr, csc or ellpack_block (case-sensitive, as SCALE-Sim compares it)
    row_wise: bool = False  # OptimizedMapping: a random N per filter column (chiplab.scalesim.rowwise)
    block_size: int = 4  # BlockSize: M of the row-wise mode (read by SCALE-Sim only when row_wise)
    seed: int = 40  # RandomNumberGeneratorSeed: seeds np.random for the row-wise mode

    def __post_init__(self) -> None:
        object.__setattr__(self, "representation", one_of("representation", self.representation, REPRESENTATIONS))
        instance_of("row_wise", self.row_wise, bool, "True or False")
        positive_int("block_size", self.block_size)
        instance_of("seed", self.seed, int, "a whole number (numpy's seed)")


def num_kept(window_size: int, n: int, m: int) -> int:
    """Window elements an N:M pattern keeps out of ``window_size`` (the last, partial block keeps up to N)."""
    return window_size // m * n + min(window_size % m, n)


def padded_window(window_size: int, block_size: int) -> int:
    """Row-wise mode: rows of the condensed filter, k padded to a multiple of 2B and halved (create_filter_matrix)."""
    return math.ceil(window_size / (2 * block_size)) * block_size


def kept_element(j: np.ndarray, n: int, m: int) -> np.ndarray:
    """The dense window element of kept element ``j`` (0-based, in order)."""
    block, within = np.divmod(j, n)
    return block * m + within


def last_kept_at_most(x: np.ndarray, n: int, m: int) -> np.ndarray:
    """Index of the last kept element whose dense window element is <= x (-1 if none; x >= -1)."""
    block, within = np.divmod(x, m)
    return block * n + np.minimum(within, n - 1)


@dataclass(frozen=True, kw_only=True)
class FilterStorage:
    """One layer's SPARSE_REPORT numbers, in words (``compute/compression.py``)."""

    representation: str
    original_words: int  # the dense k x n filter
    new_words: int | float  # compressed filter + metadata (a float for ellpack_block)
    metadata_words: int | float


def filter_storage(representation: str, *, window_size: int, num_filters: int, nonzeros: int, ellpack_cells: int,
                   ratio_m: int) -> FilterStorage:
    """compression.get_{csr,csc,ellpack_block}_storage of one layer's pruned filter.

    CSR and CSC size SCALE-Sim's 0/1 pattern matrix (window_size x num_filters, ``nonzeros`` ones) as 2 words per
    non-zero (value + index) plus the row (CSR) or column (CSC) pointers; Blocked ELLPACK keeps the condensed
    filter (``ellpack_cells``: k' x n layer-wise, k2 x n row-wise) plus ceil(log2 M) metadata bits per cell, in
    32-bit words (a float: it divides by 32), with M the topology row's ratio even in row-wise mode.
    """
    original = window_size * num_filters
    if representation == "csr":
        return FilterStorage(representation=representation, original_words=original,
                             new_words=2 * nonzeros + window_size + 1, metadata_words=nonzeros + window_size + 1)
    if representation == "csc":
        return FilterStorage(representation=representation, original_words=original,
                             new_words=2 * nonzeros + num_filters + 1, metadata_words=nonzeros + num_filters + 1)
    metadata = (ellpack_cells * math.ceil(math.log2(ratio_m))) / 32
    return FilterStorage(representation=representation, original_words=original, new_words=ellpack_cells + metadata,
                         metadata_words=metadata)
