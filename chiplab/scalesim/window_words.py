"""Which words SCALE-Sim's USER-mode prefetch window holds, one window start at a time (issue 17).

An im2col word (overlapping convolution windows) sits in several cells of the ifmap's prefetch order, so in several
sets; a request hits when *any* of them is in the window (chiplab.scalesim.window_scan has the model). Instead of
searching each requested word's sets, :class:`WindowWords` marks the words of the window's ``size x set_words``
positions in a table over the address space (a stamp per window start, so nothing is cleared between starts) and
answers a request with one look-up, whatever the convolution window's size. A start costs one pass over the
window's positions; the scans move the start only on a prefetch.
"""

from __future__ import annotations

import numpy as np

from chiplab.scalesim.window_scan import Window


class WindowWords:
    """The words held by the window from a given start, over an operand's valid words in prefetch order."""

    def __init__(self, order: np.ndarray, window: Window, address_space: int) -> None:
        self._order = order
        self._window = window
        self._stamp = np.zeros(address_space, dtype=np.int32)  # address -> id of the last start that held it
        self._start = -1
        self._id = 0

    def _mark(self, start: int) -> None:
        if start == self._start:
            return
        self._id += 1
        sw, size, n = self._window.set_words, self._window.size, self._window.num_sets
        first, end = start * sw, (start + size) * sw
        self._stamp[self._order[first:end]] = self._id
        if start + size > n:  # the window wraps round to the first sets
            self._stamp[self._order[:(start + size - n) * sw]] = self._id
        self._start = start

    def distance(self, addresses: np.ndarray, start: int) -> np.ndarray:
        """0 for a word in the window from ``start``, the window's size (a miss) for one outside it; the scans
        compare the answer with the window's size only."""
        self._mark(start)
        held = self._stamp[np.maximum(addresses, 0)] == self._id
        return np.where(held, 0, self._window.size)

