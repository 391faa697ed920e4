"""What-if chips: one memory level changed, everything else (and every check) as in the catalog."""

import pytest

from chiplab import ChiplabInputError, Gemm
from chiplab.hardware import load_chip
from chiplab.hardware.what_if import scale_level, with_level
from chiplab.memory import gemm_on_core

TRN2 = load_chip("trainium2")


def test_with_level_replaces_one_level_and_keeps_the_rest():
    smaller = with_level(TRN2, "SBUF", capacity_bytes=8 * 2**20)
    assert smaller.memory_level("SBUF").capacity_bytes == 8 * 2**20
    assert smaller.hbm == TRN2.hbm and smaller.memory_level("PSUM") == TRN2.memory_level("PSUM")
    assert smaller.id == TRN2.id and smaller.core == TRN2.core
    assert TRN2.memory_level("SBUF").capacity_bytes == 28 * 2**20  # the catalog's chip is untouched


def test_a_role_names_the_level_too():
    faster = with_level(TRN2, "offchip", bandwidth_bytes_per_s=5.8e12)
    assert faster.hbm.bandwidth_bytes_per_s == 5.8e12


def test_what_ifs_are_validated_like_the_catalog():
    with pytest.raises(ChiplabInputError, match=r"memory level 'HBM': bandwidth_bytes_per_s .*must be a number > 0"):
        with_level(TRN2, "HBM", bandwidth_bytes_per_s=-1)
    with pytest.raises(ChiplabInputError, match="cannot change role"):
        with_level(TRN2, "HBM", role="scratchpad")
    with pytest.raises(ChiplabInputError, match="no memory level 'L3'"):
        with_level(TRN2, "L3", capacity_bytes=1)


def test_scale_level_multiplies_and_rounds_capacity_to_bytes():
    chip = scale_level(TRN2, "scratchpad", capacity_factor=0.5)
    assert chip.memory_level("SBUF").capacity_bytes == 14 * 2**20
    tiny = scale_level(load_chip("toy_4x4"), "ACC", capacity_factor=1e-6)
    assert tiny.memory_level("ACC").capacity_bytes == 1
    assert scale_level(TRN2, "HBM") is TRN2  # factors of 1 change nothing


def test_scale_level_refuses_to_scale_an_unknown():
    with pytest.raises(ChiplabInputError, match="bandwidth_bytes_per_s of SBUF is not published"):
        scale_level(TRN2, "SBUF", bandwidth_factor=2)
    with pytest.raises(ChiplabInputError, match="capacity_factor must be a number > 0"):
        scale_level(TRN2, "SBUF", capacity_factor=0)


def test_halving_hbm_bandwidth_doubles_a_memory_bound_gemm():
    decode = Gemm(m=8, n=8192, k=8192)
    before = gemm_on_core(decode, TRN2)
    after = gemm_on_core(decode, scale_level(TRN2, "HBM", bandwidth_factor=0.5))
    assert before.bottleneck == after.bottleneck == "HBM"
    assert after.time_s == pytest.approx(before.time_s * 2)
