"""One GEMM on several chips' rooflines: hand-checkable intensities, the critical m, boundedness tables; and the
energy table of chiplab.memory.describe."""

import pytest

from chiplab import ChiplabInputError, Gemm
from chiplab.hardware import load_chip
from chiplab.memory import gemm_on_core, horowitz_2014, roofline
from chiplab.memory.compare import (
    boundedness_table,
    compare_on_rooflines,
    critical_m,
    hierarchical_points,
    place_on_roofline,
    sweep_m_on_rooflines,
)
from chiplab.memory.describe import energy_table


def test_intensity_by_hand_on_the_toy_chip():
    """8×8×8 int8: 1024 FLOPs over 3 × 64 bytes = 5.33 FLOP/byte; the toy's ridge is 8, so 2/3 of its peak."""
    placed = place_on_roofline(Gemm(m=8, n=8, k=8, dtype="int8"), load_chip("toy_4x4"))
    assert placed.point.intensity == pytest.approx(1024 / 192)
    assert placed.ridge_point == pytest.approx(8)
    assert placed.is_memory_bound and placed.fraction_of_peak == pytest.approx(1024 / 192 / 8)


def test_mac_convention_halves_intensity_and_ridge_but_not_the_bound():
    gemm = Gemm(m=64, n=8192, k=8192, dtype="int8")
    flops = place_on_roofline(gemm, "tpu_v1")
    macs = place_on_roofline(gemm, "tpu_v1", "macs_per_byte")
    assert macs.point.intensity == pytest.approx(flops.point.intensity / 2)
    assert macs.ridge_point == pytest.approx(flops.ridge_point / 2)
    assert macs.fraction_of_peak == pytest.approx(flops.fraction_of_peak)


def test_comparison_skips_chips_without_the_format():
    comparison = compare_on_rooflines(Gemm(m=8, n=4096, k=4096), ["tpu_v5e", "tpu_v1", "trn2"])
    assert [p.chip_id for p in comparison.placements] == ["tpu_v5e", "trainium2"]
    assert comparison.skipped[0][0] == "tpu_v1" and "no bf16 peak" in comparison.skipped[0][1]
    assert comparison.to_markdown().count("\n") == 3  # header, rule, two chips
    with pytest.raises(ChiplabInputError):
        compare_on_rooflines(Gemm(m=8, n=8, k=8), [])


@pytest.mark.parametrize("chip", ["tpu_v5e", "trainium2", "h100_sxm", "tpu_v6e", "toy_dual"])
def test_critical_m_is_where_the_bound_flips(chip):
    dtype = "int8" if chip.startswith("toy") else "bf16"
    m = critical_m(chip, n=8192, k=8192, dtype=dtype)
    assert not place_on_roofline(Gemm(m=m, n=8192, k=8192, dtype=dtype), chip).is_memory_bound
    if m > 1:
        assert place_on_roofline(Gemm(m=m - 1, n=8192, k=8192, dtype=dtype), chip).is_memory_bound


def test_critical_m_is_none_when_no_batch_is_enough():
    # Intensity never exceeds 2nk / (b(n + k)) = 64 FLOP/byte for n = k = 64 in bf16: below TPU v5e's ridge.
    assert critical_m("tpu_v5e", n=64, k=64) is None


def test_boundedness_table():
    table = boundedness_table(["tpu_v5e", "tpu_v1", "h100_sxm"], [1, 4096], n=8192, k=8192)
    lines = table.splitlines()
    assert "TPU v1" not in lines[0]  # no bf16 peak: left out
    assert "HBM-bound" in lines[2] and lines[3].count("compute-bound") == 2
    assert lines[-1].startswith("| compute-bound from | m = 256 |")


def test_hierarchical_points_use_each_levels_own_bytes():
    chip = load_chip("toy_dual")
    result = gemm_on_core(Gemm(m=256, n=256, k=256, dtype="int8"), chip)
    points = hierarchical_points(result, roofline(chip, "int8"))
    assert [p.level for p in points] == ["DRAM", "Shared SRAM", "Scratchpad"]
    for point in points:
        assert point.intensity == pytest.approx(result.gemm.num_flops / result.level(point.level).num_bytes)


def test_sweep_over_m_gives_each_chip_one_point_per_m():
    sweep = sweep_m_on_rooflines(["tpu_v5e", "trainium2", "tpu_v1"], [8, 4096], n=8192, k=8192)
    assert [roof.chip_id for roof in sweep.roofs] == ["tpu_v5e", "trainium2"]  # TPU v1 has no bf16 peak
    points = sweep.points_by_chip
    assert [p.label for p in points["tpu_v5e"]] == ["m=8", "m=4,096"]
    assert sweep.placement(4096, "trainium2").point.bound == "compute"
    with pytest.raises(ChiplabInputError, match="no placement for m=16"):
        sweep.placement(16, "tpu_v5e")
    with pytest.raises(ChiplabInputError, match="none of the chips has a bf16 peak"):
        sweep_m_on_rooflines(["tpu_v1"], [8], n=64, k=64)


def test_energy_table_reads_the_horowitz_data():
    table = energy_table()
    rows = {line.split("|")[1].strip(): line.split("|")[2:4] for line in table.splitlines()[2:]}
    assert rows["one int8 multiply-accumulate (int32 add)"][1].strip() == "1×"
    dram = horowitz_2014().byte_j("offchip") / 1e-12
    assert float(rows["one byte from off-chip DRAM"][0]) == pytest.approx(dram, rel=0.01)
