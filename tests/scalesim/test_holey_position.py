"""HoleyWsIfmap.position_of (the plain-integer loop on narrow stacks) against a brute-force walk of SCALE-Sim's
prefetch order: the WS ifmap stack (rows = pixels, column c of block b = window element bR + c) read along the
stack's anti-diagonals, column ascending, cells whose window hangs off the input (address -1 in
operand_matrix.calc_ifmap_elem_addr) skipped."""

from __future__ import annotations

import random

import numpy as np

from chiplab.scalesim import ScaleSimLayer
from chiplab.scalesim.prefetch_positions import SCALAR_WIDTH, HoleyWsIfmap


def off_input(layer: ScaleSimLayer, p: int, j: int) -> bool:
    oy, ox = divmod(p, layer.ofmap_width)
    cr, cc = j // (layer.filter_width * layer.num_channels), (j // layer.num_channels) % layer.filter_width
    return oy * layer.stride + cr >= layer.ifmap_height or ox * layer.stride + cc >= layer.ifmap_width


def test_position_of_counts_valid_cells_before_in_prefetch_order() -> None:
    rng = random.Random(17)
    checked = 0
    for case in range(40):
        fh, fw, stride = rng.randint(2, 5), rng.randint(2, 5), rng.randint(1, 3)
        layer = ScaleSimLayer(name=f"l{case}", ifmap_height=rng.randint(fh, 9), ifmap_width=rng.randint(fw, 9),
                              filter_height=fh, filter_width=fw, num_channels=rng.randint(1, 3), num_filters=2,
                              stride=stride)
        width = rng.choice([1, 2, 3, 4, 8, SCALAR_WIDTH, SCALAR_WIDTH + 1])
        blocks = -(-layer.k // width)
        stack = HoleyWsIfmap(blocks=blocks, height=layer.m, width=width, last_width=layer.k - (blocks - 1) * width,
                             base=0, layer=layer)
        total_h, own = blocks * layer.m, 0
        for d in range(total_h + width - 1):
            for c in range(max(0, d - total_h + 1), min(width, d + 1)):
                b, t = divmod(d - c, layer.m)
                if b * width + c >= layer.k or off_input(layer, t, b * width + c):
                    continue  # padding or a hole: not in the prefetch order
                assert stack.position_of(b, t, c) == own, (case, b, t, c)
                assert own % 5 or int(stack.position(b, np.array([t]), np.array([c]))[0]) == own
                own, checked = own + 1, checked + 1
    assert checked > 500
