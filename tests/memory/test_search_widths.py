"""The tile search scores each operand at its own width, as place_gemm counts the winner (Gemm.operand_bytes):
narrow weights cost their narrow bytes, 8-bit GEMMs write a bf16 C. Hand counts on the toy 4×4 chip."""

import pytest

from chiplab.hardware import load_chip
from chiplab.memory import Tiling, best_tiling, core_view, place_gemm
from chiplab.workloads import Gemm

TOY = core_view(load_chip("toy_4x4"), "int8")  # 4×4 array; SRAM 4 KiB, 64-byte accumulator (the chip's TOML)


def test_int4_weights_by_hand():
    """8×8×8 int8 GEMM, int4 weights. The 64-byte accumulator holds only a 4×4 int32 C tile, so Tm = Tn = 4 and
    Tk ∈ {4, 8}: two fitting candidates. A (64 elements, 1 byte) is loaded once per column of output tiles (8/4 = 2):
    128 bytes; B (64 elements) once per row of output tiles: 128 elements at 4 bits = 64 bytes; C written once in
    int8: 64 bytes. 256 bytes each, not the 320 that one 1-byte width for every operand gives."""
    search = best_tiling(Gemm(m=8, n=8, k=8, dtype="int8", weight_dtype="int4"), TOY)
    assert search.num_fitting == 2
    assert search.candidate_offchip_bytes.tolist() == [256, 256]
    assert search.best.level("DRAM").num_bytes == 256


def test_eight_bit_gemm_writing_bf16_by_hand():
    """Same shape in int8 with a bf16 output (as 8-bit GEMMs write the activations' format): A 128 + B 128 bytes
    of loads, C 64 elements × 2 bytes = 128: 384 bytes."""
    gemm = Gemm(m=8, n=8, k=8, dtype="int8", output_dtype="bf16")
    search = best_tiling(gemm, TOY)
    assert search.candidate_offchip_bytes.tolist() == [384, 384]
    assert place_gemm(gemm, TOY, Tiling(tile_m=4, tile_n=4, tile_k=8)).level("DRAM").num_bytes == 384


@pytest.mark.parametrize("weight_dtype", ["int4", "fp8", None])
def test_the_winner_is_scored_as_place_gemm_counts_it(weight_dtype):
    """The search's score for its winner is the off-chip bytes place_gemm reports for it, and the least of all."""
    gemm = Gemm(m=3000, n=2000, k=1000, weight_dtype=weight_dtype)
    search = best_tiling(gemm, core_view(load_chip("trainium2")))
    assert search.best.level("offchip").num_bytes == search.candidate_offchip_bytes.min()
