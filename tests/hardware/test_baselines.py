"""The TPU v1 paper's baseline machines (Jouppi et al., ISCA 2017, Table 2), and its comparisons from the catalog.

The paper's rooflines (Sec. 4, Figs. 5-7) count operations as multiply-accumulates per byte of off-chip memory:
its ridge points are 1350 for the TPU (92e12 / 2 / 34e9 = 1353), 13 for the Haswell die (1.3e12 / 2 / 51e9 = 12.7)
and 9 for the K80 die (2.8e12 / 2 / 160e9 = 8.75). Its conclusion compares the TPU with the K80: 3.5 times as much
on-chip memory (28 MiB / 8 MiB) and 25 times as many MACs (65,536 8-bit against 13 × 192 = 2,496 fp32: 26.3, which
the paper rounds down).
"""

import pytest

from chiplab import ChiplabInputError
from chiplab.hardware import list_chips, load_chip
from chiplab.hardware.describe import ridge_point

TPU, HASWELL, K80 = (load_chip(name) for name in ("tpu_v1", "haswell", "k80"))


def test_baselines_are_their_own_kind_listed_after_the_real_chips():
    assert list_chips(kind="baseline") == ("haswell_e5_2699v3", "k80_die")
    ordered = list_chips()
    assert ordered.index("k80_die") > ordered.index("h100_sxm") and ordered.index("k80_die") < ordered.index("toy_4x4")
    assert {HASWELL.family, K80.family} == {"CPU", "GPU"}


@pytest.mark.parametrize(("chip", "dtype", "paper_macs_per_byte"), [
    (TPU, "int8", 1350), (HASWELL, "fp32", 13), (K80, "fp32", 9)])
def test_ridge_points_are_the_papers(chip, dtype, paper_macs_per_byte):
    """The paper prints its ridge points rounded (1350, 13, 9); the catalog's peaks and bandwidths give them."""
    assert ridge_point(chip, dtype, "macs_per_byte") == pytest.approx(paper_macs_per_byte, abs=0.5, rel=0.01)


def test_the_tpu_against_the_k80_as_the_paper_states_it():
    """3.5× the on-chip memory (exactly) and ~25× the MACs (26.3 from the geometry)."""
    def on_chip_bytes(chip):
        return sum(chip.total_capacity_bytes(level.vendor_label) for level in chip.memory_levels
                   if level.role != "offchip" and level.capacity_bytes)

    assert on_chip_bytes(TPU) / on_chip_bytes(K80) == pytest.approx(3.5)
    macs = [chip.num_matrix_units * chip.core.matrix_unit.array.num_pes for chip in (TPU, K80)]
    assert macs == [65_536, 2_496] and macs[0] / macs[1] == pytest.approx(25, rel=0.06)


def test_peak_ratios_of_table_2():
    """Table 2's peaks per die: the TPU's 92 8-bit TOPS is 35× Haswell's 2.6 and 33× the K80's 2.8 (FP)."""
    assert TPU.peak_flops_per_s("int8") / HASWELL.peak_flops_per_s("int8") == pytest.approx(35.4, rel=0.01)
    assert TPU.peak_flops_per_s("int8") / K80.peak_flops_per_s("fp32") == pytest.approx(32.9, rel=0.01)
    with pytest.raises(ChiplabInputError, match="no int8 peak"):
        K80.peak_flops_per_s("int8")


@pytest.mark.parametrize("chip", [HASWELL, K80], ids=["haswell", "k80"])
def test_baseline_peaks_follow_from_their_equivalent_units(chip):
    """Haswell: 18 cores × 16 fp32 MACs × 2 × 2.3 GHz = 1.32e12 (Table 2: 1.3); K80: 13 SMX × 192 × 2 × 560 MHz =
    2.80e12 (Table 2: 2.8)."""
    for dtype in chip.published_peak_flops_per_s:
        assert chip.peak_check(dtype).closes and not chip.peak_check_exceptions
