"""The USER-mode prefetch order built in pieces equals the order built at once, and it holds as many valid cells
as SCALE-Sim's prepare_hashed_buffer counts (im2col cells with an address, repeats included; k*n filter cells),
computed independently in closed form by chiplab.scalesim.operands.num_valid_ifmap_cells."""

from __future__ import annotations

import pytest

import chiplab.scalesim.read_buffer as read_buffer
from chiplab.scalesim import ScaleSimLayer, compute_layer, operands
from chiplab.systolic.dataflow import Dataflow


@pytest.mark.parametrize("dataflow", list(Dataflow))
@pytest.mark.parametrize("operand", ["ifmap", "filter"])
def test_prefetch_order_in_pieces(monkeypatch, dataflow, operand):
    # Overlapping windows (3 > stride 2) and a window hanging off the input ((8 - 3) % 2 != 0).
    layer = ScaleSimLayer(name="c", ifmap_height=9, ifmap_width=8, filter_height=3, filter_width=3, num_channels=3,
                          num_filters=7, stride=2)
    plan = compute_layer(layer, dataflow, 4, 3).plan
    whole = read_buffer.prefetch_order(layer, plan, operand)
    monkeypatch.setattr(read_buffer, "CELLS_PER_PIECE", 5)
    pieces = read_buffer.prefetch_order(layer, plan, operand)
    assert pieces.tolist() == whole.tolist()
    expected = operands.num_valid_ifmap_cells(layer) if operand == "ifmap" else layer.k * layer.n
    assert len(whole) == expected
