"""The memory-hierarchy model: hand-checkable toy cases, conservation, limits, tile search, rooflines, energy."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiplab import ChiplabInputError, Gemm
from chiplab.hardware import load_chip
from chiplab.memory import (
    Tiling,
    best_tiling,
    core_view,
    energy_breakdown,
    gemm_on_core,
    horowitz_2014,
    no_reuse_energy,
    roofline,
    unique_footprint_bytes,
)

TOY = load_chip("toy_4x4")  # 4×4 array at 1 GHz; DRAM 4 GB/s, SRAM 4 KiB at 16 GB/s, 64-byte accumulator


def test_toy_chip_bytes_by_hand():
    """8×8×8 int8 GEMM, 4×4×8 tiles. A (64 bytes) is loaded once per column of output tiles (8/4 = 2): 128;
    B likewise once per row of output tiles: 128; C written once: 64. Total 320 bytes over 4 GB/s = 80 ns."""
    result = gemm_on_core(Gemm(m=8, n=8, k=8, dtype="int8"), TOY, Tiling(tile_m=4, tile_n=4, tile_k=8))
    dram = result.level("DRAM")
    assert dram.num_bytes == 128 + 128 + 64
    assert dram.time_s == pytest.approx(320 / 4e9)
    # Footprint: 2 buffers × (4·8 + 8·4) bytes of operands in SRAM; the 4×4 int32 C tile fills the 64-byte ACC.
    assert (result.footprint.operand_bytes, result.footprint.output_bytes) == (128, 64)
    assert result.bottleneck == "DRAM" and result.stall_s > 0
    assert result.a_reuse == pytest.approx(4) and result.b_reuse == pytest.approx(4)


def test_tiles_that_do_not_fit_say_where_and_by_how_much():
    with pytest.raises(ChiplabInputError, match=r"tiles do not fit in ACC: the C tile need 256 B but ACC holds 64 B "
                                                r"per core \(over by 192 B\)"):
        gemm_on_core(Gemm(m=8, n=8, k=8, dtype="int8"), TOY, Tiling(tile_m=8, tile_n=8, tile_k=8))


def test_traffic_equals_the_footprint_when_everything_fits():
    chip = load_chip("toy_edge")  # 2 MiB SRAM, 16 KiB accumulator
    gemm = Gemm(m=64, n=64, k=256, dtype="int8")
    result = gemm_on_core(gemm, chip, Tiling(tile_m=64, tile_n=64, tile_k=256))
    assert result.level("offchip").num_bytes == unique_footprint_bytes(gemm)


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 3000), n=st.integers(1, 3000), k=st.integers(1, 3000),
       chip=st.sampled_from(["toy_4x4", "toy_edge", "trainium2", "tpu_v5e", "h100_sxm"]))
def test_never_less_than_the_footprint_and_shrinking_tiles_never_helps(m, n, k, chip):
    gemm = Gemm(m=m, n=n, k=k, dtype="int8" if chip.startswith("toy") else "bf16")
    best = gemm_on_core(gemm, load_chip(chip))
    offchip = best.level("offchip").num_bytes
    assert offchip >= unique_footprint_bytes(gemm)
    smaller = dataclasses.replace(best.tiling, tile_m=max(1, best.tiling.tile_m // 2),
                                  tile_n=max(1, best.tiling.tile_n // 2))
    view = core_view(load_chip(chip), gemm.dtype)
    from chiplab.memory import place_gemm

    assert place_gemm(gemm, view, smaller).level("offchip").num_bytes >= offchip  # less reuse, more traffic


def test_infinite_bandwidth_leaves_only_compute():
    gemm = Gemm(m=8, n=4096, k=4096)  # decode-like: memory-bound on a real chip
    chip = load_chip("trainium2")
    bound = gemm_on_core(gemm, chip)
    assert bound.bottleneck == "HBM"
    # 1e15 B/s, 300× Trainium2's HBM: the largest off-chip bandwidth chiplab accepts (plausibility.RANGES).
    fast_hbm = dataclasses.replace(chip.hbm, bandwidth_bytes_per_s=1e15)
    unbound = gemm_on_core(gemm, dataclasses.replace(chip, memory_levels=(fast_hbm, *chip.memory_levels[1:])))
    assert unbound.bottleneck == "compute"
    assert unbound.time_s == pytest.approx(unbound.compute_s)
    assert unbound.time_s < bound.time_s


def test_doubling_bandwidth_never_slows_anything():
    chip = load_chip("tpu_v5e")
    for gemm in (Gemm(m=8, n=8192, k=8192), Gemm(m=4096, n=4096, k=4096), Gemm(m=300, n=70, k=9000)):
        faster = dataclasses.replace(chip.hbm, bandwidth_bytes_per_s=2 * chip.hbm.bandwidth_bytes_per_s)
        chip2 = dataclasses.replace(chip, memory_levels=(faster, *chip.memory_levels[1:]))
        assert gemm_on_core(gemm, chip2).time_s <= gemm_on_core(gemm, chip).time_s


def test_search_finds_the_least_traffic_among_fitting_tiles():
    gemm = Gemm(m=3000, n=2000, k=1000)
    search = best_tiling(gemm, core_view(load_chip("trainium2")))
    assert search.best.level("offchip").num_bytes == search.candidate_offchip_bytes.min()
    assert search.num_fitting < search.num_candidates  # capacity really constrained the search


def test_chip_without_geometry_is_a_clear_error():
    # Every catalog chip now has a geometry (Inferentia1's assumed, B200's estimated): strip one to test the refusal.
    import dataclasses

    inf1 = load_chip("inferentia1")
    unit = dataclasses.replace(inf1.core.matrix_unit, array=None)
    no_geometry = dataclasses.replace(inf1, core=dataclasses.replace(inf1.core, matrix_unit=unit))
    with pytest.raises(ChiplabInputError, match=r"inferentia1.*no published matrix-unit geometry"):
        gemm_on_core(Gemm(m=8, n=8, k=8), no_geometry)


def test_dtype_without_a_peak_is_a_clear_error():
    with pytest.raises(ChiplabInputError, match="has no fp8 peak"):
        gemm_on_core(Gemm(m=8, n=8, k=8, dtype="fp8"), load_chip("tpu_v4"))


# --- rooflines -------------------------------------------------------------------------------------------------

def test_tpu_v1_ridge_point_from_its_paper():
    # Jouppi et al., ISCA 2017, Fig. 5: ridge at 1350 multiply-accumulates per byte of weight memory
    # (46e12 MAC/s / 34e9 B/s = 1353); counting 2 FLOPs per MAC doubles it.
    chip = load_chip("tpu_v1")
    assert roofline(chip, "int8", "macs_per_byte").ridge_point() == pytest.approx(1350, rel=0.01)
    assert roofline(chip, "int8").ridge_point() == pytest.approx(2700, rel=0.01)


def test_tpu_v5e_ridge_point_from_the_scaling_book():
    # "How to Scale Your Model", TPU chapter: v5e bf16 arithmetic intensity 1.97e14 / 8.2e11 ≈ 240 FLOPs/byte.
    assert roofline(load_chip("tpu_v5e")).ridge_point() == pytest.approx(240, rel=0.01)


def test_roofline_bounds():
    roof = roofline(load_chip("h100_sxm"))
    ridge = roof.ridge_point()
    assert roof.place("low", flops=ridge / 10, num_bytes=1).bound == "HBM"
    high = roof.place("high", flops=ridge * 10, num_bytes=1)
    assert high.bound == "compute" and high.attainable_flops_per_s == roof.peak_flops_per_s
    with pytest.raises(ChiplabInputError, match="num_bytes must be > 0"):
        roof.place("none", flops=1, num_bytes=0)


def test_hierarchical_roofline_has_a_ceiling_per_known_level():
    roof = roofline(load_chip("toy_dual"))
    assert [c.label for c in roof.ceilings] == ["DRAM", "Shared SRAM", "Scratchpad"]
    assert roof.ridge_point("Scratchpad") < roof.ridge_point("DRAM")  # inner levels are faster


# --- energy ----------------------------------------------------------------------------------------------------

def test_horowitz_table_values():
    # Horowitz, ISSCC 2014: int8 multiply 0.2 pJ + 32-bit add 0.1 pJ; DRAM 1.3 nJ per 64-bit access.
    table = horowitz_2014()
    assert table.mac_j("int8") == pytest.approx(0.3e-12)
    assert table.byte_j("offchip") == pytest.approx(1.3e-9 / 8)
    assert table.byte_j("offchip") / table.byte_j("scratchpad") == pytest.approx(13)


def test_data_movement_dominates_and_systolic_reuse_saves_energy():
    result = gemm_on_core(Gemm(m=1024, n=1024, k=1024, dtype="int8"), load_chip("toy_edge"))
    energy = energy_breakdown(result)
    assert energy.data_movement_fraction > 0.5
    assert no_reuse_energy(result.gemm).total_j > energy.total_j
    assert energy.total_j == pytest.approx(energy.compute_j + sum(lvl.energy_j for lvl in energy.levels))


def test_energy_for_unknown_dtype():
    result = gemm_on_core(Gemm(m=64, n=64, k=64, dtype="fp8"), load_chip("trainium2"))
    with pytest.raises(ChiplabInputError, match="no energy per MAC for dtype 'fp8'"):
        energy_breakdown(result)


def test_offchip_share_is_validated():
    with pytest.raises(ChiplabInputError, match=r"offchip_share_fraction must be in \(0, 1\]; got 2"):
        gemm_on_core(Gemm(m=8, n=8, k=8), load_chip("trainium2"), offchip_share_fraction=2)


def test_results_are_frozen():
    result = gemm_on_core(Gemm(m=64, n=64, k=64, dtype="int8"), TOY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.time_s = 0
    assert np.isfinite(result.fraction_of_peak) and 0 < result.fraction_of_peak <= 1
