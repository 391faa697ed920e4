"""Matmul values, computed lazily and in as few numpy products as the kernel allows.

Consecutive matmuls accumulating into the same accumulator view form a *chain*: a 4096-deep contraction on a
128-partition core is 32 matmul instructions into one PSUM tile. The chain's value is the exact product of its
operands (bf16 × bf16 products are exact in fp32) summed in fp32, as PSUM and the MXU accumulate; computing it as
ONE product of the concatenated K-tiles is the same sum in another fp32 order, and far cheaper in numpy than 32
small products. The tile language does not promise an order of the fp32 additions within a contraction (neither
do the vendors' simulators), only fp32 accumulation.

A chain is computed when anything reads or overwrites its tile. Chains still waiting at that moment that share
their operands with it — the output tiles of one block, each of whose matmuls was issued before any result was
copied out — are computed with it as one larger product: every element is still its own fp32 dot product over
the same K (no new operations, none skipped), and one (512 × 4096) @ (4096 × 1024) product costs numpy less than
eight (128 × 4096) @ (4096 × 512) ones (each small product packs its operands again).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

    from chiplab.kernels.tiles import View

# (data address, shape, strides): names an array's numbers while the arrays it was made from are alive.
Key = tuple[int, tuple[int, ...], tuple[int, ...]]


def _key(array: np.ndarray) -> Key:
    return array.__array_interface__["data"][0], array.shape, array.strides


class PendingProducts:
    """One kernel's chains not computed yet, and the concatenated operands they share.

    Output tiles of one block share their operands (every tile of a block row reads the same Aᵀ strip, every
    tile of a block column the same B strip), so a concatenated operand is kept in ``cache`` and reused: at
    4096³ with strips that are not parts of one HBM tensor, that saves copying about 2 GB. A cached operand holds
    the arrays it was made from, so their memory cannot be reused for other values while the entry lives, and
    tiles are never written in place while a chain holds them (copy on write, see :meth:`View.write`): the same
    key always means the same numbers.
    """

    MAX_CACHED = 16

    def __init__(self) -> None:
        self.cache: dict[tuple[object, ...], tuple[np.ndarray, list[np.ndarray]]] = {}
        self.chains: dict[int, MatmulChain] = {}   # waiting chains by id(), in the order they began

    def start(self, target: View, transposed_left: bool, base: np.ndarray | None) -> MatmulChain:
        chain = MatmulChain(self, target, transposed_left, base)
        self.chains[id(chain)] = chain
        target.buffer.pending = chain
        return chain

    def join(self, arrays: list[np.ndarray], axis: int) -> np.ndarray:
        """``arrays`` concatenated along ``axis``: a view when they are consecutive parts of one array, else a
        (cached) copy."""
        if len(arrays) == 1:
            return arrays[0]
        adjacent = _adjacent_view(arrays, axis)
        if adjacent is not None:
            return adjacent
        key = (axis, *(_key(a) for a in arrays))
        hit = self.cache.get(key)
        if hit is None:
            if len(self.cache) >= self.MAX_CACHED:
                del self.cache[next(iter(self.cache))]
            hit = self.cache[key] = (np.concatenate(arrays, axis=axis), arrays)
        return hit[0]

    def compute(self, chain: MatmulChain) -> None:
        """Compute ``chain``, and with it every waiting chain in the largest grid of shared operands it is in."""
        members, lefts, rights = self._grid(chain)
        for member in members:
            del self.chains[id(member)]
            member.target.buffer.pending = None
        left, right = self.join(lefts, 0), self.join(rights, 1)
        with _one_blas_thread():
            product = left @ right
        row_starts, col_starts = _starts(lefts, 0), _starts(rights, 1)
        for member in members:
            member_left, member_right = member.operands()
            row, col = row_starts[_key(member_left)], col_starts[_key(member_right)]
            values = product[row:row + member_left.shape[0], col:col + member_right.shape[1]]
            if member.base is not None:
                values = values + member.base
            # A part of the fresh product no other tile's value overlaps: the tile may keep it as it is.
            member.target.write(values, rounded=True, owned=True)

    def _grid(self, chain: MatmulChain) -> tuple[list[MatmulChain], list[np.ndarray], list[np.ndarray]]:
        """The waiting chains whose left operands × right operands form a complete grid containing ``chain``:
        every pairing is a chain someone asked for, so the one product computes nothing that is not needed."""
        left, right = chain.operands()
        if len(self.chains) == 1:
            return [chain], [left], [right]
        table: dict[tuple[Key, Key], MatmulChain] = {}
        arrays: dict[Key, np.ndarray] = {}
        for other in self.chains.values():
            if other.depth == chain.depth:   # (a chain still being extended is usually shallower: left alone)
                other_left, other_right = other.operands()
                table.setdefault((_key(other_left), _key(other_right)), other)
                arrays[_key(other_left)], arrays[_key(other_right)] = other_left, other_right
        table[_key(left), _key(right)] = chain
        right_keys = sorted({r for (l_key, r) in table if l_key == _key(left)})
        left_keys = sorted({l_key for (l_key, _) in table
                            if all((l_key, r) in table for r in right_keys)})
        members = [table[l_key, r] for l_key in left_keys for r in right_keys]
        return members, [arrays[k] for k in left_keys], [arrays[k] for k in right_keys]


def _starts(arrays: list[np.ndarray], axis: int) -> dict[Key, int]:
    """Where each of ``arrays`` begins along ``axis`` in their concatenation."""
    starts = itertools.accumulate((a.shape[axis] for a in arrays[:-1]), initial=0)
    return {_key(a): start for a, start in zip(arrays, starts, strict=True)}


class MatmulChain:
    """Consecutive matmuls accumulating into one accumulator view (see the module docstring)."""

    def __init__(self, products: PendingProducts, target: View, transposed_left: bool, base: np.ndarray | None):
        self.products, self.target, self.transposed_left, self.base = products, target, transposed_left, base
        self.lefts: list[np.ndarray] = []
        self.rights: list[np.ndarray] = []
        self._operands: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, left: View, right: View) -> None:
        left.buffer.shared = right.buffer.shared = True
        self.lefts.append(left.read())
        self.rights.append(right.read())
        self._operands = None

    @property
    def depth(self) -> int:
        """The contraction length so far (K): the rows of every right operand."""
        return sum(right.shape[0] for right in self.rights)

    def operands(self) -> tuple[np.ndarray, np.ndarray]:
        """The chain's (m, k) and (k, n) operands, K-tiles joined."""
        if self._operands is None:
            join = self.products.join
            # NKI matmul: left operands are (k, m), contracted over axis 0; Pallas dot: (m, k)
            left = join(self.lefts, 0).T if self.transposed_left else join(self.lefts, 1)
            self._operands = left, join(self.rights, 0)
        return self._operands

    def flush(self) -> None:
        self.products.compute(self)


