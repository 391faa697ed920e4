"""operands.ifmap_addresses on large batches (the look-up tables) against SCALE-Sim's formula.

operand_matrix.calc_ifmap_elem_addr: im2col cell (pixel p, window element j), (oy, ox) = divmod(p, ofmap width),
(cr, cc, ch) = (j // (S C), (j // C) % S, j % C), address ((oy s + cr) W + ox s + cc) C + ch, -1 where the window
hangs off the input.
"""

from __future__ import annotations

import numpy as np

from chiplab.scalesim import ScaleSimLayer, operands


def scalesim_address(layer: ScaleSimLayer, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    oy, ox = np.divmod(p, layer.ofmap_width)
    cr, cc, ch = j // (layer.filter_width * layer.num_channels), (j // layer.num_channels) % layer.filter_width, \
        j % layer.num_channels
    y, x = oy * layer.stride + cr, ox * layer.stride + cc
    inside = (y < layer.ifmap_height) & (x < layer.ifmap_width)
    return np.where(inside, (y * layer.ifmap_width + x) * layer.num_channels + ch, -1)


def test_large_batches_match_scalesim_formula() -> None:
    rng = np.random.default_rng(17)
    for case in range(40):
        fh, fw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        layer = ScaleSimLayer(name=f"l{case}", ifmap_height=int(rng.integers(fh, 40)),
                              ifmap_width=int(rng.integers(fw, 40)), filter_height=fh, filter_width=fw,
                              num_channels=int(rng.integers(1, 9)), num_filters=4, stride=int(rng.integers(1, 4)))
        size = operands.MIN_LOOKUP_CELLS + int(rng.integers(0, 100))
        p, j = rng.integers(0, layer.m, size), rng.integers(0, layer.k, size)
        np.testing.assert_array_equal(operands.ifmap_addresses(layer, p, j), scalesim_address(layer, p, j))
        # broadcast (a column of pixels against a row of window elements), as the demand streams ask
        np.testing.assert_array_equal(operands.ifmap_addresses(layer, p[:64, None], j[None, :]),
                                      scalesim_address(layer, p[:64, None], j[None, :]))
