"""The TPU v1 paper's baseline machines (Jouppi et al., ISCA 2017, arXiv:1704.04760), and its comparisons from the
catalog. Every expected number below is the paper's, re-read in its text (2026-12-07):

* Table 2 (per die): Haswell E5-2699 v3 662 mm², 22 nm, 2300 MHz, 145 W, 2.6 TOPS 8-bit / 1.3 FP, 51 GB/s, 51 MiB
  on-chip, 2 dies and 256 GiB DRAM per server; K80 561 mm², 28 nm, 560 MHz, 150 W, 2.8 TOPS FP (no 8-bit), 160 GB/s,
  8 MiB on-chip, 8 dies and 12 GiB x 8 of GDDR5 per server; TPU 700 MHz, 75 W, 92 TOPS 8-bit, 34 GB/s, 28 MiB.
  Its caption: "SECDED and no Boost mode reduce K80 bandwidth from 240 to 160. No Boost mode and single die vs. dual
  die performance reduces K80 peak TOPS from 8.7 to 2.8."
* Figs. 5-7 (rooflines, multiply-accumulates per byte of weights): ridge points 1350 for the TPU
  (92e12 / 2 / 34e9 = 1353), 13 for Haswell (its FP peak: 1.3e12 / 2 / 51e9 = 12.7) and 9 for the K80
  (2.8e12 / 2 / 160e9 = 8.75).
* Conclusion (and the Sec. 1 highlights): "25 times as many MACs (65,536 8-bit vs. 2,496 32-bit) and 3.5 times the
  on-chip memory (28 MiB vs. 8 MiB)"; 65,536 / 2,496 = 26.3, which the paper states as 25.
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
    """Conclusion: 3.5× the on-chip memory (28 MiB vs. 8 MiB, exactly) and "25 times as many MACs (65,536 8-bit vs.
    2,496 32-bit)": the catalog's 13 SMX × 192 lumped fp32 MACs are the paper's 2,496."""
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


def test_table_2_memory_per_die():
    """Table 2's DRAM column: a K80 server has 12 GiB x 8 dies; the Haswell server 256 GiB over its 2 dies."""
    assert K80.hbm.capacity_bytes == 12 * 2**30
    assert HASWELL.hbm.capacity_bytes == 256 * 2**30 // 2


def test_the_k80_is_one_die_at_its_base_clock_as_the_paper_measured_it():
    """Table 2's caption: the advertised 8.7 TOPS and 240 GB/s drop to 2.8 and 160 per die without Boost and with
    SECDED. The geometry gives both ends: 13 × 192 × 2 × 560 MHz = 2.80e12 per die; two dies at the 875 MHz Boost
    clock (Sec. 3) 8.74e12."""
    peak = K80.provenance["peak_flops_per_s.fp32"]
    assert [alt.value for alt in peak.alternatives] == [8.7e12]
    boost_hz = K80.provenance["core.matrix_unit.clock_hz"].alternatives[0].value
    unit = K80.core.matrix_unit
    assert 2 * K80.num_cores * unit.array.num_pes * 2 * boost_hz == pytest.approx(8.7e12, rel=0.01)
    assert [alt.value for alt in K80.provenance["memory.GDDR5.bandwidth_bytes_per_s"].alternatives] == [240e9]
