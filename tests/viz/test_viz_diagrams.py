"""Diagrams of the machines are drawn from the catalog: they name the vendor's parts and show the catalog's numbers,
and a what-if chip changes the picture (so the drawings cannot drift from the data)."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import pytest

from chiplab.hardware import load_chip
from chiplab.units import format_bytes
from chiplab.viz import alt_text, draw_chip, draw_core, draw_pe, draw_skewed_array, draw_topology


def _texts(ax) -> str:
    return " | ".join(text.get_text() for text in ax.texts) + " | " + ax.get_title()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_neuroncore_shows_its_engines_and_memories():
    trn2 = load_chip("trainium2")
    ax = draw_core(trn2)
    text = _texts(ax)
    sbuf = next(level for level in trn2.memory_levels if level.vendor_label == "SBUF")
    assert "NeuronCore" in text and "Tensor Engine (128×128)" in text
    assert f"SBUF\n{format_bytes(sbuf.capacity_bytes)}" in text and "PSUM" in text and "HBM" in text
    assert "SBUF" in alt_text(ax) and "PSUM" in alt_text(ax)


def test_a_what_if_chip_changes_the_diagram():
    trn2 = load_chip("trainium2")
    levels = tuple(dataclasses.replace(level, capacity_bytes=level.capacity_bytes * 2)
                   if level.vendor_label == "SBUF" else level for level in trn2.memory_levels)
    bigger = dataclasses.replace(trn2, memory_levels=levels)
    sbuf = next(level for level in levels if level.vendor_label == "SBUF")
    assert format_bytes(sbuf.capacity_bytes) in _texts(draw_core(bigger))


def test_tpu_tensorcore_has_its_mxus_and_vmem():
    v5p = load_chip("tpu_v5p")
    text = _texts(draw_core(v5p))
    assert text.count("MXU") == v5p.core.matrix_unit.num_per_core and "VMEM" in text


def test_chip_diagram_has_one_tile_per_core():
    h100 = load_chip("h100_sxm")
    ax = draw_chip(h100)
    assert len(ax.patches) >= h100.num_cores and f"{h100.num_cores} SMs" in _texts(ax)


def test_topologies_follow_the_link_records():
    assert "torus" in alt_text(draw_topology(load_chip("tpu_v5p")))
    assert "switch" in alt_text(draw_topology(load_chip("h100_sxm")))


def test_pe_and_skewed_array_pictures():
    assert "B\n(stays)" in _texts(draw_pe("ws"))
    ax = draw_skewed_array(3, 3)
    assert "A02" in _texts(ax) and "staircase" in alt_text(ax)


def test_mi300x_platform_is_drawn_as_a_full_mesh():
    """AMD's 8×MI300X platform links every GPU to every other directly (data/networks/topologies.toml, kind
    full_mesh): 8 × 7 / 2 = 28 links, no switch box and no torus wrap-around."""
    ax = draw_topology(load_chip("mi300x"))
    assert "full mesh" in alt_text(ax) and "28 links" in alt_text(ax)
    assert "NVSwitch" not in _texts(ax) and "wrap-around" not in _texts(ax)
    assert len(ax.lines) == 28