def _adjacent_view(arrays: list[np.ndarray], axis: int) -> np.ndarray | None:
    """The concatenation of ``arrays`` along ``axis`` as a view, without copying, when they are consecutive parts
    of one array (the K-tiles of a strip loaded from one HBM tensor, as the worked matmuls load them); else None.

    Parts of one array with equal strides, equal sizes off ``axis``, each starting where the previous one ends
    along ``axis``, together are exactly the part of that array spanning them: the view holds the numbers a
    concatenation would, on the memory of the array that owns them (which it keeps alive).
    """
    first = arrays[0]
    owner, strides = _owner(first), first.strides
    shape = list(first.shape)
    start = first.__array_interface__["data"][0]
    end = start + first.shape[axis] * strides[axis]   # where the next part must start
    for part in arrays[1:]:
        if (part.strides != strides or part.__array_interface__["data"][0] != end or _owner(part) is not owner
                or part.shape[:axis] != first.shape[:axis] or part.shape[axis + 1:] != first.shape[axis + 1:]):
            return None
        end += part.shape[axis] * strides[axis]
        shape[axis] += part.shape[axis]
    try:  # numpy checks that the view lies inside the owner's memory
        view = np.ndarray(tuple(shape), dtype=first.dtype, buffer=owner, strides=strides,
                          offset=start - owner.__array_interface__["data"][0])
    except (TypeError, ValueError, BufferError):   # an owner that does not expose one contiguous buffer
        return None
    view.flags.writeable = False
    return view


def _owner(array: np.ndarray) -> np.ndarray:
    """The array whose memory ``array`` views (itself if it owns its data)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional at run time: only slower without it
        return None
    return ThreadpoolController()


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Tile products are small: on a shared machine, multi-threaded BLAS spends 10-40x longer synchronising than
    computing (measured with OpenBLAS 0.3 on 2 busy cores), so run them on one thread."""
    controller = _blas_controller()
    return controller.limit(limits=1, user_api="blas") if controller is not None else contextlib.nullcontext()

